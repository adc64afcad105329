"""Open data for polls: the list of polls of published consultations, and for each closed
poll its bulletin board and its result, as JSON (``/api/v1/polls``, described in the
OpenAPI document) and as downloads (``/polls/{id}/board.csv``, ``/polls/{id}/result.csv``
and, for budget polls, ``/polls/{id}/ballots.pb``; see exports.py).

The board and the result exist once the poll is closed and counted: before that the
answer is 403 with the reason ("Results are shown when the poll closes."), and 404 when
the poll's consultation is not published. The JSON API is public (anyone, signed in or
not, gets the same answer; errors as RFC 9457 problem details). The downloads follow the
result page they are linked from: the committee can also download the results of a
consultation it has not published yet, and errors are pages in the reader's language.

Anyone can count again: ``methods.tally.tally(poll.method, [Option(o.id, o.cost) for o in
poll.options], [b.choice for b in ballots], poll.tie_break_seed, budget=poll.budget for
budget polls)`` on the board gives exactly the published result (tested)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.guards import current_auth
from deliberate.consultations.models import Consultation
from deliberate.db import Database, as_utc
from deliberate.errors import NotFound
from deliberate.phase import Phase, phase
from deliberate.polls import exports, queries
from deliberate.polls.models import Method, Poll, Tally
from deliberate.polls.permissions import require

AnyRequest = Request[Any, Any, Any]
PER_PAGE = 20


class PollSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A poll of a published consultation, as listed."""

    id: int
    consultation: int  # the consultation's id (/api/v1/consultations/{id})
    title: str
    method: str  # single, approval, ranked, score, budget
    status: str  # draft, scheduled, open, closed
    opens: datetime
    closes: datetime
    results: bool  # the board and the result can be fetched (closed and counted)
    url: str  # its public page


class PollList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[PollSummary]
    page: int
    pages: int
    total: int


