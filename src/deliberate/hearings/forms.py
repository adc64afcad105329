"""Hearing and comment forms, read and checked without the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deliberate.accounts.services import FormInvalid
from deliberate.hearings.document import MAX_DOCUMENT, DocumentError, DraftSection, split_sections
from deliberate.hearings.models import Stance, Verdict
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.inputs import local_datetime, multi_line, one_line, whole_number

MAX_COMMENT = 5_000
MAX_EXPLANATION = 5_000
MAX_REASON = 300


@dataclass(frozen=True)
class HearingInput:
    title: str
    opens_at: datetime
    closes_at: datetime
    rule_area_id: int | None  # None: anyone with a confirmed account
    min_age: int | None


@dataclass(frozen=True)
class DraftInput:
    body: str
    sections: tuple[DraftSection, ...]
    change_note: str


def together(*checks: Callable[[], Any]) -> list[Any]:
    """Run each field's check and return their values; when any fails, raise one
    FormInvalid with every field's problem, so the form shows them all at once."""
    errors: dict[str, Any] = {}
    values: list[Any] = []
    for check in checks:
        try:
            values.append(check())
        except FormInvalid as error:
            errors.update(error.errors)
    if errors:
        raise FormInvalid(errors)
    return values


def document_error(error: DocumentError) -> Any:
    messages = {
        "empty": _l("Enter the text of the draft."),
        "too_long": _l("The draft can be at most 100,000 characters."),
        "too_many_sections": _l("The draft can have at most 200 sections."),
        "heading_too_long": _l("A heading can be at most 200 characters."),
    }
    return messages.get(error.code, messages["empty"])


def parse_hearing(form: dict[str, str], tz: ZoneInfo) -> HearingInput:
    errors: dict[str, Any] = {}
    title = one_line(form.get("title"))
    opens_at = local_datetime(form.get("opens_at"), tz)
    closes_at = local_datetime(form.get("closes_at"), tz)
    area = form.get("rule_area", "").strip()
    rule_area_id = whole_number(area, low=1, high=2**31 - 1) if area else None
    age = form.get("min_age", "").strip()
    min_age = whole_number(age, low=1, high=120) if age else None
    if not title or len(title) > 200:
        errors["title"] = _l("Enter a title (at most 200 characters).")
    if opens_at is None:
        errors["opens_at"] = _l("Enter when the comment window opens.")
    if closes_at is None:
        errors["closes_at"] = _l("Enter when the comment window closes.")
    elif opens_at is not None and closes_at <= opens_at:
        errors["closes_at"] = _l("The window must close after it opens.")
    if area and rule_area_id is None:
        errors["rule_area"] = _l("Choose an area from the list.")
    if age and min_age is None:
        errors["min_age"] = _l("Enter an age from 1 to 120, or leave it empty.")
    if min_age is not None and rule_area_id is None and "rule_area" not in errors:
        errors["min_age"] = _l("An age limit needs verified residents: choose an area too.")
    if errors:
        raise FormInvalid(errors)
    return HearingInput(title, opens_at, closes_at, rule_area_id, min_age)  # type: ignore[arg-type]


def parse_draft(form: dict[str, str], *, note_required: bool) -> DraftInput:
    body = multi_line(form.get("body"))
    note = one_line(form.get("change_note"))
    errors: dict[str, Any] = {}
    sections: list[DraftSection] = []
    if len(body) > MAX_DOCUMENT:
        errors["body"] = _l("The draft can be at most 100,000 characters.")
    else:
        try:
            sections = split_sections(body)
        except DocumentError as error:
            errors["body"] = document_error(error)
    if note_required and not note:
        errors["change_note"] = _l("Say briefly what changed in this version.")
    if len(note) > 500:
        errors["change_note"] = _l("At most 500 characters.")
    if errors:
        raise FormInvalid(errors)
    return DraftInput(body, tuple(sections), note)


def comment_text(value: str | None, field: str = "body") -> str:
    text = multi_line(value)
    if not text:
        raise FormInvalid({field: _l("Write your comment.")})
    if len(text) > MAX_COMMENT:
        raise FormInvalid(
            {
                field: _l("A comment can be at most 5,000 characters; yours has %(count)s.")
                % {"count": len(text)}
            }
        )
    return text


def stance(value: str | None) -> Stance:
    try:
        return Stance(value or "")
    except ValueError:
        raise FormInvalid({"stance": _l("Choose your stance.")}) from None


def verdict(value: str | None) -> Verdict:
    try:
        return Verdict(value or "")
    except ValueError:
        raise FormInvalid({"verdict": _l("Choose the committee's answer.")}) from None


