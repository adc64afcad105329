"""The demonstration data set (development only). Each feature adds its part here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import select

from deliberate.accounts.admin_tasks import TaskError, add_committee_member, create_user
from deliberate.accounts.models import User
from deliberate.config import Settings
from deliberate.consultations import demo as consultation_demo
from deliberate.db import Database
from deliberate.decisions import demo as decisions_demo
from deliberate.forums import demo as forum_demo
from deliberate.identity import queries as area_queries
from deliberate.identity import services as area_services
from deliberate.identity.census import VALIDITY
from deliberate.identity.models import (
    Area,
    AreaKind,
    Committee,
    ExpertCredential,
    Verification,
    VerificationMethod,
)
from deliberate.minutes import demo as minutes_demo
from deliberate.polls import demo as poll_demo

# A fictional city, clearly marked as such, so nobody mistakes it for a real place.
DEMO_AREAS: tuple[tuple[str, str, str, AreaKind, str | None], ...] = (
    ("demo", "示范市（演示）", "Demo City (demo)", AreaKind.city, None),
    ("demo-01", "河畔区", "Riverside District", AreaKind.district, "demo"),
    ("demo-01-01", "和平街道", "Heping Street", AreaKind.street, "demo-01"),
    ("demo-01-01-001", "幸福社区", "Xingfu Community", AreaKind.community, "demo-01-01"),
    ("demo-01-01-002", "光明社区", "Guangming Community", AreaKind.community, "demo-01-01"),
    ("demo-01-02", "青山镇", "Qingshan Town", AreaKind.street, "demo-01"),
    ("demo-01-02-001", "青山村", "Qingshan Village", AreaKind.village, "demo-01-02"),
    ("demo-02", "湖滨区", "Lakeside District", AreaKind.district, "demo"),
    ("demo-02-01", "柳岸街道", "Liu'an Street", AreaKind.street, "demo-02"),
    ("demo-02-01-001", "柳岸社区", "Liu'an Community", AreaKind.community, "demo-02-01"),
    ("demo-02-01-002", "荷塘社区", "Hetang Community", AreaKind.community, "demo-02-01"),
)


@dataclass(frozen=True)
class DemoReport:
    loaded: bool
    lines: tuple[str, ...]


async def _verify(database: Database, user: User, area_code: str, birth_year: int) -> None:
    now = datetime.now(UTC)
    async with database.write() as session:
        area = (await session.exec(select(Area).where(Area.code == area_code))).one()
        session.add(
            Verification(
                user_id=user.id,  # type: ignore[arg-type]
                area_id=area.id,  # type: ignore[arg-type]
                method=VerificationMethod.in_person.value,
                birth_year=birth_year,
                verified_at=now,
                valid_until=now.date() + VALIDITY,
            )
        )


async def _credential(database: Database, user: User, committee: Committee) -> None:
    async with database.write() as session:
        session.add(
            ExpertCredential(
                committee_id=committee.id,  # type: ignore[arg-type]
                user_id=user.id,  # type: ignore[arg-type]
                field="结构工程 Structural engineering",
                organisation="示范市建筑设计研究院 Demo City Design Institute",
                title="高级工程师 Senior engineer",
                verified_at=datetime.now(UTC),
            )
        )


async def database_is_empty(database: Database) -> bool:
    async with database.read() as session:
        return await area_queries.count_areas(session) == 0


# (login, display name, role, committee role); passwords are made fresh and printed once.
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("resident@demo.invalid", "演示居民 Demo resident", "resident", None),
    ("newcomer@demo.invalid", "演示新居民 Demo newcomer (not verified)", "resident", None),
    ("chair@demo.invalid", "演示主任 Demo chair", "resident", "chair"),
    ("officer@demo.invalid", "演示核实员 Demo officer", "officer", None),
    ("expert@demo.invalid", "演示专家 Demo expert", "resident", None),
    ("admin@demo.invalid", "演示管理员 Demo admin", "admin", None),
)
DEMO_OFFICER_AREA = "demo-01-01"  # Heping Street: its communities' counter
DEMO_VERIFIED = {"resident@demo.invalid": ("demo-01-01-001", 1968)}
DEMO_COMMITTEE = ("幸福社区居民委员会（演示）", "Xingfu Community Residents' Committee (demo)")


async def load_demo(database: Database, settings: Settings | None = None) -> DemoReport:
    """Create (or refresh in place) the demo data. Safe to run twice. With the deployment's
    ``settings`` (as ``deliberate demo`` passes them) the demo minutes are signed too."""
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
                database,
                login=login,
                password=password,
                role=role,
                display_name=name,
                area_code=DEMO_OFFICER_AREA if role == "officer" else None,
            )
        except TaskError:
            lines.append(f"user {login}: exists (password unchanged)")
            continue
        if committee_role:
            await add_committee_member(
                database, user=user, committee=committee, role=committee_role
            )
        if login in DEMO_VERIFIED:
            await _verify(database, user, *DEMO_VERIFIED[login])
        if login == "expert@demo.invalid":
            await _credential(database, user, committee)
        note = f", {committee_role} of the demo committee" if committee_role else ""
        if login == "expert@demo.invalid":
            note += ", structural engineering expert of the demo committee"
        if login in DEMO_VERIFIED:
            note += f", verified resident of {DEMO_VERIFIED[login][0]}"
        lines.append(f"user {login} ({role}{note}): password {password}")
    lines.extend(await consultation_demo.load(database, committee))
    lines.extend(await poll_demo.load(database))  # after the consultations: polls 1 to 6
    lines.extend(await forum_demo.load(database))
    lines.extend(await minutes_demo.load(database, settings))  # signed minutes of consultation 1
    lines.extend(await decisions_demo.load(database))  # cites those minutes, if published
    return DemoReport(loaded=True, lines=tuple(lines))
