"""``deliberate minutes verify FILE.pdf`` on both databases: exit 0 with what the file is
for a published version, exit 1 with the reason for an altered copy and a non-PDF."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from deliberate import cli
from deliberate.config import Settings
from deliberate.db import Database
from tests.minutes.conftest import flip_signed_byte
from tests.minutes.test_services import publish
from tests.minutes.world import minutes_world
from tests.support.hearings import cheap_passwords

__all__ = ["cheap_passwords"]


async def run(*args: str) -> int:
    return await asyncio.to_thread(cli.main, list(args))


async def test_minutes_verify_exits_0_for_published_and_1_for_altered(
    database: Database,
    settings: Settings,
    cheap_passwords: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    m = await minutes_world(database, settings, forum=False, poll=False)
    published = await publish(database, settings, m)
    data = (settings.data_dir / "minutes" / published.pdf_path).read_bytes()  # type: ignore[operator]
    monkeypatch.setenv("DELIBERATE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DELIBERATE_DATABASE_URL", settings.database_url)
    good, bad, junk = tmp_path / "good.pdf", tmp_path / "bad.pdf", tmp_path / "junk.pdf"
    good.write_bytes(data)
    bad.write_bytes(flip_signed_byte(data))
    junk.write_bytes(b"not a pdf")

    assert await run("minutes", "verify", str(good)) == 0
    out = capsys.readouterr().out
    assert m.w.consultation.title in out and "minutes version 1 (current version)" in out
    assert published.signer_name in out  # type: ignore[operator]

    assert await run("minutes", "verify", str(bad)) == 1
    assert "altered" in capsys.readouterr().err
    assert await run("minutes", "verify", str(junk)) == 1
    assert "not_pdf" in capsys.readouterr().err
    assert await run("minutes", "verify", str(tmp_path / "missing.pdf")) == 1