class BoardOption(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    label: str
    cost: int  # budget polls; 0 otherwise


class BoardPoll(msgspec.Struct, frozen=True, kw_only=True):
    """What a re-count needs besides the ballots (the frozen settings)."""

    id: int
    method: str
    options: list[BoardOption]  # in the committee's order
    budget: int | None  # budget polls
    max_choices: int | None  # approval polls, when limited
    settings_sha256: str | None  # of the frozen settings' canonical JSON
    tie_break_seed: str | None  # the lot's seed, published when the poll opened


class BoardBallot(msgspec.Struct, frozen=True, kw_only=True):
    """One ballot with its receipt. ``choice``: an option id (single); a list of option
    ids (approval, budget; ascending); a list of option ids, best first (ranked); or
    ``{option id as a string: stars 0-5}`` (score)."""

    receipt: str  # SHA-256 of the canonical choice, a newline and the voter's nonce
    choice: int | list[int] | dict[str, int]


class Board(msgspec.Struct, frozen=True, kw_only=True):
    """The bulletin board: every ballot of a closed poll, by receipt."""

    poll: BoardPoll
    ballots: list[BoardBallot]


class PollResult(msgspec.Struct, frozen=True, kw_only=True):
    """The stored result, exactly (canonical JSON: sorted keys, no spaces, UTF-8); its
    SHA-256 is in the audit log's ``poll.closed`` event."""

    method: str
    winners: list[int]  # option ids; the funded projects for budget polls
    ranking: list[int]  # option ids, where the method defines an order
    details: dict[str, Any]  # method-specific: counts, rounds, pairwise matrix, ...


def status(poll: Poll, now: datetime) -> str:
    """draft (settings can change), scheduled (frozen, not open yet), open, closed."""
    if poll.closed_at is not None:
        return "closed"
    if not poll.frozen:
        return "draft"
    return {Phase.before: "scheduled", Phase.open: "open", Phase.closed: "closed"}[
        phase(poll.opens_at, poll.closes_at, now)
    ]


def _site(request: AnyRequest) -> str:
    return request.app.state.settings.public_url.rstrip("/")


async def counted(
    session: AsyncSession, auth: Auth | None, poll_id: int
) -> tuple[queries.PollView, Tally]:
    """A closed poll the reader may see the results of, with its tally: NotFound when
    they may not read it (an unpublished consultation, to the public), Forbidden with
    the reason before it closes."""
    view = await queries.poll_view(session, poll_id)
    if view is None:
        raise NotFound()
    standing, _decision = await queries.standing(session, auth, view, datetime.now(UTC))
    require(standing, "poll.results")
    tally = await queries.tally_of(session, poll_id)
    if tally is None:
        raise NotFound()
    return view, tally


class PollApiController(Controller):
    path = "/api/v1/polls"
    tags = ("polls",)

    @get("", summary="Polls of published consultations, newest first")
    async def index(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        page: Annotated[
            int, QueryParameter(ge=1, le=100_000, description="Page number, 20 per page")
        ] = 1,
    ) -> PollList:
        """Every poll of a published consultation, by opening time, newest first, 20 per
        page. ``status`` is draft (the settings can still change), scheduled (frozen,
        voting not open yet), open, or closed (voting has ended); ``results`` says
        whether the board and the result are published (closed and counted: the server
        counts within a minute of the closing time)."""
        published = col(Consultation.published_at).is_not(None)
        async with database.read() as session:
            total = (
                await session.exec(
                    select(func.count())
                    .select_from(Poll)
                    .join(Consultation, col(Consultation.id) == Poll.consultation_id)
                    .where(published)
                )
            ).one()
            rows = (
                await session.exec(
                    select(Poll)
                    .join(Consultation, col(Consultation.id) == Poll.consultation_id)
                    .where(published)
                    .order_by(col(Poll.opens_at).desc(), col(Poll.id).desc())
                    .offset((page - 1) * PER_PAGE)
                    .limit(PER_PAGE)
                )
            ).all()
        now = datetime.now(UTC)
        site = _site(request)
        return PollList(
            items=[
                PollSummary(
                    id=poll.id,  # type: ignore[arg-type]
                    consultation=poll.consultation_id,
                    title=poll.title,
                    method=poll.method,
                    status=status(poll, now),
                    opens=as_utc(poll.opens_at),
                    closes=as_utc(poll.closes_at),
                    results=poll.closed_at is not None,
                    url=f"{site}/polls/{poll.id}",
                )
                for poll in rows
            ],
            page=page,
            pages=max(1, math.ceil(total / PER_PAGE)),
            total=total,
        )

    @get("/{poll_id:int}/board", summary="The bulletin board of a closed poll")
    async def board(self, database: NamedDependency[Database], poll_id: FromPath[int]) -> Board:
        """Every ballot of a closed poll with its receipt, by receipt, and the frozen
        settings a re-count needs. 403 before the poll closes; 404 for a poll of an
        unpublished consultation."""
        async with database.read() as session:
            view, _tally = await counted(session, None, poll_id)
            rows = await queries.board(session, poll_id)
        poll = view.poll
        return Board(
            poll=BoardPoll(
                id=poll.id,  # type: ignore[arg-type]
                method=poll.method,
                options=[BoardOption(id=o.id, label=o.label, cost=o.cost) for o in view.options],  # type: ignore[arg-type]
                budget=poll.budget,
                max_choices=poll.max_choices,
                settings_sha256=poll.settings_sha256,
                tie_break_seed=poll.tie_break_seed,
            ),
            ballots=[
                BoardBallot(receipt=receipt, choice=json.loads(content))
                for receipt, content in rows
            ],
        )

    @get("/{poll_id:int}/result", summary="The result of a closed poll")
    async def result(
        self, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Response[PollResult]:
        """The result stored when the poll closed, byte for byte (canonical JSON), as
        documented in docs/polls.md per method. 403 before the poll closes; 404 for a
        poll of an unpublished consultation."""
        async with database.read() as session:
            _view, tally = await counted(session, None, poll_id)
        return Response(tally.result.encode("utf-8"), media_type="application/json")


def _download(content: bytes | str, media_type: str, poll_id: int, what: str) -> Response[Any]:
    return Response(
        content.encode("utf-8") if isinstance(content, str) else content,
        media_type=media_type,
        headers={"Content-Disposition": exports.disposition(poll_id, what)},
    )


class PollDownloadController(Controller):
    """The same data as files, linked from the result page."""

    path = "/polls"
    include_in_schema = False

    @get("/{poll_id:int}/board.csv", name="polls:board_csv")
    async def board_csv(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Response[Any]:
        async with database.read() as session:
            view, _tally = await counted(session, current_auth(request), poll_id)
            rows = await queries.board(session, poll_id)
        data = exports.board_csv(view.poll.method, view.options, rows)
        return _download(data, exports.CSV_TYPE, poll_id, "board.csv")

    @get("/{poll_id:int}/result.csv", name="polls:result_csv")
    async def result_csv(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Response[Any]:
        async with database.read() as session:
            view, tally = await counted(session, current_auth(request), poll_id)
        data = exports.result_csv(view.options, json.loads(tally.result))
        return _download(data, exports.CSV_TYPE, poll_id, "result.csv")

    @get("/{poll_id:int}/ballots.pb", name="polls:ballots_pb")
    async def ballots_pb(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Response[Any]:
        """A budget poll's ballots in pabulib format (404 for other methods)."""
        async with database.read() as session:
            view, tally = await counted(session, current_auth(request), poll_id)
            if view.poll.method != Method.budget:
                raise NotFound()
            rows = await queries.board(session, poll_id)
        text = exports.ballots_pb(
            view.poll,
            view.options,
            rows,
            json.loads(tally.result),
            tz=request.app.state.settings.tz,
            unit=view.area.name,
        )
        return _download(text, exports.PB_TYPE, poll_id, "ballots.pb")
