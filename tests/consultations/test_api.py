"""The open data API: published consultations only, their hearings with sections and the
visible comments with the committee's responses, pseudonymised; a fixed number of queries;
described by the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, update
from sqlmodel import col

from deliberate.accounts.models import User
from deliberate.accounts.tokens import Keys
from deliberate.config import Settings
from deliberate.consultations import services
from deliberate.db import Database
from deliberate.hearings import comments
from deliberate.hearings.comments import NewComment
from deliberate.web.i18n import using_locale
from tests.support.hearings import (
    DURING,
    T0,
    Board,
    areas,
    auth_for,
    committee_with,
    consultation,
    consultation_form,
    hearing,
    resident,
    sections,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")
Client = AsyncTestClient[Any]
SECRET_NAME = "王秘密真名"
PUBLIC_NAME = "李公开"


async def rename(database: Database, user_id: int, name: str, *, publish: bool) -> User:
    async with database.write() as session:
        await session.exec(
            update(User)
            .where(col(User.id) == user_id)
            .values(display_name=name, publish_name=publish)
        )
    async with database.read() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


async def open_hearing(database: Database, settings: Settings, board: Board) -> tuple[int, int]:
    """A published consultation with a hearing whose window is open now."""
    item = await consultation(database, settings, board)
    made = await hearing(database, board, item.id, opens_at=T0, closes_at=DURING.replace(year=2999))  # type: ignore[arg-type]
    return item.id, made.id  # type: ignore[return-value]


async def test_the_list_has_published_consultations_only(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    item = await consultation(database, settings, board)
    await services.create(
        database, board.chair, consultation_form(board, ids["hx-c1"], title="草稿")
    )
    response = await client.get("/api/v1/consultations")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert (data["page"], data["pages"], data["total"]) == (1, 1, 1)
    (entry,) = data["items"]
    assert entry == {
        "id": item.id,
        "title": "幸福社区停车管理办法",
        "area": {"code": "hx-c1", "name": "幸福社区"},
        "committee": "和谐街道居委会",
        "stage": "open",
        "published_at": entry["published_at"],
        "updated_at": entry["updated_at"],
        "url": f"{settings.public_url}/consultations/{item.id}",
    }
    assert entry["published_at"].endswith("Z")
    assert (await client.get("/api/v1/consultations?page=2")).json()["items"] == []
    bad = await client.get("/api/v1/consultations?page=0")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_detail_with_hearings_sections_and_pseudonymised_comments(
    client: Client, database: Database, settings: Settings
) -> None:
    await areas(database)
    board = await committee_with(database, settings)
    item_id, hearing_id = await open_hearing(database, settings, board)
    alice = await resident(database, settings, "alice@example.org")
    bob = await resident(database, settings, "bob@example.org")
    alice_user = await rename(database, alice.user.id, SECRET_NAME, publish=False)  # type: ignore[arg-type]
    await rename(database, bob.user.id, PUBLIC_NAME, publish=True)  # type: ignore[arg-type]
    alice, bob = await auth_for(database, alice.user), await auth_for(database, bob.user)
    _preamble, first, second = await sections(database, hearing_id)
    kept = await comments.post(
        database, alice, hearing_id, NewComment(first.id, "support", "赞成增加车位", None)
    )
    reply = await comments.post(
        database, bob, hearing_id, NewComment(None, None, "同意楼上", kept.id)
    )
    hidden = await comments.post(
        database, bob, hearing_id, NewComment(second.id, "oppose", "人身攻击的话", None)
    )
    gone = await comments.post(
        database, alice, hearing_id, NewComment(second.id, "question", "删掉的问题", None)
    )
    await comments.hide(database, board.chair, hidden.id, "人身攻击")  # type: ignore[arg-type]
    await comments.delete(database, alice, gone.id)  # type: ignore[arg-type]
    await comments.respond(database, board.chair, kept.id, "adopted", "将增加十个车位")  # type: ignore[arg-type]

    response = await client.get(f"/api/v1/consultations/{item_id}")
    assert response.status_code == 200
    data = response.json()
    assert data["summary"] == "为规范小区停车秩序，现公开征求意见。"
    assert data["milestones"] == [{"date": "2026-12-01", "text": "意见征集开始"}]
    assert [entry["stage"] for entry in data["timeline"]] == ["draft", "open"]
    (found,) = data["hearings"]
    assert found["id"] == hearing_id and found["phase"] == "open" and found["version"] == 1
    assert len(found["rule_sha256"]) == 64
    assert [s["number"] for s in found["sections"]] == [0, 1, 2]
    by_number = {s["number"]: s for s in found["sections"]}
    assert by_number[1]["heading"] == "第一条 停车位" and "120" in by_number[1]["body"]
    assert by_number[1]["stances"] == {"support": 1, "oppose": 0, "suggestion": 0, "question": 0}
    assert by_number[2]["stances"] == {"support": 0, "oppose": 0, "suggestion": 0, "question": 0}

    listed = {c["id"]: c for c in found["comments"]}
    assert set(listed) == {kept.id, reply.id}  # neither hidden nor deleted ones
    with using_locale("zh_CN"):
        code = Keys(settings.secret_key).pseudonym(f"consultation:{item_id}", alice_user.id)  # type: ignore[arg-type]
    assert code in listed[kept.id]["author"]
    assert listed[reply.id]["author"] == PUBLIC_NAME
    assert listed[kept.id]["response"]["verdict"] == "adopted"
    assert listed[kept.id]["response"]["explanation"] == "将增加十个车位"
    assert listed[reply.id] | {"created_at": None} == {
        "id": reply.id,
        "version": 1,
        "section": 1,
        "parent_id": kept.id,
        "stance": None,
        "body": "同意楼上",
        "created_at": None,
        "endorsements": 0,
        "author": PUBLIC_NAME,
        "response": None,
    }
    raw = response.text
    for secret in (
        SECRET_NAME,
        "alice@example.org",
        "alice",
        "bob@example.org",
        "人身攻击",
        "删掉的问题",
    ):
        assert secret not in raw, secret
    assert "password" not in json.dumps(data)


async def test_drafts_and_unknown_ids_are_problems(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    draft = await services.create(
        database, board.chair, consultation_form(board, ids["hx-c1"], title="草稿")
    )
    for path in (f"/api/v1/consultations/{draft.id}", "/api/v1/consultations/999999"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 404


async def test_the_detail_costs_the_same_queries_whatever_the_comments(
    app: Litestar, client: Client, database: Database, settings: Settings
) -> None:
    await areas(database)
    board = await committee_with(database, settings)
    item_id, hearing_id = await open_hearing(database, settings, board)
    await hearing(database, board, item_id, opens_at=T0, closes_at=DURING.replace(year=2999))
    people = [await resident(database, settings, f"p{n}@example.org") for n in range(3)]
    section = (await sections(database, hearing_id))[1]
    statements: list[str] = []

    def counted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.database.reader.sync_engine

    async def queries_for_detail() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", counted)
        try:
            assert (await client.get(f"/api/v1/consultations/{item_id}")).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", counted)
        return len(statements)

    first = await comments.post(
        database, people[0], hearing_id, NewComment(section.id, "support", "一", None)
    )
    few = await queries_for_detail()
    for n, person in enumerate(people * 4):
        made = await comments.post(
            database, person, hearing_id, NewComment(section.id, "suggestion", f"意见{n}", None)
        )
        await comments.post(database, person, hearing_id, NewComment(None, None, "回复", made.id))
        await comments.respond(database, board.chair, made.id, "noted", "已记录")  # type: ignore[arg-type]
    many = await queries_for_detail()
    assert few == many <= 10
    assert first.id is not None


async def test_the_openapi_description_lists_the_paths(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/consultations" in schema["paths"]
    assert "/api/v1/consultations/{consultation_id}" in schema["paths"]
    components = schema["components"]["schemas"]
    detail = next(v for k, v in components.items() if k.endswith("ConsultationDetail"))
    assert {"hearings", "timeline", "milestones", "summary"} <= set(detail["properties"])
    assert not any(path.startswith("/consultations") for path in schema["paths"])
