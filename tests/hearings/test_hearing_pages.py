"""The hearing pages through HTTP, as residents and the committee use them: reading the
draft, commenting (plain forms and htmx), replying, endorsing, reporting, moderating,
answering, revising the draft, and the refusals on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlmodel import select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.hearings.models import Comment, DocumentVersion, Hearing, Response
from deliberate.identity.models import Committee
from tests.support.accounts import Browsers, Person, make_person, post_form, sign_in
from tests.support.hearings import (
    T0,
    areas,
    auth_for,
    consultation,
    count,
    hearing,
    sections,
    verify,
)
from tests.support.hearings import Board as _Board

COMMITTEE = "和谐街道居委会"


@dataclass
class Scene:
    chair: Person
    resident: Person
    other: Person  # confirmed, not verified: outside the rule
    hearing: Hearing
    consultation_id: int
    section_ids: list[int]


@pytest.fixture
async def scene(database: Database, settings: Settings) -> Scene:
    ids = await areas(database)
    async with database.write() as session:
        session.add(Committee(area_id=ids["hx-s"], name=COMMITTEE))
    chair = await make_person(
        database,
        settings,
        "chair@example.org",
        totp=True,
        committee_role="chair",
        committee_name=COMMITTEE,
    )
    resident = await make_person(database, settings, "resident@example.org")
    await verify(database, resident.user, ids["hx-c1"])
    other = await make_person(database, settings, "other@example.org")
    chair_auth = await auth_for(database, chair.user)
    async with database.read() as session:
        committee = (await session.exec(select(Committee))).one()
    board = _Board(committee, chair_auth, chair_auth, chair_auth)
    item = await consultation(database, settings, board)
    made = await hearing(
        database,
        board,
        item.id,  # type: ignore[arg-type]
        opens_at=T0 - timedelta(hours=1),
        rule_area_id=ids["hx-c1"],
    )
    parts = await sections(database, made.id)  # type: ignore[arg-type]
    return Scene(chair, resident, other, made, item.id, [s.id for s in parts])  # type: ignore[arg-type]


async def sign_in_chair(client: AsyncTestClient[Any], chair: Person) -> None:
    await sign_in(client, chair)
    response = await post_form(client, "/accounts/login/verify", {"code": chair.totp_code()})
    assert response.status_code == 303


async def post_comment(client: AsyncTestClient[Any], scene: Scene, body: str, **extra: str) -> Any:
    data = {"section": str(scene.section_ids[0]), "stance": "support", "body": body, **extra}
    return await post_form(
        client, f"/hearings/{scene.hearing.id}/comments", data, page=f"/hearings/{scene.hearing.id}"
    )


class Markup(HTMLParser):
    """Collects what would run in a browser: script elements, on* attributes, URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            if name in ("href", "src", "action") and value:
                self.urls.append(value)


