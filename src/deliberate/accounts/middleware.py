"""Loads the signed-in person for every request (one query), ends expired sessions, and
records activity at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from deliberate.accounts import policy, queries, services
from deliberate.accounts.auth import Auth
from deliberate.accounts.tokens import session_hash
from deliberate.db import as_utc
from deliberate.web.cookies import expired_cookie, scope_cookies

SESSION_COOKIE = "__Host-session"
DEVICE_COOKIE = "__Host-device"


def _expired(auth: Auth, now: datetime) -> bool:
    if auth.awaiting_second_factor:
        created = as_utc(auth.session.created_at)
        return now - created > policy.PENDING_SECOND_FACTOR
    return now >= auth.expires_at()


def session_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
        state["auth"] = None
        state["session_ended"] = False
        token = scope_cookies(scope).get(SESSION_COOKIE)
        if token:
            database = scope["litestar_app"].state.database  # type: ignore[typeddict-item]
            async with database.read() as session:
                auth = await queries.auth_for_token_hash(session, session_hash(token))
            now = datetime.now(UTC)
            if auth is None:
                state["session_ended"] = True
            elif _expired(auth, now):
                await services.end_session_by_token(database, token)
                state["session_ended"] = True
            else:
                if policy.needs_touch(auth.session.last_seen_at, now):
                    await services.touch(database, auth, now)
                state["auth"] = auth
        if not state["session_ended"]:
            await app(scope, receive, send)
            return

        async def clearing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)  # type: ignore[arg-type]
                if not any(
                    v.startswith(SESSION_COOKIE + "=") for v in headers.getall("set-cookie", [])
                ):
                    headers.add("set-cookie", expired_cookie(SESSION_COOKIE).to_header(header=""))
            await send(message)

        await app(scope, receive, clearing_send)

    return middleware
