"""The registry of pages. Every HTML page of the app is listed here (a test checks that
no GET route is missing); the browser suite visits each one in both languages and runs
axe-core on it. Later features add their pages, with the role that sees them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    name: str
    route: str  # the route template, as Litestar knows it
    path: str  # a concrete address to visit (with demo data loaded)
    status: int = 200
    as_user: str | None = None  # None: visited signed out


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "/", "/"),
    PageSpec("not-found", "/{path:path}", "/this/page/does-not-exist", status=404),
    PageSpec("unknown-language", "/", "/?lang=xx", status=400),
)

# GET routes that are not HTML pages.
NOT_PAGES = frozenset({"/healthz", "/api/v1/openapi.json"})
NOT_PAGE_PREFIXES = ("/static", "/_openapi")
