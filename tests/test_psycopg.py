"""PostgreSQL through psycopg 3 (``postgresql+psycopg://``) as well as asyncpg.

The rest of the suite runs its database tests on SQLite and on PostgreSQL through
asyncpg. Here a chosen few of them run again through psycopg, on the same test server:
in this module ``database_url`` (and so ``settings``, ``database``, ``client``) is a
psycopg URL to a database of its own, copied from a template this module migrates through
psycopg. Those databases' default time zone is not UTC, as on many servers, so a driver
handing timestamps back in local time would show (dates, the audit chain's hashes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from deliberate.app import create_app
from deliberate.config import ConfigError, Settings, normalise_database_url
from deliberate.db import Database, DatabaseUnavailable, as_utc
from deliberate.migrate import alembic_config, upgrade
from tests import test_migrations
from tests.audit import test_log
from tests.conftest import BASE_URL, make_settings
from tests.jobs import test_queue
from tests.jobs.test_queue import others
from tests.polls import test_concurrency
from tests.support.hearings import cheap_passwords
from tests.support.postgres import PostgresServer, free_port
from tests.test_cli import deliberate

__all__ = ["cheap_passwords", "others"]  # fixtures, for the tests below

SERVER_TIME_ZONE = "Asia/Shanghai"


@pytest.fixture(scope="module")
def psycopg_template(postgres: PostgresServer) -> Iterator[str]:
    with postgres.scratch_database(prefix="psycopg_template") as name:
        upgrade(postgres.url(name, driver="psycopg"))
        yield name


@pytest.fixture
def database_url(postgres: PostgresServer, psycopg_template: str) -> Iterator[str]:
    """This module's (instead of the suite's SQLite and asyncpg): psycopg only."""
    with postgres.scratch_database(psycopg_template) as name:
        postgres.sql(f"ALTER DATABASE {name} SET timezone TO '{SERVER_TIME_ZONE}'")
        yield postgres.url(name, driver="psycopg")


async def _scalar(url: str, statement: str) -> object:
    """One value, through a bare engine (none of deliberate.db's connection set-up)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(statement))).scalar()
    finally:
        await engine.dispose()


# The connection itself.


async def test_sessions_are_psycopg_in_utc_whatever_the_servers_time_zone(
    database: Database, database_url: str
) -> None:
    assert database_url.startswith("postgresql+psycopg://")
    assert (database.dialect, database.writer.dialect.driver) == ("postgresql", "psycopg")
    # The server's default, as a bare connection sees it: not UTC.
    assert await _scalar(database_url, "SHOW timezone") == SERVER_TIME_ZONE
    moment = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)  # already 1 January in Shanghai
    async with database.read() as session:
        assert (await session.exec(text("SHOW timezone"))).scalar() == "UTC"
        statement = text("SELECT CAST(:moment AS timestamptz)").bindparams(moment=moment)
        read_back = (await session.exec(statement)).scalar()
    assert read_back.utcoffset() == timedelta(0)
    assert read_back.date() == moment.date()


async def test_the_connect_timeout_is_given_to_psycopg(database: Database) -> None:
    async with database.writer.connect() as connection:
        raw = await connection.get_raw_connection()
        dsn = raw.driver_connection.info.dsn  # type: ignore[union-attr]
    assert "connect_timeout=5" in dsn.split()


def test_as_utc_turns_any_offset_into_utc() -> None:
    shanghai = datetime(2027, 1, 1, 4, 30, tzinfo=timezone(timedelta(hours=8)))
    assert as_utc(shanghai).utcoffset() == timedelta(0)
    assert as_utc(shanghai).isoformat() == "2026-12-31T20:30:00+00:00"
    assert as_utc(datetime(2026, 12, 31, 20, 30)).isoformat() == "2026-12-31T20:30:00+00:00"


# Migrations and health.


