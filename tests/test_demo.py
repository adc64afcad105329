import asyncio
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from deliberate.accounts import passwords
from deliberate.accounts.models import User
from deliberate.audit.models import AuditEvent
from deliberate.audit.services import verify as verify_audit
from deliberate.consultations import demo as consultation_demo
from deliberate.consultations.models import Consultation, Follower
from deliberate.db import Database, as_utc
from deliberate.demo import DEMO_AREAS, DEMO_USERS, database_is_empty, load_demo
from deliberate.forums.demo import EXPERTS as FORUM_EXPERTS
from deliberate.forums.models import ExpertForum, FollowUp, OpinionVersion
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
    Area,
    AreaOfficer,
    CommitteeMember,
    ExpertCredential,
    Verification,
)
from deliberate.phase import Phase, phase
from deliberate.polls import ballots
from deliberate.polls import demo as poll_demo
from deliberate.polls import queries as poll_queries
from deliberate.polls.methods.common import Option, canonical_json, result_sha256
from deliberate.polls.methods.tally import tally
from deliberate.polls.models import Ballot, Poll, PollOption, Tally, VoterRoll
from deliberate.polls.permissions import allowed as poll_allowed
from tests.support.hearings import cheap_passwords  # noqa: F401 (a fixture)

RERUN = Path(__file__).resolve().parents[1] / "docs" / "rerun_lottery.py"
RESIDENTS = len(consultation_demo.RESIDENTS)
VOTERS = len(poll_demo.VOTERS)


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
    demo_voters = {poll_demo.voter_login(n) for n in range(1, VOTERS + 1)}
    assert {v.user_id for v in verified} == {
        users[login].id
        for login in {"resident@demo.invalid", "chair@demo.invalid", *demo_residents, *demo_voters}
    }
    assert len(verified) == RESIDENTS + VOTERS + 2
    assert [o.user_id for o in officers] == [users["officer@demo.invalid"].id]
    async with database.read() as session:
        experts = (await session.exec(select(ExpertCredential))).all()
    expert_logins = ("expert@demo.invalid", "expert-2@demo.invalid", "expert-3@demo.invalid")
    assert sorted(e.user_id for e in experts) == sorted(users[x].id for x in expert_logins)
    # The expert forums: one released with three opinions (one amended) and a follow-up
    # answered; one sealed with the demo expert's draft and nothing submitted.
    async with database.read() as session:
        forums = (await session.exec(select(ExpertForum).order_by(ExpertForum.id))).all()
        versions = (await session.exec(select(OpinionVersion))).all()
        follow_ups = (await session.exec(select(FollowUp))).all()
    assert [f.released_at is not None for f in forums] == [True, False]
    assert len(versions) == 4 and {v.number for v in versions} == {1, 2}
    assert all(v.submitted_at < forums[0].deadline for v in versions)
    assert len(follow_ups) == 1 and follow_ups[0].answer
    residents = [users[login] for login in demo_residents]
    assert all(u.confirmed_at is not None for u in residents)
    assert sum(u.publish_name for u in residents) == RESIDENTS // 3

    again = await load_demo(database)
    assert not any("password demo-" in line for line in again.lines)
    async with database.read() as session:
        assert await queries.count_areas(session) == len(DEMO_AREAS)
        assert len((await session.exec(select(User))).all()) == (
            len(DEMO_USERS) + RESIDENTS + VOTERS + len(FORUM_EXPERTS) - 1  # one is a demo user
        )
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


# --- the demo polls --------------------------------------------------------------------------

POLL_METHODS = ("single", "approval", "ranked", "score", "budget", "approval")


def _decoded(method: str, content: str) -> Any:
    value = json.loads(content)
    return {int(k): v for k, v in value.items()} if method == "score" else value


async def _retally(database: Database, poll_id: int) -> tuple[Tally, Any, list[Any]]:
    """The stored tally, the result re-computed from the public board, and the board's
    choices."""
    async with database.read() as session:
        view = await poll_queries.poll_view(session, poll_id)
        stored = await poll_queries.tally_of(session, poll_id)
        board = await poll_queries.board(session, poll_id)
    assert view is not None and stored is not None
    choices = [_decoded(view.poll.method, content) for _receipt, content in board]
    result = tally(
        view.poll.method,
        [Option(o.id, o.cost) for o in view.options],  # type: ignore[arg-type]
        choices,
        view.poll.tie_break_seed or "",
        budget=view.poll.budget,
    )
    assert stored.board_sha256 == ballots.board_sha256(board)
    assert stored.result_sha256 == result_sha256(result)
    return stored, json.loads(canonical_json(result.as_json())), choices


POLL_TABLES = (Poll, PollOption, VoterRoll, Ballot, Tally, User, Verification)


