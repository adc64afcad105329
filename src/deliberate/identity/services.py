"""The write path for areas.

Today only the demo loader calls it; the admin UI and ``deliberate areas import`` (issue
4) will call it with an acting user and an ``area.manage`` permission check.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.identity import area_import
from deliberate.identity.area_import import RowError
from deliberate.identity.csvfiles import CsvTable, read_csv
from deliberate.identity.models import Area, AreaKind

Parent = aliased(Area)


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


@dataclass(frozen=True)
class AreaImportReport:
    encoding: str
    created: int
    updated: int
    errors: list[RowError]


async def import_areas(
    database: Database, data: bytes, *, actor: str | None = None
) -> AreaImportReport:
    """Import an area CSV: every row, or (when any row is wrong) none."""
    return await import_area_table(
        database, read_csv(data, required=area_import.COLUMNS), actor=actor
    )


async def save_area(database: Database, values: dict[str, str], *, actor: str) -> AreaImportReport:
    """One area from the admin form, checked by exactly the rules of an import."""
    row = {name: values.get(name, "").strip() for name in (*area_import.COLUMNS, "name_en")}
    return await import_area_table(database, CsvTable("form", [(1, row)]), actor=actor)


async def import_area_table(
    database: Database, table: CsvTable, *, actor: str | None
) -> AreaImportReport:
    async with database.write() as session:
        existing = {
            code: parent
            for code, parent in (
                await session.exec(
                    select(Area.code, Parent.code).outerjoin(
                        Parent, col(Parent.id) == Area.parent_id
                    )
                )
            ).all()
        }
        rows, errors = area_import.validate(table, existing)
        if errors:
            return AreaImportReport(table.encoding, 0, 0, errors)
        for row in rows:
            await upsert_area(
                session,
                code=row.code,
                name=row.name,
                name_en=row.name_en,
                kind=row.kind,
                parent_code=row.parent_code,
            )
        await audit.record(
            session, actor, "areas.import", payload={"rows": len(rows), "encoding": table.encoding}
        )
    created = sum(1 for row in rows if row.code not in existing)
    return AreaImportReport(table.encoding, created, len(rows) - created, [])
