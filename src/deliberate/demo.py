"""The demonstration data set (development only). Each feature adds its part here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import select

from deliberate.accounts.admin_tasks import TaskError, add_committee_member, create_user
from deliberate.db import Database
from deliberate.identity import queries as area_queries
from deliberate.identity import services as area_services
from deliberate.identity.models import Area, AreaKind, Committee

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


# (login, display name, role, committee role); passwords are made fresh and printed once.
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("resident@demo.invalid", "演示居民 Demo resident", "resident", None),
    ("chair@demo.invalid", "演示主任 Demo chair", "resident", "chair"),
    ("admin@demo.invalid", "演示管理员 Demo admin", "admin", None),
)
DEMO_COMMITTEE = ("幸福社区居民委员会（演示）", "Xingfu Community Residents' Committee (demo)")


async def load_demo(database: Database) -> DemoReport:
    """Create (or refresh in place) the demo data. Safe to run twice."""
    lines = []
    async with database.write() as session:
        for code, name, name_en, kind, parent in DEMO_AREAS:
            await area_services.upsert_area(
                session, code=code, name=name, name_en=name_en, kind=kind, parent_code=parent
            )
            lines.append(f"area {code}: {name} / {name_en} ({kind.value})")
        community = (await session.exec(select(Area).where(Area.code == "demo-01-01-001"))).one()
        committee = (
            await session.exec(select(Committee).where(Committee.name == DEMO_COMMITTEE[0]))
        ).first()
        if committee is None:
            committee = Committee(
                area_id=community.id, name=DEMO_COMMITTEE[0], name_en=DEMO_COMMITTEE[1]
            )
            session.add(committee)
            await session.flush()
        lines.append(f"committee: {DEMO_COMMITTEE[0]} / {DEMO_COMMITTEE[1]}")
    for login, name, role, committee_role in DEMO_USERS:
        password = "demo-" + secrets.token_urlsafe(9)
        try:
            user = await create_user(
                database, login=login, password=password, role=role, display_name=name
            )
        except TaskError:
            lines.append(f"user {login}: exists (password unchanged)")
            continue
        if committee_role:
            await add_committee_member(
                database, user=user, committee=committee, role=committee_role
            )
        note = f", {committee_role} of the demo committee" if committee_role else ""
        lines.append(f"user {login} ({role}{note}): password {password}")
    return DemoReport(loaded=True, lines=tuple(lines))
