"""Atom 1.0 feeds (RFC 4287), built with ElementTree so that any text is escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Everything XML 1.0 does not allow: control characters other than tab, newline and
# carriage return, lone surrogates, U+FFFE and U+FFFF.
ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    updated: datetime
    published: datetime
    summary: str
    author: str


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    link: str  # the HTML page the feed follows
    self_link: str  # the feed's own URL
    updated: datetime  # used when there are no entries
    entries: tuple[Entry, ...]
    lang: str = "zh-CN"


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry."""
    return ILLEGAL_XML.sub("", value)


def timestamp(value: datetime) -> str:
    """RFC 3339 in UTC, e.g. ``2026-11-28T08:00:00Z``; naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {name: xml_text(value) for name, value in attributes.items()}
    )
    if text is not None:
        element.text = xml_text(text)
    return element


def atom_feed(feed: Feed) -> bytes:
    """The feed as a UTF-8 Atom document; its ``updated`` is the newest entry's."""
    # Unqualified names under a default namespace declared on the root: ElementTree would
    # otherwise write an ``ns0:`` prefix on every element.
    root = ET.Element("feed", {"xmlns": ATOM, XML_LANG: xml_text(feed.lang)})
    _add(root, "id", feed.id)
    _add(root, "title", feed.title, type="text")
    updated = max((entry.updated for entry in feed.entries), default=feed.updated, key=timestamp)
    _add(root, "updated", timestamp(updated))
    _add(root, "link", rel="alternate", type="text/html", href=feed.link)
    _add(root, "link", rel="self", type="application/atom+xml", href=feed.self_link)
    for entry in feed.entries:
        item = _add(root, "entry")
        _add(item, "id", entry.id)
        _add(item, "title", entry.title, type="text")
        _add(item, "link", rel="alternate", type="text/html", href=entry.link)
        _add(item, "published", timestamp(entry.published))
        _add(item, "updated", timestamp(entry.updated))
        _add(_add(item, "author"), "name", entry.author)
        _add(item, "summary", entry.summary, type="text")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
