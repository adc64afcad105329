"""Hand-made examples with known answers for every tally method, and the conventions
documented in docs/polls.md ("Methods")."""

from __future__ import annotations

import itertools
import json
import sys
import types
from typing import Any

import pytest

import deliberate.polls.methods
from deliberate.polls.methods import approval, ranked, score, single
from deliberate.polls.methods.common import (
    Option,
    Result,
    canonical_json,
    lot_order,
    result_sha256,
)
from deliberate.polls.methods.tally import tally


def options(*ids: int) -> list[Option]:
    return [Option(id=i) for i in ids]


def seed_with_lot(ids: list[int], order: list[int]) -> str:
    """A seed whose lot puts ``ids`` in ``order``."""
    for i in itertools.count():
        seed = f"seed-{i}"
        if lot_order(seed, ids) == order:
            return seed
    raise AssertionError("unreachable")


def ballots_from(groups: list[tuple[int, list[int]]]) -> list[list[int]]:
    return [list(ballot) for count, ballot in groups for _ in range(count)]


def assert_json_ready(value: Any) -> None:
    """String keys all the way down, and the canonical JSON round-trips."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), key
            assert_json_ready(item)
    elif isinstance(value, list | tuple):
        for item in value:
            assert_json_ready(item)
    else:
        assert value is None or isinstance(value, str | int | float), type(value)


def check_shape(result: Result) -> None:
    assert_json_ready(result.details)
    text = canonical_json(result.as_json())
    assert json.loads(text) == json.loads(json.dumps(result.as_json()))
    assert len(result_sha256(result)) == 64


# --- single choice -------------------------------------------------------------------


def test_single_counts_and_ranking() -> None:
    result = single.tally(options(10, 20, 30), [20, 10, 20, 30, 20, 10], "s")
    assert result.method == "single"
    assert result.winners == (20,)
    assert result.ranking == (20, 10, 30)
    assert result.details == {
        "counts": {"10": 2, "20": 3, "30": 1},
        "ballots": 6,
        "tied": [],
    }
    check_shape(result)


def test_single_tie_is_decided_by_the_lot_and_another_seed_flips_it() -> None:
    ids = [1, 2, 3]
    ballots = [1, 2, 1, 2, 3]
    first = seed_with_lot(ids, [1, 2, 3])
    other = seed_with_lot(ids, [2, 3, 1])
    a = single.tally(options(*ids), ballots, first)
    b = single.tally(options(*ids), ballots, other)
    assert (a.winners, a.ranking, a.details["tied"]) == ((1,), (1, 2, 3), [1, 2])
    assert (b.winners, b.ranking, b.details["tied"]) == ((2,), (2, 1, 3), [2, 1])
    assert a.details["counts"] == b.details["counts"]


def test_single_no_ballots_no_winner_ranking_by_lot() -> None:
    result = single.tally(options(5, 6, 7), [], "poll-seed")
    assert result.winners == ()
    assert list(result.ranking) == lot_order("poll-seed", [5, 6, 7])
    assert result.details == {"counts": {"5": 0, "6": 0, "7": 0}, "ballots": 0, "tied": []}
    check_shape(result)


def test_single_one_option() -> None:
    assert single.tally(options(4), [4, 4], "s").winners == (4,)
    assert single.tally(options(4), [], "s").winners == ()


@pytest.mark.parametrize("bad", [99, "1", None, 1.5])
def test_single_refuses_unknown_choices(bad: object) -> None:
    with pytest.raises(ValueError, match="unknown option"):
        single.tally(options(1, 2), [1, bad], "s")  # type: ignore[list-item]


def test_repeated_option_ids_are_refused() -> None:
    for method in (single, approval, ranked, score):
        with pytest.raises(ValueError, match="distinct"):
            method.tally(options(1, 1), [], "s")


# --- approval --------------------------------------------------------------------------


def test_approval_counts() -> None:
    result = approval.tally(options(1, 2, 3, 4), [[1, 2], [2, 3], [2], [], [4, 1]], "s")
    assert result.winners == (2,)
    assert result.details["counts"] == {"1": 2, "2": 3, "3": 1, "4": 1}
    assert result.details["ballots"] == 5
    assert result.ranking[0] == 2 and result.ranking[-2:] in ((3, 4), (4, 3))
    check_shape(result)


def test_approval_tie_by_lot_and_seed_flip() -> None:
    ids = [1, 2, 3]
    ballots = [[1, 2], [3], [2, 1]]
    a = approval.tally(options(*ids), ballots, seed_with_lot(ids, [3, 2, 1]))
    b = approval.tally(options(*ids), ballots, seed_with_lot(ids, [3, 1, 2]))
    assert (a.winners, a.ranking, a.details["tied"]) == ((2,), (2, 1, 3), [2, 1])
    assert (b.winners, b.ranking, b.details["tied"]) == ((1,), (1, 2, 3), [1, 2])


def test_approval_nobody_approved_anything() -> None:
    for ballots in ([], [[], []]):
        result = approval.tally(options(1, 2), ballots, "s")
        assert result.winners == ()
        assert list(result.ranking) == lot_order("s", [1, 2])
        assert result.details["tied"] == []


def test_approval_one_option() -> None:
    assert approval.tally(options(9), [[9], []], "s").winners == (9,)


@pytest.mark.parametrize("bad", [[1, 1], [1, 7], ["1"]])
def test_approval_refuses_bad_ballots(bad: list[object]) -> None:
    with pytest.raises(ValueError):
        approval.tally(options(1, 2), [[2], bad], "s")  # type: ignore[list-item]


# --- ranked: instant-runoff -------------------------------------------------------------

# A=1, B=2, C=3. Plurality elects A, IRV elects B (C's votes transfer to B), and C is the
# Condorcet winner (beats A 65:35 and B 67:33), so Schulze elects C.
CLASSIC = ballots_from([(35, [1, 3, 2]), (33, [2, 3, 1]), (32, [3, 2, 1])])


def test_irv_classic_plurality_winner_loses() -> None:
    assert single.tally(options(1, 2, 3), [b[0] for b in CLASSIC], "s").winners == (1,)
    result = ranked.tally(options(1, 2, 3), CLASSIC, "s")
    assert result.method == "ranked"
    assert result.winners == (2,)
    assert result.ranking == (2, 1, 3)
    assert result.details["rounds"] == [
        {"counts": {"1": 35, "2": 33, "3": 32}, "exhausted": 0, "eliminated": 3, "tied": []},
        {"counts": {"1": 35, "2": 65}, "exhausted": 0, "eliminated": None, "tied": []},
    ]
    assert result.details["pairwise"] == {
        "1": {"2": 35, "3": 35},
        "2": {"1": 65, "3": 33},
        "3": {"1": 65, "2": 67},
    }
    assert result.details["schulze"]["winners"] == [3]
    assert result.details["schulze"]["winner"] == 3
    assert result.details["schulze"]["ranking"] == [3, 2, 1]
    assert result.details["ballots"] == 100
    check_shape(result)


def test_irv_majority_wins_in_the_first_round_and_ranking_of_the_rest() -> None:
    ballots = ballots_from([(7, [1, 2]), (3, [3, 2]), (2, [2, 3]), (1, [4])])
    result = ranked.tally(options(1, 2, 3, 4), ballots, "s")
    assert result.winners == (1,)
    assert len(result.details["rounds"]) == 1
    assert result.details["rounds"][0]["eliminated"] is None
    # the others still in the count, by their votes in the last round
    assert result.ranking == (1, 3, 2, 4)


def test_irv_truncated_ballots_and_exhaustion() -> None:
    # 2's two ballots rank nothing else: eliminated, they are exhausted, and 1 then has
    # 4 of the 7 ballots still counted: a majority of those, not of all 9 ballots.
    ballots = ballots_from([(4, [1]), (3, [3]), (2, [2])])
    result = ranked.tally(options(1, 2, 3), ballots, "s")
    assert result.winners == (1,)
    assert result.details["rounds"] == [
        {"counts": {"1": 4, "2": 2, "3": 3}, "exhausted": 0, "eliminated": 2, "tied": []},
        {"counts": {"1": 4, "3": 3}, "exhausted": 2, "eliminated": None, "tied": []},
    ]
    assert result.ranking == (1, 3, 2)


def test_irv_transfers_follow_truncated_rankings() -> None:
    ballots = ballots_from([(3, [1]), (2, [2, 3]), (3, [3]), (1, [4])])
    result = ranked.tally(options(1, 2, 3, 4), ballots, "s")
    rounds = result.details["rounds"]
    assert [r["eliminated"] for r in rounds] == [4, 2, None]
    assert [r["exhausted"] for r in rounds] == [0, 1, 1]
    assert rounds[-1]["counts"] == {"1": 3, "3": 5}
    assert result.winners == (3,)
    assert result.ranking == (3, 1, 2, 4)


def test_irv_options_nobody_ranks_go_first() -> None:
    ballots = ballots_from([(2, [1, 2]), (2, [2, 1]), (1, [3, 1])])
    ids = [1, 2, 3, 4, 5]
    seed = seed_with_lot(ids, [4, 5, 1, 2, 3])  # 4 and 5 are the lot's favourites
    result = ranked.tally(options(*ids), ballots, seed)
    eliminated = [r["eliminated"] for r in result.details["rounds"]]
    assert eliminated[:2] == [5, 4]  # the last in lot order first
    assert result.details["rounds"][0]["tied"] == [4, 5]
    assert eliminated[2] == 3 and result.winners == (1,)


def test_irv_elimination_tie_by_lot_and_seed_flip() -> None:
    ids = [1, 2, 3]
    ballots = [[1], [2], [3, 1]]
    # lot 1, 2, 3: 3 (last) is eliminated, its ballot goes to 1, which wins with 2 of 3
    a = ranked.tally(options(*ids), ballots, seed_with_lot(ids, [1, 2, 3]))
    assert [r["eliminated"] for r in a.details["rounds"]] == [3, None]
    assert a.details["rounds"][0]["tied"] == [1, 2, 3]
    assert a.winners == (1,) and a.ranking == (1, 2, 3)
    # lot 3, 2, 1: 1 is eliminated (its ballot is exhausted), then 2 and 3 tie at 1 of 2
    # ballots and 2, last in the lot of the two, goes
    b = ranked.tally(options(*ids), ballots, seed_with_lot(ids, [3, 2, 1]))
    assert [r["eliminated"] for r in b.details["rounds"]] == [1, 2, None]
    assert b.details["rounds"][1] == {
        "counts": {"2": 1, "3": 1},
        "exhausted": 1,
        "eliminated": 2,
        "tied": [3, 2],
    }
    assert b.winners == (3,) and b.ranking == (3, 2, 1)


def test_ranked_no_ballots_or_only_empty_ones() -> None:
    for ballots in ([], [[], []]):
        result = ranked.tally(options(3, 1, 2), ballots, "x")
        assert result.winners == ()
        assert list(result.ranking) == lot_order("x", [1, 2, 3])
        assert result.details["rounds"] == []
        assert result.details["schulze"]["winners"] == []
        assert result.details["schulze"]["winner"] is None
        assert result.details["schulze"]["ranking"] == lot_order("x", [1, 2, 3])
        assert result.details["ballots"] == len(ballots)
        check_shape(result)


def test_ranked_empty_ballots_count_as_exhausted() -> None:
    result = ranked.tally(options(1, 2), [[1], [], [2, 1], [1, 2]], "s")
    assert result.details["rounds"] == [
        {"counts": {"1": 2, "2": 1}, "exhausted": 1, "eliminated": None, "tied": []}
    ]
    assert result.winners == (1,)


def test_ranked_one_option() -> None:
    result = ranked.tally(options(8), [[8], [8], []], "s")
    assert result.winners == (8,) and result.ranking == (8,)
    assert result.details["pairwise"] == {"8": {}}
    assert result.details["schulze"]["winners"] == [8]


@pytest.mark.parametrize("bad", [[1, 1], [1, 2, 1], [4], ["1"], [None], [1.5], [1, 2, 3, 1]])
def test_ranked_refuses_bad_ballots(bad: list[object]) -> None:
    with pytest.raises(ValueError):
        ranked.tally(options(1, 2, 3), [[1, 2, 3], bad], "s")  # type: ignore[list-item]


def test_ranked_accepts_tuples_and_lists_alike() -> None:
    a = ranked.tally(options(1, 2, 3), CLASSIC, "s")
    b = ranked.tally(options(3, 2, 1), (tuple(b) for b in CLASSIC), "s")
    assert a == b and result_sha256(a) == result_sha256(b)


# --- ranked: Schulze ---------------------------------------------------------------------

# Wikipedia's Schulze example (45 voters, A..E = 1..5): a Condorcet cycle, no Condorcet
# winner; the Schulze ranking is E > A > C > B > D.
WIKIPEDIA = ballots_from(
    [
        (5, [1, 3, 2, 5, 4]),
        (5, [1, 4, 5, 3, 2]),
        (8, [2, 5, 4, 1, 3]),
        (3, [3, 1, 2, 5, 4]),
        (7, [3, 1, 5, 2, 4]),
        (2, [3, 2, 1, 4, 5]),
        (7, [4, 3, 5, 2, 1]),
        (8, [5, 2, 1, 4, 3]),
    ]
)


def test_schulze_wikipedia_example() -> None:
    result = ranked.tally(options(1, 2, 3, 4, 5), WIKIPEDIA, "s")
    schulze = result.details["schulze"]
    assert schulze["winners"] == [5]
    assert schulze["ranking"] == [5, 1, 3, 2, 4]
    # the pairwise matrix d and the strongest paths p as published on Wikipedia
    d = [
        [0, 20, 26, 30, 22],
        [25, 0, 16, 33, 18],
        [19, 29, 0, 17, 24],
        [15, 12, 28, 0, 14],
        [23, 27, 21, 31, 0],
    ]
    p = [
        [0, 28, 28, 30, 24],
        [25, 0, 28, 33, 24],
        [25, 29, 0, 29, 24],
        [25, 28, 28, 0, 24],
        [25, 28, 28, 31, 0],
    ]

    def matrix(rows: list[list[int]]) -> dict[str, dict[str, int]]:
        return {str(a + 1): {str(b + 1): rows[a][b] for b in range(5) if b != a} for a in range(5)}

    assert result.details["pairwise"] == matrix(d)
    assert schulze["strongest_paths"] == matrix(p)
    # a Condorcet cycle: B beats A (25:20), A beats C (26:19), C beats B (29:16)
    assert d[1][0] > d[0][1] and d[0][2] > d[2][0] and d[2][1] > d[1][2]
    # IRV elects C whichever way the lot breaks the tie between B and E (8 votes each)
    for lot, gone, ranking in (([2, 5], 5, (3, 2, 1, 5, 4)), ([5, 2], 2, (3, 5, 1, 2, 4))):
        irv = ranked.tally(options(1, 2, 3, 4, 5), WIKIPEDIA, seed_with_lot([2, 5], lot))
        rounds = irv.details["rounds"]
        assert [r["eliminated"] for r in rounds] == [4, gone, 1, None]
        assert rounds[1]["counts"] == {"1": 10, "2": 8, "3": 19, "5": 8}
        assert rounds[1]["tied"] == lot
        assert irv.winners == (3,) and irv.ranking == ranking
        assert irv.details["schulze"] == schulze  # Schulze needs no lot here


def test_schulze_perfect_cycle_every_option_wins_and_the_lot_orders() -> None:
    ballots = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]
    ids = [1, 2, 3]
    for order in ([2, 3, 1], [3, 1, 2]):
        result = ranked.tally(options(*ids), ballots, seed_with_lot(ids, order))
        assert result.details["schulze"]["winners"] == [1, 2, 3]
        assert result.details["schulze"]["winner"] == order[0]
        assert result.details["schulze"]["ranking"] == order


def test_schulze_ranking_respects_beats_before_the_lot() -> None:
    # 1 beats 2 beats 3 (unanimous); 4 is ranked by nobody. 4 is beaten by everyone.
    ballots = [[1, 2, 3], [1, 2, 3], [1, 2, 3]]
    ids = [1, 2, 3, 4]
    for order in itertools.permutations(ids):
        result = ranked.tally(options(*ids), ballots, seed_with_lot(ids, list(order)))
        assert result.details["schulze"]["ranking"] == [1, 2, 3, 4]


def test_schulze_incomparable_options_are_ordered_by_the_lot() -> None:
    # 1 beats 2, 3 and 4; 2 beats 3 and 4 (a listed option is above the left-out ones);
    # 3 and 4 tie 1:1 and nothing links them: the lot orders them.
    ballots = [[1, 2], [1, 2], [3], [4]]
    ids = [1, 2, 3, 4]
    for lot, expected in (([4, 3, 2, 1], [1, 2, 4, 3]), ([3, 4, 1, 2], [1, 2, 3, 4])):
        result = ranked.tally(options(*ids), ballots, seed_with_lot(ids, lot))
        pairwise = result.details["pairwise"]
        assert pairwise["1"]["3"] == 2 and pairwise["3"]["1"] == 1
        assert pairwise["3"]["4"] == 1 and pairwise["4"]["3"] == 1  # a tie, no link
        assert result.details["schulze"]["winners"] == [1]
        assert result.details["schulze"]["ranking"] == expected


def test_schulze_uses_winning_votes_not_margins() -> None:
    # With truncated ballots the two can differ. A cycle where every margin is 1:
    # 2 beats 1 by 2:1, 1 beats 3 by 3:2, 3 beats 2 by 3:2. With margins all links are
    # equal and every option is a Schulze winner; with winning votes the weakest link is
    # 2→1 (2 votes), so 1 beats 2 (through 3, strength 3) and 3 (directly), and 1 wins.
    ballots = [[1, 3], [2, 1, 3], [3], [3], [2, 1]]
    result = ranked.tally(options(1, 2, 3), ballots, "s")
    pairwise = result.details["pairwise"]
    assert (pairwise["2"]["1"], pairwise["1"]["2"]) == (2, 1)
    assert (pairwise["1"]["3"], pairwise["3"]["1"]) == (3, 2)
    assert (pairwise["3"]["2"], pairwise["2"]["3"]) == (3, 2)
    assert result.details["schulze"]["winners"] == [1]
    assert result.details["schulze"]["strongest_paths"]["1"] == {"2": 3, "3": 3}
    assert result.details["schulze"]["strongest_paths"]["2"] == {"1": 2, "3": 2}


def test_pairwise_counts_ranked_above_unranked_and_not_unranked_pairs() -> None:
    result = ranked.tally(options(1, 2, 3), [[2]], "s")
    assert result.details["pairwise"] == {
        "1": {"2": 0, "3": 0},
        "2": {"1": 1, "3": 1},
        "3": {"1": 0, "2": 0},
    }


# --- score -----------------------------------------------------------------------------


def test_score_mean_median_histogram() -> None:
    ballots = [{1: 2, 2: 5, 3: 0}, {1: 5, 2: 4, 3: 0}, {1: 3, 2: 0, 3: 1}]
    result = score.tally(options(1, 2, 3), ballots, "s")
    assert result.method == "score"
    assert result.winners == (1,)  # 10 stars against 9
    assert result.ranking == (1, 2, 3)
    assert result.details == {
        "ballots": 3,
        "sum": {"1": 10, "2": 9, "3": 1},
        "mean": {"1": "3.33", "2": "3.00", "3": "0.33"},
        "median": {"1": 3.0, "2": 4.0, "3": 0.0},
        "histogram": {
            "1": [0, 0, 1, 1, 0, 1],
            "2": [1, 0, 0, 0, 1, 1],
            "3": [2, 1, 0, 0, 0, 0],
        },
        "tied": [],
    }
    check_shape(result)


def test_score_even_median_is_the_mean_of_the_two_middle_scores() -> None:
    result = score.tally(options(1, 2), [{1: 2, 2: 0}, {1: 5, 2: 1}], "s")
    assert result.details["median"] == {"1": 3.5, "2": 0.5}
    assert result.details["mean"] == {"1": "3.50", "2": "0.50"}


def test_score_equal_means_are_ordered_by_median_then_lot() -> None:
    # 1: 0, 5, 5 (mean 10/3, median 5); 2: 3, 3, 4 (mean 10/3, median 3);
    # 3: 4, 3, 3 (the same as 2): 2 and 3 are ordered by the lot.
    ballots = [{1: 0, 2: 3, 3: 4}, {1: 5, 2: 3, 3: 3}, {1: 5, 2: 4, 3: 3}]
    ids = [1, 2, 3]
    for order in ([2, 3, 1], [3, 1, 2]):
        result = score.tally(options(*ids), ballots, seed_with_lot(ids, order))
        assert result.winners == (1,)
        assert result.details["tied"] == []
        assert result.ranking == (1, *(o for o in order if o != 1))


def test_score_full_tie_decided_by_lot_and_seed_flip() -> None:
    ballots = [{1: 4, 2: 2}, {1: 2, 2: 4}]
    a = score.tally(options(1, 2), ballots, seed_with_lot([1, 2], [1, 2]))
    b = score.tally(options(1, 2), ballots, seed_with_lot([1, 2], [2, 1]))
    assert (a.winners, a.details["tied"]) == ((1,), [1, 2])
    assert (b.winners, b.details["tied"]) == ((2,), [2, 1])


def test_score_mean_is_rounded_half_up_for_display_only() -> None:
    assert score.display_mean(1, 8) == "0.13"  # 0.125
    assert score.display_mean(3, 8) == "0.38"  # 0.375
    assert score.display_mean(2, 3) == "0.67"
    assert score.display_mean(5, 1) == "5.00"
    # the ranking uses the exact sums: 3.331 and 3.332 both show as 3.33
    ballots = [{1: 4, 2: 4}] * 331 + [{1: 3, 2: 4}] + [{1: 3, 2: 3}] * 668
    result = score.tally(options(1, 2), ballots, "s")
    assert result.details["sum"] == {"1": 3331, "2": 3332}
    assert result.details["mean"] == {"1": "3.33", "2": "3.33"}
    assert result.details["median"] == {"1": 3.0, "2": 3.0}
    assert result.winners == (2,) and result.details["tied"] == []


def test_score_no_ballots_and_zero_stars() -> None:
    result = score.tally(options(1, 2), [], "z")
    assert result.winners == ()
    assert list(result.ranking) == lot_order("z", [1, 2])
    assert result.details["mean"] == {"1": None, "2": None}
    assert result.details["median"] == {"1": None, "2": None}
    check_shape(result)
    zero = score.tally(options(1, 2), [{1: 0, 2: 0}], "z")
    assert zero.winners == () and zero.details["mean"] == {"1": "0.00", "2": "0.00"}


def test_score_one_option_and_json_keys() -> None:
    result = score.tally(options(3), [{"3": 4}, {3: 1}], "s")
    assert result.winners == (3,)
    assert result.details["histogram"] == {"3": [0, 1, 0, 0, 1, 0]}


@pytest.mark.parametrize(
    "bad",
    [
        {1: 6, 2: 0},
        {1: -1, 2: 0},
        {1: 2.5, 2: 0},
        {1: True, 2: 0},
        {1: 3},
        {1: 3, 2: 3, 9: 1},
        {1: 3, 2: 3, "1": 3},
        {1: "3", 2: 3},
    ],
)
def test_score_refuses_bad_ballots(bad: dict[object, object]) -> None:
    with pytest.raises(ValueError):
        score.tally(options(1, 2), [{1: 0, 2: 0}, bad], "s")  # type: ignore[list-item]


# --- the dispatcher ----------------------------------------------------------------------


def test_dispatcher_matches_each_method() -> None:
    opts = options(1, 2, 3)
    assert tally("single", opts, [1, 2, 2], "s") == single.tally(opts, [1, 2, 2], "s")
    assert tally("approval", opts, [[1, 2]], "s") == approval.tally(opts, [[1, 2]], "s")
    assert tally("ranked", opts, CLASSIC, "s") == ranked.tally(opts, CLASSIC, "s")
    ballot = [{1: 1, 2: 2, 3: 3}]
    assert tally("score", opts, ballot, "s") == score.tally(opts, ballot, "s")


def test_dispatcher_refuses_unknown_methods_and_misplaced_budgets() -> None:
    with pytest.raises(ValueError, match="unknown voting method"):
        tally("borda", options(1), [], "s")
    with pytest.raises(ValueError, match="budget polls only"):
        tally("single", options(1), [], "s", budget=100)
    with pytest.raises(ValueError, match="budget limit"):
        tally("budget", options(1), [], "s")


def test_dispatcher_passes_budget_polls_to_the_budget_method(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def fake(options: Any, ballots: Any, seed: str, *, budget: int) -> Result:
        calls.append((list(options), list(ballots), seed, budget))
        return Result("budget", (1,), (), {})

    module = types.ModuleType("deliberate.polls.methods.budget")
    module.tally = fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "deliberate.polls.methods.budget", module)
    monkeypatch.setattr(deliberate.polls.methods, "budget", module, raising=False)
    opts = [Option(1, cost=50), Option(2, cost=70)]
    result = tally("budget", opts, [[1], [1, 2]], "s", budget=100)
    assert result == Result("budget", (1,), (), {})
    assert calls == [(opts, [[1], [1, 2]], "s", 100)]
