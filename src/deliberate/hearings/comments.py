"""The write path for comments: post, reply, edit (15 minutes), delete (a tombstone
stays), endorse, flag; moderators hide and restore with a public reason; the committee
answers. Each checks its named permission against the hearing's window and frozen rule,
writes in one transaction and records an audit event."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete as sql_delete
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import FormInvalid
from deliberate.audit import services as audit
from deliberate.db import Database, as_utc
from deliberate.errors import Conflict, Forbidden, NotFound
from deliberate.hearings import forms, queries
from deliberate.hearings.models import (
    Comment,
    Endorsement,
    Flag,
    ModerationAction,
    Response,
    Section,
)
from deliberate.hearings.permissions import Standing, require
from deliberate.phase import Phase
from deliberate.throttle import services as throttle
from deliberate.throttle.policy import Rule
from deliberate.web.i18n import lazy_gettext as _l

EDIT_WINDOW = timedelta(minutes=15)
# Posting: 20 comments in 10 minutes, then a pause that doubles (a person, not an IP).
POSTING = Rule(
    "comment",
    limit=20,
    window=timedelta(minutes=10),
    first_delay=timedelta(minutes=1),
    max_delay=timedelta(hours=1),
)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class NewComment:
    section_id: int | None
    stance: str | None
    body: str
    parent_id: int | None


async def _hearing_standing(
    session: AsyncSession, actor: Auth, hearing_id: int, now: datetime
) -> tuple[queries.HearingView, Standing]:
    view = await queries.hearing_view(session, hearing_id)
    if view is None:
        raise NotFound()
    standing, _decision = await queries.standing(session, actor, view, now)
    return view, standing


async def _comment_standing(
    session: AsyncSession, actor: Auth, comment_id: int, now: datetime
) -> tuple[Comment, queries.HearingView, Standing]:
    # Locked for the rest of the transaction (PostgreSQL; SQLite's write transaction
    # already holds the database lock): two moderators or two answers at once serialise.
    comment = (
        await session.exec(select(Comment).where(Comment.id == comment_id).with_for_update())
    ).first()
    if comment is None:
        raise NotFound()
    view, standing = await _hearing_standing(session, actor, comment.hearing_id, now)
    return comment, view, standing


async def post(
    database: Database,
    actor: Auth,
    hearing_id: int,
    data: NewComment,
    *,
    now: datetime | None = None,
) -> Comment:
    moment = _now(now)
    data = NewComment(data.section_id, data.stance, forms.comment_text(data.body), data.parent_id)
    key = f"comment:{actor.user.public_id}"
    async with database.write() as session:
        _view, standing = await _hearing_standing(session, actor, hearing_id, moment)
        require(standing, "hearing.comment")
        await throttle.check(session, [(POSTING, key)], moment)
        parent = await _parent(session, hearing_id, data.parent_id)
        if parent is not None:
            section_id, stance, root_id = parent.section_id, None, parent.root_id or parent.id
        else:
            section_id, stance, root_id = (
                await _section(session, hearing_id, data),
                data.stance,
                None,
            )
        comment = Comment(
            hearing_id=hearing_id,
            section_id=section_id,
            parent_id=parent.id if parent else None,
            root_id=root_id,
            author_id=actor.user.id,  # type: ignore[arg-type]
            stance=stance,
            body=data.body,
            created_at=moment,
        )
        session.add(comment)
        await session.flush()
        if root_id is not None:
            await session.exec(
                update(Comment)
                .where(col(Comment.id) == root_id)
                .values(replies=Comment.replies + 1)  # type: ignore[operator]
            )
        await throttle.fail(session, POSTING, key, moment)
        await audit.record(
            session,
            actor.user.public_id,
            "comment.posted",
            subject=f"comment:{comment.id}",
            payload={"hearing": hearing_id, "sha256": _digest(comment.body)},
            now=moment,
        )
    return comment


async def _parent(session: AsyncSession, hearing_id: int, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = await session.get(Comment, parent_id)
    if parent is None or parent.hearing_id != hearing_id:
        raise NotFound()
    if not parent.visible:
        raise Forbidden(_l("This comment can no longer be replied to."))
    return parent


async def _section(session: AsyncSession, hearing_id: int, data: NewComment) -> int:
    """Comments are made on a section of the current version."""
    current = await queries.current_version(session, hearing_id)
    section = await session.get(Section, data.section_id) if data.section_id else None
    if section is None or current is None or section.version_id != current.id:
        raise FormInvalid({"section": _l("Choose the section you are commenting on.")})
    if data.stance is None:
        raise FormInvalid({"stance": _l("Choose your stance.")})
    return section.id  # type: ignore[return-value]


def _own(comment: Comment, actor: Auth) -> None:
    """Someone else's comment is "not found" to an editor: no hint either way."""
    if comment.author_id != actor.user.id:
        raise NotFound()


