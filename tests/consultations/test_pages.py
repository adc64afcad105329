"""The consultation pages through HTTP: the list with its filters and pages, the public
page, the committee's form and stage button, following and one-click unsubscribe, and the
poster; each for the right people and refused to the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from litestar.testing import AsyncTestClient
from sqlmodel import select

from deliberate.accounts.auth import Auth
from deliberate.accounts.middleware import SESSION_COOKIE
from deliberate.accounts.models import UserSession
from deliberate.accounts.tokens import session_hash, session_token
from deliberate.config import Settings
from deliberate.consultations import services
from deliberate.consultations.models import Consultation, Follower, StageChange
from deliberate.db import Database
from deliberate.web.i18n import LANG_COOKIE
from tests.support.accounts import csrf_from
from tests.support.hearings import (
    Board,
    areas,
    committee_with,
    consultation,
    consultation_form,
    context,
    count,
    hearing,
    messages,
    resident,
)
from tests.support.html import read_page

pytestmark = pytest.mark.usefixtures("cheap_passwords")
Client = AsyncTestClient[Any]
HOST = "testserver.local"


async def session_cookie(database: Database, auth: Auth, *, second_factor: bool = True) -> str:
    """A fresh server-side session for the person (as if they had signed in)."""
    token, now = session_token(), datetime.now(UTC)
    async with database.write() as session:
        session.add(
            UserSession(
                token_hash=session_hash(token),
                user_id=auth.user.id,  # type: ignore[arg-type]
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=8),
                second_factor_at=now if second_factor else None,
            )
        )
    return token


async def browse_as(client: Client, database: Database, auth: Auth | None) -> None:
    """Switch the client to this person (None: signed out), reading English pages."""
    client.cookies.clear()
    client.cookies.set(LANG_COOKIE, "en", domain=HOST)
    if auth is not None:
        client.cookies.set(SESSION_COOKIE, await session_cookie(database, auth), domain=HOST)


async def submit(client: Client, path: str, data: dict[str, str], *, page: str) -> Any:
    """GET ``page`` for the CSRF token, then POST the form to ``path``."""
    markup = (await client.get(page)).text
    return await client.post(path, data={**data, "_csrf_token": csrf_from(markup)})


async def publish(database: Database, settings: Settings, board: Board, item_id: int) -> None:
    await services.advance(database, context(settings), board.chair, item_id, "draft")


async def draft_of(
    database: Database, board: Board, area_id: int, title: str = "草稿"
) -> Consultation:
    return await services.create(
        database, board.chair, consultation_form(board, area_id, title=title)
    )


def form_values(**changes: str) -> dict[str, str]:
    return {
        "title": "老旧小区改造方案",
        "summary": "## 背景\n\n加装电梯，**更换**管网。",
        "budget": "约120万元",
        "buildings": "1至6号楼",
        "contact": "居委会办公室 8:30-17:00",
        "milestones": "2026-12-01 意见征集开始\n2027-01-15 听证会",
        **changes,
    }


# The list -------------------------------------------------------------------------------


async def test_list_filters_by_area_and_stage_and_pages(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    far = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    made = []
    for n in range(25):
        item = await draft_of(database, board, ids["hx-c1"], title=f"和谐议题{n:02d}")
        await publish(database, settings, board, item.id)  # type: ignore[arg-type]
        made.append(item)
    far_item = await services.create(
        database, far.chair, consultation_form(far, ids["far-c1"], title="远方议题")
    )
    await publish(database, settings, far, far_item.id)  # type: ignore[arg-type]
    deliberating = made[0].id
    assert deliberating is not None
    await services.advance(database, context(settings), board.chair, deliberating, "open")
    await draft_of(database, board, ids["hx-c1"], title="未发布的草稿")

    await browse_as(client, database, None)
    first = await client.get("/consultations")
    assert first.status_code == 200
    page = read_page(first.text)
    assert page.h1 == ["Consultations"]
    assert "26 consultations" in page.text and "page 1 of 2" in page.text
    listed = [link for link in page.links if link.removeprefix("/consultations/").isdigit()]
    assert len(listed) == 20
    assert "/consultations?page=2" in page.links
    assert "未发布的草稿" not in first.text
    second = read_page((await client.get("/consultations?page=2")).text)
    assert "page 2 of 2" in second.text and "/consultations?page=1" in second.links
    titles = [f"和谐议题{n:02d}" for n in range(25)] + ["远方议题"]
    assert sum(title in page.text + second.text for title in titles) == 26

    # An area includes the areas below it; its feed is offered.
    street = read_page((await client.get("/consultations?area=hx")).text)
    assert "25 consultations" in street.text and "远方议题" not in street.text
    assert "/consultations/feed.atom?area=hx" in street.links
    assert "/consultations?area=hx&page=2" in street.links
    elsewhere = read_page((await client.get("/consultations?area=far-c1")).text)
    assert "1 consultation" in elsewhere.text and "远方议题" in elsewhere.text

    moved = read_page((await client.get("/consultations?stage=deliberation")).text)
    assert "1 consultation" in moved.text and "和谐议题00" in moved.text
    none = read_page((await client.get("/consultations?area=far&stage=deliberation")).text)
    assert "0 consultations" in none.text


async def test_list_refuses_bad_parameters_without_an_error(
    client: Client, database: Database
) -> None:
    await browse_as(client, database, None)
    for query in (
        "page=abc",
        "page=0",
        "page=-1",
        "page=99999999999",
        "stage=bogus",
        "area=nowhere",
    ):
        response = await client.get(f"/consultations?{query}")
        assert response.status_code == 400, query
        assert read_page(response.text).h1, query
    assert (await client.get("/consultations?page=2")).status_code == 404  # past the end
    assert (await client.get("/consultations?area=%3Cscript%3E")).status_code == 400


async def test_committee_sees_its_drafts_and_can_start_a_new_one(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    await draft_of(database, board, ids["hx-c1"], title="我们的草稿")

    await browse_as(client, database, board.member)
    mine = read_page((await client.get("/consultations")).text)
    assert "我们的草稿" in mine.text and "/consultations/new" in mine.links
    await browse_as(client, database, other.chair)
    theirs = read_page((await client.get("/consultations")).text)
    assert "我们的草稿" not in theirs.text and "/consultations/new" in theirs.links
    await browse_as(client, database, await resident(database, settings, "r@example.org"))
    public = read_page((await client.get("/consultations")).text)
    assert "我们的草稿" not in public.text and "/consultations/new" not in public.links


# Creating -------------------------------------------------------------------------------


async def test_only_committee_members_reach_the_form(
    client: Client, database: Database, settings: Settings
) -> None:
    await areas(database)
    board = await committee_with(database, settings)
    await browse_as(client, database, None)
    anonymous = await client.get("/consultations/new")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/accounts/login?next=%2Fconsultations%2Fnew"

    await browse_as(client, database, await resident(database, settings, "r@example.org"))
    assert (await client.get("/consultations/new")).status_code == 403
    refused = await client.post("/consultations/new", data=form_values())
    assert refused.status_code == 403  # no CSRF token either

    # Password only, without the second factor: sent to enter the code.
    client.cookies.clear()
    client.cookies.set(
        SESSION_COOKIE,
        await session_cookie(database, board.chair, second_factor=False),
        domain=HOST,
    )
    pending = await client.get("/consultations/new")
    assert pending.headers["location"].startswith("/accounts/login/verify?next=")

    await browse_as(client, database, board.chair)
    response = await client.get("/consultations/new")
    assert response.status_code == 200
    page = read_page(response.text)
    assert page.h1 == ["New consultation"]
    (fields,) = [
        names
        for form, names in zip(page.forms, page.form_fields, strict=True)
        if form.get("action") == "/consultations/new"
    ]
    assert {"committee", "area", "title", "summary", "budget", "buildings", "contact"} <= fields
    assert "和谐街道" in page.text and "幸福社区" in page.text and "远方社区" not in page.text
    for name in ("committee", "area", "title", "summary", "budget", "milestones"):
        assert f'<label for="field-{name}">' in response.text


async def test_bad_input_is_shown_again_with_what_was_typed(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    await browse_as(client, database, board.chair)
    typed = form_values(
        committee=str(board.id),
        area=str(ids["hx-c1"]),
        title="",
        summary="<b>保留</b> 我写的摘要",
        milestones="12月1日 开始",
    )
    response = await submit(client, "/consultations/new", typed, page="/consultations/new")
    assert response.status_code == 400
    assert "Enter a title" in response.text and "one milestone per line" in response.text
    assert "&lt;b&gt;保留&lt;/b&gt; 我写的摘要</textarea>" in response.text
    assert 'value="约120万元"' in response.text and "12月1日 开始</textarea>" in response.text
    assert 'aria-invalid="true"' in response.text and 'href="#field-title"' in response.text
    assert f'<option value="{ids["hx-c1"]}" selected>' in response.text
    assert await count(database, Consultation) == 0


async def test_a_committee_cannot_create_outside_its_area_or_for_another_committee(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    await browse_as(client, database, board.chair)
    elsewhere = await submit(
        client,
        "/consultations/new",
        form_values(committee=str(board.id), area=str(ids["far-c1"])),
        page="/consultations/new",
    )
    assert elsewhere.status_code == 400 and "Choose an area the committee serves" in elsewhere.text
    above = await submit(
        client,
        "/consultations/new",
        form_values(committee=str(board.id), area=str(ids["hx"])),
        page="/consultations/new",
    )
    assert above.status_code == 400
    theirs = await submit(
        client,
        "/consultations/new",
        form_values(committee=str(other.id), area=str(ids["far-c1"])),
        page="/consultations/new",
    )
    assert theirs.status_code == 404
    assert await count(database, Consultation) == 0


async def test_create_publish_and_move_through_the_stages(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    await browse_as(client, database, board.chair)
    created = await submit(
        client,
        "/consultations/new",
        form_values(committee=str(board.id), area=str(ids["hx-c1"])),
        page="/consultations/new",
    )
    assert created.status_code == 303
    async with database.read() as session:
        (item,) = (await session.exec(select(Consultation))).all()
    path = f"/consultations/{item.id}"
    assert created.headers["location"] == f"{path}?created=1"
    assert (item.title, item.budget, item.stage) == ("老旧小区改造方案", "约120万元", "draft")
    shown = await client.get(created.headers["location"])
    assert shown.status_code == 200
    page = read_page(shown.text)
    assert page.h1 == ["老旧小区改造方案"]
    assert "Publish: open for participation" in page.text
    assert f"{path}/edit" in page.links and f"{path}/hearings/new" in page.links
    assert f"{path}/poster.pdf" in page.links

    # A draft is not there for anyone else.
    for someone in (None, await resident(database, settings, "r@example.org"), other.chair):
        await browse_as(client, database, someone)
        assert (await client.get(path)).status_code == 404
        assert (await client.get(f"{path}/poster.pdf")).status_code == 404
    outsider = await submit(client, f"{path}/stage", {"expected": "draft"}, page="/consultations")
    assert outsider.status_code == 404

    await browse_as(client, database, board.member)
    published = await submit(client, f"{path}/stage", {"expected": "draft"}, page=path)
    assert published.headers["location"] == f"{path}?published=1"
    stale = await submit(client, f"{path}/stage", {"expected": "draft"}, page=path)
    assert stale.status_code == 409
    moved = await submit(client, f"{path}/stage", {"expected": "open"}, page=path)
    assert moved.headers["location"] == f"{path}?moved=1"

    await browse_as(client, database, None)
    public = await client.get(path)
    assert public.status_code == 200
    assert '<li class="consultation-step step-current" aria-current="step">' in public.text
    assert public.text.count('aria-current="step"') == 1
    text = read_page(public.text).text
    assert "Under deliberation Current stage" in text and "Closed Not yet" in text
    assert "Open for participation Done" in text
    assert "/hearings/new" not in public.text and "/edit" not in public.text
    async with database.read() as session:
        stages = (
            await session.exec(
                select(StageChange.stage).where(StageChange.consultation_id == item.id)
            )
        ).all()
    assert sorted(stages) == ["deliberation", "draft", "open"]

    await browse_as(client, database, await resident(database, settings, "r2@example.org"))
    refused = await submit(client, f"{path}/stage", {"expected": "deliberation"}, page=path)
    assert refused.status_code == 403


# Editing --------------------------------------------------------------------------------


async def test_edit_for_the_committee_only(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    item = await consultation(database, settings, board)
    hidden = await draft_of(database, board, ids["hx-c1"], title="草稿")
    path = f"/consultations/{item.id}/edit"

    await browse_as(client, database, None)
    assert (await client.get(path)).headers["location"].startswith("/accounts/login?next=")
    await browse_as(client, database, await resident(database, settings, "r@example.org"))
    assert (await client.get(path)).status_code == 403
    await browse_as(client, database, other.chair)
    assert (await client.get(path)).status_code == 403
    assert (await client.get(f"/consultations/{hidden.id}/edit")).status_code == 404

    await browse_as(client, database, board.secretary)
    form = await client.get(path)
    assert form.status_code == 200
    assert read_page(form.text).h1 == ["Edit the consultation"]
    assert 'value="幸福社区停车管理办法"' in form.text and "2026-12-01 意见征集开始" in form.text
    bad = await submit(
        client, path, {"area": str(ids["hx-c1"]), "title": "新标题", "summary": ""}, page=path
    )
    assert bad.status_code == 400 and 'value="新标题"' in bad.text
    moved_away = await submit(
        client,
        path,
        {"area": str(ids["far-c1"]), "title": "新标题", "summary": "摘要"},
        page=path,
    )
    assert moved_away.status_code == 400
    saved = await submit(
        client,
        path,
        {
            "committee": str(other.id),  # ignored: a consultation keeps its committee
            "area": str(ids["hx-c2"]),
            "title": "新标题",
            "summary": "新的摘要",
            "budget": "50万元",
        },
        page=path,
    )
    assert saved.headers["location"] == f"/consultations/{item.id}?saved=1"
    async with database.read() as session:
        stored = await session.get(Consultation, item.id)
    assert stored is not None
    assert (stored.title, stored.area_id, stored.committee_id, stored.budget) == (
        "新标题",
        ids["hx-c2"],
        board.id,
        "50万元",
    )


# The public page ------------------------------------------------------------------------


async def test_the_page_shows_facts_milestones_summary_and_hearings(
    client: Client, database: Database, settings: Settings
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    item = await services.create(
        database,
        board.chair,
        consultation_form(
            board,
            ids["hx-c1"],
            summary=(
                "## 背景\n\n<script>alert(1)</script> [点我](javascript:alert(1)) "
                "{{7*7}} {{ 'tmpl' ~ 'injected' }}"
            ),
            budget="约120万元",
            buildings="1至6号楼",
            contact="居委会办公室",
            milestones="2026-12-01 意见征集开始\n2027-01-15 听证会",
        ),
    )
    await publish(database, settings, board, item.id)  # type: ignore[arg-type]
    made = await hearing(database, board, item.id)  # type: ignore[arg-type]

    await browse_as(client, database, None)
    response = await client.get(f"/consultations/{item.id}")
    assert response.status_code == 200
    page = read_page(response.text)
    assert len(page.h1) == 1 and page.mains == 1
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert 'href="javascript:' not in response.text
    # Shown as typed, never evaluated (the page's own times may contain "49", so the
    # check uses a concatenation whose result cannot appear by chance).
    assert "{{7*7}}" in page.text and "tmplinjected" not in page.text
    assert "<h2>背景</h2>" in response.text
    for fact in ("Budget", "约120万元", "Affected buildings", "1至6号楼", "居委会办公室"):
        assert fact in page.text
    assert '<time datetime="2026-12-01">' in response.text and "听证会" in page.text
    assert f"/hearings/{made.id}" in page.links
    assert "停车管理办法（征求意见稿）" in page.text and "Not open yet" in page.text
    assert '<th scope="col">' in response.text and '<th scope="row">' in response.text
    # Nothing that does not exist yet is offered.
    for missing in ("/forums", "/polls", "/minutes", "/decisions"):
        assert not any(link.startswith(missing) for link in page.links)
    assert f"/accounts/login?next=/consultations/{item.id}" in page.links
    assert "/follow" not in response.text

    assert (await client.get("/consultations/999999")).status_code == 404


# Following ------------------------------------------------------------------------------


async def test_follow_unfollow_and_unsubscribe_in_one_click(
    client: Client, database: Database, settings: Settings
) -> None:
    await areas(database)
    board = await committee_with(database, settings)
    item = await consultation(database, settings, board)
    path = f"/consultations/{item.id}"
    alice = await resident(database, settings, "alice@example.org")

    await browse_as(client, database, None)
    anonymous = await submit(client, f"{path}/follow", {}, page=path)
    assert anonymous.headers["location"].startswith("/accounts/login?next=")
    unconfirmed = await resident(database, settings, "u@example.org", confirmed=False)
    await browse_as(client, database, unconfirmed)
    assert "/accounts/confirm" in read_page((await client.get(path)).text).links
    assert (await submit(client, f"{path}/follow", {}, page=path)).headers[
        "location"
    ] == "/accounts/confirm"

    await browse_as(client, database, alice)
    followed = await submit(client, f"{path}/follow", {}, page=path)
    assert followed.headers["location"] == f"{path}?followed=1"
    again = await submit(client, f"{path}/follow", {}, page=path)
    assert again.status_code == 303  # following twice is following
    page = await client.get(f"{path}?followed=1")
    assert f'action="{path}/unfollow"' in page.text and 'role="status"' in page.text
    assert await count(database, Follower) == 1

    unfollowed = await submit(client, f"{path}/unfollow", {}, page=path)
    assert unfollowed.headers["location"] == f"{path}?unfollowed=1"
    assert await count(database, Follower) == 0
    await submit(client, f"{path}/follow", {}, page=path)

    # A new stage: a message with the one-click link; it works signed out.
    await services.advance(database, context(settings), board.chair, item.id, "open")  # type: ignore[arg-type]
    (message,) = await messages(database, "alice@example.org")
    link = next(word for word in message.body.split() if "/consultations/unsubscribe/" in word)
    unsubscribe = link[link.index("/consultations/unsubscribe/") :]
    await browse_as(client, database, None)
    confirm = await client.get(unsubscribe)
    assert confirm.status_code == 200
    confirm_page = read_page(confirm.text)
    assert {"action": unsubscribe, "method": "post"} in confirm_page.forms
    assert item.title in confirm_page.text
    assert await count(database, Follower) == 1  # looking does not unsubscribe
    done = await submit(client, unsubscribe, {}, page=unsubscribe)
    assert done.status_code == 200
    assert f"You will no longer receive messages about “{item.title}”" in done.text
    assert await count(database, Follower) == 0
    used = await client.get(unsubscribe)
    assert used.status_code == 404 and len(read_page(used.text).h1) == 1
    csrf = csrf_from(used.text)
    assert (await client.post(unsubscribe, data={"_csrf_token": csrf})).status_code == 404
    assert (await client.get("/consultations/unsubscribe/" + "x" * 500)).status_code == 404


# The poster -----------------------------------------------------------------------------


async def test_the_poster_is_a_pdf_with_the_title(
    client: Client, database: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = await areas(database)
    board = await committee_with(database, settings)
    item = await consultation(database, settings, board)
    hidden = await draft_of(database, board, ids["hx-c1"], title="未发布")
    await browse_as(client, database, None)
    response = await client.get(f"/consultations/{item.id}/poster.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert (
        response.headers["content-disposition"] == f'inline; filename="consultation-{item.id}.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    path = tmp_path / "poster.pdf"
    path.write_bytes(response.content)
    text = (await anyio.run_process(["pdftotext", str(path), "-"])).stdout.decode()
    flat = "".join(text.split())
    assert item.title in flat
    assert f"{settings.public_url}/consultations/{item.id}" in flat
    assert (await client.get(f"/consultations/{hidden.id}/poster.pdf")).status_code == 404
    await browse_as(client, database, board.chair)
    assert (await client.get(f"/consultations/{hidden.id}/poster.pdf")).status_code == 200
