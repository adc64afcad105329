import pytest
from sqlalchemy.exc import IntegrityError

from deliberate.db import Database
from deliberate.demo import database_is_empty
from deliberate.identity import queries, services
from deliberate.identity.models import Area, AreaKind


async def test_upsert_creates_then_updates_in_place(database: Database) -> None:
    async with database.write() as session:
        city = await services.upsert_area(session, code="c", name="市", kind=AreaKind.city)
        await services.upsert_area(
            session, code="d", name="区", kind=AreaKind.district, parent_code="c"
        )
    async with database.write() as session:
        again = await services.upsert_area(
            session, code="c", name="新市", name_en="New City", kind=AreaKind.city
        )
    assert again.id == city.id
    async with database.read() as session:
        tree = await queries.area_tree(session)
    assert [node.area.name for node in tree] == ["新市"]
    assert [child.area.code for child in tree[0].children] == ["d"]
    assert tree[0].area.display_name("en") == "New City"
    assert tree[0].area.display_name("zh_CN") == "新市"


async def test_unknown_parent_is_refused_and_nothing_written(database: Database) -> None:
    with pytest.raises(services.UnknownParentArea):
        async with database.write() as session:
            await services.upsert_area(session, code="a", name="A", kind=AreaKind.city)
            await services.upsert_area(
                session, code="b", name="B", kind=AreaKind.street, parent_code="missing"
            )
    assert await database_is_empty(database)


async def test_database_enforces_kind_and_unique_code(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.write() as session:
            session.add(Area(code="x", name="X", kind="planet"))
    with pytest.raises(IntegrityError):
        async with database.write() as session:
            session.add(Area(code="y", name="Y", kind="city"))
            session.add(Area(code="y", name="Y2", kind="city"))