async def edit(
    database: Database, actor: Auth, comment_id: int, body: str, *, now: datetime | None = None
) -> Comment:
    moment = _now(now)
    async with database.write() as session:
        comment, _view, standing = await _comment_standing(session, actor, comment_id, moment)
        _own(comment, actor)
        require(standing, "hearing.comment")
        if not comment.visible:
            raise Forbidden(_l("This comment can no longer be changed."))
        if moment - as_utc(comment.created_at) > EDIT_WINDOW:
            raise Forbidden(_l("A comment can be edited for 15 minutes after posting."))
        body = forms.comment_text(body)
        comment.body, comment.edited_at = body, moment
        session.add(comment)
        await audit.record(
            session,
            actor.user.public_id,
            "comment.edited",
            subject=f"comment:{comment.id}",
            payload={"sha256": _digest(body)},
            now=moment,
        )
    return comment


async def delete(
    database: Database, actor: Auth, comment_id: int, *, now: datetime | None = None
) -> Comment:
    """The text goes; a tombstone keeps the thread readable."""
    moment = _now(now)
    async with database.write() as session:
        comment, _view, standing = await _comment_standing(session, actor, comment_id, moment)
        _own(comment, actor)
        if comment.deleted_at is not None:
            return comment
        if standing.phase is not Phase.open:
            raise Forbidden(_l("The comment window has closed: comments stay on the record."))
        comment.body, comment.deleted_at = "", moment
        session.add(comment)
        await audit.record(
            session,
            actor.user.public_id,
            "comment.deleted",
            subject=f"comment:{comment.id}",
            now=moment,
        )
    return comment


async def endorse(
    database: Database,
    actor: Auth,
    comment_id: int,
    *,
    withdraw: bool = False,
    now: datetime | None = None,
) -> Comment:
    """One endorsement per person and comment (a database constraint); withdrawing
    takes it back. The counter moves in the same transaction."""
    moment = _now(now)
    try:
        async with database.write() as session:
            comment, _view, standing = await _comment_standing(session, actor, comment_id, moment)
            require(standing, "hearing.endorse")
            if not comment.visible:
                raise Forbidden(_l("This comment can no longer be endorsed."))
            if comment.author_id == actor.user.id:
                raise Forbidden(_l("You cannot endorse your own comment."))
            existing = (
                await session.exec(
                    select(Endorsement).where(
                        Endorsement.comment_id == comment_id, Endorsement.user_id == actor.user.id
                    )
                )
            ).first()
            if withdraw == (existing is None):
                return comment  # already as asked
            if withdraw:
                # A DELETE statement, not session.delete: when two withdrawals race, the
                # second deletes nothing and must not move the counter again.
                removed = await session.exec(
                    sql_delete(Endorsement).where(
                        col(Endorsement.comment_id) == comment_id,
                        col(Endorsement.user_id) == actor.user.id,
                    )
                )
                step = -removed.rowcount
            else:
                session.add(
                    Endorsement(comment_id=comment_id, user_id=actor.user.id, created_at=moment)  # type: ignore[arg-type]
                )
                step = 1
            await session.flush()
            if step:
                await session.exec(
                    update(Comment)
                    .where(col(Comment.id) == comment_id)
                    .values(endorsements=Comment.endorsements + step)  # type: ignore[operator]
                )
                await audit.record(
                    session,
                    actor.user.public_id,
                    "comment.endorsement_withdrawn" if withdraw else "comment.endorsed",
                    subject=f"comment:{comment_id}",
                    now=moment,
                )
            await session.refresh(comment)
    except IntegrityError:
        raise Conflict(_l("You have already endorsed this comment.")) from None
    return comment


