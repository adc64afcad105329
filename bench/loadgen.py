"""Lean HTTP/1.1 keep-alive load generator, run by the benchmarks in a process of its own.

``python -m bench.loadgen PORT --pid PID --out FILE [--warmup S] [--duration S]
[--concurrency C]`` keeps C connections to 127.0.0.1:PORT busy with ``GET /``, one request at a
time each, for warm-up + duration seconds, and writes one JSON object to FILE (not to stdout,
which was seen to lose its tail on large outputs): the latencies of the 200s completed in
the measured window, any other statuses and errors (from the whole run), and the CPU seconds
(utime + stime from /proc) used during the measured window by this process and by process PID
with its descendants.

Only ``Content-Length`` bodies are read; uvicorn sends one for both benchmark apps, so a
chunked response is reported as an error rather than parsed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime (+ reaped children's) of ``pid`` and of its live descendants."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = path.read_text()
        except OSError:  # the process exited meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # fields[0] is stat field 3 (state)
        p = int(path.parent.name)
        parent[p] = int(fields[1])
        ticks[p] = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    tree: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        tree.add(p)
        todo.extend(c for c, pp in parent.items() if pp == p and c not in tree)
    return sum(ticks.get(p, 0) for p in tree) / TICK


class Stats:
    def __init__(self) -> None:
        self.ends: list[float] = []
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.stop = asyncio.Event()


async def worker(port: int, stats: Stats) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        stats.errors[type(exc).__name__] += 1
        return
    clock, ends, latencies = time.perf_counter, stats.ends, stats.latencies
    try:
        while not stats.stop.is_set():
            t0 = clock()
            writer.write(REQUEST)
            head = (await reader.readuntil(b"\r\n\r\n")).lower()
            start = head.find(b"\r\ncontent-length:")
            if not head.startswith(b"http/1.1 ") or start < 0 or b"\r\ntransfer-encoding:" in head:
                raise ValueError(f"unsupported response head {head[:200]!r}")
            await reader.readexactly(int(head[start + 17 : head.index(b"\r\n", start + 2)]))
            t1 = clock()
            if head[9:12] == b"200":
                ends.append(t1)
                latencies.append(t1 - t0)
            else:
                stats.statuses[int(head[9:12])] += 1
    except Exception as exc:  # any failure ends this connection and fails the benchmark
        stats.errors[type(exc).__name__] += 1
    finally:
        writer.close()


async def main(
    port: int, pid: int, warmup: float, duration: float, concurrency: int
) -> dict[str, Any]:
    stats = Stats()
    tasks = [asyncio.create_task(worker(port, stats)) for _ in range(concurrency)]
    await asyncio.sleep(warmup)
    server0, client0, t_start = cpu_seconds(pid), cpu_seconds(os.getpid()), time.perf_counter()
    await asyncio.sleep(duration)
    t_end = time.perf_counter()
    server1, client1 = cpu_seconds(pid), cpu_seconds(os.getpid())
    stats.stop.set()
    _, pending = await asyncio.wait(tasks, timeout=10)
    for task in pending:
        task.cancel()
        stats.errors["Timeout"] += 1
    in_window = [
        lat for end, lat in zip(stats.ends, stats.latencies, strict=True) if t_start <= end < t_end
    ]
    return {
        "ok": len(in_window),
        "elapsed": t_end - t_start,
        "latencies": in_window,
        "statuses": dict(stats.statuses),
        "errors": dict(stats.errors),
        "server_cpu_s": server1 - server0,
        "client_cpu_s": client1 - client0,
    }


def run_loop(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--pid", type=int, required=True, help="server process to measure")
    parser.add_argument("--out", type=Path, required=True, help="JSON result file")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    result = run_loop(main(args.port, args.pid, args.warmup, args.duration, args.concurrency))
    args.out.write_text(json.dumps(result))
