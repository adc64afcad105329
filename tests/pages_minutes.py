"""Pages of the minutes feature for the page registry (see tests/pages.py). The demo data
has no compiled minutes yet (issue 8 adds published demo minutes next), so a version's
page and its progress fragment are registered at an id that does not exist: the browser
suite checks their 404 page; `tests/minutes/test_routes.py` covers them with real
minutes through HTTP."""

from __future__ import annotations

from tests.pages_base import PageSpec

MINUTES_PAGES: tuple[PageSpec, ...] = (
    PageSpec("verify", "/verify", "/verify"),
    PageSpec(
        "minutes-list",
        "/consultations/{consultation_id:int}/minutes",
        "/consultations/1/minutes",
        as_user="chair",
    ),
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
