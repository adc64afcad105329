"""Verification in person, at the residents' committee's counter, and revocation.

The resident asks (choosing the area) and gets a request number. A verification officer
of that area checks a paper document at the counter and confirms, recording the birth
year for age rules but nothing else from the document; or declines with a reason.
Officers see the request number, the display name and a masked login: no more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts import contact
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.accounts.services import FormInvalid
from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.errors import Forbidden, NotFound
from deliberate.identity.census import VALIDITY
from deliberate.identity.eligibility import descendants
from deliberate.identity.models import (
    Area,
    AreaOfficer,
    Verification,
    VerificationMethod,
    VerificationRequest,
)
from deliberate.web.i18n import lazy_gettext as _l

MAX_REASON = 200


async def request_check(database: Database, auth: Auth, area_id: int) -> VerificationRequest:
    """Ask to be verified in ``area_id`` (a community or village); replaces a pending ask."""
    now = datetime.now(UTC)
    async with database.write() as session:
        area = await session.get(Area, area_id)
        if area is None or area.kind not in ("community", "village"):
            raise FormInvalid({"area": _l("Choose the community or village where you live.")})
        await session.exec(
            update(VerificationRequest)
            .where(
                col(VerificationRequest.user_id) == auth.user.id,
                col(VerificationRequest.status) == "pending",
            )
            .values(status="withdrawn", decided_at=now)
        )
        request = VerificationRequest(user_id=auth.user.id, area_id=area.id, created_at=now)  # type: ignore[arg-type]
        session.add(request)
        await session.flush()
        await audit.record(
            session, auth.user.public_id, "verification.requested", subject=f"area:{area.code}"
        )
    return request


async def pending_of(
    session: AsyncSession, user_id: int
) -> tuple[VerificationRequest, Area] | None:
    row = (
        await session.exec(
            select(VerificationRequest, Area)
            .join(Area, col(Area.id) == VerificationRequest.area_id)
            .where(VerificationRequest.user_id == user_id, VerificationRequest.status == "pending")
        )
    ).first()
    return (row[0], row[1]) if row else None


async def officer_area_ids(session: AsyncSession, user_id: int) -> set[int]:
    """The areas an officer serves, with every area below them."""
    roots = set(
        (
            await session.exec(select(AreaOfficer.area_id).where(AreaOfficer.user_id == user_id))
        ).all()
    )
    if not roots:
        return set()
    parents = dict((await session.exec(select(Area.id, Area.parent_id))).all())
    return descendants(roots, parents)


def _require_officer(areas: set[int]) -> None:
    if not areas:
        raise Forbidden(_l("This page is for verification officers."))


@dataclass(frozen=True)
class QueueItem:
    request_id: int
    display_name: str
    masked_login: str
    area: Area
    created_at: datetime


@dataclass(frozen=True)
class VerifiedItem:
    verification_id: int
    display_name: str
    masked_login: str
    area: Area
    method: str
    valid_until: date | None


async def officer_view(
    database: Database, auth: Auth
) -> tuple[list[QueueItem], list[VerifiedItem]]:
    async with database.read() as session:
        areas = await officer_area_ids(session, auth.user.id)  # type: ignore[arg-type]
        _require_officer(areas)
        requests = (
            await session.exec(
                select(VerificationRequest, User, Area)
                .join(User, col(User.id) == VerificationRequest.user_id)
                .join(Area, col(Area.id) == VerificationRequest.area_id)
                .where(
                    VerificationRequest.status == "pending",
                    col(VerificationRequest.area_id).in_(areas),
                )
                .order_by(col(VerificationRequest.id))
                .limit(200)
            )
        ).all()
        verified = (
            await session.exec(
                select(Verification, User, Area)
                .join(User, col(User.id) == Verification.user_id)
                .join(Area, col(Area.id) == Verification.area_id)
                .where(col(Verification.revoked_at).is_(None), col(Verification.area_id).in_(areas))
                .order_by(col(Verification.id).desc())
                .limit(200)
            )
        ).all()
    queue = [
        QueueItem(r.id, u.display_name, contact.mask(u.login), a, r.created_at)  # type: ignore[arg-type]
        for r, u, a in requests
    ]
    current = [
        VerifiedItem(
            v.id,
            u.display_name,
            contact.mask(u.login) if u.login else "",
            a,  # type: ignore[arg-type]
            v.method,
            v.valid_until,
        )
        for v, u, a in verified
    ]
    return queue, current


async def decide(
    database: Database,
    auth: Auth,
    request_id: int,
    *,
    confirm: bool,
    birth_year: str = "",
    document_checked: bool = False,
    reason: str = "",
) -> None:
    now = datetime.now(UTC)
    errors = {}
    year = None
    if confirm:
        if not document_checked:
            errors["document_checked"] = _l("Confirm that you checked an identity document.")
        if birth_year.strip():
            try:
                year = int(birth_year)
                if not 1900 <= year <= now.year:
                    raise ValueError
            except ValueError:
                errors["birth_year"] = _l(
                    "Enter the year of birth as four digits, or leave it empty."
                )
    elif not reason.strip():
        errors["reason"] = _l("Say why, so the resident knows what to do.")
    if errors:
        raise FormInvalid(errors)
    async with database.write() as session:
        areas = await officer_area_ids(session, auth.user.id)  # type: ignore[arg-type]
        _require_officer(areas)
        request = (
            await session.exec(
                select(VerificationRequest)
                .where(VerificationRequest.id == request_id)
                .with_for_update()
            )
        ).first()
        if request is None or request.area_id not in areas or request.status != "pending":
            raise NotFound()
        request.status = "confirmed" if confirm else "declined"
        request.decided_by, request.decided_at = auth.user.id, now
        request.decline_reason = None if confirm else reason.strip()[:MAX_REASON]
        session.add(request)
        if confirm:
            session.add(
                Verification(
                    user_id=request.user_id,
                    area_id=request.area_id,
                    method=VerificationMethod.in_person.value,
                    birth_year=year,
                    verified_by=auth.user.id,
                    verified_at=now,
                    valid_until=date.today() + VALIDITY,
                )
            )
        await audit.record(
            session,
            auth.user.public_id,
            "verification.in_person" if confirm else "verification.declined",
            subject=f"request:{request.id}",
        )


async def revoke(database: Database, auth: Auth, verification_id: int, reason: str) -> None:
    if not reason.strip():
        raise FormInvalid({"reason": _l("Say why the verification is revoked.")})
    now = datetime.now(UTC)
    async with database.write() as session:
        areas = await officer_area_ids(session, auth.user.id)  # type: ignore[arg-type]
        _require_officer(areas)
        verification = await session.get(Verification, verification_id)
        if (
            verification is None
            or verification.area_id not in areas
            or verification.revoked_at is not None
        ):
            raise NotFound()
        verification.revoked_at = now
        verification.revoke_reason = reason.strip()[:MAX_REASON]
        session.add(verification)
        await audit.record(
            session,
            auth.user.public_id,
            "verification.revoked",
            subject=f"verification:{verification.id}",
            payload={"reason": verification.revoke_reason},
        )


async def officer_roots(session: AsyncSession, user_id: int) -> list[Area]:
    """The areas an officer was appointed to (rolls and letters are issued for these)."""
    return list(
        (
            await session.exec(
                select(Area)
                .join(AreaOfficer, col(AreaOfficer.area_id) == Area.id)
                .where(AreaOfficer.user_id == user_id)
                .order_by(col(Area.code))
            )
        ).all()
    )


async def officer_area_below(database: Database, auth: Auth, area_code: str) -> Area:
    """An area the officer serves (theirs or below), or 404."""
    async with database.read() as session:
        served = await officer_area_ids(session, auth.user.id)  # type: ignore[arg-type]
        _require_officer(served)
        area = (await session.exec(select(Area).where(Area.code == area_code))).first()
    if area is None or area.id not in served:
        raise NotFound()
    return area
