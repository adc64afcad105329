"""Resident identity numbers (GB 11643-1999): checked, normalised, and turned into a keyed
tag. The number itself is never stored, logged or shown; only the tag, its key version,
and the birth year leave this module."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900


class InvalidIdNumber(ValueError):
    """``code``: length, characters, region, birth_date or check_digit. The message never
    contains the number."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IdNumber:
    normalised: str
    birth_year: int

    def __repr__(self) -> str:  # never print the number by accident
        return f"IdNumber(birth_year={self.birth_year})"

    __str__ = __repr__


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse(value: str, *, today: date | None = None) -> IdNumber:
    """Normalise (full-width digits, spaces, a lower-case x) and check an 18-character
    number: digits, a region code, a real birth date not in the future, the check digit."""
    text = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    if len(text) != 18:
        raise InvalidIdNumber("length")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise InvalidIdNumber("characters")
    if text[0] == "0":
        raise InvalidIdNumber("region")
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth_date") from None
    if born.year < EARLIEST_BIRTH_YEAR or born > (today or date.today()):
        raise InvalidIdNumber("birth_date")
    if check_digit(text[:17]) != text[17]:
        raise InvalidIdNumber("check_digit")
    return IdNumber(normalised=text, birth_year=born.year)


def tag(key: bytes, number: IdNumber) -> str:
    """HMAC-SHA256 of the normalised number under the census key (kept outside the DB)."""
    return hmac.new(key, number.normalised.encode(), hashlib.sha256).hexdigest()
