"""Validating an area tree import (pure): every problem is reported with its line, and
the rows come back parents first, ready to write in one transaction."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from deliberate.identity.csvfiles import CsvTable
from deliberate.identity.models import AreaKind

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
COLUMNS = ("code", "name", "kind", "parent_code")


@dataclass(frozen=True)
class AreaRow:
    line: int
    code: str
    name: str
    name_en: str | None
    kind: AreaKind
    parent_code: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


def validate(
    table: CsvTable, existing_parents: Mapping[str, str | None]
) -> tuple[list[AreaRow], list[RowError]]:
    """(rows in write order, errors). ``existing_parents``: code → parent code in the DB."""
    errors: list[RowError] = []
    rows: dict[str, AreaRow] = {}
    for line, values in table.rows:
        code, name = values.get("code", ""), values.get("name", "")
        parent = values.get("parent_code", "") or None
        problems = []
        if not CODE_RE.match(code):
            problems.append(f"code {code!r} must be 1-32 letters, digits, '.', '_' or '-'")
        if not name or len(name) > 100:
            problems.append("name must have 1 to 100 characters")
        name_en = values.get("name_en") or None
        if name_en and len(name_en) > 100:
            problems.append("name_en can have at most 100 characters")
        try:
            kind = AreaKind(values.get("kind", "").lower())
        except ValueError:
            kinds = ", ".join(k.value for k in AreaKind)
            problems.append(f"kind {values.get('kind', '')!r} is not one of {kinds}")
            kind = AreaKind.community
        if code in rows:
            problems.append(f"code {code!r} already appears on line {rows[code].line}")
        if problems:
            errors.extend(RowError(line, p) for p in problems)
            continue
        rows[code] = AreaRow(line, code, name, name_en, kind, parent)

    parents = {**existing_parents, **{code: row.parent_code for code, row in rows.items()}}
    for row in rows.values():
        if row.parent_code is not None and row.parent_code not in parents:
            errors.append(RowError(row.line, f"unknown parent {row.parent_code!r}"))
        elif _in_cycle(row.code, parents):
            errors.append(RowError(row.line, f"{row.code!r} would be its own ancestor"))
    errors.sort(key=lambda e: e.line)
    return _parents_first(rows, parents), errors


def _in_cycle(code: str, parents: Mapping[str, str | None]) -> bool:
    seen = {code}
    current = parents.get(code)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _depth(code: str, parents: Mapping[str, str | None]) -> int:
    depth, current, seen = 0, parents.get(code), {code}
    while current is not None and current not in seen:
        seen.add(current)
        depth += 1
        current = parents.get(current)
    return depth


def _parents_first(rows: dict[str, AreaRow], parents: Mapping[str, str | None]) -> list[AreaRow]:
    return sorted(rows.values(), key=lambda row: (_depth(row.code, parents), row.line))
