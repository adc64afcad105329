"""One entry point for every method: ``tally(method, options, ballots, seed, budget=...)``.

``budget`` is the budget limit of a participatory-budgeting poll; it is required for
``"budget"`` and refused for the other methods. The budget method is imported only when a
budget poll is tallied."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from deliberate.polls.methods import approval, ranked, score, single
from deliberate.polls.methods.common import Option, Result

METHODS = ("single", "approval", "ranked", "score", "budget")

_SIMPLE = {
    "single": single.tally,
    "approval": approval.tally,
    "ranked": ranked.tally,
    "score": score.tally,
}


def tally(
    method: str,
    options: Sequence[Option],
    ballots: Iterable[Any],
    seed: str,
    *,
    budget: int | None = None,
) -> Result:
    if method == "budget":
        if budget is None:
            raise ValueError("a budget poll needs its budget limit")
        from deliberate.polls.methods import budget as budget_method

        return budget_method.tally(options, ballots, seed, budget=budget)
    if method not in _SIMPLE:
        raise ValueError(f"unknown voting method: {method!r}")
    if budget is not None:
        raise ValueError(f"a budget limit applies to budget polls only, not {method!r}")
    return _SIMPLE[method](options, ballots, seed)
