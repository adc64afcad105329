"""Reads for minutes pages, the API and verification, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.consultations.models import Consultation
from deliberate.consultations.queries import member_role
from deliberate.identity.models import Committee
from deliberate.jobs.models import Job
from deliberate.minutes.models import PUBLIC_STATES, Minutes
from deliberate.minutes.permissions import Standing


@dataclass(frozen=True)
class MinutesView:
    minutes: Minutes
    consultation: Consultation
    committee: Committee
    job: Job | None = None
    superseded_by: Minutes | None = None


async def standing(session: AsyncSession, auth: Auth | None, item: Consultation) -> Standing:
    role = await member_role(session, auth, item.committee_id)
    return Standing(auth=auth, member_role=role, published=item.published)


async def view(session: AsyncSession, minutes_id: int) -> MinutesView | None:
    """The version, its consultation and committee, its rendering job and the version
    that replaced it (if any): two queries."""
    row = (
        await session.exec(
            select(Minutes, Consultation, Committee, Job)
            .join(Consultation, col(Consultation.id) == Minutes.consultation_id)
            .join(Committee, col(Committee.id) == Consultation.committee_id)
            .outerjoin(Job, col(Job.id) == Minutes.job_id)
            .where(Minutes.id == minutes_id)
        )
    ).first()
    if row is None:
        return None
    later = None
    if row[0].state == "superseded":
        later = (
            await session.exec(select(Minutes).where(Minutes.supersedes_id == minutes_id))
        ).first()
    return MinutesView(row[0], row[1], row[2], row[3], later)


async def versions_of(session: AsyncSession, consultation_id: int) -> list[Minutes]:
    """Every version of the consultation's minutes, newest first."""
    rows = await session.exec(
        select(Minutes)
        .where(Minutes.consultation_id == consultation_id)
        .order_by(col(Minutes.version).desc())
    )
    return list(rows.all())


async def by_pdf_sha256(session: AsyncSession, digest: str) -> MinutesView | None:
    """The published (or superseded) version whose signed PDF hashes to ``digest``."""
    row = (
        await session.exec(
            select(Minutes.id).where(
                Minutes.pdf_sha256 == digest, col(Minutes.state).in_(PUBLIC_STATES)
            )
        )
    ).first()
    return await view(session, row) if row is not None else None


async def public_listing(
    session: AsyncSession, page: int, per_page: int
) -> tuple[list[tuple[Minutes, Consultation]], int]:
    """Published and superseded versions of published consultations, newest first."""
    conditions = [
        col(Minutes.state).in_(PUBLIC_STATES),
        col(Consultation.published_at).is_not(None),
    ]
    total = (
        await session.exec(
            select(func.count())
            .select_from(Minutes)
            .join(Consultation, col(Consultation.id) == Minutes.consultation_id)
            .where(*conditions)
        )
    ).one()
    rows = await session.exec(
        select(Minutes, Consultation)
        .join(Consultation, col(Consultation.id) == Minutes.consultation_id)
        .where(*conditions)
        .order_by(col(Minutes.signed_at).desc(), col(Minutes.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows.all()), total  # type: ignore[arg-type]
