"""Casting votes through HTTP (quality.md: "Casting a vote, through HTTP with session, CSRF
and eligibility checks, sustains at least half the throughput of a bare Litestar handler
that does one INSERT on the same database in the same run, with p99 latency under 200 ms at
100 concurrent voters"), on SQLite and on PostgreSQL.

For each backend: a fresh database (SQLite: a file in a temporary data directory;
PostgreSQL: a throwaway server from ``tests/support/postgres.py``), migrated and seeded by
``python -m bench.votes seed OUT COUNT`` with an open, frozen approval poll made through the
real services and COUNT verified residents, each with a signed-in session whose token, a valid
CSRF token and a ballot the load generator knows. The real server (``deliberate.asgi:create``,
one uvicorn worker, as in home_vs_bare) is then loaded by ``python -m bench.votes load``, a
process of its own: each of the concurrent connections POSTs ``/polls/{id}/cast`` back to
back, every request for the next unused voter, with the session cookie, the CSRF cookie and
the CSRF form field; every answer must be the 200 receipt page. The baseline, in the same run
on the same database, is ``bench/bare_app.py``'s ``POST /insert`` (one INSERT, no session, no
CSRF) served and loaded the same way. Then each is served once more for an open loop:
requests arriving at PACED_RATES a second (Poisson, PACED_SECONDS each, a connection each,
at most PACED_LIMIT at once), latency from the planned arrival to the whole answer (the
saturated closed loop above measures throughput; its latency is the queue's). Afterwards
ballots, roll rows, ``poll.voted`` audit events and 200 answers must all be equal.

``python -m bench.votes profile [--backend sqlite|postgresql] [--votes N]`` casts votes one
at a time in-process on a fresh database and prints wall and CPU time per vote, the SQL
statements of one vote with their times, and a cProfile of the event loop's thread by
package and by function (not part of ``bench/run.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

NAME = "votes"

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WARMUP = 1.0
ORDER = ("bare", "votes", "votes", "bare")  # two rounds, alternating, to reduce drift
RATIO_BAR = 0.5  # quality.md: at least half the bare handler's throughput
P99_BAR_MS = 200.0  # quality.md: p99 under 200 ms at 100 concurrent voters
CLIENT_BOUND = 0.85  # as in home_vs_bare
MAX_RPS = 2_500  # voters are seeded for at most this many votes per second (all runs)
MIN_VOTERS = 20_000
SPARE = 4  # voters the seeding keeps for the checks (statement count, first vote)
OPTIONS = ("修建非机动车棚", "增加绿化带", "安装路灯", "增设健身器材", "改造儿童游乐场", "加装电梯")
MAX_CHOICES = 3
SESSION_COOKIE = "__Host-session"
CSRF_COOKIE = "__Host-csrftoken"
DUMMY_HASH = "!"  # the voters never sign in with a password (as tests/support/polls.py)
SEED = 20261201

# Open loop: votes (and bare inserts) arriving at these rates, Poisson, each on a connection
# of its own (a voter's browser), at most PACED_LIMIT at once; PACED_SECONDS of arrivals each.
PACED_RATES = (25, 50, 100)
PACED_SECONDS = 5.0
PACED_LIMIT = 100

BACKENDS = ("sqlite", "postgresql")
SHORT = {"sqlite": "sq", "postgresql": "pg"}


def voters_needed(duration: float) -> int:
    runs = ORDER.count("votes")
    paced = sum(paced_count(rate) for rate in (PACED_RATES[0], *PACED_RATES))  # + warm-up
    return max(MIN_VOTERS, int(MAX_RPS * (WARMUP + duration + 2) * runs)) + paced


def paced_count(rate: float) -> int:
    return int(rate * PACED_SECONDS)


# ---------------------------------------------------------------------------- seeding


async def _seed_poll(
    database: Any, settings: Any, now: datetime
) -> tuple[int, list[int], list[int]]:
    """Areas, a committee with its chair, a published consultation (bench/seeding.py) and
    an open, frozen approval poll for the verified residents of the street, through the
    services. Returns (poll id, option ids, the ids of the street's three communities)."""
    from sqlmodel import col, select

    from bench.seeding import published_consultation, seed_board
    from deliberate.polls import services as poll_services
    from deliberate.polls.forms import OptionInput, PollInput
    from deliberate.polls.models import PollOption

    board = await seed_board(database, settings, now, DUMMY_HASH)
    item = await published_consultation(
        database,
        board,
        title="幸福街道2027年民生实事项目",
        summary="请居民投票选出明年优先实施的民生实事项目。",
        milestones="2026-12-01 投票开始",
    )
    data = PollInput(
        title="2027年民生实事项目投票",
        question="您最希望明年优先实施哪些项目？（最多选三项）",
        description="每位经过核验的街道居民可投一票。",
        method="approval",
        max_choices=MAX_CHOICES,
        budget=None,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        rule_area_id=board.areas["hx-s"],
        min_age=None,
        options=tuple(OptionInput(label, 0, "") for label in OPTIONS),
    )
    poll = await poll_services.create(database, board.chair_auth, item.id, data, now=now)  # type: ignore[arg-type]
    poll = await poll_services.freeze(database, board.chair_auth, poll.id, now=now)  # type: ignore[arg-type]
    async with database.read() as session:
        options = list(
            (
                await session.exec(
                    select(PollOption.id)
                    .where(PollOption.poll_id == poll.id)
                    .order_by(col(PollOption.position))
                )
            ).all()
        )
    return poll.id, options, board.communities  # type: ignore[return-value]


async def _seed_voters(
    database: Any, count: int, communities: Sequence[int], now: datetime
) -> list[str]:
    """``count`` confirmed residents verified in the communities, each with a session
    (residents: no second factor), bulk-inserted. Returns their session tokens."""
    from sqlalchemy import insert

    from deliberate.accounts.models import User, UserSession
    from deliberate.accounts.services import PRIVACY_VERSION
    from deliberate.accounts.tokens import public_id, session_hash, session_token
    from deliberate.identity.models import Verification

    joined = now - timedelta(days=90)
    tokens = [session_token() for _ in range(count)]
    batch = 2_000
    async with database.write() as session:
        connection = await session.connection()
        for start in range(0, count, batch):
            numbers = range(start, min(start + batch, count))
            users = [
                {
                    "public_id": public_id(),
                    "email": f"voter{n}@bench.example.org",
                    "display_name": f"居民{n}",
                    "password_hash": DUMMY_HASH,
                    "role": "resident",
                    "locale": "zh_CN",
                    "publish_name": False,
                    "privacy_version": PRIVACY_VERSION,
                    "privacy_accepted_at": joined,
                    "confirmed_at": joined,
                    "password_changed_at": joined,
                    "created_at": joined,
                }
                for n in numbers
            ]
            user_ids = (
                (
                    await connection.execute(
                        insert(User).returning(User.id, sort_by_parameter_order=True), users
                    )
                )
                .scalars()
                .all()
            )
            await connection.execute(
                insert(Verification),
                [
                    {
                        "user_id": user_id,
                        "area_id": communities[n % len(communities)],
                        "method": "census",
                        "birth_year": 1940 + n % 60,
                        "verified_at": joined + timedelta(days=1),
                    }
                    for n, user_id in zip(numbers, user_ids, strict=True)
                ],
            )
            await connection.execute(
                insert(UserSession),
                [
                    {
                        "token_hash": session_hash(tokens[n]),
                        "user_id": user_id,
                        "created_at": now,
                        "last_seen_at": now,
                        "expires_at": now + timedelta(hours=12),
                        "second_factor_at": None,
                        "user_agent": "bench",
                    }
                    for n, user_id in zip(numbers, user_ids, strict=True)
                ],
            )
    return tokens


def ballot_body(csrf: str, options: Sequence[int], rng: random.Random) -> str:
    """The form the confirmation page's "cast" button sends: the CSRF field and the
    ballot's hidden fields (one to MAX_CHOICES approved options)."""
    chosen = sorted(rng.sample(list(options), rng.randint(1, MAX_CHOICES)))
    return urlencode([("_csrf_token", csrf), *((f"option-{o}", "yes") for o in chosen)])


def request_bytes(path: str, token: str | None, csrf: str | None, body: str) -> bytes:
    cookies = []
    if token:
        cookies.append(f"{SESSION_COOKIE}={token}")
    if csrf:
        cookies.append(f"{CSRF_COOKIE}={csrf}")
    head = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body.encode())}",
    ]
    if cookies:
        head.append("Cookie: " + "; ".join(cookies))
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


