"""Builders for consultation and hearing tests: an area tree, committees with their
members, residents verified in an area, a consultation and a hearing made through the
real services, and the ``Auth`` a request would carry.

Times are given explicitly (``now=``): ``T0`` is when the test world is set up, the
hearing's window opens at ``OPENS`` and closes at ``CLOSES``; ``BEFORE``, ``DURING`` and
``AFTER`` are moments before, inside and after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from deliberate.accounts import passwords
from deliberate.accounts.admin_tasks import add_committee_member
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.accounts.queries import auth_for_token_hash
from deliberate.accounts.services import Context
from deliberate.accounts.tokens import Keys, session_hash, session_token
from deliberate.audit.models import AuditEvent
from deliberate.config import Settings
from deliberate.consultations import services as consultation_services
from deliberate.consultations.forms import ConsultationInput, parse_consultation
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.hearings import queries, speakers
from deliberate.hearings import services as hearing_services
from deliberate.hearings.forms import CallInput, DraftInput, HearingInput, parse_call, parse_draft
from deliberate.hearings.models import Hearing, Section, SpeakerApplication, SpeakerCall
from deliberate.identity.models import Area, AreaKind, Committee, Verification
from deliberate.identity.services import upsert_area
from deliberate.mail.models import OutboxMessage
from tests.support.accounts import CHEAP_ARGON2, make_person

T0 = datetime.now(UTC).replace(second=0, microsecond=0)
OPENS = T0 + timedelta(hours=1)
CLOSES = T0 + timedelta(days=10)
BEFORE = T0 + timedelta(minutes=30)
DURING = T0 + timedelta(hours=2)
AFTER = CLOSES + timedelta(days=1)

SITE_URL = "https://deliberate.example.org"
DRAFT = (
    "为规范小区停车秩序，制定本办法。\n\n"
    "## 第一条 停车位\n\n小区内共有车位120个，先到先停。\n\n"
    "## 第二条 收费\n\n每月收费100元，按季度缴纳。\n"
)

# The area tree: a city with a district, a street and two communities; another city far
# away with one community.
AREAS = (
    ("hx", "和谐市", "city", None),
    ("hx-d", "和谐区", "district", "hx"),
    ("hx-s", "和谐街道", "street", "hx-d"),
    ("hx-c1", "幸福社区", "community", "hx-s"),
    ("hx-c2", "安宁社区", "community", "hx-s"),
    ("far", "远方市", "city", None),
    ("far-c1", "远方社区", "community", "far"),
)


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests create many accounts and never test passwords: hash them at argon2id's
    lowest cost instead of the production cost (0.1 s each). (Now the default for every
    test, see ``cheap_argon2`` in tests/conftest.py; kept for the modules that name it.)
    The cached dummy hash (used for equal timing) is dropped on both sides, so no cheap
    hash outlives the test."""
    passwords._dummy_hash.cache_clear()
    monkeypatch.setattr(passwords, "HASHER", CHEAP_ARGON2)
    yield
    passwords._dummy_hash.cache_clear()


def context(settings: Settings) -> Context:
    return Context(keys=Keys(settings.secret_key), development=False, site_url=SITE_URL)


async def areas(database: Database) -> dict[str, int]:
    """The area tree (made once per database): code → id.

    Worlds ask for it many times (every resident, committee and consultation). When the
    tree is already there as ``upsert_area`` would leave it, upserting again changes
    nothing (13 SELECTs and no write): one read answers instead."""
    async with database.read() as session:
        found = list((await session.exec(select(Area))).all())
    if _tree_is_there(found):
        return {a.code: a.id for a in found}  # type: ignore[misc]
    async with database.write() as session:
        for code, name, kind, parent in AREAS:
            await upsert_area(session, code=code, name=name, kind=kind, parent_code=parent)  # type: ignore[arg-type]
        return {a.code: a.id for a in (await session.exec(select(Area))).all()}  # type: ignore[misc]


def _tree_is_there(found: list[Area]) -> bool:
    """Every area of ``AREAS`` exactly as ``upsert_area`` writes it (name, no English
    name, kind, parent)."""
    by_code = {a.code: a for a in found}
    if any(code not in by_code for code, *_ in AREAS):
        return False
    return all(
        (area.name, area.name_en, area.kind, area.parent_id)
        == (name, None, AreaKind(kind).value, by_code[parent].id if parent else None)
        for code, name, kind, parent in AREAS
        for area in (by_code[code],)
    )


