"""Fixtures shared by the whole suite.

Every test that asks for ``database_url`` (directly or through ``settings``, ``app`` or
``client``) runs twice: on SQLite and on a real PostgreSQL server started for this run.
Each test gets its own database, copied from a template built once through the Alembic
migrations, so tests never see each other's data.

Passwords are hashed at argon2id's lowest cost (``cheap_argon2``): worlds of a dozen
accounts would otherwise spend 0.13 s on each hash and each sign-in. A test about the
production parameters says so with ``@pytest.mark.production_argon2``.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlmodel.main import default_registry

from deliberate.accounts import passwords
from deliberate.app import create_app
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.migrate import upgrade
from tests.support.accounts import CHEAP_ARGON2, PeerShim, Person, make_person
from tests.support.postgres import PostgresServer

BACKENDS = ("sqlite", "postgresql")
BASE_URL = "https://testserver.local"
# Copies of the PostgreSQL template made ahead, while the tests before run.
SCRATCH_STOCK = 2

_backend_counts: dict[str, int] = dict.fromkeys(BACKENDS, 0)
_browser_tests_run = 0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "production_argon2: hash passwords at the production argon2id cost"
    )


@pytest.fixture(autouse=True)
def cheap_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test hashes at argon2id's lowest cost unless marked ``production_argon2``.
    The cached dummy hash (for equal timing) is dropped on both sides, so no hash of one
    cost outlives its test. (Subprocesses, as the browser tests' server, are untouched.)"""
    passwords._dummy_hash.cache_clear()
    if request.node.get_closest_marker("production_argon2") is None:
        monkeypatch.setattr(passwords, "HASHER", CHEAP_ARGON2)
    yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> str:
    name = "deliberate_template"
    postgres.sql(f"CREATE DATABASE {name}")
    upgrade(postgres.url(name))
    return name


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    # Counted from the reports (see pytest_runtest_logreport): they reach the main process
    # when pytest-xdist runs the tests in others.
    request.node.user_properties.append(("backend", request.param))
    if request.param == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    with server.scratch_database(template, stock=SCRATCH_STOCK) as name:
        yield server.url(name)


def make_settings(data_dir: Path, database_url: str, **env: str) -> Settings:
    return Settings.from_env(
        {"DELIBERATE_DATA_DIR": str(data_dir), "DELIBERATE_DATABASE_URL": database_url, **env}
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    """Everything production insists on (the signing files only need to exist for now)."""
    key, cert = tmp_path / "signing.key", tmp_path / "signing.crt"
    key.write_text("key")
    cert.write_text("cert")
    return {
        "DELIBERATE_ENV": "production",
        "DELIBERATE_SECRET_KEY": "s" * 48,
        "DELIBERATE_CENSUS_KEY": "c" * 48,
        "DELIBERATE_SIGNING_KEY": str(key),
        "DELIBERATE_SIGNING_CERT": str(cert),
    }


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=PeerShim(app), base_url=BASE_URL) as test_client:  # type: ignore[arg-type]
        test_client.follow_redirects = False  # tests look at each redirect, as a browser gets it
        yield test_client


@pytest.fixture
def person(database: Database, settings: Settings):
    """Make a person: ``await person("a@example.org", role=..., totp=..., ...)``."""

    async def make(login: str = "resident@example.org", **options: Any) -> Person:
        return await make_person(database, settings, login, **options)

    return make


def pytest_collection_finish(session: pytest.Session) -> None:
    """What exists once the tests are collected (modules, test items, their parameters)
    lives to the end of the run: leave it out of the cyclic garbage collector's full
    passes, which otherwise scan it again and again (seconds each, late in the run)."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Forget the statements each mapper compiled for this test's engines. SQLAlchemy
    keeps up to 100 per mapper, keyed by the engine's dialect: every test has its own
    engines, so the entries of tests gone by are never used again, yet they would keep
    their dialects and everything those hold alive (and scanned by the collector)."""
    try:
        return (yield)
    finally:
        for mapper in default_registry.mappers:
            mapper._compiled_cache.clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop in the main thread
    while it runs, which the asyncio tests must not share."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _browser_tests_run
    if report.when == "setup":
        for name, value in report.user_properties:
            if name == "backend":
                _backend_counts[value] += 1
    if report.when == "call" and "browser" in report.keywords:
        _browser_tests_run += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = ", ".join(f"{name}: {count} tests" for name, count in _backend_counts.items())
    terminalreporter.write_line(f"database backends exercised: {counts}")
    terminalreporter.write_line(f"browser tests run in headless Chromium: {_browser_tests_run}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under `make test`, a skipped test or an unexercised backend fails the run (judged
    in the main process, which sees every report, not in pytest-xdist's workers)."""
    if os.environ.get("DELIBERATE_STRICT_TESTS") != "1" or exitstatus != 0:
        return
    if hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    unexercised = [name for name, count in _backend_counts.items() if count == 0]
    if _browser_tests_run == 0:
        unexercised.append("chromium")
    if skipped or unexercised:
        if reporter:
            reporter.write("\n")
            reporter.write_line(
                f"strict mode: {skipped} skipped tests, not exercised: {unexercised}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