class Statements:
    """The SQL statements sent through some engines, by kind and table."""

    def __init__(self, engines: Sequence[Any]) -> None:
        from sqlalchemy import event

        self.seen: list[str] = []
        for engine in {id(e): e for e in engines}.values():
            event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.seen.append(" ".join(statement.split()))


def describe_statement(sql: str) -> str:
    """``SELECT user_session`` / ``INSERT ballot`` / ``BEGIN IMMEDIATE``: kind and table."""
    words = sql.replace('"', "").split()
    kind = words[0].upper() if words else "?"
    if kind == "SELECT":  # the first table of the outermost FROM
        depth = 0
        for n, word in enumerate(words):
            if depth == 0 and word.upper() == "FROM" and n + 1 < len(words):
                return f"SELECT {words[n + 1].strip('(),')}"
            depth += word.count("(") - word.count(")")
        return "SELECT"
    if kind in ("INSERT", "DELETE"):
        return f"{kind} {words[2]}"
    if kind == "UPDATE":
        return f"UPDATE {words[1]}"
    return " ".join(words[:2]).upper()


async def _vote_in_process(client: Any, path: str, token: str, csrf: str, body: str) -> Any:
    return await client.post(
        path,
        content=body.encode(),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={csrf}",
        },
    )


async def seed(out: Path, count: int) -> dict[str, Any]:
    """Seed the database of ``DELIBERATE_DATA_DIR`` / ``DELIBERATE_DATABASE_URL`` (already
    migrated); write the voters (token, CSRF token, body; one per line) beside ``out`` and
    what was made to ``out``. Also creates the bare handler's table and counts the SQL
    statements of one vote in-process."""
    from litestar.middleware.csrf import generate_csrf_token
    from litestar.testing import AsyncTestClient

    from bench.bare_app import create_table
    from deliberate.app import create_app
    from deliberate.config import Settings
    from deliberate.db import Database

    started = time.perf_counter()
    settings = Settings.from_env()
    database = Database(settings.database_url)
    now = datetime.now(UTC)
    rng = random.Random(SEED)
    poll_id, options, communities = await _seed_poll(database, settings, now)
    made_poll = time.perf_counter() - started
    tokens = await _seed_voters(database, count, communities, now)
    await database.dispose()
    await create_table(settings.database_url)
    voters = []
    for token in tokens:
        csrf = generate_csrf_token(settings.secret_key)
        voters.append((token, csrf, ballot_body(csrf, options, rng)))
    seconds = time.perf_counter() - started
    voters_file = out.with_suffix(".voters")
    await asyncio.to_thread(voters_file.write_text, "".join(f"{t} {c} {b}\n" for t, c, b in voters))

    # The statements of one vote, in-process (after one warm-up vote), with the spare
    # voters at the end of the list; and a request without the CSRF field is refused.
    path = f"/polls/{poll_id}/cast"
    app = create_app(settings)
    counter = Statements([app.state.database.reader, app.state.database.writer])
    async with AsyncTestClient(app=app) as client:
        warm = await _vote_in_process(client, path, *voters[-1])
        before = len(counter.seen)
        counted = await _vote_in_process(client, path, *voters[-2])
        statements = counter.seen[before:]
        token, csrf, body = voters[-3]
        no_csrf = await client.post(
            path,
            content=body.split("&", 1)[1].encode(),
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={csrf}",
            },
        )
    for response in (warm, counted):
        if response.status_code != 200 or "receipt-code" not in response.text:
            raise RuntimeError(f"in-process vote: status {response.status_code}")
    if no_csrf.status_code != 403:
        raise RuntimeError(f"a vote without the CSRF field got {no_csrf.status_code}, not 403")
    return {
        "poll_id": poll_id,
        "options": options,
        "voters": count - SPARE,
        "voters_file": str(voters_file),
        "seconds": seconds,
        "poll_seconds": made_poll,
        "statements": [describe_statement(s) for s in statements],
        "in_process_votes": 2,
        "receipt_bytes": len(counted.content),
    }


