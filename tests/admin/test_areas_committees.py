from sqlmodel import select

from deliberate.db import Database
from deliberate.identity.models import Area, Committee, CommitteeMember
from tests.support.accounts import csrf_from, post_form, sign_in

CSV = "code,name,kind,parent_code\nhz,杭州市,city,\nhz-xh,西湖区,district,hz\n"


async def admin_client(client, person):
    admin = await person("admin@example.org", role="admin", totp=True)
    await sign_in(client, admin)
    await post_form(client, "/accounts/login/verify", {"code": admin.totp_code()})
    return admin


async def test_upload_and_single_area_form(client, person, database: Database) -> None:
    await admin_client(client, person)
    token = csrf_from((await client.get("/admin/areas")).text)
    imported = await client.post(
        "/admin/areas/import",
        data={"_csrf_token": token},
        files={"areas": ("areas.csv", CSV.encode("gbk"), "text/csv")},
    )
    assert imported.status_code == 200 and "GB18030" in imported.text
    bad = await post_form(
        client,
        "/admin/areas",
        {"code": "x", "name": "某地", "kind": "street", "parent_code": "nowhere"},
        page="/admin/areas",
    )
    assert bad.status_code == 400 and "nowhere" in bad.text and 'value="某地"' in bad.text
    ok = await post_form(
        client,
        "/admin/areas",
        {"code": "hz-xh-01", "name": "北山街道", "kind": "street", "parent_code": "hz-xh"},
        page="/admin/areas",
    )
    assert ok.headers["location"] == "/admin/areas?saved=1"
    async with database.read() as session:
        codes = sorted(a.code for a in (await session.exec(select(Area))).all())
    assert codes == ["hz", "hz-xh", "hz-xh-01"]
    broken = await client.post(
        "/admin/areas/import",
        data={"_csrf_token": token},
        files={"areas": ("a.csv", CSV.encode() + b"y,Y,planet,\n", "text/csv")},
    )
    assert broken.status_code == 400 and "第 4 行" in broken.text


async def test_committees_and_members(client, person, database: Database) -> None:
    await admin_client(client, person)
    member = await person("member@example.org")
    async with database.write() as session:
        area = Area(code="c1", name="幸福社区", kind="community")
        session.add(area)
    empty = await post_form(
        client, "/admin/committees", {"area": str(area.id), "name": ""}, page="/admin/committees"
    )
    assert empty.status_code == 400
    created = await post_form(
        client,
        "/admin/committees",
        {"area": str(area.id), "name": "幸福社区居委会"},
        page="/admin/committees",
    )
    assert created.status_code == 303
    async with database.read() as session:
        committee = (await session.exec(select(Committee))).one()
    path = f"/admin/committees/{committee.id}/members"
    unknown = await post_form(
        client, path, {"login": "nobody@example.org", "role": "member"}, page="/admin/committees"
    )
    assert unknown.status_code == 400
    added = await post_form(
        client, path, {"login": "member@example.org", "role": "secretary"}, page="/admin/committees"
    )
    assert added.status_code == 303
    twice = await post_form(
        client, path, {"login": "member@example.org", "role": "member"}, page="/admin/committees"
    )
    assert twice.status_code == 400
    async with database.read() as session:
        (row,) = (await session.exec(select(CommitteeMember))).all()
    assert (row.user_id, row.role) == (member.user.id, "secretary")
    removed = await post_form(
        client, f"/admin/committee-members/{row.id}/remove", {}, page="/admin/committees"
    )
    assert removed.status_code == 303
    async with database.read() as session:
        assert (await session.exec(select(CommitteeMember))).all() == []


async def test_residents_cannot_manage(client, person) -> None:
    resident = await person("r@example.org")
    await sign_in(client, resident)
    assert (await client.get("/admin/areas")).status_code == 403
    assert (await client.get("/admin/committees")).status_code == 403
