"""Running jobs: handlers registered by kind, and :func:`run_one`, which claims a job,
runs its handler while renewing the lease, then completes or fails it.

A handler is ``async def handler(job, progress) -> result``. ``await progress(pct,
message_key)`` records progress (readers see it at once) and renews the lease; it raises
:class:`~deliberate.jobs.queue.JobLost` if another worker took the job over, which stops
the handler. To write its effects in the same transaction as the completion (so they are
written once, by the one run that completes), a handler returns :class:`Done` with a
``write`` callback instead of a plain result::

    @register("minutes.render")
    async def render(job, progress):
        pdf = await build(json.loads(job.payload), progress)
        return Done({"sha256": pdf.sha256}, write=lambda session: store(session, pdf))

Whatever a handler raises is recorded on the job (retried with backoff while attempts
are left) and never escapes :func:`run_one`. A handler that runs past ``time_limit``
(15 minutes unless the caller says otherwise) is cancelled and the job failed the same
way: a handler stuck forever would otherwise renew its lease forever and hold the job.
Work a handler left in a thread runs on, but its result is never used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.db import Database
from deliberate.jobs import queue
from deliberate.jobs.models import Job
from deliberate.jobs.queue import DEFAULT_LEASE, JobLost

logger = logging.getLogger("deliberate.jobs")

Progress = Callable[[int, str], Awaitable[None]]
Handler = Callable[[Job, Progress], Awaitable[Any]]
RELEASE_TIMEOUT_S = 5.0
TIME_LIMIT = timedelta(minutes=15)


class TimeLimitExceeded(Exception):
    """A handler ran longer than the time limit; recorded as the job's error."""


@dataclass(frozen=True)
class Done:
    """A handler's outcome: ``result`` (JSON-able, stored on the job) and ``write``, run in
    the completing transaction after the job was confirmed still ours."""

    result: Any = None
    write: Callable[[AsyncSession], Awaitable[None]] | None = None


HANDLERS: dict[str, Handler] = {}


def register(
    kind: str, *, registry: dict[str, Handler] | None = None
) -> Callable[[Handler], Handler]:
    """Decorator: ``@register("minutes.render")`` makes the function the handler of that
    kind (in the global registry unless another one is given)."""
    target = HANDLERS if registry is None else registry

    def decorate(handler: Handler) -> Handler:
        if kind in target and target[kind] is not handler:
            raise ValueError(f"a handler for {kind!r} is already registered")
        target[kind] = handler
        return handler

    return decorate


def _error_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def run_one(
    database: Database,
    worker_id: str,
    *,
    now: datetime | None = None,
    handlers: Mapping[str, Handler] | None = None,
    lease: timedelta = DEFAULT_LEASE,
    time_limit: timedelta = TIME_LIMIT,
) -> bool:
    """Claim one job of a kind that has a handler and run it to completion or failure.
    True if a job was claimed (whatever became of it), False if there was none. ``now``
    fixes the clock (tests); otherwise the real time is used throughout."""
    registry = HANDLERS if handlers is None else handlers
    if not registry:
        return False

    def clock() -> datetime:
        return now if now is not None else datetime.now(UTC)

    job = await queue.claim(database, worker_id, list(registry), now=clock(), lease=lease)
    if job is None:
        return False
    assert job.id is not None
    job_id, attempt = job.id, job.attempts
    lost = False

    async def progress(pct: int, message: str = "") -> None:
        renewed = await queue.heartbeat(
            database,
            job_id,
            worker_id,
            progress=pct,
            message=message,
            now=clock(),
            lease=lease,
            attempt=attempt,
        )
        if not renewed:
            raise JobLost(f"job {job_id} was taken over")

    running = asyncio.create_task(registry[job.kind](job, progress), name=f"job-{job_id}")

    async def keep_alive() -> None:
        # Renew the lease while the handler runs, even if it reports no progress.
        nonlocal lost
        period = max(lease.total_seconds() / 3, 0.01)
        while not running.done():
            await asyncio.sleep(period)
            try:
                renewed = await queue.heartbeat(
                    database, job_id, worker_id, now=clock(), lease=lease, attempt=attempt
                )
            except Exception:  # the database hiccupped; the lease has slack for one more try
                logger.warning("job %s: renewing the lease failed", job_id, exc_info=True)
                continue
            if not renewed:
                lost = True
                running.cancel()
                return

    renewer = asyncio.create_task(keep_alive(), name=f"job-{job_id}-lease")
    try:
        async with asyncio.timeout(time_limit.total_seconds()):
            outcome = await running
    except TimeoutError:
        logger.error("job %s (%s): ran past its time limit; stopped", job_id, job.kind)
        limit = TimeLimitExceeded(f"ran longer than {time_limit.total_seconds():g} s")
        await _fail(database, job_id, worker_id, limit, clock(), attempt)
        return True
    except JobLost:
        logger.warning("job %s (%s): lost to another worker; stopped", job_id, job.kind)
        return True
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if lost and not (task and task.cancelling()):
            logger.warning("job %s (%s): lost to another worker; stopped", job_id, job.kind)
            return True
        # We are shutting down: give the job back untried for another worker.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(RELEASE_TIMEOUT_S):
                await asyncio.shield(
                    queue.release(database, job_id, worker_id, now=clock(), attempt=attempt)
                )
        raise
    except Exception as exc:
        logger.exception("job %s (%s) failed", job_id, job.kind)
        await _fail(database, job_id, worker_id, exc, clock(), attempt)
        return True
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        if not running.done():
            running.cancel()

    done = outcome if isinstance(outcome, Done) else Done(result=outcome)
    try:
        completed = await queue.complete(
            database,
            job_id,
            worker_id,
            done.result,
            now=clock(),
            attempt=attempt,
            effects=done.write,
        )
    except Exception as exc:  # writing the effects failed: nothing was written
        logger.exception("job %s (%s): completing failed", job_id, job.kind)
        await _fail(database, job_id, worker_id, exc, clock(), attempt)
        return True
    if not completed:
        logger.warning("job %s (%s): lost to another worker; not completed", job_id, job.kind)
    return True


async def _fail(
    database: Database,
    job_id: int,
    worker_id: str,
    exc: BaseException,
    moment: datetime,
    attempt: int,
) -> None:
    try:
        await queue.fail(database, job_id, worker_id, _error_text(exc), now=moment, attempt=attempt)
    except Exception:  # the lease runs out and the job is retried anyway
        logger.exception("job %s: recording the failure failed", job_id)
