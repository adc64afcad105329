"""The write path for consultations: create, edit, publish, move through the stages,
follow and unfollow. Every function takes the acting user, checks the named permission
and records an audit event in the same transaction."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.accounts.services import Context, FormInvalid
from deliberate.audit import services as audit
from deliberate.consultations import queries
from deliberate.consultations.forms import ConsultationInput
from deliberate.consultations.labels import stage_label
from deliberate.consultations.models import Consultation, Follower, Stage, StageChange
from deliberate.consultations.permissions import Standing, require
from deliberate.db import Database
from deliberate.decisions import services as decision_services
from deliberate.errors import Conflict, Invalid, NotFound
from deliberate.identity import eligibility
from deliberate.identity.models import Committee
from deliberate.identity.queries import area_parents
from deliberate.mail import services as mail
from deliberate.web.i18n import lazy_gettext as _l

UNSUBSCRIBE_LINE = _l("To stop these messages, open %(link)s")
STAGE_SUBJECT = _l("Consultation update: %(title)s")
STAGE_BODY = _l("The consultation “%(title)s” has moved to a new stage: %(stage)s.\n\n%(url)s")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


async def _standing_for(session: AsyncSession, actor: Auth, item: Consultation) -> Standing:
    return await queries.standing(session, actor, item)


async def _load(session: AsyncSession, consultation_id: int) -> Consultation:
    item = await session.get(Consultation, consultation_id)
    if item is None:
        raise NotFound()
    return item


async def _check_area(session: AsyncSession, data: ConsultationInput) -> Committee:
    """The committee must exist and the area be the committee's own or below it."""
    committee = await session.get(Committee, data.committee_id)
    if committee is None:
        raise FormInvalid({"committee": _l("Choose the committee that runs the consultation.")})
    parents = await area_parents(session)
    if data.area_id not in parents or not eligibility.within(
        data.area_id, (committee.area_id,), parents, descendants=True
    ):
        raise FormInvalid({"area": _l("Choose an area the committee serves.")})
    return committee


def _apply(item: Consultation, data: ConsultationInput, now: datetime) -> None:
    item.area_id = data.area_id
    item.title = data.title
    item.summary = data.summary
    item.budget = data.budget
    item.buildings = data.buildings
    item.contact = data.contact
    item.milestones = data.milestones_json()
    item.updated_at = now


async def create(
    database: Database, actor: Auth, data: ConsultationInput, *, now: datetime | None = None
) -> Consultation:
    moment = _now(now)
    async with database.write() as session:
        # Membership first: a non-member learns nothing about committees or areas.
        role = await queries.member_role(session, actor, data.committee_id)
        require(Standing(actor, role, published=False), "consultation.manage")
        committee = await _check_area(session, data)
        item = Consultation(
            committee_id=committee.id,  # type: ignore[arg-type]
            area_id=data.area_id,
            title=data.title,
            summary=data.summary,
            created_by=actor.user.id,
            created_at=moment,
            updated_at=moment,
        )
        _apply(item, data, moment)
        session.add(item)
        await session.flush()
        session.add(StageChange(consultation_id=item.id, stage=Stage.draft, changed_at=moment))  # type: ignore[arg-type]
        await audit.record(
            session,
            actor.user.public_id,
            "consultation.created",
            subject=f"consultation:{item.id}",
            payload={"committee": committee.id, "title": item.title},
            now=moment,
        )
    return item


async def update(
    database: Database,
    actor: Auth,
    consultation_id: int,
    data: ConsultationInput,
    *,
    now: datetime | None = None,
) -> Consultation:
    moment = _now(now)
    async with database.write() as session:
        item = await _load(session, consultation_id)
        require(await _standing_for(session, actor, item), "consultation.manage")
        if data.committee_id != item.committee_id:
            raise FormInvalid({"committee": _l("A consultation cannot move to another committee.")})
        await _check_area(session, data)
        _apply(item, data, moment)
        session.add(item)
        await audit.record(
            session,
            actor.user.public_id,
            "consultation.updated",
            subject=f"consultation:{item.id}",
            now=moment,
        )
    return item


def next_stage(stage: str) -> Stage | None:
    order = list(Stage)
    index = order.index(Stage(stage))
    return order[index + 1] if index + 1 < len(order) else None


