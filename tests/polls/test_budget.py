"""The budget method on hand-made examples whose outcome can be worked out on paper."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from deliberate.polls.methods import budget
from deliberate.polls.methods.common import Option, lot_order, result_sha256


def seed_where(first: int, among: list[int]) -> str:
    """A tie-break seed whose lot puts ``first`` before the others of ``among``."""
    for n in range(1000):
        seed = f"seed-{n}"
        if lot_order(seed, among)[0] == first:
            return seed
    raise AssertionError("no such seed")  # pragma: no cover


def test_equalshares_net_example() -> None:
    """The example in equalshares.net's reference code: three voters, budget 150."""
    p1, p2, p3 = Option(1, 100), Option(2, 50), Option(3, 50)
    ballots = [[1, 2], [1], [3]]  # p1: v1 and v2; p2: v1; p3: v3
    result = budget.tally([p1, p2, p3], ballots, "seed", budget=150)
    assert result.winners == (1, 3)
    mes = result.details["mes"]
    assert mes["spent"] == 150
    assert mes["per_voter_budget"] == "50"
    assert [r["project"] for r in mes["rounds"]] == [1, 3]
    assert [r["max_payment"] for r in mes["rounds"]] == ["50", "50"]


def test_a_supporter_who_cannot_pay_an_equal_share_pays_all_they_have() -> None:
    """Four voters, 10 each. P1 (18) is shared by v1, v2, v3: 6 each, 6 per 18 -> price
    1/3, the cheapest. Then P2 (12, v3 and v4): an equal share would be 6, but v3 has
    only 4 left, so v3 pays 4 and v4 pays 8 (price 8/12). P3 (15, v1 and v2) cannot be
    paid any more (4 + 4 < 15), nor does it fit in the 10 left: exhaustive."""
    options = [Option(1, 18), Option(2, 12), Option(3, 15)]
    ballots = [[1, 3], [1, 3], [1, 2], [2]]
    result = budget.tally(options, ballots, "seed", budget=40)
    assert result.winners == result.ranking == (1, 2)
    rounds = result.details["mes"]["rounds"]
    assert rounds == [
        {"project": 1, "max_payment": "6", "supporters": 3, "exhausted": 0, "tied": []},
        {"project": 2, "max_payment": "8", "supporters": 2, "exhausted": 1, "tied": []},
    ]
    assert result.details["mes"]["spent"] == 30
    assert result.details["mes"]["per_voter_budget"] == "10"


def test_proportional_where_greedy_is_not() -> None:
    """51 voters want the red projects, 49 the blue ones; ten projects of each colour,
    each costing 10, and a budget of 100. Greedy funds the ten red projects; MES gives
    each side what its share of the budget pays for: five red, four blue (and raising the
    per-voter budget to 2 would fund 19 projects, 190 > 100, so Add1 stops at once)."""
    red = [Option(i, 10) for i in range(1, 11)]
    blue = [Option(i, 10) for i in range(11, 21)]
    ballots = [[o.id for o in red]] * 51 + [[o.id for o in blue]] * 49
    result = budget.tally(red + blue, ballots, "seed", budget=100)
    funded = result.winners
    assert len(funded) == 9
    # All red first (price 1/51 < 1/49), and among equals, the lot decides which.
    assert list(funded[:5]) == lot_order("seed", [o.id for o in red])[:5]
    assert result.details["mes"]["rounds"][0]["tied"] == lot_order("seed", [o.id for o in red])
    assert (
        result.details["mes"]["rounds"][4]["tied"]
        == list(funded[4:5]) + lot_order("seed", [o.id for o in red])[5:]
    )
    assert list(funded[5:]) == lot_order("seed", [o.id for o in blue])[:4]
    assert result.details["greedy"]["funded"] == lot_order("seed", [o.id for o in red])
    assert result.details["greedy"]["spent"] == 100


