"""Importing a 100,000-row resident roll (issue 4: "imported in under a minute"), against a
baseline in the same run: a bare bulk INSERT of the same 100,000 ready-made rows into the
same kind of database. The ratio shows what checking, tagging and reporting cost."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NAME = "census_import"
ROWS = 100_000
BAR_SECONDS = 60.0


def roll(rows: int) -> bytes:
    from deliberate.identity.idnumber import check_digit

    lines = ["id_number,area_code"]
    for i in range(rows):
        first17 = f"330106{1940 + (i // 1000) % 70:04d}{1 + (i // 70000) % 12:02d}"
        first17 += f"{1 + i % 28:02d}{i % 1000:03d}"
        lines.append(f"{first17}{check_digit(first17)},bench")
    return ("\n".join(lines) + "\n").encode()


async def measure(data_dir: Path, data: bytes) -> tuple[float, float, int]:
    os.environ["DELIBERATE_DATA_DIR"] = str(data_dir)
    from sqlalchemy import delete, insert

    from deliberate.config import Settings
    from deliberate.db import Database
    from deliberate.identity.census import import_roll, key_of
    from deliberate.identity.models import CensusEntry
    from deliberate.identity.services import upsert_area
    from deliberate.migrate import upgrade

    settings = Settings.from_env()
    await asyncio.to_thread(upgrade, settings.database_url)
    database = Database(settings.database_url)
    try:
        async with database.write() as session:
            area = await upsert_area(session, code="bench", name="基准", kind="city")
        started = time.perf_counter()
        report = await import_roll(database, settings.census_key, data, "bench", actor=None)
        imported = time.perf_counter() - started
        if report.accepted != ROWS or report.rejected:
            raise RuntimeError(f"unexpected report: {report.accepted} accepted")
        _key, version = key_of(settings.census_key)
        now = datetime.now(UTC)
        rows = [
            {
                "key_version": version,
                "tag": f"{i:064x}",
                "area_id": area.id,
                "birth_year": 1980,
                "imported_at": now,
            }
            for i in range(ROWS)
        ]
        async with database.write() as session:
            await session.exec(delete(CensusEntry))  # type: ignore[call-overload]
        started = time.perf_counter()
        async with database.write() as session:
            for start in range(0, ROWS, 1000):
                await session.exec(insert(CensusEntry), params=rows[start : start + 1000])  # type: ignore[call-overload]
        baseline = time.perf_counter() - started
        return imported, baseline, report.accepted
    finally:
        await database.dispose()


def run(duration: float, concurrency: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-census-"))
    try:
        imported, baseline, accepted = asyncio.run(measure(tmp, roll(ROWS)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    warnings = [] if imported < BAR_SECONDS else [f"import took {imported:.1f} s (bar: 60 s)"]
    return {
        "targets": {},
        "lines": [
            f"census_import        import {accepted} rows (SQLite): {imported:.2f} s "
            f"(bar: under {BAR_SECONDS:.0f} s)",
            f"census_import        baseline bulk INSERT of the same rows: {baseline:.2f} s",
        ],
        "ratios": {"baseline/import time": baseline / imported},
        "primary": "baseline/import time",
        "warnings": warnings,
    }