async def test_the_page_shows_the_draft_in_numbered_sections_to_anyone(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    response = await client.get(f"/hearings/{scene.hearing.id}")
    assert response.status_code == 200
    text = response.text
    assert "1. 第一条 停车位" in text and "2. 第二条 收费" in text
    assert "小区内共有车位120个" in text
    assert scene.hearing.rule_sha256 in text  # the frozen rule's fingerprint is public
    assert 'action="/hearings/' not in text.split("comments-heading")[1].split("filters")[0]
    assert "/accounts/login?next=" in text


async def test_a_resident_comments_replies_and_endorses_without_javascript(
    client: AsyncTestClient[Any], scene: Scene, database: Database, settings: Settings
) -> None:
    browsers = Browsers(client)
    with browsers.use("resident") as c:
        await sign_in(c, scene.resident)
        response = await post_comment(c, scene, "支持！但请**保留**绿化带。")
        assert response.status_code == 303
        assert re.fullmatch(r"/hearings/\d+/comments/\d+#comment-\d+", response.headers["location"])
        thread = await c.get(response.headers["location"])
        assert "<strong>保留</strong>" in thread.text
    async with database.read() as session:
        first = (await session.exec(select(Comment))).one()
    neighbour = await make_person(database, settings, "neighbour@example.org")
    ids = await areas(database)
    await verify(database, neighbour.user, ids["hx-c1"])
    with browsers.use("neighbour") as c:
        await sign_in(c, neighbour)
        reply = await post_form(
            c,
            f"/hearings/{scene.hearing.id}/comments",
            {"parent": str(first.id), "body": "同意楼上。"},
            page=f"/hearings/{scene.hearing.id}",
        )
        assert reply.status_code == 303
        endorse = await post_form(
            c,
            f"/comments/{first.id}/endorse",
            {"action": "endorse"},
            page=f"/hearings/{scene.hearing.id}",
        )
        assert endorse.status_code == 303
        again = await post_form(
            c,
            f"/comments/{first.id}/endorse",
            {"action": "endorse"},
            page=f"/hearings/{scene.hearing.id}",
        )
        assert again.status_code == 303
        page = (await c.get(f"/hearings/{scene.hearing.id}")).text
    assert "同意楼上。" in page
    assert "1 endorsement" in (await client.get(f"/hearings/{scene.hearing.id}?lang=en")).text
    async with database.read() as session:
        root = await session.get(Comment, first.id)
        assert root is not None and root.endorsements == 1 and root.replies == 1
    # The stance counts beside the section count the visible top-level comment.
    assert 'value="1"' in page


async def test_posting_with_htmx_answers_with_fragments_and_an_announcement(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await sign_in(client, scene.resident)
    page = (await client.get(f"/hearings/{scene.hearing.id}")).text
    token = re.search(r'name="csrf-token" content="([^"]*)"', page).group(1)  # type: ignore[union-attr]
    response = await client.post(
        f"/hearings/{scene.hearing.id}/comments",
        data={"section": str(scene.section_ids[1]), "stance": "question", "body": "收费标准依据？"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert 'hx-swap-oob="afterbegin:#comment-list"' in response.text
    assert 'hx-swap-oob="innerHTML:#announcer"' in response.text
    assert "收费标准依据？" in response.text
    assert "<html" not in response.text  # a fragment, not a page
    bad = await client.post(
        f"/hearings/{scene.hearing.id}/comments",
        data={"section": str(scene.section_ids[1]), "stance": "question", "body": ""},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert bad.status_code == 200 and 'aria-invalid="true"' in bad.text


async def test_hostile_comments_render_harmless(client: AsyncTestClient[Any], scene: Scene) -> None:
    await sign_in(client, scene.resident)
    body = (
        "<script>alert(1)</script> {{7*7}} [点我](javascript:alert(1)) "
        '<img src=x onerror="alert(1)"> <a href="javascript:alert(2)">x</a>'
    )
    response = await post_comment(client, scene, body)
    assert response.status_code == 303
    markup = (await client.get(f"/hearings/{scene.hearing.id}")).text
    found = Markup()
    found.feed(markup)
    assert all(s.get("src") for s in found.scripts), "only our own script files"
    assert found.handlers == []
    assert not [u for u in found.urls if u.strip().lower().startswith("javascript:")]
    assert "{{7*7}}" in markup and ">49<" not in markup


async def test_too_long_and_empty_comments_are_refused_and_nothing_is_written(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    await sign_in(client, scene.resident)
    response = await post_comment(client, scene, "长" * 5001)
    assert response.status_code == 400
    assert "5001" in response.text or "5,001" in response.text
    assert "长" * 5001 in response.text  # what they typed is kept
    assert await count(database, Comment) == 0
    fine = await post_comment(client, scene, "长" * 5000)
    assert fine.status_code == 303
    assert await count(database, Comment) == 1


async def test_people_outside_the_rule_and_after_the_window_are_told_why(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    await sign_in(client, scene.other)
    page = (await client.get(f"/hearings/{scene.hearing.id}")).text
    assert 'id="comment-form"' not in page
    refused = await post_comment(client, scene, "我也想说")
    assert refused.status_code == 403
    async with database.write() as session:
        item = await session.get(Hearing, scene.hearing.id)
        item.closes_at = T0 - timedelta(minutes=1)  # type: ignore[union-attr]
        session.add(item)
    client.cookies.clear()
    await sign_in(client, scene.resident)
    await client.get("/?lang=en")
    late = await post_comment(client, scene, "来晚了")
    assert late.status_code == 403
    assert "The comment window has closed." in late.text
    assert await count(database, Comment) == 0


async def test_the_committee_hides_restores_and_answers_on_the_record(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    browsers = Browsers(client)
    with browsers.use("resident") as c:
        await sign_in(c, scene.resident)
        await post_comment(c, scene, "物业就是一群骗子！")
        await post_comment(c, scene, "建议增加充电桩。")
    async with database.read() as session:
        rude, good = (await session.exec(select(Comment).order_by(Comment.id))).all()
    with browsers.use("other") as c:
        await sign_in(c, scene.other)
        flagged = await post_form(c, f"/comments/{rude.id}/flag", {"reason": "骂人"})
        assert flagged.status_code == 303
    with browsers.use("chair") as c:
        await sign_in_chair(c, scene.chair)
        queue = await c.get(f"/hearings/{scene.hearing.id}/queue?lang=en")
        assert queue.status_code == 200
        assert "0 of 2 comments answered" in queue.text
        assert "骂人" in queue.text  # the open report
        hidden = await post_form(
            c, f"/comments/{rude.id}/moderate", {"action": "hide", "reason": "人身攻击"}
        )
        assert hidden.status_code == 303
        answered = await post_form(
            c,
            f"/comments/{good.id}/respond",
            {"verdict": "adopted", "explanation": "将在东侧增设8个充电桩。"},
        )
        assert answered.status_code == 303
        missing = await post_form(
            c, f"/comments/{good.id}/respond", {"verdict": "", "explanation": ""}
        )
        assert missing.status_code == 400
    page = (await client.get(f"/hearings/{scene.hearing.id}")).text
    assert "物业就是一群骗子" not in page
    assert "人身攻击" in page  # the public reason, in place
    assert "将在东侧增设8个充电桩。" in page
    log = (await client.get(f"/hearings/{scene.hearing.id}/moderation")).text
    assert "人身攻击" in log
    async with database.read() as session:
        assert len((await session.exec(select(Response))).all()) == 1


async def test_residents_cannot_moderate_or_answer(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    await sign_in(client, scene.resident)
    await post_comment(client, scene, "一条意见")
    async with database.read() as session:
        comment = (await session.exec(select(Comment))).one()
    for path, data in (
        (f"/comments/{comment.id}/moderate", {"action": "hide", "reason": "x"}),
        (f"/comments/{comment.id}/respond", {"verdict": "adopted", "explanation": "x"}),
    ):
        response = await post_form(client, path, data, page=f"/hearings/{scene.hearing.id}")
        assert response.status_code == 403, path
    assert (await client.get(f"/hearings/{scene.hearing.id}/queue")).status_code == 403
    async with database.read() as session:
        assert (await session.get(Comment, comment.id)).hidden_at is None  # type: ignore[union-attr]


async def test_a_resident_cannot_edit_or_delete_someone_elses_comment(
    client: AsyncTestClient[Any], scene: Scene, database: Database, settings: Settings
) -> None:
    browsers = Browsers(client)
    with browsers.use("resident") as c:
        await sign_in(c, scene.resident)
        await post_comment(c, scene, "原文")
    async with database.read() as session:
        comment = (await session.exec(select(Comment))).one()
    with browsers.use("other") as c:
        await sign_in(c, scene.other)
        assert (await c.get(f"/comments/{comment.id}/edit")).status_code == 404
        edit = await post_form(
            c,
            f"/comments/{comment.id}/edit",
            {"body": "篡改"},
            page=f"/hearings/{scene.hearing.id}",
        )
        assert edit.status_code == 404
        delete = await post_form(
            c, f"/comments/{comment.id}/delete", {}, page=f"/hearings/{scene.hearing.id}"
        )
        assert delete.status_code == 404
    with browsers.use("resident") as c:
        edited = await post_form(c, f"/comments/{comment.id}/edit", {"body": "修改后"})
        assert edited.status_code == 303
        deleted = await post_form(
            c, f"/comments/{comment.id}/delete", {}, page=f"/hearings/{scene.hearing.id}"
        )
        assert deleted.status_code == 303
        page = (await c.get(deleted.headers["location"].split("#")[0] + "?lang=en")).text
    assert "修改后" not in page and "Deleted by its author." in page


async def test_filters_sorting_and_paging_never_fail(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    for query in (
        "?section=abc&stance=evil&sort=x&page=-1",
        f"?section={scene.section_ids[0]}&stance=support&sort=endorsed&page=2",
        "?page=99999999999999",
    ):
        response = await client.get(f"/hearings/{scene.hearing.id}{query}")
        assert response.status_code == 200, query


async def test_the_committee_creates_a_hearing_and_publishes_a_revised_draft(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    await sign_in_chair(client, scene.chair)
    path = f"/consultations/{scene.consultation_id}/hearings/new"
    assert (await client.get(path)).status_code == 200
    bad = await post_form(client, path, {"title": "", "opens_at": "x", "closes_at": "", "body": ""})
    assert bad.status_code == 400
    assert await count(database, Hearing) == 1
    good = await post_form(
        client,
        path,
        {
            "title": "加装电梯方案",
            "opens_at": "2030-01-01T09:00",
            "closes_at": "2030-01-31T18:00",
            "rule_area": "",
            "body": "# 一、范围\n\n三栋楼。\n\n# 二、费用\n\n按楼层分摊。\n",
        },
    )
    assert good.status_code == 303
    new_id = int(good.headers["location"].rsplit("/", 1)[1])
    settings_page = await client.get(f"/hearings/{new_id}/settings")
    assert settings_page.status_code == 200 and "2030-01-01T09:00" in settings_page.text
    revised = await post_form(
        client,
        f"/hearings/{new_id}/versions/new",
        {
            "change_note": "费用改为政府补贴",
            "body": "# 一、范围\n\n三栋楼。\n\n# 二、费用\n\n政府补贴一半。\n",
        },
    )
    assert revised.status_code == 303
    diff = (await client.get(f"/hearings/{new_id}/versions/2")).text
    assert (
        "<ins>" in diff and "政府补贴一半。" in diff and "<del>" in diff and "按楼层分摊。" in diff
    )
    async with database.read() as session:
        versions = (
            await session.exec(select(DocumentVersion).where(DocumentVersion.hearing_id == new_id))
        ).all()
    assert [v.number for v in versions] == [1, 2]
    # Once the window is open the settings are frozen.
    frozen = await client.get(f"/hearings/{scene.hearing.id}/settings")
    assert frozen.status_code == 403
