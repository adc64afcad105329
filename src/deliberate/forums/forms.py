"""Forum, invitation and opinion forms, read and checked without the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deliberate.accounts.services import FormInvalid
from deliberate.forums.models import Confidence, Publication, Recommendation
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.inputs import local_datetime, multi_line, one_line

QUESTION_SLOTS = 5  # question fields on the new-forum form (plain HTML, no script needed)
MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_QUESTION = 300
MAX_BACKGROUND = 5_000
MAX_SUMMARY = 500
MAX_ANALYSIS = 20_000
MAX_RECOMMENDATION_NOTE = 1_000
MAX_REFERENCES = 3_000
MAX_CONFLICTS = 2_000
MAX_REASON = 500
MAX_FOLLOW_UP = 5_000


@dataclass(frozen=True)
class QuestionInput:
    text: str
    background: str


@dataclass(frozen=True)
class ForumInput:
    title: str
    description: str
    deadline: datetime
    publication: Publication
    questions: tuple[QuestionInput, ...]


@dataclass(frozen=True)
class Answer:
    """One question's answer; on a draft any field may still be empty."""

    summary: str = ""
    analysis: str = ""
    recommendation: str = ""  # a Recommendation value, or "" while drafting
    recommendation_note: str = ""
    confidence: str = ""  # a Confidence value, or "" while drafting
    references: str = ""

    def as_json(self) -> dict[str, str]:
        return asdict(self)

    @property
    def blank(self) -> bool:
        return not any(self.as_json().values())


def parse_forum(form: dict[str, str], tz: ZoneInfo) -> ForumInput:
    errors: dict[str, Any] = {}
    title = one_line(form.get("title"))
    description = multi_line(form.get("description"))
    deadline = local_datetime(form.get("deadline"), tz)
    publication = form.get("publication", "")
    if not title or len(title) > MAX_TITLE:
        errors["title"] = _l("Enter a title (at most 200 characters).")
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = _l("The description can be at most 10,000 characters.")
    if deadline is None:
        errors["deadline"] = _l("Enter the deadline for opinions.")
    if publication not in Publication.__members__:
        errors["publication"] = _l("Choose how the opinions will be published.")
    questions = []
    for slot in range(1, QUESTION_SLOTS + 1):
        text = one_line(form.get(f"question_{slot}"))
        background = multi_line(form.get(f"background_{slot}"))
        if not text and not background:
            continue
        if not text or len(text) > MAX_QUESTION:
            errors[f"question_{slot}"] = _l("Enter the question (at most 300 characters).")
        if len(background) > MAX_BACKGROUND:
            errors[f"background_{slot}"] = _l("The background can be at most 5,000 characters.")
        questions.append(QuestionInput(text, background))
    if not questions and "question_1" not in errors:
        errors["question_1"] = _l("Ask the experts at least one question.")
    if errors:
        raise FormInvalid(errors)
    return ForumInput(title, description, deadline, Publication(publication), tuple(questions))  # type: ignore[arg-type]


def parse_answers(form: dict[str, str], numbers: list[int]) -> dict[int, Answer]:
    """The answers typed for questions ``numbers``, each field length-checked (a draft
    may be incomplete: see :func:`require_complete`)."""
    errors: dict[str, Any] = {}
    answers: dict[int, Answer] = {}
    for n in numbers:
        answer = Answer(
            summary=one_line(form.get(f"summary_{n}")),
            analysis=multi_line(form.get(f"analysis_{n}")),
            recommendation=form.get(f"recommendation_{n}", "").strip(),
            recommendation_note=multi_line(form.get(f"recommendation_note_{n}")),
            confidence=form.get(f"confidence_{n}", "").strip(),
            references=multi_line(form.get(f"references_{n}")),
        )
        limits = (
            ("summary", MAX_SUMMARY, _l("The summary can be at most 500 characters.")),
            ("analysis", MAX_ANALYSIS, _l("The analysis can be at most 20,000 characters.")),
            (
                "recommendation_note",
                MAX_RECOMMENDATION_NOTE,
                _l("The note on the recommendation can be at most 1,000 characters."),
            ),
            ("references", MAX_REFERENCES, _l("The references can be at most 3,000 characters.")),
        )
        for name, limit, message in limits:
            if len(getattr(answer, name)) > limit:
                errors[f"{name}_{n}"] = message
        if answer.recommendation and answer.recommendation not in Recommendation.__members__:
            errors[f"recommendation_{n}"] = _l("Choose a recommendation from the list.")
        if answer.confidence and answer.confidence not in Confidence.__members__:
            errors[f"confidence_{n}"] = _l("Choose low, medium or high confidence.")
        answers[n] = answer
    if errors:
        raise FormInvalid(errors)
    return answers


def require_complete(answers: dict[int, Answer]) -> None:
    """What submitting needs on top of a draft: every question answered."""
    errors: dict[str, Any] = {}
    for n, answer in answers.items():
        if not answer.summary:
            errors[f"summary_{n}"] = _l("Enter a short summary of your answer.")
        if not answer.analysis:
            errors[f"analysis_{n}"] = _l("Enter your analysis.")
        if not answer.recommendation:
            errors[f"recommendation_{n}"] = _l("Choose a recommendation from the list.")
        if not answer.confidence:
            errors[f"confidence_{n}"] = _l("Choose low, medium or high confidence.")
    if errors:
        raise FormInvalid(errors)


def answers_as_form(answers: dict[int, Answer]) -> dict[str, str]:
    """The form fields that show ``answers`` again."""
    form: dict[str, str] = {}
    for n, answer in answers.items():
        for name, value in answer.as_json().items():
            form[f"{name}_{n}"] = value
    return form


def parse_declaration(form: dict[str, str]) -> str:
    """ "" for no conflict of interest, else its description."""
    choice = form.get("conflicts", "")
    description = multi_line(form.get("description"))
    if choice == "none":
        return ""
    if choice != "some":
        raise FormInvalid({"conflicts": _l("Say whether you have a conflict of interest.")})
    if not description or len(description) > MAX_CONFLICTS:
        raise FormInvalid(
            {"description": _l("Describe the conflict of interest (at most 2,000 characters).")}
        )
    return description


def parse_reason(form: dict[str, str]) -> str:
    reason = multi_line(form.get("reason"))
    if len(reason) > MAX_REASON:
        raise FormInvalid({"reason": _l("The reason can be at most 500 characters.")})
    return reason


def parse_follow_up(form: dict[str, str], field: str) -> str:
    value = multi_line(form.get(field))
    if not value or len(value) > MAX_FOLLOW_UP:
        raise FormInvalid({field: _l("Enter the text (at most 5,000 characters).")})
    return value
