"""Rich text: Markdown rendered by markdown-it-py (CommonMark, raw HTML off), then cleaned
by nh3 (the Ammonia sanitiser) to a small allow-list. Used for consultation summaries,
comments and expert analyses. The result is safe to insert with ``|safe``."""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "a",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _parser() -> MarkdownIt:
    # "js-default": CommonMark with raw HTML disabled and links validated; tables on.
    return MarkdownIt("js-default").enable("table")


def render(text: str) -> Markup:
    """Markdown to sanitised HTML. Headings start at h2 (the page has the only h1)."""
    html = _parser().render(text)
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704  (cleaned by nh3 just above)
