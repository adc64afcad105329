"""Atom feeds: valid, escaped, UTC timestamps, hostile text cannot break them."""

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from deliberate.consultations.feed import Entry, Feed, atom_feed

NS = {"atom": "http://www.w3.org/2005/Atom"}
ENTRY = Entry(
    id="https://deliberate.example.org/consultations/42",
    title="幸福社区停车管理办法",
    link="https://deliberate.example.org/consultations/42?from=feed&lang=zh-CN",
    updated=datetime(2026, 11, 28, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    published=datetime(2026, 11, 20, 8, 30, 15, 123456),  # naive: UTC
    summary="为规范小区停车秩序，现公开征求意见。",
    author="幸福社区居民委员会",
)
FEED = Feed(
    id="https://deliberate.example.org/consultations",
    title="幸福社区的征求意见",
    link="https://deliberate.example.org/consultations",
    self_link="https://deliberate.example.org/consultations/feed.atom",
    updated=datetime(2026, 1, 1, tzinfo=UTC),
    entries=(ENTRY,),
)


def parse(feed: Feed) -> ET.Element:
    data = atom_feed(feed)
    assert data.startswith(b"<?xml version=") and b"encoding='utf-8'" in data[:60]
    return ET.fromstring(data)


def test_required_elements_and_utc_timestamps() -> None:
    root = parse(FEED)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    assert root.findtext("atom:id", namespaces=NS) == FEED.id
    assert root.findtext("atom:title", namespaces=NS) == FEED.title
    assert root.findtext("atom:updated", namespaces=NS) == "2026-11-28T08:00:00Z"  # newest entry
    links = {link.get("rel"): link for link in root.findall("atom:link", NS)}
    assert links["alternate"].get("href") == FEED.link
    assert links["alternate"].get("type") == "text/html"
    assert links["self"].get("href") == FEED.self_link
    (entry,) = root.findall("atom:entry", NS)
    assert entry.findtext("atom:id", namespaces=NS) == ENTRY.id
    assert entry.findtext("atom:title", namespaces=NS) == ENTRY.title
    link = entry.find("atom:link", NS)
    assert link is not None and link.get("href") == ENTRY.link and link.get("rel") == "alternate"
    assert link.get("type") == "text/html"
    assert entry.findtext("atom:updated", namespaces=NS) == "2026-11-28T08:00:00Z"
    assert entry.findtext("atom:published", namespaces=NS) == "2026-11-20T08:30:15Z"
    summary = entry.find("atom:summary", NS)
    assert summary is not None and summary.get("type") == "text" and summary.text == ENTRY.summary
    assert entry.findtext("atom:author/atom:name", namespaces=NS) == ENTRY.author


def test_without_entries_the_feed_keeps_its_own_updated() -> None:
    root = parse(replace(FEED, entries=(), lang="en"))
    assert root.findtext("atom:updated", namespaces=NS) == "2026-01-01T00:00:00Z"
    assert root.findall("atom:entry", NS) == []
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_markup_round_trips_as_text_and_control_characters_are_stripped() -> None:
    hostile = replace(
        ENTRY,
        title="<script>alert('x')</script> & 停车\x00\x1b\ufffe",
        summary="第一行\n第二行\t\x07结束",
        author="居委会\x0c",
    )
    data = atom_feed(replace(FEED, entries=(hostile,)))
    assert b"<script>" not in data
    entry = ET.fromstring(data).find("atom:entry", NS)
    assert entry is not None
    assert entry.findtext("atom:title", namespaces=NS) == "<script>alert('x')</script> & 停车"
    assert entry.findtext("atom:summary", namespaces=NS) == "第一行\n第二行\t结束"
    assert entry.findtext("atom:author/atom:name", namespaces=NS) == "居委会"
