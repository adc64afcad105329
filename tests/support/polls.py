"""Builders for poll tests: a poll of each method made through the real services (from
the committee's form, read by :func:`deliberate.polls.forms.parse_poll`), frozen or not;
officers of an area; many verified residents at once (for concurrency); and the ballot
form a browser would send for a choice.

Times as in :mod:`tests.support.hearings`: the world is made at ``T0``, the poll opens at
``OPENS`` and closes at ``CLOSES``; ``BEFORE``, ``DURING`` and ``AFTER`` lie before,
inside and after its window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import UserSession
from deliberate.accounts.services import new_user
from deliberate.accounts.tokens import session_hash, session_token
from deliberate.config import Settings
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.identity.models import AreaOfficer, Verification
from deliberate.polls import ballots, services
from deliberate.polls.ballots import Choice
from deliberate.polls.forms import PollInput, parse_poll
from deliberate.polls.models import Poll, PollOption
from tests.support.accounts import make_person
from tests.support.hearings import (
    CLOSES,
    OPENS,
    T0,
    Board,
    areas,
    auth_for,
    committee_with,
    consultation,
    resident,
)

TZ = ZoneInfo("Asia/Shanghai")
METHODS = ("single", "approval", "ranked", "score", "budget")
BUDGET = 100_000

# The options of each method's poll, as the committee types them (one per line).
OPTIONS: dict[str, str] = {
    "single": "修建非机动车棚\n增加绿化带\n安装路灯",
    "approval": "修建非机动车棚\n增加绿化带\n安装路灯\n增设健身器材",
    "ranked": "修建非机动车棚\n增加绿化带\n安装路灯\n增设健身器材",
    "score": "修建非机动车棚\n增加绿化带\n安装路灯",
    "budget": (
        "修建非机动车棚 | 40,000 | 车棚带充电桩\n"
        "增加绿化带 | 30000\n"
        "安装路灯 | 20000\n"
        "增设健身器材 | 50000"
    ),
}


def poll_form(
    method: str,
    *,
    rule_area_id: int | None = None,
    opens_at: datetime = OPENS,
    closes_at: datetime = CLOSES,
    **changes: str,
) -> dict[str, str]:
    """The poll form as a committee member fills it in."""
    form = {
        "title": f"小区改造项目投票（{method}）",
        "question": "您最希望优先实施哪些项目？",
        "description": "请在投票前阅读各项目的说明。",
        "method": method,
        "options": OPTIONS[method],
        "opens_at": opens_at.astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": closes_at.astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
        "rule_area": str(rule_area_id) if rule_area_id is not None else "",
        "min_age": "",
    }
    if method == "approval":
        form["max_choices"] = "2"
    if method == "budget":
        form["budget"] = f"{BUDGET:,}"
    form.update(changes)
    return form


def poll_input(method: str, **options: Any) -> PollInput:
    return parse_poll(poll_form(method, **options), TZ)


async def make_poll(
    database: Database,
    actor: Auth,
    consultation_id: int,
    method: str,
    *,
    frozen: bool = True,
    now: datetime = T0,
    **options: Any,
) -> Poll:
    """A poll made by ``actor`` at ``now`` (and frozen by them then, unless not)."""
    poll = await services.create(
        database, actor, consultation_id, poll_input(method, **options), now=now
    )
    if frozen:
        poll = await services.freeze(database, actor, poll.id, now=now)  # type: ignore[arg-type]
    return poll


async def options_of(database: Database, poll_id: int | None) -> list[int]:
    """The poll's option ids, in the order the committee gave them."""
    async with database.read() as session:
        rows = await session.exec(
            select(PollOption.id)
            .where(PollOption.poll_id == poll_id)
            .order_by(col(PollOption.position))
        )
        return list(rows.all())  # type: ignore[arg-type]


async def reload(database: Database, poll_id: int | None) -> Poll:
    async with database.read() as session:
        found = await session.get(Poll, poll_id)
    assert found is not None
    return found


def form_for(method: str, choice: Choice) -> dict[str, str]:
    """The form a browser sends for ``choice`` (the confirmation page's hidden fields)."""
    return ballots.to_form(method, choice)


@dataclass
class PollWorld:
    """Committee A (和谐街道) with a published consultation on 幸福社区 and a poll of
    one method open to verified residents of 幸福社区; two eligible residents, one
    verified far away, and committee B (远方市)."""

    ids: dict[str, int]
    board: Board
    other: Board
    consultation: Consultation
    poll: Poll
    options: list[int]
    alice: Auth
    bob: Auth
    carol: Auth  # verified in 远方社区: not eligible

    @property
    def poll_id(self) -> int:
        return self.poll.id  # type: ignore[return-value]

    @property
    def method(self) -> str:
        return self.poll.method


async def poll_world(
    database: Database,
    settings: Settings,
    method: str = "single",
    *,
    frozen: bool = True,
    published: bool = True,
    **options: Any,
) -> PollWorld:
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    item = await consultation(database, settings, board, published=published)
    options.setdefault("rule_area_id", ids["hx-c1"])
    poll = await make_poll(database, board.chair, item.id, method, frozen=frozen, **options)  # type: ignore[arg-type]
    return PollWorld(
        ids=ids,
        board=board,
        other=other,
        consultation=item,
        poll=poll,
        options=await options_of(database, poll.id),
        alice=await resident(database, settings, "alice@example.org"),
        bob=await resident(database, settings, "bob@example.org"),
        carol=await resident(database, settings, "carol@example.org", area="far-c1"),
    )


async def officer(
    database: Database,
    settings: Settings,
    login: str,
    *,
    area: str | None = "hx-s",
    second_factor: bool = True,
) -> Auth:
    """A verification officer (with TOTP) of ``area``, besides the test "demo" area
    every officer made by ``make_person`` has; ``area`` None: of "demo" only."""
    person = await make_person(database, settings, login, role="officer", totp=True)
    if area is not None:
        ids = await areas(database)
        async with database.write() as session:
            session.add(AreaOfficer(area_id=ids[area], user_id=person.user.id))  # type: ignore[arg-type]
    return await auth_for(database, person.user, second_factor=second_factor)


async def many_residents(
    database: Database, count: int, *, area: str = "hx-c1", prefix: str = "voter"
) -> list[Auth]:
    """``count`` confirmed residents verified in ``area``, each with a signed-in session,
    made in one transaction (no password hashing: they never sign in)."""
    ids = await areas(database)
    now = datetime.now(UTC)
    async with database.write() as session:
        users = [
            new_user(
                "email",
                f"{prefix}{n}@example.org",
                display_name=f"{prefix}{n}",
                password_hash="!",
                now=now,
                locale="zh_CN",
                confirmed=True,
            )
            for n in range(count)
        ]
        session.add_all(users)
        await session.flush()
        connection = await session.connection()
        await connection.execute(
            insert(Verification),
            [
                {
                    "user_id": user.id,
                    "area_id": ids[area],
                    "method": "in_person",
                    "birth_year": 1980,
                    "verified_at": T0 - timedelta(days=30),
                }
                for user in users
            ],
        )
        sessions = [
            UserSession(
                token_hash=session_hash(session_token()),
                user_id=user.id,  # type: ignore[arg-type]
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=8),
            )
            for user in users
        ]
        session.add_all(sessions)
        await session.flush()
    return [
        Auth(user, user_session, committee_member=False, officer=False)
        for user, user_session in zip(users, sessions, strict=True)
    ]
