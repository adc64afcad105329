"""What expert forums keep about a person: the invitations they hold (and those sent to
their address that nobody has taken yet), their declarations, drafts, submitted
versions with their SHA-256, attachments (name, size, hash) and follow-up questions
with their answers. Never the invitation token's hash or an attachment's stored name.

Deletion removes drafts (never submitted, no value for the record) and the address each
invitation was sent to (the invitation keeps its letter and status; a held one still
points at the account). Submitted versions, declarations, attachments and follow-ups
stay: they are the forum's record."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.forums.models import (
    ExpertForum,
    FollowUp,
    ForumInvitation,
    OpinionAttachment,
    OpinionDraft,
    OpinionVersion,
)


def _theirs(user: User) -> Any:
    """Held by the account, or sent to its login and not taken by anyone."""
    held = col(ForumInvitation.user_id) == user.id
    if not user.login:  # a deleted account; "" is also what deletion leaves in address
        return held
    unheld = col(ForumInvitation.user_id).is_(None) & (col(ForumInvitation.address) == user.login)
    return or_(held, unheld)


async def _by_invitation(session: AsyncSession, model: Any, ids: list[int]) -> dict[int, list]:
    found: dict[int, list] = {i: [] for i in ids}
    rows = await session.exec(
        select(model).where(col(model.invitation_id).in_(ids)).order_by(col(model.id))
    )
    for row in rows.all():
        found[row.invitation_id].append(row)
    return found


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    rows = (
        await session.exec(
            select(ForumInvitation, ExpertForum)
            .join(ExpertForum, col(ExpertForum.id) == ForumInvitation.forum_id)
            .where(_theirs(user))
            .order_by(col(ForumInvitation.id))
        )
    ).all()
    ids: list[int] = [i.id for i, _f in rows]  # type: ignore[misc]
    drafts = await _by_invitation(session, OpinionDraft, ids)
    versions = await _by_invitation(session, OpinionVersion, ids)
    files = await _by_invitation(session, OpinionAttachment, ids)
    follow_ups = await _by_invitation(session, FollowUp, ids)
    return {
        "invitations": [
            {
                "forum": forum.id,
                "forum_title": forum.title,
                "letter": i.letter,
                "address": i.address,
                "held": i.user_id is not None,
                "status": i.status,
                "invited_at": i.invited_at,
                "responded_at": i.responded_at,
                "decline_reason": i.decline_reason,
                "conflicts": i.conflicts,
                "declared_at": i.declared_at,
                "draft": next(
                    (
                        {"content": json.loads(d.content), "saved_at": d.saved_at}
                        for d in drafts[i.id]  # type: ignore[index]
                    ),
                    None,
                ),
                # The canonical JSON exactly as stored: its SHA-256 is the receipt.
                "versions": [
                    {
                        "number": v.number,
                        "content": v.content,
                        "sha256": v.sha256,
                        "submitted_at": v.submitted_at,
                    }
                    for v in versions[i.id]  # type: ignore[index]
                ],
                "attachments": [
                    {
                        "filename": a.filename,
                        "size": a.size,
                        "sha256": a.sha256,
                        "uploaded_at": a.uploaded_at,
                        "removed_at": a.removed_at,
                    }
                    for a in files[i.id]  # type: ignore[index]
                ],
                "follow_ups": [
                    {
                        "question": f.question,
                        "asked_at": f.asked_at,
                        "answer": f.answer,
                        "answered_at": f.answered_at,
                    }
                    for f in follow_ups[i.id]  # type: ignore[index]
                ],
            }
            for i, forum in rows
        ]
    }


async def forget(session: AsyncSession, user: User) -> None:
    held = select(ForumInvitation.id).where(ForumInvitation.user_id == user.id)
    await session.exec(delete(OpinionDraft).where(col(OpinionDraft.invitation_id).in_(held)))
    await session.exec(update(ForumInvitation).where(_theirs(user)).values(address=""))
