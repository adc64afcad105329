"""Pages of the decisions feature for the page registry (see tests/pages.py), visited in
the browser suite with the demo data loaded. `deliberate demo` publishes signed minutes of
consultation 1 (minutes/demo.py) and then records decision 1 citing them, with four
implementation items, one overdue (decisions/demo.py); "chair" is the demo committee's
chair and sees the forms to add items and progress. The one-click unsubscribe page is
visited with a token that was never issued (its 404 page); tests/decisions/test_pages.py
covers it with a real one."""

from __future__ import annotations

from tests.pages_base import PageSpec

D = "/decisions/{decision_id:int}"

DECISION_PAGES: tuple[PageSpec, ...] = (
    PageSpec("decision", D, "/decisions/1"),
    PageSpec("decision-committee", D, "/decisions/1", as_user="chair"),
    PageSpec(
        "decision-new",
        "/consultations/{consultation_id:int}/decisions/new",
        "/consultations/1/decisions/new",
        as_user="chair",
    ),
    PageSpec(
        "decision-unsubscribe-unknown",
        "/decisions/unsubscribe/{token:str}",
        "/decisions/unsubscribe/not-a-token",
        status=404,
    ),
)

# The progress feed (Atom) and the open data API (JSON).
DECISION_NOT_PAGES: frozenset[str] = frozenset(
    {
        D + "/feed.atom",
        "/api/v1/decisions",
        "/api/v1/decisions/{decision_id:int}",
    }
)
