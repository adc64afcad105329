"""Ranked ballots: instant-runoff (IRV) decides; the Schulze ranking is shown beside it.

A ballot lists option ids, best first. It may stop early: the options it leaves out rank
below all the ones it lists and equal among themselves. An empty ballot is allowed (it
counts as cast and is exhausted from the start). Naming an option twice or an unknown
option is an error.

**Instant-runoff.** Each round counts every ballot for its highest-ranked option still in
the count ("continuing"); a ballot that ranks no continuing option is *exhausted*. An
option with more than half of the ballots counted in the round (the continuing, not
exhausted, ones) wins. Otherwise the option with the fewest votes is eliminated, one per
round; when several share the fewest votes, the one that comes **last in the lot order**
is eliminated (the lot's first is always the one best protected). Options nobody ranks
take part in the count with 0 votes and so go first.

The IRV ranking (``Result.ranking``) is the finishing order: the winner, then the other
options still in the count in the last round by their votes in that round (most first,
equal votes by the lot), then the eliminated options in reverse order of elimination (the
last one eliminated first).

``details["rounds"]``: one entry per round, ``{"counts": {id: votes of each continuing
option}, "exhausted": ballots exhausted, "eliminated": id or None (the deciding round),
"tied": the options that shared the fewest votes, in lot order, when the lot chose which
to eliminate (else [])}``.

**Schulze** (beat-path), from the pairwise matrix ``details["pairwise"][a][b]`` = the
number of ballots ranking a above b (a listed option is above every option the ballot
leaves out; two left-out options are not compared). The link a→b has the strength
d[a][b] when d[a][b] > d[b][a] ("winning votes"), else there is no link; the strength of
a path is its weakest link, p[a][b] is the strongest path from a to b (0 if none), and a
beats b when p[a][b] > p[b][a]. ``details["schulze"]``: ``"winners"``, the options no
other option beats (the Schulze winner set, sorted by id, before any lot); ``"winner"``,
the one the lot puts first among them; ``"ranking"``, built by repeatedly taking, among
the options not yet placed, the lot's first of those none of the others beats (this
respects every "beats", and the rest is decided by the lot); ``"strongest_paths"``, p.

With no ballot ranking any option (no ballots, or only empty ones) there is no winner,
no round and no Schulze winner: ``winners == ()`` and both rankings are the lot order.

Speed: identical ballots are counted once (a Counter of tuples), then the distinct
ballots become an array of positions (row = ballot, column = option, value = the place
the ballot gives the option, or the number of options when it leaves it out), on which
the IRV rounds and the pairwise counts are vectorised with numpy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

import numpy as np

from deliberate.polls.methods.common import (
    Option,
    Result,
    lot_order,
    lot_positions,
    option_ids,
)


def positions(
    distinct: Counter[tuple[int, ...]], order: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct ballots as an array of positions (columns in the order of ``order``;
    an option a ballot leaves out gets ``len(order)``), with each ballot's weight and
    length. Unknown options and repeated options are refused."""
    m = len(order)
    ballots = list(distinct)
    k = len(ballots)
    weights = np.fromiter(distinct.values(), dtype=np.int64, count=k)
    lengths = np.fromiter(map(len, ballots), dtype=np.int64, count=k)
    known = set(order)
    for value in set(chain.from_iterable(ballots)):
        if value not in known:
            raise ValueError(f"a ranked ballot names an unknown option: {value!r}")
    if k and int(lengths.max()) > m:
        raise ValueError("a ranked ballot names an option twice")
    dtype = np.int16 if m < 2**15 - 1 else np.int32
    pos = np.full((k, m), m, dtype=dtype)
    total = int(lengths.sum())
    if total:
        flat = np.fromiter(chain.from_iterable(ballots), dtype=np.int64, count=total)
        columns = np.searchsorted(np.asarray(order, dtype=np.int64), flat)
        rows = np.repeat(np.arange(k), lengths)
        starts = np.cumsum(lengths) - lengths
        places = np.arange(total) - np.repeat(starts, lengths)
        pos[rows, columns] = places
        if not np.array_equal(np.count_nonzero(pos < m, axis=1), lengths):
            raise ValueError("a ranked ballot names an option twice")
    return pos, weights, lengths