async def advance(
    database: Database,
    ctx: Context,
    actor: Auth,
    consultation_id: int,
    expected: str,
    *,
    now: datetime | None = None,
) -> Consultation:
    """Move to the next stage. ``expected`` is the stage the committee saw, so two
    members pressing the button at once move it one step, not two."""
    moment = _now(now)
    async with database.write() as session:
        item = await _load(session, consultation_id)
        require(await _standing_for(session, actor, item), "consultation.manage")
        if item.stage != expected:
            raise Conflict(_l("Someone else changed the stage meanwhile; check the page again."))
        target = next_stage(item.stage)
        if target is None:
            raise Invalid(_l("The consultation is already closed."))
        item.stage = target.value
        item.updated_at = moment
        if item.published_at is None:
            item.published_at = moment
        session.add(item)
        session.add(StageChange(consultation_id=item.id, stage=target.value, changed_at=moment))  # type: ignore[arg-type]
        await audit.record(
            session,
            actor.user.public_id,
            "consultation.stage",
            subject=f"consultation:{item.id}",
            payload={"stage": target.value},
            now=moment,
        )
        if target is not Stage.open:
            await notify_followers(
                session,
                ctx,
                item,
                STAGE_SUBJECT,
                STAGE_BODY,
                title=item.title,
                stage=lambda: stage_label(target.value),
                url=f"{ctx.site_url}/consultations/{item.id}",
            )
    return item


async def notify_followers(
    session: AsyncSession,
    ctx: Context,
    item: Consultation,
    subject: Any,
    body: Any,
    **variables: Any,
) -> int:
    """Queue a message to every follower in their own language, each with their own
    one-click unsubscribe link. Values may be callables, evaluated per language."""
    rows = await session.exec(
        select(Follower, User)
        .join(User, col(User.id) == Follower.user_id)
        .where(Follower.consultation_id == item.id, col(User.deleted_at).is_(None))
        .order_by(col(Follower.id))
    )
    count = 0
    for follower, user in rows.all():
        await mail.enqueue_localised(
            session,
            user,
            subject=subject,
            body=body,
            footer=UNSUBSCRIBE_LINE,
            link=f"{ctx.site_url}/consultations/unsubscribe/{follower.token}",
            variables=variables,
            development=ctx.development,
        )
        count += 1
    return count


async def follow(database: Database, actor: Auth, consultation_id: int) -> None:
    try:
        async with database.write() as session:
            item = await _load(session, consultation_id)
            require(await _standing_for(session, actor, item), "consultation.follow")
            session.add(
                Follower(
                    consultation_id=item.id,  # type: ignore[arg-type]
                    user_id=actor.user.id,  # type: ignore[arg-type]
                    token=secrets.token_urlsafe(24),
                    created_at=datetime.now(UTC),
                )
            )
            await session.flush()
            await audit.record(
                session,
                actor.user.public_id,
                "consultation.followed",
                subject=f"consultation:{item.id}",
            )
    except IntegrityError:
        return  # already following: the same outcome


async def unfollow(database: Database, actor: Auth, consultation_id: int) -> None:
    async with database.write() as session:
        removed = await session.exec(
            delete(Follower).where(
                col(Follower.consultation_id) == consultation_id,
                col(Follower.user_id) == actor.user.id,
            )
        )
        if removed.rowcount:
            await audit.record(
                session,
                actor.user.public_id,
                "consultation.unfollowed",
                subject=f"consultation:{consultation_id}",
            )


async def unsubscribe(database: Database, token: str) -> Consultation | None:
    """The one-click link: the token alone says who and what. Returns the consultation
    (None when the link was already used or never existed)."""
    async with database.write() as session:
        follower = (await session.exec(select(Follower).where(Follower.token == token))).first()
        if follower is None:
            return None
        item = await session.get(Consultation, follower.consultation_id)
        await session.delete(follower)
        # "No more messages about this consultation" covers the decision's notices too.
        await decision_services.stop_notices(session, follower.consultation_id, follower.user_id)
        await audit.record(
            session,
            None,  # the link stands for the person; the log names no one
            "consultation.unsubscribed",
            subject=f"consultation:{follower.consultation_id}",
        )
    return item
