"""The queue's operations. Claiming, renewing, completing and failing are each one write
transaction; every change to a running job is a compare-and-set on the worker that
claimed it and the attempt it claimed (``claimed_by``, ``attempts``), so a worker that
lost its job (its lease ran out and another worker took it) changes nothing.

On PostgreSQL a claim is ``SELECT … FOR UPDATE SKIP LOCKED LIMIT 1`` then an update, so
workers on several machines never wait for each other or claim the same job. On SQLite
the write transaction already holds the database's write lock (``BEGIN IMMEDIATE``), so a
plain select-then-update is just as safe.

A handler's effects must be written in the same transaction as the completion:
:func:`finish` works inside the caller's write transaction and raises :class:`JobLost`
when the compare-and-set fails, which rolls the caller's writes back with it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.db import Database
from deliberate.jobs.models import MAX_ERROR, MAX_MESSAGE, MAX_WORKER_ID, Job, JobState

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_MAX_ATTEMPTS = 3
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_MAX = timedelta(minutes=10)
LEASE_EXPIRED = "lease expired"  # the error of a job whose worker stopped renewing


class JobLost(Exception):
    """This worker no longer owns the job (another worker took it over after its lease
    ran out, or it was finished meanwhile): stop, and write nothing."""


def worker_identity() -> str:
    """hostname:pid:random — unique per worker process, readable in the table."""
    host = socket.gethostname()[:80]
    return f"{host}:{os.getpid()}:{secrets.token_hex(4)}"[:MAX_WORKER_ID]


def _utc(now: datetime | None) -> datetime:
    # SQLite stores datetimes without their offset: everything must be in UTC.
    return (now or datetime.now(UTC)).astimezone(UTC)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: 10 s, 20 s, 40 s … at most 10 min."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _owned(job_id: int, worker_id: str, attempt: int | None) -> ColumnElement[bool]:
    condition = and_(
        col(Job.id) == job_id,
        col(Job.state) == JobState.running.value,
        col(Job.claimed_by) == worker_id,
    )
    if attempt is not None:
        condition = and_(condition, col(Job.attempts) == attempt)
    return condition


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    not_before: datetime | None = None,
) -> Job:
    """Add a job inside the caller's write transaction: it exists only if the caller's
    other writes commit. The job's id is set on return."""
    moment = _utc(now)
    job = Job(
        kind=kind,
        payload=_json(dict(payload or {})),
        state=JobState.queued.value,
        max_attempts=max(1, max_attempts),
        created_at=moment,
        not_before=_utc(not_before) if not_before else moment,
    )
    session.add(job)
    await session.flush()
    return job


async def get(session: AsyncSession, job_id: int) -> Job | None:
    return await session.get(Job, job_id)


def _claimable(moment: datetime, kinds: Collection[str] | None) -> ColumnElement[bool]:
    condition = or_(
        and_(col(Job.state) == JobState.queued.value, col(Job.not_before) <= moment),
        and_(col(Job.state) == JobState.running.value, col(Job.lease_until) < moment),
    )
    if kinds is not None:
        condition = and_(condition, col(Job.kind).in_(list(kinds)))
    return condition


