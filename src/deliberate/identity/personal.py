"""What identity keeps about a person, for their data export and account deletion.

Verifications say where and how someone was verified, never with what: the census tag of
an identity number is on the roll entry, which points at no account, and it is never
read here. Roles (committee seats, officer areas, expert credentials) say in what
capacity the account acted on the record, so they stay after deletion; verifications and
decided counter requests stay until the retention purge (turnout by area and the
eligibility of counted votes rest on them); a request still waiting at the counter goes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.identity.models import (
    Area,
    AreaOfficer,
    Committee,
    CommitteeMember,
    ExpertCredential,
    Verification,
    VerificationRequest,
)


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    uid = user.id
    verifications = await session.exec(
        select(Verification, Area)
        .join(Area, col(Area.id) == Verification.area_id)
        .where(Verification.user_id == uid)
        .order_by(col(Verification.id))
    )
    requests = await session.exec(
        select(VerificationRequest, Area)
        .join(Area, col(Area.id) == VerificationRequest.area_id)
        .where(VerificationRequest.user_id == uid)
        .order_by(col(VerificationRequest.id))
    )
    seats = await session.exec(
        select(CommitteeMember, Committee)
        .join(Committee, col(Committee.id) == CommitteeMember.committee_id)
        .where(CommitteeMember.user_id == uid)
        .order_by(col(CommitteeMember.id))
    )
    officer = await session.exec(
        select(Area)
        .join(AreaOfficer, col(AreaOfficer.area_id) == Area.id)
        .where(AreaOfficer.user_id == uid)
        .order_by(col(Area.code))
    )
    credentials = await session.exec(
        select(ExpertCredential, Committee)
        .join(Committee, col(Committee.id) == ExpertCredential.committee_id)
        .where(ExpertCredential.user_id == uid)
        .order_by(col(ExpertCredential.id))
    )
    return {
        "verifications": [
            {
                "area": area.code,
                "area_name": area.name,
                "method": v.method,
                "birth_year": v.birth_year,
                "verified_at": v.verified_at,
                "valid_until": v.valid_until,
                "revoked_at": v.revoked_at,
                "revoke_reason": v.revoke_reason,
            }
            for v, area in verifications.all()
        ],
        "verification_requests": [
            {
                "area": area.code,
                "area_name": area.name,
                "status": r.status,
                "created_at": r.created_at,
                "decided_at": r.decided_at,
                "decline_reason": r.decline_reason,
            }
            for r, area in requests.all()
        ],
        "committee_memberships": [
            {"committee": c.id, "committee_name": c.name, "role": m.role} for m, c in seats.all()
        ],
        "officer_areas": [{"area": a.code, "area_name": a.name} for a in officer.all()],
        "expert_credentials": [
            {
                "committee": c.id,
                "committee_name": c.name,
                "field": e.field,
                "organisation": e.organisation,
                "title": e.title,
                "verified_at": e.verified_at,
            }
            for e, c in credentials.all()
        ],
    }


async def forget(session: AsyncSession, user: User) -> None:
    """A request nobody has decided yet would wait at the counter for a deleted account."""
    await session.exec(
        delete(VerificationRequest).where(
            col(VerificationRequest.user_id) == user.id,
            col(VerificationRequest.status) == "pending",
        )
    )
