"""Our tallies against an independent implementation, pref_voting, on many small random
profiles (3 to 6 options, 1 to 30 voters, so that ties are frequent).

pref_voting returns *sets* of winners where we break ties by the lot, so the checks are:
our winner is in the reference's winner set, and equals it when the set has one member;
where pref_voting can take a tie-breaking order (instant runoff), we give it our lot and
expect exactly our result. The conventions where we differ from pref_voting's defaults
are described in docs/polls.md ("Methods") and each one is checked here:

- ties: pref_voting reports every tied winner; we report the lot's first (and list the
  tied ones in ``details["tied"]``);
- IRV elimination ties: we eliminate one option at a time, the last in lot order; that is
  pref_voting's ``tie_breaker`` with the lot reversed (its ``tie_breaker[0]`` goes first);
  its default eliminates all tied options at once, which agrees with us when no elimination
  tie arises, and its parallel-universe variant (PUT) returns every possible winner;
- truncated ballots (ProfileWithTies): a ballot counts for its best continuing option and
  is exhausted when none is left; for pairwise counts a listed option is above every option
  left out (pref_voting's "extended strict preference");
- Schulze: we use winning votes; pref_voting's beat_path uses margins by default, which
  gives the same result on full rankings, and winning votes with
  ``strength_function=profile.support``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pref_voting.grade_methods import approval as pv_approval
from pref_voting.grade_methods import score_voting
from pref_voting.grade_profiles import GradeProfile
from pref_voting.iterative_methods import (
    instant_runoff,
    instant_runoff_for_truncated_linear_orders,
    instant_runoff_put,
    instant_runoff_with_explanation,
)
from pref_voting.margin_based_methods import beat_path, beat_path_defeat
from pref_voting.profiles import Profile
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.scoring_methods import plurality

from deliberate.polls.methods import approval, ranked, score, single
from deliberate.polls.methods.common import Option, lot_order

PROFILES = 500


class Instance:
    """Random option ids; pref_voting's candidate c is our option ``ids[c]``."""

    def __init__(self, rng: random.Random, number: int) -> None:
        self.m = rng.randint(3, 6)
        self.ids = sorted(rng.sample(range(1, 1000), self.m))
        self.options = [Option(id=i) for i in rng.sample(self.ids, self.m)]
        self.voters = rng.randint(1, 30)
        self.seed = f"profile-{number}"
        self.lot = lot_order(self.seed, self.ids)
        # pref_voting eliminates tie_breaker[0] first: our lot, reversed
        self.tie_breaker = [self.ids.index(o) for o in reversed(self.lot)]

    def cand(self, option: int) -> int:
        return self.ids.index(option)

    def option(self, cand: int) -> int:
        return self.ids[cand]

    def options_of(self, cands: Sequence[int]) -> list[int]:
        return sorted(self.ids[c] for c in cands)


def popular(rng: random.Random, m: int) -> list[float]:
    """Uneven popularity, so that some options get nothing and others tie."""
    return [rng.choice([0.0, 0.5, 1.0, 1.0, 3.0]) or 0.01 for _ in range(m)]


def rankings(rng: random.Random, inst: Instance, *, truncate: bool) -> list[list[int]]:
    """Ballots over candidate indices, best first; some share an order to make ties."""
    weights = popular(rng, inst.m)
    pool = []
    for _ in range(rng.randint(1, 6)):
        remaining = list(range(inst.m))
        order = []
        while remaining:
            pick = rng.choices(remaining, weights=[weights[c] for c in remaining])[0]
            order.append(pick)
            remaining.remove(pick)
        pool.append(order)
    ballots = []
    for _ in range(inst.voters):
        order = list(rng.choice(pool)) if rng.random() < 0.7 else rng.sample(range(inst.m), inst.m)
        if truncate and rng.random() < 0.5:
            order = order[: rng.randint(0, inst.m - 1)]
        ballots.append(order)
    return ballots


