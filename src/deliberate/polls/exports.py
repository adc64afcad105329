"""Open-data downloads of a closed poll, pure (no request, no database): the bulletin
board and the result as CSV, and a budget poll's ballots in pabulib ``.pb`` format.

CSV files are UTF-8 with a byte-order mark (so Excel shows Chinese labels correctly),
``\\r\\n`` line ends, written by Python's ``csv`` module. A text cell that a spreadsheet
would take for a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) gets a leading apostrophe; numbers, receipts and ballots never start that way.

**Board CSV**: one row per ballot, by receipt: ``receipt``, ``ballot`` (its canonical
JSON exactly as on the board, from which the receipt is recomputed with the voter's
nonce), then one column per option, headed ``"{id} {label}"``, in the options' order:
1 or 0 for single choice, approval and budget ballots (chosen or not), the rank (1 =
best; empty when not ranked) for ranked ballots, the stars for score ballots. Summing a
column counts the option's votes, approvals or stars.

**Result CSV**: one row per option, in the order of the result's ``ranking`` (for budget
polls: the funded projects in funding order), then the others in the options' order:
``rank`` (the place in that ranking; empty when not ranked), ``option_id``, ``label``,
``winner`` (1 or 0; for budget polls: funded by the Method of Equal Shares), then per
method: ``votes`` (single, approval); ``first_round_votes`` and ``schulze_rank``
(ranked); ``mean``, ``median``, ``sum``, ``stars_0`` … ``stars_5`` (score); ``cost``,
``votes``, ``mes_funded``, ``greedy_funded`` (budget).

**Pabulib**: see :func:`ballots_pb`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deliberate.db import as_utc
from deliberate.polls import pabulib
from deliberate.polls.models import MAX_SCORE, Method, Poll, PollOption

BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
PB_TYPE = "text/plain; charset=utf-8"
PB_RULE = "equalshares/add1"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")

Rows = Sequence[tuple[str, str]]  # (receipt, canonical ballot), as on the board


def cell(text: str) -> str:
    """A text cell that no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(_FORMULA) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")


def filename(poll_id: int, what: str) -> str:
    """``poll-7-board.csv``, ``poll-7-result.csv``, ``poll-7-ballots.pb``."""
    return f"poll-{poll_id}-{what}"


def disposition(poll_id: int, what: str) -> str:
    return f'attachment; filename="{filename(poll_id, what)}"'


# ---- the bulletin board -----------------------------------------------------------------


def _marks(method: str, choice: Any, ids: Sequence[int]) -> list[Any]:
    if method == Method.single:
        return [1 if option == choice else 0 for option in ids]
    if method in (Method.approval, Method.budget):
        chosen = set(choice)
        return [1 if option in chosen else 0 for option in ids]
    if method == Method.ranked:
        rank = {option: place for place, option in enumerate(choice, start=1)}
        return [rank.get(option, "") for option in ids]
    scores = {int(option): stars for option, stars in choice.items()}
    return [scores.get(option, "") for option in ids]


def board_csv(method: str, options: Sequence[PollOption], rows: Rows) -> bytes:
    ids = [o.id for o in options]
    header = ["receipt", "ballot", *(f"{o.id} {o.label}" for o in options)]
    return _csv(
        header,
        (
            [receipt, content, *_marks(method, json.loads(content), ids)]  # type: ignore[arg-type]
            for receipt, content in sorted(rows)
        ),
    )


# ---- the result --------------------------------------------------------------------------


def _ordered(result: Mapping[str, Any], options: Sequence[PollOption]) -> list[PollOption]:
    by_id = {o.id: o for o in options}
    ranked = [by_id[int(i)] for i in result.get("ranking", []) if int(i) in by_id]
    seen = {o.id for o in ranked}
    return ranked + [o for o in options if o.id not in seen]


