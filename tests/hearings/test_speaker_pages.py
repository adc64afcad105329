"""The call for speakers through HTTP: the page for each role, the whole lottery from the
call to the draw (re-run with docs/rerun_lottery.py), bad input, the poster, the record
as JSON and the script download."""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import update
from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.accounts.services import Context
from deliberate.accounts.tokens import Keys
from deliberate.config import Settings
from deliberate.consultations import services as consultation_services
from deliberate.consultations.forms import ConsultationInput
from deliberate.db import Database
from deliberate.hearings import services as hearing_services
from deliberate.hearings.forms import HearingInput, parse_draft
from deliberate.hearings.models import SpeakerApplication, SpeakerCall
from deliberate.identity.models import Area, Committee, Verification
from deliberate.identity.services import upsert_area
from deliberate.web.inputs import local_input
from tests.support.accounts import Browsers, Person, post_form, sign_in
from tests.support.html import read_page

REPO = Path(__file__).resolve().parents[2]
RERUN = REPO / "docs" / "rerun_lottery.py"
COMMITTEE = "测试居委会"
EN = {"Accept-Language": "en"}


@dataclass
class World:
    """A published consultation with a hearing whose rule admits verified residents of
    the community 幸福社区; its committee's chair."""

    settings: Settings
    chair: Person
    chair_auth: Auth
    ctx: Context
    consultation_id: int
    hearing_id: int
    community_id: int
    far_id: int

    @property
    def speakers(self) -> str:
        return f"/hearings/{self.hearing_id}/speakers"


def auth_of(user: User, *, committee: bool = False) -> Auth:
    """What the session middleware would load, for calling services directly."""
    now = datetime.now(UTC)
    session = UserSession(
        token_hash="test",
        user_id=user.id,  # type: ignore[arg-type]
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=8),
        second_factor_at=now if committee else None,
    )
    return Auth(user, session, committee_member=committee, officer=False)


async def build_world(database: Database, settings: Settings, person: Any) -> World:
    chair = await person("chair@example.org", committee_role="chair", totp=True, locale="en")
    async with database.write() as session:
        await upsert_area(
            session, code="demo-c1", name="幸福社区", kind="community", parent_code="demo"
        )
        await upsert_area(session, code="far", name="远方市", kind="city")
        await upsert_area(
            session, code="far-c1", name="远方社区", kind="community", parent_code="far"
        )
    async with database.read() as session:
        areas = {a.code: a.id for a in (await session.exec(select(Area))).all()}
        committee = (await session.exec(select(Committee))).one()
    chair_auth = auth_of(chair.user, committee=True)
    ctx = Context(keys=Keys(settings.secret_key), development=True, site_url="https://t.local")
    consultation = await consultation_services.create(
        database,
        chair_auth,
        ConsultationInput(
            committee_id=committee.id,  # type: ignore[arg-type]
            area_id=areas["demo"],
            title="幸福小区改造方案",
            summary="改造方案征求意见。",
            budget="",
            buildings="",
            contact="",
            milestones=(),
        ),
    )
    await consultation_services.advance(database, ctx, chair_auth, consultation.id, "draft")  # type: ignore[arg-type]
    hearing_id = await make_hearing(database, chair_auth, consultation.id, areas["demo-c1"])  # type: ignore[arg-type]
    return World(
        settings,
        chair,
        chair_auth,
        ctx,
        consultation.id,  # type: ignore[arg-type]
        hearing_id,
        areas["demo-c1"],
        areas["far-c1"],
    )


async def make_hearing(database: Database, auth: Auth, consultation_id: int, area_id: int) -> int:
    now = datetime.now(UTC)
    hearing = await hearing_services.create(
        database,
        auth,
        consultation_id,
        HearingInput(
            title="改造方案听证会",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            rule_area_id=area_id,
            min_age=None,
        ),
        parse_draft({"body": "# 总则\n\n加装电梯。"}, note_required=False),
    )
    return hearing.id  # type: ignore[return-value]


async def unpublished_hearing(database: Database, world: World) -> int:
    draft = await consultation_services.create(
        database,
        world.chair_auth,
        ConsultationInput(
            committee_id=(await committee_of(database)).id,  # type: ignore[arg-type]
            area_id=world.community_id,
            title="尚未公开的事项",
            summary="草稿。",
            budget="",
            buildings="",
            contact="",
            milestones=(),
        ),
    )
    return await make_hearing(database, world.chair_auth, draft.id, world.community_id)  # type: ignore[arg-type]


async def committee_of(database: Database) -> Committee:
    async with database.read() as session:
        return (await session.exec(select(Committee))).one()


