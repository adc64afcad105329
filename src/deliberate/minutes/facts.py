"""Everything the minutes record, read in a fixed number of queries (one per table,
however many comments, sessions, forums or polls there are). :func:`gather` only reads;
:func:`deliberate.minutes.snapshot.build_snapshot` turns its :class:`Facts` into the
snapshot without any I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.accounts.tokens import Keys
from deliberate.audit.models import AuditHead
from deliberate.consultations.models import Consultation
from deliberate.errors import NotFound
from deliberate.forums.models import (
    ExpertForum,
    FollowUp,
    ForumInvitation,
    ForumQuestion,
    OpinionVersion,
)
from deliberate.hearings.models import (
    Comment,
    DocumentVersion,
    Hearing,
    HearingSession,
    Response,
    Section,
    SpeakerCall,
    Statement,
)
from deliberate.identity.models import Area, Committee, CommitteeMember, ExpertCredential
from deliberate.polls.models import Poll, PollOption, Tally


@dataclass
class Facts:
    """Rows as read, plus how each person involved is shown (``people``: user id →
    ``{"name": …}`` with consent, ``{"pseudonym": …}`` without, ``{"deleted": True}``)."""

    now: datetime
    consultation: Consultation
    committee: Committee
    area: Area
    version: int = 1
    supersedes: int | None = None  # the version number an amendment replaces
    hearings: list[Hearing] = field(default_factory=list)
    documents: list[DocumentVersion] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    comments: list[tuple[Comment, Response | None]] = field(default_factory=list)
    sessions: list[HearingSession] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    calls: list[SpeakerCall] = field(default_factory=list)
    forums: list[ExpertForum] = field(default_factory=list)
    questions: list[ForumQuestion] = field(default_factory=list)
    invitations: list[tuple[ForumInvitation, User | None, ExpertCredential | None]] = field(
        default_factory=list
    )
    opinions: list[OpinionVersion] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    polls: list[Poll] = field(default_factory=list)
    options: list[PollOption] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)
    members: list[tuple[CommitteeMember, User]] = field(default_factory=list)
    people: dict[int, dict[str, Any]] = field(default_factory=dict)
    audit_seq: int = 0
    audit_head: str | None = None


def person(keys: Keys, consultation_id: int, user: User) -> dict[str, Any]:
    """As on the public pages (hearings.authors.author_label), language-neutral."""
    if user.deleted_at is not None:
        return {"deleted": True}
    if user.publish_name:
        return {"name": user.display_name}
    return {"pseudonym": keys.pseudonym(f"consultation:{consultation_id}", user.id)}  # type: ignore[arg-type]


async def _all(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.exec(statement)).all())


async def gather(session: AsyncSession, consultation_id: int, now: datetime, keys: Keys) -> Facts:
    row = (
        await session.exec(
            select(Consultation, Committee, Area)
            .join(Committee, col(Committee.id) == Consultation.committee_id)
            .join(Area, col(Area.id) == Consultation.area_id)
            .where(Consultation.id == consultation_id)
        )
    ).first()
    if row is None:
        raise NotFound()
    facts = Facts(now=now, consultation=row[0], committee=row[1], area=row[2])
    await _hearings(session, facts)
    await _forums(session, facts)
    await _polls(session, facts)
    facts.members = await _all(
        session,
        select(CommitteeMember, User)
        .join(User, col(User.id) == CommitteeMember.user_id)
        .where(CommitteeMember.committee_id == facts.committee.id)
        .order_by(col(CommitteeMember.id)),
    )
    users: list[User] = [u for _c, u in facts.members]
    users += [u for _i, u, _c in facts.invitations if u is not None]
    facts.people = {u.id: person(keys, consultation_id, u) for u in users}  # type: ignore[misc]
    authors = {c.author_id for c, _r in facts.comments} - set(facts.people)
    if authors:
        for user in await _all(session, select(User).where(col(User.id).in_(authors))):
            facts.people[user.id] = person(keys, consultation_id, user)
    head = (await session.exec(select(AuditHead))).first()
    if head is not None:
        facts.audit_seq, facts.audit_head = head.seq, head.hash
    return facts


async def _hearings(session: AsyncSession, facts: Facts) -> None:
    cid = facts.consultation.id
    facts.hearings = await _all(
        session,
        select(Hearing)
        .where(Hearing.consultation_id == cid)
        .order_by(col(Hearing.opens_at), col(Hearing.id)),
    )
    ids = [h.id for h in facts.hearings] or [0]
    facts.documents = await _all(
        session,
        select(DocumentVersion)
        .where(col(DocumentVersion.hearing_id).in_(ids))
        .order_by(col(DocumentVersion.hearing_id), col(DocumentVersion.number)),
    )
    facts.sections = await _all(
        session,
        select(Section)
        .join(DocumentVersion, col(DocumentVersion.id) == Section.version_id)
        .where(col(DocumentVersion.hearing_id).in_(ids))
        .order_by(col(Section.version_id), col(Section.number)),
    )
    facts.comments = await _all(
        session,
        select(Comment, Response)
        .join(Response, col(Response.comment_id) == Comment.id, isouter=True)
        .where(
            col(Comment.hearing_id).in_(ids),
            col(Comment.deleted_at).is_(None),
            col(Comment.hidden_at).is_(None),
        )
        .order_by(col(Comment.created_at), col(Comment.id)),
    )
    facts.sessions = await _all(
        session,
        select(HearingSession)
        .where(col(HearingSession.hearing_id).in_(ids))
        .order_by(col(HearingSession.starts_at), col(HearingSession.id)),
    )
    facts.statements = await _all(
        session,
        select(Statement)
        .join(HearingSession, col(HearingSession.id) == Statement.session_id)
        .where(col(HearingSession.hearing_id).in_(ids))
        .order_by(col(Statement.spoken_at), col(Statement.id)),
    )
    facts.calls = await _all(
        session, select(SpeakerCall).where(col(SpeakerCall.hearing_id).in_(ids))
    )


async def _forums(session: AsyncSession, facts: Facts) -> None:
    facts.forums = await _all(
        session,
        select(ExpertForum)
        .where(ExpertForum.consultation_id == facts.consultation.id)
        .order_by(col(ExpertForum.id)),
    )
    ids = [f.id for f in facts.forums] or [0]
    facts.questions = await _all(
        session,
        select(ForumQuestion)
        .where(col(ForumQuestion.forum_id).in_(ids))
        .order_by(col(ForumQuestion.forum_id), col(ForumQuestion.number)),
    )
    facts.invitations = await _all(
        session,
        select(ForumInvitation, User, ExpertCredential)
        .outerjoin(User, col(User.id) == ForumInvitation.user_id)
        .outerjoin(
            ExpertCredential,
            (col(ExpertCredential.user_id) == ForumInvitation.user_id)
            & (col(ExpertCredential.committee_id) == facts.committee.id),
        )
        .where(col(ForumInvitation.forum_id).in_(ids))
        .order_by(col(ForumInvitation.forum_id), col(ForumInvitation.letter)),
    )
    invitation_ids = [i.id for i, _u, _c in facts.invitations] or [0]
    facts.opinions = await _all(
        session,
        select(OpinionVersion)
        .where(col(OpinionVersion.invitation_id).in_(invitation_ids))
        .order_by(col(OpinionVersion.invitation_id), col(OpinionVersion.number)),
    )
    facts.follow_ups = await _all(
        session,
        select(FollowUp)
        .where(col(FollowUp.invitation_id).in_(invitation_ids))
        .order_by(col(FollowUp.id)),
    )


async def _polls(session: AsyncSession, facts: Facts) -> None:
    facts.polls = await _all(
        session,
        select(Poll)
        .where(Poll.consultation_id == facts.consultation.id)
        .order_by(col(Poll.opens_at), col(Poll.id)),
    )
    ids = [p.id for p in facts.polls] or [0]
    facts.options = await _all(
        session,
        select(PollOption)
        .where(col(PollOption.poll_id).in_(ids))
        .order_by(col(PollOption.poll_id), col(PollOption.position)),
    )
    facts.tallies = await _all(session, select(Tally).where(col(Tally.poll_id).in_(ids)))