async def auth_for(database: Database, user: User, *, second_factor: bool = True) -> Auth:
    """What the middleware would load for a session of ``user``: a real session row, read
    back with :func:`auth_for_token_hash` (so committee membership is looked up too)."""
    now = datetime.now(UTC)
    token_hash = session_hash(session_token())
    async with database.write() as session:
        session.add(
            UserSession(
                token_hash=token_hash,
                user_id=user.id,  # type: ignore[arg-type]
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=8),
                second_factor_at=now if second_factor else None,
            )
        )
        await session.flush()
        auth = await auth_for_token_hash(session, token_hash)
    assert auth is not None
    return auth


async def verify(
    database: Database, user: User, area_id: int, *, birth_year: int | None = 1970
) -> None:
    """A current residence verification (made a month before ``T0``)."""
    async with database.write() as session:
        session.add(
            Verification(
                user_id=user.id,  # type: ignore[arg-type]
                area_id=area_id,
                method="in_person",
                birth_year=birth_year,
                verified_at=T0 - timedelta(days=30),
            )
        )


async def resident(
    database: Database,
    settings: Settings,
    login: str,
    *,
    area: str | None = "hx-c1",
    confirmed: bool = True,
    locale: str = "zh_CN",
) -> Auth:
    """A resident's signed-in ``Auth``, verified in ``area`` (None: not verified)."""
    person = await make_person(database, settings, login, confirmed=confirmed, locale=locale)
    if area is not None:
        ids = await areas(database)
        await verify(database, person.user, ids[area])
    return await auth_for(database, person.user)


@dataclass
class Board:
    """A committee and its chair, secretary and member, each past the second factor."""

    committee: Committee
    chair: Auth
    secretary: Auth
    member: Auth

    @property
    def id(self) -> int:
        return self.committee.id  # type: ignore[return-value]


async def committee_with(
    database: Database,
    settings: Settings,
    *,
    area: str = "hx-s",
    prefix: str = "hx",
    name: str = "和谐街道居委会",
) -> Board:
    """A committee on ``area`` with a chair, a secretary and a member (all with TOTP)."""
    ids = await areas(database)
    async with database.write() as session:
        committee = Committee(area_id=ids[area], name=name)
        session.add(committee)
        await session.flush()
    members = {}
    for role in ("chair", "secretary", "member"):
        person = await make_person(database, settings, f"{prefix}-{role}@example.org", totp=True)
        await add_committee_member(database, user=person.user, committee=committee, role=role)
        members[role] = await auth_for(database, person.user)
    return Board(committee, members["chair"], members["secretary"], members["member"])


def consultation_form(board: Board, area_id: int, **changes: str) -> ConsultationInput:
    form = {
        "committee": str(board.id),
        "area": str(area_id),
        "title": "幸福社区停车管理办法",
        "summary": "为规范小区停车秩序，现公开征求意见。",
        "milestones": "2026-12-01 意见征集开始",
        **changes,
    }
    return parse_consultation(form)


async def consultation(
    database: Database,
    settings: Settings,
    board: Board,
    *,
    area: str = "hx-c1",
    published: bool = True,
) -> Consultation:
    """A consultation by the chair, moved to the "open" stage (published) unless not."""
    ids = await areas(database)
    item = await consultation_services.create(
        database, board.chair, consultation_form(board, ids[area]), now=T0
    )
    if published:
        item = await consultation_services.advance(
            database,
            context(settings),
            board.chair,
            item.id,
            "draft",
            now=T0,  # type: ignore[arg-type]
        )
    return item


def draft(body: str = DRAFT, note: str = "") -> DraftInput:
    return parse_draft({"body": body, "change_note": note}, note_required=bool(note))


async def hearing(
    database: Database,
    board: Board,
    consultation_id: int,
    *,
    opens_at: datetime = OPENS,
    closes_at: datetime = CLOSES,
    rule_area_id: int | None = None,
    title: str = "停车管理办法（征求意见稿）",
) -> Hearing:
    """A hearing with the standard draft, created by the chair at ``T0``."""
    data = HearingInput(title, opens_at, closes_at, rule_area_id, None)
    return await hearing_services.create(
        database, board.chair, consultation_id, data, draft(), now=T0
    )


async def sections(database: Database, hearing_id: int) -> list[Section]:
    """The sections of the hearing's current version, in order."""
    async with database.read() as session:
        version = await queries.current_version(session, hearing_id)
        assert version is not None
        return await queries.sections_of(session, version.id)  # type: ignore[arg-type]


