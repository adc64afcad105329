"""Open data for decisions: the decisions on published consultations, and for each its
text, the committee's vote by member, the minutes version it cites, and its
implementation items with their status, overdue flag and dated progress updates.

Public: anyone, signed in or not, gets the same answer; a decision on a consultation that
is not published is 404. ``overdue`` is computed for today in the deployment's time zone
(the deadline has passed and the item is neither done nor dropped)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from deliberate.db import Database, as_utc
from deliberate.decisions import queries
from deliberate.decisions.permissions import require
from deliberate.decisions.tracking import is_overdue, vote_counts
from deliberate.errors import NotFound

AnyRequest = Request[Any, Any, Any]
PER_PAGE = 20


class DecisionSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    consultation: int  # the consultation's id (/api/v1/consultations/{id})
    consultation_title: str
    adopted_on: date
    minutes: int  # the id of the minutes version it cites (/api/v1/minutes)
    items: int  # implementation items
    done: int  # of which done
    overdue: int  # of which overdue
    url: str  # its public page
    feed: str  # its Atom feed of progress


class DecisionList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[DecisionSummary]
    page: int
    pages: int
    total: int


class MinutesCited(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    version: int
    status: str  # published, or superseded by a later version since
    pdf_sha256: str | None
    url: str


class MemberVote(msgspec.Struct, frozen=True, kw_only=True):
    member: str  # the committee member's name
    role: str  # chair, secretary, member
    vote: str  # for, against, abstain


class Update(msgspec.Struct, frozen=True, kw_only=True):
    on: date  # when it happened
    status: str  # the item's status from then on
    previous_status: str
    note: str
    recorded_at: datetime


class Item(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    title: str
    responsible_unit: str
    deadline: date
    status: str  # planned, in_progress, done, delayed, dropped
    overdue: bool  # the deadline has passed and it is neither done nor dropped
    updates: list[Update]  # oldest first


class DecisionDetail(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    consultation: int
    consultation_title: str
    committee: str
    text: str  # Markdown
    adopted_on: date
    recorded_at: datetime
    minutes: MinutesCited
    votes: list[MemberVote]
    tally: dict[str, int]  # {"for": n, "against": n, "abstain": n}
    items: list[Item]  # by deadline
    url: str
    feed: str


def _site(request: AnyRequest) -> str:
    return request.app.state.settings.public_url.rstrip("/")


def _today(request: AnyRequest) -> date:
    return datetime.now(request.app.state.settings.tz).date()


class DecisionApiController(Controller):
    path = "/api/v1/decisions"
    tags = ("decisions",)

    @get("", summary="Decisions on published consultations, latest adopted first")
    async def index(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        page: Annotated[
            int, QueryParameter(ge=1, le=100_000, description="Page number, 20 per page")
        ] = 1,
    ) -> DecisionList:
        """Every decision on a published consultation, by the date adopted, latest first,
        20 per page, with how many of its implementation items are done and overdue."""
        async with database.read() as session:
            rows, total = await queries.public_listing(session, page, PER_PAGE)
            items = await queries.items_of(session, [d.id for d, _c in rows])  # type: ignore[misc]
        site, today = _site(request), _today(request)
        return DecisionList(
            items=[
                DecisionSummary(
                    id=d.id,  # type: ignore[arg-type]
                    consultation=c.id,  # type: ignore[arg-type]
                    consultation_title=c.title,
                    adopted_on=d.adopted_on,
                    minutes=d.minutes_id,
                    items=len(items[d.id]),  # type: ignore[index]
                    done=sum(i.status == "done" for i in items[d.id]),  # type: ignore[index]
                    overdue=sum(is_overdue(i, today) for i in items[d.id]),  # type: ignore[index]
                    url=f"{site}/decisions/{d.id}",
                    feed=f"{site}/decisions/{d.id}/feed.atom",
                )
                for d, c in rows
            ],
            page=page,
            pages=max(1, math.ceil(total / PER_PAGE)),
            total=total,
        )

    @get("/{decision_id:int}", summary="A decision with its votes and implementation items")
    async def detail(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        decision_id: FromPath[int],
    ) -> DecisionDetail:
        """The decision's text (Markdown), the committee's vote by member, the minutes
        version it cites, and its implementation items with their status, overdue flag
        and progress updates. 404 when the consultation is not published."""
        async with database.read() as session:
            found = await queries.view(session, decision_id)
            if found is None:
                raise NotFound()
            require(await queries.standing(session, None, found.consultation), "decision.read")
        site, today = _site(request), _today(request)
        d, m = found.decision, found.minutes
        return DecisionDetail(
            id=d.id,  # type: ignore[arg-type]
            consultation=d.consultation_id,
            consultation_title=found.consultation.title,
            committee=found.committee.name,
            text=d.text,
            adopted_on=d.adopted_on,
            recorded_at=as_utc(d.recorded_at),
            minutes=MinutesCited(
                id=m.id,  # type: ignore[arg-type]
                version=m.version,
                status=m.state,
                pdf_sha256=m.pdf_sha256,
                url=f"{site}/minutes/{m.id}",
            ),
            votes=[
                MemberVote(member=_member(user), role=vote.role, vote=vote.vote)
                for vote, user in found.votes
            ],
            tally=vote_counts(vote.vote for vote, _user in found.votes),
            items=[
                Item(
                    id=view.item.id,  # type: ignore[arg-type]
                    title=view.item.title,
                    responsible_unit=view.item.responsible_unit,
                    deadline=view.item.deadline,
                    status=view.item.status,
                    overdue=is_overdue(view.item, today),
                    updates=[
                        Update(
                            on=u.happened_on,
                            status=u.status,
                            previous_status=u.previous_status,
                            note=u.note,
                            recorded_at=as_utc(u.recorded_at),
                        )
                        for u in view.updates
                    ],
                )
                for view in found.items
            ],
            url=f"{site}/decisions/{d.id}",
            feed=f"{site}/decisions/{d.id}/feed.atom",
        )


def _member(user: Any) -> str:
    """Committee members act in office under their name; a deleted account has none."""
    return "" if user.deleted_at is not None else user.display_name
