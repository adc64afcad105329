"""Printable A4 posters for community notice boards: a consultation, a hearing or a call
for speakers, in Chinese, with a QR code that opens its page."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import dates
from litestar import Response

from deliberate.web.i18n import current_babel_locale, using_locale
from deliberate.web.qr import qr_svg

TEMPLATE = "consultations/poster_pdf.html"
ELLIPSIS = "…"
TITLE_LIMIT = 200  # characters; longer titles are cut with an ellipsis
SUMMARY_LIMIT = 300
FACT_LIMIT = 60  # characters of a fact's value
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Poster:
    """What a poster says; every string is ready to print (translated, formatted)."""

    heading: str  # the kind of notice, e.g. "征求意见", "听证会", "听证会发言报名"
    title: str
    organiser: str  # the committee's name
    area: str
    summary: str  # plain text; clamped to SUMMARY_LIMIT characters
    facts: tuple[tuple[str, str], ...]  # (label, value), e.g. ("意见征集时间", "…")
    steps: tuple[str, ...]  # how to take part
    url: str  # the page's absolute URL: printed in full and encoded in the QR code


def clamp(text: str, limit: int) -> str:
    """``text`` on one line (white space collapsed), cut to ``limit`` characters with an
    ellipsis when it is longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def title_size(title: str) -> str:
    """A CSS class that makes longer titles smaller, so that they fit the page."""
    if len(title) <= 24:
        return "short"
    if len(title) <= 64:
        return "medium"
    return "long"


def poster_html(poster: Poster, *, printed: date | None = None, compact: bool = False) -> str:
    """The poster as HTML, in Chinese; ``printed`` (default today) is shown in the footer,
    ``compact`` sets smaller type for content that does not fit otherwise."""
    from deliberate.web.templating import pdf_environment

    title = clamp(poster.title, TITLE_LIMIT)
    template = pdf_environment().get_template(TEMPLATE)
    with using_locale("zh_CN"):  # posters go on notice boards in Chinese
        return template.render(
            poster=poster,
            title=title,
            title_size=title_size(title),
            summary=clamp(poster.summary, SUMMARY_LIMIT),
            facts=[(label, clamp(value, FACT_LIMIT)) for label, value in poster.facts],
            qr=qr_svg(poster.url),
            compact=compact,
            printed=dates.format_date(
                printed or date.today(), format="long", locale=current_babel_locale()
            ),
        )


def render_poster(poster: Poster, *, printed: date | None = None) -> bytes:
    """One A4 page PDF with the CJK font embedded."""
    from weasyprint import HTML  # imported here: loading Pango is slow and not always needed

    # The layout fits the limits above; unusually many or long facts and steps get smaller
    # type, and what still does not fit is cut off the bottom (the QR code and address sit
    # beside the facts, above the cut).
    document = HTML(string=poster_html(poster, printed=printed)).render()
    if len(document.pages) > 1:
        document = HTML(string=poster_html(poster, printed=printed, compact=True)).render()
    if len(document.pages) > 1:
        log.warning("poster for %s cut to one page", poster.url)
        document = document.copy(document.pages[:1])
    return document.write_pdf()


async def poster_response(poster: Poster, filename: str, tz: ZoneInfo) -> Response[bytes]:
    """The poster as an inline PDF, rendered in a worker thread (layout takes a while),
    dated today in the deployment's time zone."""
    printed = datetime.now(tz).date()
    pdf = await asyncio.to_thread(render_poster, poster, printed=printed)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