async def touch() -> None:
    """Every session was last seen now: as after the confirmation page, a moment before
    the "cast" button (otherwise the session middleware writes last-seen once a minute)."""
    from sqlalchemy import update

    from deliberate.accounts.models import UserSession
    from deliberate.config import Settings
    from deliberate.db import Database

    database = Database(Settings.from_env().database_url)
    try:
        async with database.write() as session:
            await session.exec(update(UserSession).values(last_seen_at=datetime.now(UTC)))  # type: ignore[call-overload]
    finally:
        await database.dispose()


async def count(poll_id: int) -> dict[str, Any]:
    """Ballots, roll rows, ``poll.voted`` events and bare inserts; and the audit chain."""
    from sqlalchemy import func
    from sqlmodel import select

    from bench.bare_app import INSERTS
    from deliberate.audit import services as audit
    from deliberate.audit.models import AuditEvent
    from deliberate.config import Settings
    from deliberate.db import Database
    from deliberate.polls.models import Ballot, VoterRoll

    database = Database(Settings.from_env().database_url)
    try:
        async with database.read() as session:

            async def number(statement: Any) -> int:
                return (await session.exec(statement)).one()

            found = {
                "ballots": await number(
                    select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
                ),
                "roll": await number(
                    select(func.count()).select_from(VoterRoll).where(VoterRoll.poll_id == poll_id)
                ),
                "voted_events": await number(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "poll.voted")
                ),
                "inserts": await number(select(func.count()).select_from(INSERTS)),
            }
            checked, broken = await audit.verify(session)
            found["audit_checked"] = checked
            found["audit_broken"] = None if broken is None else str(broken)
    finally:
        await database.dispose()
    return found


