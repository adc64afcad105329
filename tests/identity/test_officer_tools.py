from sqlmodel import select

from deliberate.db import Database
from deliberate.identity.idnumber import check_digit
from deliberate.identity.models import CensusEntry, LetterCode
from deliberate.identity.services import upsert_area
from tests.support.accounts import csrf_from, post_form, sign_in


def number(seq: int) -> str:
    first17 = f"33010619800101{seq:03d}"
    return first17 + check_digit(first17)


async def officer_client(client, person, database: Database):
    officer = await person("officer@example.org", role="officer", totp=True)
    async with database.write() as session:
        await upsert_area(
            session, code="demo-c", name="幸福社区", kind="community", parent_code="demo"
        )
        await upsert_area(session, code="far", name="远方市", kind="city")
    await sign_in(client, officer)
    await post_form(client, "/accounts/login/verify", {"code": officer.totp_code()})
    return officer


async def upload(client, area: str, content: bytes | None):
    token = csrf_from((await client.get("/identity/officer/tools")).text)
    files = {"roll": ("roll.csv", content, "text/csv")} if content is not None else None
    return await client.post(
        "/identity/officer/census", data={"area": area, "_csrf_token": token}, files=files
    )


async def test_officer_imports_a_roll_and_sees_the_report(client, person, database) -> None:
    await officer_client(client, person, database)
    lines = [
        "姓名,id_number,area_code",
        f"张三,{number(1)},demo-c",
        f"李四,{number(2)[:17]}0,demo-c",
    ]
    roll = ("\n".join(lines) + "\n").encode("gbk")
    response = await upload(client, "demo", roll)
    assert response.status_code == 200
    assert "GB18030" in response.text and "第 3 行" in response.text
    assert number(1) not in response.text
    async with database.read() as session:
        assert len((await session.exec(select(CensusEntry))).all()) == 1


async def test_roll_problems_and_other_areas(client, person, database) -> None:
    await officer_client(client, person, database)
    assert (await upload(client, "far", b"id_number,area_code\n")).status_code == 404
    missing = await upload(client, "demo", None)
    assert missing.status_code == 400 and "请选择一个 CSV 文件" in missing.text
    wrong = await upload(client, "demo", b"name,phone\nx,y\n")
    assert wrong.status_code == 400 and "缺少必需的列" in wrong.text


async def test_officer_prints_letters(client, person, database) -> None:
    await officer_client(client, person, database)
    bad = await post_form(
        client,
        "/identity/officer/letters",
        {"area": "demo-c", "count": "0"},
        page="/identity/officer/tools",
    )
    assert bad.status_code == 400
    pdf = await post_form(
        client,
        "/identity/officer/letters",
        {"area": "demo-c", "count": "2"},
        page="/identity/officer/tools",
    )
    assert pdf.status_code == 201
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.content.startswith(b"%PDF")
    async with database.read() as session:
        assert len((await session.exec(select(LetterCode))).all()) == 2
    far = await post_form(
        client,
        "/identity/officer/letters",
        {"area": "far", "count": "2"},
        page="/identity/officer/tools",
    )
    assert far.status_code == 404
