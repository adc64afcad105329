import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.throttle import services as throttle
from deliberate.throttle.policy import Rule

RULE = Rule(
    "t",
    limit=3,
    window=timedelta(minutes=15),
    first_delay=timedelta(minutes=1),
    max_delay=timedelta(hours=1),
)


async def test_blocks_after_the_limit_and_clears(database: Database) -> None:
    now = datetime.now(UTC)
    for _ in range(3):
        async with database.write() as session:
            await throttle.check(session, [(RULE, "k")], now)
            await throttle.fail(session, RULE, "k", now)
    async with database.read() as session:
        with pytest.raises(throttle.Throttled) as blocked:
            await throttle.check(session, [(RULE, "k"), (RULE, "other")], now)
    assert blocked.value.retry_after == 60
    assert blocked.value.headers()["RateLimit-Policy"] == "3;w=900"
    async with database.write() as session:
        await throttle.clear(session, "k")
    async with database.read() as session:
        await throttle.check(session, [(RULE, "k")], now)


async def test_concurrent_failures_are_all_counted(settings: Settings) -> None:
    now = datetime.now(UTC)
    databases = [Database(settings.database_url) for _ in range(5)]

    async def fail_once(db: Database) -> None:
        async with db.write() as session:
            await throttle.fail(session, RULE, "shared", now)

    try:
        await asyncio.gather(*(fail_once(db) for db in databases))
        async with databases[0].read() as session:
            bucket = await session.get(throttle.ThrottleBucket, "shared")
    finally:
        for db in databases:
            await db.dispose()
    assert bucket is not None and bucket.failures == 5
