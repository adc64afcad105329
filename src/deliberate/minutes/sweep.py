"""Removing signed files that no version of minutes references.

The render job writes the signed PDF (through a ``.part`` file) before the transaction
that completes the job records it on the version. A run that loses its job's lease, or is
stopped between the two, leaves a file nothing references and nothing serves.
``deliberate minutes sweep`` removes such files once they are older than :data:`GRACE`,
four times as long as a run may take (``jobs.worker.TIME_LIMIT``), so a run in flight
never loses its file. Only names the job writes are considered: anything else an operator
puts in the directory stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.jobs.worker import TIME_LIMIT
from deliberate.minutes.jobs import pdf_dir
from deliberate.minutes.models import Minutes

GRACE = 4 * TIME_LIMIT
JOB_FILE = re.compile(r"[0-9]+-[0-9a-f]{64}\.(pdf|part)")


@dataclass(frozen=True)
class StoredFile:
    name: str
    modified: datetime


def unreferenced(
    stored: Iterable[StoredFile], referenced: set[str], now: datetime, grace: timedelta = GRACE
) -> list[str]:
    """The job's files that no version references and that are older than ``grace``."""
    return sorted(
        f.name
        for f in stored
        if JOB_FILE.fullmatch(f.name) and f.name not in referenced and now - f.modified >= grace
    )


def _stored(directory: Path) -> list[StoredFile]:
    if not directory.is_dir():
        return []
    return [
        StoredFile(path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC))
        for path in directory.iterdir()
        if path.is_file()
    ]


async def sweep(
    settings: Settings, database: Database, *, now: datetime | None = None, remove: bool = True
) -> list[str]:
    """Remove (or with ``remove=False`` only list) the unreferenced files. The directory
    is listed before the references are read, so a file recorded in between is kept."""
    directory = pdf_dir(settings)
    stored = _stored(directory)
    async with database.read() as session:
        rows = await session.exec(
            select(Minutes.pdf_path).where(col(Minutes.pdf_path).is_not(None))
        )
        referenced = {name for name in rows.all() if name}
    names = unreferenced(stored, referenced, now or datetime.now(UTC))
    if remove:
        for name in names:
            (directory / name).unlink(missing_ok=True)
    return names
