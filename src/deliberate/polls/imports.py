"""Importing a vote counted elsewhere — paper ballots, another platform — from a pabulib
``.pb`` file: a committee member makes it a closed poll of a consultation, with the
file's projects as the options and its votes as the ballots, so it is counted, shown
and published like any other poll (result page, bulletin board, open data).

- Only **approval** files (each voter ticks projects) can be imported; cumulative,
  ordinal and scoring votes are refused with a message saying so. The poll is a
  ``budget`` poll (the default: the file's budget and project costs; counted by the
  Method of Equal Shares with greedy beside it) or an ``approval`` poll (most approvals
  wins; the costs are dropped, and ``max_length`` from META becomes the maximum number
  of choices when every vote keeps to it).
- Options: one per project, in the file's order, labelled with its ``name`` (or its
  ``project_id`` when it has none; ``name (project_id)`` when two projects share a
  name). Ballots: one per row of VOTES, as cast — the tally does not re-check the
  limits a ballot form would have (a vote over the budget, more choices than allowed,
  an empty vote), because these votes were accepted where they were cast.
- **Receipts nobody holds**: every imported ballot gets a receipt made, as for an
  online ballot, from the canonical ballot and a fresh 256-bit nonce — and the nonce is
  thrown away at once. So the bulletin board looks like any other and can be re-counted,
  but no voter can find "their" receipt: the file's voter ids are not kept either.
- The poll is frozen (settings hashed, tie-break seed drawn) and closed (tally stored
  with its hashes) at once. Its voting window is the import time, or the dates given in
  the form (in the past). There is nobody on its voter roll: the roll count is 0.
- Everything happens in one transaction: a refused or failing import leaves nothing
  behind. The audit log gets ``poll.imported`` with the file's SHA-256, the counts and
  the settings, board and result hashes.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import FormInvalid
from deliberate.audit import services as audit
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.models import Consultation
from deliberate.consultations.permissions import require as require_consultation
from deliberate.consultations.rules import rule_for
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.polls import ballots, pabulib, queries, services
from deliberate.polls.methods.common import canonical_json
from deliberate.polls.models import Ballot, Method, Poll, PollOption
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.inputs import local_datetime, multi_line, one_line, whole_number

MAX_BYTES = 5 * 1024 * 1024
MAX_PROJECTS = 500
METHODS = (Method.budget.value, Method.approval.value)
LABEL = 200  # PollOption.label
DESCRIPTION = 2000  # PollOption.description
TITLE = 200  # Poll.title
QUESTION = 500  # Poll.question

TOO_LARGE = _l("The file is larger than 5 MB.")


@dataclass(frozen=True)
class ImportInput:
    """The import form, read: empty title and question come from the file."""

    method: str
    title: str
    question: str
    description: str
    opens_at: datetime | None
    closes_at: datetime | None


def parse_import(form: Mapping[str, str], tz: ZoneInfo) -> ImportInput:
    errors: dict[str, Any] = {}
    method = form.get("method", Method.budget.value) or Method.budget.value
    if method not in METHODS:
        errors["method"] = _l("Choose a participatory budget or an approval poll.")
    title = one_line(form.get("title"))
    if len(title) > TITLE:
        errors["title"] = _l("At most 200 characters.")
    question = one_line(form.get("question"))
    if len(question) > QUESTION:
        errors["question"] = _l("At most 500 characters.")
    description = multi_line(form.get("description"))
    if len(description) > 20_000:
        errors["description"] = _l("At most 20,000 characters.")
    typed_opens = (form.get("opens_at") or "").strip()
    typed_closes = (form.get("closes_at") or "").strip()
    opens_at = local_datetime(typed_opens, tz)
    closes_at = local_datetime(typed_closes, tz)
    if typed_opens and opens_at is None:
        errors["opens_at"] = _l("Enter a date and time, or leave both empty.")
    if typed_closes and closes_at is None:
        errors["closes_at"] = _l("Enter a date and time, or leave both empty.")
    if bool(typed_opens) != bool(typed_closes):
        errors.setdefault(
            "closes_at" if typed_opens else "opens_at",
            _l("Give both when voting opened and when it closed, or neither."),
        )
    elif opens_at is not None and closes_at is not None and closes_at <= opens_at:
        errors["closes_at"] = _l("Voting must close after it opens.")
    if errors:
        raise FormInvalid(errors)
    return ImportInput(method, title, question, description, opens_at, closes_at)


# ---- the file -----------------------------------------------------------------------------


def refused(message: Any) -> FormInvalid:
    return FormInvalid({"file": message})


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise refused(TOO_LARGE)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refused(_l("The file is not UTF-8 text: save it as UTF-8 and try again.")) from None


def read(text: str) -> pabulib.Instance:
    """The file's election, or FormInvalid (field ``file``) saying why not."""
    try:
        instance = pabulib.parse(text)
    except pabulib.PabulibError as error:
        if error.line:
            raise refused(
                _l("This is not a pabulib file we can read: line %(line)s: %(problem)s.")
                % {"line": error.line, "problem": error.message}
            ) from None
        raise refused(
            _l("This is not a pabulib file we can read: %(problem)s.") % {"problem": error.message}
        ) from None
    if instance.vote_type != "approval":
        raise refused(
            _l(
                "The votes in this file are of the type “%(type)s”. Only approval votes, "
                "where each voter ticks the projects they support, can be imported."
            )
            % {"type": instance.vote_type}
        )
    if not instance.projects:
        raise refused(_l("The file has no projects."))
    if len(instance.projects) > MAX_PROJECTS:
        raise refused(_l("The file has more than 500 projects."))
    return instance


