"""Reads for decision pages, the feed, the API and the notices, each in a fixed number of
queries (however many votes, items or updates there are)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.accounts.tokens import Keys
from deliberate.consultations.models import Consultation, Follower
from deliberate.consultations.permissions import Standing
from deliberate.consultations.queries import standing as consultation_standing
from deliberate.decisions.models import (
    Decision,
    DecisionNotice,
    DecisionVote,
    ImplementationItem,
    ProgressUpdate,
)
from deliberate.decisions.said import Said
from deliberate.hearings.authors import author_label
from deliberate.hearings.models import (
    Comment,
    Hearing,
    Response,
    Section,
    SpeakerApplication,
    SpeakerCall,
)
from deliberate.identity.models import Committee, CommitteeMember
from deliberate.minutes.models import Minutes, MinutesState
from deliberate.polls.models import Poll, VoterRoll


@dataclass(frozen=True)
class ItemView:
    item: ImplementationItem
    updates: list[ProgressUpdate]  # oldest first


@dataclass(frozen=True)
class DecisionView:
    decision: Decision
    consultation: Consultation
    committee: Committee
    minutes: Minutes
    votes: list[tuple[DecisionVote, User]] = field(default_factory=list)
    items: list[ItemView] = field(default_factory=list)


async def standing(session: AsyncSession, auth: Auth | None, item: Consultation) -> Standing:
    return await consultation_standing(session, auth, item)


async def view(session: AsyncSession, decision_id: int) -> DecisionView | None:
    """The decision with its consultation, committee and minutes, its votes, its items
    and their updates: four queries."""
    row = (
        await session.exec(
            select(Decision, Consultation, Committee, Minutes)
            .join(Consultation, col(Consultation.id) == Decision.consultation_id)
            .join(Committee, col(Committee.id) == Consultation.committee_id)
            .join(Minutes, col(Minutes.id) == Decision.minutes_id)
            .where(Decision.id == decision_id)
        )
    ).first()
    if row is None:
        return None
    votes = await session.exec(
        select(DecisionVote, User)
        .join(User, col(User.id) == DecisionVote.user_id)
        .where(DecisionVote.decision_id == decision_id)
        .order_by(col(DecisionVote.id))
    )
    items = list(
        (
            await session.exec(
                select(ImplementationItem)
                .where(ImplementationItem.decision_id == decision_id)
                .order_by(col(ImplementationItem.deadline), col(ImplementationItem.id))
            )
        ).all()
    )
    updates = await session.exec(
        select(ProgressUpdate)
        .join(ImplementationItem, col(ImplementationItem.id) == ProgressUpdate.item_id)
        .where(ImplementationItem.decision_id == decision_id)
        .order_by(col(ProgressUpdate.happened_on), col(ProgressUpdate.id))
    )
    by_item: dict[int, list[ProgressUpdate]] = {item.id: [] for item in items}  # type: ignore[misc]
    for update in updates.all():
        by_item[update.item_id].append(update)
    return DecisionView(
        row[0],
        row[1],
        row[2],
        row[3],
        list(votes.all()),  # type: ignore[arg-type]
        [ItemView(item, by_item[item.id]) for item in items],  # type: ignore[index]
    )


async def decisions_of(session: AsyncSession, consultation_id: int) -> list[Decision]:
    """The consultation's decisions, the latest adopted first."""
    rows = await session.exec(
        select(Decision)
        .where(Decision.consultation_id == consultation_id)
        .order_by(col(Decision.adopted_on).desc(), col(Decision.id).desc())
    )
    return list(rows.all())


async def published_minutes(session: AsyncSession, consultation_id: int) -> list[Minutes]:
    """The versions a decision may cite: published (not superseded), newest first."""
    rows = await session.exec(
        select(Minutes)
        .where(
            Minutes.consultation_id == consultation_id,
            Minutes.state == MinutesState.published.value,
        )
        .order_by(col(Minutes.version).desc())
    )
    return list(rows.all())


async def members_of(
    session: AsyncSession, committee_id: int
) -> list[tuple[CommitteeMember, User]]:
    """The committee's members (chair first, then secretaries, then members)."""
    order = {"chair": 0, "secretary": 1, "member": 2}
    rows = await session.exec(
        select(CommitteeMember, User)
        .join(User, col(User.id) == CommitteeMember.user_id)
        .where(CommitteeMember.committee_id == committee_id)
        .order_by(col(CommitteeMember.id))
    )
    return sorted(rows.all(), key=lambda row: order.get(row[0].role, 3))  # type: ignore[return-value]


