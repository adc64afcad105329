"""The write path for polls: create and change (until frozen), freeze (settings hashed,
tie-break seed drawn), cast a ballot online or on paper at the booth, close (ballots
shuffled, tally stored with its hash)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.audit import services as audit
from deliberate.audit.chain import next_event
from deliberate.audit.models import AuditEvent, AuditHead
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.models import Consultation
from deliberate.consultations.permissions import require as require_consultation
from deliberate.consultations.queries import member_role
from deliberate.consultations.rules import rule_for
from deliberate.db import Database, as_utc
from deliberate.errors import Conflict, NotFound
from deliberate.identity import eligibility
from deliberate.identity.models import Area
from deliberate.identity.queries import area_parents, eligibility_person
from deliberate.polls import ballots, queries
from deliberate.polls.ballots import BallotInvalid, Choice
from deliberate.polls.forms import PollInput
from deliberate.polls.methods.common import Option, canonical_json, result_sha256
from deliberate.polls.methods.tally import tally
from deliberate.polls.models import Ballot, Poll, PollOption, Tally, VoterRoll
from deliberate.polls.permissions import Standing, require
from deliberate.web.i18n import lazy_gettext as _l

ALREADY_VOTED = _l("You have already voted in this poll: each person votes once.")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def settings_of(view: queries.PollView) -> dict[str, object]:
    """Everything that decides the outcome, frozen when the poll opens."""
    poll = view.poll
    return {
        "version": 1,
        "poll": poll.id,
        "consultation": poll.consultation_id,
        "title": poll.title,
        "question": poll.question,
        "method": poll.method,
        "options": [{"id": o.id, "label": o.label, "cost": o.cost} for o in view.options],
        "max_choices": poll.max_choices,
        "budget": poll.budget,
        "rule": json.loads(poll.rule),
        "opens_at": as_utc(poll.opens_at).isoformat(),
        "closes_at": as_utc(poll.closes_at).isoformat(),
    }


async def _view(session: AsyncSession, poll_id: int, lock: str | None = None) -> queries.PollView:
    view = await queries.poll_view(session, poll_id, lock=lock)
    if view is None:
        raise NotFound()
    return view


def _apply(poll: Poll, data: PollInput, rule: eligibility.EligibilityRule) -> None:
    poll.title, poll.question, poll.description = data.title, data.question, data.description
    poll.method, poll.max_choices, poll.budget = data.method, data.max_choices, data.budget
    poll.opens_at, poll.closes_at, poll.rule = data.opens_at, data.closes_at, rule.canonical()


async def _replace_options(session: AsyncSession, poll_id: int, data: PollInput) -> None:
    await session.exec(delete(PollOption).where(col(PollOption.poll_id) == poll_id))  # type: ignore[call-overload]
    for position, option in enumerate(data.options, start=1):
        session.add(
            PollOption(
                poll_id=poll_id,
                position=position,
                label=option.label,
                description=option.description,
                cost=option.cost,
            )
        )
    await session.flush()


async def create(
    database: Database,
    actor: Auth,
    consultation_id: int,
    data: PollInput,
    *,
    now: datetime | None = None,
) -> Poll:
    moment = _now(now)
    async with database.write() as session:
        consultation = await session.get(Consultation, consultation_id)
        if consultation is None:
            raise NotFound()
        standing = await consultation_queries.standing(session, actor, consultation)
        require_consultation(standing, "consultation.manage")
        rule = await rule_for(session, consultation, data.rule_area_id, data.min_age)
        poll = Poll(
            consultation_id=consultation_id,
            title=data.title,
            question=data.question,
            method=data.method,
            rule=rule.canonical(),
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            created_by=actor.user.id,
            created_at=moment,
        )
        _apply(poll, data, rule)
        session.add(poll)
        await session.flush()
        await _replace_options(session, poll.id, data)  # type: ignore[arg-type]
        await audit.record(
            session,
            actor.user.public_id,
            "poll.created",
            subject=f"poll:{poll.id}",
            payload={"consultation": consultation_id, "method": data.method},
            now=moment,
        )
    return poll


async def change(
    database: Database, actor: Auth, poll_id: int, data: PollInput, *, now: datetime | None = None
) -> Poll:
    """Until the poll is frozen; afterwards every change is refused."""
    moment = _now(now)
    async with database.write() as session:
        view = await _view(session, poll_id, lock="update")
        standing, _decision = await queries.standing(session, actor, view, moment)
        require(standing, "poll.change")
        rule = await rule_for(session, view.consultation, data.rule_area_id, data.min_age)
        _apply(view.poll, data, rule)
        session.add(view.poll)
        await _replace_options(session, poll_id, data)
        await audit.record(
            session, actor.user.public_id, "poll.changed", subject=f"poll:{poll_id}", now=moment
        )
    return view.poll


async def freeze(
    database: Database, actor: Auth, poll_id: int, *, now: datetime | None = None
) -> Poll:
    """Freeze the settings (canonical JSON and SHA-256) and draw the tie-break seed."""
    moment = _now(now)
    async with database.write() as session:
        view = await _view(session, poll_id, lock="update")
        standing, _decision = await queries.standing(session, actor, view, moment)
        require(standing, "poll.freeze")
        poll = view.poll
        poll.settings = canonical_json(settings_of(view))
        poll.settings_sha256 = hashlib.sha256(poll.settings.encode()).hexdigest()
        poll.tie_break_seed = secrets.token_hex(32)
        poll.frozen_at = moment
        session.add(poll)
        await audit.record(
            session,
            actor.user.public_id,
            "poll.opened",
            subject=f"poll:{poll_id}",
            payload={"settings_sha256": poll.settings_sha256, "seed": poll.tie_break_seed},
            now=moment,
        )
    return poll


@dataclass(frozen=True)
class Receipt:
    poll_id: int
    receipt: str
    nonce: str
    choice: Choice


ROLL_INSERT = insert(VoterRoll.__table__)  # type: ignore[attr-defined]
BALLOT_INSERT = insert(Ballot.__table__)  # type: ignore[attr-defined]


async def _write_ballot(
    session: AsyncSession, poll_id: int, user_id: int, choice: Choice, *, entered_by: int | None
) -> Receipt:
    """The roll row and the ballot row, in the caller's transaction. The roll's
    uniqueness refuses a second vote; the ballot carries nothing about the voter."""
    nonce = ballots.new_nonce()
    receipt = ballots.receipt(choice, nonce)
    connection = await session.connection()
    await connection.execute(
        ROLL_INSERT,
        {
            "poll_id": poll_id,
            "user_id": user_id,
            "channel": "paper" if entered_by else "online",
            "entered_by": entered_by,
        },
    )
    await connection.execute(
        BALLOT_INSERT,
        {"poll_id": poll_id, "receipt": receipt, "content": ballots.canonical(choice)},
    )
    return Receipt(poll_id, receipt, nonce, choice)


AUDIT_HEAD = AuditHead.__table__  # type: ignore[attr-defined]
AUDIT_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
HEAD_FOR_UPDATE = (
    select(AUDIT_HEAD.c.seq, AUDIT_HEAD.c.hash)
    .where(AUDIT_HEAD.c.id == audit.HEAD_ID)
    .with_for_update()
)
HEAD_MOVE = (
    update(AUDIT_HEAD)
    .where(AUDIT_HEAD.c.id == audit.HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
EVENT_INSERT = insert(AUDIT_EVENTS)
# PostgreSQL: the event and the head's move in one statement (a data-modifying WITH runs
# exactly once), so the head's row lock is held for one round trip fewer.
EVENT_AND_HEAD = insert(AUDIT_EVENTS).add_cte(HEAD_MOVE.cte("moved_head"))


# PostgreSQL: the roll row and the ballot go with the statement that locks the audit
# head (data-modifying WITH queries run exactly once, whether read or not), and the event
# with the head's move, so a vote's write is two round trips.
ROLL_BALLOT_AND_HEAD = HEAD_FOR_UPDATE.add_cte(
    insert(VoterRoll.__table__)  # type: ignore[attr-defined]
    .values(
        poll_id=bindparam("roll_poll_id"),
        user_id=bindparam("roll_user_id"),
        channel="online",
        entered_by=None,
    )
    .cte("roll_row"),
    insert(Ballot.__table__)  # type: ignore[attr-defined]
    .values(
        poll_id=bindparam("ballot_poll_id"),
        receipt=bindparam("ballot_receipt"),
        content=bindparam("ballot_content"),
    )
    .cte("ballot_row"),
)


async def _write_vote(
    session: AsyncSession, actor: Auth, poll_id: int, choice: Choice, moment: datetime
) -> Receipt:
    """The roll row, the ballot row and the ``poll.voted`` audit event, in the caller's
    transaction: what ``_write_ballot`` and ``audit.record(session, actor, "poll.voted",
    subject=f"poll:{poll_id}", now=moment)`` write, without the ORM. The event is hashed
    into the chain by audit.chain as there, after reading the head FOR UPDATE (on SQLite
    the transaction already holds the write lock), so concurrent appends line up."""
    connection = await session.connection()
    user_id = actor.user.id
    if connection.dialect.name != "postgresql":
        receipt = await _write_ballot(session, poll_id, user_id, choice, entered_by=None)  # type: ignore[arg-type]
        head = (await connection.execute(HEAD_FOR_UPDATE)).first()
    else:
        nonce = ballots.new_nonce()
        receipt = Receipt(poll_id, ballots.receipt(choice, nonce), nonce, choice)
        head = (
            await connection.execute(
                ROLL_BALLOT_AND_HEAD,
                {
                    "roll_poll_id": poll_id,
                    "roll_user_id": user_id,
                    "ballot_poll_id": poll_id,
                    "ballot_receipt": receipt.receipt,
                    "ballot_content": ballots.canonical(choice),
                },
            )
        ).first()
    actor_id = actor.user.public_id
    if head is None:  # the very first event of the database: the general path
        await audit.record(session, actor_id, "poll.voted", subject=f"poll:{poll_id}", now=moment)
        return receipt
    event = next_event(
        head.seq,
        head.hash,
        occurred_at=moment.astimezone(UTC),
        actor=actor_id or audit.SYSTEM_ACTOR,
        action="poll.voted",
        subject=f"poll:{poll_id}",
    )
    if connection.dialect.name == "postgresql":
        await connection.execute(
            EVENT_AND_HEAD, {**event, "new_seq": event["seq"], "new_hash": event["hash"]}
        )
    else:
        await connection.execute(EVENT_INSERT, event)
        await connection.execute(HEAD_MOVE, {"new_seq": event["seq"], "new_hash": event["hash"]})
    return receipt


_sqlite_locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


def _sqlite_writers(database: Database) -> contextlib.AbstractAsyncContextManager[object]:
    """On SQLite, the votes of this process take turns (first come, first served) for the
    database's write lock, which only one transaction holds at a time anyway, instead of
    retrying ``BEGIN IMMEDIATE`` in SQLite's busy handler, whose sleeps (up to 100 ms each)
    leave the lock idle and set the latency tail. Other processes and other writers still
    meet the busy timeout as before. PostgreSQL: nothing (votes run side by side)."""
    if database.dialect != "sqlite":
        return contextlib.nullcontext()
    loop = asyncio.get_running_loop()
    lock = _sqlite_locks.get(loop)
    if lock is None:
        lock = _sqlite_locks[loop] = asyncio.Lock()
    return lock


@dataclass(frozen=True)
class Cast:
    """A cast ballot, and what the receipt page shows around it as the vote saw it (so
    the page needs no second read)."""

    receipt: Receipt
    poll: queries.PollRow | Poll
    consultation: queries.ConsultationRow | Consultation
    options: tuple[queries.FrozenOption | PollOption, ...]
    rule: eligibility.EligibilityRule
    standing: Standing
    decision: eligibility.Decision | None
    areas: Mapping[int, queries.AreaName | Area]  # the rule's areas, for their names


async def _areas(
    session: AsyncSession, ids: Sequence[int], known: Mapping[int, queries.AreaName | Area]
) -> dict[int, queries.AreaName | Area]:
    found: dict[int, queries.AreaName | Area] = {a: known[a] for a in ids if a in known}
    missing = [a for a in ids if a not in found]
    if missing:
        rows = await session.exec(select(Area).where(col(Area.id).in_(missing)))
        found.update({a.id: a for a in rows.all()})  # type: ignore[misc]
    return found


async def _standing_of(
    session: AsyncSession, actor: Auth, facts: queries.VoteFacts, moment: datetime
) -> tuple[Standing, eligibility.Decision]:
    """As queries.standing, from what the vote read (committee members and officers
    cost one more query each, as there; residents none)."""
    assert facts.frozen is not None
    user = actor.user
    person = eligibility.Person(
        account_id=user.id,  # type: ignore[arg-type]
        confirmed=user.confirmed_at is not None and user.deleted_at is None,
        verifications=facts.verifications,
    )
    rule = facts.frozen.rule
    decision = eligibility.check(
        person, rule, moment.astimezone(UTC).date(), facts.parents if rule.area_ids else {}
    )
    standing = Standing(
        auth=actor,
        member_role=await member_role(session, actor, facts.consultation.committee_id),
        published=facts.consultation.published,
        eligible=decision.allowed,
        phase=facts.phase(moment),
        frozen=facts.poll.frozen,
        closed=facts.poll.closed_at is not None,
        officer_here=await queries.officer_of(session, actor, facts.consultation.area_id),
    )
    return standing, decision


async def cast_online(
    database: Database,
    actor: Auth,
    poll_id: int,
    form: dict[str, str],
    *,
    now: datetime | None = None,
) -> Cast:
    """Cast the actor's ballot. Raises BallotInvalid (kept on the form), Forbidden with
    the reason, or Conflict when they have voted already.

    Every vote checks, in its transaction, the session's person (loaded for this
    request), the poll's live state (frozen, not closed, inside its window: the row is
    locked FOR SHARE on PostgreSQL, so a close waits for the votes in flight), the
    consultation's publication, and the voter's verifications against the frozen rule
    with the area tree as it is now. Only the frozen settings come from a per-process
    copy, keyed by their SHA-256 (see queries.vote_facts)."""
    moment = _now(now)
    try:
        async with _sqlite_writers(database), database.write() as session:
            facts = await queries.vote_facts(session, poll_id, actor.user.id)  # type: ignore[arg-type]
            if facts is None:
                raise NotFound()
            if facts.frozen is None:  # not frozen (refused below) or unreadable settings
                return await _cast_by_view(session, actor, poll_id, form, moment)
            standing, decision = await _standing_of(session, actor, facts, moment)
            require(standing, "poll.vote")
            choice = ballots.from_form(facts.frozen.rules, form)
            # The roll says who voted, the ballot how, and the audit log who (never how).
            receipt = await _write_vote(session, actor, poll_id, choice, moment)
            rule = facts.frozen.rule
            return Cast(
                receipt=receipt,
                poll=facts.poll,
                consultation=facts.consultation,
                options=facts.frozen.options,
                rule=rule,
                standing=standing,
                decision=decision,
                areas=await _areas(session, rule.area_ids, facts.areas),
            )
    except IntegrityError:
        raise Conflict(ALREADY_VOTED) from None


async def _cast_by_view(
    session: AsyncSession, actor: Auth, poll_id: int, form: dict[str, str], moment: datetime
) -> Cast:
    """The general path, from the poll's rows (a poll that is not frozen is refused)."""
    view = await _view(session, poll_id, lock="share")
    standing, decision = await queries.standing(session, actor, view, moment)
    require(standing, "poll.vote")
    choice = ballots.from_form(view.ballot_rules(), form)
    receipt = await _write_ballot(
        session,
        poll_id,
        actor.user.id,  # type: ignore[arg-type]
        choice,
        entered_by=None,
    )
    await audit.record(
        session, actor.user.public_id, "poll.voted", subject=f"poll:{poll_id}", now=moment
    )
    rule = view.rule
    return Cast(
        receipt=receipt,
        poll=view.poll,
        consultation=view.consultation,
        options=view.options,
        rule=rule,
        standing=standing,
        decision=decision,
        areas=await _areas(session, rule.area_ids, {}),
    )


