"""Removing signed files nothing references: the pure choice, and ``deliberate minutes
sweep`` on both databases next to a real published version."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deliberate import cli
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.minutes.sweep import GRACE, StoredFile, unreferenced
from tests.minutes.test_services import publish
from tests.minutes.world import minutes_world
from tests.support.hearings import cheap_passwords

__all__ = ["cheap_passwords"]

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
OLD = NOW - GRACE
FRESH = NOW - GRACE + timedelta(seconds=1)
A = "7-" + "a" * 64
B = "8-" + "b" * 64


def test_only_old_unreferenced_job_files_are_chosen() -> None:
    stored = [
        StoredFile(f"{A}.pdf", OLD - timedelta(days=30)),  # published: referenced
        StoredFile(f"{B}.pdf", OLD),  # a lost run's file, old enough
        StoredFile(f"{B}.part", OLD),  # a stopped run's partial file
        StoredFile("9-" + "c" * 64 + ".pdf", FRESH),  # a run in flight may still record it
        StoredFile("notes.pdf", OLD - timedelta(days=1)),  # not a name the job writes
        StoredFile(f"{A}.pdf.bak", OLD - timedelta(days=1)),
        StoredFile("7-" + "A" * 64 + ".pdf", OLD),  # the job writes lower-case digests
    ]
    assert unreferenced(stored, {f"{A}.pdf"}, NOW) == [f"{B}.part", f"{B}.pdf"]
    assert unreferenced(stored, {f"{A}.pdf", f"{B}.pdf", f"{B}.part"}, NOW) == []
    assert unreferenced([], set(), NOW) == []


async def run(*args: str) -> int:
    return await asyncio.to_thread(cli.main, list(args))


def _age(path: Path, by: timedelta) -> None:
    moment = (datetime.now(UTC) - by).timestamp()
    os.utime(path, (moment, moment))


async def test_sweep_removes_lost_files_and_keeps_the_published_one(
    database: Database,
    settings: Settings,
    cheap_passwords: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DELIBERATE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DELIBERATE_DATABASE_URL", settings.database_url)
    # No directory yet: nothing to do.
    assert await run("minutes", "sweep") == 0
    assert "removed 0 unreferenced files" in capsys.readouterr().out

    m = await minutes_world(database, settings, forum=False, poll=False)
    published = await publish(database, settings, m)
    directory = settings.data_dir / "minutes"
    kept = directory / published.pdf_path  # type: ignore[operator]
    _age(kept, GRACE * 10)
    lost, partial = directory / f"{B}.pdf", directory / f"{B}.part"
    in_flight, foreign = directory / f"{A}.pdf", directory / "README.txt"
    for path, age in ((lost, GRACE * 2), (partial, GRACE), (in_flight, timedelta(0))):
        path.write_bytes(b"%PDF-1.7 lost")
        _age(path, age)
    foreign.write_text("the operator's own notes")
    _age(foreign, GRACE * 10)

    assert await run("minutes", "sweep", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would remove 2 unreferenced files older than 1 h" in out
    assert lost.name in out and partial.name in out
    assert lost.exists() and partial.exists()

    assert await run("minutes", "sweep") == 0
    out = capsys.readouterr().out
    assert "removed 2 unreferenced files" in out
    assert not lost.exists() and not partial.exists()
    assert kept.exists() and in_flight.exists() and foreign.exists()
    # The published file still verifies as what the site serves.
    assert await run("minutes", "verify", str(kept)) == 0
