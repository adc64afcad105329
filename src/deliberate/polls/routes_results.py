"""After closing: the result page (method by method, charts with tables beside them,
turnout and turnout by sub-area) and the bulletin board, where every voter finds their
receipt and anyone can count the ballots again. Both refuse (403, with the reason) until
the poll has closed."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from babel import numbers
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import func
from sqlmodel import col, select

from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.polls import charts, queries, turnout
from deliberate.polls.models import Ballot, PollOption
from deliberate.polls.permissions import require
from deliberate.polls.routes import describe, load_poll, stars
from deliberate.web.i18n import current_babel_locale, current_locale, format_number
from deliberate.web.i18n import gettext as _
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
BOARD_PAGE = 100
MIN_PREFIX = 8
HEX = re.compile(r"^[0-9a-f]+$")


def format_decimal(value: Fraction | float) -> str:
    """A money amount with two decimals, in the reader's locale."""
    return numbers.format_decimal(float(value), format="#,##0.00", locale=current_babel_locale())


def share(part: float, whole: float) -> str:
    """A percentage with one decimal, e.g. "42.9 %" (an empty whole gives "0 %")."""
    value = 100 * part / whole if whole else 0
    return numbers.format_decimal(value, format="#,##0.0", locale=current_babel_locale()) + " %"


@dataclass(frozen=True)
class Row:
    option: PollOption
    values: tuple[Any, ...]
    winner: bool = False


@dataclass
class ResultView:
    """What the result page shows, built from the stored result (pure)."""

    method: str
    winners: list[PollOption]
    ranking: list[PollOption]
    ballots: int
    tied: list[PollOption] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _ids(values: Sequence[Any], options: Mapping[int, PollOption]) -> list[PollOption]:
    return [options[int(v)] for v in values if v is not None and int(v) in options]


def _counted(result: Mapping[str, Any], options: Mapping[int, PollOption]) -> ResultView:
    """Single choice and approval: votes per option, their shares of the ballots."""
    details = result["details"]
    ballots = int(details.get("ballots", 0))
    counts = {int(k): int(v) for k, v in details.get("counts", {}).items()}
    ranking = _ids(result["ranking"], options)
    winners = _ids(result["winners"], options)
    rows = [
        Row(o, (counts.get(o.id, 0), share(counts.get(o.id, 0), ballots)), o in winners)  # type: ignore[arg-type]
        for o in ranking
    ]
    title = _("Votes per option") if result["method"] == "single" else _("Approvals per option")
    bars = [
        charts.Bar(
            row.option.label, row.values[0], f"{row.values[0]} ({row.values[1]})", row.winner
        )
        for row in rows
    ]
    return ResultView(
        method=result["method"],
        winners=winners,
        ranking=ranking,
        ballots=ballots,
        tied=_ids(details.get("tied", []), options),
        charts={"counts": charts.bar_chart(bars, title=title, chart_id="chart-counts")},
        rows=rows,
    )


def _ranked(result: Mapping[str, Any], options: Mapping[int, PollOption]) -> ResultView:
    details = result["details"]
    ballots = int(details.get("ballots", 0))
    rounds = []
    for number, entry in enumerate(details.get("rounds", []), start=1):
        counts = {int(k): int(v) for k, v in entry["counts"].items()}
        counted = sum(counts.values())
        order = sorted(counts, key=lambda o: (-counts[o], options[o].position))
        rows = [Row(options[o], (counts[o], share(counts[o], counted))) for o in order]
        eliminated = options.get(entry["eliminated"]) if entry.get("eliminated") else None
        rounds.append(
            {
                "number": number,
                "rows": rows,
                "exhausted": int(entry.get("exhausted", 0)),
                "eliminated": eliminated,
                "tied": _ids(entry.get("tied", []), options),
                "chart": charts.bar_chart(
                    [
                        charts.Bar(r.option.label, r.values[0], f"{r.values[0]} ({r.values[1]})")
                        for r in rows
                    ],
                    title=_("Round %(number)s: votes per option", number=number),
                    chart_id=f"chart-round-{number}",
                ),
            }
        )
    schulze = details.get("schulze", {})
    order = sorted(options.values(), key=lambda o: o.position)
    pairwise = details.get("pairwise", {})
    matrix = []
    for a in order:
        cells = []
        for b in order:
            if a.id == b.id:
                cells.append(None)
                continue
            ab = int(pairwise.get(str(a.id), {}).get(str(b.id), 0))
            ba = int(pairwise.get(str(b.id), {}).get(str(a.id), 0))
            cells.append((ab, ab > ba))
        matrix.append((a, cells))
    return ResultView(
        method="ranked",
        winners=_ids(result["winners"], options),
        ranking=_ids(result["ranking"], options),
        ballots=ballots,
        extra={
            "rounds": rounds,
            "order": order,
            "matrix": matrix,
            "schulze_winners": _ids(schulze.get("winners", []), options),
            "schulze_ranking": _ids(schulze.get("ranking", []), options),
        },
    )


