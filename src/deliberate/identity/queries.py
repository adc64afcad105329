from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.identity import eligibility
from deliberate.identity.models import Area, Verification


@dataclass(frozen=True)
class AreaNode:
    area: Area
    children: tuple[AreaNode, ...]


async def area_tree(session: AsyncSession) -> list[AreaNode]:
    """The whole area tree in one query, roots first, children sorted by code."""
    areas = (await session.exec(select(Area).order_by(Area.code))).all()
    children: dict[int | None, list[Area]] = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(area)

    def build(area: Area) -> AreaNode:
        return AreaNode(area, tuple(build(child) for child in children.get(area.id, [])))

    return [build(root) for root in children.get(None, [])]


async def count_areas(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Area))).one()


async def verifications_of(
    session: AsyncSession, user_id: int, *, on: date | None = None
) -> list[tuple[Verification, Area]]:
    """The person's verifications, newest first; with ``on``, only those current then."""
    rows = (
        await session.exec(
            select(Verification, Area)
            .join(Area, Area.id == Verification.area_id)  # type: ignore[arg-type]
            .where(Verification.user_id == user_id)
            .order_by(Verification.verified_at.desc())  # type: ignore[attr-defined]
        )
    ).all()
    if on is None:
        return list(rows)
    return [
        (v, a)
        for v, a in rows
        if v.revoked_at is None and (v.valid_until is None or on <= v.valid_until)
    ]


async def residential_areas(session: AsyncSession) -> list[Area]:
    """Communities and villages, the areas people live in, by code."""
    return list(
        (
            await session.exec(
                select(Area).where(Area.kind.in_(("community", "village"))).order_by(Area.code)  # type: ignore[attr-defined]
            )
        ).all()
    )


async def area_parents(session: AsyncSession) -> dict[int, int | None]:
    return dict((await session.exec(select(Area.id, Area.parent_id))).all())  # type: ignore[arg-type]


async def eligibility_person(session: AsyncSession, user: User) -> eligibility.Person:
    """The facts :func:`eligibility.check` needs about one person, in one query."""
    rows = (await session.exec(select(Verification).where(Verification.user_id == user.id))).all()
    return eligibility.Person(
        account_id=user.id,  # type: ignore[arg-type]
        confirmed=user.confirmed_at is not None and user.deleted_at is None,
        verifications=tuple(
            eligibility.Verification(
                area_id=v.area_id,
                birth_year=v.birth_year,
                valid_from=v.verified_at.date(),
                valid_until=v.valid_until,
                revoked=v.revoked_at is not None,
            )
            for v in rows
        ),
    )


async def all_areas(session: AsyncSession) -> list[Area]:
    return list((await session.exec(select(Area).order_by(Area.code))).all())
