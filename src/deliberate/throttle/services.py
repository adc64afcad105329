"""Throttle buckets in the database, so every worker sees the same counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.throttle.models import ThrottleBucket
from deliberate.throttle.policy import Rule, State, after_failure, remaining, retry_after


class Throttled(Exception):
    def __init__(self, rule: Rule, retry_after: int) -> None:
        super().__init__(f"{rule.name}: retry after {retry_after} s")
        self.rule = rule
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {
            "Retry-After": str(self.retry_after),
            "RateLimit-Limit": str(self.rule.limit),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(self.retry_after),
            "RateLimit-Policy": self.rule.policy_header(),
        }


def _state(bucket: ThrottleBucket | None) -> State | None:
    if bucket is None:
        return None
    return State(bucket.failures, bucket.window_started_at, bucket.blocked_until)


async def check(session: AsyncSession, checks: list[tuple[Rule, str]], now: datetime) -> None:
    """Raise :class:`Throttled` (the longest wait) when any bucket is blocked."""
    keys = [key for _rule, key in checks]
    buckets = {
        b.key: b
        for b in (
            await session.exec(select(ThrottleBucket).where(ThrottleBucket.key.in_(keys)))  # type: ignore[attr-defined]
        ).all()
    }
    worst: Throttled | None = None
    for rule, key in checks:
        wait = retry_after(_state(buckets.get(key)), now)
        if wait is not None and (worst is None or wait > worst.retry_after):
            worst = Throttled(rule, wait)
    if worst is not None:
        raise worst


async def fail(session: AsyncSession, rule: Rule, key: str, now: datetime) -> int:
    """Count a failure; returns how many more are allowed before a delay."""
    bucket = (
        await session.exec(
            select(ThrottleBucket).where(ThrottleBucket.key == key).with_for_update()
        )
    ).first()
    state = after_failure(_state(bucket), rule, now)
    if bucket is None:
        bucket = ThrottleBucket(key=key, window_started_at=state.window_started_at)
        try:
            async with session.begin_nested():
                bucket.failures = state.failures
                bucket.blocked_until = state.blocked_until
                session.add(bucket)
            return remaining(state, rule, now)
        except IntegrityError:  # another worker created it first: count on theirs
            return await fail(session, rule, key, now)
    bucket.failures = state.failures
    bucket.window_started_at = state.window_started_at
    bucket.blocked_until = state.blocked_until
    session.add(bucket)
    await session.flush()
    return remaining(state, rule, now)


async def fail_all(session: AsyncSession, checks: list[tuple[Rule, str]], now: datetime) -> None:
    """Count one failure against every bucket that was checked."""
    for rule, key in checks:
        await fail(session, rule, key, now)


async def clear(session: AsyncSession, key: str) -> None:
    bucket = await session.get(ThrottleBucket, key)
    if bucket is not None:
        await session.delete(bucket)
        await session.flush()
