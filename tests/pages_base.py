"""One entry of the page registry (tests/pages.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    name: str
    route: str  # the route template, as Litestar knows it
    path: str  # a concrete address to visit (with demo data loaded)
    status: int = 200
    as_user: str | None = None
