"""Reads for hearing pages. Every page costs a fixed number of queries, however many
comments there are (a test counts them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.consultations.models import Consultation
from deliberate.consultations.queries import member_role
from deliberate.hearings.models import (
    Comment,
    DocumentVersion,
    Endorsement,
    Flag,
    Hearing,
    ModerationAction,
    Response,
    Section,
    SpeakerCall,
)
from deliberate.hearings.permissions import Standing
from deliberate.identity import eligibility
from deliberate.identity.models import Area, Committee, CommitteeMember
from deliberate.identity.queries import area_parents, eligibility_person
from deliberate.phase import Phase, phase

PER_PAGE = 20
SORTS = ("newest", "endorsed")


@dataclass(frozen=True)
class HearingView:
    hearing: Hearing
    consultation: Consultation
    committee: Committee
    area: Area

    def phase(self, now: datetime) -> Phase:
        return phase(self.hearing.opens_at, self.hearing.closes_at, now)

    @property
    def rule(self) -> eligibility.EligibilityRule:
        return eligibility.EligibilityRule.from_canonical(self.hearing.rule)


async def hearing_view(session: AsyncSession, hearing_id: int) -> HearingView | None:
    row = (
        await session.exec(
            select(Hearing, Consultation, Committee, Area)
            .join(Consultation, col(Consultation.id) == Hearing.consultation_id)
            .join(Committee, col(Committee.id) == Consultation.committee_id)
            .join(Area, col(Area.id) == Consultation.area_id)
            .where(Hearing.id == hearing_id)
        )
    ).first()
    return HearingView(*row) if row else None


async def eligibility_of(
    session: AsyncSession, auth: Auth | None, view: HearingView, now: datetime
) -> eligibility.Decision | None:
    if auth is None or not auth.signed_in:
        return None
    person = await eligibility_person(session, auth.user)
    parents = await area_parents(session) if view.rule.area_ids else {}
    return eligibility.check(person, view.rule, now.astimezone(UTC).date(), parents)


async def standing(
    session: AsyncSession,
    auth: Auth | None,
    view: HearingView,
    now: datetime,
    *,
    call: SpeakerCall | None = None,
) -> tuple[Standing, eligibility.Decision | None]:
    role = await member_role(session, auth, view.committee.id)  # type: ignore[arg-type]
    decision = await eligibility_of(session, auth, view, now)
    call_phase = None
    if call is not None:
        call_phase = (
            Phase.open
            if call.committed_at is None
            and phase(call.created_at, call.applications_close_at, now) is Phase.open
            else Phase.closed
        )
    return (
        Standing(
            auth=auth,
            member_role=role,
            published=view.consultation.published,
            eligible=decision is not None and decision.allowed,
            phase=view.phase(now),
            call=call_phase,
        ),
        decision,
    )


async def versions(session: AsyncSession, hearing_id: int) -> list[DocumentVersion]:
    rows = await session.exec(
        select(DocumentVersion)
        .where(DocumentVersion.hearing_id == hearing_id)
        .order_by(col(DocumentVersion.number))
    )
    return list(rows.all())


async def sections_of(session: AsyncSession, version_id: int) -> list[Section]:
    rows = await session.exec(
        select(Section).where(Section.version_id == version_id).order_by(col(Section.number))
    )
    return list(rows.all())


async def current_version(session: AsyncSession, hearing_id: int) -> DocumentVersion | None:
    return (
        await session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.hearing_id == hearing_id)
            .order_by(col(DocumentVersion.number).desc())
            .limit(1)
        )
    ).first()


async def stance_counts(session: AsyncSession, hearing_id: int) -> dict[int, dict[str, int]]:
    """Per section id: visible top-level comments by stance."""
    rows = await session.exec(
        select(Comment.section_id, Comment.stance, func.count())
        .where(
            Comment.hearing_id == hearing_id,
            col(Comment.parent_id).is_(None),
            col(Comment.deleted_at).is_(None),
            col(Comment.hidden_at).is_(None),
        )
        .group_by(col(Comment.section_id), col(Comment.stance))
    )
    counts: dict[int, dict[str, int]] = {}
    for section_id, stance, count in rows.all():
        counts.setdefault(section_id, {})[stance] = count  # type: ignore[index]
    return counts


@dataclass(frozen=True)
class Filters:
    section: int | None = None  # a section id
    stance: str | None = None
    sort: str = "newest"
    page: int = 1


@dataclass
class CommentRow:
    comment: Comment
    author: User
    response: Response | None
    children: list[CommentRow]
    endorsed: bool = False
    depth: int = 0


def _ordering(sort: str) -> Sequence[object]:
    if sort == "endorsed":
        return (col(Comment.endorsements).desc(), col(Comment.id).desc())
    return (col(Comment.created_at).desc(), col(Comment.id).desc())


async def comment_page(
    session: AsyncSession, hearing_id: int, filters: Filters, auth: Auth | None
) -> tuple[list[CommentRow], int]:
    """One page of top-level comments with their whole threads: four queries."""
    # Top-level comments have no root (the listing index is (hearing, root, created)).
    conditions = [Comment.hearing_id == hearing_id, col(Comment.root_id).is_(None)]
    if filters.section is not None:
        conditions.append(Comment.section_id == filters.section)
    if filters.stance is not None:
        conditions.append(Comment.stance == filters.stance)
    total = (await session.exec(select(func.count()).select_from(Comment).where(*conditions))).one()
    # The page's ids first (from the index alone), then the rows for those ids only.
    page_ids = (
        select(Comment.id)
        .where(*conditions)
        .order_by(*_ordering(filters.sort))
        .offset((filters.page - 1) * PER_PAGE)
        .limit(PER_PAGE)
        .scalar_subquery()
    )
    roots = (
        await session.exec(
            select(Comment, User, Response)
            .join(User, col(User.id) == Comment.author_id)
            .join(Response, col(Response.comment_id) == Comment.id, isouter=True)
            .where(col(Comment.id).in_(page_ids))
            .order_by(*_ordering(filters.sort))
        )
    ).all()
    root_ids = [c.id for c, _u, _r in roots]
    replies = (
        await session.exec(
            select(Comment, User, Response)
            .join(User, col(User.id) == Comment.author_id)
            .join(Response, col(Response.comment_id) == Comment.id, isouter=True)
            .where(Comment.hearing_id == hearing_id, col(Comment.root_id).in_(root_ids or [0]))
            .order_by(col(Comment.created_at), col(Comment.id))
        )
    ).all()
    mine: set[int] = set()
    if auth is not None and root_ids:
        all_ids = root_ids + [c.id for c, _u, _r in replies]
        mine = set(
            (
                await session.exec(
                    select(Endorsement.comment_id).where(
                        Endorsement.user_id == auth.user.id,
                        col(Endorsement.comment_id).in_(all_ids),
                    )
                )
            ).all()
        )
    return build_threads(roots, replies, mine), total


MAX_DEPTH = 4


def build_threads(roots: Sequence, replies: Sequence, endorsed: set[int]) -> list[CommentRow]:
    """Nest replies under their parents (deeper than MAX_DEPTH shown at MAX_DEPTH)."""
    rows: dict[int, CommentRow] = {}
    top = []
    for comment, user, response in roots:
        rows[comment.id] = CommentRow(comment, user, response, [], comment.id in endorsed)
        top.append(rows[comment.id])
    for comment, user, response in replies:
        parent = rows.get(comment.parent_id)
        if parent is None:
            continue
        row = CommentRow(
            comment, user, response, [], comment.id in endorsed, min(parent.depth + 1, MAX_DEPTH)
        )
        rows[comment.id] = row
        (parent if parent.depth < MAX_DEPTH else _ancestor_at(parent, rows)).children.append(row)
    return top


def _ancestor_at(row: CommentRow, rows: dict[int, CommentRow]) -> CommentRow:
    while row.depth >= MAX_DEPTH and row.comment.parent_id in rows:
        row = rows[row.comment.parent_id]  # type: ignore[index]
    return row


async def answered(session: AsyncSession, view: HearingView) -> tuple[int, int]:
    """(answered, to answer): visible comments by people outside the committee, and how
    many of them have the committee's response."""
    members = select(CommitteeMember.user_id).where(
        CommitteeMember.committee_id == view.committee.id
    )
    row = (
        await session.exec(
            select(func.count(col(Comment.id)), func.count(col(Response.id)))
            .select_from(Comment)
            .join(Response, col(Response.comment_id) == Comment.id, isouter=True)
            .where(
                Comment.hearing_id == view.hearing.id,
                col(Comment.deleted_at).is_(None),
                col(Comment.hidden_at).is_(None),
                col(Comment.author_id).not_in(members),
            )
        )
    ).one()
    return int(row[1]), int(row[0])


