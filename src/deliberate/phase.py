"""Where a time window stands: before it opens, open, or closed. One pure function of the
stored dates and "now", used by every page, permission and service."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from deliberate.db import as_utc


class Phase(StrEnum):
    before = "before"
    open = "open"
    closed = "closed"


def phase(opens_at: datetime, closes_at: datetime, now: datetime) -> Phase:
    """Open from ``opens_at`` (inclusive) until ``closes_at`` (exclusive)."""
    moment = as_utc(now)
    if moment < as_utc(opens_at):
        return Phase.before
    if moment < as_utc(closes_at):
        return Phase.open
    return Phase.closed
