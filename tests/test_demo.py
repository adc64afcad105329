import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from deliberate.accounts import passwords
from deliberate.accounts.models import User
from deliberate.audit.services import verify as verify_audit
from deliberate.consultations import demo as consultation_demo
from deliberate.consultations.models import Consultation, Follower
from deliberate.db import Database, as_utc
from deliberate.demo import DEMO_AREAS, DEMO_USERS, database_is_empty, load_demo
from deliberate.hearings import queries as hearing_queries
from deliberate.hearings import speakers
from deliberate.hearings.models import (
    Comment,
    DocumentVersion,
    Endorsement,
    Flag,
    Hearing,
    HearingSession,
    ModerationAction,
    Response,
    Section,
    SpeakerApplication,
    Statement,
)
from deliberate.identity import queries
from deliberate.identity.models import (
    AreaOfficer,
    CommitteeMember,
    ExpertCredential,
    Verification,
)
from deliberate.phase import Phase, phase
from tests.support.hearings import cheap_passwords  # noqa: F401 (a fixture)

RERUN = Path(__file__).resolve().parents[1] / "docs" / "rerun_lottery.py"
RESIDENTS = len(consultation_demo.RESIDENTS)


@pytest.mark.usefixtures("cheap_passwords")
async def test_demo_loads_once_and_reloads_in_place(database: Database) -> None:
    assert await database_is_empty(database)
    report = await load_demo(database)
    printed = [line for line in report.lines if "password demo-" in line]
    assert len(printed) == len(DEMO_USERS)  # the demo residents' passwords are not printed

    # The printed passwords really sign the demo users in.
    async with database.read() as session:
        users = {u.email: u for u in (await session.exec(select(User))).all()}
        members = (await session.exec(select(CommitteeMember))).all()
    for line in printed:
        login = line.split()[1]
        password = line.rsplit("password ", 1)[1]
        assert await passwords.verify_password(users[login].password_hash, password)
        assert users[login].confirmed_at is not None
    assert users["admin@demo.invalid"].is_admin
    assert [m.role for m in members] == ["chair"]
    async with database.read() as session:
        verified = (await session.exec(select(Verification))).all()
        officers = (await session.exec(select(AreaOfficer))).all()
    demo_residents = {consultation_demo.resident_login(n) for n in range(1, RESIDENTS + 1)}
    assert {v.user_id for v in verified} == {
        users[login].id
        for login in {"resident@demo.invalid", "chair@demo.invalid", *demo_residents}
    }
    assert len(verified) == RESIDENTS + 2
    assert [o.user_id for o in officers] == [users["officer@demo.invalid"].id]
    async with database.read() as session:
        experts = (await session.exec(select(ExpertCredential))).all()
    assert [e.user_id for e in experts] == [users["expert@demo.invalid"].id]
    residents = [users[login] for login in demo_residents]
    assert all(u.confirmed_at is not None for u in residents)
    assert sum(u.publish_name for u in residents) == RESIDENTS // 3

    again = await load_demo(database)
    assert not any("password demo-" in line for line in again.lines)
    async with database.read() as session:
        assert await queries.count_areas(session) == len(DEMO_AREAS)
        assert len((await session.exec(select(User))).all()) == len(DEMO_USERS) + RESIDENTS
        tree = await queries.area_tree(session)
    assert tree[0].area.code == "demo"


async def _count(database: Database, model: Any, *conditions: Any) -> int:
    async with database.read() as session:
        return (
            await session.exec(select(func.count()).select_from(model).where(*conditions))
        ).one()


TABLES = (
    User,
    Verification,
    Consultation,
    Follower,
    Hearing,
    DocumentVersion,
    Section,
    Comment,
    Endorsement,
    Flag,
    ModerationAction,
    Response,
    SpeakerApplication,
    HearingSession,
    Statement,
)


