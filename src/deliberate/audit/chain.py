"""The pure core of the audit log: canonical JSON and the hash chain (no I/O)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant white space, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class EventContent:
    seq: int
    occurred_at: datetime  # UTC
    actor: str
    action: str
    subject: str
    payload: str  # canonical JSON


def event_hash(prev_hash: str, content: EventContent) -> str:
    material = canonical_json(
        {
            "prev": prev_hash,
            "seq": content.seq,
            "at": content.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": content.actor,
            "action": content.action,
            "subject": content.subject,
            "payload": content.payload,
        }
    )
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str


def verify_chain(
    events: Iterable[tuple[EventContent, str, str]],
    *,
    expected_seq: int = 1,
    expected_prev: str = GENESIS,
) -> BrokenLink | None:
    """Walk (content, prev_hash, hash) in sequence order; the first broken link, or None.

    ``expected_seq`` and ``expected_prev`` let a long chain be checked in batches."""
    for content, prev_hash, stored_hash in events:
        if content.seq != expected_seq:
            return BrokenLink(content.seq, f"expected event {expected_seq}, found {content.seq}")
        if prev_hash != expected_prev:
            return BrokenLink(content.seq, "does not follow the previous event's hash")
        if event_hash(prev_hash, content) != stored_hash:
            return BrokenLink(content.seq, "content does not match its hash")
        expected_prev = stored_hash
        expected_seq += 1
    return None


def payload_json(payload: Mapping[str, Any] | None) -> str:
    return canonical_json(dict(payload or {}))


def next_event(
    prev_seq: int,
    prev_hash: str,
    *,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject: str = "",
    payload: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The row of the event that follows (``prev_seq``, ``prev_hash``) in the chain: every
    column of ``audit_event``, its hash included."""
    content = EventContent(
        seq=prev_seq + 1,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        subject=subject,
        payload=payload_json(payload),
    )
    return {
        "seq": content.seq,
        "occurred_at": content.occurred_at,
        "actor": content.actor,
        "action": content.action,
        "subject": content.subject,
        "payload": content.payload,
        "prev_hash": prev_hash,
        "hash": event_hash(prev_hash, content),
    }
