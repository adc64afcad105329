"""Route-level requirements: signed in, or privileged with a second factor. They turn into
redirects (to sign in, to enrol in two-factor, to enter a code), never into dead ends."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request

from deliberate.accounts.auth import Auth
from deliberate.accounts.permissions import second_factor_step


class RedirectRequired(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def current_auth(request: Request[Any, Any, Any]) -> Auth | None:
    return request.scope.get("state", {}).get("auth")


def _here(request: Request[Any, Any, Any]) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def require_signed_in(request: Request[Any, Any, Any]) -> Auth:
    auth = current_auth(request)
    if auth is None:
        raise RedirectRequired("/accounts/login?" + urlencode({"next": _here(request)}))
    if auth.awaiting_second_factor:
        raise RedirectRequired("/accounts/login/verify?" + urlencode({"next": _here(request)}))
    return auth


def require_confirmed(request: Request[Any, Any, Any]) -> Auth:
    """Signed in with a confirmed account (taking part needs one)."""
    auth = require_signed_in(request)
    if not auth.confirmed:
        raise RedirectRequired("/accounts/confirm")
    return auth


def require_privileged(request: Request[Any, Any, Any]) -> Auth:
    """Signed in, and past the second factor when the role demands it."""
    auth = require_signed_in(request)
    step = second_factor_step(auth)
    if step is not None:
        raise RedirectRequired(step + "?" + urlencode({"next": _here(request)}))
    return auth
