"""What hearings keep about a person: their comments (with the committee's answers),
endorsements, reports and speaker applications (with their outcome and what the
secretary recorded them saying).

All of it stays after deletion: comments are the record (shown as from a deleted
account), endorsements are counted on them, reports belong to the moderation record and
applications to the published lottery."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.hearings.models import (
    Comment,
    DocumentVersion,
    Endorsement,
    Flag,
    Hearing,
    Response,
    Section,
    SpeakerApplication,
    SpeakerCall,
    Statement,
)


def state(comment: Comment) -> str:
    if comment.deleted_at is not None:
        return "deleted"
    return "hidden" if comment.hidden_at is not None else "visible"


def outcome(application: SpeakerApplication, call: SpeakerCall) -> str:
    """withdrawn, waiting (for the draw), selected (a seat) or reserve (the waiting list)."""
    if application.withdrawn_at is not None:
        return "withdrawn"
    if call.drawn_at is None:
        return "waiting"
    return "selected" if application.seat else "reserve"


def reserve_place(application: SpeakerApplication, call: SpeakerCall) -> int | None:
    reserve = json.loads(call.reserve) if call.drawn_at and call.reserve else []
    return reserve.index(application.ticket) + 1 if application.ticket in reserve else None


def _response(response: Response | None) -> dict[str, Any] | None:
    if response is None:
        return None
    return {
        "verdict": response.verdict,
        "explanation": response.explanation,
        "responded_at": response.responded_at,
        "updated_at": response.updated_at,
    }


async def _comments(session: AsyncSession, uid: int) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(Comment, Hearing, Section, DocumentVersion, Response)
        .join(Hearing, col(Hearing.id) == Comment.hearing_id)
        .join(Section, col(Section.id) == Comment.section_id)
        .join(DocumentVersion, col(DocumentVersion.id) == Section.version_id)
        .outerjoin(Response, col(Response.comment_id) == Comment.id)
        .where(Comment.author_id == uid)
        .order_by(col(Comment.id))
    )
    return [
        {
            "id": c.id,
            "hearing": h.id,
            "hearing_title": h.title,
            "version": v.number,
            "section": s.number,
            "section_heading": s.heading,
            "reply_to": c.parent_id,
            "stance": c.stance,
            "body": c.body,
            "state": state(c),
            "hidden_reason": c.hidden_reason,
            "created_at": c.created_at,
            "edited_at": c.edited_at,
            "deleted_at": c.deleted_at,
            "hidden_at": c.hidden_at,
            "endorsements": c.endorsements,
            "response": _response(r),
        }
        for c, h, s, v, r in rows.all()
    ]


async def _applications(session: AsyncSession, uid: int) -> list[dict[str, Any]]:
    rows = (
        await session.exec(
            select(SpeakerApplication, SpeakerCall, Hearing)
            .join(SpeakerCall, col(SpeakerCall.id) == SpeakerApplication.call_id)
            .join(Hearing, col(Hearing.id) == SpeakerCall.hearing_id)
            .where(SpeakerApplication.user_id == uid)
            .order_by(col(SpeakerApplication.id))
        )
    ).all()
    said: dict[int, list[dict[str, Any]]] = {}
    statements = await session.exec(
        select(Statement)
        .where(col(Statement.application_id).in_([a.id for a, _c, _h in rows]))
        .order_by(col(Statement.id))
    )
    for statement in statements.all():
        said.setdefault(statement.application_id, []).append(  # type: ignore[arg-type]
            {"spoken_at": statement.spoken_at, "summary": statement.summary}
        )
    return [
        {
            "hearing": h.id,
            "hearing_title": h.title,
            "stance": a.stance,
            "summary": a.summary,
            "applied_at": a.created_at,
            "withdrawn_at": a.withdrawn_at,
            "ticket": a.ticket,
            "seat": a.seat,
            "outcome": outcome(a, call),
            "reserve_place": reserve_place(a, call),
            "statements": said.get(a.id, []),  # type: ignore[arg-type]
        }
        for a, call, h in rows
    ]


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    uid: int = user.id  # type: ignore[assignment]
    endorsements = await session.exec(
        select(Endorsement, Comment.hearing_id)
        .join(Comment, col(Comment.id) == Endorsement.comment_id)
        .where(Endorsement.user_id == uid)
        .order_by(col(Endorsement.id))
    )
    flags = await session.exec(
        select(Flag, Comment.hearing_id)
        .join(Comment, col(Comment.id) == Flag.comment_id)
        .where(Flag.user_id == uid)
        .order_by(col(Flag.id))
    )
    return {
        "comments": await _comments(session, uid),
        "endorsements": [
            {"comment": e.comment_id, "hearing": hearing, "at": e.created_at}
            for e, hearing in endorsements.all()
        ],
        "reports": [
            {
                "comment": f.comment_id,
                "hearing": hearing,
                "reason": f.reason,
                "at": f.created_at,
                "handled_at": f.handled_at,
            }
            for f, hearing in flags.all()
        ],
        "speaker_applications": await _applications(session, uid),
    }
