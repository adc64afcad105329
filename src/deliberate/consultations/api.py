"""Open data: published consultations, with their hearings, the drafts' sections and the
visible comments with the committee's responses, pseudonymised as on the pages.

The detail costs a fixed number of queries however many hearings and comments there are.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.accounts.tokens import Keys
from deliberate.consultations import queries
from deliberate.consultations.models import Consultation
from deliberate.db import Database, as_utc
from deliberate.errors import NotFound
from deliberate.hearings.authors import author_label
from deliberate.hearings.models import (
    Comment,
    DocumentVersion,
    Response,
    Section,
    Stance,
)
from deliberate.identity.models import Area, Committee
from deliberate.phase import phase

AnyRequest = Request[Any, Any, Any]


class AreaData(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str


class ConsultationSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A published consultation, as listed."""

    id: int
    title: str
    area: AreaData
    committee: str
    stage: str  # draft, open, deliberation, minutes, decided, implementing, closed
    published_at: datetime
    updated_at: datetime
    url: str  # its public page


class ConsultationList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ConsultationSummary]
    page: int
    pages: int
    total: int


class Milestone(msgspec.Struct, frozen=True, kw_only=True):
    date: date
    text: str


class StageEntry(msgspec.Struct, frozen=True, kw_only=True):
    stage: str
    entered_at: datetime


class StanceCounts(msgspec.Struct, frozen=True, kw_only=True):
    """Visible top-level comments on a section, by stance."""

    support: int = 0
    oppose: int = 0
    suggestion: int = 0
    question: int = 0


class SectionData(msgspec.Struct, frozen=True, kw_only=True):
    number: int  # 0 is the preamble before the first heading
    heading: str
    body: str  # Markdown
    stances: StanceCounts


class ResponseData(msgspec.Struct, frozen=True, kw_only=True):
    verdict: str  # adopted, partly, not_adopted, noted
    explanation: str
    responded_at: datetime


