"""“You said, we did”: the committee's answers to the comments of a consultation's
hearings, grouped by section: what was adopted or partly adopted and what changes
because of it, and what was not adopted and why. Pure: rows in, groups out (comments
only "noted" answer no proposal and are left out)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ADOPTED = ("adopted", "partly")
NOT_ADOPTED = ("not_adopted",)


@dataclass(frozen=True)
class Said:
    """One answered comment, as the public hearing page shows it."""

    hearing_id: int
    hearing_title: str
    section_number: int
    section_heading: str
    comment_id: int
    author: str  # the name the person agreed to publish, or their pseudonym
    stance: str | None
    body: str  # Markdown, as written
    verdict: str
    explanation: str  # the committee's answer: what changes, or why not


@dataclass(frozen=True)
class SectionOutcome:
    hearing_id: int
    hearing_title: str
    number: int
    heading: str
    adopted: tuple[Said, ...]  # adopted and partly adopted, in the order they came
    not_adopted: tuple[Said, ...]

    @property
    def count(self) -> int:
        return len(self.adopted) + len(self.not_adopted)


def group(entries: Iterable[Said]) -> list[SectionOutcome]:
    """By hearing, then section number and heading (a section keeps its place across
    revised drafts); within a section, by comment. Sections with nothing adopted or
    refused are left out."""
    buckets: dict[tuple[int, int, str], tuple[str, list[Said], list[Said]]] = {}
    for entry in sorted(entries, key=lambda e: e.comment_id):
        if entry.verdict not in ADOPTED and entry.verdict not in NOT_ADOPTED:
            continue
        key = (entry.hearing_id, entry.section_number, entry.section_heading)
        _title, adopted, refused = buckets.setdefault(key, (entry.hearing_title, [], []))
        (adopted if entry.verdict in ADOPTED else refused).append(entry)
    return [
        SectionOutcome(key[0], title, key[1], key[2], tuple(adopted), tuple(refused))
        for key, (title, adopted, refused) in sorted(buckets.items())
    ]