def test_add1_raises_the_per_voter_budget_while_the_outcome_fits() -> None:
    """Two voters, budget 10 (5 each). A (6) is shared, 3 each; B (4) is v1's alone, and
    v1 has only 2 left. Raising the per-voter budget to 6 leaves v1 3, still too little;
    at 7, v1 has 4 and B is funded: 10, within the budget, and nothing else fits."""
    options = [Option(1, 6), Option(2, 4)]
    ballots = [[1, 2], [1]]
    fair = budget.equal_shares(options, ballots, "s", per_voter_budget=5)
    assert fair.funded == (1,)
    completed = budget.equal_shares(options, ballots, "s", budget=10)
    assert completed.funded == (1, 2)
    assert completed.per_voter_budget == 7
    stepped = budget.equal_shares(options, ballots, "s", budget=10, jump=False)
    assert stepped.funded == (1, 2) and stepped.per_voter_budget == 7


def test_no_greedy_completion_after_add1() -> None:
    """Three voters, budget 12 (4 each). A (9, everyone) leaves each voter 1; B (2, v1)
    and C (2, v2) cannot be paid. At 5 per voter both can, and A + B + C = 13 > 12, so
    the outcome stays A alone. B would still fit in the 3 left, but we do not add
    projects greedily after Add1 (as equalshares.net, and as Assen's official outcome):
    the remainder stays unspent. Greedy, beside it, funds A and one of B and C by lot."""
    options = [Option(1, 9), Option(2, 2), Option(3, 2)]
    ballots = [[1, 2], [1, 3], [1]]
    seed = seed_where(3, [2, 3])
    result = budget.tally(options, ballots, seed, budget=12)
    assert result.winners == (1,)
    assert result.details["mes"]["spent"] == 9
    assert result.details["mes"]["per_voter_budget"] == "4"
    assert result.details["greedy"] == {"funded": [1, 3], "spent": 11}


def test_greedy_skips_a_project_that_no_longer_fits() -> None:
    options = [Option(1, 6), Option(2, 6), Option(3, 3), Option(4, 1)]
    ballots = [[1, 2, 3]] * 3 + [[1, 2]] + [[1]]  # votes: 1: 5, 2: 4, 3: 3, 4: 0
    assert budget.greedy(options, ballots, "seed", budget=10) == (1, 3)
    # Project 4 would fit, but nobody voted for it.
    result = budget.tally(options, ballots, "seed", budget=10)
    assert result.details["votes"] == {"1": 5, "2": 4, "3": 3, "4": 0}
    assert 4 not in result.winners


@pytest.mark.parametrize("first", [2, 3])
def test_greedy_ties_by_lot(first: int) -> None:
    options = [Option(1, 18), Option(2, 12), Option(3, 15)]
    ballots = [[1, 3], [1, 3], [1, 2], [2]]  # votes 3, 2, 2; budget room for 1 and one more
    seed = seed_where(first, [2, 3])
    assert budget.greedy(options, ballots, seed, budget=40) == (1, first)


@pytest.mark.parametrize("first", [1, 2])
def test_mes_ties_by_lot(first: int) -> None:
    """Same cost, same supporters: equal prices in every round; room for one."""
    options = [Option(1, 10), Option(2, 10)]
    ballots = [[1, 2], [2, 1]]
    seed = seed_where(first, [1, 2])
    result = budget.tally(options, ballots, seed, budget=10)
    assert result.winners == (first,)
    assert result.details["mes"]["rounds"][0]["tied"] == lot_order(seed, [1, 2])
    assert result.details["greedy"]["funded"] == [first]


def test_mes_ties_on_price_but_not_on_votes_go_by_lot_too() -> None:
    """Equal price 1/2 per unit: A (4, two supporters with 2 each -> 2 each) and B
    (6, two supporters -> 3 each): equalshares.net would take the cheaper A; we follow the
    lot, whichever it is."""
    options = [Option(1, 4), Option(2, 6)]
    ballots = [[1], [1], [2], [2]]
    for first in (1, 2):
        seed = seed_where(first, [1, 2])
        result = budget.equal_shares(options, ballots, seed, per_voter_budget=3)
        assert result.funded == ((1, 2) if first == 1 else (2, 1))


