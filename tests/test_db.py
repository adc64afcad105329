"""Connection discipline: SQLite pragmas, write transactions that cannot lose updates,
reachability."""

import asyncio
import shutil
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from deliberate.app import create_app
from deliberate.db import Database, DatabaseUnavailable
from tests.conftest import BASE_URL, make_settings
from tests.support.postgres import free_port


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path):
    target = tmp_path / "db.sqlite3"
    shutil.copyfile(sqlite_template, target)
    db = Database(f"sqlite+aiosqlite:///{target}")
    async with db.write() as session:
        await session.exec(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        await session.exec(text("INSERT INTO counter VALUES (1, 0)"))
    yield db
    await db.dispose()


async def test_sqlite_pragmas_on_every_connection(sqlite_db: Database) -> None:
    for engine in (sqlite_db.reader, sqlite_db.writer):
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 10_000
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 2  # FULL


async def _increment(db: Database, *, immediate: bool, pause: float) -> None:
    sessions = db.write() if immediate else db.read()
    async with sessions as session:
        n = (await session.exec(text("SELECT n FROM counter WHERE id = 1"))).scalar_one()
        await asyncio.sleep(pause)  # the other transaction reads meanwhile
        await session.exec(text("UPDATE counter SET n = :n WHERE id = 1").bindparams(n=n + 1))
        if not immediate:
            await session.commit()


async def _count(db: Database) -> int:
    async with db.read() as session:
        return (await session.exec(text("SELECT n FROM counter WHERE id = 1"))).scalar_one()


async def test_concurrent_read_then_write_transactions_lose_no_update(
    sqlite_db: Database,
) -> None:
    # Two independent connections (as two workers would have).
    other = Database(sqlite_db.url)
    try:
        await asyncio.gather(
            _increment(sqlite_db, immediate=True, pause=0.2),
            _increment(other, immediate=True, pause=0.2),
        )
    finally:
        await other.dispose()
    assert await _count(sqlite_db) == 2


async def test_without_begin_immediate_the_same_race_fails(sqlite_db: Database) -> None:
    """The control: deferred transactions cannot both commit their read-then-write."""
    other = Database(sqlite_db.url)
    try:
        results = await asyncio.gather(
            _increment(sqlite_db, immediate=False, pause=0.2),
            _increment(other, immediate=False, pause=0.2),
            return_exceptions=True,
        )
    finally:
        await other.dispose()
    failed = [r for r in results if isinstance(r, OperationalError)]
    assert failed or await _count(sqlite_db) < 2


async def test_write_rolls_back_on_error(database: Database) -> None:
    from deliberate.identity.models import Area

    with pytest.raises(RuntimeError):
        async with database.write() as session:
            session.add(Area(code="x", name="X", kind="city"))
            await session.flush()
            raise RuntimeError("boom")
    async with database.read() as session:
        assert (await session.exec(text("SELECT count(*) FROM area"))).scalar_one() == 0


async def test_ping(database: Database) -> None:
    await database.ping()


async def test_unreachable_database() -> None:
    db = Database(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing")
    try:
        with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
            await db.ping()
    finally:
        await db.dispose()


async def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"
    app: Litestar = create_app(make_settings(tmp_path, url))
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "unreachable"
    assert "cannot be reached" in body["reason"]


async def test_migrated_sqlite_files_are_already_in_wal_mode(sqlite_template: Path) -> None:
    import sqlite3

    connection = sqlite3.connect(sqlite_template)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


async def test_many_first_connections_at_once_on_a_busy_database(sqlite_db: Database) -> None:
    """Fresh connections must wait for a writer, never fail with "database is locked"."""
    others = [Database(sqlite_db.url) for _ in range(8)]

    async def write(db: Database, n: int) -> None:
        async with db.write() as session:
            await session.exec(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
            await asyncio.sleep(0.02)

    try:
        await asyncio.gather(*(write(db, n) for n, db in enumerate(others)))
    finally:
        for db in others:
            await db.dispose()
    assert await _count(sqlite_db) == 8
