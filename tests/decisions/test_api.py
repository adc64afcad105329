"""The open data API for decisions on both databases: the list and the detail decode
strictly into their documented structs, items carry their overdue flag and updates, a
decision on an unpublished consultation is not found, and the OpenAPI description lists
both paths."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.decisions import services
from deliberate.decisions.api import DecisionDetail, DecisionList
from deliberate.decisions.forms import ItemInput, UpdateInput
from tests.decisions.conftest import NOW, DecisionWorld, publish_minutes
from tests.support.hearings import consultation, context

Client = AsyncTestClient[Litestar]


async def test_list_and_detail(
    client: Client, database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    today = datetime.now(settings.tz).date()
    adopted = today - timedelta(days=40)
    ctx = context(settings)
    decision = await services.adopt(
        database,
        ctx,
        dw.board.chair,
        dw.consultation_id,
        dw.decision_input(adopted_on=adopted),
        now=NOW,
    )
    did: int = decision.id  # type: ignore[assignment]
    late = await services.add_item(
        database,
        dw.board.chair,
        did,
        ItemInput("外墙保温", "街道城建科", today - timedelta(days=2)),
    )
    await services.add_item(
        database, dw.board.chair, did, ItemInput("雨污分流", "水务公司", today + timedelta(days=9))
    )
    await services.add_update(
        database,
        ctx,
        dw.board.chair,
        did,
        late.id,  # type: ignore[arg-type]
        UpdateInput(adopted + timedelta(days=3), "in_progress", "已进场施工。"),
    )
    # A decision on a consultation that is not published: not listed, not found.
    draft = await consultation(database, settings, dw.board, published=False)
    hidden_minutes = await publish_minutes(database, draft.id)  # type: ignore[arg-type]
    hidden = await services.adopt(
        database,
        ctx,
        dw.board.chair,
        draft.id,  # type: ignore[arg-type]
        dw.decision_input(minutes_id=hidden_minutes.id),
        now=NOW,
    )

    listing = await client.get("/api/v1/decisions")
    assert listing.status_code == 200
    found = msgspec.json.decode(listing.content, type=DecisionList, strict=True)
    assert (found.total, found.pages, found.page) == (1, 1, 1)
    (summary,) = found.items
    assert (summary.id, summary.consultation, summary.minutes) == (
        did,
        dw.consultation_id,
        dw.minutes.id,
    )
    assert (summary.items, summary.done, summary.overdue) == (2, 0, 1)
    assert summary.url.endswith(f"/decisions/{did}")
    assert summary.feed.endswith(f"/decisions/{did}/feed.atom")

    detail = await client.get(f"/api/v1/decisions/{did}")
    assert detail.status_code == 200
    shown = msgspec.json.decode(detail.content, type=DecisionDetail, strict=True)
    assert shown.adopted_on == adopted and shown.text == dw.decision_input().text
    assert shown.tally == {"for": 2, "against": 0, "abstain": 1}
    assert [(v.role, v.vote) for v in shown.votes] == [
        ("chair", "for"),
        ("secretary", "for"),
        ("member", "abstain"),
    ]
    assert shown.minutes.id == dw.minutes.id and shown.minutes.pdf_sha256 == dw.minutes.pdf_sha256
    first, second = shown.items
    assert (first.title, first.status, first.overdue) == ("外墙保温", "in_progress", True)
    assert (second.title, second.status, second.overdue) == ("雨污分流", "planned", False)
    assert [(u.status, u.previous_status, u.note) for u in first.updates] == [
        ("in_progress", "planned", "已进场施工。")
    ]
    raw = detail.json()
    assert set(raw) >= {"votes", "items", "minutes", "tally", "text", "adopted_on"}
    assert "user_id" not in detail.text and "@example.org" not in detail.text

    assert (await client.get(f"/api/v1/decisions/{hidden.id}")).status_code == 404
    assert (await client.get("/api/v1/decisions/99999")).status_code == 404

    described = (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/decisions" in described["paths"]
    assert "/api/v1/decisions/{decision_id}" in described["paths"]
    assert "/decisions/{decision_id}" not in described["paths"]  # pages are not the API
