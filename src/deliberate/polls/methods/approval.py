"""Approval: a ballot approves any number of options; the most approvals wins.

Ranking, winner, ties and ``details`` as for single choice (single.py): by approvals, most
first, equal counts ordered by the lot; no winner when nobody approved anything (no
ballots, or only empty ones). The poll's maximum number of choices is checked when a
ballot is cast, not here; a ballot naming an option twice or an unknown option is an
error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from deliberate.polls.methods.common import Option, Result, option_ids
from deliberate.polls.methods.single import check_choices, counted_result


def tally(options: Sequence[Option], ballots: Iterable[Sequence[int]], seed: str) -> Result:
    ids = option_ids(options)
    known = set(ids)
    distinct = Counter(map(tuple, ballots))  # identical ballots are checked and counted once
    counts: Counter[int] = Counter()
    for ballot, weight in distinct.items():
        check_choices(ballot, known, "an approval ballot")
        if len(set(ballot)) != len(ballot):
            raise ValueError(f"an approval ballot names an option twice: {list(ballot)}")
        for option in ballot:
            counts[option] += weight
    return counted_result("approval", ids, counts, sum(distinct.values()), seed)
