"""Single choice (plurality): one option per ballot, the most votes wins.

The ranking is by votes, most first; options with equal votes are ordered by the lot
(common.lot_order). The winner is the first of the ranking, provided it has at least one
vote: with no ballots there is no winner (``winners == ()``) and the ranking is the lot
order. ``details["tied"]`` lists, in lot order, the options that tied for first place
when the lot had to decide the winner (else it is empty)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence

from deliberate.polls.methods.common import Option, Result, lot_positions, option_ids


def check_choices(choices: Iterable[object], known: Collection[int], what: str) -> None:
    """Refuse any choice that is not one of the options' ids."""
    for choice in choices:
        if choice not in known:
            raise ValueError(f"{what} names an unknown option: {choice!r}")


def counted_result(
    method: str,
    ids: Sequence[int],
    counts: Mapping[int, int],
    ballots: int,
    seed: str,
) -> Result:
    """The result of a method that counts votes per option (single, approval)."""
    place = lot_positions(seed, ids)
    ranking = sorted(ids, key=lambda option: (-counts.get(option, 0), place[option]))
    top = counts.get(ranking[0], 0) if ranking else 0
    tied = [option for option in ranking if counts.get(option, 0) == top] if top else []
    return Result(
        method=method,
        winners=(ranking[0],) if top else (),
        ranking=tuple(ranking),
        details={
            "counts": {str(option): int(counts.get(option, 0)) for option in sorted(ids)},
            "ballots": ballots,
            "tied": tied if len(tied) > 1 else [],
        },
    )


def tally(options: Sequence[Option], ballots: Iterable[int], seed: str) -> Result:
    ids = option_ids(options)
    counts = Counter(ballots)
    check_choices(counts, set(ids), "a single-choice ballot")
    return counted_result("single", ids, counts, sum(counts.values()), seed)
