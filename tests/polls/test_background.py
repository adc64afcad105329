"""The server closes polls whose time is up by itself (every worker, no extra process)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from deliberate import background
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.polls import queries, services
from deliberate.polls.models import Tally
from tests.support.hearings import AFTER, DURING, count
from tests.support.polls import form_for, poll_world, reload


async def test_a_round_closes_due_polls_once(database: Database, settings: Settings) -> None:
    w = await poll_world(database, settings, "single")
    await services.cast(database, w.alice, w.poll.id, form_for("single", w.options[0]), now=DURING)  # type: ignore[arg-type]
    assert await services.close_due(database, now=DURING) == []  # not yet
    # Two workers at once: one closes it, the other finds nothing left to do.
    first, second = await asyncio.gather(
        services.close_due(database, now=AFTER), services.close_due(database, now=AFTER)
    )
    assert sorted(first + second) == [w.poll.id]
    assert (await reload(database, w.poll.id)).closed_at is not None
    assert await count(database, Tally) == 1
    async with database.read() as session:
        tally = await queries.tally_of(session, w.poll.id)  # type: ignore[arg-type]
    assert tally is not None and tally.ballots == tally.roll == 1


async def test_the_background_loop_runs_rounds_until_cancelled(
    database: Database, settings: Settings
) -> None:
    w = await poll_world(database, settings, "approval")
    async with database.write() as session:
        poll = await session.get(type(w.poll), w.poll.id)
        poll.opens_at = datetime.now(UTC) - timedelta(hours=2)  # type: ignore[union-attr]
        poll.closes_at = datetime.now(UTC) - timedelta(hours=1)  # type: ignore[union-attr]
        session.add(poll)
    async with background.background(database, interval=0.05):
        for _ in range(100):
            if (await reload(database, w.poll.id)).closed_at is not None:
                break
            await asyncio.sleep(0.05)
    assert (await reload(database, w.poll.id)).closed_at is not None
