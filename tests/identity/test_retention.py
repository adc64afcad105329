from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from deliberate.db import Database
from deliberate.identity.models import (
    CensusEntry,
    LetterCode,
    Verification,
    VerificationRequest,
)
from deliberate.identity.retention import purge
from deliberate.identity.services import upsert_area

NOW = datetime(2027, 6, 1, tzinfo=UTC)


async def test_purge_removes_only_what_is_past_retention(database: Database, person) -> None:
    alice = await person("alice@example.org")
    async with database.write() as session:
        area = await upsert_area(session, code="c", name="社区", kind="community")
        old, recent = NOW - timedelta(days=400), NOW - timedelta(days=10)
        session.add_all(
            [
                LetterCode(
                    code_hash="a" * 64,
                    area_id=area.id,
                    batch="b",
                    created_at=old,
                    expires_at=old + timedelta(days=90),
                    used_at=old,
                ),
                LetterCode(
                    code_hash="b" * 64,
                    area_id=area.id,
                    batch="b",
                    created_at=recent,
                    expires_at=recent + timedelta(days=90),
                ),
                VerificationRequest(
                    user_id=alice.user.id,
                    area_id=area.id,
                    status="declined",
                    created_at=old,
                    decided_at=old,
                ),
                VerificationRequest(user_id=alice.user.id, area_id=area.id, created_at=old),
                CensusEntry(
                    key_version="v",
                    tag="1" * 64,
                    area_id=area.id,
                    birth_year=1980,
                    imported_at=NOW - timedelta(days=401),
                ),
                CensusEntry(
                    key_version="v",
                    tag="2" * 64,
                    area_id=area.id,
                    birth_year=1980,
                    imported_at=recent,
                ),
                Verification(
                    user_id=alice.user.id,
                    area_id=area.id,
                    method="letter",
                    verified_at=old,
                    valid_until=date(2025, 1, 1),
                ),
                Verification(
                    user_id=alice.user.id,
                    area_id=area.id,
                    method="letter",
                    verified_at=old,
                    valid_until=date(2027, 12, 31),
                ),
            ]
        )
    dry = await purge(database, now=NOW, dry_run=True)
    assert dry == {
        "letter_codes": 1,
        "verification_requests": 1,
        "census_entries": 1,
        "verifications": 1,
    }
    async with database.read() as session:
        assert len((await session.exec(select(LetterCode))).all()) == 2  # dry run kept all
    assert await purge(database, now=NOW) == dry
    async with database.read() as session:
        assert [c.code_hash[0] for c in (await session.exec(select(LetterCode))).all()] == ["b"]
        assert [r.status for r in (await session.exec(select(VerificationRequest))).all()] == [
            "pending"
        ]
        assert [c.tag[0] for c in (await session.exec(select(CensusEntry))).all()] == ["2"]
        (kept,) = (await session.exec(select(Verification))).all()
    assert kept.valid_until == date(2027, 12, 31)
    assert await purge(database, now=NOW) == dict.fromkeys(dry, 0)