@dataclass(frozen=True)
class Plan:
    """What the poll will hold, checked, before anything is written."""

    options: tuple[tuple[str, int, str], ...]  # label, cost, description
    ballots: tuple[tuple[int, ...], ...]  # positions (0-based) of the approved options
    budget: int | None
    max_choices: int | None


def _labels(instance: pabulib.Instance) -> list[tuple[str, str]]:
    """(label, description) per project: the name, or the id; disambiguated by the id
    when two share a name; the full name as the description when it is cut short."""
    names = [p.name.strip() or p.id for p in instance.projects]
    shared = {n for n in names if names.count(n) > 1}
    found = []
    for project, name in zip(instance.projects, names, strict=True):
        full = f"{name} ({project.id})" if name in shared else name
        full = one_line(full) or project.id
        if len(full) <= LABEL:
            found.append((full, ""))
        else:
            found.append((full[: LABEL - 1] + "…", full[:DESCRIPTION]))
    return found


def plan(instance: pabulib.Instance, method: str) -> Plan:
    position = {p.id: j for j, p in enumerate(instance.projects)}
    votes = tuple(tuple(sorted({position[p] for p in v.projects})) for v in instance.votes)
    labels = _labels(instance)
    if method == Method.budget:
        if instance.budget < 1:
            raise refused(_l("The file's budget is 0: a participatory budget needs one."))
        for project in instance.projects:
            if project.cost < 1:
                raise refused(
                    _l("Project %(id)s costs nothing: every project needs a cost.")
                    % {"id": project.id}
                )
        options = tuple(
            (label, p.cost, description)
            for (label, description), p in zip(labels, instance.projects, strict=True)
        )
        return Plan(options, votes, instance.budget, None)
    longest = max((len(v) for v in votes), default=0)
    declared = whole_number(instance.meta.get("max_length"), low=1, high=MAX_PROJECTS)
    limit = declared if declared is not None and declared >= longest else None
    options = tuple((label, 0, description) for label, description in labels)
    return Plan(options, votes, None, limit)


# ---- the service --------------------------------------------------------------------------


async def _write_ballots(
    session: AsyncSession, poll_id: int, choices: list[list[int]]
) -> list[tuple[str, str]]:
    """Each ballot with a receipt from a fresh nonce that is then forgotten (nobody holds
    an imported ballot's receipt), inserted in random order; the board rows by receipt."""
    rows = [
        (ballots.receipt(choice, ballots.new_nonce()), ballots.canonical(choice))
        for choice in choices
    ]
    shuffled = list(rows)
    secrets.SystemRandom().shuffle(shuffled)
    if shuffled:
        connection = await session.connection()
        await connection.execute(
            insert(Ballot),
            [{"poll_id": poll_id, "receipt": r, "content": c} for r, c in shuffled],
        )
    return sorted(rows)


