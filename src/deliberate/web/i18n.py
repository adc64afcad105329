"""Languages: negotiation, gettext bound to the current request, Babel formatting.

Strings are written in English in the source and translated through the catalogues in
``deliberate/locale``; the default language is Simplified Chinese. The locale of the
request being served lives in a context variable, so templates, services and error
handlers all translate the same way without passing it around.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import LazyProxy, Translations

from deliberate.resources import PACKAGE_DIR

LOCALE_DIR = PACKAGE_DIR / "locale"
DEFAULT_LOCALE = "zh_CN"
# Babel locale → the tag used in HTML `lang`, `?lang=` and the cookie.
LOCALES: dict[str, str] = {"zh_CN": "zh-CN", "en": "en"}
LANGUAGE_NAMES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
LANG_COOKIE = "__Host-lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
MAX_LANG_PARAM = 35  # BCP 47 tags are short; anything longer is not a language

_current_locale: ContextVar[str] = ContextVar("deliberate_locale", default=DEFAULT_LOCALE)


def normalise_tag(value: str | None) -> str | None:
    """Map a language tag (``zh-cn``, ``zh_Hans``, ``en-GB``…) to a supported locale."""
    if not value or len(value) > MAX_LANG_PARAM:
        return None
    parts = value.strip().replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        # Simplified Chinese is the only Chinese we have; Traditional-only tags don't match.
        if any(part in ("hant", "tw", "hk", "mo") for part in parts[1:]):
            return None
        return "zh_CN"
    if parts[0] == "en":
        return "en"
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first (q=0 dropped)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header[:1000].split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


@dataclass(frozen=True)
class LocaleChoice:
    locale: str
    remember: bool  # the `?lang=` parameter chose it: store it in the cookie
    rejected: str | None = None  # a `?lang=` value we do not offer


def choose_locale(
    query_lang: str | None, remembered: str | None, accept_language: str | None
) -> LocaleChoice:
    """``?lang=``, then the remembered choice, then Accept-Language, then zh-CN."""
    rejected = None
    if query_lang is not None:
        locale = normalise_tag(query_lang)
        if locale is not None:
            return LocaleChoice(locale, remember=True)
        rejected = query_lang[:MAX_LANG_PARAM]
    locale = normalise_tag(remembered)
    if locale is None:
        locale = next(
            (
                found
                for found in map(normalise_tag, parse_accept_language(accept_language))
                if found
            ),
            DEFAULT_LOCALE,
        )
    return LocaleChoice(locale, remember=False, rejected=rejected)


@cache
def translations(locale: str) -> Translations:
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def current_locale() -> str:
    return _current_locale.get()


@cache
def babel_locale(locale: str) -> Locale:
    """Babel's locale object, made once: given a name instead, each formatting call
    parses it into a new object that loads the locale's data again."""
    return Locale.parse(locale)


def current_babel_locale() -> Locale:
    return babel_locale(current_locale())


def html_lang(locale: str | None = None) -> str:
    return LOCALES[locale or current_locale()]


def set_locale(locale: str) -> None:
    _current_locale.set(locale)


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    token = _current_locale.set(locale)
    try:
        yield
    finally:
        _current_locale.reset(token)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


def pgettext(context: str, message: str) -> str:
    return translations(current_locale()).upgettext(context, message)


def lazy_gettext(message: str) -> LazyProxy:
    """For strings defined at import time: translated when they are shown."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def format_datetime(value: datetime, tz: ZoneInfo, format: str = "medium") -> str:
    return dates.format_datetime(value, format=format, tzinfo=tz, locale=current_babel_locale())


def format_date(value: date | datetime, tz: ZoneInfo, format: str = "long") -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)  # stored UTC (SQLite)
        value = moment.astimezone(tz).date()
    return dates.format_date(value, format=format, locale=current_babel_locale())


def format_number(value: float | int) -> str:
    return numbers.format_decimal(value, locale=current_babel_locale())