def check_winner(ours: tuple[int, ...], reference: list[int], tied: list[int]) -> bool:
    """Our single winner against a reference winner set; True when a tie was involved."""
    assert len(ours) == 1
    assert ours[0] in reference
    if len(reference) == 1:
        assert tied == []
        return False
    assert sorted(tied) == reference
    assert ours[0] == tied[0]
    return True


def test_plurality() -> None:
    rng = random.Random(1)
    ties = 0
    for number in range(PROFILES):
        inst = Instance(rng, number)
        weights = popular(rng, inst.m)
        choices = rng.choices(range(inst.m), weights=weights, k=inst.voters)
        ours = single.tally(inst.options, [inst.option(c) for c in choices], inst.seed)
        # full rankings whose first place is the choice
        profile = Profile(
            [[c, *rng.sample([d for d in range(inst.m) if d != c], inst.m - 1)] for c in choices]
        )
        scores = profile.plurality_scores()
        assert ours.details["counts"] == {str(inst.option(c)): n for c, n in scores.items()}
        assert ours.details["ballots"] == inst.voters
        ties += check_winner(
            ours.winners, inst.options_of(plurality(profile)), ours.details["tied"]
        )
        counts = [ours.details["counts"][str(o)] for o in ours.ranking]
        assert counts == sorted(counts, reverse=True)
    assert ties >= 50, ties


def test_approval() -> None:
    rng = random.Random(2)
    ties = 0
    nobody = 0
    for number in range(PROFILES):
        inst = Instance(rng, number)
        weights = popular(rng, inst.m)
        ballots = []
        for _ in range(inst.voters):
            share = rng.random()
            ballots.append([c for c in range(inst.m) if rng.random() < share * weights[c] / 3])
        ours = approval.tally(
            inst.options, [[inst.option(c) for c in b] for b in ballots], inst.seed
        )
        grades = GradeProfile(
            [{c: int(c in b) for c in range(inst.m)} for b in ballots],
            [0, 1],
            candidates=list(range(inst.m)),
        )
        sums = {str(inst.option(c)): int(grades.sum(c)) for c in range(inst.m)}
        assert ours.details["counts"] == sums
        reference = inst.options_of(pv_approval(grades))
        if not any(sums.values()):  # nobody approved anything: we declare no winner
            assert ours.winners == () and reference == sorted(inst.ids)
            assert list(ours.ranking) == inst.lot
            nobody += 1
            continue
        ties += check_winner(ours.winners, reference, ours.details["tied"])
    assert ties >= 50, ties
    assert nobody >= 1, nobody


def irv_check(inst: Instance, ballots: list[list[int]], profile: Profile | ProfileWithTies) -> int:
    """The IRV checks shared by full and truncated profiles; 1 if a lot decided a round."""
    ours = ranked.tally(inst.options, [[inst.option(c) for c in b] for b in ballots], inst.seed)
    if not any(ballots):  # no ballot ranks anything: no winner (pref_voting: everyone)
        assert ours.winners == () and ours.details["rounds"] == []
        return 0
    rounds = ours.details["rounds"]
    eliminated = [r["eliminated"] for r in rounds[:-1]]
    assert rounds[-1]["eliminated"] is None
    # the same tie-breaking order: exactly our winner and our eliminations
    tb = inst.tie_breaker
    assert inst.options_of(instant_runoff(profile, tie_breaker=tb)) == list(ours.winners)
    winners, order = instant_runoff_with_explanation(profile, tie_breaker=tb)
    assert inst.options_of(winners) == list(ours.winners)
    # with full rankings pref_voting stops at a majority as we do; with truncated ones
    # (ProfileWithTies) it goes on until one option is left, after the same first steps
    assert all(len(step) == 1 for step in order)
    theirs = [inst.option(step[0]) for step in order]
    assert theirs[: len(eliminated)] == eliminated
    if isinstance(profile, Profile):
        assert theirs == eliminated
    # our finishing order: winner, the rest of the last round, the eliminated reversed
    assert ours.ranking[0] == ours.winners[0]
    assert list(ours.ranking[len(ours.ranking) - len(eliminated) :]) == eliminated[::-1]
    # every possible winner over all tie-breaking orders (parallel universes)
    put = inst.options_of(instant_runoff_put(profile))
    assert ours.winners[0] in put
    lot_decided = any(r["tied"] for r in rounds)
    if not lot_decided:
        assert put == list(ours.winners)
        # simultaneous elimination of all the options tied last agrees without ties
        if isinstance(profile, Profile):
            assert inst.options_of(instant_runoff(profile)) == list(ours.winners)
        else:
            simultaneous = instant_runoff_for_truncated_linear_orders(profile)
            assert inst.options_of(simultaneous) == list(ours.winners)
    # exhausted ballots: those whose every listed option is gone
    for r in rounds:
        counted = {int(o) for o in r["counts"]}
        live = sum(1 for b in ballots if any(inst.option(c) in counted for c in b))
        assert r["exhausted"] == len(ballots) - live
        assert sum(r["counts"].values()) == live
    return int(lot_decided)


