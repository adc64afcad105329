"""What consultations keep about a person: the consultations they follow. Following
has no value for the record, so deletion removes it. The unsubscribe token is a secret
and never exported."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.consultations.models import Consultation, Follower


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    rows = await session.exec(
        select(Follower, Consultation)
        .join(Consultation, col(Consultation.id) == Follower.consultation_id)
        .where(Follower.user_id == user.id)
        .order_by(col(Follower.id))
    )
    return {
        "following": [
            {"consultation": c.id, "title": c.title, "since": f.created_at} for f, c in rows.all()
        ]
    }


async def forget(session: AsyncSession, user: User) -> None:
    await session.exec(delete(Follower).where(col(Follower.user_id) == user.id))
