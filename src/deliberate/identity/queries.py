from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.identity.models import Area


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
