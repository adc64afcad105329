"""Pages of the hearings feature for the page registry (see tests/pages.py): each is
visited in the browser suite with the demo data loaded, in both languages, as the given
user. Demo hearing 1 is open for comment (with comments, responses, a revised version);
demo hearing 2 has not opened yet (its settings can still change)."""

from __future__ import annotations

from tests.pages_base import PageSpec

H = "/hearings/{hearing_id:int}"
C = "/comments/{comment_id:int}"

HEARING_PAGES: tuple[PageSpec, ...] = (
    PageSpec("hearing", H, "/hearings/1"),
    PageSpec("hearing-resident", H, "/hearings/1?sort=endorsed", as_user="resident"),
    PageSpec("hearing-committee", H, "/hearings/1", as_user="chair"),
    PageSpec("hearing-filtered", H, "/hearings/1?stance=oppose&page=2"),
    PageSpec("hearing-thread", H + "/comments/{comment_id:int}", "/hearings/1/comments/1"),
    PageSpec("hearing-versions", H + "/versions", "/hearings/1/versions"),
    PageSpec("hearing-version-diff", H + "/versions/{number:int}", "/hearings/1/versions/2"),
    PageSpec("hearing-revise", H + "/versions/new", "/hearings/1/versions/new", as_user="chair"),
    PageSpec("hearing-settings", H + "/settings", "/hearings/2/settings", as_user="chair"),
    PageSpec("hearing-moderation", H + "/moderation", "/hearings/1/moderation"),
    PageSpec("hearing-queue", H + "/queue", "/hearings/1/queue", as_user="chair"),
    PageSpec(
        "hearing-new",
        "/consultations/{consultation_id:int}/hearings/new",
        "/consultations/1/hearings/new",
        as_user="chair",
    ),
    # Editing is for the author, for 15 minutes: the browser flow test covers the form.
    PageSpec("comment-edit", C + "/edit", "/comments/1/edit", status=404, as_user="resident"),
    PageSpec("comment-flag", C + "/flag", "/comments/1/flag", as_user="resident"),
    PageSpec("comment-moderate", C + "/moderate", "/comments/1/moderate", as_user="chair"),
    PageSpec("comment-respond", C + "/respond", "/comments/2/respond", as_user="chair"),
)

# GET routes of this feature that are not HTML pages (JSON, PDF, Atom).
HEARING_NOT_PAGES: frozenset[str] = frozenset({H + "/poster.pdf"})
