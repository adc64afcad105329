"""The write path for areas.

Today only the demo loader calls it; the admin UI and ``deliberate areas import`` (issue
4) will call it with an acting user and an ``area.manage`` permission check.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.identity.models import Area, AreaKind


class UnknownParentArea(ValueError):
    pass


async def upsert_area(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    kind: AreaKind,
    parent_code: str | None = None,
    name_en: str | None = None,
) -> Area:
    """Create the area with this code, or update it in place."""
    parent_id = None
    if parent_code is not None:
        parent = (await session.exec(select(Area).where(Area.code == parent_code))).first()
        if parent is None:
            raise UnknownParentArea(parent_code)
        parent_id = parent.id
    area = (await session.exec(select(Area).where(Area.code == code))).first()
    if area is None:
        area = Area(code=code)
    area.name = name
    area.name_en = name_en
    area.kind = AreaKind(kind).value
    area.parent_id = parent_id
    session.add(area)
    await session.flush()
    return area
