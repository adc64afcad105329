"""Score: every ballot gives every option 0 to 5 stars; the best mean wins.

The ranking is by mean stars, highest first; equal means by the median, highest first;
then by the lot. Every option is scored on every ballot, so all options have the same
number of scores and the means are compared exactly through the sums of stars (no
floating point). The median of an even number of scores is the mean of the two middle
scores (so it may end in .5).

``details``: ``"sum"`` (stars per option, exact), ``"mean"`` (a string rounded half up to
two decimals, for display only; the exact mean is sum / ballots), ``"median"`` (a number,
exact: an integer or a half, written as a float such as 3.0 or 3.5), ``"histogram"``
(per option, how many ballots gave 0, 1, … 5 stars), ``"ballots"``, and ``"tied"`` (the
options that tied with the winner on mean and median, in lot order, when the lot had to
decide; else []). Option ids are the keys, as strings.

There is no winner when no option received a star (no ballots, or only 0-star ballots):
then ``winners == ()``; with no ballots the means and medians are null and the ranking is
the lot order.

A ballot's keys may be option ids or their decimal strings (as after a JSON round trip).
A ballot that leaves out an option, names an unknown one, or gives anything but an
integer from 0 to 5 is an error."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from deliberate.polls.methods.common import Option, Result, lot_positions, option_ids

STARS = 5


def display_mean(stars: int, ballots: int) -> str:
    """stars / ballots rounded half up to two decimals, e.g. ``"3.67"``."""
    hundredths = (200 * stars + ballots) // (2 * ballots)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def twice_median(histogram: Sequence[int]) -> int:
    """Twice the median of the scores counted in ``histogram`` (an exact integer)."""
    n = sum(histogram)
    middle = []
    for index in ((n - 1) // 2, n // 2):
        seen = 0
        for stars, count in enumerate(histogram):
            seen += count
            if seen > index:
                middle.append(stars)
                break
    return middle[0] + middle[1]


def _ballot(ballot: Mapping[Any, Any], known: set[int]) -> dict[int, int]:
    scores: dict[int, int] = {}
    for key, value in ballot.items():
        option = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() else key
        if isinstance(option, bool) or option not in known:
            raise ValueError(f"a score ballot names an unknown option: {key!r}")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= STARS:
            raise ValueError(f"a score must be an integer from 0 to {STARS}: {value!r}")
        if option in scores:
            raise ValueError(f"a score ballot scores option {option} twice")
        scores[option] = value
    if len(scores) != len(known):
        missing = sorted(known - set(scores))
        raise ValueError(f"a score ballot must score every option; missing: {missing}")
    return scores


def tally(options: Sequence[Option], ballots: Iterable[Mapping[int, int]], seed: str) -> Result:
    ids = option_ids(options)
    known = set(ids)
    histogram = {option: [0] * (STARS + 1) for option in ids}
    cast = 0
    for ballot in ballots:
        for option, stars in _ballot(ballot, known).items():
            histogram[option][stars] += 1
        cast += 1
    total = {o: sum(stars * n for stars, n in enumerate(h)) for o, h in histogram.items()}
    median2 = {o: twice_median(h) if cast else 0 for o, h in histogram.items()}
    place = lot_positions(seed, ids)
    ranking = sorted(ids, key=lambda o: (-total[o], -median2[o], place[o]))
    has_winner = bool(ranking) and total[ranking[0]] > 0
    tied = (
        [o for o in ranking if (total[o], median2[o]) == (total[ranking[0]], median2[ranking[0]])]
        if has_winner
        else []
    )
    keys = sorted(ids)
    return Result(
        method="score",
        winners=(ranking[0],) if has_winner else (),
        ranking=tuple(ranking),
        details={
            "ballots": cast,
            "sum": {str(o): total[o] for o in keys},
            "mean": {str(o): display_mean(total[o], cast) if cast else None for o in keys},
            "median": {str(o): median2[o] / 2 if cast else None for o in keys},
            "histogram": {str(o): histogram[o] for o in keys},
            "tied": tied if len(tied) > 1 else [],
        },
    )