async def flag(
    database: Database, actor: Auth, comment_id: int, reason: str, *, now: datetime | None = None
) -> None:
    moment = _now(now)
    try:
        async with database.write() as session:
            comment, _view, standing = await _comment_standing(session, actor, comment_id, moment)
            require(standing, "hearing.flag")
            if not comment.visible:
                return
            session.add(
                Flag(comment_id=comment_id, user_id=actor.user.id, reason=reason, created_at=moment)  # type: ignore[arg-type]
            )
            await session.flush()
            await audit.record(
                session,
                actor.user.public_id,
                "comment.flagged",
                subject=f"comment:{comment_id}",
                now=moment,
            )
    except IntegrityError:
        return  # flagged before: the moderators already know


async def _moderate(
    database: Database, actor: Auth, comment_id: int, action: str, reason: str, now: datetime
) -> Comment:
    async with database.write() as session:
        comment, view, standing = await _comment_standing(session, actor, comment_id, now)
        require(standing, "hearing.moderate")
        if comment.deleted_at is not None:
            raise Forbidden(_l("The author deleted this comment."))
        if (action == "hide") == (comment.hidden_at is not None):
            raise Conflict(
                _l("This comment is already hidden.")
                if action == "hide"
                else _l("This comment is not hidden.")
            )
        comment.hidden_at = now if action == "hide" else None
        comment.hidden_reason = reason if action == "hide" else None
        session.add(comment)
        session.add(
            ModerationAction(
                hearing_id=view.hearing.id,  # type: ignore[arg-type]
                comment_id=comment_id,
                action=action,
                reason=reason,
                actor_id=actor.user.id,
                acted_at=now,
            )
        )
        await session.exec(
            update(Flag)
            .where(col(Flag.comment_id) == comment_id, col(Flag.handled_at).is_(None))
            .values(handled_at=now)
        )
        await audit.record(
            session,
            actor.user.public_id,
            f"comment.{'hidden' if action == 'hide' else 'restored'}",
            subject=f"comment:{comment_id}",
            payload={"reason": reason},
            now=now,
        )
    return comment


async def hide(
    database: Database, actor: Auth, comment_id: int, reason: str, *, now: datetime | None = None
) -> Comment:
    return await _moderate(database, actor, comment_id, "hide", reason, _now(now))


async def restore(
    database: Database, actor: Auth, comment_id: int, reason: str, *, now: datetime | None = None
) -> Comment:
    return await _moderate(database, actor, comment_id, "restore", reason, _now(now))


async def respond(
    database: Database,
    actor: Auth,
    comment_id: int,
    verdict: str,
    explanation: str,
    *,
    now: datetime | None = None,
) -> Response:
    """The committee's one answer to a visible comment; answering again revises it."""
    moment = _now(now)
    verdict, explanation = forms.verdict(verdict).value, forms.explanation_text(explanation)
    async with database.write() as session:
        comment, _view, standing = await _comment_standing(session, actor, comment_id, moment)
        require(standing, "hearing.respond")
        if not comment.visible:
            raise Forbidden(_l("Only visible comments are answered."))
        response = (
            await session.exec(select(Response).where(Response.comment_id == comment_id))
        ).first()
        if response is None:
            response = Response(
                comment_id=comment_id,
                verdict=verdict,
                explanation=explanation,
                responded_by=actor.user.id,
                responded_at=moment,
            )
        else:
            response.verdict, response.explanation = verdict, explanation
            response.responded_by, response.updated_at = actor.user.id, moment
        session.add(response)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "comment.answered",
            subject=f"comment:{comment_id}",
            payload={"verdict": verdict, "sha256": _digest(explanation)},
            now=moment,
        )
    return response


def new_comment(form: dict[str, str]) -> NewComment:
    """Read the comment form (pure)."""
    body = forms.comment_text(form.get("body"))
    parent = form.get("parent", "").strip()
    if parent:
        return NewComment(None, None, body, _id(parent))
    section = _id(form.get("section", ""))
    return NewComment(section, forms.stance(form.get("stance")).value, body, None)


def _id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else None
