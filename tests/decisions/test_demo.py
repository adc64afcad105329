"""The demo decision: skipped (with a line saying so) while consultation 1 has no
published minutes, made once they exist, with four items, dated updates and exactly one
item overdue; loading again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from deliberate.consultations import demo as consultation_demo
from deliberate.consultations.models import Consultation
from deliberate.db import Database, as_utc
from deliberate.decisions import demo, queries
from deliberate.decisions.models import Decision
from deliberate.decisions.tracking import is_overdue
from deliberate.demo import load_demo
from tests.decisions.conftest import publish_minutes
from tests.support.hearings import audit_actions, cheap_passwords, count

__all__ = ["cheap_passwords"]


@pytest.mark.usefixtures("cheap_passwords")
async def test_the_demo_decision(database: Database) -> None:
    report = await load_demo(database)  # a test's database: the demo minutes are skipped
    assert any(line.startswith("demo decision skipped") for line in report.lines)
    assert await count(database, Decision) == 0

    async with database.read() as session:
        item = (
            await session.exec(
                select(Consultation).where(Consultation.title == consultation_demo.TITLE)
            )
        ).one()
    minutes = await publish_minutes(database, item.id)  # type: ignore[arg-type]
    (line,) = await demo.load(database)
    assert "4 implementation items (1 overdue: 雨污分流管网改造)" in line

    async with database.read() as session:
        (decision,) = await queries.decisions_of(session, item.id)  # type: ignore[arg-type]
        view = await queries.view(session, decision.id)  # type: ignore[arg-type]
    assert view is not None and view.minutes.id == minutes.id
    today = datetime.now(consultation_demo.TZ).date()
    assert decision.adopted_on < today
    statuses = {row.item.title: row.item.status for row in view.items}
    assert sorted(statuses.values()) == ["delayed", "done", "in_progress", "planned"]
    assert [row.item.title for row in view.items if is_overdue(row.item, today)] == [
        "雨污分流管网改造"
    ]
    assert all(row.updates for row in view.items)
    assert [v.vote for v, _user in view.votes] == ["for"]
    actions = await audit_actions(database)
    assert actions.count("decision.adopted") == 1
    assert actions.count("item.created") == 4
    assert actions.count("item.status_changed") == 5
    assert all(
        as_utc(update.recorded_at) <= datetime.now(UTC)
        for row in view.items
        for update in row.updates
    )

    again = await demo.load(database)
    assert "exists" in again[0]
    assert await count(database, Decision) == 1