# ------------------------------------------------------------------------ load


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 answer with a Content-Length: (status, body)."""
    head = (await reader.readuntil(b"\r\n\r\n")).lower()
    start = head.find(b"\r\ncontent-length:")
    if not head.startswith(b"http/1.1 ") or start < 0 or b"\r\ntransfer-encoding:" in head:
        raise ValueError(f"unsupported response head {head[:200]!r}")
    body = await reader.readexactly(int(head[start + 17 : head.index(b"\r\n", start + 2)]))
    return int(head[9:12]), body


async def _paced(port: int, rate: float, requests: Sequence[bytes], seed: int) -> dict[str, Any]:
    """Open loop: each request starts at its planned arrival (Poisson, ``rate`` a second)
    on a connection of its own, at most PACED_LIMIT at once. Latency runs from the planned
    arrival to the whole answer, so any wait on this side counts against the server."""
    rng = random.Random(seed)
    plan, at = [], 0.0
    for request in requests:
        at += rng.expovariate(rate)
        plan.append((at, request))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    samples: list[str] = []
    limit = asyncio.Semaphore(PACED_LIMIT)
    began = time.perf_counter() + 0.2

    async def one(at: float, request: bytes) -> None:
        await asyncio.sleep(max(0.0, began + at - time.perf_counter()))
        async with limit:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                try:
                    writer.write(request)
                    status, body = await read_answer(reader)
                finally:
                    writer.close()
            except Exception as exc:  # any failure is reported and fails the benchmark
                errors[type(exc).__name__] += 1
                return
        if status == 200:
            latencies.append(time.perf_counter() - (began + at))
        else:
            statuses[status] += 1
            if len(samples) < 3:
                samples.append(body[:2000].decode(errors="replace"))

    await asyncio.gather(*(one(at, request) for at, request in plan))
    return {
        "rate": rate,
        "ok": len(latencies),
        "latencies": latencies,
        "statuses": dict(statuses),
        "errors": dict(errors),
        "samples": samples,
        "exhausted": len(plan) < paced_count(rate),
        "seconds": plan[-1][0] if plan else 0.0,
    }


async def _load(
    port: int,
    pid: int,
    db_pid: int | None,
    warmup: float,
    duration: float,
    concurrency: int,
    requests: Iterator[bytes],
) -> dict[str, Any]:
    from bench.loadgen import cpu_seconds

    ends: list[float] = []
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    samples: list[str] = []
    stop = asyncio.Event()
    total_ok = 0
    exhausted = False

    async def worker() -> None:
        nonlocal total_ok, exhausted
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            errors[type(exc).__name__] += 1
            return
        clock = time.perf_counter
        try:
            while not stop.is_set():
                request = next(requests, None)
                if request is None:
                    exhausted = True
                    return
                t0 = clock()
                writer.write(request)
                status, body = await read_answer(reader)
                t1 = clock()
                if status == 200:
                    total_ok += 1
                    ends.append(t1)
                    latencies.append(t1 - t0)
                else:
                    statuses[status] += 1
                    if len(samples) < 3:
                        samples.append(body[:2000].decode(errors="replace"))
        except Exception as exc:  # any failure ends this connection and fails the benchmark
            errors[type(exc).__name__] += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    await asyncio.sleep(warmup)
    server0, client0 = cpu_seconds(pid), cpu_seconds(os.getpid())
    db0 = cpu_seconds(db_pid) if db_pid else 0.0
    t_start = time.perf_counter()
    await asyncio.sleep(duration)
    t_end = time.perf_counter()
    server1, client1 = cpu_seconds(pid), cpu_seconds(os.getpid())
    db1 = cpu_seconds(db_pid) if db_pid else 0.0
    stop.set()
    _, pending = await asyncio.wait(tasks, timeout=30)
    for task in pending:
        task.cancel()
        errors["Timeout"] += 1
    in_window = [lat for end, lat in zip(ends, latencies, strict=True) if t_start <= end < t_end]
    return {
        "ok": len(in_window),
        "total_ok": total_ok,
        "elapsed": t_end - t_start,
        "latencies": in_window,
        "statuses": dict(statuses),
        "errors": dict(errors),
        "samples": samples,
        "exhausted": exhausted,
        "server_cpu_s": server1 - server0,
        "client_cpu_s": client1 - client0,
        "db_cpu_s": db1 - db0,
    }


def load(argv: Sequence[str]) -> None:
    """``python -m bench.votes load PORT --pid PID --out FILE [--db-pid PID] [--warmup S]
    [--duration S] [--concurrency C] [--paced RATE] (--voters FILE --poll ID --first N |
    --insert)``; with ``--paced``, PACED_SECONDS of open-loop arrivals instead."""
    from bench import loadgen

    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--db-pid", type=int)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--warmup", type=float, default=WARMUP)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--voters", type=Path)
    parser.add_argument("--poll", type=int)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--last", type=int)
    parser.add_argument("--insert", action="store_true")
    parser.add_argument("--paced", type=float, help="open loop at this many requests a second")
    args = parser.parse_args(argv)
    if args.insert:
        fixed = request_bytes("/insert", None, None, "")
        requests: Iterator[bytes] = iter(lambda: fixed, None)
    else:
        path = f"/polls/{args.poll}/cast"
        lines = args.voters.read_text().splitlines()[args.first : args.last]
        prepared = [request_bytes(path, *line.split(" ", 2)) for line in lines]
        requests = iter(prepared)
    if args.paced:
        paced = list(itertools.islice(requests, paced_count(args.paced)))
        result = loadgen.run_loop(_paced(args.port, args.paced, paced, SEED))
        args.out.write_text(json.dumps(result))
        return
    result = loadgen.run_loop(
        _load(
            args.port,
            args.pid,
            args.db_pid,
            args.warmup,
            args.duration,
            args.concurrency,
            requests,
        )
    )
    args.out.write_text(json.dumps(result))


def measure(
    port: int,
    pid: int,
    db_pid: int | None,
    duration: float,
    concurrency: int,
    out: Path,
    extra: Sequence[str],
) -> dict[str, Any]:
    cmd = [
        str(BIN / "python"), "-m", "bench.votes", "load", str(port), "--pid", str(pid),
        "--out", str(out), "--warmup", str(WARMUP), "--duration", str(duration),
        "--concurrency", str(concurrency), *extra,
    ]  # fmt: skip
    if db_pid:
        cmd += ["--db-pid", str(db_pid)]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    try:
        proc.wait(timeout=WARMUP + duration + 120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator exited with {proc.returncode}")
    result = json.loads(out.read_text())
    if result["exhausted"]:
        raise RuntimeError(
            f"the load generator ran out of voters after {result['total_ok']} votes: "
            f"raise MAX_RPS in bench/votes.py"
        )
    if result["statuses"] or result["errors"] or not result["ok"]:
        raise RuntimeError(
            f"port {port}: {result['ok']} ok, non-200 {result['statuses']}, "
            f"errors {result['errors']}; first bodies: {result['samples']}"
        )
    return result


def measure_paced(port: int, rate: float, out: Path, extra: Sequence[str]) -> dict[str, Any]:
    cmd = [
        str(BIN / "python"), "-m", "bench.votes", "load", str(port), "--pid", "0",
        "--out", str(out), "--paced", str(rate), *extra,
    ]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=PACED_SECONDS + 120)
    result = json.loads(out.read_text())
    if result["exhausted"]:
        raise RuntimeError("the paced load ran out of voters: see voters_needed")
    if result["statuses"] or result["errors"] or result["ok"] != paced_count(rate):
        raise RuntimeError(
            f"port {port} at {rate:g}/s: {result['ok']} ok, non-200 {result['statuses']}, "
            f"errors {result['errors']}; first bodies: {result['samples']}"
        )
    return result


# ------------------------------------------------------------------------ running


def _postgres_pid(server: Any) -> int | None:
    try:
        return int((server.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _touch(env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "python"), "-m", "bench.votes", "touch"], cwd=ROOT, env=env, check=True
    )


def _voter_args(seeded: dict[str, Any], first: int) -> list[str]:
    """The load generator's arguments for the voters from ``first`` on."""
    return [
        "--voters", seeded["voters_file"], "--poll", str(seeded["poll_id"]),
        "--first", str(first), "--last", str(seeded["voters"]),
    ]  # fmt: skip


