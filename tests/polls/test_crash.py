"""Every acknowledged vote survives a crash of the server right after the answer
(quality.md, integrity), on SQLite and PostgreSQL.

The real server (``python -m deliberate run``, one worker) takes votes from many voters at
once over HTTP (session cookie, CSRF cookie and field, as the confirmation page's "cast"
button sends them) and is killed with SIGKILL the moment the first receipt page has fully
arrived, while the other votes are still in flight. Afterwards every receipt that reached
a voter is on the ballots, the roll holds exactly as many voters as there are ballots (no
vote half-written), every ballot has its ``poll.voted`` event and the audit chain verifies.
A restarted server answers again and refuses a second vote from an acknowledged voter.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from litestar.middleware.csrf import generate_csrf_token
from sqlalchemy import func
from sqlmodel import select

from deliberate.accounts.models import UserSession
from deliberate.accounts.tokens import session_hash, session_token
from deliberate.audit import services as audit
from deliberate.audit.models import AuditEvent
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.polls import queries
from deliberate.polls.models import Ballot
from tests.support.hearings import T0
from tests.support.polls import form_for, many_residents, poll_world
from tests.support.serving import deliberate_run

pytestmark = pytest.mark.usefixtures("cheap_passwords")

VOTERS = 24
RECEIPT = re.compile(rb'receipt-code">([0-9a-f]{64})<')


@contextmanager
def serving(settings: Settings, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``deliberate run`` on this test's data directory and database: (process, port)."""
    env = {
        **os.environ,
        "DELIBERATE_ENV": "development",
        "DELIBERATE_DATA_DIR": str(settings.data_dir),
        "DELIBERATE_DATABASE_URL": settings.database_url,
    }
    with deliberate_run(env, log) as started:
        yield started


async def _signed_in(database: Database, user_ids: list[int]) -> list[str]:
    """A session for each user, whose token we keep (the cookie a browser would hold)."""
    now = datetime.now(UTC)
    tokens = [session_token() for _ in user_ids]
    async with database.write() as session:
        session.add_all(
            UserSession(
                token_hash=session_hash(token),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=8),
            )
            for token, user_id in zip(tokens, user_ids, strict=True)
        )
    return tokens


def _request(port: int, path: str, token: str, csrf: str, form: dict[str, str]) -> bytes:
    body = urlencode({"_csrf_token": csrf, **form}).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Cookie: __Host-session={token}; __Host-csrftoken={csrf}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


async def _send(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        return await reader.read()  # Connection: close: the whole answer, then EOF
    finally:
        writer.close()


async def _vote_until_first_answer(
    port: int, requests: list[bytes], process: subprocess.Popen[bytes]
) -> dict[int, str]:
    """Send every request at once; kill the server the moment the first whole 200 answer
    has arrived. The receipts of the answers that arrived whole (usually one), by the
    request's index."""
    receipts: dict[int, str] = {}

    async def one(n: int) -> None:
        try:
            answer = await _send(port, requests[n])
        except OSError:  # the server died first
            return
        found = RECEIPT.search(answer)
        if answer.startswith(b"HTTP/1.1 200") and found:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            receipts[n] = found.group(1).decode()

    await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(len(requests)))), 120)
    return receipts


async def _counts(database: Database, poll_id: int) -> tuple[set[str], int, int, bool]:
    """(the stored receipts, roll rows, ``poll.voted`` events, whether the chain holds)."""
    async with database.read() as session:
        stored = set(
            (await session.exec(select(Ballot.receipt).where(Ballot.poll_id == poll_id))).all()
        )
        roll, _ = await queries.counts(session, poll_id)
        voted = (
            await session.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "poll.voted", AuditEvent.subject == f"poll:{poll_id}")
            )
        ).one()
        _, broken = await audit.verify(session)
    return stored, roll, voted, broken is None


async def test_acknowledged_votes_survive_a_kill_right_after_the_answer(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    w = await poll_world(database, settings, "single", opens_at=T0 - timedelta(hours=1))
    voters = await many_residents(database, VOTERS)
    tokens = await _signed_in(database, [v.user.id for v in voters])  # type: ignore[misc]
    path = f"/polls/{w.poll_id}/cast"
    log = tmp_path / "server.log"

    votes = [
        (token, generate_csrf_token(settings.secret_key), form_for("single", w.options[n % 3]))
        for n, token in enumerate(tokens)
    ]

    with serving(settings, log) as (process, port):
        requests = [_request(port, path, *vote) for vote in votes]
        acknowledged = await _vote_until_first_answer(port, requests, process)
        assert acknowledged, log.read_text()
        assert process.wait(timeout=10) == -signal.SIGKILL

    stored, roll, voted, chain_holds = await _counts(database, w.poll_id)  # type: ignore[arg-type]
    assert set(acknowledged.values()) <= stored
    assert roll == len(stored) == voted
    assert chain_holds

    # After a restart every voter tries again with the same request, as a browser would
    # resend it: an acknowledged voter is refused, the others either were counted before
    # the kill (refused) or are counted now, once.
    with serving(settings, log) as (_, port):
        answers = [await _send(port, _request(port, path, *vote)) for vote in votes]
    statuses = [int(answer[9:12]) for answer in answers]
    assert all(statuses[n] == 409 for n in acknowledged)
    assert set(statuses) <= {200, 409}
    stored_after, roll_after, voted_after, chain_holds = await _counts(database, w.poll_id)  # type: ignore[arg-type]
    assert stored <= stored_after
    assert len(stored_after) == roll_after == voted_after == VOTERS
    assert statuses.count(200) == VOTERS - len(stored)
    assert chain_holds
