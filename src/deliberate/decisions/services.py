"""The write path for decisions: adopt a decision (citing published minutes, with the
committee's vote by member), add implementation items, record progress updates, and the
one-click stop of decision notices. Each function checks the named permission, writes in
one transaction and records its audit event there.

Adopting a decision and every change of an item's status tell the residents who took part
in the consultation (followers, commenters, speaker applicants, voters), each once, in
their own language, with a link that stops these messages. The consultation's stage is
left as it is: the committee moves it with the stage button (that also tells followers)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import Context, FormInvalid
from deliberate.audit import services as audit
from deliberate.consultations.models import Consultation, Follower
from deliberate.db import Database
from deliberate.decisions import queries
from deliberate.decisions.forms import DecisionInput, ItemInput, UpdateInput
from deliberate.decisions.labels import status_label
from deliberate.decisions.models import (
    Decision,
    DecisionNotice,
    DecisionVote,
    ImplementationItem,
    ItemStatus,
    ProgressUpdate,
)
from deliberate.decisions.permissions import require
from deliberate.decisions.tracking import vote_counts
from deliberate.errors import NotFound
from deliberate.mail import services as mail
from deliberate.minutes.models import Minutes, MinutesState
from deliberate.web.i18n import lazy_gettext as _l

ADOPTED_SUBJECT = _l("Decision on “%(title)s”")
ADOPTED_BODY = _l(
    "The committee has adopted its decision on the consultation “%(title)s”, in which you "
    "took part. The decision, what residents said and what the committee did about it, and "
    "how the work is going are on this page:\n\n%(url)s"
)
STATUS_SUBJECT = _l("Progress on “%(title)s”")
STATUS_BODY = _l(
    "An item of the decision on “%(title)s” has a new status.\n\n%(item)s: %(status)s\n"
    "%(note)s\n\n%(url)s"
)
UNSUBSCRIBE_LINE = _l("To stop messages about this consultation, open %(link)s")
NOT_PUBLISHED = _l("Choose a published version of this consultation's minutes.")
NOT_MEMBER = _l("Only members of the committee vote on its decision, each once.")
DEADLINE_EARLY = _l("The deadline cannot be before the decision was adopted.")
UPDATE_EARLY = _l("The date cannot be before the decision was adopted.")


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


async def _locked(session: AsyncSession, consultation_id: int) -> Consultation:
    # Locked (PostgreSQL; SQLite's write transaction holds the database): notices to the
    # same people from two requests at once never race for their tokens.
    found = (
        await session.exec(
            select(Consultation).where(Consultation.id == consultation_id).with_for_update()
        )
    ).first()
    if found is None:
        raise NotFound()
    return found


async def _decision(session: AsyncSession, decision_id: int) -> tuple[Decision, Consultation]:
    found = await session.get(Decision, decision_id)
    if found is None:
        raise NotFound()
    return found, await _locked(session, found.consultation_id)


async def adopt(
    database: Database,
    ctx: Context,
    actor: Auth,
    consultation_id: int,
    data: DecisionInput,
    *,
    now: datetime | None = None,
) -> Decision:
    moment = _now(now)
    async with database.write() as session:
        consultation = await _locked(session, consultation_id)
        require(await queries.standing(session, actor, consultation), "decision.adopt")
        minutes = await session.get(Minutes, data.minutes_id)
        if (
            minutes is None
            or minutes.consultation_id != consultation_id
            or minutes.state != MinutesState.published
        ):
            raise FormInvalid({"minutes": NOT_PUBLISHED})
        roles = {
            member.user_id: member.role
            for member, _user in await queries.members_of(session, consultation.committee_id)
        }
        voters = [user_id for user_id, _vote in data.votes]
        if len(set(voters)) != len(voters) or any(v not in roles for v in voters):
            raise FormInvalid({"votes": NOT_MEMBER})
        decision = Decision(
            consultation_id=consultation_id,
            minutes_id=minutes.id,  # type: ignore[arg-type]
            text=data.text,
            adopted_on=data.adopted_on,
            recorded_by=actor.user.id,
            recorded_at=moment,
        )
        session.add(decision)
        await session.flush()
        for user_id, vote in data.votes:
            session.add(
                DecisionVote(
                    decision_id=decision.id,  # type: ignore[arg-type]
                    user_id=user_id,
                    role=roles[user_id],
                    vote=vote,
                )
            )
        await audit.record(
            session,
            actor.user.public_id,
            "decision.adopted",
            subject=f"decision:{decision.id}",
            payload={
                "consultation": consultation_id,
                "minutes": minutes.id,
                "minutes_version": minutes.version,
                "minutes_pdf_sha256": minutes.pdf_sha256,
                "adopted_on": data.adopted_on.isoformat(),
                "votes": vote_counts(vote for _user, vote in data.votes),
            },
            now=moment,
        )
        await notify(
            session,
            ctx,
            consultation,
            ADOPTED_SUBJECT,
            ADOPTED_BODY,
            title=consultation.title,
            url=f"{ctx.site_url}/decisions/{decision.id}",
        )
    return decision


async def add_item(
    database: Database,
    actor: Auth,
    decision_id: int,
    data: ItemInput,
    *,
    now: datetime | None = None,
) -> ImplementationItem:
    moment = _now(now)
    async with database.write() as session:
        decision, consultation = await _decision(session, decision_id)
        require(await queries.standing(session, actor, consultation), "decision.track")
        if data.deadline < decision.adopted_on:
            raise FormInvalid({"deadline": DEADLINE_EARLY})
        item = ImplementationItem(
            decision_id=decision_id,
            title=data.title,
            responsible_unit=data.responsible_unit,
            deadline=data.deadline,
            status=ItemStatus.planned.value,
            created_by=actor.user.id,
            created_at=moment,
            updated_at=moment,
        )
        session.add(item)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "item.created",
            subject=f"item:{item.id}",
            payload={
                "decision": decision_id,
                "title": item.title,
                "responsible_unit": item.responsible_unit,
                "deadline": item.deadline.isoformat(),
            },
            now=moment,
        )
    return item


async def add_update(
    database: Database,
    ctx: Context,
    actor: Auth,
    decision_id: int,
    item_id: int,
    data: UpdateInput,
    *,
    now: datetime | None = None,
) -> ProgressUpdate:
    """A dated note with the item's status from then on. A new status is audited
    (``item.status_changed``) and told to the participants; the same status is a note
    only (``item.progress``)."""
    moment = _now(now)
    async with database.write() as session:
        item = (
            await session.exec(
                select(ImplementationItem).where(ImplementationItem.id == item_id).with_for_update()
            )
        ).first()
        if item is None or item.decision_id != decision_id:
            raise NotFound()
        decision, consultation = await _decision(session, item.decision_id)
        require(await queries.standing(session, actor, consultation), "decision.track")
        if data.happened_on < decision.adopted_on:
            raise FormInvalid({"happened_on": UPDATE_EARLY})
        previous = item.status
        update = ProgressUpdate(
            item_id=item_id,
            happened_on=data.happened_on,
            note=data.note,
            previous_status=previous,
            status=data.status,
            recorded_by=actor.user.id,
            recorded_at=moment,
        )
        session.add(update)
        item.status, item.updated_at = data.status, moment
        session.add(item)
        await session.flush()
        changed = previous != data.status
        await audit.record(
            session,
            actor.user.public_id,
            "item.status_changed" if changed else "item.progress",
            subject=f"item:{item_id}",
            payload={
                "decision": decision.id,
                "update": update.id,
                "from": previous,
                "to": data.status,
                "on": data.happened_on.isoformat(),
            },
            now=moment,
        )
        if changed:
            await notify(
                session,
                ctx,
                consultation,
                STATUS_SUBJECT,
                STATUS_BODY,
                title=consultation.title,
                item=item.title,
                status=lambda: status_label(data.status),
                note=data.note,
                url=f"{ctx.site_url}/decisions/{decision.id}#item-{item_id}",
            )
    return update


async def notify(
    session: AsyncSession,
    ctx: Context,
    consultation: Consultation,
    subject: Any,
    body: Any,
    **variables: Any,
) -> int:
    """Queue one message to each participant who has not stopped them, in their own
    language, with their own link to stop them. Values may be callables, evaluated per
    language. Returns how many were queued."""
    people = await queries.recipients(session, consultation.id)  # type: ignore[arg-type]
    if not people:
        return 0
    notices = {
        notice.user_id: notice
        for notice in (
            await session.exec(
                select(DecisionNotice).where(DecisionNotice.consultation_id == consultation.id)
            )
        ).all()
    }
    for user in people:
        notice = notices.get(user.id)  # type: ignore[arg-type]
        if notice is None:
            notice = DecisionNotice(
                consultation_id=consultation.id,  # type: ignore[arg-type]
                user_id=user.id,  # type: ignore[arg-type]
                token=secrets.token_urlsafe(24),
                created_at=datetime.now(UTC),
            )
            session.add(notice)
        await mail.enqueue_localised(
            session,
            user,
            subject=subject,
            body=body,
            footer=UNSUBSCRIBE_LINE,
            link=f"{ctx.site_url}/decisions/unsubscribe/{notice.token}",
            variables=variables,
            development=ctx.development,
        )
    return len(people)


async def stop_notices(session: AsyncSession, consultation_id: int, user_id: int) -> None:
    """Record that ``user_id`` wants no more messages about this consultation's decision
    (the consultation's own unsubscribe link says so too), in the caller's transaction."""
    notice = (
        await session.exec(
            select(DecisionNotice).where(
                DecisionNotice.consultation_id == consultation_id,
                DecisionNotice.user_id == user_id,
            )
        )
    ).first()
    moment = datetime.now(UTC)
    if notice is None:
        notice = DecisionNotice(
            consultation_id=consultation_id,
            user_id=user_id,
            token=secrets.token_urlsafe(24),
            created_at=moment,
        )
    if notice.unsubscribed_at is None:
        notice.unsubscribed_at = moment
        session.add(notice)


async def unsubscribe(database: Database, token: str) -> Consultation | None:
    """The one-click link: no more decision notices about this consultation, and no
    longer following it. None when the link never existed."""
    async with database.write() as session:
        found = await queries.notice_by_token(session, token)
        if found is None:
            return None
        notice, consultation = found
        if notice.unsubscribed_at is None:
            notice.unsubscribed_at = datetime.now(UTC)
            session.add(notice)
            await session.exec(
                delete(Follower).where(
                    col(Follower.consultation_id) == notice.consultation_id,
                    col(Follower.user_id) == notice.user_id,
                )
            )
            await audit.record(
                session,
                None,  # the link stands for the person; the log names no one
                "decision.unsubscribed",
                subject=f"consultation:{notice.consultation_id}",
            )
    return consultation
