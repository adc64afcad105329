"""Pages of the expert forums feature for the page registry (see tests/pages.py), visited
in the browser suite with the demo data loaded. The demo has, in consultation 1: forum 1
「综合改造方案专家论证」, released (its deadline passed), anonymised, with the opinions of
three experts (invitations 1, 2 and 3, in creation order: expert A is the demo expert
expert@demo.invalid, who amended once; B declared an interest and answered a follow-up
question); and forum 2 「加装电梯结构安全专家论证」, sealed, where the demo expert
(invitation 4) has accepted, declared and keeps a draft. "expert" is that demo expert
(past two-factor: an expert credential makes the account privileged); "chair" chairs the
committee that runs consultation 1."""

from __future__ import annotations

from tests.pages_base import PageSpec

F = "/forums/{forum_id:int}"

FORUM_PAGES: tuple[PageSpec, ...] = (
    PageSpec("forum-released", F, "/forums/1"),
    PageSpec("forum-released-committee", F, "/forums/1", as_user="chair"),
    PageSpec("forum-released-expert", F, "/forums/1", as_user="expert"),
    PageSpec("forum-sealed", F, "/forums/2"),
    # The invitations table, the credential and invitation forms.
    PageSpec("forum-sealed-committee", F, "/forums/2", as_user="chair"),
    PageSpec("forum-sealed-expert", F, "/forums/2", as_user="expert"),
    PageSpec("forum-digest", F + "/digest", "/forums/1/digest"),
    # Opinions stay sealed until the deadline, for everyone.
    PageSpec("forum-digest-sealed", F + "/digest", "/forums/2/digest", status=403),
    PageSpec("forum-opinion", F + "/opinions/{invitation_id:int}", "/forums/1/opinions/1"),
    # Expert B's opinion: a declared interest and an answered follow-up; the ask form.
    PageSpec(
        "forum-opinion-committee",
        F + "/opinions/{invitation_id:int}",
        "/forums/1/opinions/2",
        as_user="chair",
    ),
    PageSpec("forum-declaration", F + "/declaration", "/forums/2/declaration", as_user="expert"),
    PageSpec("forum-editor", F + "/opinion", "/forums/2/opinion", as_user="expert"),
    # After the deadline: the versions and receipts, no more form.
    PageSpec("forum-editor-closed", F + "/opinion", "/forums/1/opinion", as_user="expert"),
    PageSpec(
        "forum-new",
        "/consultations/{consultation_id:int}/forums/new",
        "/consultations/1/forums/new",
        as_user="chair",
    ),
    # The personal link's token exists only in the invitation message (the database keeps
    # its SHA-256), so no fixed address shows a real invitation: an unknown token is "not
    # found". The browser flow test (test_forum_flow.py) visits the real landing page,
    # signed out and signed in.
    PageSpec(
        "forum-invitation-unknown",
        "/forums/invitations/{token:str}",
        "/forums/invitations/no-such-invitation",
        status=404,
    ),
)

# GET routes of this feature that are not HTML pages: the JSON open data API and the
# attachments (PDF downloads).
FORUM_NOT_PAGES: frozenset[str] = frozenset(
    {
        "/api/v1/forums",
        "/api/v1/forums/{forum_id:int}",
        F + "/attachments/{attachment_id:int}",
    }
)
