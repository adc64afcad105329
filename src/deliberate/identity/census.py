"""The census roll: importing it (numbers become keyed tags on the way in) and a resident
matching their own number against it, which verifies them for that area."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import Client, FormInvalid
from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.errors import Invalid
from deliberate.identity import idnumber
from deliberate.identity.area_import import RowError
from deliberate.identity.csvfiles import read_csv
from deliberate.identity.eligibility import descendants
from deliberate.identity.models import Area, CensusEntry, Verification, VerificationMethod
from deliberate.throttle import services as throttle
from deliberate.throttle.policy import Rule
from deliberate.web.i18n import lazy_gettext as _l

COLUMNS = ("id_number", "area_code")
CHUNK = 1000
VALIDITY = timedelta(days=365)
CONSENT_VERSION = "census-2026-11"
# Guessing numbers against the roll: few tries per account and per address.
MATCH = Rule(
    "census-match",
    limit=5,
    window=timedelta(hours=1),
    first_delay=timedelta(minutes=5),
    max_delay=timedelta(hours=24),
)

ID_MESSAGES: dict[str, Any] = {
    "length": _l("An identity number has 18 characters."),
    "characters": _l("Use the 17 digits and the last character, which is a digit or X."),
    "region": _l("This is not a valid identity number. Please check it."),
    "birth_date": _l("This is not a valid identity number. Please check it."),
    "check_digit": _l("The last character does not match the others. Please check the number."),
}
ROW_REASONS = {
    "length": "not 18 characters",
    "characters": "not 17 digits and a digit or X",
    "region": "invalid region code",
    "birth_date": "invalid birth date",
    "check_digit": "wrong check digit",
}


def key_of(census_key: str) -> tuple[bytes, str]:
    """The HMAC key and its version: a short fingerprint, so a new key is a new version."""
    key = census_key.encode()
    return key, hashlib.sha256(b"census-key-version:" + key).hexdigest()[:12]


@dataclass(frozen=True)
class CensusReport:
    encoding: str
    accepted: int
    duplicates: list[int]  # line numbers already on the roll, or repeated in the file
    rejected: list[RowError]


async def import_roll(
    database: Database, census_key: str, data: bytes, area_code: str, *, actor: str | None
) -> CensusReport:
    """Add a roll for ``area_code`` (rows may name it or any area below it). Valid rows
    are added in one transaction; rejected and duplicate rows are reported by line. The
    numbers exist only in this function's memory."""
    table = read_csv(data, required=COLUMNS)
    key, version = key_of(census_key)
    now = datetime.now(UTC)
    async with database.write() as session:
        areas = {a.code: a for a in (await session.exec(select(Area))).all()}
        scope = areas.get(area_code)
        if scope is None:
            raise Invalid(f"unknown area {area_code!r}")
        within = descendants((scope.id,), {a.id: a.parent_id for a in areas.values()})  # type: ignore[arg-type]
        rejected: list[RowError] = []
        duplicates: list[int] = []
        pending: dict[str, tuple[int, int, int]] = {}  # tag → (line, area id, birth year)
        for line, row in table.rows:
            try:
                number = idnumber.parse(row.get("id_number", ""))
            except idnumber.InvalidIdNumber as problem:
                rejected.append(RowError(line, ROW_REASONS[problem.code]))
                continue
            area = areas.get(row.get("area_code", ""))
            if area is None:
                rejected.append(RowError(line, f"unknown area {row.get('area_code', '')!r}"))
                continue
            if area.id not in within:
                rejected.append(RowError(line, f"area {area.code!r} is not within {area_code!r}"))
                continue
            digest = idnumber.tag(key, number)
            if digest in pending:
                duplicates.append(line)
                continue
            pending[digest] = (line, area.id, number.birth_year)  # type: ignore[assignment]
        tags = list(pending)
        for start in range(0, len(tags), CHUNK):
            chunk = tags[start : start + CHUNK]
            known = (
                await session.exec(
                    select(CensusEntry.tag).where(
                        CensusEntry.key_version == version, col(CensusEntry.tag).in_(chunk)
                    )
                )
            ).all()
            for digest in known:
                duplicates.append(pending.pop(digest)[0])
        rows = [
            {
                "key_version": version,
                "tag": digest,
                "area_id": area_id,
                "birth_year": year,
                "imported_at": now,
            }
            for digest, (_line, area_id, year) in pending.items()
        ]
        for start in range(0, len(rows), CHUNK):
            await session.exec(insert(CensusEntry), params=rows[start : start + CHUNK])  # type: ignore[call-overload]
        await audit.record(
            session,
            actor,
            "census.import",
            subject=f"area:{area_code}",
            payload={
                "accepted": len(rows),
                "rejected": len(rejected),
                "duplicates": len(duplicates),
                "key_version": version,
            },
        )
    return CensusReport(table.encoding, len(rows), sorted(duplicates), rejected)


async def match(
    database: Database,
    census_key: str,
    client: Client,
    auth: Auth,
    typed: str,
    *,
    consent: bool,
) -> Verification:
    """Verify the person when their number is on a roll. Attempts are throttled per
    account and per address, so the roll cannot be searched by guessing."""
    if not consent:
        raise FormInvalid({"consent": _l("Please give your consent first, or choose another way.")})
    now = datetime.now(UTC)
    checks = [(MATCH, f"census:{auth.user.public_id}"), (MATCH, f"census-ip:{client.ip}")]
    async with database.read() as session:
        await throttle.check(session, checks, now)
    try:
        number = idnumber.parse(typed)
    except idnumber.InvalidIdNumber as problem:
        raise FormInvalid({"id_number": ID_MESSAGES[problem.code]}) from None
    key, version = key_of(census_key)
    async with database.write() as session:
        entry = (
            await session.exec(
                select(CensusEntry).where(
                    CensusEntry.key_version == version,
                    CensusEntry.tag == idnumber.tag(key, number),
                )
            )
        ).first()
        if entry is None:
            await throttle.fail_all(session, checks, now)
            await audit.record(session, auth.user.public_id, "verification.census_no_match")
        else:
            verification = Verification(
                user_id=auth.user.id,  # type: ignore[arg-type]
                area_id=entry.area_id,
                method=VerificationMethod.census.value,
                birth_year=entry.birth_year,
                verified_at=now,
                valid_until=date.today() + VALIDITY,
            )
            session.add(verification)
            await session.flush()
            await audit.record(
                session,
                auth.user.public_id,
                "verification.census",
                subject=f"area:{entry.area_id}",
                payload={"consent": CONSENT_VERSION},
            )
    if entry is None:
        raise FormInvalid(
            {
                "id_number": _l(
                    "This number is not on the resident roll. Check it, or ask your "
                    "residents' committee about the other ways to verify."
                )
            }
        )
    return verification
