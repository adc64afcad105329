"""Open data for expert forums (``/api/v1/forums``): the forums of published
consultations with their questions, and — only after the deadline, and never for
confidential forums — every opinion with its versions, its declaration and its
follow-ups. Each version's ``content`` is the canonical JSON the expert's receipt hashes:
``sha256(content) == sha256`` (tested)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy import func
from sqlmodel import col, select

from deliberate.consultations.models import Consultation
from deliberate.db import Database, as_utc
from deliberate.forums import queries
from deliberate.forums.labels import expert_label
from deliberate.forums.models import ExpertForum, Publication
from deliberate.forums.permissions import allowed, require
from deliberate.web.i18n import using_locale

AnyRequest = Request[Any, Any, Any]
PER_PAGE = 20


class ForumSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    consultation: int
    title: str
    deadline: datetime
    publication: str  # named, anonymised, confidential
    released: bool  # the deadline has passed: opinions are final (and public unless confidential)
    url: str


class ForumList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ForumSummary]
    page: int
    pages: int
    total: int


class QuestionOut(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    text: str
    background: str  # Markdown


class VersionOut(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    submitted_at: datetime
    sha256: str  # the expert's receipt: SHA-256 of ``content`` (UTF-8)
    content: str  # canonical JSON: answers, declaration, attachments by hash


class FollowUpOut(msgspec.Struct, frozen=True, kw_only=True):
    question: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None


class AttachmentOut(msgspec.Struct, frozen=True, kw_only=True):
    filename: str
    sha256: str
    size: int
    url: str


class OpinionOut(msgspec.Struct, frozen=True, kw_only=True):
    expert: str  # the name and title (named) or "Expert B, field" (anonymised)
    letter: str
    conflicts_of_interest: str  # "" when the expert declared none
    versions: list[VersionOut]  # oldest first; the last one is the opinion
    follow_ups: list[FollowUpOut]
    attachments: list[AttachmentOut]


class ForumOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    consultation: int
    title: str
    description: str  # Markdown
    deadline: datetime
    publication: str
    released: bool
    questions: list[QuestionOut]
    invited: int
    submitted: int
    opinions: list[OpinionOut]  # empty until released, and always for confidential forums


def _summary(forum: ExpertForum, now: datetime) -> ForumSummary:
    return ForumSummary(
        id=forum.id,  # type: ignore[arg-type]
        consultation=forum.consultation_id,
        title=forum.title,
        deadline=as_utc(forum.deadline),
        publication=forum.publication,
        released=not queries.is_sealed(forum, now),
        url=f"/forums/{forum.id}",
    )


def _opinion(item: queries.Opinion, publication: str, forum_id: int) -> OpinionOut:
    with using_locale("en"):
        label = str(
            expert_label(
                publication, item.invitation.letter, item.user, item.credential, committee=False
            )
        )
    cited = {a["sha256"] for a in item.content.get("attachments", [])}
    return OpinionOut(
        expert=label,
        letter=item.invitation.letter,
        conflicts_of_interest=item.content.get("conflicts_of_interest", ""),
        versions=[
            VersionOut(
                number=v.number,
                submitted_at=as_utc(v.submitted_at),
                sha256=v.sha256,
                content=v.content,
            )
            for v in item.versions
        ],
        follow_ups=[
            FollowUpOut(
                question=f.question,
                asked_at=as_utc(f.asked_at),
                answer=f.answer,
                answered_at=as_utc(f.answered_at) if f.answered_at else None,
            )
            for f in item.follow_ups
        ],
        attachments=[
            AttachmentOut(
                filename=a.filename,
                sha256=a.sha256,
                size=a.size,
                url=f"/forums/{forum_id}/attachments/{a.id}",
            )
            for digest, a in sorted(item.attachments.items())
            if digest in cited
        ],
    )


class ForumApiController(Controller):
    path = "/api/v1/forums"
    tags = ["forums"]  # noqa: RUF012

    @get("", summary="Expert forums of published consultations, newest first")
    async def index(
        self,
        database: NamedDependency[Database],
        page: Annotated[
            int, QueryParameter(ge=1, le=100_000, description="Page number, 20 per page")
        ] = 1,
    ) -> ForumList:
        """Every expert forum of a published consultation, 20 per page. ``released`` says
        whether the deadline has passed (opinions are then final and, unless the forum
        is confidential, public at ``/api/v1/forums/{id}``)."""
        published = col(Consultation.published_at).is_not(None)
        now = datetime.now(UTC)
        async with database.read() as session:
            joined = select(ExpertForum).join(
                Consultation, col(Consultation.id) == ExpertForum.consultation_id
            )
            total = (
                await session.exec(
                    select(func.count()).select_from(joined.where(published).subquery())
                )
            ).one()
            forums = (
                await session.exec(
                    joined.where(published)
                    .order_by(col(ExpertForum.id).desc())
                    .offset((page - 1) * PER_PAGE)
                    .limit(PER_PAGE)
                )
            ).all()
        return ForumList(
            items=[_summary(forum, now) for forum in forums],
            page=page,
            pages=max(1, -(-total // PER_PAGE)),
            total=total,
        )

    @get("/{forum_id:int}", summary="An expert forum and its released opinions")
    async def show(self, database: NamedDependency[Database], forum_id: FromPath[int]) -> ForumOut:
        """The forum's questions; after the deadline every submitted opinion with all its
        versions (each with its SHA-256 and the exact content it hashes), the expert's
        declaration of interests and the follow-up questions. Before the deadline, and
        for confidential forums, ``opinions`` is empty. 404 for a forum of an unpublished
        consultation."""
        now = datetime.now(UTC)
        async with database.read() as session:
            loaded = await queries.load(session, None, forum_id, now)
            require(loaded.standing, "forum.read")
            forum = loaded.forum
            committee_id = loaded.consultation.committee_id
            invited = await queries.invitations_of(session, forum, committee_id)
            questions = await queries.questions_of(session, forum_id)
            released = (
                await queries.opinions_of(session, forum, committee_id)
                if allowed(loaded.standing, "forum.read_opinions")
                else []
            )
        return ForumOut(
            id=forum_id,
            consultation=forum.consultation_id,
            title=forum.title,
            description=forum.description,
            deadline=as_utc(forum.deadline),
            publication=forum.publication,
            released=not loaded.standing.sealed,
            questions=[
                QuestionOut(number=q.number, text=q.text, background=q.background)
                for q in questions
            ],
            invited=len(invited),
            submitted=sum(1 for i in invited if i.versions),
            opinions=[
                _opinion(item, forum.publication, forum_id)
                for item in released
                if forum.publication != Publication.confidential
            ],
        )