async def claim(
    database: Database,
    worker_id: str,
    kinds: Collection[str] | None = None,
    *,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> Job | None:
    """Claim the oldest due job of one of ``kinds`` (any kind if None): a queued job whose
    time has come, or a running one whose lease ran out (its worker died; that run counts
    as an attempt). Returns it running, leased to ``worker_id`` until now + lease, with
    ``attempts`` counting this claim; None if there is nothing to do."""
    if kinds is not None and not kinds:
        return None
    moment = _utc(now)
    condition = _claimable(moment, kinds)
    # Idle workers poll often: look first with a reader, so that an empty queue never
    # takes SQLite's write lock.
    async with database.read() as session:
        if (await session.exec(select(Job.id).where(condition).limit(1))).first() is None:
            return None
    async with database.write() as session:
        while True:
            statement = (
                select(Job)
                .where(condition)
                .order_by(col(Job.id))
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            job = (await session.exec(statement)).first()
            if job is None:
                return None
            expired = job.state == JobState.running
            if expired and job.attempts >= job.max_attempts:
                job.state = JobState.failed.value
                job.error = LEASE_EXPIRED
                job.finished_at = moment
                job.lease_until = None
                session.add(job)
                await session.flush()
                continue  # that one is given up; look for another
            job.state = JobState.running.value
            job.attempts += 1
            job.claimed_at = moment
            job.claimed_by = worker_id
            job.lease_until = moment + lease
            if expired:
                job.error = LEASE_EXPIRED
            session.add(job)
            await session.flush()
            return job


async def heartbeat(
    database: Database,
    job_id: int,
    worker_id: str,
    *,
    progress: int | None = None,
    message: str | None = None,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
    attempt: int | None = None,
) -> bool:
    """Renew the lease (and record progress, 0–100, and a message key) if this worker
    still owns the job. False if it lost it: the worker must then stop."""
    moment = _utc(now)
    values: dict[str, Any] = {"lease_until": moment + lease}
    if progress is not None:
        values["progress"] = max(0, min(100, int(progress)))
    if message is not None:
        values["message"] = message[:MAX_MESSAGE]
    async with database.write() as session:
        outcome = await session.exec(  # type: ignore[call-overload]
            update(Job).where(_owned(job_id, worker_id, attempt)).values(**values)
        )
    return bool(outcome.rowcount == 1)


async def finish(
    session: AsyncSession,
    job_id: int,
    worker_id: str,
    result: Any = None,
    *,
    now: datetime | None = None,
    attempt: int | None = None,
) -> None:
    """Mark the job done, inside the caller's write transaction, only if this worker still
    owns it. Raises :class:`JobLost` otherwise, so the caller's writes (the job's
    effects) roll back with it: a job never runs twice to completion."""
    outcome = await session.exec(  # type: ignore[call-overload]
        update(Job)
        .where(_owned(job_id, worker_id, attempt))
        .values(
            state=JobState.done.value,
            progress=100,
            finished_at=_utc(now),
            lease_until=None,
            result=None if result is None else _json(result),
        )
    )
    if outcome.rowcount != 1:
        raise JobLost(f"job {job_id} is no longer owned by {worker_id}")


async def complete(
    database: Database,
    job_id: int,
    worker_id: str,
    result: Any = None,
    *,
    now: datetime | None = None,
    attempt: int | None = None,
    effects: Callable[[AsyncSession], Awaitable[None]] | None = None,
) -> bool:
    """Finish the job in a transaction of its own, writing ``effects`` (if given) in the
    same transaction after the compare-and-set succeeded. False if this worker lost the
    job (nothing is written). An exception from ``effects`` rolls everything back."""
    try:
        async with database.write() as session:
            await finish(session, job_id, worker_id, result, now=now, attempt=attempt)
            if effects is not None:
                await effects(session)
    except JobLost:
        return False
    return True


async def fail(
    database: Database,
    job_id: int,
    worker_id: str,
    error: str,
    *,
    now: datetime | None = None,
    attempt: int | None = None,
    retry_in: timedelta | None = None,
) -> str | None:
    """Record a failed attempt. With attempts left the job is queued again after a
    backoff (``retry_in``, or :func:`backoff`); otherwise it is failed for good. Returns
    the new state, or None if this worker no longer owns the job (nothing changed)."""
    moment = _utc(now)
    async with database.write() as session:
        job = (
            await session.exec(
                select(Job).where(_owned(job_id, worker_id, attempt)).with_for_update()
            )
        ).first()
        if job is None:
            return None
        job.error = error[:MAX_ERROR]
        job.lease_until = None
        if job.attempts < job.max_attempts:
            job.state = JobState.queued.value
            job.claimed_by = None
            job.not_before = moment + (retry_in if retry_in is not None else backoff(job.attempts))
        else:
            job.state = JobState.failed.value
            job.finished_at = moment
        session.add(job)
        return job.state


async def release(
    database: Database,
    job_id: int,
    worker_id: str,
    *,
    now: datetime | None = None,
    attempt: int | None = None,
) -> bool:
    """Give a job back untried (the worker is shutting down): queued again at once, and
    this attempt does not count. False if this worker no longer owns it."""
    async with database.write() as session:
        outcome = await session.exec(  # type: ignore[call-overload]
            update(Job)
            .where(_owned(job_id, worker_id, attempt))
            .values(
                state=JobState.queued.value,
                attempts=col(Job.attempts) - 1,
                claimed_by=None,
                lease_until=None,
                not_before=_utc(now),
            )
        )
    return bool(outcome.rowcount == 1)
