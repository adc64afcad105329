"""Ballots, pure: reading a ballot form, checking it against the poll's frozen settings,
its canonical JSON, and the voter's receipt.

The receipt is SHA-256 over the canonical ballot, a newline and a 256-bit random nonce
(hex). The nonce is shown to the voter once and never stored: with it they can find their
receipt on the bulletin board and recompute it from the ballot shown there; without it
nobody can find which receipt is whose by trying every possible short ballot."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deliberate.errors import Invalid
from deliberate.polls.methods.common import canonical_json
from deliberate.polls.models import MAX_SCORE, Method
from deliberate.web.i18n import lazy_gettext as _l

Choice = int | list[int] | dict[str, int]


class BallotInvalid(Invalid):
    """A ballot that cannot be counted; ``message`` says why in the voter's language
    (a domain error: shown as a 400 page if no form catches it)."""

    def __init__(self, message: Any, field: str = "ballot") -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class BallotRules:
    """What a ballot is checked against (from the frozen settings)."""

    method: str
    option_ids: tuple[int, ...]
    costs: Mapping[int, int]
    max_choices: int | None = None
    budget: int | None = None


def _option(value: Any, rules: BallotRules) -> int:
    try:
        option = int(value)
    except (TypeError, ValueError):
        raise BallotInvalid(_l("The ballot names an option that is not in this poll.")) from None
    if option not in rules.option_ids:
        raise BallotInvalid(_l("The ballot names an option that is not in this poll."))
    return option


def check(rules: BallotRules, choice: Any) -> Choice:
    """The choice in canonical form, or BallotInvalid saying what is wrong."""
    method = Method(rules.method)
    if method is Method.single:
        return _option(choice, rules)
    if method in (Method.approval, Method.budget):
        if not isinstance(choice, list | tuple):
            raise BallotInvalid(_l("The ballot cannot be read."))
        chosen = sorted({_option(value, rules) for value in choice})
        if len(chosen) != len(choice):
            raise BallotInvalid(_l("An option is chosen twice."))
        if not chosen:
            raise BallotInvalid(_l("Choose at least one option."))
        if method is Method.approval and rules.max_choices and len(chosen) > rules.max_choices:
            raise BallotInvalid(
                _l("Choose at most %(max)s options; you chose %(count)s.")
                % {"max": rules.max_choices, "count": len(chosen)}
            )
        if method is Method.budget:
            total = sum(rules.costs[option] for option in chosen)
            if rules.budget is not None and total > rules.budget:
                raise BallotInvalid(
                    _l("The projects you chose cost %(total)s, more than the budget of %(budget)s.")
                    % {"total": total, "budget": rules.budget}
                )
        return chosen
    if method is Method.ranked:
        if not isinstance(choice, list | tuple) or not choice:
            raise BallotInvalid(_l("Rank at least one option."))
        ranking = [_option(value, rules) for value in choice]
        if len(set(ranking)) != len(ranking):
            raise BallotInvalid(_l("An option is ranked twice."))
        return ranking
    if not isinstance(choice, Mapping):
        raise BallotInvalid(_l("The ballot cannot be read."))
    scores: dict[str, int] = {}
    for key, value in choice.items():
        option = _option(key, rules)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SCORE:
            raise BallotInvalid(_l("Give every option from 0 to 5 stars."))
        scores[str(option)] = value
    if set(scores) != {str(o) for o in rules.option_ids}:
        raise BallotInvalid(_l("Give every option from 0 to 5 stars."))
    return dict(sorted(scores.items(), key=lambda item: int(item[0])))


def from_form(rules: BallotRules, form: Mapping[str, str]) -> Choice:
    """Read the ballot form (plain HTML: radio buttons, checkboxes, a select per rank,
    star radios per option) and check it."""
    method = Method(rules.method)
    if method is Method.single:
        if not form.get("choice"):
            raise BallotInvalid(_l("Choose one option."))
        return check(rules, form.get("choice"))
    if method in (Method.approval, Method.budget):
        chosen = [key.removeprefix("option-") for key in form if key.startswith("option-")]
        chosen = [value for value in chosen if form.get(f"option-{value}") == "yes"]
        return check(rules, chosen)
    if method is Method.ranked:
        ranks = []
        for position in range(1, len(rules.option_ids) + 1):
            ranks.append(form.get(f"rank-{position}", "").strip())
        while ranks and not ranks[-1]:
            ranks.pop()
        if "" in ranks:
            raise BallotInvalid(_l("Fill the ranks in order, without gaps."))
        return check(rules, ranks)
    scores: dict[str, int] = {}
    for option in rules.option_ids:
        typed = form.get(f"score-{option}", "").strip()
        if not (typed.isascii() and typed.isdigit()):  # int() refuses "²", a digit
            raise BallotInvalid(_l("Give every option from 0 to 5 stars."))
        scores[str(option)] = int(typed)
    return check(rules, scores)


def to_form(method: str, choice: Choice) -> dict[str, str]:
    """The hidden fields that carry a checked ballot from the confirmation page to the
    cast button (checked again when cast: a tampered field is refused)."""
    if method == Method.single:
        return {"choice": str(choice)}
    if method in (Method.approval, Method.budget):
        return {f"option-{option}": "yes" for option in choice}  # type: ignore[union-attr]
    if method == Method.ranked:
        return {f"rank-{i}": str(option) for i, option in enumerate(choice, start=1)}  # type: ignore[arg-type]
    return {f"score-{option}": str(score) for option, score in choice.items()}  # type: ignore[union-attr]


def canonical(choice: Choice) -> str:
    return canonical_json(choice)


def new_nonce() -> str:
    return secrets.token_hex(32)


def receipt(choice: Choice, nonce: str) -> str:
    return hashlib.sha256(f"{canonical(choice)}\n{nonce}".encode()).hexdigest()


def board_sha256(rows: Sequence[tuple[str, str]]) -> str:
    """The bulletin board's fingerprint: SHA-256 over its lines "receipt content", sorted
    by receipt (so it does not depend on storage order)."""
    lines = "".join(f"{r} {c}\n" for r, c in sorted(rows))
    return hashlib.sha256(lines.encode()).hexdigest()
