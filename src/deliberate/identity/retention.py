"""Retention: verification evidence is kept only as long as it is needed.

| what | removed when |
|---|---|
| letter codes | 90 days after use or expiry |
| verification requests | 90 days after they were decided or withdrawn |
| census roll entries | 400 days after import (rolls are refreshed every year) |
| verifications | 365 days after they expired or were revoked |

Run ``deliberate retention purge`` daily (cron or a systemd timer)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, delete, or_
from sqlmodel import col

from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.identity.models import (
    CensusEntry,
    LetterCode,
    Verification,
    VerificationRequest,
)

CODES = timedelta(days=90)
REQUESTS = timedelta(days=90)
ROLLS = timedelta(days=400)
VERIFICATIONS = timedelta(days=365)


async def purge(
    database: Database, *, now: datetime | None = None, dry_run: bool = False
) -> dict[str, int]:
    now = now or datetime.now(UTC)
    statements = {
        "letter_codes": delete(LetterCode).where(
            or_(
                col(LetterCode.used_at) < now - CODES,
                col(LetterCode.expires_at) < now - CODES,
            )
        ),
        "verification_requests": delete(VerificationRequest).where(
            col(VerificationRequest.status) != "pending",
            col(VerificationRequest.decided_at) < now - REQUESTS,
        ),
        "census_entries": delete(CensusEntry).where(col(CensusEntry.imported_at) < now - ROLLS),
        "verifications": delete(Verification).where(
            or_(
                col(Verification.revoked_at) < now - VERIFICATIONS,
                and_(
                    col(Verification.valid_until).is_not(None),
                    col(Verification.valid_until)
                    < date.fromordinal((now - VERIFICATIONS).date().toordinal()),
                ),
            )
        ),
    }
    counts: dict[str, int] = {}
    async with database.write() as session:
        for name, statement in statements.items():
            counts[name] = (await session.exec(statement)).rowcount  # type: ignore[attr-defined]
        if dry_run:
            await session.rollback()
        else:
            await audit.record(session, None, "retention.purge", payload=counts)
    return counts
