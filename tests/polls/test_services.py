"""Polls through their services, on SQLite and PostgreSQL: create and change until the
settings are frozen, freeze (canonical settings, hash, seed), cast online and on paper
(window, eligibility, one person one ballot, bad ballots, nothing linking a ballot to
its voter), close (by the committee or the server; the stored tally and its hashes
re-computed from the board), and the results of each method on a known profile."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import FormInvalid
from deliberate.audit.models import AuditEvent
from deliberate.config import Settings
from deliberate.db import Database, as_utc
from deliberate.errors import Conflict, Forbidden, NotFound
from deliberate.polls import ballots, queries, services
from deliberate.polls.ballots import BallotInvalid
from deliberate.polls.methods.common import Option, canonical_json, result_sha256
from deliberate.polls.methods.tally import tally
from deliberate.polls.models import Ballot, Poll, PollOption, Tally, VoterRoll
from deliberate.web.i18n import using_locale
from tests.support.hearings import (
    AFTER,
    BEFORE,
    CLOSES,
    DURING,
    OPENS,
    T0,
    audit_actions,
    audit_events,
    consultation,
    count,
    resident,
)
from tests.support.polls import (
    BUDGET,
    METHODS,
    PollWorld,
    form_for,
    make_poll,
    many_residents,
    officer,
    options_of,
    poll_input,
    poll_world,
    reload,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def english(error: pytest.ExceptionInfo[Any]) -> str:
    with using_locale("en"):
        return str(error.value.message)


async def rows(database: Database, poll_id: int) -> tuple[int, int, int]:
    """(roll rows, ballot rows, audit events)."""
    return (
        await count(database, VoterRoll, VoterRoll.poll_id == poll_id),
        await count(database, Ballot, Ballot.poll_id == poll_id),
        await count(database, AuditEvent),
    )


async def vote(
    database: Database, w: PollWorld, actor: Auth, choice: Any, *, now=DURING
) -> services.Receipt:
    return await services.cast(database, actor, w.poll_id, form_for(w.method, choice), now=now)


async def stored_poll_and_options(database: Database, poll_id: int) -> tuple[Poll, list[tuple]]:
    async with database.read() as session:
        poll = await session.get(Poll, poll_id)
        options = (
            await session.exec(
                select(PollOption.label, PollOption.cost, PollOption.description)
                .where(PollOption.poll_id == poll_id)
                .order_by(col(PollOption.position))
            )
        ).all()
    assert poll is not None
    return poll, list(options)


async def snapshot(database: Database, poll_id: int) -> tuple[Any, ...]:
    """Everything a refused change must leave as it was."""
    poll, options = await stored_poll_and_options(database, poll_id)
    return await rows(database, poll_id), poll.model_dump(), options


# -- creating and changing ------------------------------------------------------------


async def test_a_committee_member_creates_a_poll_of_each_method(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single", frozen=False)
    made = {"single": w.poll}
    for method in METHODS[1:]:
        made[method] = await make_poll(
            database,
            w.board.member,
            w.consultation.id,  # type: ignore[arg-type]
            method,
            frozen=False,
            rule_area_id=w.ids["hx-c1"],
        )
    for method, poll in made.items():
        stored, options = await stored_poll_and_options(database, poll.id)  # type: ignore[arg-type]
        assert stored.method == method and not stored.frozen and stored.closed_at is None
        assert stored.settings is None and stored.tie_break_seed is None
        assert (as_utc(stored.opens_at), as_utc(stored.closes_at)) == (OPENS, CLOSES)
        assert json.loads(stored.rule)["area_ids"] == [w.ids["hx-c1"]]
        assert stored.max_choices == (2 if method == "approval" else None)
        assert stored.budget == (BUDGET if method == "budget" else None)
        assert len(options) in (3, 4)
        if method == "budget":
            assert options == [
                ("修建非机动车棚", 40_000, "车棚带充电桩"),
                ("增加绿化带", 30_000, ""),
                ("安装路灯", 20_000, ""),
                ("增设健身器材", 50_000, ""),
            ]
        else:
            assert {cost for _label, cost, _d in options} == {0}
    assert (await audit_actions(database)).count("poll.created") == 5
    created = await audit_events(database, "poll.created")
    assert created[1].actor == w.board.member.user.public_id
    assert json.loads(created[1].payload) == {
        "consultation": w.consultation.id,
        "method": "approval",
    }


async def test_creating_refuses_an_area_outside_the_consultation_and_outsiders(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single", frozen=False)
    polls = await count(database, Poll)
    with pytest.raises(FormInvalid) as far:
        await services.create(
            database,
            w.board.chair,
            w.consultation.id,  # type: ignore[arg-type]
            poll_input("single", rule_area_id=w.ids["far-c1"]),
            now=T0,
        )
    assert "rule_area" in far.value.errors
    # The consultation is about 幸福社区: its neighbour 安宁社区 is outside it too.
    with pytest.raises(FormInvalid):
        await services.create(
            database,
            w.board.chair,
            w.consultation.id,  # type: ignore[arg-type]
            poll_input("single", rule_area_id=w.ids["hx-c2"]),
            now=T0,
        )
    # Another area's committee: not found while the consultation is a draft, forbidden
    # once it is published (it can be read, not managed). Residents neither.
    draft = await consultation(database, settings, w.board, published=False)
    for outsider in (w.other.chair, w.other.member, w.alice):
        with pytest.raises(NotFound):
            await services.create(database, outsider, draft.id, poll_input("single"), now=T0)  # type: ignore[arg-type]
        with pytest.raises(Forbidden):
            await services.create(
                database,
                outsider,
                w.consultation.id,  # type: ignore[arg-type]
                poll_input("single"),
                now=T0,
            )
    with pytest.raises(NotFound):
        await services.create(database, w.board.chair, 999_999, poll_input("single"), now=T0)
    assert await count(database, Poll) == polls


async def test_settings_change_until_frozen_and_never_after(database: Database, settings: Settings):
    w = await poll_world(database, settings, "approval", frozen=False)
    changed = poll_input(
        "approval", title="改过的标题", options="甲方案\n乙方案\n丙方案", max_choices="1"
    )
    await services.change(database, w.board.secretary, w.poll_id, changed, now=T0)
    stored, options = await stored_poll_and_options(database, w.poll_id)
    assert stored.title == "改过的标题" and stored.max_choices == 1
    assert [label for label, _c, _d in options] == ["甲方案", "乙方案", "丙方案"]
    with pytest.raises(Forbidden):
        await services.change(database, w.alice, w.poll_id, poll_input("approval"), now=T0)
    with pytest.raises(Forbidden):
        await services.change(database, w.other.chair, w.poll_id, poll_input("approval"), now=T0)

    frozen = await services.freeze(database, w.board.chair, w.poll_id, now=T0)
    before = await snapshot(database, w.poll_id)
    for moment in (T0, DURING, AFTER):
        with pytest.raises(Forbidden) as refused:
            await services.change(
                database,
                w.board.chair,
                w.poll_id,
                poll_input("approval", max_choices="3", closes_at=CLOSES + timedelta(days=5)),
                now=moment,
            )
        assert english(refused) == "The poll's settings are frozen: they can no longer change."
    with pytest.raises(Forbidden) as twice:
        await services.freeze(database, w.board.chair, w.poll_id, now=DURING)
    assert english(twice) == "The poll's settings are frozen: they can no longer change."
    after = await snapshot(database, w.poll_id)
    assert after == before
    assert after[1]["settings_sha256"] == frozen.settings_sha256
    assert after[1]["tie_break_seed"] == frozen.tie_break_seed
    assert (await audit_actions(database)).count("poll.changed") == 1


async def test_freezing_stores_the_canonical_settings_their_hash_and_a_seed(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "budget", frozen=False)
    with pytest.raises(Forbidden):  # only the committee freezes
        await services.freeze(database, w.alice, w.poll_id, now=T0)
    await services.freeze(database, w.board.member, w.poll_id, now=T0)
    poll = await reload(database, w.poll_id)
    assert poll.frozen and as_utc(poll.frozen_at) == T0  # type: ignore[arg-type]
    assert poll.settings is not None
    assert hashlib.sha256(poll.settings.encode()).hexdigest() == poll.settings_sha256
    settings_json = json.loads(poll.settings)
    assert canonical_json(settings_json) == poll.settings  # canonical: re-encoding is identical
    assert re.fullmatch(r"[0-9a-f]{64}", poll.tie_break_seed or "")
    ids = await options_of(database, w.poll_id)
    assert settings_json["method"] == "budget" and settings_json["budget"] == BUDGET
    assert settings_json["poll"] == w.poll_id
    assert [o["id"] for o in settings_json["options"]] == ids
    assert [o["cost"] for o in settings_json["options"]] == [40_000, 30_000, 20_000, 50_000]
    assert settings_json["rule"]["area_ids"] == [w.ids["hx-c1"]]
    assert settings_json["opens_at"] == OPENS.isoformat()
    assert settings_json["closes_at"] == CLOSES.isoformat()
    (opened,) = await audit_events(database, "poll.opened")
    assert opened.actor == w.board.member.user.public_id
    assert opened.subject == f"poll:{w.poll_id}"
    assert json.loads(opened.payload)["settings_sha256"] == poll.settings_sha256
    # Every poll draws its own seed.
    other = await make_poll(database, w.board.chair, w.consultation.id, "budget")  # type: ignore[arg-type]
    assert other.tie_break_seed != poll.tie_break_seed


# -- voting online ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frozen", "moment", "reason"),
    [
        (True, BEFORE, "Voting has not opened yet."),
        (True, AFTER, "Voting has closed."),
        (True, CLOSES, "Voting has closed."),  # the window closes at its closing time
        (False, DURING, "Voting has not opened yet."),  # not frozen: no votes
    ],
    ids=["before", "after", "at-closing", "unfrozen"],
)
async def test_votes_outside_the_window_or_before_freezing_are_refused(
    database: Database, settings: Settings, frozen: bool, moment, reason: str
):
    w = await poll_world(database, settings, "single", frozen=frozen)
    before = await rows(database, w.poll_id)
    with pytest.raises(Forbidden) as refused:
        await vote(database, w, w.alice, w.options[0], now=moment)
    assert english(refused) == reason
    assert await rows(database, w.poll_id) == before


async def test_people_outside_the_rule_are_refused_with_the_reason(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single")
    unconfirmed = await resident(database, settings, "dave@example.org", confirmed=False)
    unverified = await resident(database, settings, "erin@example.org", area=None)
    neighbour = await resident(database, settings, "fay@example.org", area="hx-c2")
    before = await rows(database, w.poll_id)
    for outsider in (w.carol, unconfirmed, unverified, neighbour):
        with pytest.raises(Forbidden) as refused:
            await vote(database, w, outsider, w.options[0])
        assert english(refused) == "The poll's rule does not include you."
    assert await rows(database, w.poll_id) == before
    with pytest.raises(NotFound):
        await services.cast(database, w.alice, 999_999, {"choice": "1"}, now=DURING)


async def test_a_vote_writes_one_roll_row_and_one_ballot_that_says_nothing_of_the_voter(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "ranked")
    audit_before = await count(database, AuditEvent)
    choice = [w.options[2], w.options[0]]
    receipt = await vote(database, w, w.alice, choice)
    assert receipt.poll_id == w.poll_id and receipt.choice == choice
    assert re.fullmatch(r"[0-9a-f]{64}", receipt.nonce)
    assert receipt.receipt == ballots.receipt(choice, receipt.nonce)
    async with database.read() as session:
        roll = (await session.exec(select(VoterRoll))).all()
        stored = (await session.exec(select(Ballot))).all()
    assert [(r.poll_id, r.user_id, r.channel, r.entered_by) for r in roll] == [
        (w.poll_id, w.alice.user.id, "online", None)
    ]
    assert [(b.poll_id, b.receipt, b.content) for b in stored] == [
        (w.poll_id, receipt.receipt, ballots.canonical(choice))
    ]
    # The nonce is the voter's alone: stored nowhere, and no audit event tells the choice.
    async with database.read() as session:
        events = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.seq) > audit_before))
        ).all()
    for event in events:
        assert receipt.nonce not in event.payload and receipt.receipt not in event.payload
        assert ballots.canonical(choice) not in event.payload
    async with database.read() as session:
        assert await queries.has_voted(session, w.poll_id, w.alice.user.id)
        assert not await queries.has_voted(session, w.poll_id, w.bob.user.id)


async def test_a_second_vote_is_refused_and_nothing_is_written(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single")
    first = await vote(database, w, w.alice, w.options[0])
    before = await rows(database, w.poll_id)
    for choice in (w.options[0], w.options[1]):
        with pytest.raises(Conflict) as again:
            await vote(database, w, w.alice, choice)
        assert english(again) == "You have already voted in this poll: each person votes once."
    assert await rows(database, w.poll_id) == before
    async with database.read() as session:
        assert (await session.exec(select(Ballot.receipt))).all() == [first.receipt]
    await vote(database, w, w.bob, w.options[1])  # others still can
    assert (await rows(database, w.poll_id))[:2] == (2, 2)


UNKNOWN = "The ballot names an option that is not in this poll."
BAD_BALLOTS: dict[str, list[tuple[Any, str]]] = {
    # (form, or a function of the option ids giving it; the message)
    "single": [
        ({}, "Choose one option."),
        ({"choice": "999999"}, UNKNOWN),
        ({"choice": "1 OR 1=1"}, UNKNOWN),
    ],
    "approval": [
        (lambda o: {f"option-{i}": "yes" for i in o[:3]}, "Choose at most 2 options; you chose 3."),
        ({}, "Choose at least one option."),
        ({"option-999999": "yes"}, UNKNOWN),
    ],
    "budget": [
        (
            lambda o: {f"option-{o[0]}": "yes", f"option-{o[1]}": "yes", f"option-{o[3]}": "yes"},
            "The projects you chose cost 120000, more than the budget of 100000.",
        ),
        ({}, "Choose at least one option."),
        (lambda o: {f"option-{o[0]}": "yes", "option-999999": "yes"}, UNKNOWN),
    ],
    "ranked": [
        (lambda o: {"rank-1": str(o[0]), "rank-2": str(o[0])}, "An option is ranked twice."),
        (
            lambda o: {"rank-1": str(o[0]), "rank-3": str(o[1])},
            "Fill the ranks in order, without gaps.",
        ),
        ({"rank-1": "999999"}, UNKNOWN),
    ],
    "score": [
        (lambda o: {f"score-{i}": "6" for i in o}, "Give every option from 0 to 5 stars."),
        (lambda o: {f"score-{o[0]}": "3"}, "Give every option from 0 to 5 stars."),
        (lambda o: {f"score-{i}": "-1" for i in o}, "Give every option from 0 to 5 stars."),
    ],
}
GOOD_BALLOTS = {
    "single": lambda o: o[1],
    "approval": lambda o: [o[0], o[2]],
    "budget": lambda o: [o[0], o[1], o[2]],  # 90,000 of 100,000
    "ranked": lambda o: [o[3], o[1]],
    "score": lambda o: {str(i): n for n, i in enumerate(o)},
}


@pytest.mark.parametrize("method", METHODS)
async def test_bad_ballots_are_refused_and_nothing_is_written(
    database: Database, settings: Settings, method: str
):
    w = await poll_world(database, settings, method)
    before = await rows(database, w.poll_id)
    for made, message in BAD_BALLOTS[method]:
        form = made(w.options) if callable(made) else made
        # (Messages with numbers in them are put in words when raised.)
        with using_locale("en"), pytest.raises(BallotInvalid) as refused:
            await services.cast(database, w.alice, w.poll_id, form, now=DURING)
        assert english(refused) == message
        assert refused.value.status_code == 400
    assert await rows(database, w.poll_id) == before
    # A refused ballot does not use up the vote.
    choice = GOOD_BALLOTS[method](w.options)
    receipt = await vote(database, w, w.alice, choice)
    async with database.read() as session:
        assert (await session.exec(select(Ballot.content))).all() == [ballots.canonical(choice)]
    assert receipt.receipt == ballots.receipt(choice, receipt.nonce)


# -- paper ballots at the booth --------------------------------------------------------


async def test_an_officer_enters_paper_ballots_and_nobody_votes_twice(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single")
    booth = await officer(database, settings, "officer@example.org", area="hx-s")
    events_before = await count(database, AuditEvent)
    choice = w.options[2]
    paper = await services.cast_paper(
        database, booth, w.poll_id, w.bob.user.id, form_for("single", choice), now=DURING
    )
    assert paper.receipt == ballots.receipt(choice, paper.nonce)
    async with database.read() as session:
        roll = (await session.exec(select(VoterRoll))).all()
        stored = (await session.exec(select(Ballot))).all()
    assert [(r.user_id, r.channel, r.entered_by) for r in roll] == [
        (w.bob.user.id, "paper", booth.user.id)
    ]
    assert [(b.receipt, b.content) for b in stored] == [(paper.receipt, str(choice))]
    # The audit names the officer and the voter, never the choice.
    (entry,) = await audit_events(database, "poll.paper_ballot")
    assert entry.actor == booth.user.public_id and entry.subject == f"poll:{w.poll_id}"
    assert json.loads(entry.payload) == {"voter": w.bob.user.public_id}
    assert await count(database, AuditEvent) == events_before + 1

    # Bob cannot then vote online, nor be entered again.
    before = await rows(database, w.poll_id)
    with pytest.raises(Conflict):
        await vote(database, w, w.bob, w.options[0])
    with pytest.raises(Conflict) as again:
        await services.cast_paper(
            database, booth, w.poll_id, w.bob.user.id, form_for("single", choice), now=DURING
        )
    assert english(again) == "This person has already voted in this poll."
    # Alice votes online first: the booth cannot enter her again on paper.
    await vote(database, w, w.alice, w.options[0])
    with pytest.raises(Conflict):
        await services.cast_paper(
            database, booth, w.poll_id, w.alice.user.id, form_for("single", choice), now=DURING
        )
    # Alice's online vote: one roll row, one ballot, one "poll.voted" event (who, not how).
    assert await rows(database, w.poll_id) == (before[0] + 1, before[1] + 1, before[2] + 1)
    (voted,) = await audit_events(database, "poll.voted")
    assert voted.actor == w.alice.user.public_id and json.loads(voted.payload or "{}") == {}


async def test_paper_ballots_need_an_officer_of_the_area_past_2fa_and_an_eligible_voter(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "approval")
    booth = await officer(database, settings, "officer@example.org", area="hx-c1")
    elsewhere = await officer(database, settings, "far-officer@example.org", area="far")
    demo_only = await officer(database, settings, "demo-officer@example.org", area=None)
    no_code = await officer(database, settings, "slow@example.org", second_factor=False)
    form = form_for("approval", [w.options[0]])
    before = await rows(database, w.poll_id)
    for outsider in (elsewhere, demo_only, w.board.chair, w.alice):
        with pytest.raises(Forbidden) as refused:
            await services.cast_paper(
                database, outsider, w.poll_id, w.bob.user.id, form, now=DURING
            )
        assert english(refused) == "You are not allowed to do that."
    with pytest.raises(Forbidden):
        await services.cast_paper(database, no_code, w.poll_id, w.bob.user.id, form, now=DURING)
    for moment, reason in ((BEFORE, "Voting has not opened yet."), (AFTER, "Voting has closed.")):
        with pytest.raises(Forbidden) as outside:
            await services.cast_paper(database, booth, w.poll_id, w.bob.user.id, form, now=moment)
        assert english(outside) == reason
    with pytest.raises(BallotInvalid) as ineligible:
        await services.cast_paper(database, booth, w.poll_id, w.carol.user.id, form, now=DURING)
    assert english(ineligible) == "This person may not vote in this poll."
    assert ineligible.value.field == "voter"
    with pytest.raises(NotFound):
        await services.cast_paper(database, booth, w.poll_id, 999_999, form, now=DURING)
    with using_locale("en"), pytest.raises(BallotInvalid) as bad:
        too_many = form_for("approval", w.options[:3])
        await services.cast_paper(database, booth, w.poll_id, w.bob.user.id, too_many, now=DURING)
    assert english(bad) == "Choose at most 2 options; you chose 3."
    assert await rows(database, w.poll_id) == before
    # The officer of the community itself (below the committee's street) is fine, and a
    # street officer (above the consultation's community) too.
    await services.cast_paper(database, booth, w.poll_id, w.bob.user.id, form, now=DURING)
    street = await officer(database, settings, "street@example.org", area="hx-s")
    await services.cast_paper(database, street, w.poll_id, w.alice.user.id, form, now=DURING)
    assert (await rows(database, w.poll_id))[:2] == (2, 2)


# -- closing ----------------------------------------------------------------------------


async def check_tally(database: Database, poll_id: int) -> Tally:
    """The stored tally, checked against a re-tally of the board by anyone."""
    async with database.read() as session:
        stored = await queries.tally_of(session, poll_id)
        view = await queries.poll_view(session, poll_id)
        board = await queries.board(session, poll_id)
        roll, ballot_count = await queries.counts(session, poll_id)
    assert stored is not None and view is not None
    options = [Option(o.id, o.cost) for o in view.options]  # type: ignore[arg-type]
    method = view.poll.method
    choices = [json.loads(content) for _receipt, content in board]
    if method == "score":
        choices = [{int(k): v for k, v in c.items()} for c in choices]
    again = tally(method, options, choices, view.poll.tie_break_seed or "", budget=view.poll.budget)
    assert stored.result_sha256 == result_sha256(again)
    assert stored.result == canonical_json(again.as_json())
    assert hashlib.sha256(stored.result.encode()).hexdigest() == stored.result_sha256
    assert stored.board_sha256 == ballots.board_sha256(board)
    assert stored.ballots == ballot_count == len(board)
    assert stored.roll == roll == ballot_count
    return stored


async def test_the_committee_closes_after_the_closing_time_and_the_tally_checks_out(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single")
    await vote(database, w, w.alice, w.options[0])
    await vote(database, w, w.bob, w.options[0])
    booth = await officer(database, settings, "officer@example.org")
    dave = await resident(database, settings, "dave@example.org")
    await services.cast_paper(
        database, booth, w.poll_id, dave.user.id, form_for("single", w.options[1]), now=DURING
    )
    for moment in (BEFORE, DURING, CLOSES - timedelta(seconds=1)):
        with pytest.raises(Forbidden) as early:
            await services.close(database, w.board.member, w.poll_id, now=moment)
        assert english(early) == "The poll can be closed only after its closing time."
    with pytest.raises(Conflict):  # the server's closer waits for the time too
        await services.close(database, None, w.poll_id, now=DURING)
    for outsider in (w.alice, w.other.chair, booth):
        with pytest.raises(Forbidden):
            await services.close(database, outsider, w.poll_id, now=AFTER)
    async with database.read() as session:
        assert await queries.tally_of(session, w.poll_id) is None  # results wait for closing

    result = await services.close(database, w.board.member, w.poll_id, now=CLOSES)
    stored = await check_tally(database, w.poll_id)
    assert (stored.result_sha256, stored.board_sha256) == (
        result.result_sha256,
        result.board_sha256,
    )
    assert (stored.ballots, stored.roll) == (3, 3)
    assert as_utc(stored.computed_at) == CLOSES
    assert json.loads(stored.result)["winners"] == [w.options[0]]
    poll = await reload(database, w.poll_id)
    assert as_utc(poll.closed_at) == CLOSES  # type: ignore[arg-type]
    (closed,) = await audit_events(database, "poll.closed")
    assert closed.actor == w.board.member.user.public_id
    assert json.loads(closed.payload) == {
        "ballots": 3,
        "roll": 3,
        "board_sha256": stored.board_sha256,
        "result_sha256": stored.result_sha256,
    }

    # Closed once: closing again is refused by the committee and by the server, nothing
    # changes, and no vote is taken any more.
    before = (await rows(database, w.poll_id), stored)
    with pytest.raises(Forbidden):
        await services.close(database, w.board.chair, w.poll_id, now=AFTER)
    with pytest.raises(Conflict):
        await services.close(database, None, w.poll_id, now=AFTER)
    assert await services.close_due(database, now=AFTER) == []
    with pytest.raises(Forbidden) as late:
        await vote(database, w, w.carol, w.options[0], now=AFTER)
    assert english(late) == "Voting has closed."
    async with database.read() as session:
        after = (await rows(database, w.poll_id), await queries.tally_of(session, w.poll_id))
    assert (after[0], after[1].model_dump()) == (before[0], before[1].model_dump())  # type: ignore[union-attr]


async def test_the_server_closes_every_poll_that_is_due(database: Database, settings: Settings):
    w = await poll_world(database, settings, "score")
    later = await make_poll(
        database,
        w.board.chair,
        w.consultation.id,  # type: ignore[arg-type]
        "single",
        closes_at=CLOSES + timedelta(days=3),
    )
    never_frozen = await make_poll(
        database,
        w.board.chair,
        w.consultation.id,  # type: ignore[arg-type]
        "approval",
        frozen=False,
    )
    empty = await make_poll(database, w.board.chair, w.consultation.id, "ranked")  # type: ignore[arg-type]
    await vote(database, w, w.alice, {str(o): 4 for o in w.options})
    assert await services.close_due(database, now=DURING) == []
    assert sorted(await services.close_due(database, now=CLOSES)) == sorted([w.poll_id, empty.id])
    for poll_id in (w.poll_id, empty.id):
        await check_tally(database, poll_id)  # type: ignore[arg-type]
    assert (await reload(database, later.id)).closed_at is None
    assert (await reload(database, never_frozen.id)).closed_at is None
    events = await audit_events(database, "poll.closed")
    assert {e.actor for e in events} == {"system"}
    payloads = {e.subject: json.loads(e.payload) for e in events}
    assert payloads[f"poll:{w.poll_id}"]["ballots"] == 1
    assert payloads[f"poll:{empty.id}"]["ballots"] == 0
    assert json.loads((await check_tally(database, empty.id)).result)["winners"] == []  # type: ignore[arg-type]
    assert await services.close_due(database, now=AFTER + timedelta(days=5)) == [later.id]


# -- results of each method on a known profile -----------------------------------------

# Ballots by option index (0 = A, 1 = B, …); the expected winners and the ranking.
PROFILES: dict[str, tuple[list[Any], list[int], list[int]]] = {
    # A 4, B 2, C 1.
    "single": ([0, 0, 1, 2, 0, 1, 0], [0], [0, 1, 2]),
    # (max 2) B 5, A 3, C 1, D 0.
    "approval": ([[0, 1], [1], [1, 2], [0], [1], [1], [0]], [1], [1, 0, 2, 3]),
    # IRV: A 2, B 1, C 2, D 0 → D out; B out, its ballot goes to C → C 3 of 5 wins.
    "ranked": ([[0, 1, 2], [0, 2], [1, 2, 0], [2, 1], [2, 1, 0]], [2], [2, 0, 1, 3]),
    # Stars: A 14, B 10, C 3.
    "score": ([[5, 3, 0], [4, 5, 1], [5, 2, 2]], [0], [0, 1, 2]),
    # Approvals A 5, D 4, B 3, C 1; costs A 40k, B 30k, C 20k, D 50k; budget 100k.
    # Greedy: A, D (90k), then neither B nor C fits. Equal shares at 100k / 7 each: A
    # (8,000 from each of its five supporters), then nothing is affordable; completed
    # (Add1) at 16,500 each, D is paid by its four supporters (8,500 + 8,500 + 16,500 +
    # 16,500), and B (3 × 8,500) still is not.
    "budget": ([[0, 1], [0, 1], [0, 1, 2], [0, 3], [0, 3], [3], [3]], [0, 3], [0, 3]),
}


def as_choice(method: str, ballot: Any, options: list[int]) -> Any:
    if method == "single":
        return options[ballot]
    if method == "score":
        return {str(options[i]): stars for i, stars in enumerate(ballot)}
    return [options[i] for i in ballot]


@pytest.mark.parametrize("method", METHODS)
async def test_results_of_each_method_on_a_known_profile(
    database: Database, settings: Settings, method: str
):
    w = await poll_world(database, settings, method)
    profile, winners, ranking = PROFILES[method]
    voters = await many_residents(database, len(profile))
    for voter, ballot in zip(voters, profile, strict=True):
        await vote(database, w, voter, as_choice(method, ballot, w.options))
    await services.close(database, w.board.chair, w.poll_id, now=AFTER)
    stored = await check_tally(database, w.poll_id)
    result = json.loads(stored.result)
    assert result["method"] == method
    assert stored.ballots == len(profile)
    assert result["winners"] == [w.options[i] for i in winners]
    assert result["ranking"] == [w.options[i] for i in ranking]
    if method == "single":
        assert result["details"]["counts"] == {
            str(w.options[0]): 4,
            str(w.options[1]): 2,
            str(w.options[2]): 1,
        }
    if method == "budget":
        assert result["details"]["greedy"] == {
            "funded": [w.options[0], w.options[3]],
            "spent": 90_000,
        }
        assert result["details"]["mes"]["spent"] == 90_000


async def test_a_poll_that_is_not_found_stays_not_found(database: Database, settings: Settings):
    w = await poll_world(database, settings, "single", published=False)
    for call in (
        services.cast(database, w.alice, w.poll_id, {"choice": str(w.options[0])}, now=DURING),
        services.freeze(database, w.alice, w.poll_id, now=T0),
        services.close(database, w.alice, w.poll_id, now=AFTER),
        services.change(database, w.other.chair, w.poll_id, poll_input("single"), now=T0),
    ):
        with pytest.raises(NotFound):
            await call
    with pytest.raises(NotFound):
        await services.close(database, w.board.chair, 999_999, now=AFTER)
