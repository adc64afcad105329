"""Run the benchmarks: ``.venv/bin/python bench/run.py [--duration S] [--concurrency C]
[--only NAME]``. Prints a table and writes ``bench/results/<name>.json``.

Each benchmark module exposes ``NAME`` and ``run(duration, concurrency) -> dict`` returning
``{"targets": {target: {"rps", "p50_ms", "p99_ms", "cpu_us_per_req", "server_cpu_runs",
"client_cpu_runs", ...}}, "ratios": {label: value}, "primary": label, "warnings": [str], ...}``.
Timings depend on the machine; only the ratios are meant to be compared, the primary one first.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # so ``bench.*`` imports when run as a script

BENCHMARKS = (
    "bench.home_vs_bare",
    "bench.census_import",
    "bench.hearing_page",
    "bench.tally_ranked",
    "bench.mes_pabutools",
    "bench.votes",
    "bench.minutes",
)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the Deliberate benchmarks.")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per run")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent connections")
    parser.add_argument("--only", metavar="NAME", help="run only the benchmark with this NAME")
    args = parser.parse_args()

    modules = [importlib.import_module(name) for name in BENCHMARKS]
    if args.only:
        modules = [m for m in modules if m.NAME == args.only]
        if not modules:
            parser.error(f"no benchmark named {args.only!r}")

    failed = []
    print(
        f"{'benchmark':<20} {'target':<8} {'rps':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'srv us/req':>10} {'srv cpu':>8} {'cli cpu':>8}",
        flush=True,
    )
    for module in modules:
        try:
            result = module.run(args.duration, args.concurrency)
        except Exception:
            traceback.print_exc()
            print(f"{module.NAME:<20} FAILED", flush=True)
            failed.append(module.NAME)
            continue
        for target, t in result["targets"].items():
            print(
                f"{module.NAME:<20} {target:<8} {t['rps']:>9.1f} "
                f"{t['p50_ms']:>8.2f} {t['p99_ms']:>8.2f} {t['cpu_us_per_req']:>10.1f} "
                f"{max(t['server_cpu_runs']):>8.0%} {max(t['client_cpu_runs']):>8.0%}"
            )
        for line in result.get("lines", []):
            print(line, flush=True)
        for label, value in result["ratios"].items():
            note = "  (primary)" if label == result["primary"] else ""
            print(f"{module.NAME} ratio {label} = {value:.3g}{note}", flush=True)
        for warning in result["warnings"]:
            print(f"{module.NAME} WARNING: {warning}", flush=True)
        record = {
            "name": module.NAME,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "duration": args.duration,
            "concurrency": args.concurrency,
            "python": platform.python_version(),
            "machine": platform.machine(),
            **result,
        }
        out = HERE / "results" / f"{module.NAME}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(record, indent=2) + "\n")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
