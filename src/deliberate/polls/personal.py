"""What polls keep about a person: the voter roll says in which polls they voted, and
how (online or on paper), never what. Ballots carry no user id and nothing here reads
them: an export that named a ballot or its receipt would undo the secret.

The roll stays after deletion, so turnout stays right and nobody can vote twice."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.models import User
from deliberate.polls.models import Poll, VoterRoll


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    rows = await session.exec(
        select(VoterRoll, Poll)
        .join(Poll, col(Poll.id) == VoterRoll.poll_id)
        .where(VoterRoll.user_id == user.id)
        .order_by(col(VoterRoll.id))
    )
    return {
        "voted_in": [
            {
                "poll": poll.id,
                "title": poll.title,
                "consultation": poll.consultation_id,
                "channel": roll.channel,
            }
            for roll, poll in rows.all()
        ]
    }
