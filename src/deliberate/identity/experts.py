"""Expert credentials: a member of a committee verifies an expert's field, organisation
and title, which makes that account an expert for the committee's consultations (and
from then on it must sign in with two-factor)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts import contact, queries
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.accounts.services import FormInvalid
from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.identity.models import CommitteeMember, ExpertCredential
from deliberate.web.i18n import lazy_gettext as _l

MAX_TEXT = 100


async def is_member(session: AsyncSession, user_id: int, committee_id: int) -> bool:
    return (
        await session.exec(
            select(CommitteeMember.id).where(
                CommitteeMember.user_id == user_id, CommitteeMember.committee_id == committee_id
            )
        )
    ).first() is not None


async def credentials_of(session: AsyncSession, committee_id: int) -> list[tuple[Any, User]]:
    return list(
        (
            await session.exec(
                select(ExpertCredential, User)
                .join(User, col(User.id) == ExpertCredential.user_id)
                .where(ExpertCredential.committee_id == committee_id)
                .order_by(col(ExpertCredential.id))
            )
        ).all()
    )


def read_credential(form: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """The field, organisation and title typed, and what is wrong with them."""
    errors: dict[str, Any] = {}
    values = {
        name: " ".join(form.get(name, "").split()) for name in ("field", "organisation", "title")
    }
    labels = {
        "field": _l("Enter the field of expertise."),
        "organisation": _l("Enter the organisation."),
        "title": _l("Enter the title."),
    }
    for name, value in values.items():
        if not value or len(value) > MAX_TEXT:
            errors[name] = labels[name]
    return values, errors


async def record_credential(
    session: AsyncSession,
    auth: Auth,
    committee_id: int,
    expert: User,
    values: dict[str, str],
    *,
    now: datetime | None = None,
) -> ExpertCredential:
    """Add or correct the credential (the caller has checked membership)."""
    existing = (
        await session.exec(
            select(ExpertCredential).where(
                ExpertCredential.committee_id == committee_id,
                ExpertCredential.user_id == expert.id,
            )
        )
    ).first()
    now = now or datetime.now(UTC)
    credential = existing or ExpertCredential(
        committee_id=committee_id,
        user_id=expert.id,  # type: ignore[arg-type]
        verified_at=now,
    )
    credential.field, credential.organisation, credential.title = (
        values["field"],
        values["organisation"],
        values["title"],
    )
    credential.verified_by = auth.user.id
    credential.verified_at = now
    session.add(credential)
    await session.flush()
    await audit.record(
        session,
        auth.user.public_id,
        "expert.verified",
        subject=f"committee:{committee_id}",
        payload={"expert": expert.public_id, "field": values["field"]},
        now=now,
    )
    return credential


async def verify_expert(
    database: Database, auth: Auth, committee_id: int, form: dict[str, str]
) -> ExpertCredential:
    values, errors = read_credential(form)
    try:
        kind, login = contact.normalise_login(form.get("login", ""))
    except ValueError:
        kind, login = "", ""
        errors["login"] = _l("Enter the e-mail address or mobile number of the expert's account.")
    async with database.write() as session:
        if not await is_member(session, auth.user.id, committee_id):  # type: ignore[arg-type]
            raise NotFound()
        expert = await queries.user_by_login(session, kind, login) if kind else None
        if kind and expert is None:
            errors["login"] = _l(
                "No account has this address or number. Ask the expert to register first."
            )
        if errors:
            raise FormInvalid(errors)
        return await record_credential(session, auth, committee_id, expert, values)  # type: ignore[arg-type]
