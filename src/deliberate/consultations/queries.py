"""Reads for consultation pages, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.consultations.models import Consultation, Follower, StageChange
from deliberate.consultations.permissions import Standing
from deliberate.hearings.models import Hearing
from deliberate.identity import eligibility
from deliberate.identity.models import Area, Committee, CommitteeMember
from deliberate.identity.queries import area_parents

PER_PAGE = 20


@dataclass(frozen=True)
class Matter:
    consultation: Consultation
    committee: Committee
    area: Area


async def member_role(session: AsyncSession, auth: Auth | None, committee_id: int) -> str | None:
    if auth is None or not auth.committee_member:
        return None
    return (
        await session.exec(
            select(CommitteeMember.role).where(
                CommitteeMember.committee_id == committee_id,
                CommitteeMember.user_id == auth.user.id,
            )
        )
    ).first()


async def my_committees(session: AsyncSession, auth: Auth) -> list[tuple[Committee, Area, str]]:
    rows = await session.exec(
        select(Committee, Area, CommitteeMember.role)
        .join(CommitteeMember, col(CommitteeMember.committee_id) == Committee.id)
        .join(Area, col(Area.id) == Committee.area_id)
        .where(CommitteeMember.user_id == auth.user.id)
        .order_by(col(Committee.name))
    )
    return list(rows.all())  # type: ignore[arg-type]


async def matter(session: AsyncSession, consultation_id: int) -> Matter | None:
    row = (
        await session.exec(
            select(Consultation, Committee, Area)
            .join(Committee, col(Committee.id) == Consultation.committee_id)
            .join(Area, col(Area.id) == Consultation.area_id)
            .where(Consultation.id == consultation_id)
        )
    ).first()
    return Matter(*row) if row else None


async def standing(session: AsyncSession, auth: Auth | None, item: Consultation) -> Standing:
    role = await member_role(session, auth, item.committee_id)
    return Standing(auth=auth, member_role=role, published=item.published)


async def areas_in(session: AsyncSession, root_id: int) -> list[Area]:
    """The area and every area below it, by code."""
    wanted = eligibility.descendants([root_id], await area_parents(session))
    return list(
        (await session.exec(select(Area).where(col(Area.id).in_(wanted)).order_by(Area.code))).all()
    )


async def listing(
    session: AsyncSession,
    *,
    area_ids: set[int] | None,
    stage: str | None,
    page: int,
    own_committees: set[int],
) -> tuple[list[tuple[Consultation, Area, Committee]], int]:
    """Published consultations (and drafts of the reader's own committees), newest
    first, one page of them and the total."""
    visible = or_(
        col(Consultation.published_at).is_not(None),
        col(Consultation.committee_id).in_(own_committees or {0}),
    )
    conditions = [visible]
    if area_ids is not None:
        conditions.append(col(Consultation.area_id).in_(area_ids))
    if stage:
        conditions.append(Consultation.stage == stage)
    total = (
        await session.exec(select(func.count()).select_from(Consultation).where(*conditions))
    ).one()
    rows = await session.exec(
        select(Consultation, Area, Committee)
        .join(Area, col(Area.id) == Consultation.area_id)
        .join(Committee, col(Committee.id) == Consultation.committee_id)
        .where(*conditions)
        .order_by(col(Consultation.updated_at).desc(), col(Consultation.id).desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return list(rows.all()), total  # type: ignore[arg-type]


async def own_committee_ids(session: AsyncSession, auth: Auth | None) -> set[int]:
    if auth is None or not auth.committee_member or not auth.second_factor:
        return set()
    rows = await session.exec(
        select(CommitteeMember.committee_id).where(CommitteeMember.user_id == auth.user.id)
    )
    return set(rows.all())


async def timeline(session: AsyncSession, consultation_id: int) -> list[StageChange]:
    rows = await session.exec(
        select(StageChange)
        .where(StageChange.consultation_id == consultation_id)
        .order_by(col(StageChange.changed_at), col(StageChange.id))
    )
    return list(rows.all())


async def following(session: AsyncSession, auth: Auth | None, consultation_id: int) -> bool:
    if auth is None:
        return False
    found = await session.exec(
        select(Follower.id).where(
            Follower.consultation_id == consultation_id, Follower.user_id == auth.user.id
        )
    )
    return found.first() is not None


async def area_by_code(session: AsyncSession, code: str) -> Area | None:
    return (await session.exec(select(Area).where(Area.code == code))).first()


async def hearings_of(session: AsyncSession, consultation_id: int) -> list[Hearing]:
    """The consultation's hearings, by when they open: one query."""
    rows = await session.exec(
        select(Hearing)
        .where(Hearing.consultation_id == consultation_id)
        .order_by(col(Hearing.opens_at), col(Hearing.id))
    )
    return list(rows.all())


async def published_recent(
    session: AsyncSession, area_ids: set[int] | None, limit: int
) -> list[tuple[Consultation, Area, Committee]]:
    """The newest published consultations (in these areas), for the Atom feed."""
    conditions = [col(Consultation.published_at).is_not(None)]
    if area_ids is not None:
        conditions.append(col(Consultation.area_id).in_(area_ids))
    rows = await session.exec(
        select(Consultation, Area, Committee)
        .join(Area, col(Area.id) == Consultation.area_id)
        .join(Committee, col(Committee.id) == Consultation.committee_id)
        .where(*conditions)
        .order_by(col(Consultation.published_at).desc(), col(Consultation.id).desc())
        .limit(limit)
    )
    return list(rows.all())  # type: ignore[arg-type]


async def unsubscribe_target(session: AsyncSession, token: str) -> Consultation | None:
    """What a one-click unsubscribe link is about (None: used or never issued)."""
    row = (
        await session.exec(
            select(Consultation)
            .join(Follower, col(Follower.consultation_id) == Consultation.id)
            .where(Follower.token == token)
        )
    ).first()
    return row
