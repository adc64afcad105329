"""Pages of the minutes feature for the page registry (see tests/pages.py). The demo
publishes signed version 1 of consultation 1's minutes (minutes/demo.py), so its page is
visited for real, by anyone; the consultation's list of versions as the chair (with the
compile form) and signed out. The progress route is an htmx fragment, not a page (it is
shown inside a version's page while it renders, which tests/browser/test_minutes_flow.py
watches), so the registry checks only its 404 page for a version that does not exist."""

from __future__ import annotations

from tests.pages_base import PageSpec

MINUTES_PAGES: tuple[PageSpec, ...] = (
    PageSpec("minutes-verify", "/verify", "/verify"),
    PageSpec(
        "minutes-list",
        "/consultations/{consultation_id:int}/minutes",
        "/consultations/1/minutes",
        as_user="chair",
    ),
    PageSpec(
        "minutes-list-public",
        "/consultations/{consultation_id:int}/minutes",
        "/consultations/1/minutes",
    ),
    PageSpec("minutes-published", "/minutes/{key:str}", "/minutes/1"),
    PageSpec("minutes-published-chair", "/minutes/{key:str}", "/minutes/1", as_user="chair"),
    PageSpec("minutes-missing", "/minutes/{key:str}", "/minutes/999", status=404),
    PageSpec(
        "minutes-progress-missing",
        "/minutes/{minutes_id:int}/progress",
        "/minutes/999/progress",
        status=404,
        as_user="chair",
    ),
)

# The open data list of published minutes (JSON).
MINUTES_NOT_PAGES: frozenset[str] = frozenset({"/api/v1/minutes"})
