"""Security headers on every response (pages, errors and static files alike)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from ipaddress import IPv4Network, IPv6Network, ip_address

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    )
)
BASE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=63072000; includeSubDomains"
DEFAULT_CACHE_CONTROL = "no-store"


def security_headers_hook(*, production: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    headers_to_add = dict(BASE_HEADERS)
    if production:
        headers_to_add["strict-transport-security"] = HSTS

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)  # type: ignore[arg-type]
        for name, value in headers_to_add.items():
            headers[name] = value
        # Pages may hold a CSRF token or personal data: never cache them unless the
        # handler said otherwise (static files say "cache for a year").
        if "cache-control" not in headers:
            headers["cache-control"] = DEFAULT_CACHE_CONTROL

    return add_security_headers


def client_ip(
    peer: str | None,
    forwarded_for: str | None,
    trusted: tuple[IPv4Network | IPv6Network, ...],
) -> str | None:
    """The client's address: from X-Forwarded-For only when the peer is a trusted proxy.

    Walks the forwarded chain from the right and returns the first address that is not
    itself a trusted proxy, so a client cannot prepend a forged address.
    """
    if peer is None or not trusted or not forwarded_for:
        return peer
    if not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            try:
                return str(ip_address(hop))
            except ValueError:
                return peer
    return hops[0] if hops else peer


def _is_trusted(address: str, trusted: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
