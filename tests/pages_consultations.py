"""Pages of the consultations feature for the page registry (see tests/pages.py): each is visited
in the browser suite with the demo data loaded, in both languages, as the given user."""

from __future__ import annotations

from tests.pages_base import PageSpec

CONSULTATION_PAGES: tuple[PageSpec, ...] = (
    PageSpec("consultations", "/consultations", "/consultations"),
    PageSpec("consultations-chair", "/consultations", "/consultations", as_user="chair"),
    PageSpec(
        "consultations-filtered",
        "/consultations",
        "/consultations?area=demo-01&stage=open",
        as_user="resident",
    ),
    PageSpec("consultation", "/consultations/{consultation_id:int}", "/consultations/1"),
    PageSpec(
        "consultation-resident",
        "/consultations/{consultation_id:int}",
        "/consultations/1",
        as_user="resident",
    ),
    PageSpec(
        "consultation-chair",
        "/consultations/{consultation_id:int}",
        "/consultations/1",
        as_user="chair",
    ),
    PageSpec("consultation-new", "/consultations/new", "/consultations/new", as_user="chair"),
    PageSpec(
        "consultation-edit",
        "/consultations/{consultation_id:int}/edit",
        "/consultations/1/edit",
        as_user="chair",
    ),
    PageSpec(
        "consultation-unsubscribe-unknown",
        "/consultations/unsubscribe/{token:str}",
        "/consultations/unsubscribe/no-such-token",
        status=404,
    ),
)

# GET routes of this feature that are not HTML pages (JSON, PDF, Atom).
CONSULTATION_NOT_PAGES: frozenset[str] = frozenset(
    {
        "/consultations/feed.atom",
        "/consultations/{consultation_id:int}/poster.pdf",
        "/api/v1/consultations",
        "/api/v1/consultations/{consultation_id:int}",
    }
)
