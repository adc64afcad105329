"""What decisions keep about a person: their votes as a committee member (part of the
decision's record, kept after deletion) and the decision notices about consultations
they took part in (removed: a deleted account gets no messages). The notice's token is a
secret and never exported."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.consultations.models import Consultation
from deliberate.decisions.models import Decision, DecisionNotice, DecisionVote


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    votes = await session.exec(
        select(DecisionVote, Decision, Consultation)
        .join(Decision, col(Decision.id) == DecisionVote.decision_id)
        .join(Consultation, col(Consultation.id) == Decision.consultation_id)
        .where(DecisionVote.user_id == user.id)
        .order_by(col(DecisionVote.id))
    )
    notices = await session.exec(
        select(DecisionNotice, Consultation)
        .join(Consultation, col(Consultation.id) == DecisionNotice.consultation_id)
        .where(DecisionNotice.user_id == user.id)
        .order_by(col(DecisionNotice.id))
    )
    return {
        "votes": [
            {
                "decision": d.id,
                "consultation": c.id,
                "consultation_title": c.title,
                "adopted_on": d.adopted_on,
                "role": v.role,
                "vote": v.vote,
            }
            for v, d, c in votes.all()
        ],
        "notices": [
            {
                "consultation": c.id,
                "title": c.title,
                "since": n.created_at,
                "unsubscribed_at": n.unsubscribed_at,
            }
            for n, c in notices.all()
        ],
    }


async def forget(session: AsyncSession, user: User) -> None:
    await session.exec(delete(DecisionNotice).where(col(DecisionNotice.user_id) == user.id))
