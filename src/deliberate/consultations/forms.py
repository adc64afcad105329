"""The consultation form, read and checked without the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from deliberate.accounts.services import FormInvalid
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.inputs import iso_date, multi_line, one_line, whole_number

MAX_SUMMARY = 20_000
MAX_MILESTONES = 20


@dataclass(frozen=True)
class ConsultationInput:
    committee_id: int
    area_id: int
    title: str
    summary: str
    budget: str
    buildings: str
    contact: str
    milestones: tuple[tuple[date, str], ...]

    def milestones_json(self) -> str:
        return json.dumps(
            [[day.isoformat(), text] for day, text in self.milestones], ensure_ascii=False
        )


def parse_milestones(text: str) -> tuple[tuple[date, str], ...] | None:
    """One per line: ``2026-12-01 意见征集开始``. None when a line does not read so."""
    found = []
    for line in multi_line(text).splitlines():
        if not line.strip():
            continue
        head, _sep, rest = line.strip().partition(" ")
        day, label = iso_date(head), one_line(rest)
        if day is None or not label or len(label) > 200:
            return None
        found.append((day, label))
    return tuple(sorted(found)) if len(found) <= MAX_MILESTONES else None


def milestones_text(stored: str) -> str:
    """Back to the editable one-per-line form."""
    return "\n".join(f"{day} {label}" for day, label in json.loads(stored or "[]"))


def parse_consultation(form: dict[str, str]) -> ConsultationInput:
    errors: dict[str, Any] = {}
    title = one_line(form.get("title"))
    summary = multi_line(form.get("summary"))
    budget, buildings, contact = (one_line(form.get(k)) for k in ("budget", "buildings", "contact"))
    committee_id = whole_number(form.get("committee"), low=1, high=2**31 - 1)
    area_id = whole_number(form.get("area"), low=1, high=2**31 - 1)
    milestones = parse_milestones(form.get("milestones", ""))
    if committee_id is None:
        errors["committee"] = _l("Choose the committee that runs the consultation.")
    if area_id is None:
        errors["area"] = _l("Choose the area the consultation is about.")
    if not title or len(title) > 200:
        errors["title"] = _l("Enter a title (at most 200 characters).")
    if not summary or len(summary) > MAX_SUMMARY:
        errors["summary"] = _l("Enter a summary (at most 20,000 characters).")
    if len(budget) > 100:
        errors["budget"] = _l("At most 100 characters.")
    if len(buildings) > 300:
        errors["buildings"] = _l("At most 300 characters.")
    if len(contact) > 300:
        errors["contact"] = _l("At most 300 characters.")
    if milestones is None:
        errors["milestones"] = _l(
            "Write one milestone per line: a date like 2026-12-01, a space, then what happens "
            "(at most 20 lines)."
        )
    if errors:
        raise FormInvalid(errors)
    return ConsultationInput(
        committee_id=committee_id,  # type: ignore[arg-type]
        area_id=area_id,  # type: ignore[arg-type]
        title=title,
        summary=summary,
        budget=budget,
        buildings=buildings,
        contact=contact,
        milestones=milestones,  # type: ignore[arg-type]
    )
