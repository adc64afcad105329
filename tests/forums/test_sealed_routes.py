"""Sealed means sealed: while opinions are sealed, no route of the whole application —
page, fragment, download, export or API, GET or a forum form's POST — shows anything of
an opinion's content (answers, declaration, attachment names or bytes) to anyone but its
author: not to the committee, an administrator, another expert, a resident or a visitor.
After the deadline the same walk finds the content where it belongs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlmodel import col

from deliberate.accounts.models import User, UserSession
from deliberate.accounts.tokens import session_hash, session_token
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.forums import attachments, services
from deliberate.forums.forms import Answer
from deliberate.forums.models import ExpertForum
from tests.support.accounts import csrf_from
from tests.support.forums import ForumWorld, expert, pdf_bytes, world

MARKER = "SEALED7Q3X"
SESSION_COOKIE = "__Host-session"
PARAM = re.compile(r"\{(\w+):(\w+)\}")


async def signed_in_token(database: Database, user: User) -> str:
    """A session past the second factor for ``user``, as the browser's cookie value."""
    token = session_token()
    now = datetime.now(UTC)
    async with database.write() as session:
        session.add(
            UserSession(
                token_hash=session_hash(token),
                user_id=user.id,  # type: ignore[arg-type]
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=8),
                second_factor_at=now,
            )
        )
    return token


async def sealed_world(database: Database, settings: Settings) -> tuple[ForumWorld, list[str]]:
    """Expert A submitted (answers, declaration and an attachment carry the marker);
    returns the world and the values that path parameters may take."""
    w = await world(database, settings, publication="named", experts=False)
    first = await expert(
        database,
        settings,
        w.board,
        w.forum_id,
        "wang.expert@example.org",
        conflicts=f"{MARKER} 曾任顾问",
    )
    now = datetime.now(UTC)
    answers = {
        q.number: Answer(
            summary=f"{MARKER} 摘要",
            analysis=f"{MARKER} 分析",
            recommendation="proceed",
            recommendation_note=f"{MARKER} 建议",
            confidence="high",
            references=f"{MARKER} 参考",
        )
        for q in w.questions
    }
    attached = await attachments.add(
        database,
        settings.data_dir,
        first.auth,
        w.forum_id,
        f"{MARKER}.pdf",
        pdf_bytes(MARKER),
        now=now,
    )
    version = await services.submit(database, first.auth, w.forum_id, answers, now=now)
    follow_ids = {str(attached.id), str(version.id), str(first.invitation.id), str(w.forum_id)}
    values = [*sorted(follow_ids | {str(w.consultation.id), "1", "2"}), first.token]
    w.expert = first
    return w, values


def concrete_paths(app: Litestar, values: list[str], method: str) -> list[str]:
    """Every route's path with each parameter filled from ``values`` (ints) or with the
    invitation token (strings); static files and the OpenAPI viewer are left out."""
    ints = [v for v in values if v.isdigit()]
    strings = [v for v in values if not v.isdigit()]
    paths: set[str] = set()
    for route in app.routes:
        if method not in getattr(route, "methods", set()):
            continue
        if route.path.startswith(("/static", "/_openapi")):
            continue
        candidates = [""]
        for part in re.split(r"(\{\w+:\w+\})", route.path):
            found = PARAM.fullmatch(part)
            if not found:
                candidates = [c + part for c in candidates]
                continue
            pool = ints if found.group(2) == "int" else strings
            candidates = [c + v for c in candidates for v in pool]
        paths.update(candidates)
    return sorted(paths)


async def leaks(client: AsyncTestClient[Any], paths: list[str], cookie: str | None) -> list[str]:
    client.cookies.clear()
    if cookie:
        client.cookies.set(SESSION_COOKIE, cookie, domain="testserver.local")
    found = []
    for path in paths:
        response = await client.get(path)
        if MARKER.encode() in response.content or MARKER in response.headers.get(
            "content-disposition", ""
        ):
            found.append(f"GET {path} ({response.status_code})")
    return found


async def post_leaks(client: AsyncTestClient[Any], paths: list[str], cookie: str) -> list[str]:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie, domain="testserver.local")
    csrf = csrf_from((await client.get("/")).text)
    found = []
    for path in paths:
        if not path.startswith("/forums"):
            continue  # forms elsewhere change accounts and sessions; they read no opinion
        response = await client.post(path, data={"_csrf_token": csrf})
        if MARKER.encode() in response.content:
            found.append(f"POST {path} ({response.status_code})")
    return found


async def test_no_route_shows_a_sealed_opinion(
    database: Database, settings: Settings, app: Litestar, client: AsyncTestClient[Any]
) -> None:
    w, values = await sealed_world(database, settings)
    gets = concrete_paths(app, values, "GET")
    posts = concrete_paths(app, values, "POST")
    assert any(p.startswith("/forums/") and "/attachments/" in p for p in gets)
    readers = {
        "committee chair": await signed_in_token(database, w.board.chair.user),
        "committee member": await signed_in_token(database, w.board.member.user),
        "admin": await signed_in_token(database, w.admin.user),
        "resident": await signed_in_token(database, w.resident.user),
        "member of another committee": await signed_in_token(database, w.other.user),
    }
    # Another expert of the same forum, credentialed and declared.
    other_expert = await expert(database, settings, w.board, w.forum_id, "li@example.org")
    readers["another expert"] = await signed_in_token(database, other_expert.person.user)
    found: dict[str, list[str]] = {}
    for name, token in readers.items():
        found[name] = await leaks(client, gets, token)
        found[name] += await post_leaks(client, posts, token)
    found["visitor"] = await leaks(client, gets, None)
    assert all(not paths for paths in found.values()), found

    # The walk can see: the author reads their own opinion, and after the deadline
    # everyone does (a named forum).
    author = await signed_in_token(database, w.expert.person.user)
    assert await leaks(client, gets, author)
    async with database.write() as session:
        await session.exec(
            update(ExpertForum)
            .where(col(ExpertForum.id) == w.forum_id)
            .values(deadline=datetime.now(UTC) - timedelta(minutes=1))
        )
    released = await leaks(client, gets, None)
    assert f"GET /forums/{w.forum_id}" in " ".join(released)
    assert any(p.startswith(f"GET /api/v1/forums/{w.forum_id}") for p in released)
    assert any("/attachments/" in p for p in released)
