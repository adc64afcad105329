"""Normalising what people type as their login: an e-mail address or a mainland mobile
number. Pure functions; each returns the stored form or raises ``ValueError(code)``."""

from __future__ import annotations

import re
import unicodedata

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_RE = re.compile(rf"^[^@\s]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
MAX_EMAIL = 254
MAX_NAME = 60


def normalise_email(value: str) -> str:
    email = value.strip()
    if len(email) > MAX_EMAIL or not EMAIL_RE.match(email):
        raise ValueError("email")
    return email.lower()


def normalise_phone(value: str) -> str:
    """Mainland China mobile numbers, with or without +86/0086, spaces or dashes."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value.strip()))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not MOBILE_RE.match(digits):
        raise ValueError("phone")
    return "+86" + digits


def normalise_login(value: str) -> tuple[str, str]:
    """("email", address) or ("phone", number) for whatever was typed in the login box."""
    value = unicodedata.normalize("NFKC", value).strip()
    if "@" in value:
        return "email", normalise_email(value)
    return "phone", normalise_phone(value)


def normalise_display_name(value: str) -> str:
    name = " ".join(unicodedata.normalize("NFKC", value).split())
    if not name:
        raise ValueError("name_missing")
    if len(name) > MAX_NAME:
        raise ValueError("name_too_long")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValueError("name_invalid")
    return name


def mask(login: str) -> str:
    """What a page may show of a login to someone who just typed it: a***@example.org."""
    if "@" in login:
        local, _, domain = login.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{login[:-8]}****{login[-4:]}"
