"""The Atom feed of published consultations, for all areas or one area and below."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from deliberate.config import Settings
from deliberate.consultations import services
from deliberate.db import Database
from tests.support.hearings import areas, committee_with, consultation_form, context

pytestmark = pytest.mark.usefixtures("cheap_passwords")
Client = AsyncTestClient[Any]
NS = {"atom": "http://www.w3.org/2005/Atom"}
HOSTILE = 'A & B <script>alert("x")</script> ]]> \x01'


def entries(data: bytes) -> list[ET.Element]:
    return ET.fromstring(data).findall("atom:entry", NS)


async def test_the_feed_lists_published_consultations_by_area(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    far = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    summary = "## 背景\n\n" + "**加装电梯**，" * 100 + "\n\n" + HOSTILE
    near = await services.create(
        database,
        board.chair,
        consultation_form(board, ids["hx-c1"], title=HOSTILE[:-2], summary=summary),
    )
    await services.advance(database, context(settings), board.chair, near.id, "draft")  # type: ignore[arg-type]
    away = await services.create(
        database, far.chair, consultation_form(far, ids["far-c1"], title="远方议题")
    )
    await services.advance(database, context(settings), far.chair, away.id, "draft")  # type: ignore[arg-type]
    await services.create(
        database, board.chair, consultation_form(board, ids["hx-c2"], title="草稿")
    )

    response = await client.get("/consultations/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    everything = entries(response.content)
    assert [e.findtext("atom:title", namespaces=NS) for e in everything] == [
        "远方议题",
        HOSTILE[:-2],
    ]
    base = settings.public_url.rstrip("/")
    link = everything[1].find("atom:link", NS)
    assert link is not None and link.get("href") == f"{base}/consultations/{near.id}"
    assert everything[1].findtext("atom:id", namespaces=NS) == f"{base}/consultations/{near.id}"
    assert everything[1].findtext("atom:author/atom:name", namespaces=NS) == "和谐街道居委会"
    text = everything[1].findtext("atom:summary", namespaces=NS)
    assert text is not None and len(text) == 300 and text.endswith("…")
    assert text.startswith("背景 加装电梯，加装电梯，") and "**" not in text and "<h2>" not in text
    assert b"<script>" not in response.content and b"&lt;script&gt;" in response.content

    mine = await client.get("/consultations/feed.atom?area=hx")
    assert [e.findtext("atom:title", namespaces=NS) for e in entries(mine.content)] == [
        HOSTILE[:-2]
    ]
    self_link = [
        e.get("href")
        for e in ET.fromstring(mine.content).findall("atom:link", NS)
        if e.get("rel") == "self"
    ]
    assert self_link == [f"{base}/consultations/feed.atom?area=hx"]
    other = await client.get("/consultations/feed.atom?area=far-c1")
    assert len(entries(other.content)) == 1
    empty = await client.get("/consultations/feed.atom?area=hx-c2")  # only a draft there
    assert empty.status_code == 200 and entries(empty.content) == []


async def test_an_unknown_area_is_not_found(client: Client, database: Database) -> None:
    await areas(database)
    assert (await client.get("/consultations/feed.atom?area=nowhere")).status_code == 404
    assert (await client.get("/consultations/feed.atom?area=" + "x" * 500)).status_code == 404
