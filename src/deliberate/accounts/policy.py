"""Session lifetimes (quality.md): residents 30 min idle / 12 h absolute; privileged roles
(admins, committee members, officers, experts) 15 min / 8 h. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from deliberate.db import as_utc


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta


RESIDENT = Lifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
PRIVILEGED = Lifetime(idle=timedelta(minutes=15), absolute=timedelta(hours=8))
WARN_BEFORE = timedelta(minutes=2)
TOUCH_EVERY = timedelta(seconds=60)  # last-seen is written at most once a minute
PENDING_SECOND_FACTOR = timedelta(minutes=5)  # a password-only sign-in waiting for a code


def lifetime(privileged: bool) -> Lifetime:
    return PRIVILEGED if privileged else RESIDENT


def expires_at(
    *, created_at: datetime, last_seen_at: datetime, absolute_at: datetime, privileged: bool
) -> datetime:
    """When the session ends if nothing happens: idle limit or absolute limit, first."""
    rules = lifetime(privileged)
    idle_end = as_utc(last_seen_at) + rules.idle
    absolute_end = min(as_utc(absolute_at), as_utc(created_at) + rules.absolute)
    return min(idle_end, absolute_end)


def is_expired(
    *,
    created_at: datetime,
    last_seen_at: datetime,
    absolute_at: datetime,
    privileged: bool,
    now: datetime,
) -> bool:
    return now >= expires_at(
        created_at=created_at,
        last_seen_at=last_seen_at,
        absolute_at=absolute_at,
        privileged=privileged,
    )


def needs_touch(last_seen_at: datetime, now: datetime) -> bool:
    return now - as_utc(last_seen_at) >= TOUCH_EVERY
