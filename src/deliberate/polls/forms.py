"""The poll form, read and checked without the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deliberate.accounts.services import FormInvalid
from deliberate.hearings.forms import HearingInput, parse_hearing
from deliberate.polls.models import Method
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.inputs import multi_line, one_line, whole_number

MAX_OPTIONS = 50


@dataclass(frozen=True)
class OptionInput:
    label: str
    cost: int
    description: str


@dataclass(frozen=True)
class PollInput:
    title: str
    question: str
    description: str
    method: str
    max_choices: int | None
    budget: int | None
    opens_at: datetime
    closes_at: datetime
    rule_area_id: int | None
    min_age: int | None
    options: tuple[OptionInput, ...]


def parse_options(text: str, method: str) -> tuple[OptionInput, ...] | Any:
    """One option per line: ``label``, or ``label | cost`` for budgets, optionally
    followed by ``| description``. Returns the options or an error message."""
    found = []
    for line in multi_line(text).splitlines():
        if not line.strip():
            continue
        parts = [one_line(p) for p in line.split("|")]
        label = parts[0]
        cost = 0
        rest = parts[1:]
        if method == Method.budget:
            if not rest or whole_number(rest[0].replace(",", ""), low=1, high=10**12) is None:
                return _l("Give each project a cost: “label | cost”, the cost a whole number.")
            cost = whole_number(rest[0].replace(",", ""), low=1, high=10**12)  # type: ignore[assignment]
            rest = rest[1:]
        description = " | ".join(rest)
        if not label or len(label) > 200 or len(description) > 2000:
            return _l("Each option needs a label of at most 200 characters.")
        found.append(OptionInput(label, cost, description))
    if len({o.label for o in found}) != len(found):
        return _l("Two options have the same label.")
    if not 2 <= len(found) <= MAX_OPTIONS:
        return _l("Give from 2 to 50 options, one per line.")
    return tuple(found)


def parse_poll(form: dict[str, str], tz: ZoneInfo) -> PollInput:
    errors: dict[str, Any] = {}
    window: HearingInput | None = None
    try:
        window = parse_hearing(form, tz)  # title, window and rule: the same fields
    except FormInvalid as error:
        errors.update(error.errors)
    question = one_line(form.get("question"))
    description = multi_line(form.get("description"))
    method = form.get("method", "")
    if method not in Method.__members__:
        errors["method"] = _l("Choose how people vote.")
    if not question or len(question) > 500:
        errors["question"] = _l("Enter the question (at most 500 characters).")
    if len(description) > 20_000:
        errors["description"] = _l("At most 20,000 characters.")
    options = parse_options(form.get("options", ""), method)
    if not isinstance(options, tuple):
        errors["options"] = options
    max_choices = budget = None
    if method == Method.approval and form.get("max_choices", "").strip():
        max_choices = whole_number(form.get("max_choices"), low=1, high=MAX_OPTIONS)
        if max_choices is None:
            errors["max_choices"] = _l("Enter a number from 1 to 50, or leave it empty.")
    if method == Method.budget:
        budget = whole_number((form.get("budget") or "").replace(",", ""), low=1, high=10**12)
        if budget is None:
            errors["budget"] = _l("Enter the budget, a whole number.")
    if errors:
        raise FormInvalid(errors)
    assert window is not None and isinstance(options, tuple)
    return PollInput(
        title=window.title,
        question=question,
        description=description,
        method=method,
        max_choices=max_choices,
        budget=budget,
        opens_at=window.opens_at,
        closes_at=window.closes_at,
        rule_area_id=window.rule_area_id,
        min_age=window.min_age,
        options=options,
    )