def test_instant_runoff_full_rankings() -> None:
    rng = random.Random(3)
    ties = 0
    for number in range(PROFILES):
        inst = Instance(rng, number)
        ballots = rankings(rng, inst, truncate=False)
        ties += irv_check(inst, ballots, Profile(ballots))
    assert ties >= 50, ties


def test_instant_runoff_truncated_ballots() -> None:
    rng = random.Random(4)
    ties = 0
    for number in range(PROFILES):
        inst = Instance(rng, number)
        ballots = rankings(rng, inst, truncate=True)
        profile = ProfileWithTies(
            [{c: r + 1 for r, c in enumerate(b)} for b in ballots],
            candidates=list(range(inst.m)),
        )
        ties += irv_check(inst, ballots, profile)
    assert ties >= 50, ties


def schulze_check(
    inst: Instance, ballots: list[list[int]], profile: Profile | ProfileWithTies, **strength
) -> bool:
    """Pairwise counts, the winner set and the defeat relation; True if the set is >1."""
    ours = ranked.tally(inst.options, [[inst.option(c) for c in b] for b in ballots], inst.seed)
    pairwise = ours.details["pairwise"]
    for a in range(inst.m):
        for b in range(inst.m):
            if a != b:
                assert pairwise[str(inst.option(a))][str(inst.option(b))] == profile.support(a, b)
    schulze = ours.details["schulze"]
    reference = inst.options_of(beat_path(profile, **strength))
    if not any(ballots):
        assert schulze["winners"] == [] and schulze["winner"] is None
        assert schulze["ranking"] == inst.lot
        return False
    assert schulze["winners"] == reference
    assert schulze["winner"] in reference and schulze["winner"] == schulze["ranking"][0]
    assert schulze["winner"] == min(reference, key=inst.lot.index)
    # "a beats b" is exactly pref_voting's Beat Path defeat relation, and our ranking
    # puts every winner of a defeat before the option it defeats
    paths = schulze["strongest_paths"]
    defeats = {
        (inst.option(a), inst.option(b)) for a, b in beat_path_defeat(profile, **strength).edges
    }
    ours_beats = {
        (a, b)
        for a in inst.ids
        for b in inst.ids
        if a != b and paths[str(a)][str(b)] > paths[str(b)][str(a)]
    }
    assert ours_beats == defeats
    place = {o: i for i, o in enumerate(schulze["ranking"])}
    assert all(place[a] < place[b] for a, b in defeats)
    # the ranking is the lot's order wherever the defeat relation leaves a choice
    return len(reference) > 1


def test_schulze_full_rankings_margins_and_winning_votes_agree() -> None:
    rng = random.Random(5)
    ties = 0
    for number in range(PROFILES):
        inst = Instance(rng, number)
        ballots = rankings(rng, inst, truncate=False)
        profile = Profile(ballots)
        ties += schulze_check(inst, ballots, profile)  # margins, pref_voting's default
        schulze_check(inst, ballots, profile, strength_function=profile.support)
    assert ties >= 50, ties


