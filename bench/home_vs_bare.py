"""The Deliberate home page ``GET /`` versus a bare Litestar handler returning the same bytes
(``bench/bare_app.py``), served the same way in the same run: requests per second and server
CPU time per request, with load from ``bench/loadgen.py`` in a separate process."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

NAME = "home_vs_bare"

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WARMUP = 1.0
STARTUP_TIMEOUT = 30.0
ORDER = ("bare", "home", "home", "bare")  # two rounds, alternating, to reduce drift
CLIENT_BOUND = 0.85  # client CPU share (of one core) above which the bare rps is client-bound


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(
    factory: str, env: dict[str, str], log: Path, ready_path: str
) -> Iterator[tuple[int, int]]:
    """Run one uvicorn worker for ``factory``; yield (port, pid) once ``ready_path`` is 200."""
    port = free_port()
    cmd = [
        str(BIN / "python"), "-m", "uvicorn", "--factory", factory,
        "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--log-level", "warning", "--no-server-header",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{factory} exited with {proc.returncode}; see {log}")
            try:
                if httpx.get(base + ready_path, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{factory} not ready after {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.1)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(port: int, pid: int, duration: float, concurrency: int, out: Path) -> dict[str, Any]:
    """Load 127.0.0.1:``port`` from a separate process (``bench/loadgen.py``, own core)."""
    cmd = [
        str(BIN / "python"), "-m", "bench.loadgen", str(port), "--pid", str(pid),
        "--out", str(out), "--warmup", str(WARMUP), "--duration", str(duration),
        "--concurrency", str(concurrency),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT)
    try:
        proc.wait(timeout=WARMUP + duration + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator exited with {proc.returncode}")
    result = json.loads(out.read_text())
    if result["statuses"] or result["errors"] or not result["ok"]:
        raise RuntimeError(
            f"port {port}: {result['ok']} ok, non-200 {result['statuses']}, "
            f"errors {result['errors']}"
        )
    return result


def percentile_ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run(duration: float, concurrency: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-home-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "DELIBERATE_ENV"}
        env["DELIBERATE_DATA_DIR"] = str(tmp)
        for command in ("migrate", "demo"):
            subprocess.run(
                [str(BIN / "deliberate"), command],
                env=env, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        log = tmp / "server.log"

        with serve("deliberate.asgi:create", env, log, "/healthz") as (port, _):
            response = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
            if response.status_code != 200:
                raise RuntimeError(f"home page: status {response.status_code}")
        body_file = tmp / "home.html"
        body_file.write_bytes(response.content)
        bare_env = {**env, "BENCH_BODY_FILE": str(body_file), "PYTHONPATH": str(ROOT)}

        targets = {
            "home": ("deliberate.asgi:create", env, "/healthz"),
            "bare": ("bench.bare_app:create", bare_env, "/"),
        }
        runs: dict[str, list[dict[str, Any]]] = {"home": [], "bare": []}
        for i, target in enumerate(ORDER):
            factory, target_env, ready_path = targets[target]
            with serve(factory, target_env, log, ready_path) as (port, pid):
                if target == "bare":
                    got = httpx.get(f"http://127.0.0.1:{port}/", timeout=10).content
                    if got != response.content:
                        raise RuntimeError("bare app does not return the home page bytes")
                runs[target].append(
                    measure(port, pid, duration, concurrency, tmp / f"load{i}.json")
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    results: dict[str, dict[str, Any]] = {}
    for target, measured in runs.items():
        latencies = [x for m in measured for x in m["latencies"]]
        rps = [m["ok"] / m["elapsed"] for m in measured]
        cpu_us = [m["server_cpu_s"] / m["ok"] * 1e6 for m in measured]
        results[target] = {
            "rps": statistics.median(rps),
            "rps_runs": rps,
            "requests": sum(m["ok"] for m in measured),
            "p50_ms": percentile_ms(latencies, 0.50),
            "p99_ms": percentile_ms(latencies, 0.99),
            "cpu_us_per_req": statistics.median(cpu_us),
            "cpu_us_per_req_runs": cpu_us,
            # shares of one core over the measured window
            "server_cpu_runs": [m["server_cpu_s"] / m["elapsed"] for m in measured],
            "client_cpu_runs": [m["client_cpu_s"] / m["elapsed"] for m in measured],
        }
    bare, home = results["bare"], results["home"]
    efficiency = "bare/home server CPU per request"
    warnings = []
    if max(bare["client_cpu_runs"]) > CLIENT_BOUND:
        warnings.append(
            f"client used {max(bare['client_cpu_runs']):.0%} of a core during the bare run: "
            f"bare rps is client-bound, so the rps ratio overstates home; trust {efficiency!r}"
        )
    return {
        "targets": {"bare": bare, "home": home},
        "ratios": {
            efficiency: bare["cpu_us_per_req"] / home["cpu_us_per_req"],
            "home/bare rps": home["rps"] / bare["rps"],
        },
        "primary": efficiency,
        "warnings": warnings,
        "body_bytes": len(response.content),
    }