def instant_runoff(
    pos: np.ndarray, weights: np.ndarray, order: Sequence[int], place: dict[int, int]
) -> tuple[int, list[int], list[dict[str, Any]]]:
    """Winner, finishing order and rounds (see the module docstring)."""
    k, m = pos.shape
    total = int(weights.sum())
    continuing = np.ones(m, dtype=bool)
    work = pos.copy()
    rows = np.arange(k)
    eliminated: list[int] = []
    rounds: list[dict[str, Any]] = []
    while True:
        top = work.argmin(axis=1)
        counted = work[rows, top] < m
        votes = np.bincount(top[counted], weights=weights[counted], minlength=m)
        votes = np.rint(votes).astype(np.int64)  # float64 counts are exact below 2**53
        alive = [int(i) for i in np.flatnonzero(continuing)]
        counts = {order[i]: int(votes[i]) for i in alive}
        in_count = sum(counts.values())
        best = max(alive, key=lambda i: (votes[i], -place[order[i]]))
        if 2 * int(votes[best]) > in_count or len(alive) == 1:
            rounds.append(_round(counts, total - in_count, None, []))
            winner = order[best]
            break
        fewest = min(counts.values())
        tied = sorted((o for o, n in counts.items() if n == fewest), key=place.__getitem__)
        loser = tied[-1]
        rounds.append(_round(counts, total - in_count, loser, tied if len(tied) > 1 else []))
        column = order.index(loser)
        continuing[column] = False
        work[:, column] = m
        eliminated.append(loser)
    last = counts  # the deciding round's counts, winner included
    others = sorted((o for o in last if o != winner), key=lambda o: (-last[o], place[o]))
    return winner, [winner, *others, *reversed(eliminated)], rounds


def _round(
    counts: dict[int, int], exhausted: int, eliminated: int | None, tied: list[int]
) -> dict[str, Any]:
    return {
        "counts": {str(option): counts[option] for option in sorted(counts)},
        "exhausted": exhausted,
        "eliminated": eliminated,
        "tied": tied,
    }


def pairwise(pos: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """d[a][b]: the number of ballots that rank a above b."""
    m = pos.shape[1]
    d = np.zeros((m, m), dtype=np.int64)
    for a in range(m):
        d[a] = weights @ (pos[:, a : a + 1] < pos)
    return d


def strongest_paths(d: np.ndarray) -> np.ndarray:
    """Schulze's strongest paths with winning votes (Floyd-Warshall, widest path)."""
    p = np.where(d > d.T, d, 0)
    for i in range(p.shape[0]):
        p = np.maximum(p, np.minimum(p[:, i : i + 1], p[i : i + 1, :]))
    np.fill_diagonal(p, 0)
    return p


def schulze(
    p: np.ndarray, order: Sequence[int], place: dict[int, int]
) -> tuple[list[int], list[int]]:
    """The Schulze winner set (sorted by id) and the Schulze ranking (ties by the lot)."""
    beats = p > p.T
    m = len(order)
    winners = [order[a] for a in range(m) if not beats[:, a].any()]
    remaining = np.ones(m, dtype=bool)
    ranking = []
    for _ in range(m):
        unbeaten = np.flatnonzero(remaining & ~beats[remaining].any(axis=0))
        chosen = min(unbeaten, key=lambda a: place[order[a]])
        ranking.append(order[chosen])
        remaining[chosen] = False
    return winners, ranking


def _matrix(values: np.ndarray, order: Sequence[int]) -> dict[str, dict[str, int]]:
    return {
        str(a): {str(b): int(values[i, j]) for j, b in enumerate(order) if j != i}
        for i, a in enumerate(order)
    }


def tally(options: Sequence[Option], ballots: Iterable[Sequence[int]], seed: str) -> Result:
    ids = option_ids(options)
    order = sorted(ids)
    place = lot_positions(seed, ids)
    distinct = Counter(map(tuple, ballots))
    pos, weights, lengths = positions(distinct, order)
    cast = int(weights.sum())
    d = pairwise(pos, weights)
    p = strongest_paths(d)
    details: dict[str, Any] = {"ballots": cast, "pairwise": _matrix(d, order)}
    if not bool((lengths > 0).any()):  # nobody ranked anything: no winner
        by_lot = lot_order(seed, ids)
        details["rounds"] = []
        details["schulze"] = {
            "winners": [],
            "winner": None,
            "ranking": by_lot,
            "strongest_paths": _matrix(p, order),
        }
        return Result("ranked", (), tuple(by_lot), details)
    winner, finish, rounds = instant_runoff(pos, weights, order, place)
    schulze_winners, schulze_ranking = schulze(p, order, place)
    details["rounds"] = rounds
    details["schulze"] = {
        "winners": schulze_winners,
        "winner": schulze_ranking[0],
        "ranking": schulze_ranking,
        "strongest_paths": _matrix(p, order),
    }
    return Result("ranked", (winner,), tuple(finish), details)
