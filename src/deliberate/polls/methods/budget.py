"""Participatory budgeting: the Method of Equal Shares, with the greedy rule beside it.

Ballots are approval sets of projects, each project has a cost (a whole number of currency
units) and the poll has a budget. Two outcomes are computed:

**Method of Equal Shares (MES)** with cost satisfaction, as cities run it with
equalshares.net. The budget is split equally between the voters (every ballot counts, an
empty one too). A project can be funded only with the money of its supporters; if the
cost is shared between them as equally as their remaining money allows, the most any of
them pays is its *max payment* ``alpha``. Round by round, MES funds the affordable project
with the smallest ``alpha / cost`` (the price per unit of satisfaction when a voter's
satisfaction is the cost of the projects they approved; ``cost / alpha`` is its
"effective vote count"), charges its supporters ``min(alpha, what they have left)``, and
stops when no remaining project can be paid by its supporters.

**Completion, "Add1"** (equalshares.net's reference code): MES with ``budget / voters``
per voter usually leaves money unspent, so it is run again with a larger per-voter
budget: first ``floor(budget / voters) + 1`` currency units, then one unit more at a time,
keeping the last outcome whose total cost fits the real budget. It stops at the first
outcome that is *exhaustive* (no project with at least one supporter is unfunded and
would still fit in what is left) or when the next outcome would cost more than the
budget. Raising the budget by one unit per voter at a time can mean thousands of runs on
a large budget, so we jump: every run also computes the exact per-voter budget up to
which each of its decisions stays the same (see ``_Run.stable_below``), and the per-voter
budgets in between, whose outcome is provably the same, are skipped. The outcome is the
one the one-unit-at-a-time loop gives (tested against that loop and against pabutools).

**No greedy completion afterwards**: what Add1 leaves unspent stays unspent. This is what
equalshares.net's reference code does and what Assen's official 2024 outcome shows
(project 7 would still have fit, and was not funded).

**Greedy**, shown beside it for comparison: projects in order of votes (approvals), each
funded if it still fits in what is left, skipped otherwise. A project nobody voted for is
never funded (pabutools' ``greedy_utilitarian_welfare`` funds it last if it fits).

**Ties** — equal ``alpha / cost`` in a round of MES, equal vote counts in greedy — are
broken by the poll's lot (``common.lot_order``): the project earlier in the lot wins.
(equalshares.net prefers the cheaper project, then the one with more votes; pabutools
takes a tie-breaking rule, by default the project name.)

All money is exact — integers over a common denominator inside a run, ``Fraction`` in
the result — with floating point only to find quickly which values to compare exactly.
The results on the real elections in ../shared/data/pabulib/ equal the official outcomes
(docs/polls.md, "Participatory budgeting").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from deliberate.polls.methods.common import Option, Result, lot_order

METHOD = "budget"

# Floating point only guides; any comparison closer than this is made exactly.
_NEAR = 1e-9


@dataclass(frozen=True)
class Round:
    """One project funded by MES."""

    project: int  # option id
    max_payment: Fraction  # the most any supporter paid (alpha)
    supporters: int
    exhausted: int  # supporters who paid less than max_payment: all they had left
    tied: tuple[int, ...] = ()  # when the lot decided: the projects at the same price

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "max_payment": str(self.max_payment),
            "supporters": self.supporters,
            "exhausted": self.exhausted,
            "tied": list(self.tied),
        }


@dataclass(frozen=True)
class EqualShares:
    """The outcome of MES: funded option ids in the order MES picked them."""

    funded: tuple[int, ...]
    rounds: tuple[Round, ...]
    per_voter_budget: Fraction | None  # None without ballots
    spent: int
    runs: int = 1  # MES runs the completion needed


@dataclass
class _Eval:
    """A candidate's price in one round (money is counted in units of 1/scale)."""

    paid: int  # what the rich supporters pay together: alpha = paid / (rich * scale)
    rich: int  # supporters who pay alpha; the others pay all they have left
    rho: _Price  # alpha / cost
    counts: np.ndarray  # supporters per money class
    poor: list[int]  # classes that pay all they have left (money < alpha)
    falling: float  # analysis: how fast alpha falls as the per-voter budget rises


