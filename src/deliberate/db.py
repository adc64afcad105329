"""Engine, sessions and SQLite connection discipline.

Reads use :meth:`Database.read`, writes use :meth:`Database.write`. On SQLite a write
transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock before it reads, so
a read-then-write transaction can never lose an update to a concurrent one (it waits,
up to the busy timeout, instead). Every SQLite connection gets WAL, foreign keys, a busy
timeout and full synchronisation (an acknowledged commit survives a crash).

PostgreSQL is reached through asyncpg (``postgresql+asyncpg://``) or psycopg 3
(``postgresql+psycopg://``); everything above the engine is the same for both. Each
driver gets a connect timeout, and psycopg sessions run in UTC, as asyncpg hands back
every timestamp in UTC whatever the server's time zone (dates and the audit chain's
hashes are computed from the values read back).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",  # deleted rows (ballots rewritten at closing) are zeroed
)
HEALTH_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 5


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes, a driver may hand back another time zone's
    offset; everything we store is UTC."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message says why, without secrets."""


def describe_error(exc: BaseException) -> str:
    """An error in one line, for a command's output: the driver's own exception (not
    SQLAlchemy's wrapper with its link), its message's lines joined. Neither driver puts
    the password in its messages."""
    original = getattr(exc, "orig", None)
    shown = original if isinstance(original, BaseException) else exc
    message = " ".join(str(shown).split())
    return f"{type(shown).__name__}: {message}" if message else type(shown).__name__


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases or in-memory ones)."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def use_wal(url: str) -> None:
    """Put a SQLite database file in WAL mode (once; it is stored in the file)."""
    path = sqlite_path(url)
    if path is None:
        return
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def driver(url: str) -> str:
    """The DBAPI driver of a URL: ``aiosqlite``, ``asyncpg`` or ``psycopg``."""
    return make_url(url).get_driver_name()


def connect_args(url: str) -> dict[str, Any]:
    """The connect timeout, in each PostgreSQL driver's own words."""
    name = driver(url)
    if name == "asyncpg":
        return {"timeout": CONNECT_TIMEOUT_S}
    if name == "psycopg":
        return {"connect_timeout": CONNECT_TIMEOUT_S}
    return {}


def _session_in_utc(dbapi_connection: Any, _record: Any) -> None:
    """psycopg reads timestamps back in the session's time zone (the server's default,
    often local time); asyncpg always in UTC. Make psycopg's session UTC too."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET TIME ZONE 'UTC'")
    finally:
        cursor.close()
    dbapi_connection.commit()  # SET is transactional: keep it past the pool's rollback


def postgres_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine on PostgreSQL through either driver, with its connect timeout and UTC
    sessions (also used by the migrations' environment)."""
    engine = create_async_engine(url, connect_args=connect_args(url), **kwargs)
    if driver(url) == "psycopg":
        event.listen(engine.sync_engine, "connect", _session_in_utc)
    return engine


def _sqlite_engine(url: str, begin: str, **kwargs: Any) -> AsyncEngine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        # WAL is a property of the file (migrations set it). Switching can fail with
        # "locked" without waiting for the busy timeout, so only switch when needed.
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def create_engines(url: str, *, echo: bool = False) -> tuple[AsyncEngine, AsyncEngine]:
    """(reader, writer). On PostgreSQL both are the same engine."""
    if is_sqlite(url):
        reader = _sqlite_engine(url, "BEGIN", echo=echo)
        writer = _sqlite_engine(url, "BEGIN IMMEDIATE", echo=echo)
        return reader, writer
    engine = postgres_engine(url, echo=echo, pool_pre_ping=True)
    return engine, engine


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.reader, self.writer = create_engines(url, echo=echo)
        self._read_sessions = async_sessionmaker(
            self.reader, class_=AsyncSession, expire_on_commit=False
        )
        self._write_sessions = async_sessionmaker(
            self.writer, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading; whatever it holds is rolled back at the end."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back on error."""
        async with self._write_sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_S), self.reader.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except TimeoutError as exc:
            raise DatabaseUnavailable("the database did not answer in time") from exc
        except Exception as exc:
            raise DatabaseUnavailable(
                f"the database cannot be reached ({type(exc).__name__})"
            ) from exc

    async def dispose(self) -> None:
        await self.reader.dispose()
        if self.writer is not self.reader:
            await self.writer.dispose()
