"""The audit log on a real database: appends chain, concurrency keeps the chain, and any
change to a stored row is found (also by `deliberate audit verify`)."""

import asyncio
import os
import subprocess
import sys

from sqlalchemy import text

from deliberate.audit import services as audit
from deliberate.config import Settings
from deliberate.db import Database


async def test_events_chain_and_verify(database: Database) -> None:
    async with database.write() as session:
        first = await audit.record(session, "abc", "test.one", payload={"x": 1})
        second = await audit.record(session, "abc", "test.two", subject="thing:1")
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    async with database.read() as session:
        assert await audit.verify(session) == (2, None)


async def test_concurrent_appends_get_consecutive_numbers(settings: Settings) -> None:
    databases = [Database(settings.database_url) for _ in range(4)]

    async def append(db: Database, n: int) -> None:
        for i in range(5):
            async with db.write() as session:
                await audit.record(session, f"w{n}", "test.concurrent", payload={"i": i})

    try:
        await asyncio.gather(*(append(db, n) for n, db in enumerate(databases)))
        async with databases[0].read() as session:
            checked, broken = await audit.verify(session)
            seqs = (await session.exec(text("SELECT seq FROM audit_event ORDER BY seq"))).all()
    finally:
        for db in databases:
            await db.dispose()
    assert broken is None
    assert checked == 20
    assert [row[0] for row in seqs] == list(range(1, 21))


async def _tamper(database: Database, statement: str) -> None:
    async with database.write() as session:
        await session.exec(text(statement))


async def test_changing_a_row_breaks_the_chain_there(database: Database) -> None:
    async with database.write() as session:
        for i in range(3):
            await audit.record(session, "abc", "test.event", payload={"i": i})
    await _tamper(database, "UPDATE audit_event SET actor = 'forged' WHERE seq = 2")
    async with database.read() as session:
        _checked, broken = await audit.verify(session)
    assert broken is not None and broken.seq == 2


async def test_deleting_the_last_row_is_found_by_the_head(database: Database) -> None:
    async with database.write() as session:
        for i in range(3):
            await audit.record(session, "abc", "test.event", payload={"i": i})
    await _tamper(database, "DELETE FROM audit_event WHERE seq = 3")
    async with database.read() as session:
        _checked, broken = await audit.verify(session)
    assert broken is not None and "head" in broken.reason


async def test_cli_verify_exits_1_at_the_first_broken_link(
    database: Database, settings: Settings
) -> None:
    async with database.write() as session:
        for i in range(3):
            await audit.record(session, "abc", "test.event", payload={"i": i})
    env = {
        "PATH": os.environ["PATH"],
        "DELIBERATE_DATA_DIR": str(settings.data_dir),
        "DELIBERATE_DATABASE_URL": settings.database_url,
    }
    command = [sys.executable, "-m", "deliberate", "audit", "verify"]
    good = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert "3 events" in good.stdout
    await _tamper(database, "UPDATE audit_event SET payload = '{}' WHERE seq = 2")
    bad = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "deliberate audit: broken at event 2: content does not match its hash"
    )
