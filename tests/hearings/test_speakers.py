"""The call for speakers and its public lottery, through the services: apply, publish the
list with a commitment, draw with a public value, and re-run the draw from the public
record with the independent script in docs/."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from deliberate.accounts.services import FormInvalid
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.errors import Conflict, Forbidden, NotFound
from deliberate.hearings import lottery, speakers
from deliberate.hearings.models import SpeakerApplication, SpeakerCall
from deliberate.web.i18n import using_locale
from tests.support.hearings import (
    APPLICATIONS_CLOSE,
    DURING,
    PUBLIC_VALUE,
    VALUE_SOURCE,
    applicants,
    audit_actions,
    audit_events,
    call_input,
    context,
    count,
    messages,
    world,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")

RERUN = Path(__file__).resolve().parents[2] / "docs" / "rerun_lottery.py"
AFTER_CLOSE = APPLICATIONS_CLOSE + timedelta(minutes=1)


def english(error: pytest.ExceptionInfo) -> str:
    with using_locale("en"):
        return str(error.value.message)


async def rerun(path: Path) -> tuple[int | None, str]:
    """docs/rerun_lottery.py on a record file, in its own process: (exit status, output)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(RERUN),
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, output.decode()


async def the_call(database: Database, hearing_id: int) -> SpeakerCall:
    async with database.read() as session:
        call = await speakers.call_of(session, hearing_id)
    assert call is not None
    return call


async def applications(database: Database) -> list[SpeakerApplication]:
    async with database.read() as session:
        return list(
            (
                await session.exec(select(SpeakerApplication).order_by(col(SpeakerApplication.id)))
            ).all()
        )


async def test_open_a_call_and_apply(database: Database, settings: Settings) -> None:
    w = await world(database, settings)
    with pytest.raises(NotFound):  # no call yet
        await speakers.apply(database, w.alice, w.hearing_id, "support", "我支持", now=DURING)
    with pytest.raises(FormInvalid) as past:
        await speakers.open_call(
            database, w.board.member, w.hearing_id, call_input(closes_at=DURING), now=DURING
        )
    assert "applications_close_at" in past.value.errors
    with pytest.raises(Forbidden):  # residents do not run the call
        await speakers.open_call(database, w.alice, w.hearing_id, call_input(), now=DURING)
    with pytest.raises(Forbidden):  # nor does another area's committee
        await speakers.open_call(database, w.other, w.hearing_id, call_input(), now=DURING)
    before = await audit_actions(database)

    call = await speakers.open_call(
        database, w.board.member, w.hearing_id, call_input(4, {"oppose": 1}), now=DURING
    )
    changed = await speakers.open_call(
        database,
        w.board.member,
        w.hearing_id,
        call_input(3, {"oppose": 1, "question": 1}),
        now=DURING,
    )
    assert changed.id == call.id and await count(database, SpeakerCall) == 1
    stored = await the_call(database, w.hearing_id)
    assert (stored.seats, json.loads(stored.quotas), stored.value_source) == (
        3,
        {"oppose": 1, "question": 1},
        VALUE_SOURCE,
    )

    first = await speakers.apply(database, w.alice, w.hearing_id, "support", "我支持", now=DURING)
    again = await speakers.apply(
        database, w.alice, w.hearing_id, "oppose", "改主意了", now=DURING + timedelta(hours=1)
    )
    assert again.id == first.id
    (application,) = await applications(database)
    assert (application.stance, application.summary, application.withdrawn_at) == (
        "oppose",
        "改主意了",
        None,
    )
    assert application.ticket is None and application.seat is None
    await speakers.withdraw(database, w.alice, w.hearing_id, now=DURING + timedelta(hours=2))
    (application,) = await applications(database)
    assert application.withdrawn_at is not None
    back = await speakers.apply(
        database, w.alice, w.hearing_id, "oppose", "还是要讲", now=DURING + timedelta(hours=3)
    )
    assert back.id == first.id and back.withdrawn_at is None
    with pytest.raises(NotFound):  # nothing to withdraw
        await speakers.withdraw(database, w.bob, w.hearing_id, now=DURING)

    with pytest.raises(Forbidden) as outsider:
        await speakers.apply(database, w.carol, w.hearing_id, "support", "我也想讲", now=DURING)
    assert english(outsider) == "The hearing's rule does not include you."
    with pytest.raises(Forbidden) as late:
        await speakers.apply(database, w.bob, w.hearing_id, "support", "晚了", now=AFTER_CLOSE)
    assert english(late) == "Applications to speak are not open."
    assert await count(database, SpeakerApplication) == 1
    assert await audit_actions(database) == [
        *before,
        "speakers.call_opened",
        "speakers.call_opened",
        "speakers.applied",
        "speakers.applied",
        "speakers.withdrawn",
        "speakers.applied",
    ]


STANCES = ["support", "oppose", "support", "question", "oppose", "support", "suggestion"]
SEATS, QUOTAS = 3, {"oppose": 1, "question": 1}


