"""Reads for poll pages and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.consultations.models import Consultation
from deliberate.consultations.queries import member_role
from deliberate.identity import eligibility
from deliberate.identity.models import Area, AreaOfficer, Committee
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
    if auth is None or not auth.officer:
        return False
    areas = (
        await session.exec(select(AreaOfficer.area_id).where(AreaOfficer.user_id == auth.user.id))
    ).all()
    parents = await area_parents(session)
    target = view.consultation.area_id
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