async def verify(database: Database, someone: Person, area_id: int) -> None:
    async with database.write() as session:
        session.add(
            Verification(
                user_id=someone.user.id,  # type: ignore[arg-type]
                area_id=area_id,
                method="in_person",
                verified_at=datetime.now(UTC) - timedelta(days=1),
            )
        )


async def resident(database: Database, person: Any, login: str, area_id: int | None) -> Person:
    """A confirmed resident, verified in ``area_id`` when given."""
    someone = await person(login, locale="en")
    if area_id is not None:
        await verify(database, someone, area_id)
    return someone


async def past_two_factor(client: Any, someone: Person) -> None:
    await sign_in(client, someone)
    verified = await post_form(client, "/accounts/login/verify", {"code": someone.totp_code()})
    assert verified.status_code == 303, verified.text


async def member(database: Database, person: Any, login: str, role: str) -> Person:
    return await person(
        login, committee_role=role, committee_name=COMMITTEE, totp=True, locale="en"
    )


def local_in(settings: Settings, delta: timedelta) -> str:
    return local_input(datetime.now(UTC) + delta, settings.tz)


def call_form(settings: Settings, **changes: str) -> dict[str, str]:
    return {
        "seats": "2",
        "quota_oppose": "1",
        "applications_close_at": local_in(settings, timedelta(days=2)),
        "value_source": "福利彩票双色球第2026050期开奖号码",
        **changes,
    }


async def the_call(database: Database, hearing_id: int) -> SpeakerCall | None:
    async with database.read() as session:
        return (
            await session.exec(select(SpeakerCall).where(SpeakerCall.hearing_id == hearing_id))
        ).first()


async def close_applications(database: Database, hearing_id: int) -> None:
    """Let the application window pass (the service refuses a closing time in the past)."""
    async with database.write() as session:
        await session.exec(
            update(SpeakerCall)
            .where(col(SpeakerCall.hearing_id) == hearing_id)
            .values(applications_close_at=datetime.now(UTC) - timedelta(minutes=1))
        )


def text_of(response: Any) -> str:
    return read_page(response.text).text


async def test_pages_without_a_call_for_each_role(client, person, database, settings) -> None:
    client.headers.update(EN)
    world = await build_world(database, settings, person)
    hidden = await unpublished_hearing(database, world)
    browsers = Browsers(client)

    anonymous = await client.get(world.speakers)
    assert anonymous.status_code == 200
    page = read_page(anonymous.text)
    assert len(page.h1) == 1 and page.mains == 1
    assert "There is no call for speakers yet." in page.text
    assert not any(f.get("action", "").endswith("/speakers/call") for f in page.forms)
    assert (await client.get(f"/hearings/{hidden}/speakers")).status_code == 404
    assert (await client.get("/hearings/99999/speakers")).status_code == 404

    plain = await resident(database, person, "plain@example.org", None)
    with browsers.use("resident") as browser:
        await sign_in(browser, plain)
        seen = await browser.get(world.speakers)
        assert seen.status_code == 200 and "There is no call for speakers yet." in text_of(seen)
        assert "/speakers/call" not in seen.text
        assert (await browser.get(f"/hearings/{hidden}/speakers")).status_code == 404
        refused = await post_form(
            browser, f"{world.speakers}/call", call_form(settings), page=world.speakers
        )
        assert refused.status_code == 403
        # Invalid input from someone who was never offered the form: still refused.
        refused = await post_form(
            browser, f"{world.speakers}/call", call_form(settings, seats="0"), page=world.speakers
        )
        assert refused.status_code == 403

    with browsers.use("chair") as browser:
        await past_two_factor(browser, world.chair)
        seen = await browser.get(world.speakers)
        assert seen.status_code == 200
        page = read_page(seen.text)
        (form,) = [f for f in page.forms if f.get("action") == f"{world.speakers}/call"]
        assert {"seats", "quota_oppose", "applications_close_at", "value_source"} <= (
            page.form_fields[page.forms.index(form)]
        )
        assert (await browser.get(f"/hearings/{hidden}/speakers")).status_code == 200

    plain_member = await member(database, person, "member@example.org", "member")
    with browsers.use("member") as browser:
        await past_two_factor(browser, plain_member)
        seen = await browser.get(world.speakers)
        assert f'action="{world.speakers}/call"' in seen.text  # every member manages the call

    assert (await client.get(f"/api/v1/hearings/{world.hearing_id}/lottery")).status_code == 404
    assert (await client.get(f"{world.speakers}/poster.pdf")).status_code == 404


