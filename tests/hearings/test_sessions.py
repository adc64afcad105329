"""Sessions of the in-person hearing and their record: scheduled by the committee, the
statements recorded by the chair or the secretary, closed (and then public, followers
told), and unchangeable after closing."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from deliberate.accounts.services import FormInvalid
from deliberate.config import Settings
from deliberate.consultations import services as consultation_services
from deliberate.db import Database
from deliberate.errors import Forbidden, NotFound
from deliberate.hearings import sessions
from deliberate.hearings.forms import SessionInput, StatementInput, parse_statement
from deliberate.hearings.models import HearingSession, Statement
from deliberate.web.i18n import using_locale
from tests.support.hearings import (
    APPLICATIONS_CLOSE,
    audit_actions,
    context,
    count,
    drawn_call,
    hearing,
    messages,
    resident,
    world,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")

SITTING = APPLICATIONS_CLOSE + timedelta(days=2)
SESSION = SessionInput(SITTING, "幸福社区居委会三楼会议室", "1. 开场\n2. 发言\n3. 答复")


def statement(speaker: str = "居民代表", application_id: int | None = None) -> StatementInput:
    return StatementInput(
        speaker, application_id, SITTING + timedelta(minutes=10), "建议分时段收费。"
    )


async def test_schedule_record_and_close(database: Database, settings: Settings) -> None:
    w = await world(database, settings)
    ctx = context(settings)
    _call, rows = await drawn_call(
        database, settings, w, ["support", "oppose", "question", "support"], seats=2
    )
    drawn = [r for r in rows if r.seat]
    waiting = [r for r in rows if not r.seat]
    assert len(drawn) == 2 and len(waiting) == 2
    follower = await resident(database, settings, "follower@example.org", locale="en")
    await consultation_services.follow(database, follower, w.consultation.id)

    with pytest.raises(Forbidden):
        await sessions.schedule(database, w.alice, w.hearing_id, SESSION, now=SITTING)
    with pytest.raises(NotFound):
        await sessions.schedule(database, w.board.chair, 999_999, SESSION, now=SITTING)
    before = await audit_actions(database)
    sitting = await sessions.schedule(database, w.board.member, w.hearing_id, SESSION, now=SITTING)
    assert (sitting.place, sitting.closed_at, sitting.created_by) == (
        SESSION.place,
        None,
        w.board.member.user.id,
    )

    said = await sessions.add_statement(
        database, w.board.chair, sitting.id, statement(), now=SITTING
    )
    assert (said.speaker, said.application_id, said.recorded_by) == (
        "居民代表",
        None,
        w.board.chair.user.id,
    )
    # A drawn speaker, by their application: named by their seat unless a name is given.
    linked = await sessions.add_statement(
        database,
        w.board.secretary,
        sitting.id,
        parse_statement(
            {
                "application": str(drawn[0].id),
                "spoken_at": (SITTING + timedelta(minutes=20)).isoformat(),
                "summary": "反对收费标准。",
            },
            ZoneInfo("Asia/Shanghai"),
        ),
        now=SITTING,
    )
    assert (linked.application_id, linked.speaker) == (drawn[0].id, f"#{drawn[0].seat}")
    with pytest.raises(FormInvalid) as not_drawn:
        await sessions.add_statement(
            database,
            w.board.secretary,
            sitting.id,
            statement("", waiting[0].id),
            now=SITTING,
        )
    assert "speaker" in not_drawn.value.errors
    for outsider in (w.board.member, w.alice, w.other):
        with pytest.raises(Forbidden):
            await sessions.add_statement(database, outsider, sitting.id, statement(), now=SITTING)
        with pytest.raises(Forbidden):
            await sessions.set_attendance(database, outsider, sitting.id, 1, "", now=SITTING)
    assert await count(database, Statement) == 2

    counted = await sessions.set_attendance(
        database,
        w.board.secretary,
        sitting.id,
        85,
        "含居民代表12人",
        now=SITTING,
    )
    assert (counted.attendance, counted.attendance_note) == (85, "含居民代表12人")

    assert await messages(database, follower.user.login) == []
    with pytest.raises(Forbidden):  # a plain member does not close the record
        await sessions.close_record(database, ctx, w.board.member, sitting.id, now=SITTING)
    closed = await sessions.close_record(
        database,
        ctx,
        w.board.secretary,
        sitting.id,
        now=SITTING + timedelta(hours=3),
    )
    assert closed.closed_at is not None and closed.closed_by == w.board.secretary.user.id
    (told,) = await messages(database, follower.user.login)
    with using_locale("en"):
        assert told.subject == f"The hearing record is published: {w.hearing.title}"
    assert f"/hearings/sessions/{sitting.id}" in told.body
    assert "/consultations/unsubscribe/" in told.body
    again = await sessions.close_record(database, ctx, w.board.chair, sitting.id, now=SITTING)
    assert again.closed_at is not None
    assert len(await messages(database, follower.user.login)) == 1  # told once

    with pytest.raises(Forbidden) as late:
        await sessions.add_statement(database, w.board.chair, sitting.id, statement(), now=SITTING)
    with using_locale("en"):
        assert str(late.value.message) == "The record is closed."
    with pytest.raises(Forbidden):
        await sessions.set_attendance(database, w.board.chair, sitting.id, 90, "", now=SITTING)
    assert await count(database, Statement) == 2
    async with database.read() as session:
        stored = await session.get(HearingSession, sitting.id)
    assert stored is not None and stored.attendance == 85
    assert await audit_actions(database) == [
        *before,
        "session.scheduled",
        "session.statement",
        "session.statement",
        "session.attendance",
        "session.closed",
    ]


async def test_a_statement_cannot_cite_another_hearings_speaker(
    database: Database, settings: Settings
) -> None:
    w = await world(database, settings)
    _call, rows = await drawn_call(database, settings, w, ["support"], seats=1)
    other_hearing = await hearing(database, w.board, w.consultation.id)
    sitting = await sessions.schedule(
        database,
        w.board.chair,
        other_hearing.id,
        SESSION,
        now=SITTING,
    )
    with pytest.raises(FormInvalid):
        await sessions.add_statement(
            database,
            w.board.chair,
            sitting.id,
            statement("", rows[0].id),
            now=SITTING,
        )
    with pytest.raises(FormInvalid):
        await sessions.add_statement(
            database,
            w.board.chair,
            sitting.id,
            statement("", 999_999),
            now=SITTING,
        )
    assert await count(database, Statement) == 0
