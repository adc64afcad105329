"""Reads for forum pages and the API. Anything that carries an opinion's content is only
read after the caller has checked ``forum.read_opinions`` (or is the author)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.models import Consultation
from deliberate.db import as_utc
from deliberate.errors import NotFound
from deliberate.forums.models import (
    ExpertForum,
    FollowUp,
    ForumInvitation,
    ForumQuestion,
    OpinionAttachment,
    OpinionDraft,
    OpinionVersion,
)
from deliberate.forums.permissions import Own, Standing
from deliberate.identity.models import ExpertCredential


def is_sealed(forum: ExpertForum, now: datetime) -> bool:
    return now < as_utc(forum.deadline)


@dataclass(frozen=True)
class Loaded:
    forum: ExpertForum
    consultation: Consultation
    standing: Standing
    own: ForumInvitation | None


async def credential(
    session: AsyncSession, committee_id: int, user_id: int | None
) -> ExpertCredential | None:
    if user_id is None:
        return None
    return (
        await session.exec(
            select(ExpertCredential).where(
                ExpertCredential.committee_id == committee_id, ExpertCredential.user_id == user_id
            )
        )
    ).first()


async def own_invitation(
    session: AsyncSession, forum_id: int, auth: Auth | None
) -> ForumInvitation | None:
    if auth is None or not auth.signed_in:
        return None
    return (
        await session.exec(
            select(ForumInvitation).where(
                ForumInvitation.forum_id == forum_id, ForumInvitation.user_id == auth.user.id
            )
        )
    ).first()


async def load(
    session: AsyncSession, auth: Auth | None, forum_id: int, now: datetime, *, lock: bool = False
) -> Loaded:
    statement = select(ExpertForum).where(ExpertForum.id == forum_id)
    if lock:
        statement = statement.with_for_update()
    forum = (await session.exec(statement)).first()
    if forum is None:
        raise NotFound()
    consultation = await session.get(Consultation, forum.consultation_id)
    assert consultation is not None
    role = await consultation_queries.member_role(session, auth, consultation.committee_id)
    mine = await own_invitation(session, forum_id, auth)
    own = None
    if mine is not None:
        held = await credential(session, consultation.committee_id, mine.user_id)
        own = Own(
            status=mine.status, credentialed=held is not None, declared=mine.conflicts is not None
        )
    standing = Standing(
        auth=auth,
        member_role=role,
        published=consultation.published,
        sealed=is_sealed(forum, now),
        publication=forum.publication,
        own=own,
    )
    return Loaded(forum, consultation, standing, mine)


async def questions_of(session: AsyncSession, forum_id: int) -> list[ForumQuestion]:
    return list(
        (
            await session.exec(
                select(ForumQuestion)
                .where(ForumQuestion.forum_id == forum_id)
                .order_by(col(ForumQuestion.number))
            )
        ).all()
    )


@dataclass
class Invited:
    """One invitation as the committee sees it (never the opinion's content)."""

    invitation: ForumInvitation
    user: User | None
    credential: ExpertCredential | None
    versions: int  # how many times submitted
    last_submitted_at: datetime | None


async def invitations_of(
    session: AsyncSession, forum: ExpertForum, committee_id: int
) -> list[Invited]:
    submitted = (
        select(
            OpinionVersion.invitation_id,
            func.count().label("versions"),
            func.max(OpinionVersion.submitted_at).label("last"),
        )
        .group_by(col(OpinionVersion.invitation_id))
        .subquery()
    )
    rows = await session.exec(
        select(ForumInvitation, User, ExpertCredential, submitted.c.versions, submitted.c.last)
        .outerjoin(User, col(User.id) == ForumInvitation.user_id)
        .outerjoin(
            ExpertCredential,
            (col(ExpertCredential.user_id) == ForumInvitation.user_id)
            & (col(ExpertCredential.committee_id) == committee_id),
        )
        .outerjoin(submitted, submitted.c.invitation_id == ForumInvitation.id)
        .where(ForumInvitation.forum_id == forum.id)
        .order_by(col(ForumInvitation.letter))
    )
    return [
        Invited(invitation, user, held, versions or 0, as_utc(last) if last else None)
        for invitation, user, held, versions, last in rows.all()
    ]


async def draft_of(session: AsyncSession, invitation_id: int) -> OpinionDraft | None:
    return (
        await session.exec(select(OpinionDraft).where(OpinionDraft.invitation_id == invitation_id))
    ).first()


async def versions_of(session: AsyncSession, invitation_id: int) -> list[OpinionVersion]:
    return list(
        (
            await session.exec(
                select(OpinionVersion)
                .where(OpinionVersion.invitation_id == invitation_id)
                .order_by(col(OpinionVersion.number))
            )
        ).all()
    )


async def attachments_of(session: AsyncSession, invitation_id: int) -> list[OpinionAttachment]:
    """The attachments on the draft (not removed)."""
    return list(
        (
            await session.exec(
                select(OpinionAttachment)
                .where(
                    OpinionAttachment.invitation_id == invitation_id,
                    col(OpinionAttachment.removed_at).is_(None),
                )
                .order_by(col(OpinionAttachment.id))
            )
        ).all()
    )


@dataclass
class Opinion:
    """A released opinion: the latest submitted version and what surrounds it."""

    invitation: ForumInvitation
    user: User | None
    credential: ExpertCredential | None
    version: OpinionVersion
    content: dict[str, Any]
    versions: list[OpinionVersion] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    attachments: dict[str, OpinionAttachment] = field(default_factory=dict)  # by sha256


async def opinions_of(
    session: AsyncSession, forum: ExpertForum, committee_id: int, *, only: int | None = None
) -> list[Opinion]:
    """Every submitted opinion of the forum (or of invitation ``only``), in letter order,
    in a fixed number of queries. Callers check ``forum.read_opinions`` first."""
    conditions = [ForumInvitation.forum_id == forum.id]
    if only is not None:
        conditions.append(ForumInvitation.id == only)
    rows = (
        await session.exec(
            select(OpinionVersion, ForumInvitation, User, ExpertCredential)
            .join(ForumInvitation, col(ForumInvitation.id) == OpinionVersion.invitation_id)
            .outerjoin(User, col(User.id) == ForumInvitation.user_id)
            .outerjoin(
                ExpertCredential,
                (col(ExpertCredential.user_id) == ForumInvitation.user_id)
                & (col(ExpertCredential.committee_id) == committee_id),
            )
            .where(*conditions)
            .order_by(col(ForumInvitation.letter), col(OpinionVersion.number))
        )
    ).all()
    opinions: dict[int, Opinion] = {}
    for version, invitation, user, held in rows:
        opinion = opinions.get(invitation.id)
        if opinion is None:
            opinion = opinions[invitation.id] = Opinion(invitation, user, held, version, {})  # type: ignore[index]
        opinion.versions.append(version)
        opinion.version = version
    ids = list(opinions)
    for opinion in opinions.values():
        opinion.content = json.loads(opinion.version.content)
    if not ids:
        return []
    for follow_up in (
        await session.exec(
            select(FollowUp).where(col(FollowUp.invitation_id).in_(ids)).order_by(col(FollowUp.id))
        )
    ).all():
        opinions[follow_up.invitation_id].follow_ups.append(follow_up)
    for attachment in (
        await session.exec(
            select(OpinionAttachment).where(col(OpinionAttachment.invitation_id).in_(ids))
        )
    ).all():
        opinions[attachment.invitation_id].attachments[attachment.sha256] = attachment
    return list(opinions.values())


async def forums_of(session: AsyncSession, consultation_id: int) -> list[ExpertForum]:
    return list(
        (
            await session.exec(
                select(ExpertForum)
                .where(ExpertForum.consultation_id == consultation_id)
                .order_by(col(ExpertForum.id))
            )
        ).all()
    )


async def invitations_held(
    session: AsyncSession, user_id: int
) -> list[tuple[ExpertForum, ForumInvitation]]:
    """The forums a person has accepted or not yet answered an invitation to, newest
    first (their account page lists them)."""
    rows = await session.exec(
        select(ExpertForum, ForumInvitation)
        .join(ForumInvitation, col(ForumInvitation.forum_id) == ExpertForum.id)
        .where(ForumInvitation.user_id == user_id, ForumInvitation.status != "declined")
        .order_by(col(ExpertForum.deadline).desc())
    )
    return list(rows.all())  # type: ignore[arg-type]