def _score(result: Mapping[str, Any], options: Mapping[int, PollOption]) -> ResultView:
    details = result["details"]
    ballots = int(details.get("ballots", 0))
    ranking = _ids(result["ranking"], options)
    winners = _ids(result["winners"], options)
    means = details.get("mean", {})
    medians = details.get("median", {})
    histograms = details.get("histogram", {})
    rows = []
    histogram_charts = []
    for o in ranking:
        key = str(o.id)
        mean = means.get(key)
        median = medians.get(key)
        rows.append(
            Row(
                o,
                (
                    mean if mean is not None else "—",
                    format_number(median) if median is not None else "—",
                    int(details.get("sum", {}).get(key, 0)),
                ),
                o in winners,
            )
        )
        counts = [int(n) for n in histograms.get(key, [0] * 6)]
        histogram_charts.append(
            (
                o,
                counts,
                charts.bar_chart(
                    [
                        charts.Bar(stars(n), count, f"{count} ({share(count, ballots)})")
                        for n, count in enumerate(counts)
                    ],
                    title=_("Stars given to %(option)s", option=o.label),
                    chart_id=f"chart-stars-{o.id}",
                    scale=ballots or None,
                ),
            )
        )
    bars = [
        charts.Bar(
            row.option.label,
            float(means.get(str(row.option.id)) or 0),
            str(row.values[0]),
            row.winner,
        )
        for row in rows
    ]
    return ResultView(
        method="score",
        winners=winners,
        ranking=ranking,
        ballots=ballots,
        tied=_ids(details.get("tied", []), options),
        charts={
            "means": charts.bar_chart(
                bars, title=_("Mean stars per option"), chart_id="chart-means", scale=5
            )
        },
        rows=rows,
        extra={"histograms": histogram_charts},
    )


def _budget(result: Mapping[str, Any], options: Mapping[int, PollOption]) -> ResultView:
    """Participatory budget: the projects funded by the Method of Equal Shares, beside
    the greedy outcome, with each project's cost and support (approvals)."""
    details = result["details"]
    ballots = int(details.get("ballots", 0))
    support = {int(k): int(v) for k, v in details.get("votes", {}).items()}
    funded = _ids(result["winners"], options)
    greedy = _ids(details.get("greedy", {}).get("funded", []), options)
    rounds = [
        (options[int(r["project"])], int(r["supporters"]), Fraction(r["max_payment"]))
        for r in details.get("mes", {}).get("rounds", [])
        if int(r["project"]) in options
    ]
    order = sorted(options.values(), key=lambda o: (-support.get(o.id, 0), o.position))  # type: ignore[arg-type]
    rows = [
        Row(
            o,
            (
                o.cost,
                support.get(o.id, 0),
                share(support.get(o.id, 0), ballots),
                o in funded,
                o in greedy,
            ),  # type: ignore[arg-type]
            o in funded,
        )
        for o in order
    ]
    bars = [
        charts.Bar(r.option.label, r.values[1], f"{r.values[1]} ({r.values[2]})", r.winner)
        for r in rows
    ]
    return ResultView(
        method="budget",
        winners=funded,
        ranking=_ids(result["ranking"], options),
        ballots=ballots,
        charts={
            "support": charts.bar_chart(
                bars,
                title=_("Support per project"),
                chart_id="chart-support",
                scale=ballots or None,
            )
        },
        rows=rows,
        extra={
            "funded_cost": sum(o.cost for o in funded),
            "rounds": [
                (option, supporters, format_decimal(payment))
                for option, supporters, payment in rounds
            ],
            "greedy": greedy,
            "greedy_cost": sum(o.cost for o in greedy),
        },
    )


BUILDERS = {
    "single": _counted,
    "approval": _counted,
    "ranked": _ranked,
    "score": _score,
    "budget": _budget,
}


def result_view(result: Mapping[str, Any], options: Sequence[PollOption]) -> ResultView:
    by_id = {o.id: o for o in options}
    return BUILDERS[result["method"]](result, by_id)  # type: ignore[arg-type]


def receipt_prefix(value: str | None) -> str | None:
    """The receipt search: at least 8 hex characters (lower-cased), else None."""
    text = (value or "").strip().lower()
    if len(text) < MIN_PREFIX or len(text) > 64 or not HEX.match(text):
        return None
    return text


def page_number(value: str | None) -> int:
    text = (value or "1").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


class ResultController(Controller):
    path = "/polls"
    include_in_schema = False

    @get("/{poll_id:int}/results", name="polls:results")
    async def results(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        context = await load_poll(database, request, poll_id, datetime.now(UTC))
        require(context["standing"], "poll.results")
        async with database.read() as session:
            tally = await queries.tally_of(session, poll_id)
            groups = await turnout.by_area(session, poll_id, current_locale())
        if tally is None:
            raise NotFound()
        result = json.loads(tally.result)
        return page(
            "polls/results.html",
            **context,
            tally=tally,
            result=result_view(result, context["options"]),
            groups=groups,
            minimum=turnout.MINIMUM,
        )

    @get("/{poll_id:int}/board", name="polls:board")
    async def board(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        """Every ballot with its receipt, 100 a page, by receipt; or the ballots whose
        receipt starts with what was searched for."""
        context = await load_poll(database, request, poll_id, datetime.now(UTC))
        require(context["standing"], "poll.results")
        typed = request.query_params.get("receipt", "")
        prefix = receipt_prefix(typed)
        number = page_number(request.query_params.get("page"))
        conditions = [Ballot.poll_id == poll_id]
        if prefix:
            conditions.append(col(Ballot.receipt).startswith(prefix))
        async with database.read() as session:
            total = (
                await session.exec(select(func.count()).select_from(Ballot).where(*conditions))
            ).one()
            rows = (
                await session.exec(
                    select(Ballot.receipt, Ballot.content)
                    .where(*conditions)
                    .order_by(col(Ballot.receipt))
                    .offset((number - 1) * BOARD_PAGE)
                    .limit(BOARD_PAGE)
                )
            ).all()
            tally = await queries.tally_of(session, poll_id)
        method = context["poll"].method
        entries = [
            (receipt, content, describe(method, json.loads(content), context["option_by_id"]))
            for receipt, content in rows
        ]
        pages = max((total + BOARD_PAGE - 1) // BOARD_PAGE, 1)
        return page(
            "polls/board.html",
            **context,
            tally=tally,
            entries=entries,
            total=total,
            typed=typed,
            prefix=prefix,
            searched=bool(typed.strip()),
            number=number,
            pages=pages,
        )
