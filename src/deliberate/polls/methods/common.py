"""What every tally shares: options, the result shape, and the lot that breaks ties.

Ties are broken by a lot drawn from the poll's tie-break seed, published when the poll
opens: every option gets the key SHA-256(seed + ":" + option id) and, among tied
options, the one with the smaller key comes first. The same seed always gives the same
order, and nobody can steer it once the seed is public and the settings are frozen."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    id: int
    cost: int = 0  # budget polls only


@dataclass(frozen=True)
class Result:
    method: str
    winners: tuple[int, ...]  # the funded projects for budget polls
    ranking: tuple[int, ...]  # where the method defines an order; else empty
    details: Mapping[str, Any] = field(default_factory=dict)  # JSON-ready, string keys

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "winners": list(self.winners),
            "ranking": list(self.ranking),
            "details": self.details,
        }


def lot_key(seed: str, option_id: int) -> bytes:
    return hashlib.sha256(f"{seed}:{option_id}".encode()).digest()


def lot_order(seed: str, option_ids: Iterable[int]) -> list[int]:
    """The options in the order of the lot: the first wins any tie it is part of."""
    return sorted(option_ids, key=lambda option: (lot_key(seed, option), option))


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def result_sha256(result: Result) -> str:
    return hashlib.sha256(canonical_json(result.as_json()).encode()).hexdigest()


def lot_positions(seed: str, option_ids: Iterable[int]) -> dict[int, int]:
    """Each option's place in the lot (0 = first, wins every tie it is part of)."""
    return {option: place for place, option in enumerate(lot_order(seed, option_ids))}


def option_ids(options: Iterable[Option]) -> list[int]:
    """The options' ids in the order given; a repeated id is an error."""
    ids = [option.id for option in options]
    if len(set(ids)) != len(ids):
        raise ValueError("option ids must be distinct")
    return ids
