"""The job queue: claiming under a lease, progress, retries, and a job that never runs
twice to completion — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, func, select

from deliberate.db import Database, as_utc
from deliberate.jobs import queue
from deliberate.jobs.models import Job, JobState
from deliberate.jobs.queue import LEASE_EXPIRED, JobLost

T = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def _enqueue(database: Database, kind: str = "minutes.render", **options) -> int:
    async with database.write() as session:
        job = await queue.enqueue(session, kind, {"minutes": 7}, now=T, **options)
    assert job.id is not None
    return job.id


async def _load(database: Database, job_id: int) -> Job:
    async with database.read() as session:
        job = await queue.get(session, job_id)
    assert job is not None
    return job


async def _kinds(database: Database, kind: str) -> list[Job]:
    async with database.read() as session:
        return list((await session.exec(select(Job).where(col(Job.kind) == kind))).all())


@pytest.fixture
async def others(database: Database) -> AsyncIterator[list[Database]]:
    """More Database objects on the same database: other processes, other machines."""
    made = [Database(database.url) for _ in range(4)]
    try:
        yield made
    finally:
        for db in made:
            await db.dispose()


async def test_enqueue_commits_with_the_callers_writes(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.write() as session:
            await queue.enqueue(session, "minutes.render", {"minutes": 1}, now=T)
            raise RuntimeError("the caller's transaction fails")
    async with database.read() as session:
        assert (await session.exec(select(func.count()).select_from(Job))).one() == 0
    job_id = await _enqueue(database)
    job = await _load(database, job_id)
    assert (job.state, job.progress, job.attempts, job.claimed_by) == ("queued", 0, 0, None)
    assert json.loads(job.payload) == {"minutes": 7}


async def test_claim_then_complete(database: Database) -> None:
    job_id = await _enqueue(database)
    assert await queue.claim(database, "w1", ["other.kind"], now=T) is None
    job = await queue.claim(database, "w1", ["minutes.render"], now=T, lease=LEASE)
    assert job is not None and job.id == job_id
    assert (job.state, job.attempts, job.claimed_by) == ("running", 1, "w1")
    assert as_utc(job.lease_until) == T + LEASE  # type: ignore[arg-type]
    assert await queue.claim(database, "w2", now=T) is None  # it is taken
    assert await queue.complete(database, job_id, "w1", {"pages": 3}, now=T, attempt=1)
    done = await _load(database, job_id)
    assert (done.state, done.progress, done.lease_until) == ("done", 100, None)
    assert json.loads(done.result or "") == {"pages": 3}
    assert as_utc(done.finished_at) == T  # type: ignore[arg-type]
    # Done is done: a second completion is refused, and nobody claims it again.
    assert not await queue.complete(database, job_id, "w1", {"pages": 4}, now=T)
    assert await queue.claim(database, "w2", now=T + timedelta(days=1)) is None


async def test_a_job_waits_for_its_time(database: Database) -> None:
    job_id = await _enqueue(database, not_before=T + timedelta(minutes=5))
    assert await queue.claim(database, "w1", now=T) is None
    job = await queue.claim(database, "w1", now=T + timedelta(minutes=5))
    assert job is not None and job.id == job_id


async def test_progress_is_visible_to_readers_and_renews_the_lease(database: Database) -> None:
    job_id = await _enqueue(database)
    await queue.claim(database, "w1", now=T, lease=LEASE)
    later = T + timedelta(seconds=20)
    assert await queue.heartbeat(
        database, job_id, "w1", progress=40, message="rendering", now=later, lease=LEASE
    )
    job = await _load(database, job_id)
    assert (job.progress, job.message) == (40, "rendering")
    assert as_utc(job.lease_until) == later + LEASE  # type: ignore[arg-type]
    # Out-of-range progress is clamped; a stranger's heartbeat changes nothing.
    assert await queue.heartbeat(database, job_id, "w1", progress=250, now=later)
    assert (await _load(database, job_id)).progress == 100
    assert not await queue.heartbeat(database, job_id, "w2", progress=5, now=later)
    assert (await _load(database, job_id)).progress == 100


async def test_concurrent_claimers_never_share_a_job(
    database: Database, others: list[Database]
) -> None:
    async with database.write() as session:
        ids = {
            (await queue.enqueue(session, "minutes.render", {"n": n}, now=T)).id for n in range(20)
        }

    async def claimer(db: Database, name: str) -> list[int]:
        claimed = []
        while (job := await queue.claim(db, name, now=T, lease=LEASE)) is not None:
            assert job.claimed_by == name
            claimed.append(job.id)
        return claimed  # type: ignore[return-value]

    results = await asyncio.gather(*(claimer(db, f"w{i}") for i, db in enumerate(others)))
    everything = [job_id for claimed in results for job_id in claimed]
    assert sorted(everything) == sorted(ids)  # each job claimed exactly once
    async with database.read() as session:
        jobs = (await session.exec(select(Job))).all()
    assert {(j.state, j.attempts) for j in jobs} == {("running", 1)}
    for i, claimed in enumerate(results):
        assert {j.id for j in jobs if j.claimed_by == f"w{i}"} == set(claimed)


async def test_a_dead_workers_job_is_retried_and_completes_only_once(database: Database) -> None:
    job_id = await _enqueue(database)
    first = await queue.claim(database, "dead", now=T, lease=LEASE)
    assert first is not None
    # Its worker stops renewing: until the lease is over nobody else may take it.
    assert await queue.claim(database, "alive", now=T + LEASE - timedelta(seconds=1)) is None
    second = await queue.claim(database, "alive", now=T + LEASE + timedelta(seconds=1))
    assert second is not None and second.id == job_id
    assert (second.attempts, second.claimed_by, second.error) == (2, "alive", LEASE_EXPIRED)

    async def effect(by: str):
        async def write(session) -> None:
            await queue.enqueue(session, "effect", {"by": by}, now=T)

        return write

    # The dead worker wakes up: it cannot renew, fail or complete — and writes nothing.
    moment = T + LEASE + timedelta(seconds=2)
    assert not await queue.heartbeat(database, job_id, "dead", progress=90, now=moment)
    assert not await queue.complete(
        database,
        job_id,
        "dead",
        {"by": "dead"},
        now=moment,
        attempt=1,
        effects=await effect("dead"),
    )
    assert await queue.fail(database, job_id, "dead", "late", now=moment, attempt=1) is None
    assert await queue.complete(
        database,
        job_id,
        "alive",
        {"by": "alive"},
        now=moment,
        attempt=2,
        effects=await effect("alive"),
    )
    job = await _load(database, job_id)
    assert (job.state, job.claimed_by, json.loads(job.result or "")) == (
        "done",
        "alive",
        {"by": "alive"},
    )
    assert [json.loads(e.payload) for e in await _kinds(database, "effect")] == [{"by": "alive"}]


async def test_the_same_worker_cannot_complete_an_attempt_it_lost(database: Database) -> None:
    """A worker id claims a job, loses it, claims it again: the stale run is refused."""
    job_id = await _enqueue(database)
    await queue.claim(database, "w1", now=T, lease=LEASE)
    again = await queue.claim(database, "w1", now=T + 2 * LEASE, lease=LEASE)
    assert again is not None and again.attempts == 2
    assert not await queue.complete(database, job_id, "w1", None, now=T, attempt=1)
    assert await queue.complete(database, job_id, "w1", None, now=T, attempt=2)


async def test_finish_rolls_the_callers_writes_back_when_the_job_was_lost(
    database: Database,
) -> None:
    job_id = await _enqueue(database)
    await queue.claim(database, "dead", now=T, lease=LEASE)
    await queue.claim(database, "alive", now=T + 2 * LEASE, lease=LEASE)
    with pytest.raises(JobLost):
        async with database.write() as session:
            await queue.enqueue(session, "effect", {"by": "dead"}, now=T)
            await queue.finish(session, job_id, "dead", {"ok": True}, now=T, attempt=1)
    assert await _kinds(database, "effect") == []
    assert (await _load(database, job_id)).state == "running"


async def test_an_expired_lease_counts_as_an_attempt(database: Database) -> None:
    job_id = await _enqueue(database, max_attempts=2)
    await queue.claim(database, "w1", now=T, lease=LEASE)
    assert (await queue.claim(database, "w2", now=T + 2 * LEASE, lease=LEASE)) is not None
    # Both attempts used and the second worker died too: given up, not claimed again.
    assert await queue.claim(database, "w3", now=T + 4 * LEASE) is None
    job = await _load(database, job_id)
    assert (job.state, job.attempts, job.error) == ("failed", 2, LEASE_EXPIRED)
    assert job.finished_at is not None


async def test_failures_are_retried_with_backoff_then_fail(database: Database) -> None:
    job_id = await _enqueue(database, max_attempts=3)
    moment = T
    for attempt in (1, 2):
        job = await queue.claim(database, "w1", now=moment)
        assert job is not None and job.attempts == attempt
        state = await queue.fail(database, job_id, "w1", f"boom {attempt}", now=moment)
        assert state == JobState.queued
        queued = await _load(database, job_id)
        assert (queued.claimed_by, queued.error) == (None, f"boom {attempt}")
        assert as_utc(queued.not_before) == moment + queue.backoff(attempt)
        assert await queue.claim(database, "w1", now=moment + queue.backoff(attempt) / 2) is None
        moment = moment + queue.backoff(attempt)
    assert queue.backoff(1) < queue.backoff(2)
    await queue.claim(database, "w1", now=moment)
    assert await queue.fail(database, job_id, "w1", "x" * 900, now=moment) == JobState.failed
    job = await _load(database, job_id)
    assert (job.state, job.attempts, job.error) == ("failed", 3, "x" * 500)
    assert await queue.claim(database, "w1", now=moment + timedelta(days=1)) is None


async def test_a_locked_job_is_skipped_not_waited_for(
    database: Database, others: list[Database]
) -> None:
    """PostgreSQL: while one transaction holds a claimed, uncommitted row, another claim
    takes the next job at once (SKIP LOCKED). SQLite: the whole database is the lock —
    the second claim waits for the first transaction, then takes the next job."""
    first_id = await _enqueue(database)
    second_id = await _enqueue(database)
    holder, other = others[0], others[1]
    async with holder.write() as session:
        statement = select(Job).order_by(col(Job.id)).limit(1).with_for_update(skip_locked=True)
        held = (await session.exec(statement)).one()
        held.state, held.claimed_by, held.attempts = "running", "holder", 1
        held.lease_until = T + LEASE
        session.add(held)
        await session.flush()
        assert held.id == first_id
        attempt = asyncio.create_task(queue.claim(other, "other", now=T, lease=LEASE))
        if database.dialect == "postgresql":
            job = await asyncio.wait_for(attempt, timeout=3)
            assert job is not None and job.id == second_id
        else:
            await asyncio.sleep(0.3)
            assert not attempt.done()  # waiting for the write lock
    if database.dialect != "postgresql":
        job = await asyncio.wait_for(attempt, timeout=5)
        assert job is not None and job.id == second_id
    states = {
        j.id: (j.state, j.claimed_by)
        for j in [await _load(database, first_id), await _load(database, second_id)]
    }
    assert states == {first_id: ("running", "holder"), second_id: ("running", "other")}


async def test_release_gives_a_job_back_untried(database: Database) -> None:
    job_id = await _enqueue(database)
    await queue.claim(database, "w1", now=T)
    assert await queue.release(database, job_id, "w1", now=T, attempt=1)
    job = await _load(database, job_id)
    assert (job.state, job.attempts, job.claimed_by) == ("queued", 0, None)
    assert not await queue.release(database, job_id, "w1", now=T)
