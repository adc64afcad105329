"""The vote's hot path, on SQLite and PostgreSQL: what a vote reads in its transaction is
read afresh every time (the poll's status and window, the consultation, the voter's
verifications, the area tree), and only the frozen settings come from the per-process
copy, keyed by their SHA-256, so nothing it keeps can go stale; the audit chain it
appends to stays whole."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from deliberate.audit import services as audit
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.errors import Forbidden
from deliberate.identity.models import Verification
from deliberate.identity.services import upsert_area
from deliberate.polls import ballots, queries, services
from deliberate.polls.models import Poll
from deliberate.web.i18n import using_locale
from tests.support.hearings import AFTER, DURING, audit_events, resident
from tests.support.polls import form_for, poll_world, reload

pytestmark = pytest.mark.usefixtures("cheap_passwords")

RULE_EXCLUDES = "The poll's rule does not include you."


async def move_area(session: Any, code: str, name: str, parent: str) -> None:
    await upsert_area(session, code=code, name=name, kind="community", parent_code=parent)  # type: ignore[arg-type]


def english(error: pytest.ExceptionInfo[Any]) -> str:
    with using_locale("en"):
        return str(error.value.message)


async def test_the_frozen_settings_are_kept_by_their_hash_and_checked_against_it(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "approval")
    poll = await reload(database, w.poll_id)
    assert poll.settings is not None and poll.settings_sha256 is not None
    frozen = queries.FrozenPoll.parse(w.poll_id, poll.settings_sha256, poll.settings)
    assert frozen is not None
    assert frozen.rules.option_ids == tuple(w.options)
    assert [o.id for o in frozen.options] == w.options
    # Settings that do not hash to the stored fingerprint, or that describe another
    # poll, are never used.
    assert queries.FrozenPoll.parse(w.poll_id, poll.settings_sha256, poll.settings + " ") is None
    assert queries.FrozenPoll.parse(w.poll_id + 1, poll.settings_sha256, poll.settings) is None

    done = await services.cast_online(
        database, w.alice, w.poll_id, form_for("approval", [w.options[0]]), now=DURING
    )
    assert done.receipt.choice == [w.options[0]]
    assert queries._frozen[(w.poll_id, poll.settings_sha256)] == frozen
    assert done.standing.eligible and done.decision is not None and done.decision.allowed
    assert done.poll.title == poll.title and done.consultation.id == poll.consultation_id


async def test_settings_changed_behind_the_freeze_are_not_trusted(
    database: Database, settings: Settings
):
    """Settings whose hash does not match are not parsed or kept: the vote is checked
    against the poll's own rows instead, as before the copy existed."""
    w = await poll_world(database, settings, "single")
    queries._frozen.clear()
    async with database.write() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Poll).where(Poll.id == w.poll_id).values(settings=Poll.settings + " ")
        )
    form = form_for("single", w.options[1])
    receipt = await services.cast(database, w.alice, w.poll_id, form, now=DURING)
    assert receipt.choice == w.options[1]
    assert not any(key[0] == w.poll_id for key in queries._frozen)


async def test_a_closed_poll_refuses_votes_the_moment_it_closes(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single")
    await services.cast(database, w.alice, w.poll_id, form_for("single", w.options[0]), now=DURING)
    await services.close(database, w.board.chair, w.poll_id, now=AFTER)
    # Even with a clock inside the window and the frozen settings at hand.
    with pytest.raises(Forbidden) as refused:
        await services.cast(database, w.bob, w.poll_id, {"choice": str(w.options[1])}, now=DURING)
    assert english(refused) == "Voting has closed."


async def test_a_vote_sees_the_area_tree_and_the_verifications_as_they_are_now(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "single")  # residents of hx-c1 and below
    form = form_for("single", w.options[0])
    await services.cast(database, w.alice, w.poll_id, form, now=DURING)  # the copy is warm

    # carol lives far away: refused; then her community is put under hx-c1: admitted.
    with pytest.raises(Forbidden) as refused:
        await services.cast(database, w.carol, w.poll_id, form, now=DURING)
    assert english(refused) == RULE_EXCLUDES
    async with database.write() as session:
        await move_area(session, "far-c1", "远方社区", "hx-c1")
    await services.cast(database, w.carol, w.poll_id, form, now=DURING)

    # The community goes back: its other resident is refused at once.
    dave = await resident(database, settings, "dave@example.org", area="far-c1")
    async with database.write() as session:
        await move_area(session, "far-c1", "远方社区", "far")
    with pytest.raises(Forbidden) as refused:
        await services.cast(database, dave, w.poll_id, form, now=DURING)
    assert english(refused) == RULE_EXCLUDES

    # bob's verification is revoked: refused at once.
    async with database.write() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Verification)
            .where(Verification.user_id == w.bob.user.id)
            .values(revoked_at=datetime.now(UTC))
        )
    with pytest.raises(Forbidden) as refused:
        await services.cast(database, w.bob, w.poll_id, form, now=DURING)
    assert english(refused) == RULE_EXCLUDES


async def test_votes_extend_the_audit_chain_with_one_event_each(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "ranked")
    receipts = [
        await services.cast(database, voter, w.poll_id, form_for("ranked", choice), now=DURING)
        for voter, choice in ((w.alice, [w.options[1]]), (w.bob, [w.options[2], w.options[0]]))
    ]
    events = await audit_events(database, "poll.voted")
    assert [(e.actor, e.subject, e.payload) for e in events] == [
        (w.alice.user.public_id, f"poll:{w.poll_id}", "{}"),
        (w.bob.user.public_id, f"poll:{w.poll_id}", "{}"),
    ]
    assert [e.occurred_at.replace(tzinfo=UTC) for e in events] == [DURING, DURING]
    async with database.read() as session:
        checked, broken = await audit.verify(session)
    assert broken is None and checked >= 2
    for receipt in receipts:
        assert receipt.receipt == ballots.receipt(receipt.choice, receipt.nonce)