async def cast(
    database: Database,
    actor: Auth,
    poll_id: int,
    form: dict[str, str],
    *,
    now: datetime | None = None,
) -> Receipt:
    """Cast the actor's ballot (see cast_online); the receipt."""
    return (await cast_online(database, actor, poll_id, form, now=now)).receipt


async def cast_paper(
    database: Database,
    officer: Auth,
    poll_id: int,
    voter_id: int,
    form: dict[str, str],
    *,
    now: datetime | None = None,
) -> Receipt:
    """An officer at the booth confirms the voter on the roll and enters the paper
    ballot: the same roll, so nobody votes both online and on paper."""
    moment = _now(now)
    try:
        async with database.write() as session:
            view = await _view(session, poll_id, lock="share")
            standing, _decision = await queries.standing(session, officer, view, moment)
            require(standing, "poll.paper")
            voter = await session.get(User, voter_id)
            if voter is None or voter.deleted_at is not None:
                raise NotFound()
            person = await eligibility_person(session, voter)
            parents = await area_parents(session)
            verdict = eligibility.check(person, view.rule, moment.date(), parents)
            if not verdict.allowed:
                raise BallotInvalid(_l("This person may not vote in this poll."), field="voter")
            if await queries.has_voted(session, poll_id, voter_id):
                raise Conflict(_l("This person has already voted in this poll."))
            choice = ballots.from_form(view.ballot_rules(), form)
            receipt = await _write_ballot(
                session, poll_id, voter_id, choice, entered_by=officer.user.id
            )
            await audit.record(
                session,
                officer.user.public_id,
                "poll.paper_ballot",
                subject=f"poll:{poll_id}",
                payload={"voter": voter.public_id},
                now=moment,
            )
            return receipt
    except IntegrityError:
        raise Conflict(_l("This person has already voted in this poll.")) from None