async def said(session: AsyncSession, keys: Keys, consultation_id: int) -> list[Said]:
    """Every visible comment on the consultation's hearings that the committee answered,
    with its author as the hearing pages show them (one query; labels in the current
    language)."""
    rows = await session.exec(
        select(Hearing, Section, Comment, Response, User)
        .join(Comment, col(Comment.hearing_id) == Hearing.id)
        .join(Section, col(Section.id) == Comment.section_id)
        .join(Response, col(Response.comment_id) == Comment.id)
        .join(User, col(User.id) == Comment.author_id)
        .where(
            Hearing.consultation_id == consultation_id,
            col(Comment.deleted_at).is_(None),
            col(Comment.hidden_at).is_(None),
        )
        .order_by(col(Comment.id))
    )
    return [
        Said(
            hearing_id=hearing.id,  # type: ignore[arg-type]
            hearing_title=hearing.title,
            section_number=section.number,
            section_heading=section.heading,
            comment_id=comment.id,  # type: ignore[arg-type]
            author=author_label(keys, consultation_id, user),
            stance=comment.stance,
            body=comment.body,
            verdict=response.verdict,
            explanation=response.explanation,
        )
        for hearing, section, comment, response, user in rows.all()
    ]


async def participant_ids(session: AsyncSession, consultation_id: int) -> set[int]:
    """Who took part: followers, commenters, speaker applicants and voters (the voter
    roll says who voted, never how). Four queries."""
    sources = (
        select(Follower.user_id).where(Follower.consultation_id == consultation_id),
        select(Comment.author_id)
        .join(Hearing, col(Hearing.id) == Comment.hearing_id)
        .where(Hearing.consultation_id == consultation_id),
        select(SpeakerApplication.user_id)
        .join(SpeakerCall, col(SpeakerCall.id) == SpeakerApplication.call_id)
        .join(Hearing, col(Hearing.id) == SpeakerCall.hearing_id)
        .where(Hearing.consultation_id == consultation_id),
        select(VoterRoll.user_id)
        .join(Poll, col(Poll.id) == VoterRoll.poll_id)
        .where(Poll.consultation_id == consultation_id),
    )
    found: set[int] = set()
    for statement in sources:
        found.update((await session.exec(statement.distinct())).all())  # type: ignore[call-overload]
    return found


async def recipients(session: AsyncSession, consultation_id: int) -> list[User]:
    """Participants to tell about the decision, each once, by id: without deleted
    accounts and without those who stopped these messages."""
    wanted = await participant_ids(session, consultation_id)
    stopped = set(
        (
            await session.exec(
                select(DecisionNotice.user_id).where(
                    DecisionNotice.consultation_id == consultation_id,
                    col(DecisionNotice.unsubscribed_at).is_not(None),
                )
            )
        ).all()
    )
    wanted -= stopped
    if not wanted:
        return []
    rows = await session.exec(
        select(User)
        .where(col(User.id).in_(wanted), col(User.deleted_at).is_(None))
        .order_by(col(User.id))
    )
    return list(rows.all())


async def notice_by_token(
    session: AsyncSession, token: str
) -> tuple[DecisionNotice, Consultation] | None:
    row = (
        await session.exec(
            select(DecisionNotice, Consultation)
            .join(Consultation, col(Consultation.id) == DecisionNotice.consultation_id)
            .where(DecisionNotice.token == token)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def public_listing(
    session: AsyncSession, page: int, per_page: int
) -> tuple[list[tuple[Decision, Consultation]], int]:
    """Decisions on published consultations, the latest adopted first."""
    published = col(Consultation.published_at).is_not(None)
    total = (
        await session.exec(
            select(func.count())
            .select_from(Decision)
            .join(Consultation, col(Consultation.id) == Decision.consultation_id)
            .where(published)
        )
    ).one()
    rows = await session.exec(
        select(Decision, Consultation)
        .join(Consultation, col(Consultation.id) == Decision.consultation_id)
        .where(published)
        .order_by(col(Decision.adopted_on).desc(), col(Decision.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows.all()), total  # type: ignore[arg-type]


async def items_of(
    session: AsyncSession, decision_ids: list[int]
) -> dict[int, list[ImplementationItem]]:
    """The items of several decisions at once (for the API list)."""
    if not decision_ids:
        return {}
    rows = await session.exec(
        select(ImplementationItem).where(col(ImplementationItem.decision_id).in_(decision_ids))
    )
    found: dict[int, list[ImplementationItem]] = {i: [] for i in decision_ids}
    for item in rows.all():
        found[item.decision_id].append(item)
    return found