def test_empty_ballots_count_in_the_share() -> None:
    """Two voters want A (12); two others hand in empty ballots; budget 20: 5 each, so
    A's supporters have 10 < 12. Add1 raises the share to 6 per voter: 12, funded."""
    options = [Option(1, 12)]
    result = budget.tally(options, [[1], [1], [], []], "seed", budget=20)
    assert result.winners == (1,)
    assert result.details["ballots"] == 4
    assert result.details["mes"]["per_voter_budget"] == "6"
    # Without the empty ballots each supporter has 10 from the start.
    alone = budget.tally(options, [[1], [1]], "seed", budget=20)
    assert alone.details["mes"]["per_voter_budget"] == "10"


def test_only_empty_ballots_or_none() -> None:
    options = [Option(1, 5), Option(2, 7)]
    for ballots in ([[], [], []], []):
        result = budget.tally(options, ballots, "seed", budget=100)
        assert result.winners == result.ranking == ()
        assert result.details["greedy"] == {"funded": [], "spent": 0}
        assert result.details["mes"]["spent"] == 0
    assert budget.tally(options, [], "seed", budget=100).details["mes"]["per_voter_budget"] is None


def test_budget_smaller_than_every_project() -> None:
    options = [Option(1, 50), Option(2, 70)]
    ballots = [[1, 2], [1], [2]]
    result = budget.tally(options, ballots, "seed", budget=40)
    assert result.winners == ()
    assert result.details["greedy"]["funded"] == []
    assert result.details["mes"]["spent"] == 0


def test_result_shape_is_json_ready() -> None:
    options = [Option(7, 300), Option(3, 200), Option(5, 100)]
    ballots = [[7, 3], [3, 5], [7], [5, 3, 7]]
    result = budget.tally(options, ballots, "seed", budget=500)
    assert result.method == "budget"
    assert result.ranking == result.winners
    details = result.details
    assert set(details) == {"mes", "greedy", "votes", "cost", "budget", "ballots"}
    assert details["votes"] == {"7": 3, "3": 3, "5": 2}
    assert details["cost"] == {"7": 300, "3": 200, "5": 100}
    assert details["budget"] == 500 and details["ballots"] == 4
    assert list(result.winners) == details["mes"]["funded"]
    assert Fraction(details["mes"]["per_voter_budget"]) >= Fraction(500, 4)
    assert json.loads(json.dumps(result.as_json())) == result.as_json()
    assert len(result_sha256(result)) == 64
    # Pure: the same input, the same result.
    assert result_sha256(budget.tally(options, ballots, "seed", budget=500)) == result_sha256(
        result
    )


def test_large_budget_in_small_units_is_fast() -> None:
    """Raising the per-voter budget one yuan at a time on a budget of 10,000,000 yuan
    with 40 voters would take hundreds of thousands of runs; the completion skips the
    per-voter budgets whose outcome cannot differ."""
    options = [
        Option(i, cost)
        for i, cost in enumerate([3_100_000, 2_600_000, 1_900_000, 1_200_000, 900_000, 450_000], 1)
    ]
    ballots = [[1, 2]] * 13 + [[3, 4, 5]] * 11 + [[2, 6]] * 9 + [[5]] * 7
    result = budget.equal_shares(options, ballots, "seed", budget=10_000_000)
    assert result.runs < 10
    # Project 4 becomes affordable at 331,819 per voter, exactly where the jump landed;
    # then nothing else fits.
    assert result.funded == (2, 5, 3, 4, 6)
    assert result.per_voter_budget == 331_819
    assert result.spent == 7_050_000
    before = budget.equal_shares(options, ballots, "seed", per_voter_budget=331_818)
    assert before.funded == (2, 5, 3, 6)


@pytest.mark.parametrize(
    ("options", "ballots", "message"),
    [
        ([Option(1, 5)], [[2]], "unknown option"),
        ([Option(1, 5)], [[1, 1]], "twice"),
        ([Option(1, 0)], [[1]], "positive cost"),
        ([Option(1, 5), Option(1, 6)], [[1]], "unique"),
    ],
)
def test_bad_input(options: list[Option], ballots: list[list[int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        budget.tally(options, ballots, "seed", budget=10)


def test_negative_budget() -> None:
    with pytest.raises(ValueError, match="negative"):
        budget.tally([Option(1, 5)], [[1]], "seed", budget=-1)
