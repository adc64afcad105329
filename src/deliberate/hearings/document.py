"""A hearing's draft: Markdown split into numbered sections by its headings, and the changes
between two versions. Pure functions; rendering happens in ``deliberate.web.markdown``."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

MAX_DOCUMENT = 100_000  # characters
MAX_SECTIONS = 200
MAX_HEADING = 200
SIMILAR = 0.5  # body similarity for pairing unmatched sections by position

_NUMERALS = "零〇一二三四五六七八九十百千两"
_NUMBERING = re.compile(
    rf"""^(?:
        第[\d{_NUMERALS}]+(?:部分|[章节条款项篇编])   # 第三条, 第1章
      | \([\d{_NUMERALS}]+\)                          # (一), (3); NFKC turns （） into ()
      | [{_NUMERALS}]+[、.]                            # 一、 十二.
      | \d+(?:\.\d+)+(?:\.|(?=\s)|$)                  # 3.1 Scope, 3.1.2.
      | \d+[、.)](?!\d)                                # 3. 3、 3)
    )[\s:.、\-–—]*""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class DraftSection:
    """One section of a draft: number 0 is the preamble, headed sections count from 1."""

    number: int
    heading: str
    body: str
    key: str


@dataclass(frozen=True)
class LineChange:
    op: str  # "equal", "insert", "delete"
    text: str


@dataclass(frozen=True)
class SectionChange:
    """How one section differs between versions: "added", "removed", "changed", "unchanged"."""

    kind: str
    old: DraftSection | None
    new: DraftSection | None
    lines: tuple[LineChange, ...]


class DocumentError(ValueError):
    """A draft that cannot be split; ``code`` says why, ``section`` which section, if any."""

    def __init__(self, code: str, section: int | None = None) -> None:
        super().__init__(code if section is None else f"{code} (section {section})")
        self.code = code
        self.section = section


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def _plain(tokens: Sequence[Token]) -> str:
    """The text of inline tokens with the markup dropped."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(_plain(token.children))
    return " ".join("".join(parts).split())


def heading_key(heading: str) -> str:
    """Normalised heading for matching across versions, without leading numbering."""
    text = " ".join(unicodedata.normalize("NFKC", heading).casefold().split())
    stripped = _NUMBERING.sub("", text, count=1).strip()
    return stripped or text  # a heading that is only "第三条" keeps its number


def _trim(lines: list[str]) -> str:
    """Lines joined, without blank lines at either end."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


def split_sections(markdown: str) -> list[DraftSection]:
    """Split a draft at its top-level headings of the highest rank it uses."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError("empty")
    if len(text) > MAX_DOCUMENT:
        raise DocumentError("too_long")
    tokens = _parser().parse(text)
    headings = [  # (first line, line after the heading, rank, plain text)
        (t.map[0], t.map[1], int(t.tag[1:]), _plain(tokens[i + 1].children or []))
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0 and t.map
    ]
    lines = text.split("\n")  # the parser counts "\n" only, unlike str.splitlines()
    if not headings:
        return [DraftSection(1, "", _trim(lines), "")]
    top = min(rank for _, _, rank, _ in headings)
    headings = [h for h in headings if h[2] == top]
    if len(headings) > MAX_SECTIONS:
        raise DocumentError("too_many_sections")
    sections = []
    preamble = _trim(lines[: headings[0][0]])
    if preamble:
        sections.append(DraftSection(0, "", preamble, ""))
    for number, (_, after, _, heading) in enumerate(headings, 1):
        if len(heading) > MAX_HEADING:
            raise DocumentError("heading_too_long", number)
        end = headings[number][0] if number < len(headings) else len(lines)
        body = _trim(lines[after:end])
        sections.append(DraftSection(number, heading, body, heading_key(heading)))
    return sections


def _lines(section: DraftSection) -> list[str]:
    return ([section.heading] if section.heading else []) + (
        section.body.split("\n") if section.body else []
    )


def _line_diff(old: list[str], new: list[str]) -> tuple[LineChange, ...]:
    changes: list[LineChange] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            changes += [LineChange("equal", line) for line in old[i1:i2]]
            continue
        changes += [LineChange("delete", line) for line in old[i1:i2]]
        changes += [LineChange("insert", line) for line in new[j1:j2]]
    return tuple(changes)


def _similar(a: str, b: str) -> bool:
    matcher = difflib.SequenceMatcher(None, a, b)
    return (
        matcher.real_quick_ratio() >= SIMILAR
        and matcher.quick_ratio() >= SIMILAR
        and matcher.ratio() >= SIMILAR
    )


def _compare(old: DraftSection, new: DraftSection) -> SectionChange:
    if old.heading == new.heading and old.body == new.body:
        return SectionChange("unchanged", old, new, ())
    return SectionChange("changed", old, new, _line_diff(_lines(old), _lines(new)))


def diff_versions(old: list[DraftSection], new: list[DraftSection]) -> list[SectionChange]:
    """What changed from ``old`` to ``new``, in the new order, removed sections in place."""
    pairs: dict[int, int] = {}  # new index -> old index
    taken: set[int] = set()
    for j, section in enumerate(new):
        for i, candidate in enumerate(old):
            if i not in taken and candidate.key == section.key:
                pairs[j] = i
                taken.add(i)
                break
    for j, section in enumerate(new):
        if j not in pairs and j < len(old) and j not in taken:
            if _similar(old[j].body, section.body):
                pairs[j] = j
                taken.add(j)
    after: dict[int | None, list[SectionChange]] = {}  # new index (None: start) -> removed
    anchor: int | None = None
    placed = {i: j for j, i in pairs.items()}
    for i, section in enumerate(old):
        if i in placed:
            anchor = placed[i]
        else:
            lines = tuple(LineChange("delete", line) for line in _lines(section))
            after.setdefault(anchor, []).append(SectionChange("removed", section, None, lines))
    result = list(after.get(None, []))
    for j, section in enumerate(new):
        if j in pairs:
            result.append(_compare(old[pairs[j]], section))
        else:
            lines = tuple(LineChange("insert", line) for line in _lines(section))
            result.append(SectionChange("added", None, section, lines))
        result += after.get(j, [])
    return result
