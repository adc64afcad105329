"""The poll pages through HTTP, as the committee, voters and officers use them: create and
freeze a poll, vote with each method (ballot form → confirmation → cast → receipt), the
refusals on the way (bad ballots, tampered hidden fields, a second vote), results hidden
until closing and shown after, the bulletin board, the paper booth, and who may do what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from markupsafe import escape
from sqlalchemy import update
from sqlmodel import col, select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.identity.models import AreaOfficer, Committee
from deliberate.mail.models import OutboxMessage
from deliberate.polls import services
from deliberate.polls.models import Ballot, Poll, PollOption, VoterRoll
from tests.support.accounts import Browsers, Person, csrf_from, make_person, post_form, sign_in
from tests.support.hearings import (
    AFTER,
    DURING,
    Board,
    areas,
    auth_for,
    consultation,
    count,
    verify,
)
from tests.support.polls import METHODS, form_for, make_poll, many_residents, poll_form

pytestmark = pytest.mark.usefixtures("cheap_passwords")

COMMITTEE = "和谐街道居委会"
RECEIPT = re.compile(r'class="digest receipt-code">([0-9a-f]{64})<')


@dataclass
class Scene:
    ids: dict[str, int]
    chair: Person
    resident: Person  # verified in 幸福社区
    neighbour: Person  # verified in 幸福社区
    other: Person  # confirmed, not verified
    board: Board
    consultation_id: int


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
    neighbour = await make_person(database, settings, "13800138000", locale="en")
    await verify(database, neighbour.user, ids["hx-c1"])
    other = await make_person(database, settings, "other@example.org")
    chair_auth = await auth_for(database, chair.user)
    async with database.read() as session:
        committee = (await session.exec(select(Committee))).one()
    board = Board(committee, chair_auth, chair_auth, chair_auth)
    item = await consultation(database, settings, board)
    return Scene(ids, chair, resident, neighbour, other, board, item.id)  # type: ignore[arg-type]


async def sign_in_with_code(client: AsyncTestClient[Any], person: Person) -> None:
    await sign_in(client, person)
    response = await post_form(client, "/accounts/login/verify", {"code": person.totp_code()})
    assert response.status_code == 303


async def english(client: AsyncTestClient[Any]) -> None:
    await client.get("/?lang=en")


def window_now() -> dict[str, str]:
    """A voting window open now (the pages use the real clock)."""
    now = datetime.now(UTC)
    return {
        "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }


async def create_poll_by_form(
    client: AsyncTestClient[Any], scene: Scene, method: str, **changes: str
) -> int:
    form = poll_form(method, rule_area_id=scene.ids["hx-c1"], **changes)
    form.update(window_now())
    path = f"/consultations/{scene.consultation_id}/polls/new"
    response = await post_form(client, path, form)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/polls/(\d+)\?created=1", response.headers["location"])
    assert match
    return int(match.group(1))


async def option_ids(database: Database, poll_id: int) -> list[int]:
    async with database.read() as session:
        rows = await session.exec(
            select(PollOption.id)
            .where(PollOption.poll_id == poll_id)
            .order_by(col(PollOption.position))
        )
        return list(rows.all())  # type: ignore[arg-type]


def good_choice(method: str, ids: list[int]) -> Any:
    return {
        "single": ids[1],
        "approval": [ids[0], ids[2]],
        "ranked": [ids[2], ids[0]],
        "score": {str(o): n for o, n in zip(ids, (5, 0, 3), strict=False)},
        "budget": [ids[0], ids[1]],  # 40,000 + 30,000 of 100,000
    }[method]


def bad_ballots(method: str, ids: list[int]) -> list[tuple[dict[str, str], str]]:
    """Ballot forms that must be refused, with (part of) the message each gets."""
    if method == "single":
        return [({}, "Choose one option.")]
    if method == "approval":
        return [
            ({f"option-{o}": "yes" for o in ids[:3]}, "Choose at most 2 options; you chose 3."),
            ({}, "Choose at least one option."),
        ]
    if method == "ranked":
        return [
            ({"rank-1": str(ids[0]), "rank-2": str(ids[0])}, "An option is ranked twice."),
            ({"rank-1": "", "rank-2": str(ids[0])}, "Fill the ranks in order, without gaps."),
            ({}, "Rank at least one option."),
        ]
    if method == "score":
        return [
            ({f"score-{ids[0]}": "5", f"score-{ids[1]}": "2"}, "from 0 to 5 stars"),
            ({f"score-{o}": "6" for o in ids}, "from 0 to 5 stars"),
        ]
    return [
        (
            {f"option-{o}": "yes" for o in (ids[0], ids[1], ids[3])},
            "more than the budget of",
        ),
        ({}, "Choose at least one option."),
    ]


def tampered(method: str, ids: list[int]) -> dict[str, str]:
    """The confirmation page's hidden fields, edited to name an option not in the poll."""
    fields = form_for(method, good_choice(method, ids))
    if method == "single":
        return {"choice": "999999"}
    if method == "score":
        fields[f"score-{ids[0]}"] = "9"
        return fields
    if method == "ranked":
        return {**fields, "rank-1": "999999"}
    return {**fields, "option-999999": "yes"}