async def unanswered(
    session: AsyncSession, view: HearingView, page: int
) -> tuple[list[tuple[Comment, User, Section]], int]:
    """The committee's queue: visible comments without a response, oldest first."""
    members = select(CommitteeMember.user_id).where(
        CommitteeMember.committee_id == view.committee.id
    )
    conditions = [
        Comment.hearing_id == view.hearing.id,
        col(Comment.deleted_at).is_(None),
        col(Comment.hidden_at).is_(None),
        col(Comment.author_id).not_in(members),
        col(Response.id).is_(None),
    ]
    base = select(Comment).join(Response, col(Response.comment_id) == Comment.id, isouter=True)
    total = (
        await session.exec(select(func.count()).select_from(base.where(*conditions).subquery()))
    ).one()
    rows = await session.exec(
        select(Comment, User, Section)
        .join(User, col(User.id) == Comment.author_id)
        .join(Section, col(Section.id) == Comment.section_id)
        .join(Response, col(Response.comment_id) == Comment.id, isouter=True)
        .where(*conditions)
        .order_by(col(Comment.created_at), col(Comment.id))
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return list(rows.all()), total  # type: ignore[arg-type]


async def moderation_log(
    session: AsyncSession, hearing_id: int
) -> list[tuple[ModerationAction, Comment]]:
    rows = await session.exec(
        select(ModerationAction, Comment)
        .join(Comment, col(Comment.id) == ModerationAction.comment_id)
        .where(ModerationAction.hearing_id == hearing_id)
        .order_by(col(ModerationAction.acted_at).desc(), col(ModerationAction.id).desc())
    )
    return list(rows.all())  # type: ignore[arg-type]


async def open_flags(session: AsyncSession, hearing_id: int) -> list[tuple[Comment, int, str]]:
    """Comments flagged and not yet handled: the comment, how many flags, a reason."""
    rows = await session.exec(
        select(Comment, func.count(col(Flag.id)), func.max(Flag.reason))
        .join(Flag, and_(col(Flag.comment_id) == Comment.id, col(Flag.handled_at).is_(None)))
        .where(Comment.hearing_id == hearing_id)
        .group_by(col(Comment.id))
        .order_by(func.count(col(Flag.id)).desc(), col(Comment.id))
    )
    return list(rows.all())  # type: ignore[arg-type]


@dataclass(frozen=True)
class SectionRef:
    section: Section
    version_number: int


async def section_index(session: AsyncSession, hearing_id: int) -> dict[int, SectionRef]:
    """Every section of every version of the hearing, by id: comments stay on the
    version and section they were made on."""
    rows = await session.exec(
        select(Section, DocumentVersion.number)
        .join(DocumentVersion, col(DocumentVersion.id) == Section.version_id)
        .where(DocumentVersion.hearing_id == hearing_id)
    )
    return {s.id: SectionRef(s, n) for s, n in rows.all()}  # type: ignore[misc]


async def area_names(session: AsyncSession, area_ids: Sequence[int], locale: str) -> dict[int, str]:
    if not area_ids:
        return {}
    rows = await session.exec(select(Area).where(col(Area.id).in_(area_ids)))
    return {a.id: a.display_name(locale) for a in rows.all()}  # type: ignore[misc]


async def thread(session: AsyncSession, comment: Comment, auth: Auth | None) -> list[CommentRow]:
    """One comment's whole thread (from its root), as on the hearing page."""
    root_id = comment.root_id or comment.id
    roots = (
        await session.exec(
            select(Comment, User, Response)
            .join(User, col(User.id) == Comment.author_id)
            .join(Response, col(Response.comment_id) == Comment.id, isouter=True)
            .where(Comment.id == root_id)
        )
    ).all()
    replies = (
        await session.exec(
            select(Comment, User, Response)
            .join(User, col(User.id) == Comment.author_id)
            .join(Response, col(Response.comment_id) == Comment.id, isouter=True)
            .where(Comment.hearing_id == comment.hearing_id, Comment.root_id == root_id)
            .order_by(col(Comment.created_at), col(Comment.id))
        )
    ).all()
    mine: set[int] = set()
    if auth is not None:
        ids = [root_id] + [c.id for c, _u, _r in replies]
        mine = set(
            (
                await session.exec(
                    select(Endorsement.comment_id).where(
                        Endorsement.user_id == auth.user.id, col(Endorsement.comment_id).in_(ids)
                    )
                )
            ).all()
        )
    return build_threads(roots, replies, mine)