def test_schulze_truncated_ballots_winning_votes() -> None:
    rng = random.Random(6)
    ties = 0
    for number in range(PROFILES):
        inst = Instance(rng, number)
        ballots = rankings(rng, inst, truncate=True)
        profile = ProfileWithTies(
            [{c: r + 1 for r, c in enumerate(b)} for b in ballots],
            candidates=list(range(inst.m)),
        )
        profile.use_extended_strict_preference()  # listed above left out
        ties += schulze_check(inst, ballots, profile, strength_function=profile.support)
    assert ties >= 25, ties


def test_score_mean_and_median() -> None:
    rng = random.Random(7)
    ties = 0
    for number in range(PROFILES):
        inst = Instance(rng, number)
        if number % 2:  # options of different appeal
            bias = [rng.randint(0, 5) for _ in range(inst.m)]
            noise = [-2, -1, 0, 0, 1]
        else:  # all alike, so that equal means are frequent
            bias = [rng.randint(1, 4)] * inst.m
            noise = [-1, 0, 1]
        ballots = [
            {c: min(5, max(0, bias[c] + rng.choice(noise))) for c in range(inst.m)}
            for _ in range(rng.randint(1, 8) if number % 4 == 0 else inst.voters)
        ]
        ours = score.tally(
            inst.options,
            [{inst.option(c): s for c, s in b.items()} for b in ballots],
            inst.seed,
        )
        grades = GradeProfile(ballots, [0, 1, 2, 3, 4, 5], candidates=list(range(inst.m)))
        for c in range(inst.m):
            key = str(inst.option(c))
            assert ours.details["sum"][key] == int(grades.sum(c))
            assert ours.details["median"][key] == grades.median(
                c, use_lower=False, use_average=True
            )
            assert abs(float(ours.details["mean"][key]) - grades.avg(c)) <= 0.005 + 1e-9
        reference = inst.options_of(score_voting(grades, evaluation_method="mean"))
        if not any(ours.details["sum"].values()):
            assert ours.winners == () and reference == sorted(inst.ids)
            continue
        assert ours.winners[0] in reference
        if len(reference) == 1:
            assert ours.winners == tuple(reference)
        else:
            ties += 1  # equal means: the best median among them, then the lot
            best = max(ours.details["median"][str(o)] for o in reference)
            assert ours.details["median"][str(ours.winners[0])] == best
            firsts = [o for o in reference if ours.details["median"][str(o)] == best]
            assert ours.winners[0] == min(firsts, key=inst.lot.index)
    assert ties >= 50, ties


def test_one_at_a_time_elimination_differs_from_pref_voting_default() -> None:
    # pref_voting's default instant_runoff eliminates all options tied for fewest at once;
    # we eliminate one, the last in lot order. Options 1..4 are candidates 0..3.
    ballots = [[0, 1, 2, 3], [3, 2, 0, 1], [2, 3, 0, 1], [0, 3, 2, 1]]
    profile = Profile(ballots)
    assert instant_runoff(profile) == [0]  # 1 goes, then 2 and 3 together: 0 wins
    seed = next(s for s in map(str, range(1000)) if lot_order(s, [1, 2, 3, 4]) == [4, 2, 1, 3])
    ours = ranked.tally(
        [Option(i) for i in (1, 2, 3, 4)], [[c + 1 for c in b] for b in ballots], seed
    )
    # 2 goes (no votes), then 3 (tied with 4, last in the lot), then 1 (tied with 4)
    assert [r["eliminated"] for r in ours.details["rounds"]] == [2, 3, 1, None]
    assert ours.winners == (4,)
    assert instant_runoff(profile, tie_breaker=[2, 0, 1, 3]) == [3]  # the lot, reversed
    assert {0, 3} <= set(instant_runoff_put(profile))