async def test_the_whole_lottery_through_http(client, person, database, settings, tmp_path) -> None:
    client.headers.update(EN)
    world = await build_world(database, settings, person)
    browsers = Browsers(client)
    path = world.speakers

    with browsers.use("chair") as browser:
        await past_two_factor(browser, world.chair)
        opened = await post_form(browser, f"{path}/call", call_form(settings), page=path)
        assert opened.status_code == 303 and opened.headers["location"].startswith(path)
        seen = text_of(await browser.get(path))
        assert "福利彩票双色球第2026050期开奖号码" in seen
        assert "1 for “Oppose”" in seen
        early = await post_form(browser, f"{path}/publish", {}, page=path)
        assert early.status_code == 403  # applications are still open

    people = {}
    for name, stance in (("alice", "oppose"), ("carol", "support"), ("dave", "question")):
        someone = await resident(database, person, f"{name}@example.org", world.community_id)
        people[name] = someone
        with browsers.use(name) as browser:
            await sign_in(browser, someone)
            page = await browser.get(path)
            assert "You may take part." in text_of(page)
            assert f'action="{path}/apply"' in page.text
            applied = await post_form(
                browser,
                f"{path}/apply",
                {"stance": stance, "summary": f"{name} 希望加装电梯时保留绿地。"},
                page=path,
            )
            assert applied.status_code == 303, applied.text
            mine = text_of(await browser.get(path))
            assert "Your application" in mine and f"{name} 希望加装电梯时保留绿地。" in mine

    erin = await resident(database, person, "erin@example.org", world.community_id)
    with browsers.use("erin") as browser:
        await sign_in(browser, erin)
        empty = await post_form(browser, f"{path}/apply", {"summary": ""}, page=path)
        assert empty.status_code == 400
        assert "Choose your stance." in text_of(empty)
        long = await post_form(
            browser, f"{path}/apply", {"stance": "support", "summary": "长" * 501}, page=path
        )
        assert long.status_code == 400 and "长" * 501 in long.text  # what was typed is kept
        await post_form(browser, f"{path}/apply", {"stance": "support", "summary": "x"}, page=path)
        withdrawn = await post_form(browser, f"{path}/withdraw", {}, page=path)
        assert withdrawn.status_code == 303
        assert "You withdrew your application" in text_of(await browser.get(path))

    far = await resident(database, person, "far@example.org", world.far_id)
    unverified = await resident(database, person, "bob@example.org", None)
    for name, someone, reason in (
        ("far", far, "Your verified address is not in this area."),
        ("bob", unverified, "Verify where you live first."),
    ):
        with browsers.use(name) as browser:
            await sign_in(browser, someone)
            page = await browser.get(path)
            assert reason in text_of(page)
            assert f'action="{path}/apply"' not in page.text
            refused = await post_form(
                browser,
                f"{path}/apply",
                {"stance": "support", "summary": "我也想发言。"},
                page=path,
            )
            assert refused.status_code == 403
            assert "The hearing's rule does not include you." in text_of(refused)

    assert "3 people have applied so far." in text_of(await client.get(path))
    anonymous_post = await post_form(client, f"{path}/apply", {"stance": "support"}, page=path)
    assert anonymous_post.status_code == 303
    assert anonymous_post.headers["location"].startswith("/accounts/login")

    await close_applications(database, world.hearing_id)
    with browsers.use("alice") as browser:
        late = await post_form(
            browser, f"{path}/apply", {"stance": "support", "summary": "改一下"}, page=path
        )
        assert late.status_code == 403
    with browsers.use("chair") as browser:
        published = await post_form(browser, f"{path}/publish", {}, page=path)
        assert published.status_code == 303
    call = await the_call(database, world.hearing_id)
    assert call is not None and call.commitment and call.secret
    public = await client.get(path)
    seen = text_of(public)
    assert call.commitment in seen and call.applicants_sha256 in seen  # type: ignore[operator]
    assert call.secret not in public.text
    for name in people:
        assert f"{name} 希望加装电梯时保留绿地。" in seen
    assert "alice@example.org" not in public.text
    record = (await client.get(f"/api/v1/hearings/{world.hearing_id}/lottery")).json()
    assert record["commitment"] == call.commitment and record["secret"] is None
    assert record["selected"] is None and len(record["applicants"]) == 3
    with browsers.use("erin") as browser:
        assert (await post_form(browser, f"{path}/withdraw", {}, page=path)).status_code == 403

    with browsers.use("chair") as browser:
        empty = await post_form(browser, f"{path}/draw", {"public_value": "  "}, page=path)
        assert empty.status_code == 400
        assert f'action="{path}/draw"' in empty.text
        assert (await the_call(database, world.hearing_id)).drawn_at is None  # type: ignore[union-attr]
        drawn = await post_form(
            browser, f"{path}/draw", {"public_value": "03 07 12 19 26 31 + 09"}, page=path
        )
        assert drawn.status_code == 303
        again = await post_form(browser, f"{path}/draw", {"public_value": "1 2 3"}, page=path)
        assert again.status_code == 409

    call = await the_call(database, world.hearing_id)
    public = text_of(await client.get(path))
    assert call.secret in public and "03 07 12 19 26 31 + 09" in public  # type: ignore[union-attr,operator]
    assert "The speakers, in speaking order" in public and "Waiting list" in public

    async with database.read() as session:
        rows = (await session.exec(select(SpeakerApplication))).all()
    seats = {a.user_id: a.seat for a in rows}
    assert sorted(s for s in seats.values() if s) == [1, 2]
    for name, someone in people.items():
        with browsers.use(name) as browser:
            mine = text_of(await browser.get(path))
        seat = seats[someone.user.id]
        if seat:
            assert f"You were drawn: speaker {seat}." in mine
        else:
            assert "You are number 1 on the waiting list." in mine

    response = await client.get(f"/api/v1/hearings/{world.hearing_id}/lottery")
    assert response.status_code == 200
    record = response.json()
    assert record["secret"] == call.secret and len(record["selected"]) == 2  # type: ignore[union-attr]
    assert len(record["reserve"]) == 1
    target = tmp_path / "record.json"
    target.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    rerun = await anyio.run_process([sys.executable, str(RERUN), str(target)], check=False)
    assert rerun.returncode == 0, (rerun.stdout + rerun.stderr).decode()


