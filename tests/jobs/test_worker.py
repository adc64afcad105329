"""Running jobs: handlers by kind, progress, effects written with the completion, errors
recorded and retried, and the background loop of every web worker."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from deliberate import background
from deliberate.db import Database
from deliberate.jobs import queue, worker
from deliberate.jobs.models import Job
from deliberate.jobs.worker import Done, Handler, register

T = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def _enqueue(database: Database, kind: str, now: datetime | None = T, **options) -> int:
    async with database.write() as session:
        job = await queue.enqueue(session, kind, {"minutes": 7}, now=now, **options)
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


async def test_a_handler_reports_progress_and_writes_with_its_completion(
    database: Database,
) -> None:
    handlers: dict[str, Handler] = {}
    seen: list[tuple[int, str]] = []

    @register("minutes.render", registry=handlers)
    async def render(job: Job, progress) -> Done:
        await progress(50, "rendering")
        reader = await _load(database, job.id)  # type: ignore[arg-type]
        seen.append((reader.progress, reader.message))  # what the committee's page shows

        async def write(session) -> None:
            await queue.enqueue(session, "effect", {"from": job.id}, now=T)

        return Done({"pages": json.loads(job.payload)["minutes"]}, write=write)

    job_id = await _enqueue(database, "minutes.render")
    assert await worker.run_one(database, "w1", now=T, handlers=handlers)
    assert seen == [(50, "rendering")]
    job = await _load(database, job_id)
    assert (job.state, job.progress, json.loads(job.result or "")) == ("done", 100, {"pages": 7})
    assert [json.loads(e.payload) for e in await _kinds(database, "effect")] == [{"from": job_id}]
    assert not await worker.run_one(database, "w1", now=T, handlers=handlers)  # nothing left


async def test_a_plain_return_value_is_the_result(database: Database) -> None:
    handlers: dict[str, Handler] = {}
    register("sum", registry=handlers)(lambda job, progress: _value(3))
    job_id = await _enqueue(database, "sum")
    assert await worker.run_one(database, "w1", now=T, handlers=handlers)
    assert json.loads((await _load(database, job_id)).result or "") == 3


async def _value(value: object) -> object:
    return value


async def test_only_kinds_with_a_handler_are_claimed(database: Database) -> None:
    job_id = await _enqueue(database, "nobody.handles.this")
    assert not await worker.run_one(database, "w1", now=T, handlers={})
    assert not await worker.run_one(
        database, "w1", now=T, handlers={"other": lambda job, progress: _value(1)}
    )
    assert (await _load(database, job_id)).state == "queued"


async def test_a_handler_that_raises_is_retried_then_failed(database: Database) -> None:
    handlers: dict[str, Handler] = {}
    calls = []

    @register("flaky", registry=handlers)
    async def flaky(job: Job, progress) -> None:
        calls.append(job.attempts)
        raise ValueError("the printer is on fire")

    job_id = await _enqueue(database, "flaky", max_attempts=2)
    assert await worker.run_one(database, "w1", now=T, handlers=handlers)
    job = await _load(database, job_id)
    assert (job.state, job.error) == ("queued", "ValueError: the printer is on fire")
    assert not await worker.run_one(database, "w1", now=T, handlers=handlers)  # backing off
    assert await worker.run_one(database, "w1", now=T + queue.backoff(1), handlers=handlers)
    job = await _load(database, job_id)
    assert (job.state, job.attempts, job.error) == (
        "failed",
        2,
        "ValueError: the printer is on fire",
    )
    assert calls == [1, 2]


async def test_a_handler_past_its_time_limit_is_stopped_and_retried(database: Database) -> None:
    handlers: dict[str, Handler] = {}
    finished = []

    @register("stuck", registry=handlers)
    async def stuck(job: Job, progress) -> Done:
        await asyncio.sleep(3600)  # hangs (its lease would be renewed all along)
        finished.append(True)
        return Done(None, write=lambda session: queue.enqueue(session, "effect", {}, now=T))

    job_id = await _enqueue(database, "stuck", now=None, max_attempts=2)
    limit = timedelta(seconds=0.3)
    assert await worker.run_one(database, "w1", handlers=handlers, time_limit=limit)
    job = await _load(database, job_id)
    assert (job.state, job.attempts, job.claimed_by) == ("queued", 1, None)
    assert job.error == "TimeLimitExceeded: ran longer than 0.3 s"
    assert finished == [] and await _kinds(database, "effect") == []


async def test_failing_effects_roll_back_and_count_as_a_failure(database: Database) -> None:
    handlers: dict[str, Handler] = {}

    async def write(session) -> None:
        await queue.enqueue(session, "effect", {}, now=T)
        raise RuntimeError("disk full")

    register("x", registry=handlers)(lambda job, progress: _value(Done(1, write=write)))
    job_id = await _enqueue(database, "x", max_attempts=1)
    assert await worker.run_one(database, "w1", now=T, handlers=handlers)
    job = await _load(database, job_id)
    assert (job.state, job.error, job.result) == ("failed", "RuntimeError: disk full", None)
    assert await _kinds(database, "effect") == []


async def test_a_handler_that_lost_its_job_stops_and_writes_nothing(database: Database) -> None:
    handlers: dict[str, Handler] = {}
    reached = []

    @register("slow", registry=handlers)
    async def slow(job: Job, progress) -> Done:
        # Meanwhile its lease ran out and another worker took the job over.
        await queue.claim(database, "w2", now=T + timedelta(hours=1))
        await progress(10, "still here")  # raises: the job is no longer ours
        reached.append(True)
        return Done(None, write=lambda session: queue.enqueue(session, "effect", {}, now=T))

    job_id = await _enqueue(database, "slow")
    assert await worker.run_one(database, "w1", now=T, handlers=handlers)
    assert reached == []
    job = await _load(database, job_id)
    assert (job.state, job.claimed_by, job.attempts, job.progress) == ("running", "w2", 2, 0)
    assert await _kinds(database, "effect") == []


async def test_the_lease_is_renewed_while_a_quiet_handler_runs(database: Database) -> None:
    handlers: dict[str, Handler] = {}
    leases = []

    @register("quiet", registry=handlers)
    async def quiet(job: Job, progress) -> None:
        for _ in range(3):
            await asyncio.sleep(0.4)
            leases.append((await _load(database, job.id)).lease_until)  # type: ignore[arg-type]

    await _enqueue(database, "quiet", now=None)
    lease = timedelta(seconds=0.3)
    assert await worker.run_one(database, "w1", handlers=handlers, lease=lease)
    assert len(set(leases)) == 3  # renewed every lease/3, without any progress call


async def test_the_background_loop_works_the_queue_and_survives_errors(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(job: Job, progress) -> None:
        raise RuntimeError("handler bug")

    async def fine(job: Job, progress) -> str:
        await progress(50, "halfway")
        return "ok"

    monkeypatch.setitem(worker.HANDLERS, "test.broken", broken)
    monkeypatch.setitem(worker.HANDLERS, "test.fine", fine)
    broken_id = await _enqueue(database, "test.broken", now=None, max_attempts=1)
    fine_ids = [await _enqueue(database, "test.fine", now=None) for _ in range(3)]
    async with background.background(database, interval=60, job_interval=0.05):
        for _ in range(100):
            states = {(await _load(database, i)).state for i in [broken_id, *fine_ids]}
            if states <= {"done", "failed"}:
                break
            await asyncio.sleep(0.05)
        late_id = await _enqueue(database, "test.fine", now=None)  # the loop is still alive
        for _ in range(100):
            if (await _load(database, late_id)).state == "done":
                break
            await asyncio.sleep(0.05)
    broken_job = await _load(database, broken_id)
    assert (broken_job.state, broken_job.error) == ("failed", "RuntimeError: handler bug")
    for job_id in [*fine_ids, late_id]:
        job = await _load(database, job_id)
        assert (job.state, job.result) == ("done", '"ok"')


async def test_shutting_down_gives_a_running_job_back(database: Database) -> None:
    handlers: dict[str, Handler] = {}
    started = asyncio.Event()

    @register("long", registry=handlers)
    async def long(job: Job, progress) -> None:
        started.set()
        await asyncio.sleep(60)

    job_id = await _enqueue(database, "long", now=None)
    task = asyncio.create_task(worker.run_one(database, "w1", handlers=handlers))
    await asyncio.wait_for(started.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    job = await _load(database, job_id)
    assert (job.state, job.attempts, job.claimed_by) == ("queued", 0, None)
