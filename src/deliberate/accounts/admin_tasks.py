"""Account tasks for the command line and the demo: creating people directly, as an
operator, without the sign-up flow (they are created confirmed)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from deliberate.accounts import contact, passwords, queries
from deliberate.accounts.models import GlobalRole, User
from deliberate.accounts.services import new_user
from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.identity.models import Area, AreaOfficer, Committee, CommitteeMember

ROLES = ("resident", "admin", "officer")


class TaskError(Exception):
    pass


async def create_user(
    database: Database,
    *,
    login: str,
    password: str,
    role: str,
    display_name: str | None = None,
    area_code: str | None = None,
    locale: str = "zh_CN",
    check_password: bool = True,
) -> User:
    if role not in ROLES:
        raise TaskError(f"role must be one of {', '.join(ROLES)}")
    if role == "officer" and not area_code:
        raise TaskError("an officer needs --area CODE")
    try:
        kind, normalised = contact.normalise_login(login)
    except ValueError:
        raise TaskError(f"not an e-mail address or mainland mobile number: {login!r}") from None
    if check_password:
        try:
            passwords.check_policy(password, context=(normalised,))
        except passwords.PasswordRejected as rejected:
            raise TaskError(f"password refused ({rejected.code.replace('_', ' ')})") from None
    password_hash = await passwords.hash_password(password)
    now = datetime.now(UTC)
    async with database.write() as session:
        if await queries.user_by_login(session, kind, normalised) is not None:
            raise TaskError(f"{normalised} is already registered")
        area = None
        if area_code:
            area = (await session.exec(select(Area).where(Area.code == area_code))).first()
            if area is None:
                raise TaskError(f"no area with code {area_code!r}")
        user = new_user(
            kind,
            normalised,
            display_name=display_name or normalised.split("@")[0],
            password_hash=password_hash,
            now=now,
            locale=locale,
            role=GlobalRole.admin if role == "admin" else GlobalRole.resident,
            confirmed=True,
        )
        session.add(user)
        await session.flush()
        if role == "officer" and area is not None:
            session.add(AreaOfficer(area_id=area.id, user_id=user.id))  # type: ignore[arg-type]
        await audit.record(
            session,
            None,
            "account.created_by_operator",
            subject=f"user:{user.public_id}",
            payload={"role": role, "area": area_code},
        )
    return user


async def add_committee_member(
    database: Database, *, user: User, committee: Committee, role: str
) -> None:
    async with database.write() as session:
        session.add(CommitteeMember(committee_id=committee.id, user_id=user.id, role=role))  # type: ignore[arg-type]
        await audit.record(
            session,
            None,
            "committee.member_added",
            subject=f"committee:{committee.id}",
            payload={"user": user.public_id, "role": role},
        )
