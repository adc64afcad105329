"""Reading cookies straight from an ASGI scope (for middleware that runs before routing)."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from litestar.datastructures import Cookie
from litestar.types import Scope


def scope_cookies(scope: Scope) -> dict[str, str]:
    raw = b"; ".join(v for k, v in scope["headers"] if k.lower() == b"cookie")
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except CookieError:  # a malformed Cookie header must not break the page
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def host_cookie(name: str, value: str, *, max_age: int | None = None) -> Cookie:
    """A ``__Host-`` cookie: Secure, HttpOnly, SameSite=Lax, path /, no domain."""
    return Cookie(
        key=name,
        value=value,
        path="/",
        max_age=max_age,
        secure=True,
        httponly=True,
        samesite="lax",
    )


def expired_cookie(name: str) -> Cookie:
    return host_cookie(name, "", max_age=0)
