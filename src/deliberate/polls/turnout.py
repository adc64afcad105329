"""Turnout by sub-area, for the result page: how many people on the voter roll live in
each area (their current verified address). It reads the roll and the verifications,
never the ballots, so it says who voted where, never how.

Small groups are suppressed: a group of fewer than :data:`MINIMUM` voters is shown as
"fewer than 10". When exactly one group would be suppressed, the total minus the shown
groups would give it away, so the next smallest group is hidden too ("not shown")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.identity.models import Area, Verification
from deliberate.polls.models import VoterRoll

MINIMUM = 10


@dataclass(frozen=True)
class Group:
    area_id: int | None  # None: voters without a current verified address
    name: str
    count: int | None  # None: not shown
    small: bool = False  # hidden because it has fewer than MINIMUM voters


def suppress(groups: list[tuple[int | None, str, int]], minimum: int = MINIMUM) -> list[Group]:
    """The groups with small counts hidden (see the module docstring), largest first."""
    ordered = sorted(groups, key=lambda g: (-g[2], g[1]))
    hidden = {index for index, (_a, _n, count) in enumerate(ordered) if count < minimum}
    if len(hidden) == 1 and len(ordered) > 1:
        shown = [i for i in range(len(ordered)) if i not in hidden]
        hidden.add(shown[-1])  # the smallest group still shown
    return [
        Group(area, name, None if index in hidden else count, small=count < minimum)
        for index, (area, name, count) in enumerate(ordered)
    ]


async def by_area(session: AsyncSession, poll_id: int, locale: str) -> list[Group]:
    """People on the roll per verified area (each person counted once: their latest
    verification that is not revoked); those without one form their own group, named
    by the caller (``name`` empty)."""
    latest = (
        select(Verification.user_id, func.max(Verification.id).label("verification_id"))
        .where(col(Verification.revoked_at).is_(None))
        .group_by(col(Verification.user_id))
        .subquery()
    )
    rows = await session.exec(
        select(Area.id, Area.name, Area.name_en, func.count(col(VoterRoll.id)))
        .select_from(VoterRoll)
        .join(latest, latest.c.user_id == VoterRoll.user_id)
        .join(Verification, col(Verification.id) == latest.c.verification_id)
        .join(Area, col(Area.id) == Verification.area_id)
        .where(VoterRoll.poll_id == poll_id)
        .group_by(col(Area.id), col(Area.name), col(Area.name_en))
    )
    found: list[tuple[int | None, str, int]] = []
    for area_id, name, name_en, count in rows.all():
        shown = name_en if locale.startswith("en") and name_en else name
        found.append((area_id, shown, int(count)))
    roll = (
        await session.exec(
            select(func.count()).select_from(VoterRoll).where(VoterRoll.poll_id == poll_id)
        )
    ).one()
    rest = int(roll) - sum(count for _a, _n, count in found)
    if rest > 0:
        found.append((None, "", rest))
    return suppress(found)