async def test_publish_the_list_draw_and_rerun(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    w = await world(database, settings)
    ctx = context(settings)
    await speakers.open_call(
        database, w.board.member, w.hearing_id, call_input(SEATS, QUOTAS), now=DURING
    )
    people = await applicants(database, settings, STANCES)
    for n, (person, stance) in enumerate(zip(people, STANCES, strict=True)):
        await speakers.apply(
            database, person, w.hearing_id, stance, "发言要点", now=DURING + timedelta(minutes=n)
        )
    await speakers.withdraw(database, people[2], w.hearing_id, now=DURING + timedelta(hours=1))

    with pytest.raises(Forbidden) as still_open:
        await speakers.publish_list(
            database, w.board.chair, w.hearing_id, now=APPLICATIONS_CLOSE - timedelta(minutes=1)
        )
    assert english(still_open) == "Applications are still open."
    with pytest.raises(Forbidden) as too_early:
        await speakers.draw(database, ctx, w.board.chair, w.hearing_id, PUBLIC_VALUE, now=DURING)
    assert english(too_early) == "Publish the list of applicants and the commitment first."
    with pytest.raises(Forbidden):
        await speakers.publish_list(database, people[0], w.hearing_id, now=AFTER_CLOSE)
    assert (await the_call(database, w.hearing_id)).committed_at is None

    published = await speakers.publish_list(database, w.board.chair, w.hearing_id, now=AFTER_CLOSE)
    rows = await applications(database)
    assert [r.ticket for r in rows] == [1, 2, None, 3, 4, 5, 6]  # in order; one withdrew
    expected = [lottery.Applicant(r.ticket, r.stance) for r in rows if r.ticket is not None]
    call = await the_call(database, w.hearing_id)
    assert call.applicants_sha256 == published.applicants_sha256
    assert call.applicants_sha256 == lottery.applicants_digest(expected)
    assert call.secret is not None and call.commitment == lottery.commitment(call.secret)
    before_draw = speakers.public_record(call)
    assert before_draw["secret"] is None and before_draw["selected"] is None
    assert before_draw["public_value"] is None
    assert call.secret not in json.dumps(before_draw)
    assert before_draw["applicants"] == [{"ticket": a.ticket, "stance": a.stance} for a in expected]
    (committed,) = await audit_events(database, "speakers.committed")
    assert call.secret not in committed.payload and call.commitment in committed.payload

    with pytest.raises(Conflict):
        await speakers.publish_list(database, w.board.chair, w.hearing_id, now=AFTER_CLOSE)
    with pytest.raises(Forbidden):  # the list is fixed now
        await speakers.apply(database, w.bob, w.hearing_id, "support", "我来了", now=DURING)
    with pytest.raises(Forbidden):
        await speakers.withdraw(database, people[0], w.hearing_id, now=AFTER_CLOSE)
    with pytest.raises(Forbidden):
        await speakers.draw(database, ctx, w.alice, w.hearing_id, PUBLIC_VALUE, now=AFTER_CLOSE)

    result = await speakers.draw(
        database, ctx, w.board.chair, w.hearing_id, PUBLIC_VALUE, now=AFTER_CLOSE
    )
    call = await the_call(database, w.hearing_id)
    record = speakers.public_record(call)
    # Recomputed from the public record alone.
    again = lottery.draw(
        [lottery.Applicant(a["ticket"], a["stance"]) for a in record["applicants"]],
        record["seats"],
        record["quotas"],
        record["secret"],
        record["public_value"],
    )
    assert (again.selected, again.reserve) == (result.selected, result.reserve)
    assert record["selected"] == list(result.selected) and record["reserve"] == list(result.reserve)
    assert (
        record["secret"] == call.secret and lottery.commitment(record["secret"]) == call.commitment
    )
    assert record["public_value"] == lottery.normalise_public_value(PUBLIC_VALUE)
    assert len(result.selected) == SEATS
    stance_of = {a.ticket: a.stance for a in expected}
    for stance, quota in QUOTAS.items():
        available = sum(1 for a in expected if a.stance == stance)
        chosen = sum(1 for t in result.selected if stance_of[t] == stance)
        assert chosen >= min(quota, available), stance

    rows = await applications(database)
    seats = {ticket: seat for seat, ticket in enumerate(result.selected, start=1)}
    for row in rows:
        assert row.seat == (seats.get(row.ticket) if row.ticket else None)
    ticketed = {p.user.login for p, r in zip(people, rows, strict=True) if r.ticket}
    sent = await messages(database)
    assert sorted(m.recipient for m in sent) == sorted(ticketed)  # one each, none to the withdrawn
    (drawn,) = await audit_events(database, "speakers.drawn")
    assert call.secret in drawn.payload
    assert json.loads(drawn.payload)["selected"] == list(result.selected)

    with pytest.raises(Conflict):
        await speakers.draw(database, ctx, w.board.chair, w.hearing_id, "另一个数", now=AFTER_CLOSE)
    assert (await the_call(database, w.hearing_id)).selected == call.selected

    # The independent script agrees with the record, and notices a forged one.
    path = tmp_path / "lottery.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    status, output = await rerun(path)
    assert status == 0, output
    assert "All checks passed" in output
    forged = dict(record, selected=list(reversed(record["selected"])))
    path.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    status, output = await rerun(path)
    assert status == 1 and "CHECK FAILED" in output


async def test_with_more_seats_than_applicants_everyone_speaks(
    database: Database, settings: Settings
) -> None:
    w = await world(database, settings)
    await speakers.open_call(
        database, w.board.member, w.hearing_id, call_input(5, {"oppose": 2}), now=DURING
    )
    people = await applicants(database, settings, ["support", "question"])
    for person, stance in zip(people, ["support", "question"], strict=True):
        await speakers.apply(database, person, w.hearing_id, stance, "要点", now=DURING)
    await speakers.publish_list(database, w.board.chair, w.hearing_id, now=AFTER_CLOSE)
    result = await speakers.draw(
        database, context(settings), w.board.secretary, w.hearing_id, "12345", now=AFTER_CLOSE
    )
    assert sorted(result.selected) == [1, 2] and result.reserve == ()
    assert sorted(r.seat for r in await applications(database)) == [1, 2]