def kept(method: str, form: dict[str, str], page: str) -> bool:
    """Is what the voter chose still chosen on the form that came back?"""
    for name, value in form.items():
        if method == "ranked":
            pattern = rf'<select id="{name}" name="{name}">.*?<option value="{value}" selected>'
            if value and not re.search(pattern, page, re.S):
                return False
        elif method in ("approval", "budget"):
            if f'name="{name}" value="yes" checked' not in page:
                return False
        elif method == "score":
            if (
                f'name="{name}" value="{value}" checked' not in page
                and value.isdigit()
                and int(value) <= 5
            ):
                return False
    return True


async def close_now(database: Database, poll_id: int) -> None:
    """Move the closing time into the past, then close as the server does by itself."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    async with database.write() as session:
        await session.exec(update(Poll).where(col(Poll.id) == poll_id).values(closes_at=past))  # type: ignore[call-overload]
    await services.close(database, None, poll_id)


# -- the whole flow, per method ----------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
async def test_create_freeze_vote_confirm_cast_and_check_the_receipt(
    client: AsyncTestClient[Any], scene: Scene, database: Database, method: str
) -> None:
    browsers = Browsers(client)
    with browsers.use("chair") as c:
        await sign_in_with_code(c, scene.chair)
        poll_id = await create_poll_by_form(c, scene, method)
        page = (await c.get(f"/polls/{poll_id}")).text
        assert f'action="/polls/{poll_id}/freeze"' in page
        frozen = await post_form(c, f"/polls/{poll_id}/freeze", {}, page=f"/polls/{poll_id}")
        assert frozen.status_code == 303
    async with database.read() as session:
        poll = await session.get(Poll, poll_id)
    assert poll is not None and poll.settings_sha256 and poll.tie_break_seed
    ids = await option_ids(database, poll_id)
    path = f"/polls/{poll_id}"

    with browsers.use("resident") as c:
        await sign_in(c, scene.resident)
        await english(c)
        page = (await c.get(path)).text
        assert (
            'id="ballot"' in page and poll.settings_sha256 in page and poll.tie_break_seed in page
        )
        assert "You may take part." in page
        assert "1 person on the voter roll" not in page

        for form, message in bad_ballots(method, ids):
            refused = await post_form(c, f"{path}/confirm", form, page=path)
            assert refused.status_code == 400, form
            assert message in refused.text
            assert kept(method, form, refused.text), form
        refused = await post_form(c, f"{path}/cast", tampered(method, ids), page=path)
        assert refused.status_code == 400
        assert "not in this poll" in refused.text or "0 to 5 stars" in refused.text
        assert await count(database, Ballot) == 0 and await count(database, VoterRoll) == 0

        choice = good_choice(method, ids)
        confirm = await post_form(c, f"{path}/confirm", form_for(method, choice), page=path)
        assert confirm.status_code == 200
        assert "Cast my vote" in confirm.text
        for name, value in form_for(method, choice).items():
            assert f'<input type="hidden" name="{name}" value="{value}">' in confirm.text
        assert await count(database, Ballot) == 0  # confirming writes nothing

        cast = await c.post(
            f"{path}/cast",
            data={
                **form_for(method, choice),
                "send_receipt": "yes",
                "_csrf_token": csrf_from(confirm.text),
            },
        )
        assert cast.status_code == 200, cast.text
        assert cast.headers["cache-control"] == "no-store"
        receipt = RECEIPT.search(cast.text).group(1)  # type: ignore[union-attr]
        assert "Your vote is cast" in cast.text
        again = await c.post(
            f"{path}/cast",
            data={**form_for(method, choice), "_csrf_token": csrf_from(cast.text)},
        )
        assert again.status_code == 409
        assert "You have already voted in this poll" in again.text
        page = (await c.get(path)).text
        assert 'id="ballot"' not in page and "You have voted in this poll." in page
        assert "1 person on the voter roll · 1 ballot" in page
        hidden = await c.get(f"{path}/results")
        assert (
            hidden.status_code == 403 and "Results are shown when the poll closes." in hidden.text
        )
        assert (await c.get(f"{path}/board")).status_code == 403

    async with database.read() as session:
        stored = (await session.exec(select(Ballot))).one()
        mail = (await session.exec(select(OutboxMessage))).all()
    assert stored.receipt == receipt
    assert len(mail) == 1 and mail[0].recipient == scene.resident.login
    assert receipt in mail[0].body and mail[0].channel == "email"
    assert await count(database, VoterRoll) == 1 and await count(database, Ballot) == 1

    await close_now(database, poll_id)
    results = await client.get(f"{path}/results?lang=en")
    assert results.status_code == 200
    assert "<svg" in results.text and "style=" not in results.text.split("<main", 1)[1]
    assert "1 person on the voter roll · 1 ballot · the counts are equal" in results.text
    for link in (f"/api/v1/polls/{poll_id}/board", f"/polls/{poll_id}/result.csv"):
        assert f'href="{link}"' in results.text
    assert ("ballots.pb" in results.text) == (method == "budget")
    found = await client.get(f"{path}/board?receipt={receipt[:10].upper()}")
    assert found.status_code == 200
    assert receipt in found.text and str(escape(stored.content)) in found.text
    missing = await client.get(f"{path}/board?receipt={'0' * 12}")
    assert receipt not in missing.text


# -- results, the board and turnout ------------------------------------------------------

RESULT_MARKERS = {
    "single": ("Votes per option", "Share of ballots"),
    "approval": ("Approvals per option", "Share of ballots"),
    "ranked": ("Instant runoff, round by round", "Pairwise comparisons", "Schulze ranking"),
    "score": ("Mean and median stars", "How many stars each option received"),
    "budget": ("Funded (Equal Shares)", "Funded (most votes first)", "Support per project"),
}


def varied(method: str, ids: list[int], n: int) -> Any:
    """The n-th voter's choice: spread over the options."""
    first, second = ids[n % len(ids)], ids[(n + 1) % len(ids)]
    return {
        "single": first,
        "approval": [first],
        "ranked": [first, second],
        "score": {str(o): (n + k) % 6 for k, o in enumerate(ids)},
        "budget": [first] if n % 2 else [ids[2]],
    }[method]