@dataclass
class _Run:
    funded: list[int]  # project indices
    rounds: list[tuple[int, Fraction, int, list[int]]]  # (index, alpha, exhausted, tied)
    # With the analysis: every decision of the run, so its outcome, is the same for any
    # per-voter budget in [b, stable_below). None: not analysed, or the same for every
    # larger budget too.
    stable_below: Fraction | None


@dataclass(frozen=True)
class _Price:
    """A price ``num / den`` (exact), with its floating-point value to compare quickly."""

    num: int
    den: int
    value: float

    def below(self, other: _Price) -> bool | None:
        """self < other; None if equal."""
        a, b = self.value, other.value
        if a < b * (1 - 1e-12):
            return True
        if a > b * (1 + 1e-12):
            return False
        left, right = self.num * other.den, other.num * self.den
        return None if left == right else left < right

    def minus(self, other: _Price) -> float:
        """A lower bound of self - other (>= 0 if self >= other)."""
        gap = self.value - other.value
        if abs(gap) > 1e-9 * max(self.value, other.value):
            return gap - 4e-16 * max(self.value, other.value)
        return (self.num * other.den - other.num * self.den) / (self.den * other.den)


# The analysis works in floating point, with every bound made this much more cautious
# than the rounding errors (about 1e-13 at most) could require.
_SAFE = 1e-7


class _Stability:
    """The smallest increase of the per-voter budget at which a decision could change."""

    def __init__(self) -> None:
        self.delta = math.inf

    def crossing(self, gap: float, closing: float) -> None:
        """A margin ``gap`` >= 0 that shrinks by at most ``closing`` per unit of b."""
        if closing > 0:
            delta = max(gap, 0.0) * (1 - _SAFE) / (closing * (1 + _SAFE))
            if delta < self.delta:
                self.delta = delta


