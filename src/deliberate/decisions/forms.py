"""The decision, item and progress forms, read and checked without the database (the
services check what needs it: the minutes version, the members, the dates of record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from deliberate.accounts.services import FormInvalid
from deliberate.decisions.models import ItemStatus, Vote
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.inputs import iso_date, multi_line, one_line, whole_number

MAX_TEXT = 20_000
MAX_NOTE = 2_000
MAX_LINE = 200
VOTE_PREFIX = "vote-"
VOTES = frozenset(v.value for v in Vote)
STATUSES = frozenset(s.value for s in ItemStatus)


@dataclass(frozen=True)
class DecisionInput:
    minutes_id: int
    text: str
    adopted_on: date
    votes: tuple[tuple[int, str], ...]  # (member's user id, vote), by user id


@dataclass(frozen=True)
class ItemInput:
    title: str
    responsible_unit: str
    deadline: date


@dataclass(frozen=True)
class UpdateInput:
    happened_on: date
    status: str
    note: str


def vote_field(user_id: int) -> str:
    return f"{VOTE_PREFIX}{user_id}"


def parse_decision(form: dict[str, str], today: date) -> DecisionInput:
    """``minutes`` (a version's id), ``text`` (Markdown), ``adopted_on`` (YYYY-MM-DD, not
    in the future) and ``vote-<user id>`` per member: for, against, abstain, or empty
    (did not vote)."""
    errors: dict[str, Any] = {}
    minutes_id = whole_number(form.get("minutes"), low=1, high=2**31 - 1)
    if minutes_id is None:
        errors["minutes"] = _l("Choose the published minutes the decision cites.")
    text = multi_line(form.get("text"))
    if not text or len(text) > MAX_TEXT:
        errors["text"] = _l("Enter the text of the decision (at most 20,000 characters).")
    adopted_on = iso_date(form.get("adopted_on"))
    if adopted_on is None:
        errors["adopted_on"] = _l("Enter the date the decision was adopted.")
    elif adopted_on > today:
        errors["adopted_on"] = _l("The date adopted cannot be in the future.")
    votes: list[tuple[int, str]] = []
    for name, value in form.items():
        if not name.startswith(VOTE_PREFIX) or not value:
            continue
        user_id = whole_number(name[len(VOTE_PREFIX) :], low=1, high=2**31 - 1)
        if user_id is None or value not in VOTES:
            errors["votes"] = _l("Each member votes for, against or abstains.")
            break
        votes.append((user_id, value))
    if "votes" not in errors and not votes:
        errors["votes"] = _l("Record how the committee's members voted.")
    if errors:
        raise FormInvalid(errors)
    assert minutes_id is not None and adopted_on is not None
    return DecisionInput(minutes_id, text, adopted_on, tuple(sorted(votes)))


def parse_item(form: dict[str, str]) -> ItemInput:
    errors: dict[str, Any] = {}
    title = one_line(form.get("title"))
    if not title or len(title) > MAX_LINE:
        errors["title"] = _l("Say what is to be done (at most 200 characters).")
    unit = one_line(form.get("responsible_unit"))
    if not unit or len(unit) > MAX_LINE:
        errors["responsible_unit"] = _l("Name the responsible unit (at most 200 characters).")
    deadline = iso_date(form.get("deadline"))
    if deadline is None:
        errors["deadline"] = _l("Enter the deadline as a date.")
    if errors:
        raise FormInvalid(errors)
    assert deadline is not None
    return ItemInput(title, unit, deadline)


def parse_update(form: dict[str, str], today: date) -> UpdateInput:
    errors: dict[str, Any] = {}
    happened_on = iso_date(form.get("happened_on"))
    if happened_on is None:
        errors["happened_on"] = _l("Enter the date of the progress as a date.")
    elif happened_on > today:
        errors["happened_on"] = _l("The date cannot be in the future.")
    status = form.get("status", "")
    if status not in STATUSES:
        errors["status"] = _l("Choose the item's status.")
    note = multi_line(form.get("note"))
    if not note or len(note) > MAX_NOTE:
        errors["note"] = _l("Describe the progress (at most 2,000 characters).")
    if errors:
        raise FormInvalid(errors)
    assert happened_on is not None
    return UpdateInput(happened_on, status, note)
