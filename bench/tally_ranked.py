"""Tallying 1,000,000 ranked ballots of 10 options (quality bar: under 10 s in one
process) with ``deliberate.polls.methods.ranked.tally`` — IRV rounds, the pairwise matrix
and Schulze — against a baseline in the same run: counting the first preferences of the
same ballots with ``collections.Counter``.

The ballots are the same in every run (fixed seed) and not uniform noise: voters and
options sit in a two-dimensional opinion space, voters in four clusters of different
sizes; a voter ranks options by distance plus personal noise, so rankings are correlated
but many are distinct. 60 % of the ballots rank all ten options, the rest stop after 1 to
9 (shorter ones more often) and a few are empty. For information, the same number of
uniformly random full rankings (hardly any two alike, so counting identical ballots once
saves nothing) is tallied too."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

NAME = "tally_ranked"
BALLOTS = 1_000_000
OPTIONS = 10
BAR_SECONDS = 10.0
SEED = 20240601


def ballots(count: int = BALLOTS, options: int = OPTIONS, seed: int = SEED) -> list[list[int]]:
    """``count`` ranked ballots over option ids 1..``options``, best first."""
    import numpy as np

    rng = np.random.default_rng(seed)
    option_points = rng.normal(0.0, 1.0, size=(options, 2))
    centres = rng.normal(0.0, 1.2, size=(4, 2))
    cluster = rng.choice(4, size=count, p=[0.4, 0.3, 0.2, 0.1])
    voters = centres[cluster] + rng.normal(0.0, 0.6, size=(count, 2))
    distance = np.linalg.norm(voters[:, None, :] - option_points[None, :, :], axis=2)
    utility = -distance + rng.gumbel(0.0, 0.35, size=(count, options))
    order = np.argsort(-utility, axis=1) + 1  # option ids start at 1
    full = rng.random(count) < 0.6
    weights = np.arange(options, 0, -1, dtype=float)  # length 0..9: shorter more often
    short = rng.choice(options, size=count, p=weights / weights.sum())
    lengths = np.where(full, options, short)
    rows = order.tolist()
    return [row[:length] for row, length in zip(rows, lengths.tolist(), strict=True)]


def uniform_ballots(count: int = BALLOTS, options: int = OPTIONS) -> list[list[int]]:
    """The hard case for aggregation: full rankings drawn uniformly (few repeat)."""
    import numpy as np

    rng = np.random.default_rng(SEED + 1)
    return (np.argsort(rng.random((count, options)), axis=1) + 1).tolist()


def measure(data: list[list[int]]) -> tuple[float, float, Any]:
    from deliberate.polls.methods.common import Option
    from deliberate.polls.methods.ranked import tally

    options = [Option(id=i) for i in range(1, OPTIONS + 1)]
    started = time.perf_counter()
    result = tally(options, data, "bench-seed")
    tallied = time.perf_counter() - started
    started = time.perf_counter()
    firsts = Counter(ballot[0] for ballot in data if ballot)
    baseline = time.perf_counter() - started
    first_round = result.details["rounds"][0]["counts"]
    if {str(k): v for k, v in firsts.items()} != {k: v for k, v in first_round.items() if v}:
        raise RuntimeError("the first IRV round does not match the first preferences")
    return tallied, baseline, result


def run(duration: float, concurrency: int) -> dict[str, Any]:
    started = time.perf_counter()
    data = ballots()
    generated = time.perf_counter() - started
    tallied, baseline, result = measure(data)
    distinct = len(Counter(map(tuple, data)))
    del data
    noise = uniform_ballots()
    noise_distinct = len(Counter(map(tuple, noise)))
    noise_tallied, _, _ = measure(noise)
    del noise
    warnings = [
        f"tally of {label} ballots took {seconds:.1f} s (bar: under 10 s)"
        for label, seconds in (("structured", tallied), ("uniform", noise_tallied))
        if seconds >= BAR_SECONDS
    ]
    return {
        "targets": {},
        "lines": [
            f"tally_ranked         {BALLOTS} ballots, {OPTIONS} options, {distinct} distinct "
            f"(generated in {generated:.1f} s)",
            f"tally_ranked         ranked.tally (IRV + pairwise + Schulze): {tallied:.2f} s "
            f"(bar: under {BAR_SECONDS:.0f} s); {len(result.details['rounds'])} IRV rounds, "
            f"IRV winner {result.winners[0]}, Schulze winner "
            f"{result.details['schulze']['winner']}",
            f"tally_ranked         baseline Counter of first preferences: {baseline:.2f} s",
            f"tally_ranked         also {BALLOTS} uniformly random full rankings "
            f"({noise_distinct} distinct): {noise_tallied:.2f} s",
        ],
        "ratios": {"tally seconds": tallied, "baseline/tally time": baseline / tallied},
        "primary": "tally seconds",
        "warnings": warnings,
        "seconds": {
            "tally": tallied,
            "baseline": baseline,
            "generate": generated,
            "tally_uniform": noise_tallied,
        },
    }