class _Election:
    """Projects 0..m-1 and the ballots, grouped by identical ballot."""

    def __init__(self, options: Sequence[Option], ballots: Iterable[Sequence[int]], seed: str):
        ids = [option.id for option in options]
        if len(set(ids)) != len(ids):
            raise ValueError("option ids must be unique")
        for option in options:
            if option.cost <= 0:
                raise ValueError(f"project {option.id} must have a positive cost")
        index = {option_id: j for j, option_id in enumerate(ids)}
        self.ids = ids
        self.costs = [int(option.cost) for option in options]
        self.m = len(ids)
        rows: list[frozenset[int]] = []
        for ballot in ballots:
            try:
                chosen = frozenset(index[option_id] for option_id in ballot)
            except KeyError as error:
                raise ValueError(f"unknown option {error.args[0]!r} in a ballot") from None
            if len(chosen) != len(ballot):
                raise ValueError("a ballot approves a project twice")
            rows.append(chosen)
        self.n = len(rows)
        kinds = Counter(row for row in rows if row)
        # weighted[t, j]: how many voters cast ballot kind t, if it approves j; else 0.
        self.weighted = np.zeros((len(kinds), self.m), dtype=np.float64)
        for t, (row, count) in enumerate(kinds.items()):
            self.weighted[t, sorted(row)] = count
        self.approves = self.weighted > 0
        self.votes = [int(v) for v in self.weighted.sum(axis=0)] if kinds else [0] * self.m
        rank = {option_id: r for r, option_id in enumerate(lot_order(seed, ids))}
        self.rank = [rank[option_id] for option_id in ids]

    # ---- greedy -------------------------------------------------------------------

    def greedy(self, budget: int) -> list[int]:
        order = sorted(
            (j for j in range(self.m) if self.votes[j] > 0),
            key=lambda j: (-self.votes[j], self.rank[j]),
        )
        funded, spent = [], 0
        for j in order:
            if spent + self.costs[j] <= budget:
                funded.append(j)
                spent += self.costs[j]
        return funded

    # ---- MES ----------------------------------------------------------------------

    def cost_of(self, projects: Iterable[int]) -> int:
        return sum(self.costs[j] for j in projects)

    def exhaustive(self, funded: list[int], budget: int) -> bool:
        left = budget - self.cost_of(funded)
        chosen = set(funded)
        return not any(
            self.votes[j] > 0 and j not in chosen and self.costs[j] <= left for j in range(self.m)
        )

    def run(self, b: Fraction, analyse: bool = False) -> _Run:
        """One run of MES with per-voter budget ``b``, exactly.

        Voters are grouped in *classes* that have the same money left, kept as integer
        numerators over one common denominator ``scale``. With ``analyse``, the run also
        finds a per-voter budget up to which each of its decisions stays the same. While
        they do, a class's money is affine in the per-voter budget b, and rises with it
        (its *slope* is >= 0), so every price falls. Then:

        - each poor supporter of a winner (money < alpha: pays all it has) stays poor
          until its money meets the falling alpha; rich ones stay rich;
        - every other candidate stays at least as expensive as the winner (strictly if
          it is earlier in the lot): its alpha is the maximum, over sets P of its
          supporters, of ``(cost - money of P) / (supporters outside P)``, a maximum of
          affine functions of b, so the piece found at b (its *tangent*) is a lower
          bound for every b, and in later rounds too, where money is only lower;
        - a project found unaffordable stays so until its supporters' money reaches
          its cost.

        All margins are exact; the rates at which they close are floating point, made
        cautious by ``_SAFE``, so the bound found is never too high.
        """
        b = Fraction(b)
        label = np.zeros(self.weighted.shape[0], dtype=np.intp)  # class of each kind
        scale = b.denominator
        money: list[int] = [b.numerator]  # in units of 1/scale
        money_f: list[float] = [float(b)]
        slope: list[float] = [1.0]  # how fast a class's money rises with b
        zero_class: int | None = None
        alive = [j for j in range(self.m) if self.votes[j] > 0]
        price: dict[int, _Price] = {}  # last rho found: a lower bound from then on
        falling: dict[int, float] = {}  # how fast that lower bound falls with b
        funded: list[int] = []
        rounds: list[tuple[int, Fraction, int, list[int]]] = []
        stability = _Stability()
        while alive:
            size = len(money)
            money_arr = np.array(money_f)
            slope_arr = np.array(slope)
            best: tuple[int, _Eval] | None = None
            tied: list[int] = []  # at the best price so far
            unaffordable = []
            # Candidates by their last price, roughly (never-priced ones first).
            known = {j: price[j].value for j in alive if j in price}
            for j in sorted(alive, key=lambda j: (j in known, known.get(j, 0.0), self.rank[j])):
                if best is not None and j in known and known[j] > best[1].rho.value * (1 + 1e-9):
                    break  # neither this one nor any later can beat the best
                counts = np.bincount(label, weights=self.weighted[:, j], minlength=size)
                ev = self._price(j, counts, scale, money, money_arr, slope_arr, analyse, stability)
                if ev is None:
                    unaffordable.append(j)
                    continue
                price[j] = ev.rho
                falling[j] = ev.falling / self.costs[j]
                if best is None:
                    best, tied = (j, ev), [j]
                    continue
                below = ev.rho.below(best[1].rho)  # None: the same price
                if below:
                    tied = [j]
                elif below is None:
                    tied.append(j)
                if below or (below is None and self.rank[j] < self.rank[best[0]]):
                    best = (j, ev)
            for j in unaffordable:
                alive.remove(j)
            if best is None:
                break
            w, ev = best
            alive.remove(w)
            funded.append(w)
            exhausted = int(ev.counts[ev.poor].sum()) if ev.poor else 0
            lot = sorted(tied, key=lambda j: self.rank[j]) if len(tied) > 1 else []
            rounds.append((w, Fraction(ev.paid, ev.rich * scale), exhausted, lot))
            if analyse:
                falls = falling[w]  # exact for the winner, up to rounding
                for c in alive:
                    stability.crossing(
                        price[c].minus(ev.rho), falling[c] * (1 + _SAFE) - falls * (1 - _SAFE)
                    )
                for k in ev.poor:
                    gap = (ev.paid - ev.rich * money[k]) / (ev.rich * scale)
                    stability.crossing(gap, slope[k] + ev.falling)
            # Charge the winner's supporters: poor classes pay all, rich ones alpha. Money
            # is now counted in units of 1 / (rich * scale).
            rich = ev.rich
            scale *= rich
            money = [rich * have for have in money]
            target = np.arange(size)
            poor = set(ev.poor)
            for k in np.flatnonzero(ev.counts).tolist():
                if k in poor:
                    if zero_class is None:
                        zero_class = len(money)
                        money.append(0)
                        money_f.append(0.0)
                        slope.append(0.0)
                    target[k] = zero_class
                else:
                    target[k] = len(money)
                    left = money[k] - ev.paid
                    money.append(left)
                    money_f.append(left / scale)
                    slope.append(slope[k] + ev.falling)
            label = np.where(self.approves[:, w], target[label], label)
            if len(money) > 2 * max(8, len(np.unique(label))):
                used, inverse = np.unique(label, return_inverse=True)
                keep = used.tolist()
                zero_class = keep.index(zero_class) if zero_class in keep else None
                label = inverse.astype(np.intp)
                money = [money[k] for k in keep]
                money_f = [money_f[k] for k in keep]
                slope = [slope[k] for k in keep]
            common = math.gcd(scale, *money)
            if common > 1:
                scale //= common
                money = [have // common for have in money]
        stable = None
        if analyse and math.isfinite(stability.delta):
            stable = b + Fraction(stability.delta)
        return _Run(funded, rounds, stable)

    def _price(
        self,
        j: int,
        counts: np.ndarray,
        scale: int,
        money: list[int],
        money_arr: np.ndarray,
        slope_arr: np.ndarray,
        analyse: bool,
        stability: _Stability,
    ) -> _Eval | None:
        """alpha for project j, or None if its supporters cannot pay for it."""
        cost = self.costs[j]
        supporters = self.votes[j]
        ks = np.flatnonzero(counts)
        cs = counts[ks]
        have = money_arr[ks]
        total = float(cs @ have)
        if total <= cost * (1 + _NEAR) and (
            total < cost * (1 - _NEAR)
            or sum(c * money[k] for k, c in zip(ks.tolist(), cs.tolist(), strict=True))
            < cost * scale
        ):
            if analyse:  # affordable once the supporters' money reaches the cost
                stability.crossing(cost - total * (1 + _SAFE), float(cs @ slope_arr[ks]))
            return None
        paid, rich, poor = cost * scale, supporters, []
        if have.min() <= (cost / supporters) * (1 + _NEAR):
            paid, rich, poor = self._water_fill(cost, supporters, ks, cs, have, scale, money)
        rate = 0.0
        if poor and analyse:
            rate = float(counts[poor] @ slope_arr[poor]) / rich
        den = rich * scale * cost
        return _Eval(paid, rich, _Price(paid, den, paid / den), counts, poor, rate)

    @staticmethod
    def _water_fill(
        cost: int,
        supporters: int,
        ks: np.ndarray,
        cs: np.ndarray,
        have: np.ndarray,
        scale: int,
        money: list[int],
    ) -> tuple[int, int, list[int]]:
        """alpha = paid / (rich * scale), and the classes that pay all they have.

        The poor (money < alpha) are found with floating point, then checked exactly; if
        the check fails (values too close to tell apart in floating point), they are
        found again exactly."""
        order = np.argsort(have, kind="stable")
        sorted_have = have[order]
        sorted_counts = cs[order]
        paid_before = np.concatenate(([0.0], np.cumsum(sorted_counts * sorted_have)[:-1]))
        count_before = np.concatenate(([0.0], np.cumsum(sorted_counts)[:-1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            alphas = (cost - paid_before) / (supporters - count_before)
        fits = np.flatnonzero(alphas <= sorted_have)
        if len(fits):
            first = int(fits[0])
            guess = ks[order[:first]].tolist()
            guess_counts = cs[order[:first]].tolist()
            rich = supporters - int(sum(guess_counts))
            if rich > 0:
                paid = cost * scale - sum(
                    int(c) * money[k] for k, c in zip(guess, guess_counts, strict=True)
                )
                alpha_f = paid / (rich * scale)
                surely_poor = have < alpha_f * (1 - 1e-12)
                unsure = ~surely_poor & (have <= alpha_f * (1 + 1e-12))
                actual = set(ks[surely_poor].tolist())
                actual.update(k for k in ks[unsure].tolist() if rich * money[k] < paid)
                if actual == set(guess):
                    return paid, rich, sorted(actual)
        # Exact fallback.
        keys = ks.tolist()
        by_money = sorted(zip([money[k] for k in keys], keys, cs.tolist(), strict=True))
        paid, rich = cost * scale, supporters
        poor: list[int] = []
        for have_k, k, c in by_money:
            if paid <= rich * have_k:  # alpha = paid / (rich * scale) <= this money
                return paid, rich, poor
            poor.append(k)
            paid -= int(c) * have_k
            rich -= int(c)
        raise AssertionError("unaffordable project priced")  # pragma: no cover

    def add1(self, budget: int, *, jump: bool = True) -> EqualShares:
        """MES with the Add1 completion (see the module docstring)."""
        if self.n == 0:
            return EqualShares((), (), None, 0)
        b = Fraction(budget, self.n)
        run = self.run(b, analyse=jump)
        runs = 1
        while not self.exhaustive(run.funded, budget):
            after = Fraction(math.floor(b) + 1)
            # (An analysed run stable for every larger budget cannot be inexhaustive: with
            # enough money MES funds every project with a supporter. Then simply step.)
            if run.stable_below is not None:
                after = max(after, Fraction(math.ceil(run.stable_below)))
            following = self.run(after, analyse=jump)
            runs += 1
            if self.cost_of(following.funded) > budget:
                # The budgets skipped had this run's outcome; the last of them is where
                # stepping one unit at a time stops too.
                b = max(b, after - 1)
                break
            b, run = after, following
        return self._outcome(run, b, runs)

    def fixed(self, per_voter_budget: Fraction) -> EqualShares:
        if self.n == 0:
            return EqualShares((), (), None, 0)
        return self._outcome(self.run(Fraction(per_voter_budget)), Fraction(per_voter_budget), 1)

    def _outcome(self, run: _Run, b: Fraction, runs: int) -> EqualShares:
        rounds = tuple(
            Round(self.ids[j], alpha, self.votes[j], exhausted, tuple(self.ids[t] for t in tied))
            for j, alpha, exhausted, tied in run.rounds
        )
        return EqualShares(
            funded=tuple(self.ids[j] for j in run.funded),
            rounds=rounds,
            per_voter_budget=b,
            spent=self.cost_of(run.funded),
            runs=runs,
        )


# ---- public API ------------------------------------------------------------------------


def equal_shares(
    options: Sequence[Option],
    ballots: Iterable[Sequence[int]],
    seed: str,
    *,
    budget: int | None = None,
    per_voter_budget: Fraction | int | None = None,
    jump: bool = True,
) -> EqualShares:
    """MES. With ``budget``: with the Add1 completion (``jump=False`` raises the
    per-voter budget one unit at a time, for tests). With ``per_voter_budget``: one run
    of MES with exactly that budget per voter, no completion."""
    election = _Election(options, ballots, seed)
    if per_voter_budget is not None:
        return election.fixed(Fraction(per_voter_budget))
    if budget is None:
        raise TypeError("give budget or per_voter_budget")
    return election.add1(budget, jump=jump)


def greedy(
    options: Sequence[Option], ballots: Iterable[Sequence[int]], seed: str, *, budget: int
) -> tuple[int, ...]:
    """Most votes first, each project funded if it still fits; ties by the lot."""
    election = _Election(options, ballots, seed)
    return tuple(election.ids[j] for j in election.greedy(budget))


def tally(
    options: Sequence[Option], ballots: Iterable[Sequence[int]], seed: str, *, budget: int
) -> Result:
    if budget < 0:
        raise ValueError("the budget must not be negative")
    election = _Election(options, ballots, seed)
    mes = election.add1(budget)
    greedy_funded = election.greedy(budget)
    details: dict[str, Any] = {
        "mes": {
            "funded": list(mes.funded),
            "spent": mes.spent,
            "per_voter_budget": (
                None if mes.per_voter_budget is None else str(mes.per_voter_budget)
            ),
            "rounds": [r.as_json() for r in mes.rounds],
        },
        "greedy": {
            "funded": [election.ids[j] for j in greedy_funded],
            "spent": election.cost_of(greedy_funded),
        },
        "votes": {str(i): election.votes[j] for j, i in enumerate(election.ids)},
        "cost": {str(i): election.costs[j] for j, i in enumerate(election.ids)},
        "budget": budget,
        "ballots": election.n,
    }
    return Result(method=METHOD, winners=mes.funded, ranking=mes.funded, details=details)
