"""One person, one ballot, under concurrency, on SQLite and PostgreSQL: many eligible
clients each voting twice at the same moment get exactly one ballot each and one refusal
each, and the roll always matches the ballots; a close racing the last votes loses no
acknowledged vote and counts no unacknowledged one."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlmodel import select

from deliberate.audit import services as audit
from deliberate.audit.models import AuditEvent
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.errors import Conflict, Forbidden
from deliberate.polls import ballots, queries, services
from deliberate.polls.models import Ballot, VoterRoll
from deliberate.web.i18n import using_locale
from tests.support.hearings import AFTER, DURING
from tests.support.polls import form_for, many_residents, poll_world

pytestmark = pytest.mark.usefixtures("cheap_passwords")

VOTERS = 100


def outcome(results: list[Any]) -> dict[str, int]:
    """How many calls ended how (anything unexpected is named, to show up in the diff)."""
    found: dict[str, int] = {}
    for result in results:
        if isinstance(result, services.Receipt):
            key = "receipt"
        elif isinstance(result, Conflict):
            key = "conflict"
        elif isinstance(result, Forbidden):
            with using_locale("en"):
                key = f"forbidden: {result.message}"
        else:
            key = f"{type(result).__name__}: {result}"
        found[key] = found.get(key, 0) + 1
    return found


async def test_every_eligible_client_voting_twice_at_once_gets_one_ballot(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "approval")
    voters = await many_residents(database, VOTERS)
    # Each voter sends two different ballots; all 200 calls start together, in an order
    # that puts some voters' two attempts side by side and others far apart.
    calls = [
        (voter, [w.options[(n + attempt) % len(w.options)]])
        for n, voter in enumerate(voters)
        for attempt in (0, 1)
    ]
    random.Random(6).shuffle(calls)
    results = await asyncio.gather(
        *(
            services.cast(database, voter, w.poll_id, form_for("approval", choice), now=DURING)
            for voter, choice in calls
        ),
        return_exceptions=True,
    )
    assert outcome(results) == {"receipt": VOTERS, "conflict": VOTERS}
    receipts = [r for r in results if isinstance(r, services.Receipt)]
    async with database.read() as session:
        roll = (
            await session.exec(select(VoterRoll.user_id).where(VoterRoll.poll_id == w.poll_id))
        ).all()
        board = dict(await queries.board(session, w.poll_id))
        counted = await queries.counts(session, w.poll_id)
    assert counted == (VOTERS, VOTERS)
    assert sorted(roll) == sorted(v.user.id for v in voters)  # each voter exactly once
    # Every acknowledged ballot is stored as acknowledged, and nothing else is.
    assert board == {r.receipt: ballots.canonical(r.choice) for r in receipts}
    for receipt in receipts:
        assert receipt.receipt == ballots.receipt(receipt.choice, receipt.nonce)
    # One poll.voted event per ballot, appended to an unbroken hash chain.
    async with database.read() as session:
        voted = (
            await session.exec(select(AuditEvent.actor).where(AuditEvent.action == "poll.voted"))
        ).all()
        _checked, broken = await audit.verify(session)
    assert sorted(voted) == sorted(v.user.public_id for v in voters)
    assert broken is None


async def test_a_close_racing_the_last_votes_loses_no_acknowledged_vote(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single")
    voters = await many_residents(database, 40)
    votes = [
        services.cast(database, voter, w.poll_id, form_for("single", w.options[n % 3]), now=DURING)
        for n, voter in enumerate(voters)
    ]
    # The committee closes (its clock past the closing time) while the votes are in flight.
    votes.insert(20, services.close(database, w.board.chair, w.poll_id, now=AFTER))
    results = await asyncio.gather(*votes, return_exceptions=True)
    tally = results.pop(20)
    assert not isinstance(tally, BaseException), tally
    found = outcome(results)
    assert set(found) <= {"receipt", "forbidden: Voting has closed."}, found
    receipts = [r for r in results if isinstance(r, services.Receipt)]
    async with database.read() as session:
        board = dict(await queries.board(session, w.poll_id))
        counted = await queries.counts(session, w.poll_id)
        stored = await queries.tally_of(session, w.poll_id)
    assert stored is not None
    # What the voters were told is exactly what was counted.
    assert board == {r.receipt: ballots.canonical(r.choice) for r in receipts}
    assert counted == (len(receipts), len(receipts))
    assert (stored.ballots, stored.roll) == (len(receipts), len(receipts))
    assert stored.board_sha256 == ballots.board_sha256(list(board.items()))
    async with database.read() as session:
        assert len((await session.exec(select(Ballot.receipt))).all()) == len(receipts)