def test_migrations_up_down_and_up_again(postgres: PostgresServer) -> None:
    with postgres.scratch_database(prefix="psycopg_migrations") as name:
        url = postgres.url(name, driver="psycopg")
        tables = (
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        upgrade(url)
        assert asyncio.run(test_migrations._diff(url)) == []
        assert asyncio.run(_scalar(url, tables)) > 20  # type: ignore[operator]
        command.downgrade(alembic_config(url), "base")
        assert asyncio.run(_scalar(url, tables)) == 0
        upgrade(url)
        assert asyncio.run(test_migrations._diff(url)) == []


async def test_healthz(client: AsyncTestClient[Litestar], database: Database) -> None:
    await database.ping()
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_answers_503_when_psycopg_cannot_connect(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing"
    db = Database(url)
    try:
        with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
            await db.ping()
    finally:
        await db.dispose()
    app: Litestar = create_app(make_settings(tmp_path, url))
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


# The job queue: SKIP LOCKED between workers.


async def test_concurrent_claimers_never_share_a_job(
    database: Database, others: list[Database]
) -> None:
    await test_queue.test_concurrent_claimers_never_share_a_job(database, others)


async def test_a_locked_job_is_skipped_not_waited_for(
    database: Database, others: list[Database]
) -> None:
    await test_queue.test_a_locked_job_is_skipped_not_waited_for(database, others)


# Votes (the plain-SQL path) and the audit chain.


@pytest.mark.usefixtures("cheap_passwords")
async def test_every_eligible_client_voting_twice_at_once_gets_one_ballot(
    database: Database, settings: Settings
) -> None:
    await test_concurrency.test_every_eligible_client_voting_twice_at_once_gets_one_ballot(
        database, settings
    )


@pytest.mark.usefixtures("cheap_passwords")
async def test_a_close_racing_the_last_votes_loses_no_acknowledged_vote(
    database: Database, settings: Settings
) -> None:
    await test_concurrency.test_a_close_racing_the_last_votes_loses_no_acknowledged_vote(
        database, settings
    )


async def test_concurrent_audit_appends_chain(settings: Settings) -> None:
    await test_log.test_concurrent_appends_get_consecutive_numbers(settings)


async def test_cli_audit_verify(database: Database, settings: Settings) -> None:
    await test_log.test_cli_verify_exits_1_at_the_first_broken_link(database, settings)


# Configuration and the command line.


def test_psycopg_urls_are_kept_and_plain_ones_mean_asyncpg(tmp_path: Path) -> None:
    url = "postgresql+psycopg://deliberate:pw@db:5433/deliberate?sslmode=require"
    assert normalise_database_url(url) == url
    assert make_settings(tmp_path, url).database_url == url
    assert (
        make_settings(tmp_path, "postgresql://deliberate@db/deliberate").database_url
        == "postgresql+asyncpg://deliberate@db/deliberate"
    )
    with pytest.raises(ConfigError, match="cannot be read") as refused:
        normalise_database_url("postgresql+psycopg://deliberate:secret@db:port/deliberate")
    assert "secret" not in str(refused.value)


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_migrate_reports_an_unreachable_psycopg_database_in_one_line(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://nobody:secret@127.0.0.1:{free_port()}/x"
    env = {"DELIBERATE_DATA_DIR": str(tmp_path), "DELIBERATE_DATABASE_URL": url}
    result = deliberate("migrate", env=env)
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert line.startswith("deliberate migrate: migration failed: OperationalError: ")
    assert "Connection refused" in line
    assert "secret" not in line
    verify = deliberate("audit", "verify", env=env)
    assert verify.returncode == 1
    assert _one_line(verify.stderr).startswith("deliberate audit: database: OperationalError: ")


def test_migrate_refuses_an_unreadable_psycopg_url_in_one_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:notaport/x"
    env = {"DELIBERATE_DATA_DIR": str(tmp_path), "DELIBERATE_DATABASE_URL": url}
    result = deliberate("migrate", env=env)
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert line.startswith("deliberate migrate: configuration: DELIBERATE_DATABASE_URL")
    assert "secret" not in line
