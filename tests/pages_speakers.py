"""Pages of the speakers feature for the page registry (see tests/pages.py): each is visited
in the browser suite with the demo data loaded, in both languages, as the given user.

The demo consultation 1 has hearing 1 with a call for speakers already drawn, and session 1
with a closed record."""

from __future__ import annotations

from tests.pages_base import PageSpec

SPEAKERS = "/hearings/{id:int}/speakers"
SESSION = "/hearings/sessions/{session_id:int}"

SPEAKER_PAGES: tuple[PageSpec, ...] = (
    PageSpec("speakers", SPEAKERS, "/hearings/1/speakers"),
    PageSpec("speakers-resident", SPEAKERS, "/hearings/1/speakers", as_user="resident"),
    PageSpec("speakers-committee", SPEAKERS, "/hearings/1/speakers", as_user="chair"),
    PageSpec("speakers-missing", SPEAKERS, "/hearings/999999/speakers", status=404),
    PageSpec("hearing-session", SESSION, "/hearings/sessions/1"),
    PageSpec("hearing-session-resident", SESSION, "/hearings/sessions/1", as_user="resident"),
    PageSpec("hearing-session-committee", SESSION, "/hearings/sessions/1", as_user="chair"),
    PageSpec(
        "hearing-session-new",
        "/hearings/{id:int}/sessions/new",
        "/hearings/1/sessions/new",
        as_user="chair",
    ),
)

# GET routes of this feature that are not HTML pages (JSON, PDF, Atom).
SPEAKER_NOT_PAGES: frozenset[str] = frozenset(
    {
        "/hearings/{id:int}/speakers/poster.pdf",
        "/hearings/lottery/rerun_lottery.py",
        "/api/v1/hearings/{id:int}/lottery",
    }
)
