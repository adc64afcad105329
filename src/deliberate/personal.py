"""A person's data across every feature: the download at ``/accounts/data`` and what
deleting the account removes (docs/accounts.md, "What the export holds, what deletion
removes").

Each feature says what it keeps about a person in its own ``personal.py``: ``export``
reads it, ``forget`` removes what the record does not need. This module puts them
together for the account's services, which know no later feature themselves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from deliberate.accounts import services
from deliberate.accounts.auth import Auth
from deliberate.consultations import personal as consultations
from deliberate.db import Database, as_utc
from deliberate.decisions import personal as decisions
from deliberate.forums import personal as forums
from deliberate.hearings import personal as hearings
from deliberate.identity import personal as identity
from deliberate.polls import personal as polls

SECTIONS: tuple[tuple[str, services.Reader], ...] = (
    ("identity", identity.export),
    ("consultations", consultations.export),
    ("hearings", hearings.export),
    ("polls", polls.export),
    ("forums", forums.export),
    ("decisions", decisions.export),
)
# Hearings and polls have nothing to remove: comments, endorsements, reports, speaker
# applications and the voter roll are all part of the record.
FORGET: tuple[services.Forget, ...] = (
    identity.forget,
    consultations.forget,
    forums.forget,
    decisions.forget,
)


def plain(value: Any) -> Any:
    """JSON-ready: moments as ISO 8601 in UTC, dates as ISO dates."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


async def export_data(database: Database, auth: Auth) -> dict[str, Any]:
    return plain(await services.export_data(database, auth, sections=SECTIONS))  # type: ignore[no-any-return]


async def delete_account(database: Database, auth: Auth, password: str) -> None:
    await services.delete_account(database, auth, password, forget=FORGET)