def tally_rows(view: queries.PollView, rows: list[tuple[str, str]]) -> Tally:
    """The pure part of closing: the result of the stored ballots, and its hashes."""
    options = [Option(o.id, o.cost) for o in view.options]  # type: ignore[arg-type]
    choices = [_decode(view.poll.method, content) for _receipt, content in rows]
    result = tally(
        view.poll.method, options, choices, view.poll.tie_break_seed or "", budget=view.poll.budget
    )
    return Tally(
        poll_id=view.poll.id,  # type: ignore[arg-type]
        result=canonical_json(result.as_json()),
        result_sha256=result_sha256(result),
        board_sha256=ballots.board_sha256(rows),
        ballots=len(rows),
        roll=0,
        computed_at=datetime.now(UTC),
    )


def _decode(method: str, content: str) -> object:
    value = json.loads(content)
    if method == "score":
        return {int(k): v for k, v in value.items()}
    return value


async def close(
    database: Database, actor: Auth | None, poll_id: int, *, now: datetime | None = None
) -> Tally:
    """After the closing time: rewrite the ballots in random order (so neither physical
    order nor PostgreSQL's row versions follow the roll), tally, and store the result
    with its hash. ``actor`` None is the server's own closer."""
    moment = _now(now)
    async with database.write() as session:
        view = await _view(session, poll_id, lock="update")
        if actor is not None:
            standing, _decision = await queries.standing(session, actor, view, moment)
            require(standing, "poll.close")
        elif not (
            view.poll.frozen
            and view.poll.closed_at is None
            and moment >= as_utc(view.poll.closes_at)
        ):
            raise Conflict(_l("The poll cannot be closed now."))
        rows = await queries.board(session, poll_id)
        shuffled = list(rows)
        secrets.SystemRandom().shuffle(shuffled)
        await session.exec(delete(Ballot).where(col(Ballot.poll_id) == poll_id))  # type: ignore[call-overload]
        if shuffled:  # one executemany, in the shuffled order, in this transaction
            connection = await session.connection()
            await connection.execute(
                insert(Ballot),
                [{"poll_id": poll_id, "receipt": r, "content": c} for r, c in shuffled],
            )
        result = tally_rows(view, rows)
        roll, _ballots = await queries.counts(session, poll_id)
        result.roll = roll
        result.computed_at = moment
        session.add(result)
        view.poll.closed_at = moment
        session.add(view.poll)
        await audit.record(
            session,
            actor.user.public_id if actor else None,
            "poll.closed",
            subject=f"poll:{poll_id}",
            payload={
                "ballots": result.ballots,
                "roll": roll,
                "board_sha256": result.board_sha256,
                "result_sha256": result.result_sha256,
            },
            now=moment,
        )
    return result


async def close_due(database: Database, *, now: datetime | None = None) -> list[int]:
    """Close every frozen poll whose time is up (the server does this by itself)."""
    moment = _now(now)
    async with database.read() as session:
        due = await queries.due_for_closing(session, moment)
    closed = []
    for poll_id in due:
        try:
            await close(database, None, poll_id, now=moment)
        except Conflict:
            continue  # closed meanwhile by the committee or another worker
        closed.append(poll_id)
    return closed
