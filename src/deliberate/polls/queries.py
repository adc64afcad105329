"""Reads for poll pages and services."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    String,
    bindparam,
    func,
    literal,
    null,
    true,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.consultations.models import Consultation
from deliberate.consultations.queries import member_role
from deliberate.identity import eligibility
from deliberate.identity.models import Area, AreaOfficer, Committee, Verification
from deliberate.identity.queries import area_parents, eligibility_person
from deliberate.phase import Phase, phase
from deliberate.polls.ballots import BallotRules
from deliberate.polls.models import Ballot, Poll, PollOption, Tally, VoterRoll
from deliberate.polls.permissions import Standing


@dataclass(frozen=True)
class PollView:
    poll: Poll
    consultation: Consultation
    committee: Committee
    area: Area
    options: tuple[PollOption, ...]

    def phase(self, now: datetime) -> Phase:
        return phase(self.poll.opens_at, self.poll.closes_at, now)

    @property
    def rule(self) -> eligibility.EligibilityRule:
        return eligibility.EligibilityRule.from_canonical(self.poll.rule)

    def ballot_rules(self) -> BallotRules:
        return BallotRules(
            method=self.poll.method,
            option_ids=tuple(o.id for o in self.options),  # type: ignore[misc]
            costs={o.id: o.cost for o in self.options},  # type: ignore[misc]
            max_choices=self.poll.max_choices,
            budget=self.poll.budget,
        )


async def poll_view(
    session: AsyncSession, poll_id: int, *, lock: str | None = None
) -> PollView | None:
    """With ``lock`` "share" (casting) or "update" (freezing, closing) the poll's row is
    locked on PostgreSQL: votes do not wait for each other, but closing waits for the
    votes in flight, and a vote waits for a close in flight (then sees it closed)."""
    statement = (
        select(Poll, Consultation, Committee, Area)
        .join(Consultation, col(Consultation.id) == Poll.consultation_id)
        .join(Committee, col(Committee.id) == Consultation.committee_id)
        .join(Area, col(Area.id) == Consultation.area_id)
        .where(Poll.id == poll_id)
    )
    if lock:
        statement = statement.with_for_update(of=Poll, read=lock == "share")  # type: ignore[arg-type]
    row = (await session.exec(statement)).first()
    if row is None:
        return None
    options = await session.exec(
        select(PollOption).where(PollOption.poll_id == poll_id).order_by(col(PollOption.position))
    )
    return PollView(*row, options=tuple(options.all()))


async def decision(
    session: AsyncSession, auth: Auth | None, view: PollView, now: datetime
) -> eligibility.Decision | None:
    if auth is None or not auth.signed_in:
        return None
    person = await eligibility_person(session, auth.user)
    parents = await area_parents(session) if view.rule.area_ids else {}
    return eligibility.check(person, view.rule, now.astimezone(UTC).date(), parents)


async def officer_here(session: AsyncSession, auth: Auth | None, view: PollView) -> bool:
    """Is the actor a verification officer of the consultation's area, or of an area
    above or below it (a street's officer serves its communities' booths)?"""
    return await officer_of(session, auth, view.consultation.area_id)


async def officer_of(session: AsyncSession, auth: Auth | None, target: int) -> bool:
    """Is the actor a verification officer of the area ``target``, or of an area above or
    below it?"""
    if auth is None or not auth.officer:
        return False
    areas = (
        await session.exec(select(AreaOfficer.area_id).where(AreaOfficer.user_id == auth.user.id))
    ).all()
    parents = await area_parents(session)
    return any(
        eligibility.within(target, (a,), parents, descendants=True)
        or eligibility.within(a, (target,), parents, descendants=True)
        for a in areas
    )


async def standing(
    session: AsyncSession, auth: Auth | None, view: PollView, now: datetime
) -> tuple[Standing, eligibility.Decision | None]:
    role = await member_role(session, auth, view.committee.id)  # type: ignore[arg-type]
    found = await decision(session, auth, view, now)
    return (
        Standing(
            auth=auth,
            member_role=role,
            published=view.consultation.published,
            eligible=found is not None and found.allowed,
            phase=view.phase(now),
            frozen=view.poll.frozen,
            closed=view.poll.closed_at is not None,
            officer_here=await officer_here(session, auth, view),
        ),
        found,
    )


async def has_voted(session: AsyncSession, poll_id: int, user_id: int) -> bool:
    found = await session.exec(
        select(VoterRoll.id).where(VoterRoll.poll_id == poll_id, VoterRoll.user_id == user_id)
    )
    return found.first() is not None


async def counts(session: AsyncSession, poll_id: int) -> tuple[int, int]:
    """(people on the roll, ballots): equal by construction, shown side by side."""
    roll = (
        await session.exec(
            select(func.count()).select_from(VoterRoll).where(VoterRoll.poll_id == poll_id)
        )
    ).one()
    ballots = (
        await session.exec(
            select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
        )
    ).one()
    return roll, ballots


async def board(session: AsyncSession, poll_id: int) -> list[tuple[str, str]]:
    """Every ballot as (receipt, canonical content), by receipt."""
    rows = await session.exec(
        select(Ballot.receipt, Ballot.content)
        .where(Ballot.poll_id == poll_id)
        .order_by(col(Ballot.receipt))
    )
    return list(rows.all())  # type: ignore[arg-type]


async def tally_of(session: AsyncSession, poll_id: int) -> Tally | None:
    return await session.get(Tally, poll_id)


async def polls_of(session: AsyncSession, consultation_id: int) -> list[Poll]:
    rows = await session.exec(
        select(Poll)
        .where(Poll.consultation_id == consultation_id)
        .order_by(col(Poll.opens_at), col(Poll.id))
    )
    return list(rows.all())


async def due_for_closing(session: AsyncSession, now: datetime) -> list[int]:
    rows = await session.exec(
        select(Poll.id).where(
            col(Poll.frozen_at).is_not(None),
            col(Poll.closed_at).is_(None),
            col(Poll.closes_at) <= now,
        )
    )
    return list(rows.all())  # type: ignore[arg-type]


# --- casting: the hot path -------------------------------------------------------------
#
# A vote reads, in its write transaction, one statement: the poll's live columns (locked
# FOR SHARE on PostgreSQL, as poll_view does), its consultation, the voter's verifications
# and the chain of areas above each verified area (a recursive CTE). Everything else comes
# from the frozen settings, parsed once per process and keyed by their SHA-256.


@dataclass(frozen=True)
class FrozenOption:
    id: int
    position: int
    label: str
    cost: int
    description: str = ""


@dataclass(frozen=True)
class FrozenPoll:
    """What a poll's frozen settings say: a pure function of their canonical JSON, so a
    copy keyed by (poll id, SHA-256 of that JSON) can never be stale."""

    poll_id: int
    sha256: str
    method: str
    title: str
    max_choices: int | None
    budget: int | None
    options: tuple[FrozenOption, ...]
    rule: eligibility.EligibilityRule
    rules: BallotRules

    @classmethod
    def parse(cls, poll_id: int, sha256: str, settings: str) -> FrozenPoll | None:
        """None unless ``settings`` hashes to ``sha256`` and describes poll ``poll_id``."""
        if hashlib.sha256(settings.encode()).hexdigest() != sha256:
            return None
        data = json.loads(settings)
        if data.get("version") != 1 or data.get("poll") != poll_id:
            return None
        options = tuple(
            FrozenOption(o["id"], position, o["label"], o["cost"])
            for position, o in enumerate(data["options"], start=1)
        )
        rule = eligibility.EligibilityRule.from_canonical(
            json.dumps(data["rule"], sort_keys=True, separators=(",", ":"))
        )
        return cls(
            poll_id=poll_id,
            sha256=sha256,
            method=data["method"],
            title=data["title"],
            max_choices=data["max_choices"],
            budget=data["budget"],
            options=options,
            rule=rule,
            rules=BallotRules(
                method=data["method"],
                option_ids=tuple(o.id for o in options),
                costs={o.id: o.cost for o in options},
                max_choices=data["max_choices"],
                budget=data["budget"],
            ),
        )


FROZEN_CACHE_SIZE = 256
_frozen: dict[tuple[int, str], FrozenPoll] = {}


@dataclass(frozen=True)
class PollRow:
    """A poll's live columns, as the poll pages' header reads them."""

    id: int
    consultation_id: int
    title: str
    method: str
    opens_at: datetime
    closes_at: datetime
    frozen_at: datetime | None
    closed_at: datetime | None

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


@dataclass(frozen=True)
class ConsultationRow:
    id: int
    title: str
    committee_id: int
    area_id: int
    published_at: datetime | None

    @property
    def published(self) -> bool:
        return self.published_at is not None


@dataclass(frozen=True)
class AreaName:
    id: int
    name: str
    name_en: str | None

    def display_name(self, locale: str) -> str:
        return Area.display_name(self, locale)  # type: ignore[arg-type]


@dataclass(frozen=True)
class VoteFacts:
    """Everything a vote checks, read in its transaction (``frozen`` None: the poll is not
    frozen, or its stored settings do not match their hash)."""

    poll: PollRow
    consultation: ConsultationRow
    settings_sha256: str | None
    frozen: FrozenPoll | None
    verifications: tuple[eligibility.Verification, ...]
    parents: dict[int, int | None]  # the areas above each verified area, and those
    areas: dict[int, AreaName]  # the same areas' names

    def phase(self, now: datetime) -> Phase:
        return phase(self.poll.opens_at, self.poll.closes_at, now)


def _vote_facts_statement() -> Any:
    user = bindparam("user_id", type_=Integer)
    area, verification = Area.__table__, Verification.__table__  # type: ignore[attr-defined]
    poll_t, consultation = Poll.__table__, Consultation.__table__  # type: ignore[attr-defined]
    seed = sa_select(area.c.id, area.c.parent_id, area.c.name, area.c.name_en).where(
        area.c.id.in_(sa_select(verification.c.area_id).where(verification.c.user_id == user))
    )
    up = seed.cte("up", recursive=True)
    up = up.union(
        sa_select(area.c.id, area.c.parent_id, area.c.name, area.c.name_en).join(
            up, area.c.id == up.c.parent_id
        )
    )
    none_int, none_text = null().cast(Integer), null().cast(String)
    none_time, none_date = null().cast(DateTime(timezone=True)), null().cast(Date)
    facts = union_all(
        sa_select(
            literal("v", String).label("kind"),
            verification.c.area_id.label("area_id"),
            verification.c.birth_year.label("birth_year"),
            verification.c.verified_at.label("verified_at"),
            verification.c.valid_until.label("valid_until"),
            verification.c.revoked_at.label("revoked_at"),
            none_int.label("parent_id"),
            none_text.label("name"),
            none_text.label("name_en"),
        ).where(verification.c.user_id == user),
        sa_select(
            literal("a", String),
            up.c.id,
            none_int,
            none_time,
            none_date,
            none_time,
            up.c.parent_id,
            up.c.name,
            up.c.name_en,
        ),
    ).subquery("facts")
    return (
        sa_select(
            poll_t.c.id,
            poll_t.c.consultation_id,
            poll_t.c.title,
            poll_t.c.method,
            poll_t.c.opens_at,
            poll_t.c.closes_at,
            poll_t.c.frozen_at,
            poll_t.c.closed_at,
            poll_t.c.settings_sha256,
            consultation.c.title.label("consultation_title"),
            consultation.c.committee_id,
            consultation.c.area_id.label("consultation_area_id"),
            consultation.c.published_at,
            facts.c.kind,
            facts.c.area_id,
            facts.c.birth_year,
            facts.c.verified_at,
            facts.c.valid_until,
            facts.c.revoked_at,
            facts.c.parent_id,
            facts.c.name,
            facts.c.name_en,
        )
        .select_from(
            poll_t.join(consultation, consultation.c.id == poll_t.c.consultation_id).outerjoin(
                facts, true()
            )
        )
        .where(poll_t.c.id == bindparam("poll_id", type_=Integer))
        .with_for_update(of=poll_t, read=True)
    )


# Built once: SQLAlchemy memoises its cache key, so each vote only binds parameters.
VOTE_FACTS = _vote_facts_statement()
FROZEN_SETTINGS = sa_select(Poll.__table__.c.settings).where(  # type: ignore[attr-defined]
    Poll.__table__.c.id == bindparam("poll_id", type_=Integer)  # type: ignore[attr-defined]
)


async def vote_facts(session: AsyncSession, poll_id: int, user_id: int) -> VoteFacts | None:
    """What a vote checks, in one statement (two the first time this process sees the
    poll's frozen settings). None: no such poll."""
    connection = await session.connection()
    rows = (await connection.execute(VOTE_FACTS, {"poll_id": poll_id, "user_id": user_id})).all()
    if not rows:
        return None
    first = rows[0]
    verifications = []
    parents: dict[int, int | None] = {}
    areas: dict[int, AreaName] = {}
    for row in rows:
        if row.kind == "v":
            verifications.append(
                eligibility.Verification(
                    area_id=row.area_id,
                    birth_year=row.birth_year,
                    valid_from=row.verified_at.date(),
                    valid_until=row.valid_until,
                    revoked=row.revoked_at is not None,
                )
            )
        elif row.kind == "a":
            parents[row.area_id] = row.parent_id
            areas[row.area_id] = AreaName(row.area_id, row.name, row.name_en)
    sha256 = first.settings_sha256
    frozen = None
    if first.frozen_at is not None and sha256 is not None:
        frozen = _frozen.get((poll_id, sha256))
        if frozen is None:
            settings = (await connection.execute(FROZEN_SETTINGS, {"poll_id": poll_id})).scalar()
            frozen = FrozenPoll.parse(poll_id, sha256, settings) if settings else None
            if frozen is not None:
                if len(_frozen) >= FROZEN_CACHE_SIZE:
                    _frozen.clear()
                _frozen[(poll_id, sha256)] = frozen
    return VoteFacts(
        poll=PollRow(
            id=first.id,
            consultation_id=first.consultation_id,
            title=first.title,
            method=first.method,
            opens_at=first.opens_at,
            closes_at=first.closes_at,
            frozen_at=first.frozen_at,
            closed_at=first.closed_at,
        ),
        consultation=ConsultationRow(
            id=first.consultation_id,
            title=first.consultation_title,
            committee_id=first.committee_id,
            area_id=first.consultation_area_id,
            published_at=first.published_at,
        ),
        settings_sha256=sha256,
        frozen=frozen,
        verifications=tuple(verifications),
        parents=parents,
        areas=areas,
    )
