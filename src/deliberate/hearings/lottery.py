"""The public, reproducible speaker lottery (pure, standard library only, no I/O).

Anyone holding the published applicant list, the revealed secret and the public value can
recompute the draw; ``docs/lottery.md`` describes the algorithm byte for byte and
``docs/rerun_lottery.py`` re-implements it independently.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ALGORITHM = "deliberate-lottery-v1"
STANCES = ("support", "oppose", "suggestion", "question")

_SECRET = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Applicant:
    ticket: int
    stance: str


@dataclass(frozen=True)
class Draw:
    order: tuple[int, ...]  # every ticket, in draw order
    selected: tuple[int, ...]  # tickets given a seat, in speaking order (draw order)
    reserve: tuple[int, ...]  # the rest, in draw order (the waiting list)


def new_secret() -> str:
    """A fresh secret: 32 random bytes as 64 lower-case hexadecimal characters."""
    return secrets.token_hex(32)


def _check_secret(secret: str) -> None:
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        raise ValueError("The secret must be 64 lower-case hexadecimal characters.")


def commitment(secret: str) -> str:
    """SHA-256 (hex) of the secret's 32 bytes, published before the draw."""
    _check_secret(secret)
    return hashlib.sha256(bytes.fromhex(secret)).hexdigest()


def normalise_public_value(value: str) -> str:
    """NFC, no leading or trailing white space, inner runs of white space as one space."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def applicants_digest(applicants: Iterable[Applicant]) -> str:
    """SHA-256 (hex) of the canonical JSON ``[[ticket, stance], ...]`` sorted by ticket."""
    pairs = sorted([a.ticket, a.stance] for a in applicants)
    text = json.dumps(pairs, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def seed(secret: str, public_value: str, digest: str) -> bytes:
    """The 32-byte seed of a draw: SHA-256 of algorithm, secret, public value and digest."""
    text = f"{ALGORITHM}\n{secret}\n{normalise_public_value(public_value)}\n{digest}"
    return hashlib.sha256(text.encode("utf-8")).digest()


def _key(draw_seed: bytes, ticket: int) -> bytes:
    return hashlib.sha256(draw_seed + str(ticket).encode("ascii")).digest()


def _check_applicants(applicants: tuple[Applicant, ...]) -> None:
    seen: set[int] = set()
    for applicant in applicants:
        ticket = applicant.ticket
        if isinstance(ticket, bool) or not isinstance(ticket, int) or ticket < 0:
            raise ValueError(f"Ticket {ticket!r} is not a whole number of 0 or more.")
        if applicant.stance not in STANCES:
            raise ValueError(f"Ticket {ticket} has an unknown stance: {applicant.stance!r}.")
        if ticket in seen:
            raise ValueError(f"Ticket {ticket} appears more than once.")
        seen.add(ticket)


def _check_seats(seats: int, quotas: Mapping[str, int]) -> None:
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise ValueError("There must be at least one seat.")
    for stance, quota in quotas.items():
        if stance not in STANCES:
            raise ValueError(f"There is a quota for an unknown stance: {stance!r}.")
        if isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
            raise ValueError(f"The quota for {stance!r} must be a whole number of 0 or more.")
    if sum(quotas.values()) > seats:
        raise ValueError("The quotas add up to more seats than there are.")


def draw(
    applicants: Iterable[Applicant],
    seats: int,
    quotas: Mapping[str, int],
    secret: str,
    public_value: str,
) -> Draw:
    """Draw the speakers; the same inputs always give the same ``Draw``."""
    applicants = tuple(applicants)
    _check_applicants(applicants)
    _check_seats(seats, quotas)
    _check_secret(secret)
    if not normalise_public_value(public_value):
        raise ValueError("The public value is empty.")

    draw_seed = seed(secret, public_value, applicants_digest(applicants))
    stance = {a.ticket: a.stance for a in applicants}
    order = sorted(stance, key=lambda ticket: (_key(draw_seed, ticket), ticket))

    chosen: set[int] = set()
    for quota_stance in sorted(quotas):
        of_stance = [ticket for ticket in order if stance[ticket] == quota_stance]
        chosen.update(of_stance[: quotas[quota_stance]])
    free_seats = seats - len(chosen)
    chosen.update([ticket for ticket in order if ticket not in chosen][:free_seats])

    return Draw(
        order=tuple(order),
        selected=tuple(ticket for ticket in order if ticket in chosen),
        reserve=tuple(ticket for ticket in order if ticket not in chosen),
    )
