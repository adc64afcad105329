"""Sessions of the in-person hearing through HTTP: scheduling, the record kept by the
chair or secretary, hidden from the public until it is closed and fixed afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from deliberate.hearings import speakers
from deliberate.hearings.forms import CallInput
from deliberate.hearings.models import HearingSession, SpeakerApplication, Statement
from tests.hearings.test_speaker_pages import (
    EN,
    World,
    auth_of,
    build_world,
    member,
    past_two_factor,
    resident,
    unpublished_hearing,
)
from tests.support.accounts import Browsers, post_form, sign_in
from tests.support.html import read_page

SESSION = {
    "starts_at": "2026-12-01T09:30",
    "place": "居委会三楼会议室",
    "agenda": "1. 开场\n2. 发言",
}


async def drawn_speaker(database: Any, person: Any, world: World) -> Any:
    """A call with one seat, one applicant, drawn (time passed with ``now=``)."""
    now = datetime.now(UTC)
    alice = await resident(database, person, "alice@example.org", world.community_id)
    await speakers.open_call(
        database,
        world.chair_auth,
        world.hearing_id,
        CallInput(1, {}, now + timedelta(hours=1), "福利彩票双色球第2026050期"),
        now=now,
    )
    await speakers.apply(
        database, auth_of(alice.user), world.hearing_id, "oppose", "保留绿地。", now=now
    )
    await speakers.publish_list(
        database, world.chair_auth, world.hearing_id, now=now + timedelta(hours=2)
    )
    await speakers.draw(
        database,
        world.ctx,
        world.chair_auth,
        world.hearing_id,
        "03 07 12 19 26 31 + 09",
        now=now + timedelta(hours=3),
    )
    return alice


async def statements(database: Any) -> list[Statement]:
    async with database.read() as session:
        return list((await session.exec(select(Statement))).all())


async def test_scheduling_is_for_the_committee(client, person, database, settings) -> None:
    client.headers.update(EN)
    world = await build_world(database, settings, person)
    new = f"/hearings/{world.hearing_id}/sessions/new"
    browsers = Browsers(client)

    signed_out = await client.get(new)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/accounts/login")
    someone = await resident(database, person, "resident@example.org", world.community_id)
    with browsers.use("resident") as browser:
        await sign_in(browser, someone)
        assert (await browser.get(new)).status_code == 403
        refused = await post_form(browser, new, SESSION, page=world.speakers)
        assert refused.status_code == 403
        refused = await post_form(browser, new, {**SESSION, "place": ""}, page=world.speakers)
        assert refused.status_code == 403
        hidden = await unpublished_hearing(database, world)
        assert (await browser.get(f"/hearings/{hidden}/sessions/new")).status_code == 404

    with browsers.use("chair") as browser:
        await past_two_factor(browser, world.chair)
        form = await browser.get(new)
        assert form.status_code == 200
        page = read_page(form.text)
        assert len(page.h1) == 1
        actions = [f.get("action") for f in page.forms]
        assert {"starts_at", "place", "agenda"} <= page.form_fields[actions.index(new)]
        bad = await post_form(browser, new, {**SESSION, "place": "", "starts_at": "soon"})
        assert bad.status_code == 400
        assert "1. 开场" in bad.text  # what was typed is kept
        async with database.read() as session:
            assert (await session.exec(select(HearingSession))).first() is None
        made = await post_form(browser, new, SESSION)
        assert made.status_code == 303
        location = made.headers["location"]
        assert location.startswith("/hearings/sessions/")
        listing = await browser.get(world.speakers)
        assert location.split("?")[0] in read_page(listing.text).links


async def test_the_record_from_draft_to_public(client, person, database, settings) -> None:
    client.headers.update(EN)
    world = await build_world(database, settings, person)
    alice = await drawn_speaker(database, person, world)
    browsers = Browsers(client)
    with browsers.use("chair") as browser:
        await past_two_factor(browser, world.chair)
        made = await post_form(
            browser, f"/hearings/{world.hearing_id}/sessions/new", SESSION, page=world.speakers
        )
    path = made.headers["location"].split("?")[0]
    async with database.read() as session:
        (sitting,) = (await session.exec(select(HearingSession))).all()
        (application,) = (await session.exec(select(SpeakerApplication))).all()

    public = await client.get(path)
    assert public.status_code == 200
    text = read_page(public.text).text
    assert "居委会三楼会议室" in text and "开场" in text
    assert "The record will be published after the session." in text
    assert "/statements" not in public.text

    with browsers.use("chair") as browser:
        page = await browser.get(path)
        assert f'action="{path}/statements"' in page.text
        assert "Speaker 1 — Resident " in page.text  # the drawn speaker to choose
        empty = await post_form(
            browser, f"{path}/statements", {"summary": "", "spoken_at": ""}, page=path
        )
        assert empty.status_code == 400
        assert await statements(database) == []
        undrawn = await post_form(
            browser,
            f"{path}/statements",
            {"application": "99999", "spoken_at": "2026-12-01T09:40", "summary": "某项意见"},
            page=path,
        )
        assert undrawn.status_code == 400 and "某项意见" in undrawn.text
        for form in (
            {
                "application": str(application.id),
                "spoken_at": "2026-12-01T09:40",
                "summary": "反对拆除绿地，建议保留两棵老树。",
            },
            {"speaker": "设计院工程师", "spoken_at": "2026-12-01T09:50", "summary": "解释方案。"},
        ):
            added = await post_form(browser, f"{path}/statements", form, page=path)
            assert added.status_code == 303, added.text
        counted = await post_form(
            browser,
            f"{path}/attendance",
            {"attendance": "86", "attendance_note": "含居民代表"},
            page=path,
        )
        assert counted.status_code == 303
        wrong = await post_form(browser, f"{path}/attendance", {"attendance": "很多"}, page=path)
        assert wrong.status_code == 400
        draft = read_page((await browser.get(path)).text).text
        assert "反对拆除绿地" in draft and "Draft: only the committee" in draft

    plain = await member(database, person, "member@example.org", "member")
    with browsers.use("member") as browser:
        await past_two_factor(browser, plain)
        page = await browser.get(path)
        assert page.status_code == 200 and "/statements" not in page.text
        refused = await post_form(
            browser,
            f"{path}/statements",
            {"speaker": "我", "spoken_at": "2026-12-01T10:00", "summary": "补充。"},
            page=path,
        )
        assert refused.status_code == 403
        refused = await post_form(browser, f"{path}/statements", {"summary": ""}, page=path)
        assert refused.status_code == 403
        assert (await post_form(browser, f"{path}/close", {}, page=path)).status_code == 403
    with browsers.use("alice") as browser:
        await sign_in(browser, alice)
        hidden = await browser.get(path)
        assert "反对拆除绿地" not in hidden.text
        refused = await post_form(browser, f"{path}/attendance", {"attendance": "1"}, page=path)
        assert refused.status_code == 403
    assert "反对拆除绿地" not in (await client.get(path)).text
    assert len(await statements(database)) == 2

    with browsers.use("chair") as browser:
        page = await browser.get(path)
        assert "becomes public" in read_page(page.text).text
        closed = await post_form(browser, f"{path}/close", {}, page=path)
        assert closed.status_code == 303
        late = await post_form(
            browser,
            f"{path}/statements",
            {"speaker": "迟到者", "spoken_at": "2026-12-01T11:00", "summary": "补充。"},
            page=path,
        )
        assert late.status_code == 403
        late = await post_form(browser, f"{path}/statements", {"summary": ""}, page=path)
        assert late.status_code == 403
        page = await browser.get(path)
        assert "/statements" not in page.text and "/close" not in page.text

    public = read_page((await client.get(path)).text).text
    assert "反对拆除绿地，建议保留两棵老树。" in public and "设计院工程师" in public
    assert "Speaker 1 — Resident " in public and "alice@example.org" not in public
    assert "86 people present" in public and "含居民代表" in public
    assert "The record will be published" not in public
    assert len(await statements(database)) == 2
    assert sitting.id is not None
    assert (await client.get("/hearings/sessions/99999")).status_code == 404