@dataclass
class World:
    """The usual cast: committee A (area 和谐街道) with a published consultation on
    幸福社区 and a hearing open only to verified residents of 幸福社区; residents
    (two eligible, one verified elsewhere, one unconfirmed) and a member of committee B
    (远方市)."""

    ids: dict[str, int]
    board: Board
    other: Auth  # chair of committee B, elsewhere
    alice: Auth  # verified in 幸福社区
    bob: Auth  # verified in 幸福社区
    carol: Auth  # verified in 远方社区: not eligible
    consultation: Consultation
    hearing: Hearing
    sections: list[Section]

    @property
    def hearing_id(self) -> int:
        return self.hearing.id  # type: ignore[return-value]


async def world(database: Database, settings: Settings) -> World:
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    item = await consultation(database, settings, board)
    made = await hearing(database, board, item.id, rule_area_id=ids["hx-c1"])  # type: ignore[arg-type]
    return World(
        ids=ids,
        board=board,
        other=other.chair,
        alice=await resident(database, settings, "alice@example.org"),
        bob=await resident(database, settings, "bob@example.org"),
        carol=await resident(database, settings, "carol@example.org", area="far-c1"),
        consultation=item,
        hearing=made,
        sections=await sections(database, made.id),  # type: ignore[arg-type]
    )


async def count(database: Database, model: Any, *conditions: Any) -> int:
    async with database.read() as session:
        return (
            await session.exec(select(func.count()).select_from(model).where(*conditions))
        ).one()


async def audit_actions(database: Database) -> list[str]:
    """Every audit event's action, in order."""
    async with database.read() as session:
        return list(
            (await session.exec(select(AuditEvent.action).order_by(col(AuditEvent.seq)))).all()
        )


async def audit_events(database: Database, action: str) -> list[AuditEvent]:
    async with database.read() as session:
        return list(
            (
                await session.exec(
                    select(AuditEvent)
                    .where(AuditEvent.action == action)
                    .order_by(col(AuditEvent.seq))
                )
            ).all()
        )


async def messages(database: Database, recipient: str | None = None) -> list[OutboxMessage]:
    async with database.read() as session:
        statement = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if recipient is not None:
            statement = statement.where(OutboxMessage.recipient == recipient)
        return list((await session.exec(statement)).all())


APPLICATIONS_CLOSE = DURING + timedelta(days=3)
VALUE_SOURCE = "中国福利彩票双色球 2026137 期开奖号码"
PUBLIC_VALUE = "双色球 第2026137期  03 07 12 19 25 31 + 09 "


def call_input(
    seats: int = 3,
    quotas: dict[str, int] | None = None,
    closes_at: datetime = APPLICATIONS_CLOSE,
) -> CallInput:
    """The call-for-speakers form as a committee member fills it in."""
    form = {
        "seats": str(seats),
        "applications_close_at": closes_at.isoformat(),
        "value_source": VALUE_SOURCE,
    }
    for stance, quota in (quotas if quotas is not None else {"oppose": 1}).items():
        form[f"quota_{stance}"] = str(quota)
    return parse_call(form, ZoneInfo("Asia/Shanghai"))


async def applicants(
    database: Database, settings: Settings, stances: list[str], *, prefix: str = "speaker"
) -> list[Auth]:
    """Eligible residents (幸福社区), one per stance given."""
    return [
        await resident(database, settings, f"{prefix}{n}@example.org") for n in range(len(stances))
    ]


async def drawn_call(
    database: Database,
    settings: Settings,
    w: World,
    stances: list[str],
    *,
    seats: int = 3,
    quotas: dict[str, int] | None = None,
) -> tuple[SpeakerCall, list[SpeakerApplication]]:
    """A call with one application per stance given (in that order), its list published
    and the speakers drawn, all through the services. The applications in order."""
    await speakers.open_call(
        database, w.board.member, w.hearing_id, call_input(seats, quotas), now=DURING
    )
    people = await applicants(database, settings, stances)
    made = [
        await speakers.apply(
            database, person, w.hearing_id, stance, f"我想谈谈{stance}", now=DURING
        )
        for person, stance in zip(people, stances, strict=True)
    ]
    after = APPLICATIONS_CLOSE + timedelta(minutes=1)
    await speakers.publish_list(database, w.board.chair, w.hearing_id, now=after)
    await speakers.draw(
        database, context(settings), w.board.chair, w.hearing_id, PUBLIC_VALUE, now=after
    )
    async with database.read() as session:
        call = await speakers.call_of(session, w.hearing_id)
        rows = [await session.get(SpeakerApplication, a.id) for a in made]
    assert call is not None
    return call, rows  # type: ignore[return-value]
