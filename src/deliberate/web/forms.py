"""Small helpers shared by routes: reading a form, redirecting, who the client is."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect

from deliberate.web.security import client_ip

MAX_FIELD = 20_000  # characters kept of any one field; longer input is cut, then refused


async def form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted form as plain strings (first value of each field, NULs removed)."""
    form = await request.form()
    data: dict[str, str] = {}
    for key, value in form.multi_items():
        if key in data or not isinstance(value, str):
            continue
        data[key] = value.replace("\x00", "")[:MAX_FIELD]
    return data


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative ``//``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def redirect(path: str, *, cookies: list[Cookie] | None = None) -> Redirect:
    """303 See Other: after a POST the browser fetches the next page with GET."""
    return Redirect(path=path, status_code=303, cookies=cookies or [])


def request_ip(request: Request[Any, Any, Any]) -> str:
    settings = request.app.state.settings
    peer = request.client.host if request.client else None
    return client_ip(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies) or (
        "unknown"
    )


async def uploaded_file(request: Request[Any, Any, Any], name: str) -> bytes | None:
    """The bytes of an uploaded file field (the body size limit applies before this)."""
    form = await request.form()
    upload = form.get(name)
    if upload is None or isinstance(upload, str):
        return None
    data = await upload.read()
    return data or None
