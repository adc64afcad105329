"""The census roll: import reports by line, never stores a number, and a resident's match
verifies them for the area (with consent, throttled)."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from deliberate.config import Settings
from deliberate.db import Database, sqlite_path
from deliberate.identity.census import import_roll
from deliberate.identity.idnumber import check_digit
from deliberate.identity.models import Area, CensusEntry, Verification
from deliberate.identity.services import upsert_area
from tests.support.accounts import post_form, sign_in
from tests.support.postgres import find_bindir


def number(seq: int, born: str = "19800101", region: str = "330106") -> str:
    first17 = f"{region}{born}{seq:03d}"
    return first17 + check_digit(first17)


async def make_areas(database: Database) -> None:
    async with database.write() as session:
        await upsert_area(session, code="hz", name="杭州市", kind="city")
        await upsert_area(session, code="hz-xh", name="西湖区", kind="district", parent_code="hz")
        await upsert_area(
            session, code="hz-xh-01", name="保俶社区", kind="community", parent_code="hz-xh"
        )
        await upsert_area(session, code="nb", name="宁波市", kind="city")


def roll(*rows: tuple[str, str]) -> bytes:
    return ("id_number,area_code,name\n" + "".join(f"{n},{a},某人\n" for n, a in rows)).encode()


async def test_import_reports_by_line(database: Database, settings: Settings) -> None:
    await make_areas(database)
    good = number(1)
    wrong_digit = good[:17] + ("0" if good[17] != "0" else "1")
    data = roll(
        (good, "hz-xh-01"),  # line 2: accepted
        (wrong_digit, "hz-xh-01"),  # line 3: check digit
        (number(2), "atlantis"),  # line 4: unknown area
        (number(3), "nb"),  # line 5: outside hz
        (good.lower(), "hz-xh"),  # line 6: same person again
        ("12345", "hz"),  # line 7: length
        (number(4, born="19800230"), "hz"),  # line 8: no such date
    )
    report = await import_roll(database, settings.census_key, data, "hz", actor=None)
    assert report.accepted == 1
    assert report.duplicates == [6]
    assert [(e.line, e.message) for e in report.rejected] == [
        (3, "wrong check digit"),
        (4, "unknown area 'atlantis'"),
        (5, "area 'nb' is not within 'hz'"),
        (7, "not 18 characters"),
        (8, "invalid birth date"),
    ]
    again = await import_roll(database, settings.census_key, roll((good, "hz")), "hz", actor=None)
    assert (again.accepted, again.duplicates) == (0, [2])
    async with database.read() as session:
        (entry,) = (await session.exec(select(CensusEntry))).all()
    assert entry.birth_year == 1980 and len(entry.tag) == 64


async def test_gbk_roll_and_unknown_scope(database: Database, settings: Settings) -> None:
    await make_areas(database)
    data = f"身份证号,id_number,area_code\n张三,{number(5)},hz-xh-01\n".encode("gbk")
    report = await import_roll(database, settings.census_key, data, "hz", actor=None)
    assert (report.encoding, report.accepted) == ("GB18030", 1)
    from deliberate.errors import Invalid

    with pytest.raises(Invalid):
        await import_roll(database, settings.census_key, data, "nowhere", actor=None)


def dump(database_url: str) -> bytes:
    path = sqlite_path(database_url)
    if path is not None:
        wal = Path(f"{path}-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    url = make_url(database_url)
    return subprocess.run(
        [
            str(find_bindir() / "pg_dump"),
            "-h",
            url.host,
            "-p",
            str(url.port),
            "-U",
            "postgres",
            url.database,
        ],
        check=True,
        capture_output=True,
    ).stdout


async def test_no_number_reaches_the_database_or_the_logs(
    client, person, database: Database, settings: Settings, caplog
) -> None:
    await make_areas(database)
    numbers = [number(i) for i in range(10, 30)]
    with caplog.at_level(logging.DEBUG):
        await import_roll(
            database,
            settings.census_key,
            roll(*[(n, "hz-xh-01") for n in numbers]),
            "hz",
            actor=None,
        )
        alice = await person("alice@example.org")
        await sign_in(client, alice)
        matched = await post_form(
            client,
            "/identity/verify/census",
            {"consent": "yes", "id_number": numbers[0]},
            page="/identity/verify",
        )
        assert matched.status_code == 303
        missed = await post_form(
            client,
            "/identity/verify/census",
            {"consent": "yes", "id_number": number(99)},
            page="/identity/verify",
        )
        assert missed.status_code == 400 and number(99) not in missed.text
    stored = dump(database.url)
    for n in [*numbers, number(99)]:
        assert n.encode() not in stored
        assert n[:14].encode() not in stored  # not even the birth date part with region
        assert n not in caplog.text


async def test_match_needs_consent_and_verifies_for_the_area(
    client, person, database: Database, settings: Settings
) -> None:
    await make_areas(database)
    await import_roll(
        database,
        settings.census_key,
        roll((number(7, born="20010315"), "hz-xh-01")),
        "hz",
        actor=None,
    )
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    no_consent = await post_form(
        client,
        "/identity/verify/census",
        {"id_number": number(7, born="20010315")},
        page="/identity/verify",
    )
    assert no_consent.status_code == 400 and 'id="error-consent"' in no_consent.text
    bad = await post_form(
        client,
        "/identity/verify/census",
        {"consent": "yes", "id_number": "12345"},
        page="/identity/verify",
    )
    assert bad.status_code == 400 and "18 位" in bad.text
    ok = await post_form(
        client,
        "/identity/verify/census",
        {"consent": "yes", "id_number": number(7, born="20010315").lower()},
        page="/identity/verify",
    )
    assert ok.headers["location"] == "/accounts?verified=1"
    async with database.read() as session:
        (verification,) = (await session.exec(select(Verification))).all()
        area = await session.get(Area, verification.area_id)
    assert (verification.user_id, verification.method, verification.birth_year) == (
        alice.user.id,
        "census",
        2001,
    )
    assert area.code == "hz-xh-01" and verification.valid_until is not None
    overview = await client.get("/accounts")
    assert "保俶社区居民" in overview.text


async def test_guessing_against_the_roll_is_throttled(client, person, database: Database) -> None:
    await make_areas(database)
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    statuses = []
    for i in range(6):
        response = await post_form(
            client,
            "/identity/verify/census",
            {"consent": "yes", "id_number": number(40 + i)},
            page="/identity/verify",
        )
        statuses.append(response.status_code)
    assert statuses == [400] * 5 + [429]


async def test_unconfirmed_accounts_confirm_first(client, person) -> None:
    bob = await person("bob@example.org", confirmed=False)
    await sign_in(client, bob)
    assert (await client.get("/identity/verify")).headers["location"] == "/accounts/confirm"


def test_cli_import_prints_reasons_not_numbers(tmp_path) -> None:
    env = {"PATH": os.environ["PATH"], "DELIBERATE_DATA_DIR": str(tmp_path / "data")}
    run = [sys.executable, "-m", "deliberate"]
    assert subprocess.run([*run, "migrate"], env=env, capture_output=True).returncode == 0
    areas = tmp_path / "areas.csv"
    areas.write_text("code,name,kind,parent_code\nhz,杭州市,city,\n", encoding="utf-8")
    assert subprocess.run([*run, "areas", "import", str(areas)], env=env).returncode == 0
    good, bad = number(8), number(9)[:17] + "0"
    if bad == number(9):
        bad = number(9)[:17] + "1"
    csv_file = tmp_path / "roll.csv"
    csv_file.write_bytes(roll((good, "hz"), (bad, "hz")))
    result = subprocess.run(
        [*run, "census", "import", str(csv_file), "--area", "hz"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "1 accepted, 1 rejected, 0 duplicates" in result.stdout
    assert f"{csv_file}:3: rejected: wrong check digit" in result.stderr
    assert good not in result.stdout + result.stderr and bad not in result.stdout + result.stderr
