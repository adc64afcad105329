"""Pages of the polls feature for the page registry (see tests/pages.py), visited in the
browser suite with the demo data loaded. The demo has, all in consultation 1: poll 1
closed single choice, poll 2 closed approval, poll 3 closed ranked, poll 4 closed score,
poll 5 closed budget, and poll 6 open approval. "resident" is confirmed but not verified
(they see why they may not vote); "chair" chairs the demo committee; "officer" is an
officer of the demo city, above every demo area."""

from __future__ import annotations

from tests.pages_base import PageSpec

P = "/polls/{poll_id:int}"

POLL_PAGES: tuple[PageSpec, ...] = (
    PageSpec("poll-closed", P, "/polls/1"),
    PageSpec("poll-open", P, "/polls/6"),
    PageSpec("poll-open-resident", P, "/polls/6", as_user="resident"),
    PageSpec("poll-open-committee", P, "/polls/6", as_user="chair"),
    PageSpec("poll-results-single", P + "/results", "/polls/1/results"),
    PageSpec("poll-results-approval", P + "/results", "/polls/2/results"),
    PageSpec("poll-results-ranked", P + "/results", "/polls/3/results"),
    PageSpec("poll-results-score", P + "/results", "/polls/4/results"),
    PageSpec("poll-results-budget", P + "/results", "/polls/5/results", as_user="resident"),
    PageSpec("poll-results-not-yet", P + "/results", "/polls/6/results", status=403),
    PageSpec("poll-board", P + "/board", "/polls/3/board"),
    PageSpec("poll-board-search", P + "/board", "/polls/5/board?receipt=0000000000"),
    PageSpec("poll-booth", P + "/booth", "/polls/6/booth", as_user="officer"),
    # Frozen demo polls cannot change: the browser flow test covers the form.
    PageSpec("poll-edit-frozen", P + "/edit", "/polls/6/edit", status=403, as_user="chair"),
    PageSpec(
        "poll-new",
        "/consultations/{consultation_id:int}/polls/new",
        "/consultations/1/polls/new",
        as_user="chair",
    ),
    PageSpec(
        "poll-import",
        "/consultations/{consultation_id:int}/polls/import",
        "/consultations/1/polls/import",
        as_user="chair",
    ),
)

# GET routes of this feature that are not HTML pages (JSON, CSV, pabulib), as the open
# data API declares them (polls/api.py).
POLL_NOT_PAGES: frozenset[str] = frozenset(
    {
        "/api/v1/polls",
        "/api/v1/polls/{poll_id:int}/board",
        "/api/v1/polls/{poll_id:int}/result",
        P + "/board.csv",
        P + "/result.csv",
        P + "/ballots.pb",
    }
)
