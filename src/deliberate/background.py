"""Work the server does by itself, in every worker, without another process: closing
polls whose time is up. Each run is safe to repeat and to race with another worker's
(the services lock the rows they change and re-check under the lock)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from deliberate.db import Database
from deliberate.polls import services as polls

logger = logging.getLogger("deliberate.background")
INTERVAL_SECONDS = 30.0


async def run_once(database: Database) -> None:
    closed = await polls.close_due(database)
    if closed:
        logger.info("closed polls %s", closed)


async def _loop(database: Database, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)  # first run after one interval: startup stays quick
        try:
            await run_once(database)
        except Exception:  # keep serving; the next round tries again
            logger.exception("background round failed")


@asynccontextmanager
async def background(database: Database, interval: float = INTERVAL_SECONDS) -> AsyncIterator[None]:
    task = asyncio.create_task(_loop(database, interval), name="deliberate-background")
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
