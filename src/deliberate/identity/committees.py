"""Committees and their members, managed by admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from deliberate.accounts import contact, queries
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.accounts.permissions import require
from deliberate.accounts.services import FormInvalid
from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.identity.models import Area, Committee, CommitteeMember, CommitteeRole
from deliberate.web.i18n import lazy_gettext as _l


async def overview(database: Database) -> list[tuple[Committee, Area, list[tuple[Any, User]]]]:
    async with database.read() as session:
        committees = (
            await session.exec(
                select(Committee, Area)
                .join(Area, col(Area.id) == Committee.area_id)
                .order_by(col(Area.code), col(Committee.name))
            )
        ).all()
        members = (
            await session.exec(
                select(CommitteeMember, User)
                .join(User, col(User.id) == CommitteeMember.user_id)
                .order_by(col(CommitteeMember.id))
            )
        ).all()
    by_committee: dict[int, list[tuple[Any, User]]] = {}
    for member, user in members:
        by_committee.setdefault(member.committee_id, []).append((member, user))
    return [(c, a, by_committee.get(c.id, [])) for c, a in committees]  # type: ignore[arg-type]


async def create(database: Database, actor: Auth, form: dict[str, str]) -> Committee:
    require(actor, "users.manage")
    name, name_en = " ".join(form.get("name", "").split()), form.get("name_en", "").strip()
    errors: dict[str, Any] = {}
    if not name or len(name) > 100:
        errors["name"] = _l("Enter the committee's name (at most 100 characters).")
    if len(name_en) > 100:
        errors["name_en"] = _l("At most 100 characters.")
    async with database.write() as session:
        area = await session.get(Area, _int(form.get("area")))
        if area is None:
            errors["area"] = _l("Choose the area the committee serves.")
        if errors:
            raise FormInvalid(errors)
        committee = Committee(area_id=area.id, name=name, name_en=name_en or None)  # type: ignore[union-attr,arg-type]
        session.add(committee)
        await session.flush()
        await audit.record(
            session, actor.user.public_id, "committee.created", subject=f"committee:{committee.id}"
        )
    return committee


async def add_member(
    database: Database, actor: Auth, committee_id: int, form: dict[str, str]
) -> None:
    require(actor, "users.manage")
    try:
        role = CommitteeRole(form.get("role", ""))
    except ValueError:
        raise FormInvalid({"role": _l("Choose a role.")}) from None
    try:
        kind, login = contact.normalise_login(form.get("login", ""))
    except ValueError:
        raise FormInvalid(
            {"login": _l("Enter the e-mail address or mobile number of the person's account.")}
        ) from None
    try:
        async with database.write() as session:
            if await session.get(Committee, committee_id) is None:
                raise NotFound()
            user = await queries.user_by_login(session, kind, login)
            if user is None:
                raise FormInvalid({"login": _l("No account has this address or number.")})
            session.add(
                CommitteeMember(committee_id=committee_id, user_id=user.id, role=role.value)
            )  # type: ignore[arg-type]
            await session.flush()
            await audit.record(
                session,
                actor.user.public_id,
                "committee.member_added",
                subject=f"committee:{committee_id}",
                payload={"user": user.public_id, "role": role.value},
            )
    except IntegrityError:
        raise FormInvalid({"login": _l("This person is already a member.")}) from None


async def remove_member(database: Database, actor: Auth, member_id: int) -> None:
    require(actor, "users.manage")
    async with database.write() as session:
        member = await session.get(CommitteeMember, member_id)
        if member is None:
            raise NotFound()
        await session.delete(member)
        await audit.record(
            session,
            actor.user.public_id,
            "committee.member_removed",
            subject=f"committee:{member.committee_id}",
        )


def _int(value: str | None) -> int:
    try:
        return int(value or "0")
    except ValueError:
        return 0
