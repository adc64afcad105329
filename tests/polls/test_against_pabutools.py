"""Our participatory-budgeting tallies against pabutools, the reference implementation, on
many small random profiles (3 to 8 projects, 1 to 30 voters), and on the real elections.

The random profiles are made so that ties and near misses are frequent: a few typical
ballots repeated (with cost satisfaction, two projects whose supporters all still have
enough money tie whenever they have as many supporters), costs from a few values, and
budgets that are often exactly the cost of a set of projects. pabutools is given a
tie-breaking rule that follows our lot, so every outcome must be equal, in order.

Where our conventions differ from pabutools' (docs/polls.md, "Participatory budgeting"),
each difference is checked here:

- Greedy: pabutools funds projects nobody voted for last, if they still fit; we never do.
  So our greedy outcome is pabutools' without its zero-vote projects.
- Add1: pabutools raises the per-voter budget from ``budget / voters`` in steps of one
  (``budget / voters + 1``, ``+ 2``, ...); equalshares.net, which cities use, and we go on
  from the integral part (``floor(budget / voters) + 1``, ``+ 2``, ...). When the number
  of voters divides the budget the two are the same and we compare with pabutools'
  ``voter_budget_increment=1`` directly; otherwise with equalshares.net's loop around
  pabutools' MES for a given per-voter budget.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import pytest
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
from pabutools.rules import BudgetAllocation, greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.rules.mes.mes_rule import method_of_equal_shares_scheme
from pabutools.tiebreaking import TieBreakingException, TieBreakingRule, refuse_tie_breaking

from deliberate.polls import pabulib
from deliberate.polls.methods import budget
from deliberate.polls.methods.common import Option, lot_key
from tests.polls.test_pabulib import REAL_FILES, real_file

PROFILES = 600  # MES with the fair share, and greedy
ADD1_PROFILES = 300  # the completion, on small budgets


@dataclass
class Election:
    options: list[Option]
    ballots: list[list[int]]
    budget: int
    seed: str

    def reference(self) -> tuple[Instance, ApprovalProfile]:
        projects = {o.id: Project(str(o.id), o.cost) for o in self.options}
        instance = Instance(projects.values(), budget_limit=self.budget)
        profile = ApprovalProfile(
            [ApprovalBallot([projects[i] for i in ballot]) for ballot in self.ballots],
            instance=instance,
        )
        return instance, profile

    def lot(self) -> TieBreakingRule:
        return TieBreakingRule(lambda _inst, _prof, project: lot_key(self.seed, int(project.name)))

    def votes(self) -> dict[int, int]:
        return {o.id: sum(o.id in ballot for ballot in self.ballots) for o in self.options}


def random_election(case: int, *, unit: int | None = None) -> Election:
    rnd = random.Random(f"pabutools-{case}")
    m = rnd.randint(3, 8)
    n = rnd.randint(1, 30)
    if unit is None:
        unit = rnd.choice([1, 1, 10, 1000])
    ids = rnd.sample(range(1, 1000), m)
    options = [Option(i, unit * rnd.choice([1, 2, 2, 3, 4, 6, 9])) for i in ids]

    def subset() -> list[int]:
        p = rnd.random()
        return [i for i in ids if rnd.random() < p]

    typical = [subset() for _ in range(rnd.randint(1, 4))]
    ballots = [rnd.choice(typical) if rnd.random() < 0.7 else subset() for _ in range(n)]
    for ballot in ballots:
        rnd.shuffle(ballot)
    fitting = sum(o.cost for o in rnd.sample(options, rnd.randint(1, m)))
    total = fitting + rnd.choice([0, 0, 0, -1, 1, unit, -unit])
    return Election(options, ballots, max(total, 0), f"seed-{case}")


def names(allocation: BudgetAllocation) -> list[int]:
    return [int(project.name) for project in allocation]


@pytest.mark.parametrize("case", range(PROFILES))
def test_mes_and_greedy_match_pabutools(case: int) -> None:
    election = random_election(case)
    instance, profile = election.reference()
    n = len(election.ballots)

    ours = budget.equal_shares(
        election.options,
        election.ballots,
        election.seed,
        per_voter_budget=Fraction(election.budget, n),
    )
    theirs = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, tie_breaking=election.lot()
    )
    assert list(ours.funded) == names(theirs)

    our_greedy = budget.greedy(
        election.options, election.ballots, election.seed, budget=election.budget
    )
    their_greedy = greedy_utilitarian_welfare(
        instance, profile, sat_class=Cost_Sat, tie_breaking=election.lot()
    )
    votes = election.votes()
    assert list(our_greedy) == [i for i in names(their_greedy) if votes[i] > 0]


def test_the_random_profiles_have_ties() -> None:
    """The comparison above is only worth something if ties happen: pabutools with a rule
    that refuses to break ties must raise on a good share of the profiles."""
    mes_ties = greedy_ties = 0
    for case in range(0, PROFILES, 3):
        election = random_election(case)
        instance, profile = election.reference()
        try:
            method_of_equal_shares(
                instance, profile, sat_class=Cost_Sat, tie_breaking=refuse_tie_breaking
            )
        except TieBreakingException:
            mes_ties += 1
        counts = sorted(election.votes().values())
        greedy_ties += any(a == b > 0 for a, b in itertools.pairwise(counts))
    assert mes_ties >= PROFILES // 3 // 5, mes_ties
    assert greedy_ties >= PROFILES // 3 // 5, greedy_ties


def pabutools_mes(election: Election, per_voter: Fraction) -> list[int]:
    instance, profile = election.reference()
    allocation = method_of_equal_shares_scheme(
        instance,
        profile,
        profile.as_sat_profile(Cost_Sat),
        per_voter,
        BudgetAllocation(),
        election.lot(),
        binary_sat=True,
    )
    return names(allocation)


def equalshares_add1(election: Election) -> list[int]:
    """equalshares.net's Add1 loop, with pabutools' MES for each per-voter budget."""
    n = len(election.ballots)
    cost = {o.id: o.cost for o in election.options}
    supported = {i for i, v in election.votes().items() if v > 0}
    outcome = pabutools_mes(election, Fraction(election.budget, n))
    per_voter = math.floor(Fraction(election.budget, n))
    while True:
        left = election.budget - sum(cost[i] for i in outcome)
        if not any(cost[i] <= left for i in supported - set(outcome)):
            return outcome  # exhaustive
        per_voter += 1
        following = pabutools_mes(election, Fraction(per_voter))
        if sum(cost[i] for i in following) > election.budget:
            return outcome
        outcome = following


@pytest.mark.parametrize("case", range(ADD1_PROFILES))
def test_add1_matches_pabutools(case: int) -> None:
    election = random_election(10_000 + case, unit=1)
    n = len(election.ballots)
    ours = budget.equal_shares(
        election.options, election.ballots, election.seed, budget=election.budget
    )
    stepping = budget.equal_shares(
        election.options, election.ballots, election.seed, budget=election.budget, jump=False
    )
    assert ours.funded == stepping.funded
    assert ours.per_voter_budget == stepping.per_voter_budget
    assert list(ours.funded) == equalshares_add1(election)
    if election.budget % n == 0:
        instance, profile = election.reference()
        theirs = method_of_equal_shares(
            instance,
            profile,
            sat_class=Cost_Sat,
            tie_breaking=election.lot(),
            voter_budget_increment=1,
        )
        assert list(ours.funded) == names(theirs)


def test_add1_on_divisible_budgets_matches_pabutools_increment() -> None:
    """pabutools' own ``voter_budget_increment=1`` on profiles where the budget is a
    multiple of the number of voters (where its steps and ours coincide)."""
    compared = 0
    for case in range(200):
        election = random_election(20_000 + case, unit=1)
        n = len(election.ballots)
        election.budget = n * max(1, round(election.budget / n))
        instance, profile = election.reference()
        theirs = method_of_equal_shares(
            instance,
            profile,
            sat_class=Cost_Sat,
            tie_breaking=election.lot(),
            voter_budget_increment=1,
        )
        ours = budget.equal_shares(
            election.options, election.ballots, election.seed, budget=election.budget
        )
        assert list(ours.funded) == names(theirs), case
        compared += 1
    assert compared == 200


@pytest.mark.parametrize("case", range(150))
def test_jumping_equals_stepping_one_unit_at_a_time(case: int) -> None:
    """The completion skips per-voter budgets whose outcome cannot differ; on larger
    costs (many steps) it must still give what stepping one unit at a time gives."""
    election = random_election(30_000 + case, unit=random.Random(case).choice([10, 100, 1000]))
    jumped = budget.equal_shares(
        election.options, election.ballots, election.seed, budget=election.budget
    )
    stepped = budget.equal_shares(
        election.options, election.ballots, election.seed, budget=election.budget, jump=False
    )
    assert jumped.funded == stepped.funded
    assert jumped.per_voter_budget == stepped.per_voter_budget
    assert jumped.runs <= stepped.runs


# ---- the real elections -----------------------------------------------------------------

# The files that say which projects were funded in reality (a ``selected`` column); the
# other five do not, so for them there is no official outcome to compare with.
OFFICIAL = (
    "Netherlands_Assen_2024.pb",  # equalshares/add1
    "Poland_Swiecie_2023.pb",  # equalshares/add1
    "Poland_Czestochowa_2024_Stradom.pb",  # greedy, cumulative: on points
    "Poland_Warszawa_2017_Piaski.pb",  # greedy
    "Poland_Warszawa_2019_Targowek.pb",  # greedy
)


@dataclass
class Real:
    instance: pabulib.Instance
    number: dict[str, int]  # pabulib project id -> our option id
    options: list[Option]

    @classmethod
    def load(cls, name: str) -> Real:
        instance = pabulib.parse(real_file(name).read_text(encoding="utf-8"))
        number = {p.id: n for n, p in enumerate(instance.projects, start=1)}
        options = [Option(number[p.id], p.cost) for p in instance.projects]
        return cls(instance, number, options)

    def ballots(self, reading: Literal["points", "supporters"] = "points") -> list[list[int]]:
        return [
            [self.number[i] for i in ballot]
            for ballot in pabulib.approval_ballots(self.instance, reading)
        ]

    def ids(self, funded: tuple[int, ...] | list[int]) -> set[str]:
        by_number = {n: i for i, n in self.number.items()}
        return {by_number[n] for n in funded}

    def reference(self, seed: str) -> tuple[Instance, ApprovalProfile, TieBreakingRule]:
        """pabutools' reading of the file (approvals, or every project a voter named)."""
        election = Election(self.options, self.ballots("supporters"), self.instance.budget, seed)
        instance, profile = election.reference()
        return instance, profile, election.lot()


