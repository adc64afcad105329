"""Eligibility rules: who may comment, apply to speak or vote. Declarative rules and one
pure function, :func:`check`, which decides and says why (a reason code and its
parameters, turned into words in the person's language by the page)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class EligibilityRule:
    """All given conditions must hold. An empty rule admits every confirmed account."""

    area_ids: tuple[int, ...] = ()  # empty: any area
    include_descendants: bool = True
    verified: bool = False  # a current residence verification in one of the areas
    min_age: int | None = None  # on the date checked, from the verified birth year
    account_ids: tuple[int, ...] = ()  # non-empty: only these accounts

    def needs_verification(self) -> bool:
        return self.verified or bool(self.area_ids) or self.min_age is not None

    def canonical(self) -> str:
        """Canonical JSON: what a hearing or poll freezes (and hashes) when it opens."""
        return json.dumps(
            {
                "account_ids": sorted(self.account_ids),
                "area_ids": sorted(self.area_ids),
                "include_descendants": self.include_descendants,
                "min_age": self.min_age,
                "verified": self.verified,
                "version": 1,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    @classmethod
    def from_canonical(cls, text: str) -> EligibilityRule:
        data = json.loads(text)
        if data.get("version") != 1:
            raise ValueError("unknown eligibility rule version")
        return cls(
            area_ids=tuple(data["area_ids"]),
            include_descendants=data["include_descendants"],
            verified=data["verified"],
            min_age=data["min_age"],
            account_ids=tuple(data["account_ids"]),
        )


@dataclass(frozen=True)
class Verification:
    area_id: int
    birth_year: int | None
    valid_from: date
    valid_until: date | None
    revoked: bool = False

    def current(self, on: date) -> bool:
        return (
            not self.revoked
            and self.valid_from <= on
            and (self.valid_until is None or on <= self.valid_until)
        )


@dataclass(frozen=True)
class Person:
    account_id: int
    confirmed: bool
    verifications: tuple[Verification, ...] = ()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "ok", "not_confirmed", "not_listed", "not_verified", "wrong_area", "too_young"
    params: Mapping[str, object] = field(default_factory=dict)


def within(
    area_id: int, targets: tuple[int, ...], parents: Mapping[int, int | None], *, descendants: bool
) -> bool:
    """Is ``area_id`` one of ``targets`` (or below one, with ``descendants``)?"""
    seen: set[int] = set()
    current: int | None = area_id
    while current is not None and current not in seen:
        if current in targets:
            return True
        if not descendants:
            return False
        seen.add(current)
        current = parents.get(current)
    return False


def descendants(roots: Iterable[int], parents: Mapping[int, int | None]) -> set[int]:
    """The given areas and every area below them (cycles are harmless)."""
    children: dict[int | None, list[int]] = {}
    for area, parent in parents.items():
        children.setdefault(parent, []).append(area)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def oldest_birth_year(min_age: int, on: date) -> int:
    """With only the birth year known, the rule is conservative: someone born in year Y
    is counted as ``on.year - Y - 1`` years old (their birthday may not have come yet),
    so nobody under age is ever admitted. The latest birth year admitted is returned."""
    return on.year - min_age - 1


def check(
    person: Person, rule: EligibilityRule, on: date, parents: Mapping[int, int | None]
) -> Decision:
    if not person.confirmed:
        return Decision(False, "not_confirmed")
    if rule.account_ids and person.account_id not in rule.account_ids:
        return Decision(False, "not_listed")
    if not rule.needs_verification():
        return Decision(True, "ok")
    current = [v for v in person.verifications if v.current(on)]
    if not current:
        return Decision(False, "not_verified")
    if rule.area_ids:
        current = [
            v
            for v in current
            if within(v.area_id, rule.area_ids, parents, descendants=rule.include_descendants)
        ]
        if not current:
            return Decision(False, "wrong_area")
    if rule.min_age is not None:
        latest = oldest_birth_year(rule.min_age, on)
        if not any(v.birth_year is not None and v.birth_year <= latest for v in current):
            return Decision(False, "too_young", {"min_age": rule.min_age, "born_by": latest})
    return Decision(True, "ok")