def run_backend(
    backend: str, duration: float, concurrency: int, tmp: Path, url: str | None, db_pid: int | None
) -> dict[str, Any]:
    import httpx

    from bench.home_vs_bare import percentile_ms, serve

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DELIBERATE_ENV", "DELIBERATE_SMTP_URL", "DELIBERATE_DATABASE_URL")
    }
    env["DELIBERATE_DATA_DIR"] = str(tmp)
    env["PYTHONPATH"] = str(ROOT)
    if url:
        env["DELIBERATE_DATABASE_URL"] = url
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "deliberate"), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    migrated = time.perf_counter() - started
    voters = voters_needed(duration) + SPARE
    seeded_file = tmp / "seed.json"
    subprocess.run(
        [str(BIN / "python"), "-m", "bench.votes", "seed", str(seeded_file), str(voters)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    seeded = json.loads(seeded_file.read_text())
    poll_id = seeded["poll_id"]
    database_url = url or f"sqlite+aiosqlite:///{tmp / 'deliberate.sqlite3'}"
    bare_env = {**env, "BENCH_INSERT_URL": database_url}
    targets = {
        "votes": ("deliberate.asgi:create", env, "/healthz"),
        "bare": ("bench.bare_app:create", bare_env, "/ready"),
    }
    log = tmp / "server.log"
    runs: dict[str, list[dict[str, Any]]] = {"votes": [], "bare": []}
    first = 0
    ok_votes = seeded["in_process_votes"]
    starting_ballots = []
    for i, target in enumerate(ORDER):
        factory, target_env, ready_path = targets[target]
        if target == "votes":
            _touch(env)
        with serve(factory, target_env, log, ready_path) as (port, pid):
            if target == "votes":
                extra = _voter_args(seeded, first)
                starting_ballots.append(ok_votes)
            else:
                response = httpx.post(f"http://127.0.0.1:{port}/insert", timeout=10)
                if response.status_code != 200:
                    raise RuntimeError(f"bare POST /insert: status {response.status_code}")
                extra = ["--insert"]
            measured = measure(
                port, pid, db_pid, duration, concurrency, tmp / f"load{i}.json", extra
            )
            runs[target].append(measured)
            if target == "votes":
                first += measured["total_ok"]
                ok_votes += measured["total_ok"]
    paced: dict[str, dict[str, dict[str, float]]] = {"votes": {}, "bare": {}}
    paced_inserts = 0
    for target in ("votes", "bare"):
        factory, target_env, ready_path = targets[target]
        if target == "votes":
            _touch(env)
        with serve(factory, target_env, log, ready_path) as (port, _pid):
            # The first rate again, unrecorded, warms the fresh server (connections,
            # templates) first.
            for n, rate in enumerate((PACED_RATES[0], *PACED_RATES)):
                extra = _voter_args(seeded, first) if target == "votes" else ["--insert"]
                found = measure_paced(port, rate, tmp / f"paced-{target}-{n}.json", extra)
                if target == "votes":
                    first += found["ok"]
                    ok_votes += found["ok"]
                else:
                    paced_inserts += found["ok"]
                if n == 0:
                    continue
                paced[target][str(rate)] = {
                    "p50_ms": percentile_ms(found["latencies"], 0.50),
                    "p99_ms": percentile_ms(found["latencies"], 0.99),
                    "max_ms": max(found["latencies"]) * 1000,
                }
    # + one check per closed-loop server
    bare_inserts = 2 + sum(m["total_ok"] for m in runs["bare"]) + paced_inserts
    counted_file = tmp / "count.json"
    subprocess.run(
        [str(BIN / "python"), "-m", "bench.votes", "count", str(counted_file), str(poll_id)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    counted = json.loads(counted_file.read_text())

    results: dict[str, dict[str, Any]] = {}
    for target, measured in runs.items():
        latencies = [x for m in measured for x in m["latencies"]]
        rps = [m["ok"] / m["elapsed"] for m in measured]
        cpu_us = [m["server_cpu_s"] / m["ok"] * 1e6 for m in measured]
        db_us = [m["db_cpu_s"] / m["ok"] * 1e6 for m in measured]
        results[target] = {
            "rps": statistics.median(rps),
            "rps_runs": rps,
            "requests": sum(m["ok"] for m in measured),
            "p50_ms": percentile_ms(latencies, 0.50),
            "p99_ms": percentile_ms(latencies, 0.99),
            "p50_ms_runs": [percentile_ms(m["latencies"], 0.50) for m in measured],
            "p99_ms_runs": [percentile_ms(m["latencies"], 0.99) for m in measured],
            "max_ms": max(latencies) * 1000,
            "cpu_us_per_req": statistics.median(cpu_us),
            "cpu_us_per_req_runs": cpu_us,
            "db_cpu_us_per_req": statistics.median(db_us) if db_pid else None,
            "server_cpu_runs": [m["server_cpu_s"] / m["elapsed"] for m in measured],
            "client_cpu_runs": [m["client_cpu_s"] / m["elapsed"] for m in measured],
            "db_cpu_runs": [m["db_cpu_s"] / m["elapsed"] for m in measured] if db_pid else [],
        }
    return {
        "targets": results,
        "seeded": seeded,
        "migrate_seconds": migrated,
        "counted": counted,
        "expected_votes": ok_votes,
        "expected_inserts": bare_inserts,
        "ballots_before_runs": starting_ballots,
        "paced": paced,
    }


def run(duration: float, concurrency: int) -> dict[str, Any]:
    from tests.support.postgres import PostgresServer

    warnings: list[str] = []
    measured: dict[str, dict[str, Any]] = {}
    for backend in BACKENDS:
        tmp = Path(tempfile.mkdtemp(prefix=f"bench-votes-{backend}-"))
        server = None
        try:
            url = db_pid = None
            if backend == "postgresql":
                try:
                    server = PostgresServer().start()
                    server.sql("CREATE DATABASE bench_votes")
                except Exception as exc:  # reported, never silently skipped
                    warnings.append(
                        f"PostgreSQL could not be started, so it was NOT measured: "
                        f"{type(exc).__name__}: {str(exc)[:500]}"
                    )
                    continue
                url = server.url("bench_votes")
                db_pid = _postgres_pid(server)
            measured[backend] = run_backend(backend, duration, concurrency, tmp, url, db_pid)
        finally:
            if server is not None:
                server.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    targets: dict[str, dict[str, Any]] = {}
    ratios: dict[str, float] = {}
    lines: list[str] = []
    pad = f"{NAME:<20} "
    for backend, found in measured.items():
        votes, bare = found["targets"]["votes"], found["targets"]["bare"]
        short = SHORT[backend]
        targets[f"{short}-vote"] = votes
        targets[f"{short}-bare"] = bare
        ratio = votes["rps"] / bare["rps"]
        ratios[f"votes/bare rps {backend}"] = ratio
        ratios[f"bare/votes server CPU per request {backend}"] = (
            bare["cpu_us_per_req"] / votes["cpu_us_per_req"]
        )
        seeded, counted = found["seeded"], found["counted"]
        statements = Counter(seeded["statements"])
        lines.append(
            f"{pad}{backend}: seeded {seeded['voters'] + SPARE:,} voters and the poll in "
            f"{seeded['seconds']:.1f} s (+ migrate {found['migrate_seconds']:.1f} s); "
            f"vote p50/p99 per run "
            + ", ".join(
                f"{a:.1f}/{b:.1f}"
                for a, b in zip(votes["p50_ms_runs"], votes["p99_ms_runs"], strict=True)
            )
            + f" ms, max {votes['max_ms']:.0f} ms; bare p50/p99 "
            f"{bare['p50_ms']:.1f}/{bare['p99_ms']:.1f} ms; receipt page "
            f"{seeded['receipt_bytes']:,} bytes"
        )
        lines.append(
            f"{pad}{backend}: open loop (Poisson arrivals for {PACED_SECONDS:g} s, a connection "
            f"each, at most {PACED_LIMIT} at once), p50/p99 ms: "
            + "; ".join(
                f"{rate}/s vote {v['p50_ms']:.0f}/{v['p99_ms']:.0f}, bare "
                f"{b['p50_ms']:.0f}/{b['p99_ms']:.0f}"
                for rate, v, b in (
                    (rate, found["paced"]["votes"][str(rate)], found["paced"]["bare"][str(rate)])
                    for rate in PACED_RATES
                )
            )
        )
        if votes["db_cpu_us_per_req"] is not None:
            lines.append(
                f"{pad}{backend}: PostgreSQL server CPU per request (not in srv us/req): "
                f"vote {votes['db_cpu_us_per_req']:.0f} us, bare {bare['db_cpu_us_per_req']:.0f} us"
            )
        lines.append(
            f"{pad}{backend}: {len(seeded['statements'])} SQL statements per vote: "
            + ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in statements.items())
        )
        lines.append(
            f"{pad}{backend}: after the runs {counted['ballots']:,} ballots, {counted['roll']:,} "
            f"roll rows, {counted['voted_events']:,} poll.voted events, "
            f"{found['expected_votes']:,} votes answered 200; audit chain of "
            f"{counted['audit_checked']:,} events "
            + ("verified" if counted["audit_broken"] is None else "BROKEN")
        )
        expected = found["expected_votes"]
        if not counted["ballots"] == counted["roll"] == counted["voted_events"] == expected:
            warnings.append(
                f"{backend}: ballots {counted['ballots']}, roll {counted['roll']}, poll.voted "
                f"events {counted['voted_events']} and 200 answers {expected} are not all equal"
            )
        if counted["inserts"] != found["expected_inserts"]:
            warnings.append(
                f"{backend}: {counted['inserts']} bare rows, but {found['expected_inserts']} "
                "inserts answered 200"
            )
        if counted["audit_broken"] is not None:
            warnings.append(f"{backend}: the audit chain is broken: {counted['audit_broken']}")
        if ratio < RATIO_BAR:
            warnings.append(
                f"{backend}: votes reach {ratio:.2f} of the bare INSERT handler's throughput "
                f"(bar: at least {RATIO_BAR})"
            )
        if votes["p99_ms"] >= P99_BAR_MS:
            also = (
                f"; the bare handler's p99 is {bare['p99_ms']:.0f} ms too: at this concurrency "
                "the queue and the machine, not only the vote, set the tail"
                if bare["p99_ms"] >= P99_BAR_MS
                else ""
            )
            warnings.append(
                f"{backend}: vote p99 is {votes['p99_ms']:.0f} ms at concurrency {concurrency} "
                f"(bar: under {P99_BAR_MS:.0f} ms){also}"
            )
        if max(bare["client_cpu_runs"]) > CLIENT_BOUND:
            warnings.append(
                f"{backend}: client used {max(bare['client_cpu_runs']):.0%} of a core during a "
                "bare run: bare rps may be client-bound, so the ratio overstates the votes"
            )
    if concurrency != 100:
        warnings.append(f"the bar is at 100 concurrent voters; this run used {concurrency}")
    if not measured:
        raise RuntimeError("no backend could be measured: " + "; ".join(warnings))
    primary = f"votes/bare rps, lower of {' and '.join(measured)} (bar: at least {RATIO_BAR})"
    ratios = {primary: min(ratios[f"votes/bare rps {b}"] for b in measured), **ratios}
    return {
        "targets": targets,
        "lines": lines,
        "ratios": ratios,
        "primary": primary,
        "warnings": warnings,
        "backends": {
            b: {k: v for k, v in found.items() if k != "targets"} for b, found in measured.items()
        },
    }


# ------------------------------------------------------------------------ profiling


class Timings:
    """Wall time of each SQL statement (driver call, thread hops included), by kind."""

    def __init__(self, engines: Sequence[Any]) -> None:
        from sqlalchemy import event

        self.total: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        for engine in {id(e): e for e in engines}.values():
            event.listen(engine.sync_engine, "before_cursor_execute", self._before)
            event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        kind = describe_statement(" ".join(statement.split()))
        self.total[kind] += time.perf_counter() - conn.info["bench_started"].pop()
        self.calls[kind] += 1


def package_of(filename: str, function: str) -> str:
    """Where a profiled function lives: a package, one of ours, or the standard library."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/src/deliberate/" in filename:
        return "deliberate." + filename.split("/src/deliberate/", 1)[1].split("/", 1)[0]
    if "/templates/" in filename:
        return "templates"
    if filename == "~":
        return "built-in " + function.split(" of ")[0].strip("<>{}")[:40]
    if "/bench/" in filename:
        return "bench (client)"
    return "stdlib " + Path(filename).name


async def _profile_votes(
    seeded: dict[str, Any], lines: list[str], votes: int, out: Path
) -> dict[str, Any]:
    """Cast ``votes`` votes one after another in-process, first plainly (wall time, CPU
    time, SQL statements and their times), then again under cProfile counting the main
    thread's CPU time. The app is called through ``httpx.ASGITransport`` in this thread
    and event loop (Litestar's test client would run it in another thread, out of the
    profiler's sight), so the client's own cost is included; on SQLite, the statements
    run in aiosqlite's thread, whose CPU shows in "other threads", not in the profile."""
    import cProfile

    import httpx

    from deliberate.app import create_app
    from deliberate.config import Settings

    settings = Settings.from_env()
    app = create_app(settings)
    engines = [app.state.database.reader, app.state.database.writer]
    counter = Statements(engines)
    timings = Timings(engines)
    path = f"/polls/{seeded['poll_id']}/cast"
    transport = httpx.ASGITransport(app=app)
    batches = [lines[20 + n * votes : 20 + (n + 1) * votes] for n in range(2)]

    async def cast(batch: list[str]) -> None:
        for line in batch:
            response = await _vote_in_process(client, path, *line.split(" ", 2))
            if response.status_code != 200:
                raise RuntimeError(f"vote: status {response.status_code}")

    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client,
    ):
        await cast(lines[:20])  # warm-up
        before = len(counter.seen)
        timings.total.clear()
        timings.calls.clear()
        wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
        await cast(batches[0])
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        main = time.thread_time() - main
        statements = len(counter.seen) - before
        statement_s, statement_calls = Counter(timings.total), Counter(timings.calls)
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        await cast(batches[1])
        profiler.disable()
    profiler.dump_stats(str(out))
    per_vote = 1000 / votes
    return {
        "votes": votes,
        "wall_ms": wall * per_vote,
        "cpu_ms": cpu * per_vote,
        "main_thread_cpu_ms": main * per_vote,
        "statements_per_vote": statements / votes,
        "statement_ms": {k: v * per_vote for k, v in statement_s.most_common()},
        "statement_calls": {k: v / votes for k, v in statement_calls.items()},
    }


def profile(argv: Sequence[str]) -> None:
    import pstats

    parser = argparse.ArgumentParser(prog="python -m bench.votes profile")
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--votes", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="copy the .prof file here")
    args = parser.parse_args(argv)
    from tests.support.postgres import PostgresServer

    tmp = Path(tempfile.mkdtemp(prefix="bench-votes-profile-"))
    server = None
    try:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DELIBERATE_ENV", "DELIBERATE_SMTP_URL", "DELIBERATE_DATABASE_URL")
        }
        env["DELIBERATE_DATA_DIR"] = str(tmp)
        env["PYTHONPATH"] = str(ROOT)
        if args.backend == "postgresql":
            server = PostgresServer().start()
            server.sql("CREATE DATABASE bench_votes")
            env["DELIBERATE_DATABASE_URL"] = server.url("bench_votes")
        subprocess.run(
            [str(BIN / "deliberate"), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        seeded_file = tmp / "seed.json"
        subprocess.run(
            [str(BIN / "python"), "-m", "bench.votes", "seed", str(seeded_file),
             str(2 * args.votes + 20 + SPARE)],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        seeded = json.loads(seeded_file.read_text())
        os.environ.update(env)
        lines = Path(seeded["voters_file"]).read_text().splitlines()
        prof = tmp / "votes.prof"
        found = asyncio.run(_profile_votes(seeded, lines, args.votes, prof))
        other = found["cpu_ms"] - found["main_thread_cpu_ms"]
        print(
            f"{args.backend}: {found['votes']} votes in-process, one at a time, per vote: "
            f"{found['wall_ms']:.2f} ms wall, {found['cpu_ms']:.2f} ms CPU "
            f"({found['main_thread_cpu_ms']:.2f} ms in the event loop's thread, {other:.2f} ms "
            f"in other threads), {found['statements_per_vote']:.1f} SQL statements taking "
            f"{sum(found['statement_ms'].values()):.2f} ms"
        )
        print("statements of one vote: " + ", ".join(seeded["statements"]))
        print("statement time per vote (ms, wall, driver and thread hops included):")
        for kind, ms in found["statement_ms"].items():
            print(f"  {ms:7.3f}  {kind} ×{found['statement_calls'][kind]:g}")
        stats = pstats.Stats(str(prof))
        by_package: Counter[str] = Counter()
        for (filename, _line, function), (_cc, _nc, tottime, *_rest) in stats.stats.items():  # type: ignore[attr-defined]
            by_package[package_of(filename, function)] += tottime
        total = sum(by_package.values())
        print(
            f"event-loop thread CPU under cProfile by package "
            f"({total / args.votes * 1000:.2f} ms per vote with the profiler's overhead):"
        )
        for package, seconds in by_package.most_common(args.top):
            print(f"  {seconds / total:6.1%}  {package}")
        stats.sort_stats("cumulative").print_stats(
            r"deliberate|litestar/(middleware|routes)", args.top
        )
        stats.sort_stats("tottime").print_stats(args.top)
        if args.keep:
            shutil.copy(prof, args.keep)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    command = sys.argv[1:2]
    if command == ["seed"]:
        Path(sys.argv[2]).write_text(
            json.dumps(asyncio.run(seed(Path(sys.argv[2]), int(sys.argv[3]))))
        )
    elif command == ["touch"]:
        asyncio.run(touch())
    elif command == ["count"]:
        Path(sys.argv[2]).write_text(json.dumps(asyncio.run(count(int(sys.argv[3])))))
    elif command == ["load"]:
        load(sys.argv[2:])
    elif command == ["profile"]:
        profile(sys.argv[2:])
    else:
        sys.exit(__doc__)
