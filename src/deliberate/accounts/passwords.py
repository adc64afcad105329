"""Password policy and hashing (argon2id at argon2-cffi's defaults, RFC 9106 low-memory).

The policy follows ASVS 5.0: 8 to 128 characters of any script, no composition rules,
and a refusal of common passwords from an offline list (zxcvbn's 30,000 most common
passwords plus our own list of Chinese-pattern ones).
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
MAX_LENGTH = 128
HASHER = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4
SUPPLEMENT = Path(__file__).with_name("common_passwords_zh.txt")


class PasswordRejected(ValueError):
    """``code`` says why: too_short, too_long, common."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@cache
def common_passwords() -> frozenset[str]:
    extra = [
        line.strip().lower()
        for line in SUPPLEMENT.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return frozenset([*FREQUENCY_LISTS["passwords"], *extra])


def check_policy(password: str, *, context: tuple[str, ...] = ()) -> None:
    """Raise :class:`PasswordRejected`. Length counts characters, so CJK and emoji count
    as one each. ``context`` holds words the password must not simply be (the login)."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected("too_short")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected("too_long")
    folded = password.strip().lower()
    if folded in common_passwords() or folded in {c.lower() for c in context if c}:
        raise PasswordRejected("common")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash, so timing does not tell."""
    if stored_hash is None:
        await asyncio.to_thread(_burn, password)
        return False
    try:
        return await asyncio.to_thread(HASHER.verify, stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


@cache
def _dummy_hash() -> str:
    return HASHER.hash("not a real password, only for equal timing")


def _burn(password: str) -> None:
    try:
        HASHER.verify(_dummy_hash(), password)
    except VerificationError:
        pass
