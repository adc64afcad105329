"""Pabulib ``.pb`` files, the format participatory-budgeting researchers share elections in
(pabulib.org): import and export.

A file has three sections, in this order, each a line with the section's name, a header
row, then rows of ``;``-separated fields (quoted as in CSV where a field holds ``;``, a
quote or a line break; CRLF line endings are fine)::

    META                   key;value — budget, vote_type, num_projects, num_votes, rule, ...
    PROJECTS               project_id;cost;... — name, votes, score, selected, category, ...
    VOTES                  voter_id;vote;... — points, age, sex, voting_method, ...

``vote`` lists project ids separated by commas (best first for ``ordinal`` votes);
``points`` gives each of them its points (``cumulative`` and ``scoring`` votes);
``selected`` is 1 for a project funded in reality, 0 otherwise.

``parse`` keeps what the file says (every column, as text where we do not interpret it)
and refuses a malformed file with ``PabulibError(line, message)``. ``write`` writes an
``Instance`` back; ``approval_instance`` makes one from a budget poll for export.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

VOTE_TYPES = ("approval", "cumulative", "ordinal", "scoring")
SECTIONS = ("META", "PROJECTS", "VOTES")
_NUMBER = re.compile(r"[+-]?(\d+)(\.0*)?")


class PabulibError(ValueError):
    """A malformed ``.pb`` file: ``line`` is the 1-based line of the problem (0: the file
    as a whole)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


@dataclass
class Project:
    id: str
    cost: int
    name: str = ""
    selected: bool | None = None  # funded in reality; None when the file does not say
    extra: dict[str, str] = field(default_factory=dict)  # other columns: votes, score, ...


@dataclass
class Vote:
    voter_id: str
    projects: list[str]  # in the file's order (best first for ordinal votes)
    points: list[int] | None = None  # one per project, for cumulative and scoring votes
    extra: dict[str, str] = field(default_factory=dict)  # other columns: age, sex, ...


@dataclass
class Instance:
    meta: dict[str, str]
    projects: list[Project]
    votes: list[Vote]

    @property
    def budget(self) -> int:
        return _whole(self.meta["budget"])  # checked by parse

    @property
    def vote_type(self) -> str:
        return self.meta.get("vote_type", "approval")


def _whole(text: str) -> int:
    """A whole number, also written ``400000.0`` as some files do; ValueError otherwise."""
    match = _NUMBER.fullmatch(text.strip())
    if not match:
        raise ValueError(text)
    return int(text.strip().split(".")[0])


# ---- parse ------------------------------------------------------------------------------


