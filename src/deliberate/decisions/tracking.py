"""Pure rules for implementation items: when one is overdue, and the vote count."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from deliberate.decisions.models import FINISHED, Vote


class Tracked(Protocol):
    status: str
    deadline: date


def is_overdue(item: Tracked, today: date) -> bool:
    """The deadline has passed (today is after it) and the item is neither done nor
    dropped: flagged publicly. Delayed items past their deadline are overdue too."""
    return item.deadline < today and item.status not in FINISHED


def vote_counts(votes: Iterable[str]) -> dict[str, int]:
    """How many members voted for, against and abstained, in that order."""
    counts = {v.value: 0 for v in Vote}
    for vote in votes:
        counts[vote] += 1
    return counts
