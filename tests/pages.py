"""The registry of pages. Every HTML page of the app is listed here (a test checks that
no GET route is missing); the browser suite visits each one in both languages as the
given user and runs axe-core on it. Later features add their pages, with the role that
sees them.

Users (made by the browser fixtures): None (signed out), "resident", "unconfirmed",
"admin", "chair", "officer" and "expert" (the demo's expert A) (past two-factor),
"pending" (password accepted, code not yet).
"""

from __future__ import annotations

from tests.pages_base import PageSpec

CORE_PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "/", "/"),
    PageSpec("home-signed-in", "/", "/", as_user="resident"),
    PageSpec("not-found", "/{path:path}", "/this/page/does-not-exist", status=404),
    PageSpec("unknown-language", "/", "/?lang=xx", status=400),
    PageSpec("register", "/accounts/register", "/accounts/register"),
    PageSpec("privacy", "/accounts/privacy", "/accounts/privacy"),
    PageSpec("login", "/accounts/login", "/accounts/login"),
    PageSpec("forgot", "/accounts/password/forgot", "/accounts/password/forgot"),
    PageSpec(
        "reset-invalid", "/accounts/password/reset", "/accounts/password/reset?token=x", status=400
    ),
    PageSpec("verify", "/accounts/login/verify", "/accounts/login/verify", as_user="pending"),
    PageSpec("confirm", "/accounts/confirm", "/accounts/confirm", as_user="unconfirmed"),
    PageSpec("account", "/accounts", "/accounts", as_user="resident"),
    PageSpec("account-unconfirmed", "/accounts", "/accounts", as_user="unconfirmed"),
    PageSpec("password", "/accounts/password", "/accounts/password", as_user="resident"),
    PageSpec("sessions", "/accounts/sessions", "/accounts/sessions", as_user="resident"),
    PageSpec("session", "/accounts/session", "/accounts/session", as_user="resident"),
    PageSpec("two-factor-off", "/accounts/two-factor", "/accounts/two-factor", as_user="resident"),
    PageSpec("two-factor-on", "/accounts/two-factor", "/accounts/two-factor", as_user="admin"),
    PageSpec("data", "/accounts/data", "/accounts/data", as_user="resident"),
    PageSpec("delete", "/accounts/delete", "/accounts/delete", as_user="resident"),
    PageSpec("admin", "/admin", "/admin", as_user="admin"),
    PageSpec("admin-users", "/admin/users", "/admin/users", as_user="admin"),
    PageSpec("admin-outbox", "/admin/outbox", "/admin/outbox", as_user="admin"),
    PageSpec("admin-audit", "/admin/audit", "/admin/audit", as_user="admin"),
    PageSpec("admin-areas", "/admin/areas", "/admin/areas", as_user="admin"),
    PageSpec("admin-committees", "/admin/committees", "/admin/committees", as_user="admin"),
    PageSpec("committees", "/committees", "/committees", as_user="chair"),
    PageSpec("verify-residence", "/identity/verify", "/identity/verify", as_user="resident"),
    PageSpec("officer", "/identity/officer", "/identity/officer", as_user="officer"),
    PageSpec(
        "officer-tools", "/identity/officer/tools", "/identity/officer/tools", as_user="officer"
    ),
    PageSpec(
        "letter", "/identity/letter", "/identity/letter?code=ABCD-EFGH-JKMN", as_user="resident"
    ),
)

from tests.pages_consultations import CONSULTATION_NOT_PAGES, CONSULTATION_PAGES  # noqa: E402
from tests.pages_decisions import DECISION_NOT_PAGES, DECISION_PAGES  # noqa: E402
from tests.pages_forums import FORUM_NOT_PAGES, FORUM_PAGES  # noqa: E402
from tests.pages_hearings import HEARING_NOT_PAGES, HEARING_PAGES  # noqa: E402
from tests.pages_minutes import MINUTES_NOT_PAGES, MINUTES_PAGES  # noqa: E402
from tests.pages_polls import POLL_NOT_PAGES, POLL_PAGES  # noqa: E402
from tests.pages_speakers import SPEAKER_NOT_PAGES, SPEAKER_PAGES  # noqa: E402

PAGES = (
    CORE_PAGES
    + CONSULTATION_PAGES
    + HEARING_PAGES
    + SPEAKER_PAGES
    + POLL_PAGES
    + FORUM_PAGES
    + MINUTES_PAGES
    + DECISION_PAGES
)

# GET routes that are not HTML pages (JSON, PDF, Atom).
NOT_PAGES = (
    frozenset({"/healthz", "/api/v1/openapi.json"})
    | CONSULTATION_NOT_PAGES
    | HEARING_NOT_PAGES
    | SPEAKER_NOT_PAGES
    | POLL_NOT_PAGES
    | FORUM_NOT_PAGES
    | MINUTES_NOT_PAGES
    | DECISION_NOT_PAGES
)
NOT_PAGE_PREFIXES = ("/static", "/_openapi")