def parse(text: str) -> Instance:
    """Read a ``.pb`` file's text; ``PabulibError`` if it is malformed. Each section is
    checked when it ends, so the error reported is the first in the file."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)
    parsed = _Parsed()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise PabulibError(reader.line_num, f"badly quoted field ({error})") from None
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        name = row[0].strip()
        if name in SECTIONS and not any(cell.strip() for cell in row[1:]):
            parsed.finish()
            seen = [s for s in SECTIONS if parsed.has(s)]
            if name in seen:
                raise PabulibError(line, f"a second {name} section")
            expected = SECTIONS[len(seen)] if len(seen) < len(SECTIONS) else None
            if name != expected:
                raise PabulibError(line, f"a {name} section where {expected} was expected")
            parsed.section, parsed.start, parsed.header, parsed.rows = name, line, None, []
            continue
        if parsed.section is None:
            raise PabulibError(line, "data before the META section")
        if parsed.header is None:
            parsed.header = [cell.strip().lower() for cell in row]
            parsed.start = line
            if len(set(parsed.header)) != len(parsed.header):
                raise PabulibError(line, f"a column appears twice in the {name} header")
            continue
        width = len(parsed.header)
        if len(row) > width and not any(cell.strip() for cell in row[width:]):
            row = row[:width]  # trailing empty fields
        if len(row) != width:
            raise PabulibError(
                line, f"{len(row)} fields where the {parsed.section} header has {width}"
            )
        parsed.rows.append((line, row))
    parsed.finish()
    if parsed.meta is None:
        raise PabulibError(0, "no META section")
    if parsed.projects is None:
        raise PabulibError(0, "no PROJECTS section")
    if parsed.votes is None:
        raise PabulibError(0, "no VOTES section")
    return Instance(parsed.meta, parsed.projects, parsed.votes)


@dataclass
class _Parsed:
    """The sections read so far, and the one being read."""

    section: str | None = None
    start: int = 0  # its first line (then its header's)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    meta: dict[str, str] | None = None
    meta_lines: dict[str, int] = field(default_factory=dict)
    projects: list[Project] | None = None
    votes: list[Vote] | None = None

    def has(self, section: str) -> bool:
        return {"META": self.meta, "PROJECTS": self.projects, "VOTES": self.votes}[
            section
        ] is not None

    def finish(self) -> None:
        """Check the section just read."""
        if self.section is None:
            return
        if self.header is None:
            raise PabulibError(self.start, f"the {self.section} section has no header row")
        if self.section == "META":
            self.meta, self.meta_lines = _meta(self.start, self.header, self.rows)
        elif self.section == "PROJECTS":
            self.projects = _projects(self.start, self.header, self.rows)
            self._count("num_projects", len(self.projects), "projects")
        else:
            assert self.meta is not None and self.projects is not None
            ids = {p.id for p in self.projects}
            vote_type = self.meta["vote_type"]
            self.votes = _votes(self.start, self.header, self.rows, ids, vote_type)
            self._count("num_votes", len(self.votes), "votes")
        self.section = None

    def _count(self, key: str, count: int, what: str) -> None:
        assert self.meta is not None
        if key not in self.meta:
            return
        try:
            declared = _whole(self.meta[key])
        except ValueError:
            raise PabulibError(self.meta_lines[key], f"{key} is not a number") from None
        if declared != count:
            raise PabulibError(
                self.meta_lines[key], f"{key} is {declared} but the file has {count} {what}"
            )


def _meta(
    start: int, header: list[str], rows: list[tuple[int, list[str]]]
) -> tuple[dict[str, str], dict[str, int]]:
    if header != ["key", "value"]:
        raise PabulibError(start, "the META header must be key;value")
    meta: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, (key, value) in rows:
        key = key.strip()
        if not key:
            raise PabulibError(line, "a META entry without a key")
        if key in meta:
            raise PabulibError(line, f"META has {key} twice")
        meta[key], lines[key] = value.strip(), line
    if "budget" not in meta:
        raise PabulibError(start, "META has no budget")
    try:
        if _whole(meta["budget"]) < 0:
            raise ValueError
    except ValueError:
        raise PabulibError(lines["budget"], "the budget must be a whole number") from None
    if "vote_type" not in meta:
        raise PabulibError(start, "META has no vote_type")
    if meta["vote_type"] not in VOTE_TYPES:
        raise PabulibError(lines["vote_type"], f"unknown vote_type {meta['vote_type']!r}")
    return meta, lines


def _projects(start: int, header: list[str], rows: list[tuple[int, list[str]]]) -> list[Project]:
    for column in ("project_id", "cost"):
        if column not in header:
            raise PabulibError(start, f"the PROJECTS header has no {column} column")
    projects: list[Project] = []
    seen: set[str] = set()
    for line, row in rows:
        fields = dict(zip(header, (cell.strip() for cell in row), strict=True))
        project_id = fields.pop("project_id")
        if not project_id:
            raise PabulibError(line, "a project without an id")
        if project_id in seen:
            raise PabulibError(line, f"project {project_id} appears twice")
        seen.add(project_id)
        raw_cost = fields.pop("cost")
        try:
            cost = _whole(raw_cost)
        except ValueError:
            raise PabulibError(
                line, f"the cost of project {project_id} is not a whole number: {raw_cost!r}"
            ) from None
        if cost < 0:
            raise PabulibError(line, f"project {project_id} has a negative cost")
        selected: bool | None = None
        if "selected" in fields:
            flag = fields.pop("selected")
            if flag not in ("", "0", "1"):
                raise PabulibError(line, f"selected must be 1, 0 or empty, not {flag!r}")
            selected = None if flag == "" else flag == "1"
        name = fields.pop("name", "")
        projects.append(Project(project_id, cost, name, selected, fields))
    return projects


def _votes(
    start: int,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    project_ids: set[str],
    vote_type: str,
) -> list[Vote]:
    for column in ("voter_id", "vote"):
        if column not in header:
            raise PabulibError(start, f"the VOTES header has no {column} column")
    votes: list[Vote] = []
    seen: set[str] = set()
    for line, row in rows:
        fields = dict(zip(header, (cell.strip() for cell in row), strict=True))
        voter_id = fields.pop("voter_id")
        if not voter_id:
            raise PabulibError(line, "a vote without a voter_id")
        if voter_id in seen:
            raise PabulibError(line, f"voter {voter_id} appears twice")
        seen.add(voter_id)
        chosen = _split(fields.pop("vote"))
        for project_id in chosen:
            if project_id not in project_ids:
                raise PabulibError(line, f"voter {voter_id} votes for unknown project {project_id}")
        if len(set(chosen)) != len(chosen):
            raise PabulibError(line, f"voter {voter_id} names a project twice")
        points: list[int] | None = None
        if "points" in fields:
            raw = _split(fields.pop("points"))
            try:
                points = [int(p) for p in raw]
            except ValueError:
                raise PabulibError(
                    line, f"the points of voter {voter_id} are not whole numbers"
                ) from None
            if len(points) != len(chosen):
                raise PabulibError(
                    line, f"voter {voter_id} has {len(points)} points for {len(chosen)} projects"
                )
        elif vote_type in ("cumulative", "scoring"):
            raise PabulibError(start, f"{vote_type} votes need a points column")
        votes.append(Vote(voter_id, chosen, points, fields))
    return votes


def _split(text: str) -> list[str]:
    text = text.strip()
    return [part.strip() for part in text.split(",")] if text else []


# ---- readings ---------------------------------------------------------------------------


def approval_ballots(
    instance: Instance, reading: Literal["points", "supporters"] = "points"
) -> list[list[str]]:
    """Approval ballots to count as the city did, e.g. for the greedy rule.

    Approval votes: one ballot per voter, as cast. Other vote types have two readings:

    - ``"supporters"``: one ballot per voter with every project they gave points to or
      ranked; a project's vote count is then its number of supporters (pabulib's
      ``votes`` column);
    - ``"points"`` (the default): a voter with points counts as that many approvals, as
      a stack of ballots: the k-th holds the projects given at least k points; so a
      project's vote count is the sum of its points (pabulib's ``score`` column). Ranked
      (ordinal) votes give ``max_length`` points (from META; else the longest ranking) to
      the first, one less to the second, and so on.

    The points reading is the one that reproduces the official outcomes: Częstochowa
    2024 (Stradom), a cumulative vote, funded by greedy on points, not on supporters
    (tests/polls/test_against_pabutools.py).
    """
    if reading not in ("points", "supporters"):
        raise ValueError(f"unknown reading {reading!r}")
    if instance.vote_type == "approval":
        return [list(vote.projects) for vote in instance.votes]
    if instance.vote_type == "ordinal":
        longest = max((len(vote.projects) for vote in instance.votes), default=0)
        length = _whole(instance.meta["max_length"]) if "max_length" in instance.meta else longest
        length = max(length, longest)
        weighted = [
            (vote.projects, [length - position for position in range(len(vote.projects))])
            for vote in instance.votes
        ]
    else:
        weighted = [(vote.projects, vote.points or []) for vote in instance.votes]
    ballots: list[list[str]] = []
    for projects, points in weighted:
        if reading == "supporters":
            ballots.append([p for p, n in zip(projects, points, strict=True) if n > 0])
            continue
        if any(n < 0 for n in points):
            raise ValueError("negative points cannot be read as approvals")
        for level in range(1, max(points, default=0) + 1):
            ballots.append([p for p, n in zip(projects, points, strict=True) if n >= level])
    return ballots


# ---- write ------------------------------------------------------------------------------


def approval_instance(
    *,
    budget: int,
    projects: Iterable[tuple[str, int, str]],
    ballots: Iterable[Sequence[str]],
    meta: Mapping[str, str] | None = None,
    selected: Iterable[str] | None = None,
) -> Instance:
    """An approval election, e.g. a closed budget poll, ready for ``write``: projects as
    (id, cost, name), ballots as lists of project ids (voters are numbered 1, 2, ...),
    ``selected`` the funded projects, if known."""
    listed = [(str(i), int(cost), name) for i, cost, name in projects]
    cast = [[str(i) for i in ballot] for ballot in ballots]
    count = {i: 0 for i, _, _ in listed}
    for ballot in cast:
        for i in ballot:
            count[i] += 1
    funded = None if selected is None else {str(i) for i in selected}
    header = {"description": "", **(meta or {})}
    header.update(
        num_projects=str(len(listed)),
        num_votes=str(len(cast)),
        budget=str(budget),
        vote_type="approval",
    )
    return Instance(
        meta=header,
        projects=[
            Project(
                i, cost, name, None if funded is None else i in funded, {"votes": str(count[i])}
            )
            for i, cost, name in listed
        ],
        votes=[Vote(str(n), ballot) for n, ballot in enumerate(cast, start=1)],
    )


def write(instance: Instance) -> str:
    """The ``.pb`` text of an instance (``\\n`` line endings); ``parse`` reads it back."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\n")
    meta = dict(instance.meta)
    meta["num_projects"] = str(len(instance.projects))
    meta["num_votes"] = str(len(instance.votes))
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(meta.items())

    extra = _columns(p.extra for p in instance.projects)
    with_selected = any(p.selected is not None for p in instance.projects)
    writer.writerow(["PROJECTS"])
    writer.writerow(
        ["project_id", "cost", "name", *extra, *(["selected"] if with_selected else [])]
    )
    for p in instance.projects:
        row = [p.id, str(p.cost), p.name, *(p.extra.get(column, "") for column in extra)]
        if with_selected:
            row.append("" if p.selected is None else str(int(p.selected)))
        writer.writerow(row)

    extra = _columns(v.extra for v in instance.votes)
    with_points = any(v.points is not None for v in instance.votes)
    writer.writerow(["VOTES"])
    writer.writerow(["voter_id", "vote", *(["points"] if with_points else []), *extra])
    for v in instance.votes:
        row = [v.voter_id, ",".join(v.projects)]
        if with_points:
            row.append(",".join(str(n) for n in v.points or []))
        writer.writerow([*row, *(v.extra.get(column, "") for column in extra)])
    return out.getvalue()


def _columns(extras: Iterable[Mapping[str, str]]) -> list[str]:
    columns: dict[str, None] = {}
    for extra in extras:
        columns.update(dict.fromkeys(extra))
    return list(columns)