class CommentData(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    version: int  # the draft version the comment was made on
    section: int  # the section number in that version
    parent_id: int | None  # for replies
    stance: str | None  # support, oppose, suggestion, question; None for replies
    body: str  # Markdown
    created_at: datetime
    endorsements: int
    author: str  # a pseudonym, or the name the author agreed to publish
    response: ResponseData | None


class HearingData(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    title: str
    opens_at: datetime
    closes_at: datetime
    rule_sha256: str  # SHA-256 of the frozen eligibility rule
    phase: str  # before, open, closed
    version: int | None  # the current version of the draft
    sections: list[SectionData]  # of the current version
    comments: list[CommentData]  # every visible comment, oldest first
    url: str


class ConsultationDetail(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    title: str
    area: AreaData
    committee: str
    stage: str
    published_at: datetime
    updated_at: datetime
    url: str
    summary: str  # Markdown
    budget: str
    buildings: str
    contact: str
    milestones: list[Milestone]
    timeline: list[StageEntry]
    hearings: list[HearingData]


def _site(request: AnyRequest) -> str:
    return request.app.state.settings.public_url.rstrip("/")


def _summary(site: str, item: Consultation, area: Area, committee: Committee) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "area": AreaData(code=area.code, name=area.name),
        "committee": committee.name,
        "stage": item.stage,
        "published_at": as_utc(item.published_at),  # type: ignore[arg-type]
        "updated_at": as_utc(item.updated_at),
        "url": f"{site}/consultations/{item.id}",
    }


async def _hearings(
    session: AsyncSession, keys: Keys, site: str, consultation_id: int
) -> list[HearingData]:
    """Hearings, their current sections with stance counts, and the visible comments
    with their authors and responses: five queries, whatever the numbers."""
    hearings = await queries.hearings_of(session, consultation_id)
    ids = [h.id for h in hearings] or [0]
    versions = (
        await session.exec(
            select(DocumentVersion.id, DocumentVersion.hearing_id, DocumentVersion.number).where(
                col(DocumentVersion.hearing_id).in_(ids)
            )
        )
    ).all()
    current: dict[int, tuple[int, int]] = {}  # hearing id -> (version id, number)
    numbers: dict[int, int] = {}  # version id -> number
    for version_id, hearing_id, number in versions:
        numbers[version_id] = number  # type: ignore[index]
        if hearing_id not in current or number > current[hearing_id][1]:
            current[hearing_id] = (version_id, number)  # type: ignore[assignment]
    current_ids = [version_id for version_id, _number in current.values()] or [0]
    sections = (
        await session.exec(
            select(Section)
            .where(col(Section.version_id).in_(current_ids))
            .order_by(col(Section.version_id), col(Section.number))
        )
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for section_id, stance, count in (
        await session.exec(
            select(Comment.section_id, Comment.stance, func.count())
            .where(
                col(Comment.hearing_id).in_(ids),
                col(Comment.parent_id).is_(None),
                col(Comment.deleted_at).is_(None),
                col(Comment.hidden_at).is_(None),
            )
            .group_by(col(Comment.section_id), col(Comment.stance))
        )
    ).all():
        counts.setdefault(section_id, {})[stance] = count  # type: ignore[index]
    comments = (
        await session.exec(
            select(Comment, Section.version_id, Section.number, User, Response)
            .join(Section, col(Section.id) == Comment.section_id)
            .join(User, col(User.id) == Comment.author_id)
            .join(Response, col(Response.comment_id) == Comment.id, isouter=True)
            .where(
                col(Comment.hearing_id).in_(ids),
                col(Comment.deleted_at).is_(None),
                col(Comment.hidden_at).is_(None),
            )
            .order_by(col(Comment.created_at), col(Comment.id))
        )
    ).all()

    sections_of: dict[int, list[SectionData]] = {}
    for section in sections:
        stances = {k: v for k, v in counts.get(section.id, {}).items() if k in Stance.__members__}  # type: ignore[arg-type]
        sections_of.setdefault(section.version_id, []).append(
            SectionData(
                number=section.number,
                heading=section.heading,
                body=section.body,
                stances=StanceCounts(**stances),
            )
        )
    comments_of: dict[int, list[CommentData]] = {}
    for comment, version_id, section_number, author, response in comments:
        comments_of.setdefault(comment.hearing_id, []).append(
            CommentData(
                id=comment.id,  # type: ignore[arg-type]
                version=numbers.get(version_id, 0),
                section=section_number,
                parent_id=comment.parent_id,
                stance=comment.stance,
                body=comment.body,
                created_at=as_utc(comment.created_at),
                endorsements=comment.endorsements,
                author=author_label(keys, consultation_id, author),
                response=ResponseData(
                    verdict=response.verdict,
                    explanation=response.explanation,
                    responded_at=as_utc(response.updated_at or response.responded_at),
                )
                if response is not None
                else None,
            )
        )
    now = datetime.now(UTC)
    result = []
    for hearing in hearings:
        version_id, number = current.get(hearing.id, (0, None))  # type: ignore[arg-type]
        result.append(
            HearingData(
                id=hearing.id,  # type: ignore[arg-type]
                title=hearing.title,
                opens_at=as_utc(hearing.opens_at),
                closes_at=as_utc(hearing.closes_at),
                rule_sha256=hearing.rule_sha256,
                phase=phase(hearing.opens_at, hearing.closes_at, now).value,
                version=number,
                sections=sections_of.get(version_id, []),
                comments=comments_of.get(hearing.id, []),  # type: ignore[arg-type]
                url=f"{site}/hearings/{hearing.id}",
            )
        )
    return result


class ConsultationApiController(Controller):
    path = "/api/v1/consultations"
    tags = ("consultations",)

    @get("", summary="Published consultations, most recently updated first")
    async def index(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        page: Annotated[
            int, QueryParameter(ge=1, le=100_000, description="Page number, 20 per page")
        ] = 1,
    ) -> ConsultationList:
        """Published consultations, 20 per page; drafts are never listed."""
        async with database.read() as session:
            rows, total = await queries.listing(
                session, area_ids=None, stage=None, page=page, own_committees=set()
            )
        site = _site(request)
        return ConsultationList(
            items=[
                ConsultationSummary(**_summary(site, item, area, committee))
                for item, area, committee in rows
            ],
            page=page,
            pages=max(1, math.ceil(total / queries.PER_PAGE)),
            total=total,
        )

    @get(
        "/{consultation_id:int}",
        summary="A published consultation with its hearings and their visible comments",
    )
    async def detail(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> ConsultationDetail:
        """One published consultation: its cover facts, milestones and timeline, and each
        hearing with the current draft's sections (with stance counts) and every visible
        comment with the committee's response. Authors appear by a pseudonym that is stable
        within the consultation, unless they agreed to publish their name."""
        site = _site(request)
        async with database.read() as session:
            found = await queries.matter(session, consultation_id)
            if found is None or not found.consultation.published:
                raise NotFound()
            changes = await queries.timeline(session, consultation_id)
            hearings = await _hearings(
                session, request.app.state.account_keys, site, consultation_id
            )
        item = found.consultation
        return ConsultationDetail(
            **_summary(site, item, found.area, found.committee),
            summary=item.summary,
            budget=item.budget,
            buildings=item.buildings,
            contact=item.contact,
            milestones=[
                Milestone(date=date.fromisoformat(day), text=text)
                for day, text in json.loads(item.milestones or "[]")
            ],
            timeline=[
                StageEntry(stage=change.stage, entered_at=as_utc(change.changed_at))
                for change in changes
            ],
            hearings=hearings,
        )
