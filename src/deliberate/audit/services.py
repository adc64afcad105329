"""Recording and verifying audit events. Every service records its events here, in the
same transaction as the change it describes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.audit.chain import (
    GENESIS,
    BrokenLink,
    EventContent,
    next_event,
    verify_chain,
)
from deliberate.audit.models import AuditEvent, AuditHead
from deliberate.db import as_utc

HEAD_ID = 1
VERIFY_BATCH = 5000
SYSTEM_ACTOR = "system"


async def record(
    session: AsyncSession,
    actor: str | None,
    action: str,
    *,
    subject: str = "",
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one event. ``actor`` is a pseudonymous id (a user's public id), never a name.

    The head row is read with ``FOR UPDATE`` (PostgreSQL; SQLite's write transaction
    already holds the lock), so concurrent appends get consecutive numbers and a chain.
    """
    head = (
        await session.exec(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    ).first()
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS)
    event = AuditEvent(
        **next_event(
            head.seq,
            head.hash,
            occurred_at=(now or datetime.now(UTC)).astimezone(UTC),
            actor=actor or SYSTEM_ACTOR,
            action=action,
            subject=subject,
            payload=payload,
        )
    )
    head.seq, head.hash = event.seq, event.hash
    session.add(head)
    session.add(event)
    await session.flush()
    return event


def _content(event: AuditEvent) -> EventContent:
    return EventContent(
        seq=event.seq,
        occurred_at=as_utc(event.occurred_at),
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        payload=event.payload,
    )


async def verify(session: AsyncSession) -> tuple[int, BrokenLink | None]:
    """(events checked, first broken link or None), reading in batches."""
    checked, last_seq, last_hash = 0, 0, GENESIS
    while True:
        batch = (
            await session.exec(
                select(AuditEvent)
                .where(AuditEvent.seq > last_seq)
                .order_by(AuditEvent.seq)
                .limit(VERIFY_BATCH)
            )
        ).all()
        if not batch:
            break
        rows = [(_content(e), e.prev_hash, e.hash) for e in batch]
        broken = verify_chain(rows, expected_seq=last_seq + 1, expected_prev=last_hash)
        if broken is not None:
            return checked, broken
        checked += len(rows)
        last_seq, last_hash = batch[-1].seq, batch[-1].hash
    head = (await session.exec(select(AuditHead).where(AuditHead.id == HEAD_ID))).first()
    if head is not None and (head.seq, head.hash) != (last_seq, last_hash):
        return checked, BrokenLink(head.seq, "the head does not match the last event")
    return checked, None


async def events_by_actor(session: AsyncSession, actor: str) -> list[AuditEvent]:
    return list(
        (
            await session.exec(
                select(AuditEvent).where(AuditEvent.actor == actor).order_by(AuditEvent.seq)
            )
        ).all()
    )