async def test_bad_call_input_is_kept_and_nothing_is_written(
    client, person, database, settings
) -> None:
    client.headers.update(EN)
    world = await build_world(database, settings, person)
    path = world.speakers
    await past_two_factor(client, world.chair)
    cases = (
        call_form(settings, seats="0", value_source="彩票 A"),
        call_form(settings, seats="2", quota_oppose="2", quota_support="1", value_source="彩票 B"),
        call_form(settings, applications_close_at=local_in(settings, -timedelta(hours=1))),
        call_form(settings, value_source=""),
        call_form(settings, quota_question="x"),
    )
    for form in cases:
        response = await post_form(client, f"{path}/call", form, page=path)
        assert response.status_code == 400, form
        page = read_page(response.text)
        assert len(page.h1) == 1
        assert "Please correct the following" in page.text
        if form["value_source"]:
            assert form["value_source"] in response.text  # what was typed is kept
    assert await the_call(database, world.hearing_id) is None

    await post_form(client, f"{path}/call", call_form(settings), page=path)
    changed = await post_form(client, f"{path}/call", call_form(settings, seats="3"), page=path)
    assert changed.status_code == 303
    assert (await the_call(database, world.hearing_id)).seats == 3  # type: ignore[union-attr]
    markup = (await client.get(path)).text
    assert 'name="seats" type="text" value="3"' in markup  # the form shows the call


async def test_poster_script_and_record(client, person, database, settings) -> None:
    world = await build_world(database, settings, person)
    await past_two_factor(client, world.chair)
    await post_form(client, f"{world.speakers}/call", call_form(settings), page=world.speakers)

    poster = await client.get(f"{world.speakers}/poster.pdf")
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "application/pdf"
    assert poster.headers["content-disposition"].startswith("inline")
    assert poster.content.startswith(b"%PDF-")

    script = await client.get("/hearings/lottery/rerun_lottery.py")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/x-python")
    assert script.headers["content-disposition"] == 'attachment; filename="rerun_lottery.py"'
    assert script.content == RERUN.read_bytes()

    record = await client.get(f"/api/v1/hearings/{world.hearing_id}/lottery")
    assert record.status_code == 200
    assert record.json()["applicants"] == [] and record.json()["commitment"] is None
    missing = await client.get("/api/v1/hearings/99999/lottery")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")

    hidden = await unpublished_hearing(database, world)
    hidden_path = f"/hearings/{hidden}/speakers"
    await post_form(client, f"{hidden_path}/call", call_form(settings), page=hidden_path)
    assert await the_call(database, hidden) is not None  # the committee works on it unpublished
    assert (await client.get(f"/api/v1/hearings/{hidden}/lottery")).status_code == 404
    client.cookies.clear()
    assert (await client.get(f"{hidden_path}/poster.pdf")).status_code == 404

    schema = (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/hearings/{id}/lottery" in schema["paths"]


def test_the_wheel_carries_the_rerun_script() -> None:
    """docs/ is not a package: pyproject's force-include puts the script where
    deliberate.resources finds it in an installed wheel."""
    with open(REPO / "pyproject.toml", "rb") as file:
        pyproject = tomllib.load(file)
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included["docs/rerun_lottery.py"] == "deliberate/_resources/docs/rerun_lottery.py"