@pytest.mark.usefixtures("cheap_passwords")
async def test_demo_polls_one_of_each_method_closed_and_one_open(database: Database) -> None:
    report = await load_demo(database)
    now = datetime.now(UTC)
    assert sum(line.startswith("poll ") for line in report.lines) == 6

    async with database.read() as session:
        polls = [await session.get(Poll, n) for n in range(1, 7)]
        community = (await session.exec(select(Area).where(Area.code == "demo-01-01-001"))).one()
        users = {u.email: u for u in (await session.exec(select(User))).all()}
        verifications = list((await session.exec(select(Verification))).all())
    assert all(p is not None for p in polls)
    assert [p.method for p in polls] == list(POLL_METHODS)  # type: ignore[union-attr]
    assert [p.title for p in polls] == [spec.title for spec in poll_demo.POLLS]  # type: ignore[union-attr]
    assert polls[1].max_choices == 3 and polls[4].budget == 500_000  # type: ignore[union-attr]
    assert {p.consultation_id for p in polls} == {1}  # type: ignore[union-attr]
    officer = users["officer@demo.invalid"]

    for poll in polls[:5]:
        assert poll is not None and poll.frozen and poll.closed_at is not None
        assert as_utc(poll.frozen_at) < as_utc(poll.opens_at)  # type: ignore[arg-type]
        assert as_utc(poll.closes_at) <= as_utc(poll.closed_at) < now
        assert phase(poll.opens_at, poll.closes_at, now) is Phase.closed
        stored, result, choices = await _retally(database, poll.id)  # type: ignore[arg-type]
        assert json.loads(stored.result) == result
        roll = await _count(database, VoterRoll, VoterRoll.poll_id == poll.id)
        cast = await _count(database, Ballot, Ballot.poll_id == poll.id)
        assert roll == cast == stored.roll == stored.ballots == len(choices) >= 20
        # Realistic turnout: of the residents verified in 幸福社区 before the poll opened.
        eligible = sum(
            v.area_id == community.id and as_utc(v.verified_at) < as_utc(poll.opens_at)
            for v in verifications
        )
        assert 0.6 <= roll / eligible <= 0.8, (poll.id, roll, eligible)
        # Votes came in over the window (the audit log records who voted and when).
        async with database.read() as session:
            events = (
                await session.exec(
                    select(AuditEvent).where(
                        AuditEvent.subject == f"poll:{poll.id}",
                        col(AuditEvent.action).in_(["poll.voted", "poll.paper_ballot"]),
                    )
                )
            ).all()
        times = sorted(as_utc(e.occurred_at) for e in events)
        assert len(times) == roll
        assert as_utc(poll.opens_at) < times[0] and times[-1] < as_utc(poll.closes_at)
        assert times[-1] - times[0] > timedelta(days=3)
        # Paper ballots, entered by the demo officer at the booth.
        async with database.read() as session:
            paper = (
                await session.exec(
                    select(VoterRoll).where(
                        VoterRoll.poll_id == poll.id, VoterRoll.channel == "paper"
                    )
                )
            ).all()
        assert 1 <= len(paper) <= 4 and {r.entered_by for r in paper} == {officer.id}

    single, approval, ranked, score, budget = [await _retally(database, n) for n in range(1, 6)]
    # A realistic, non-uniform distribution: a clear winner, every option chosen.
    counts = sorted(single[1]["details"]["counts"].values(), reverse=True)
    assert len(counts) == 4 and min(counts) > 0 and counts[0] > counts[1] > counts[-1]
    _stored, approvals, choices = approval
    assert max(len(c) for c in choices) == 3 and min(len(c) for c in choices) >= 1
    assert len(set(approvals["details"]["counts"].values())) >= 4
    # Ranked: instant-runoff and plurality (first preferences) name different winners;
    # some voters ranked only part of the options.
    _stored, irv, choices = ranked
    first = Counter(c[0] for c in choices).most_common()
    assert first[0][1] > first[1][1]  # a clear plurality leader
    assert irv["winners"] != [first[0][0]]
    assert any(len(c) < 5 for c in choices) and any(len(c) == 5 for c in choices)
    _stored, scored, choices = score
    assert {s for c in choices for s in c.values()} == set(range(6))
    assert len(set(scored["ranking"])) == 3
    # Budget: every ballot fits the budget; equal shares funds another set than greedy.
    _stored, pb, choices = budget
    costs = {int(k): v for k, v in pb["details"]["cost"].items()}
    assert 8 <= len(costs) <= 10
    assert all(sum(costs[p] for p in c) <= 500_000 for c in choices)
    assert set(pb["winners"]) != set(pb["details"]["greedy"]["funded"])
    assert sum(costs[p] for p in pb["winners"]) <= 500_000

    # Poll 6: open and frozen, a few votes in, no result yet; the demo resident may vote
    # and has not.
    open_poll = polls[5]
    assert open_poll is not None and open_poll.frozen and open_poll.closed_at is None
    assert phase(open_poll.opens_at, open_poll.closes_at, now) is Phase.open
    assert timedelta(days=1) < now - as_utc(open_poll.opens_at) < timedelta(days=3)
    assert timedelta(days=9) < as_utc(open_poll.closes_at) - now < timedelta(days=11)
    async with database.read() as session:
        assert await poll_queries.tally_of(session, 6) is None
        view = await poll_queries.poll_view(session, 6)
        assert view is not None
        resident = users["resident@demo.invalid"]
        assert not await poll_queries.has_voted(session, 6, resident.id)  # type: ignore[arg-type]
        auth = consultation_demo._auth(resident, now, committee=False)
        standing, _decision = await poll_queries.standing(session, auth, view, now)
    assert poll_allowed(standing, "poll.vote")
    assert 3 <= await _count(database, VoterRoll, VoterRoll.poll_id == 6) <= 15

    async with database.read() as session:
        checked, broken = await verify_audit(session)
    assert broken is None and checked > 300

    # Loading again duplicates nothing.
    before = {model.__name__: await _count(database, model) for model in POLL_TABLES}
    again = await load_demo(database)
    assert any("exists; demo polls unchanged" in line for line in again.lines)
    assert {model.__name__: await _count(database, model) for model in POLL_TABLES} == before
    async with database.read() as session:
        assert (await verify_audit(session))[1] is None
