"""Letter codes: issued hashed with a PDF, redeemed once (even at the same moment)."""

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import Client, FormInvalid
from deliberate.accounts.tokens import Keys
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.identity import letters
from deliberate.identity.models import Area, LetterCode, Verification
from deliberate.identity.services import upsert_area
from tests.support.accounts import post_form, sign_in


def poppler(tool: str, path) -> str:
    args = [tool, str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


async def area(database: Database) -> None:
    async with database.write() as session:
        await upsert_area(session, code="xf", name="幸福社区", kind="community")


async def test_issue_stores_only_hashes_and_renders_a_chinese_pdf(
    database: Database, settings: Settings, tmp_path
) -> None:
    await area(database)
    issued = await letters.issue(database, Keys(settings.secret_key), "xf", 3, actor=None)
    assert len(set(issued.codes)) == 3
    async with database.read() as session:
        rows = (await session.exec(select(LetterCode))).all()
    stored = {row.code_hash for row in rows}
    assert len(stored) == 3 and not stored & set(issued.codes)
    pdf = letters.render_pdf(issued, "https://deliberate.example.org", settings.time_zone)
    path = tmp_path / "letters.pdf"
    path.write_bytes(pdf)
    text, fonts, info = [
        await asyncio.to_thread(poppler, tool, path)
        for tool in ("pdftotext", "pdffonts", "pdfinfo")
    ]
    assert re.search(r"^Pages:\s+3$", info, re.MULTILINE)
    for code in issued.codes:
        assert code in text
    assert "居民身份核实信" in text and "幸福社区" in text
    assert "https://deliberate.example.org/identity/letter" in text
    assert "NotoSansCJK" in fonts.replace("-", "") and " yes " in fonts  # embedded CJK font


async def test_a_code_works_once_even_at_the_same_moment(
    database: Database, settings: Settings, person
) -> None:
    await area(database)
    keys = Keys(settings.secret_key)
    (code,) = (await letters.issue(database, keys, "xf", 1, actor=None)).codes
    people = [await person(f"p{i}@example.org") for i in range(5)]
    auths = []
    for someone in people:
        from deliberate.accounts.models import UserSession

        fake = UserSession(
            token_hash="x",
            user_id=someone.user.id,
            created_at=someone.user.created_at,
            last_seen_at=someone.user.created_at,
            expires_at=someone.user.created_at,
        )
        auths.append(Auth(someone.user, fake, False, False))
    databases = [Database(settings.database_url) for _ in people]
    try:
        results = await asyncio.gather(
            *(
                letters.redeem(db, keys, Client(ip=f"198.51.100.{i}"), auth, code.lower())
                for i, (db, auth) in enumerate(zip(databases, auths, strict=True))
            ),
            return_exceptions=True,
        )
    finally:
        for db in databases:
            await db.dispose()
    winners = [r for r in results if isinstance(r, Verification)]
    losers = [r for r in results if isinstance(r, FormInvalid)]
    assert len(winners) == 1 and len(losers) == 4
    async with database.read() as session:
        assert len((await session.exec(select(Verification))).all()) == 1
        (row,) = (await session.exec(select(LetterCode))).all()
    assert row.used_by == winners[0].user_id


async def test_redeem_through_the_qr_link_and_refuse_reuse_and_expiry(
    client, person, database: Database, settings: Settings
) -> None:
    await area(database)
    keys = Keys(settings.secret_key)
    first, second = (await letters.issue(database, keys, "xf", 2, actor=None)).codes
    # Scanning the QR code while signed out leads to sign-in and back.
    link = f"/identity/letter?code={first}"
    assert (await client.get(link)).headers["location"].startswith("/accounts/login?next=")
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    prefilled = await client.get(link)
    assert f'value="{first}"' in prefilled.text
    done = await post_form(client, "/identity/letter", {"code": first}, page=link)
    assert done.headers["location"] == "/accounts?verified=1"
    async with database.read() as session:
        (verification,) = (await session.exec(select(Verification))).all()
        place = await session.get(Area, verification.area_id)
    assert verification.method == "letter" and place.code == "xf"

    again = await post_form(client, "/identity/letter", {"code": first}, page=link)
    assert again.status_code == 400 and "已被使用" in again.text
    async with database.write() as session:
        await session.exec(
            update(LetterCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    expired = await post_form(client, "/identity/letter", {"code": second}, page=link)
    assert expired.status_code == 400


def test_cli_issue_writes_the_pdf(tmp_path) -> None:
    env = {"PATH": os.environ["PATH"], "DELIBERATE_DATA_DIR": str(tmp_path / "data")}
    run = [sys.executable, "-m", "deliberate"]
    assert subprocess.run([*run, "migrate"], env=env, capture_output=True).returncode == 0
    areas = tmp_path / "areas.csv"
    areas.write_text("code,name,kind,parent_code\nxf,幸福社区,community,\n", encoding="utf-8")
    assert subprocess.run([*run, "areas", "import", str(areas)], env=env).returncode == 0
    out = tmp_path / "letters.pdf"
    ok = subprocess.run(
        [*run, "letters", "issue", "--area", "xf", "--count", "2", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert out.read_bytes().startswith(b"%PDF") and "2 letters for xf" in ok.stdout
    bad = subprocess.run(
        [*run, "letters", "issue", "--area", "nope", "--count", "2", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and bad.stderr.strip() == "deliberate letters: unknown area 'nope'"
    zero = subprocess.run(
        [*run, "letters", "issue", "--area", "xf", "--count", "0", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert zero.returncode == 1 and "between 1 and" in zero.stderr