def _default_title(instance: pabulib.Instance) -> str:
    meta = instance.meta
    parts = [meta.get("description") or meta.get("unit") or "pabulib"]
    if meta.get("instance") and meta["instance"] not in parts[0]:
        parts.append(meta["instance"])
    return one_line(" ".join(parts))[:TITLE]


async def import_pabulib(
    database: Database,
    actor: Auth,
    consultation_id: int,
    text: str | bytes,
    form: ImportInput,
    *,
    now: datetime | None = None,
) -> Poll:
    """Make a closed poll of the consultation from a ``.pb`` file (its bytes, or its
    text). Raises NotFound / Forbidden (not the committee's consultation), FormInvalid
    (a form field, or ``file`` saying what is wrong with the file)."""
    moment = now or datetime.now(UTC)
    data = text.encode("utf-8") if isinstance(text, str) else text
    file_sha256 = hashlib.sha256(data).hexdigest()
    instance = read(decode(data))
    planned = plan(instance, form.method)
    opens_at = form.opens_at or moment
    closes_at = form.closes_at or moment
    if closes_at > moment:
        raise FormInvalid(
            {"closes_at": _l("The vote must be over: it cannot close later than now.")}
        )
    title = form.title or _default_title(instance)
    question = form.question or str(
        _l("Which projects should be funded?")
        if form.method == Method.budget
        else _l("Which options do you support?")
    )
    async with database.write() as session:
        consultation = await session.get(Consultation, consultation_id)
        if consultation is None:
            raise NotFound()
        standing = await consultation_queries.standing(session, actor, consultation)
        require_consultation(standing, "consultation.manage")
        rule = await rule_for(session, consultation, consultation.area_id, None)
        poll = Poll(
            consultation_id=consultation_id,
            title=title,
            question=question[:QUESTION],
            description=form.description,
            method=form.method,
            max_choices=planned.max_choices,
            budget=planned.budget,
            rule=rule.canonical(),
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=actor.user.id,
            created_at=moment,
        )
        session.add(poll)
        await session.flush()
        options = [
            PollOption(
                poll_id=poll.id,  # type: ignore[arg-type]
                position=position,
                label=label,
                description=description,
                cost=cost,
            )
            for position, (label, cost, description) in enumerate(planned.options, start=1)
        ]
        session.add_all(options)
        await session.flush()
        view = await queries.poll_view(session, poll.id)  # type: ignore[arg-type]
        assert view is not None
        # Frozen as services.freeze does, at the import time.
        poll.settings = canonical_json(services.settings_of(view))
        poll.settings_sha256 = hashlib.sha256(poll.settings.encode()).hexdigest()
        poll.tie_break_seed = secrets.token_hex(32)
        poll.frozen_at = moment
        ids = [o.id for o in options]
        rows = await _write_ballots(
            session,
            poll.id,  # type: ignore[arg-type]
            [[ids[j] for j in ballot] for ballot in planned.ballots],  # type: ignore[misc]
        )
        # Counted as services.close does (MES on a large file takes a second or two).
        tally = await asyncio.to_thread(services.tally_rows, view, rows)
        tally.roll = 0  # nobody is on this poll's voter roll
        tally.computed_at = moment
        session.add(tally)
        poll.closed_at = moment
        session.add(poll)
        await audit.record(
            session,
            actor.user.public_id,
            "poll.imported",
            subject=f"poll:{poll.id}",
            payload={
                "consultation": consultation_id,
                "method": form.method,
                "file_sha256": file_sha256,
                "projects": len(options),
                "ballots": len(rows),
                "budget": planned.budget,
                "settings_sha256": poll.settings_sha256,
                "board_sha256": tally.board_sha256,
                "result_sha256": tally.result_sha256,
            },
            now=moment,
        )
    return poll
