"""Reading typed values out of form fields (pure: no request, no database)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def one_line(value: str | None) -> str:
    """NFC, whitespace runs collapsed, control characters removed."""
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \t")
    return " ".join(text.split())


def multi_line(value: str | None) -> str:
    """NFC, Windows and old Mac line ends made ``\\n``, other controls removed, trimmed."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    return text.strip()


def local_datetime(value: str | None, tz: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` field (``2026-12-01T09:30``) in the deployment's time zone,
    as an aware UTC datetime; None when empty or not a date and time."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def local_input(moment: datetime | None, tz: ZoneInfo) -> str:
    """The value for a ``datetime-local`` field showing ``moment`` in local time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def whole_number(value: str | None, *, low: int, high: int) -> int | None:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None