@pytest.mark.usefixtures("cheap_passwords")
async def test_demo_consultation_has_a_full_hearing(database: Database, tmp_path: Path) -> None:
    report = await load_demo(database)
    now = datetime.now(UTC)
    assert any(
        line.startswith("consultation 1: 「幸福社区老旧小区综合改造方案」") for line in report.lines
    )

    async with database.read() as session:
        first, second, third = [await session.get(Consultation, n) for n in (1, 2, 3)]
        hearing, parking = [await session.get(Hearing, n) for n in (1, 2)]
    assert first is not None and second is not None and third is not None
    assert hearing is not None and parking is not None
    assert (first.title, first.stage, first.published) == (
        "幸福社区老旧小区综合改造方案",
        "open",
        True,
    )
    assert (first.budget, first.buildings) == (
        "约 1,280 万元（中央补助资金与区级配套）",
        "1–12 号楼，共 468 户",
    )
    assert len(json.loads(first.milestones)) == 5
    assert (second.title, second.stage, second.published) == (
        "幸福社区停车管理办法（试行）",
        "open",
        True,
    )
    assert (third.stage, third.published) == ("draft", False)
    assert third.committee_id == first.committee_id
    assert hearing.consultation_id == 1 and parking.consultation_id == 2
    assert phase(hearing.opens_at, hearing.closes_at, now) is Phase.open
    assert phase(parking.opens_at, parking.closes_at, now) is Phase.before  # settings can change

    async with database.read() as session:
        versions = await hearing_queries.versions(session, 1)
        v1_sections = await hearing_queries.sections_of(session, versions[0].id)  # type: ignore[arg-type]
        v2_sections = await hearing_queries.sections_of(session, versions[-1].id)  # type: ignore[arg-type]
        every = list((await session.exec(select(Comment).where(Comment.hearing_id == 1))).all())
        answers = list((await session.exec(select(Response))).all())
        log = list((await session.exec(select(ModerationAction))).all())
        flags = list((await session.exec(select(Flag))).all())
    assert [v.number for v in versions] == [1, 2] and versions[1].change_note
    assert len(v1_sections) == len(v2_sections) == 7  # a preamble and six headed sections
    changed = [
        n for n, (a, b) in enumerate(zip(v1_sections, v2_sections, strict=True)) if a.body != b.body
    ]
    assert changed == [3, 4]  # the elevator cost share and the construction hours

    top = [c for c in every if c.parent_id is None]
    replies = [c for c in every if c.parent_id is not None]
    by_id = {c.id: c for c in every}
    assert 40 <= len(top) <= 60
    stances: dict[str, int] = {}
    for comment in top:
        stances[comment.stance] = stances.get(comment.stance, 0) + 1  # type: ignore[index]
    assert set(stances) == {"support", "oppose", "suggestion", "question"}
    assert min(stances.values()) >= 8
    on_v1 = {s.id for s in v1_sections}
    assert 0 < sum(c.section_id not in on_v1 for c in top) < sum(c.section_id in on_v1 for c in top)
    assert 15 <= len(replies) <= 25
    assert any(by_id[r.parent_id].parent_id is not None for r in replies)  # two levels deep
    assert all(as_utc(c.created_at) < now for c in every)
    assert all(as_utc(hearing.opens_at) <= as_utc(c.created_at) for c in every)

    # Comments 1 and 2 stay visible (the page registry visits them).
    assert by_id[1].visible and by_id[2].visible and by_id[1].parent_id is None

    hidden = [c for c in every if c.hidden_at is not None]
    assert [(c.hidden_reason, c.deleted_at) for c in hidden] == [("人身攻击", None)]
    assert [(a.comment_id, a.action, a.reason) for a in log] == [(hidden[0].id, "hide", "人身攻击")]
    assert [(f.comment_id, f.handled_at is not None) for f in flags] == [(hidden[0].id, True)]
    assert flags[0].user_id != hidden[0].author_id
    deleted = [c for c in every if c.deleted_at is not None]
    assert len(deleted) == 1 and deleted[0].body == "" and deleted[0].hidden_at is None

    answered = {a.comment_id for a in answers}
    visible_top = [c for c in top if c.visible]
    assert {a.verdict for a in answers} == {"adopted", "partly", "not_adopted", "noted"}
    assert all(by_id[a.comment_id].visible for a in answers)
    assert 0.55 <= sum(c.id in answered for c in visible_top) / len(visible_top) <= 0.8
    assert all(as_utc(a.responded_at) > as_utc(by_id[a.comment_id].created_at) for a in answers)

    endorsed = sorted(top, key=lambda c: (-c.endorsements, -c.id))[0]
    newest = sorted(top, key=lambda c: (c.created_at, c.id))[-1]
    assert endorsed.id != newest.id and endorsed.endorsements >= 8
    assert sum(c.endorsements for c in every) == await _count(database, Endorsement)
    assert await _count(database, Follower, Follower.consultation_id == 1) >= 3

    # The speakers: drawn by the public lottery, which the independent script re-runs.
    async with database.read() as session:
        call = await speakers.call_of(session, 1)
        applications = list((await session.exec(select(SpeakerApplication))).all())
        sittings = list((await session.exec(select(HearingSession))).all())
        statements = list((await session.exec(select(Statement))).all())
    assert call is not None and call.drawn_at is not None
    assert call.seats == 6 and json.loads(call.quotas) == {"oppose": 2, "support": 2}
    assert (
        as_utc(call.applications_close_at) < as_utc(call.committed_at) < as_utc(call.drawn_at) < now
    )  # type: ignore[arg-type]
    assert 10 <= len(applications) <= 14
    seated = sorted((a for a in applications if a.seat), key=lambda a: a.seat)  # type: ignore[arg-type, return-value]
    assert [a.seat for a in seated] == [1, 2, 3, 4, 5, 6]
    assert sum(a.stance == "support" for a in seated) >= 2
    assert sum(a.stance == "oppose" for a in seated) >= 2
    record = speakers.public_record(call)
    assert record["secret"] and record["selected"] == [a.ticket for a in seated]
    path = tmp_path / "lottery.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    rerun = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(RERUN), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    # The session: held yesterday, its record closed, with the drawn speakers' statements.
    assert len(sittings) == 1 and sittings[0].hearing_id == 1
    sitting = sittings[0]
    assert (
        sitting.closed_at is not None
        and as_utc(sitting.starts_at) < as_utc(sitting.closed_at) < now
    )
    assert sitting.attendance and sitting.attendance_note
    assert 6 <= len(statements) <= 9
    assert sorted(s.application_id for s in statements if s.application_id) == sorted(
        a.id for a in seated
    )  # type: ignore[type-var]
    assert {s.speaker for s in statements if s.application_id is None} == {
        consultation_demo.DESIGNER,
        consultation_demo.BUREAU,
    }

    async with database.read() as session:
        checked, broken = await verify_audit(session)
    assert broken is None and checked > 300

    # Loading again changes nothing.
    before = {model.__name__: await _count(database, model) for model in TABLES}
    again = await load_demo(database)
    assert any("exists; demo consultations unchanged" in line for line in again.lines)
    assert {model.__name__: await _count(database, model) for model in TABLES} == before
    async with database.read() as session:
        assert (await verify_audit(session))[1] is None
    assert (
        await _count(
            database, Comment, col(Comment.id).in_([1, 2]), col(Comment.hidden_at).is_(None)
        )
        == 2
    )
