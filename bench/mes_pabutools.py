"""Our Method of Equal Shares with the Add1 completion against pabutools' (issue 6: "MES on
the largest shared pabulib instance against pabutools (same outcome; report the speed
ratio)"), on real elections from ../shared/data/pabulib/ (or ``$DELIBERATE_PABULIB_DIR``):
Warszawa 2019 Targówek, the largest by votes, and Świecie 2023, the largest that used
equal shares. pabutools runs ``method_of_equal_shares(..., sat_class=Cost_Sat,
voter_budget_increment=1)``; we run ``budget.equal_shares(..., budget=...)``. Parsing is
not timed. The outcomes must be the same set of projects, or the benchmark fails."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

NAME = "mes_pabutools"
FILES = ("Poland_Warszawa_2019_Targowek.pb", "Poland_Swiecie_2023.pb")


def data_dir() -> Path:
    configured = os.environ.get("DELIBERATE_PABULIB_DIR")
    here = Path(__file__).resolve().parent
    directory = (
        Path(configured) if configured else here.parent / ".." / "shared" / "data" / "pabulib"
    )
    if not directory.is_dir():
        raise RuntimeError(f"no pabulib data in {directory}: set DELIBERATE_PABULIB_DIR")
    return directory


def measure(path: Path, duration: float) -> dict[str, Any]:
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import method_of_equal_shares

    from deliberate.polls import pabulib
    from deliberate.polls.methods import budget
    from deliberate.polls.methods.common import Option

    instance = pabulib.parse(path.read_text(encoding="utf-8"))
    number = {p.id: n for n, p in enumerate(instance.projects, start=1)}
    options = [Option(number[p.id], p.cost) for p in instance.projects]
    ballots = [[number[i] for i in ballot] for ballot in pabulib.approval_ballots(instance)]

    times = []
    started = time.perf_counter()
    while True:  # at least once, repeated within the duration; the best time counts
        t0 = time.perf_counter()
        ours = budget.equal_shares(options, ballots, "bench", budget=instance.budget)
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - started >= duration or len(times) >= 20:
            break

    ref_instance, ref_profile = parse_pabulib(str(path))
    t0 = time.perf_counter()
    theirs = method_of_equal_shares(
        ref_instance, ref_profile, sat_class=Cost_Sat, voter_budget_increment=1
    )
    reference = time.perf_counter() - t0

    by_number = {n: i for i, n in number.items()}
    our_set = {by_number[n] for n in ours.funded}
    their_set = {p.name for p in theirs}
    if our_set != their_set:
        raise RuntimeError(
            f"{path.name}: outcomes differ: ours only {sorted(our_set - their_set)}, "
            f"pabutools only {sorted(their_set - our_set)}"
        )
    return {
        "file": path.name,
        "voters": len(instance.votes),
        "projects": len(instance.projects),
        "funded": len(our_set),
        "per_voter_budget": str(ours.per_voter_budget),
        "runs": ours.runs,
        "ours_s": min(times),
        "pabutools_s": reference,
    }


def run(duration: float, concurrency: int) -> dict[str, Any]:
    directory = data_dir()
    found = [measure(directory / name, duration) for name in FILES]
    lines, ratios, warnings = [], {}, []
    for r in found:
        short = r["file"].removesuffix(".pb").split("_", 1)[1]
        ratio = r["ours_s"] / r["pabutools_s"]
        ratios[f"ours/pabutools time {short}"] = ratio
        lines.append(
            f"{NAME:<20} {r['file']}: {r['voters']} voters, {r['projects']} projects, "
            f"{r['funded']} funded (same as pabutools), per-voter budget "
            f"{r['per_voter_budget']} after {r['runs']} MES runs"
        )
        lines.append(
            f"{NAME:<20}   ours {r['ours_s']:.3f} s, pabutools {r['pabutools_s']:.2f} s "
            f"(ratio {ratio:.3f})"
        )
        if ratio >= 1:
            warnings.append(f"{r['file']}: ours is not faster than pabutools")
    return {
        "targets": {},
        "lines": lines,
        "ratios": ratios,
        "primary": next(iter(ratios)),
        "warnings": warnings,
        "instances": found,
    }