def reason_text(value: str | None, field: str = "reason") -> str:
    text = one_line(value)
    if not text or len(text) > MAX_REASON:
        raise FormInvalid({field: _l("Give a reason (at most 300 characters).")})
    return text


def explanation_text(value: str | None) -> str:
    text = multi_line(value)
    if not text or len(text) > MAX_EXPLANATION:
        raise FormInvalid({"explanation": _l("Explain the answer (at most 5,000 characters).")})
    return text


@dataclass(frozen=True)
class CallInput:
    seats: int
    quotas: dict[str, int]
    applications_close_at: datetime
    value_source: str


def parse_call(form: dict[str, str], tz: ZoneInfo) -> CallInput:
    errors: dict[str, Any] = {}
    seats = whole_number(form.get("seats"), low=1, high=100)
    if seats is None:
        errors["seats"] = _l("Enter the number of seats, from 1 to 100.")
    quotas: dict[str, int] = {}
    for value in Stance:
        typed = form.get(f"quota_{value.value}", "").strip()
        if not typed:
            continue
        number = whole_number(typed, low=0, high=100)
        if number is None:
            errors[f"quota_{value.value}"] = _l("Enter a whole number, or leave it empty.")
        elif number:
            quotas[value.value] = number
    if seats is not None and sum(quotas.values()) > seats:
        errors["seats"] = _l("The seats reserved per stance add up to more than the seats.")
    closes = local_datetime(form.get("applications_close_at"), tz)
    if closes is None:
        errors["applications_close_at"] = _l("Enter when applications close.")
    source = one_line(form.get("value_source"))
    if not source or len(source) > 300:
        errors["value_source"] = _l(
            "Say where the public value for the draw will come from (at most 300 characters)."
        )
    if errors:
        raise FormInvalid(errors)
    return CallInput(seats, quotas, closes, source)  # type: ignore[arg-type]


def application_summary(value: str | None) -> str:
    text = multi_line(value)
    if not text or len(text) > 500:
        raise FormInvalid(
            {"summary": _l("Say in short what you want to say (at most 500 characters).")}
        )
    return text


def public_value(value: str | None) -> str:
    text = one_line(value)
    if not text or len(text) > 200:
        raise FormInvalid(
            {"public_value": _l("Enter the public value as announced (at most 200 characters).")}
        )
    return text


@dataclass(frozen=True)
class SessionInput:
    starts_at: datetime
    place: str
    agenda: str


def parse_session(form: dict[str, str], tz: ZoneInfo) -> SessionInput:
    errors: dict[str, Any] = {}
    starts_at = local_datetime(form.get("starts_at"), tz)
    place = one_line(form.get("place"))
    agenda = multi_line(form.get("agenda"))
    if starts_at is None:
        errors["starts_at"] = _l("Enter when the session starts.")
    if not place or len(place) > 200:
        errors["place"] = _l("Enter the place (at most 200 characters).")
    if len(agenda) > 5_000:
        errors["agenda"] = _l("The agenda can be at most 5,000 characters.")
    if errors:
        raise FormInvalid(errors)
    return SessionInput(starts_at, place, agenda)  # type: ignore[arg-type]


@dataclass(frozen=True)
class StatementInput:
    speaker: str
    application_id: int | None
    spoken_at: datetime
    summary: str


def parse_statement(form: dict[str, str], tz: ZoneInfo) -> StatementInput:
    errors: dict[str, Any] = {}
    speaker = one_line(form.get("speaker"))
    typed = form.get("application", "").strip()
    application_id = whole_number(typed, low=1, high=2**31 - 1) if typed else None
    spoken_at = local_datetime(form.get("spoken_at"), tz)
    summary = multi_line(form.get("summary"))
    if not speaker and application_id is None:
        errors["speaker"] = _l("Say who spoke: choose a drawn speaker or type a name or role.")
    if len(speaker) > 100:
        errors["speaker"] = _l("At most 100 characters.")
    if spoken_at is None:
        errors["spoken_at"] = _l("Enter when they spoke.")
    if not summary or len(summary) > 5_000:
        errors["summary"] = _l("Summarise the statement (at most 5,000 characters).")
    if errors:
        raise FormInvalid(errors)
    return StatementInput(speaker, application_id, spoken_at, summary)  # type: ignore[arg-type]


def attendance(form: dict[str, str]) -> tuple[int | None, str]:
    typed = form.get("attendance", "").strip()
    count = whole_number(typed, low=0, high=100_000) if typed else None
    note = one_line(form.get("attendance_note"))
    if typed and count is None:
        raise FormInvalid({"attendance": _l("Enter the number of people present.")})
    if len(note) > 500:
        raise FormInvalid({"attendance_note": _l("At most 500 characters.")})
    return count, note
