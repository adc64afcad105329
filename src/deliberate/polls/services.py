"""The write path for polls: create and change (until frozen), freeze (settings hashed,
tie-break seed drawn), cast a ballot online or on paper at the booth, close (ballots
shuffled, tally stored with its hash)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.audit import services as audit
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.models import Consultation
from deliberate.consultations.permissions import require as require_consultation
from deliberate.consultations.rules import rule_for
from deliberate.db import Database, as_utc
from deliberate.errors import Conflict, NotFound
from deliberate.identity import eligibility
from deliberate.identity.queries import area_parents, eligibility_person
from deliberate.polls import ballots, queries
from deliberate.polls.ballots import BallotInvalid, Choice
from deliberate.polls.forms import PollInput
from deliberate.polls.methods.common import Option, canonical_json, result_sha256
from deliberate.polls.methods.tally import tally
from deliberate.polls.models import Ballot, Poll, PollOption, Tally, VoterRoll
from deliberate.polls.permissions import require
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


async def _write_ballot(
    session: AsyncSession, poll_id: int, user_id: int, choice: Choice, *, entered_by: int | None
) -> Receipt:
    """The roll row and the ballot row, in the caller's transaction. The roll's
    uniqueness refuses a second vote; the ballot carries nothing about the voter."""
    nonce = ballots.new_nonce()
    receipt = ballots.receipt(choice, nonce)
    session.add(
        VoterRoll(
            poll_id=poll_id,
            user_id=user_id,
            channel="paper" if entered_by else "online",
            entered_by=entered_by,
        )
    )
    await session.flush()
    await session.exec(
        insert(Ballot).values(poll_id=poll_id, receipt=receipt, content=ballots.canonical(choice))  # type: ignore[call-overload]
    )
    return Receipt(poll_id, receipt, nonce, choice)


async def cast(
    database: Database,
    actor: Auth,
    poll_id: int,
    form: dict[str, str],
    *,
    now: datetime | None = None,
) -> Receipt:
    """Cast the actor's ballot. Raises BallotInvalid (kept on the form), Forbidden with
    the reason, or Conflict when they have voted already."""
    moment = _now(now)
    try:
        async with database.write() as session:
            view = await _view(session, poll_id, lock="share")
            standing, _decision = await queries.standing(session, actor, view, moment)
            require(standing, "poll.vote")
            choice = ballots.from_form(view.ballot_rules(), form)
            receipt = await _write_ballot(
                session,
                poll_id,
                actor.user.id,  # type: ignore[arg-type]
                choice,
                entered_by=None,
            )
            # Who voted (as the roll says), never how: participation is tamper-evident.
            await audit.record(
                session, actor.user.public_id, "poll.voted", subject=f"poll:{poll_id}", now=moment
            )
            return receipt
    except IntegrityError:
        raise Conflict(ALREADY_VOTED) from None


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
