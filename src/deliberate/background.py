"""Work the server does by itself, in every worker, without another process: closing
polls whose time is up and recording the release of expert forums whose deadline has
passed (every 30 s) and working the job queue (every 2 s when idle).
Each run is safe to repeat and to race with another worker's (the services lock the
rows they change and re-check under the lock; jobs are claimed under a lease)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from deliberate.db import Database
from deliberate.forums import services as forums
from deliberate.jobs import worker as jobs
from deliberate.jobs.queue import worker_identity
from deliberate.polls import services as polls

logger = logging.getLogger("deliberate.background")
INTERVAL_SECONDS = 30.0
JOB_INTERVAL_SECONDS = 2.0
JOBS_PER_ROUND = 50  # then sleep once, so one worker never hogs the loop


async def run_once(database: Database) -> None:
    closed = await polls.close_due(database)
    if closed:
        logger.info("closed polls %s", closed)
    released = await forums.release_due(database)
    if released:
        logger.info("released expert forums %s", released)


async def run_jobs(database: Database, worker_id: str, *, limit: int = JOBS_PER_ROUND) -> int:
    """Run due jobs one after another until there are none (or ``limit``); how many."""
    count = 0
    while count < limit and await jobs.run_one(database, worker_id):
        count += 1
    return count


async def _loop(database: Database, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)  # first run after one interval: startup stays quick
        try:
            await run_once(database)
        except Exception:  # keep serving; the next round tries again
            logger.exception("background round failed")


async def _job_loop(database: Database, interval: float, worker_id: str) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await run_jobs(database, worker_id)
        except Exception:  # a handler's errors are recorded on its job; this is the queue's
            logger.exception("job round failed")


@asynccontextmanager
async def background(
    database: Database,
    interval: float = INTERVAL_SECONDS,
    job_interval: float = JOB_INTERVAL_SECONDS,
) -> AsyncIterator[None]:
    tasks = [
        asyncio.create_task(_loop(database, interval), name="deliberate-background"),
        asyncio.create_task(
            _job_loop(database, job_interval, worker_identity()), name="deliberate-jobs"
        ),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
