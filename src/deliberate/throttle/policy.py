"""The pure part of throttling: given a bucket's state and a rule, what happens next."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from deliberate.db import as_utc


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int  # failures allowed in the window before a delay starts
    window: timedelta
    first_delay: timedelta
    max_delay: timedelta

    def delay_after(self, failures: int) -> timedelta | None:
        """The wait after ``failures`` failures: doubling from the limit on, capped."""
        if failures < self.limit:
            return None
        factor = 2 ** min(failures - self.limit, 20)
        return min(self.first_delay * factor, self.max_delay)

    def policy_header(self) -> str:
        return f"{self.limit};w={int(self.window.total_seconds())}"


@dataclass(frozen=True)
class State:
    failures: int
    window_started_at: datetime
    blocked_until: datetime | None


def retry_after(state: State | None, now: datetime) -> int | None:
    """Seconds to wait, or None when the action may go ahead."""
    if state is None or state.blocked_until is None:
        return None
    remaining = (as_utc(state.blocked_until) - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None


def after_failure(state: State | None, rule: Rule, now: datetime) -> State:
    if state is None or now - as_utc(state.window_started_at) > rule.window:
        failures, started = 1, now
    else:
        failures, started = state.failures + 1, as_utc(state.window_started_at)
    delay = rule.delay_after(failures)
    return State(failures, started, now + delay if delay else None)


def remaining(state: State | None, rule: Rule, now: datetime) -> int:
    if state is None or now - as_utc(state.window_started_at) > rule.window:
        return rule.limit
    return max(rule.limit - state.failures, 0)
