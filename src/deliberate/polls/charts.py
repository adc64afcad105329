"""Bar charts as SVG, pure: no JavaScript, no inline ``style`` (the CSP forbids it; colours
and sizes are SVG presentation attributes), labels escaped. Each chart is drawn in a
``viewBox``, so it scales down to the width of a phone; the page shows the same numbers
in a table beside it, which is what screen readers read.

A chart is a list of :class:`Bar` (label, value, the text written after the bar). Bars are
horizontal, one per row, the label above its bar; the longest bar is the largest value
(or ``scale`` when given, e.g. the number of ballots for shares) and every other bar is
proportional to it. All-zero charts draw empty bars, never divide by zero."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 400  # viewBox units
BAR_AREA = 260  # the longest bar; the rest of the width is for the value text
LABEL_HEIGHT = 22
BAR_HEIGHT = 20
ROW_GAP = 10
FONT_SIZE = 16
LABEL_UNITS = 44  # what fits on a label line, in half-width characters
BAR_FILL = "#a3122a"  # the brand colour: 7.0:1 on white
TRACK_FILL = "#f3f5f8"
TEXT_FILL = "#1b1f24"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # written after the bar, e.g. "12 (40 %)"
    highlight: bool = False  # drawn with an outline (a winner), not only by colour


def _units(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def clip(label: str, units: int = LABEL_UNITS) -> str:
    """The label cut to ``units`` half-width characters (CJK counts two), with "…"."""
    used = 0
    for index, ch in enumerate(label):
        used += _units(ch)
        if used > units:
            return label[: max(index - 1, 0)] + "…"
    return label


def widths(values: Sequence[float], scale: float | None = None) -> list[float]:
    """Bar lengths in viewBox units: proportional to the values, the largest (or
    ``scale``) filling :data:`BAR_AREA`; zero when everything is zero."""
    top = scale if scale is not None else max(values, default=0)
    if not top or top <= 0:
        return [0.0 for _ in values]
    return [round(BAR_AREA * max(value, 0) / top, 2) for value in values]


def _number(value: float) -> str:
    return f"{value:g}"


def bar_chart(
    bars: Sequence[Bar], *, title: str, chart_id: str, scale: float | None = None
) -> Markup:
    """One SVG: a title (its accessible name) and a row per bar."""
    row = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
    height = max(row * len(bars), row)
    lengths = widths([bar.value for bar in bars], scale)
    title_id = f"{escape(chart_id)}-title"
    parts = [
        f'<svg class="bar-chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="{title_id}" font-size="{FONT_SIZE}" fill="{TEXT_FILL}">',
        f'<title id="{title_id}">{escape(title)}</title>',
    ]
    for index, (bar, length) in enumerate(zip(bars, lengths, strict=True)):
        top = index * row
        bar_y = top + LABEL_HEIGHT
        weight = ' font-weight="700"' if bar.highlight else ""
        parts.append(
            f'<text x="0" y="{top + FONT_SIZE + 1}"{weight}>{escape(clip(bar.label))}</text>'
        )
        track = f'width="{BAR_AREA}" height="{BAR_HEIGHT}" fill="{TRACK_FILL}"'
        parts.append(f'<rect x="0" y="{bar_y}" {track}/>')
        outline = f' stroke="{TEXT_FILL}" stroke-width="2"' if bar.highlight and length else ""
        parts.append(
            f'<rect x="0" y="{bar_y}" width="{_number(length)}" height="{BAR_HEIGHT}" '
            f'fill="{BAR_FILL}"{outline}/>'
        )
        parts.append(
            f'<text x="{BAR_AREA + 6}" y="{bar_y + BAR_HEIGHT - 4}">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — every piece of text above is escaped