@pytest.mark.parametrize("method", METHODS)
async def test_results_of_each_method_with_turnout_by_area(
    client: AsyncTestClient[Any], scene: Scene, database: Database, settings: Settings, method: str
) -> None:
    street = await consultation(database, settings, scene.board, area="hx-s")
    poll = await make_poll(
        database, scene.board.chair, street.id, method, rule_area_id=scene.ids["hx-s"]
    )
    poll_id: int = poll.id  # type: ignore[assignment]
    ids = await option_ids(database, poll_id)
    voters = (
        await many_residents(database, 12, area="hx-c1", prefix="c1-")
        + await many_residents(database, 11, area="hx-c2", prefix="c2-")
        + await many_residents(database, 3, area="hx-s", prefix="street-")
    )
    for n, voter in enumerate(voters):
        form = form_for(method, varied(method, ids, n))
        await services.cast(database, voter, poll_id, form, now=DURING)
    await services.close(database, None, poll_id, now=AFTER)
    page = await client.get(f"/polls/{poll_id}/results?lang=en")
    assert page.status_code == 200
    text = page.text
    for marker in RESULT_MARKERS[method]:
        assert marker in text, marker
    assert text.count("<svg") >= 1 and "<script" not in text.split("<main", 1)[1]
    assert "26 people on the voter roll · 26 ballots · the counts are equal" in text
    rows = dict(re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', text))
    assert rows["幸福社区"] == "12"
    assert rows["安宁社区"] == "not shown"  # 11, but it would give the 3 away
    assert rows["和谐街道"] == "fewer than 10"
    async with database.read() as session:
        tally = await session.get(services.Tally, poll_id)
    assert tally is not None and tally.result_sha256 in text and tally.board_sha256 in text
    board = await client.get(f"/polls/{poll_id}/board?lang=en")
    assert board.status_code == 200 and "26 ballots" in board.text
    assert board.text.count('<p class="board-receipt">') == 26


@pytest.mark.parametrize("method", METHODS)
async def test_results_without_any_ballot(
    client: AsyncTestClient[Any], scene: Scene, database: Database, method: str
) -> None:
    poll = await make_poll(database, scene.board.chair, scene.consultation_id, method)
    await services.close(database, None, poll.id, now=AFTER)  # type: ignore[arg-type]
    page = await client.get(f"/polls/{poll.id}/results?lang=en")
    assert page.status_code == 200
    assert "0 people on the voter roll · 0 ballots" in page.text
    assert "Voters by verified address" not in page.text


async def test_the_board_is_paginated_and_searched_by_prefix(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    poll = await make_poll(database, scene.board.chair, scene.consultation_id, "single")
    ids = await option_ids(database, poll.id)  # type: ignore[arg-type]
    voters = await many_residents(database, 101, area="hx-c1")
    receipts = [
        await services.cast(database, v, poll.id, {"choice": str(ids[0])}, now=DURING)  # type: ignore[arg-type]
        for v in voters
    ]
    await services.close(database, None, poll.id, now=AFTER)  # type: ignore[arg-type]
    path = f"/polls/{poll.id}/board"
    first = (await client.get(f"{path}?lang=en")).text
    second = (await client.get(f"{path}?page=2")).text
    assert first.count('<p class="board-receipt">') == 100
    assert second.count('<p class="board-receipt">') == 1
    assert "page 1 of 2" in first and f'href="{path}?page=2"' in first
    everything = sorted(r.receipt for r in receipts)
    assert everything[-1] in second and everything[0] in first
    wanted = receipts[37].receipt
    found = (await client.get(f"{path}?receipt={wanted[:8]}")).text
    assert wanted in found
    short = await client.get(f"{path}?receipt={wanted[:7]}")
    assert short.status_code == 200
    assert "Enter at least 8 characters" in short.text and 'aria-invalid="true"' in short.text
    odd = (await client.get(f"{path}?receipt=%27%20OR%201=1--")).text
    assert "Enter at least 8 characters" in odd


# -- the committee ------------------------------------------------------------------------


async def test_the_committee_edits_until_frozen_and_closes_after_the_time(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    await sign_in_with_code(client, scene.chair)
    await english(client)
    item = (await client.get(f"/consultations/{scene.consultation_id}")).text
    assert f'href="/consultations/{scene.consultation_id}/polls/new"' in item
    assert "No polls yet." in item
    new = await client.get(f"/consultations/{scene.consultation_id}/polls/new")
    assert new.status_code == 200 and "Participatory budget" in new.text
    bad = await post_form(
        client,
        f"/consultations/{scene.consultation_id}/polls/new",
        {**poll_form("budget"), "budget": "lots", "options": "only one | 5"},
    )
    assert bad.status_code == 400
    assert "Enter the budget, a whole number." in bad.text
    assert "only one | 5" in bad.text  # what was typed is kept
    assert await count(database, Poll) == 0

    poll_id = await create_poll_by_form(client, scene, "budget")
    item = (await client.get(f"/consultations/{scene.consultation_id}")).text
    assert f'href="/polls/{poll_id}"' in item and "In preparation" in item
    edit = await client.get(f"/polls/{poll_id}/edit")
    assert edit.status_code == 200
    assert "修建非机动车棚 | 40000 | 车棚带充电桩" in edit.text  # the options as typed
    form = {**poll_form("budget", rule_area_id=scene.ids["hx-c1"]), **window_now()}
    form["title"] = "改过的标题"
    saved = await post_form(client, f"/polls/{poll_id}/edit", form)
    assert saved.status_code == 303 and saved.headers["location"] == f"/polls/{poll_id}?saved=1"
    assert "改过的标题" in (await client.get(f"/polls/{poll_id}")).text
    refused = await post_form(client, f"/polls/{poll_id}/edit", {**form, "question": ""})
    assert refused.status_code == 400 and "Enter the question" in refused.text

    frozen = await post_form(client, f"/polls/{poll_id}/freeze", {}, page=f"/polls/{poll_id}")
    assert frozen.status_code == 303
    late = await client.get(f"/polls/{poll_id}/edit")
    assert late.status_code == 403 and "frozen" in late.text
    late_post = await post_form(client, f"/polls/{poll_id}/edit", form, page=f"/polls/{poll_id}")
    assert late_post.status_code == 403
    early = await post_form(client, f"/polls/{poll_id}/close", {}, page=f"/polls/{poll_id}")
    assert early.status_code == 403 and "only after its closing time" in early.text

    past = datetime.now(UTC) - timedelta(minutes=1)
    async with database.write() as session:
        await session.exec(update(Poll).where(col(Poll.id) == poll_id).values(closes_at=past))  # type: ignore[call-overload]
    page = (await client.get(f"/polls/{poll_id}")).text
    assert "Close and count" in page
    closed = await post_form(client, f"/polls/{poll_id}/close", {}, page=f"/polls/{poll_id}")
    assert closed.status_code == 303 and closed.headers["location"] == f"/polls/{poll_id}/results"
    assert (await client.get(f"/polls/{poll_id}/results")).status_code == 200


async def test_residents_cannot_manage_and_other_committees_see_nothing(
    client: AsyncTestClient[Any], scene: Scene, database: Database, settings: Settings
) -> None:
    poll = await make_poll(
        database, scene.board.chair, scene.consultation_id, "single", frozen=False
    )
    async with database.write() as session:
        session.add(Committee(area_id=scene.ids["far"], name="远方居委会"))
    far = await make_person(
        database,
        settings,
        "far@example.org",
        totp=True,
        committee_role="chair",
        committee_name="远方居委会",
    )
    draft = await consultation(database, settings, scene.board, published=False)
    hidden = await make_poll(database, scene.board.chair, draft.id, "single", frozen=False)  # type: ignore[arg-type]
    browsers = Browsers(client)
    with browsers.use("resident") as c:
        await sign_in(c, scene.resident)
        page = f"/polls/{poll.id}"
        assert (await c.get(f"/consultations/{scene.consultation_id}/polls/new")).status_code == 403
        created = await post_form(
            c, f"/consultations/{scene.consultation_id}/polls/new", poll_form("single"), page=page
        )
        assert created.status_code == 403
        for action in ("freeze", "close", "edit"):
            response = await post_form(
                c, f"/polls/{poll.id}/{action}", poll_form("single"), page=page
            )
            assert response.status_code == 403, action
        assert (await c.get(f"/polls/{poll.id}/edit")).status_code == 403
        assert (await c.get(f"/polls/{poll.id}/booth")).status_code == 403
        assert (await c.get(f"/polls/{hidden.id}")).status_code == 404
    with browsers.use("far") as c:
        await sign_in_with_code(c, far)
        page = f"/polls/{poll.id}"
        assert (await c.get(f"/polls/{hidden.id}")).status_code == 404
        assert (await c.get(f"/polls/{hidden.id}/edit")).status_code == 404
        assert (await c.get(f"/consultations/{draft.id}/polls/new")).status_code == 404
        for action in ("freeze", "close", "edit"):
            response = await post_form(
                c, f"/polls/{hidden.id}/{action}", poll_form("single"), page=page
            )
            assert response.status_code == 404, action
        # A published consultation's poll is public to read, not theirs to change.
        assert (await c.get(f"/polls/{poll.id}/edit")).status_code == 403
        assert (await post_form(c, f"/polls/{poll.id}/freeze", {}, page=page)).status_code == 403
    async with database.read() as session:
        assert all(not p.frozen for p in (await session.exec(select(Poll))).all())


# -- voting details ---------------------------------------------------------------------------


async def test_people_outside_the_rule_are_told_why_and_refused(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    poll = await make_poll(
        database,
        scene.board.chair,
        scene.consultation_id,
        "single",
        rule_area_id=scene.ids["hx-c1"],
        **_open_window(),
    )
    ids = await option_ids(database, poll.id)  # type: ignore[arg-type]
    anonymous = (await client.get(f"/polls/{poll.id}?lang=en")).text
    assert "Sign in to vote" in anonymous and 'id="ballot"' not in anonymous
    await sign_in(client, scene.other)
    await english(client)
    page = (await client.get(f"/polls/{poll.id}")).text
    assert "Verify where you live first." in page and 'id="ballot"' not in page
    path = f"/polls/{poll.id}"
    for step in ("confirm", "cast"):
        refused = await post_form(client, f"{path}/{step}", {"choice": str(ids[0])}, page=path)
        assert refused.status_code == 403
        assert "The poll&#39;s rule does not include you." in refused.text
    assert await count(database, Ballot) == 0


def _open_window() -> dict[str, datetime]:
    now = datetime.now(UTC)
    return {"opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=1)}


async def test_the_budget_total_updates_with_htmx_and_the_choices_can_change(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    poll = await make_poll(
        database,
        scene.board.chair,
        scene.consultation_id,
        "budget",
        rule_area_id=scene.ids["hx-c1"],
        **_open_window(),
    )
    ids = await option_ids(database, poll.id)  # type: ignore[arg-type]
    await sign_in(client, scene.resident)
    await english(client)
    path = f"/polls/{poll.id}"
    page = (await client.get(path)).text
    assert f'hx-post="{path}/total"' in page and 'id="budget-total"' in page
    assert "Chosen: 0 of 100,000. Left: 100,000." in page
    token = csrf_from(page)
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    fits = await client.post(
        f"{path}/total",
        data={f"option-{ids[0]}": "yes", f"option-{ids[1]}": "yes"},
        headers=headers,
    )
    assert fits.status_code == 200 and "<html" not in fits.text
    assert "Chosen: 70,000 of 100,000. Left: 30,000." in fits.text
    over = await client.post(
        f"{path}/total", data={f"option-{o}": "yes" for o in ids}, headers=headers
    )
    assert "40,000 over the budget" in over.text
    assert (await client.post(f"{path}/total", data={})).status_code == 403  # no CSRF token
    chosen = {f"option-{ids[0]}": "yes", f"option-{ids[2]}": "yes"}
    back = await post_form(client, f"{path}/confirm", {**chosen, "change": "1"}, page=path)
    assert back.status_code == 200 and 'id="ballot"' in back.text
    assert kept("budget", chosen, back.text)
    assert "Chosen: 60,000 of 100,000. Left: 40,000." in back.text
    assert await count(database, Ballot) == 0


async def test_a_receipt_by_text_message_in_the_voters_language(
    client: AsyncTestClient[Any], scene: Scene, database: Database
) -> None:
    poll = await make_poll(
        database,
        scene.board.chair,
        scene.consultation_id,
        "ranked",
        rule_area_id=scene.ids["hx-c1"],
        **_open_window(),
    )
    ids = await option_ids(database, poll.id)  # type: ignore[arg-type]
    await sign_in(client, scene.neighbour)
    path = f"/polls/{poll.id}"
    cast = await post_form(
        client, f"{path}/cast", {"rank-1": str(ids[3]), "send_receipt": "yes"}, page=path
    )
    assert cast.status_code == 200
    receipt = RECEIPT.search(cast.text).group(1)  # type: ignore[union-attr]
    async with database.read() as session:
        message = (await session.exec(select(OutboxMessage))).one()
    assert message.channel == "sms" and message.recipient == "+8613800138000"
    assert receipt in message.body and "You voted in the poll" in message.body
    assert f"/polls/{poll.id}/board?receipt={receipt[:16]}" in message.body


# -- the paper booth ------------------------------------------------------------------------


async def test_an_officer_enters_a_paper_ballot_at_the_booth(
    client: AsyncTestClient[Any], scene: Scene, database: Database, settings: Settings
) -> None:
    poll = await make_poll(
        database,
        scene.board.chair,
        scene.consultation_id,
        "approval",
        rule_area_id=scene.ids["hx-c1"],
        **_open_window(),
    )
    ids = await option_ids(database, poll.id)  # type: ignore[arg-type]
    officer = await make_person(
        database, settings, "officer@example.org", role="officer", totp=True
    )
    async with database.write() as session:
        session.add(AreaOfficer(area_id=scene.ids["hx-s"], user_id=officer.user.id))  # type: ignore[arg-type]
    await sign_in_with_code(client, officer)
    await english(client)
    path = f"/polls/{poll.id}/booth"
    page = await client.get(path)
    assert page.status_code == 200 and 'name="login"' in page.text
    assert f'href="/polls/{poll.id}/booth"' in (await client.get(f"/polls/{poll.id}")).text

    unknown = await post_form(client, path, {"step": "find", "login": "nobody@example.org"})
    assert unknown.status_code == 400 and "There is no account" in unknown.text
    nonsense = await post_form(client, path, {"step": "find", "login": "not a login"})
    assert nonsense.status_code == 400 and "Enter an e-mail address" in nonsense.text
    outsider = await post_form(client, path, {"step": "find", "login": scene.other.login})
    assert "This person&#39;s residence is not verified." in outsider.text
    assert 'id="ballot"' not in outsider.text
    refused = await post_form(
        client, path, {"step": "cast", "login": scene.other.login, f"option-{ids[0]}": "yes"}
    )
    assert refused.status_code == 400 and "This person may not vote in this poll." in refused.text

    found = await post_form(client, path, {"step": "find", "login": "RESIDENT@example.org "})
    assert found.status_code == 200
    assert "This person may vote." in found.text and 'id="ballot"' in found.text
    assert 'name="login" value="resident@example.org"' in found.text
    too_many = {f"option-{o}": "yes" for o in ids[:3]}
    bad = await post_form(client, path, {"step": "cast", "login": scene.resident.login, **too_many})
    assert bad.status_code == 400 and "Choose at most 2 options" in bad.text
    assert kept("approval", too_many, bad.text)
    assert await count(database, Ballot) == 0

    choice = {f"option-{ids[1]}": "yes"}
    cast = await post_form(client, path, {"step": "cast", "login": scene.resident.login, **choice})
    assert cast.status_code == 200 and "Paper ballot entered" in cast.text
    receipt = RECEIPT.search(cast.text).group(1)  # type: ignore[union-attr]
    async with database.read() as session:
        roll = (await session.exec(select(VoterRoll))).one()
        ballot = (await session.exec(select(Ballot))).one()
    assert roll.channel == "paper" and roll.entered_by == officer.user.id
    assert roll.user_id == scene.resident.user.id and ballot.receipt == receipt

    again = await post_form(client, path, {"step": "find", "login": scene.resident.login})
    assert "has already voted" in again.text and 'id="ballot"' not in again.text
    twice = await post_form(client, path, {"step": "cast", "login": scene.resident.login, **choice})
    assert twice.status_code == 409 and "already voted" in twice.text
    assert await count(database, Ballot) == 1

    # Online afterwards: refused, the same roll.
    client.cookies.clear()
    await sign_in(client, scene.resident)
    await english(client)
    online = await post_form(client, f"/polls/{poll.id}/cast", choice, page=f"/polls/{poll.id}")
    assert online.status_code == 409
