from sqlmodel import select

from deliberate.accounts import passwords
from deliberate.accounts.models import User
from deliberate.db import Database
from deliberate.demo import DEMO_AREAS, DEMO_USERS, database_is_empty, load_demo
from deliberate.identity import queries
from deliberate.identity.models import (
    AreaOfficer,
    CommitteeMember,
    ExpertCredential,
    Verification,
)


async def test_demo_loads_once_and_reloads_in_place(database: Database) -> None:
    assert await database_is_empty(database)
    report = await load_demo(database)
    printed = [line for line in report.lines if "password demo-" in line]
    assert len(printed) == len(DEMO_USERS)

    # The printed passwords really sign the demo users in.
    async with database.read() as session:
        users = {u.email: u for u in (await session.exec(select(User))).all()}
        members = (await session.exec(select(CommitteeMember))).all()
    for line in printed:
        login = line.split()[1]
        password = line.rsplit("password ", 1)[1]
        assert await passwords.verify_password(users[login].password_hash, password)
        assert users[login].confirmed_at is not None
    assert users["admin@demo.invalid"].is_admin
    assert [m.role for m in members] == ["chair"]
    async with database.read() as session:
        verified = (await session.exec(select(Verification))).all()
        officers = (await session.exec(select(AreaOfficer))).all()
    assert [v.user_id for v in verified] == [users["resident@demo.invalid"].id]
    assert [o.user_id for o in officers] == [users["officer@demo.invalid"].id]
    async with database.read() as session:
        experts = (await session.exec(select(ExpertCredential))).all()
    assert [e.user_id for e in experts] == [users["expert@demo.invalid"].id]

    again = await load_demo(database)
    assert not any("password demo-" in line for line in again.lines)
    async with database.read() as session:
        assert await queries.count_areas(session) == len(DEMO_AREAS)
        assert len((await session.exec(select(User))).all()) == len(DEMO_USERS)
        tree = await queries.area_tree(session)
    assert tree[0].area.code == "demo"
