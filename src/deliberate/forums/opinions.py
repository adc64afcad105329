"""What an opinion is on the record, as pure functions: its canonical JSON (the same bytes
the expert's receipt hashes), reading a draft back, expert letters, and the digest's
recommendation tally."""

from __future__ import annotations

import hashlib
import json
import string
from collections import Counter
from typing import Any

from deliberate.forums.forms import Answer
from deliberate.forums.models import Recommendation


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def letter_for(index: int) -> str:
    """A, B, …, Z, AA, AB, …: the expert's letter from their invitation's position."""
    letters = string.ascii_uppercase
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = letters[rest] + name
    return name


def draft_json(answers: dict[int, Answer]) -> str:
    return canonical({str(n): a.as_json() for n, a in answers.items()})


def read_draft(content: str | None) -> dict[int, Answer]:
    if not content:
        return {}
    return {int(n): Answer(**fields) for n, fields in json.loads(content).items()}


def version_content(
    *,
    forum_id: int,
    letter: str,
    number: int,
    conflicts: str,
    questions: list[tuple[int, str]],
    answers: dict[int, Answer],
    attachments: list[dict[str, Any]],
) -> str:
    """The canonical JSON of a submitted version: what the expert answered to which
    question, their declaration and their attachments by SHA-256."""
    return canonical(
        {
            "forum": forum_id,
            "expert": letter,
            "version": number,
            "conflicts_of_interest": conflicts,
            "answers": [
                {"question": n, "question_text": text, **answers[n].as_json()}
                for n, text in questions
            ],
            "attachments": attachments,
        }
    )


def tally(recommendations: list[str]) -> list[tuple[str, int]]:
    """Each recommendation with how many experts gave it, in the list's fixed order."""
    counts = Counter(recommendations)
    return [(r.value, counts.get(r.value, 0)) for r in Recommendation]