def _method_columns(method: str, details: Mapping[str, Any]) -> tuple[list[str], Any]:
    """The method's own columns, and a function giving their values for an option id."""
    if method in (Method.single, Method.approval):
        counts = details.get("counts", {})
        return ["votes"], lambda key: [counts.get(key, 0)]
    if method == Method.ranked:
        rounds = details.get("rounds") or [{}]
        first = rounds[0].get("counts", {})
        schulze = [str(i) for i in details.get("schulze", {}).get("ranking", [])]
        return ["first_round_votes", "schulze_rank"], lambda key: [
            first.get(key, 0),
            schulze.index(key) + 1 if key in schulze else "",
        ]
    if method == Method.score:
        means, medians = details.get("mean", {}), details.get("median", {})
        sums, histograms = details.get("sum", {}), details.get("histogram", {})
        stars = [f"stars_{n}" for n in range(MAX_SCORE + 1)]

        def score_values(key: str) -> list[Any]:
            mean, median = means.get(key), medians.get(key)
            return [
                "" if mean is None else mean,
                "" if median is None else median,
                sums.get(key, 0),
                *histograms.get(key, [0] * (MAX_SCORE + 1)),
            ]

        return ["mean", "median", "sum", *stars], score_values
    votes, costs = details.get("votes", {}), details.get("cost", {})
    greedy = {str(i) for i in details.get("greedy", {}).get("funded", [])}
    mes = {str(i) for i in details.get("mes", {}).get("funded", [])}
    return ["cost", "votes", "mes_funded", "greedy_funded"], lambda key: [
        costs.get(key, ""),
        votes.get(key, 0),
        int(key in mes),
        int(key in greedy),
    ]


def result_csv(options: Sequence[PollOption], result: Mapping[str, Any]) -> bytes:
    """``result`` is the stored result (``{"method", "winners", "ranking", "details"}``)."""
    method = result["method"]
    ranking = [str(i) for i in result.get("ranking", [])]
    winners = {str(i) for i in result.get("winners", [])}
    columns, values = _method_columns(method, result.get("details", {}))
    rows = []
    for option in _ordered(result, options):
        key = str(option.id)
        rows.append(
            [
                ranking.index(key) + 1 if key in ranking else "",
                option.id,
                cell(option.label),
                int(key in winners),
                *values(key),
            ]
        )
    return _csv(["rank", "option_id", "label", "winner", *columns], rows)


# ---- pabulib -----------------------------------------------------------------------------


def _day(moment: datetime, tz: ZoneInfo) -> str:
    return as_utc(moment).astimezone(tz).strftime("%d.%m.%Y")


def ballots_pb(
    poll: Poll,
    options: Sequence[PollOption],
    rows: Rows,
    result: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    unit: str | None = None,
    country: str | None = None,
) -> str:
    """A closed budget poll as a pabulib approval election.

    META: ``description`` (the poll's title), ``country`` and ``unit`` (the consultation's
    area) when known, ``instance`` (``poll-{id}``), ``num_projects``, ``num_votes``,
    ``budget``, ``vote_type`` approval, ``rule`` equalshares/add1 (the Method of Equal
    Shares with the Add1 completion, as this poll was counted), ``date_begin`` and
    ``date_end`` (the voting window, local dates). PROJECTS: ``project_id`` (our option
    id), ``cost``, ``name`` (the label), ``votes`` (approvals), ``selected`` (1 where the
    Method of Equal Shares funded it). VOTES: ``voter_id`` — a running number, 1, 2, …,
    over the ballots in receipt order, so it says nothing about the voter — and ``vote``,
    the option ids approved, comma-separated.
    """
    if poll.method != Method.budget or poll.budget is None:
        raise ValueError("only budget polls have a pabulib export")
    meta: dict[str, str] = {"description": poll.title}
    if country:
        meta["country"] = country
    if unit:
        meta["unit"] = unit
    meta["instance"] = f"poll-{poll.id}"
    instance = pabulib.approval_instance(
        budget=poll.budget,
        projects=[(str(o.id), o.cost, o.label) for o in options],
        ballots=[[str(i) for i in json.loads(content)] for _receipt, content in sorted(rows)],
        meta=meta,
        selected=[str(i) for i in result.get("winners", [])],
    )
    instance.meta["rule"] = PB_RULE
    instance.meta["date_begin"] = _day(poll.opens_at, tz)
    instance.meta["date_end"] = _day(poll.closes_at, tz)
    return pabulib.write(instance)
