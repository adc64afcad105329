"""Just enough HTML reading for page assertions (the stdlib parser, no regexes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    lang: str | None = None
    title: str = ""
    h1: list[str] = field(default_factory=list)
    mains: int = 0
    forms: list[dict[str, str]] = field(default_factory=list)
    form_fields: list[set[str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._stack: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.page.lang = attributes.get("lang")
        elif tag == "main":
            self.page.mains += 1
        elif tag == "form":
            self.page.forms.append(attributes)
            self.page.form_fields.append(set())
        elif tag in ("input", "select", "textarea", "button") and self.page.form_fields:
            if "name" in attributes:
                self.page.form_fields[-1].add(attributes["name"])
        elif tag == "a" and "href" in attributes:
            self.page.links.append(attributes["href"])
        if tag in ("title", "h1"):
            self._stack.append(tag)
            if tag == "h1":
                self.page.h1.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if not self._stack:
            return
        if self._stack[-1] == "title":
            self.page.title += data
        elif self._stack[-1] == "h1":
            self.page.h1[-1] += data


def read_page(markup: str) -> Page:
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    reader.page.title = reader.page.title.strip()
    reader.page.h1 = [h.strip() for h in reader.page.h1]
    reader.page.text = " ".join(" ".join(reader._text).split())
    return reader.page