def test_the_files_with_an_official_outcome() -> None:
    for name in REAL_FILES:
        instance = Real.load(name).instance
        has_selected = any(p.selected is not None for p in instance.projects)
        assert has_selected == (name in OFFICIAL), name
        assert instance.meta["rule"] in ("greedy", "equalshares/add1"), name


@pytest.mark.parametrize("seed", ["lot-1", "lot-2"])
@pytest.mark.parametrize("name", OFFICIAL)
def test_official_outcomes_are_reproduced(name: str, seed: str) -> None:
    """equalshares/add1 -> our MES with Add1; greedy -> our greedy on the city's count
    (points for Częstochowa's cumulative vote). Whatever the lot."""
    real = Real.load(name)
    instance = real.instance
    official = {p.id for p in instance.projects if p.selected}
    if instance.meta["rule"] == "equalshares/add1":
        result = budget.tally(real.options, real.ballots(), seed, budget=instance.budget)
        assert real.ids(result.winners) == official
        assert result.details["mes"]["spent"] <= instance.budget
    else:
        funded = budget.greedy(real.options, real.ballots(), seed, budget=instance.budget)
        assert real.ids(funded) == official


def test_stradom_needs_the_points_reading() -> None:
    """Counting supporters instead of points would not give Częstochowa's outcome."""
    real = Real.load("Poland_Czestochowa_2024_Stradom.pb")
    official = {p.id for p in real.instance.projects if p.selected}
    by_supporters = budget.greedy(
        real.options, real.ballots("supporters"), "lot", budget=real.instance.budget
    )
    assert real.ids(by_supporters) != official


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_files_match_pabutools(name: str) -> None:
    """On every file: MES with the fair share and greedy equal pabutools' (parsed by
    us, each voter approving every project they named); where the city's count is not
    by supporters, greedy on points equals pabutools' greedy on the expanded ballots."""
    real = Real.load(name)
    seed = "real"
    instance, profile, lot = real.reference(seed)
    n = len(real.instance.votes)
    ours = budget.equal_shares(
        real.options,
        real.ballots("supporters"),
        seed,
        per_voter_budget=Fraction(real.instance.budget, n),
    )
    theirs = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=lot)
    assert list(ours.funded) == names(theirs)
    our_greedy = budget.greedy(
        real.options, real.ballots("supporters"), seed, budget=real.instance.budget
    )
    their_greedy = greedy_utilitarian_welfare(
        instance, profile, sat_class=Cost_Sat, tie_breaking=lot
    )
    assert list(our_greedy) == names(their_greedy)
    if real.instance.vote_type != "approval":
        points = Election(real.options, real.ballots("points"), real.instance.budget, seed)
        instance, profile = points.reference()
        their_greedy = greedy_utilitarian_welfare(
            instance, profile, sat_class=Cost_Sat, tie_breaking=points.lot()
        )
        our_greedy = budget.greedy(
            points.options, points.ballots, points.seed, budget=points.budget
        )
        assert list(our_greedy) == names(their_greedy)


def test_assen_add1_agrees_with_pabutools_increment() -> None:
    """Assen: 84 voters do not divide 100,000, so pabutools' steps are not ours; both
    give the official outcome."""
    real = Real.load("Netherlands_Assen_2024.pb")
    instance, profile, lot = real.reference("assen")
    theirs = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, tie_breaking=lot, voter_budget_increment=1
    )
    ours = budget.equal_shares(real.options, real.ballots(), "assen", budget=real.instance.budget)
    assert set(ours.funded) == set(names(theirs))
    assert real.ids(ours.funded) == {p.id for p in real.instance.projects if p.selected}
