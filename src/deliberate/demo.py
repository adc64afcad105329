"""The demonstration data set (development only). Each feature adds its part here."""

from __future__ import annotations

from dataclasses import dataclass

from deliberate.db import Database
from deliberate.identity import queries as area_queries
from deliberate.identity import services as area_services
from deliberate.identity.models import AreaKind

# A fictional city, clearly marked as such, so nobody mistakes it for a real place.
DEMO_AREAS: tuple[tuple[str, str, str, AreaKind, str | None], ...] = (
    ("demo", "示范市（演示）", "Demo City (demo)", AreaKind.city, None),
    ("demo-01", "河畔区", "Riverside District", AreaKind.district, "demo"),
    ("demo-01-01", "和平街道", "Heping Street", AreaKind.street, "demo-01"),
    ("demo-01-01-001", "幸福社区", "Xingfu Community", AreaKind.community, "demo-01-01"),
    ("demo-01-01-002", "光明社区", "Guangming Community", AreaKind.community, "demo-01-01"),
    ("demo-01-02", "青山镇", "Qingshan Town", AreaKind.street, "demo-01"),
    ("demo-01-02-001", "青山村", "Qingshan Village", AreaKind.village, "demo-01-02"),
)


@dataclass(frozen=True)
class DemoReport:
    loaded: bool
    lines: tuple[str, ...]


async def database_is_empty(database: Database) -> bool:
    async with database.read() as session:
        return await area_queries.count_areas(session) == 0


async def load_demo(database: Database) -> DemoReport:
    """Create (or refresh in place) the demo data. Safe to run twice."""
    lines = []
    async with database.write() as session:
        for code, name, name_en, kind, parent in DEMO_AREAS:
            await area_services.upsert_area(
                session, code=code, name=name, name_en=name_en, kind=kind, parent_code=parent
            )
            lines.append(f"area {code}: {name} / {name_en} ({kind.value})")
    return DemoReport(loaded=True, lines=tuple(lines))
