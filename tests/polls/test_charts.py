"""The result page's SVG bar charts (pure): labels escaped, bars proportional, nothing
divided by zero, no inline style (the CSP forbids it); and turnout suppression."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from deliberate.polls import charts, turnout
from deliberate.polls.charts import BAR_AREA, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def bar_widths(svg: ET.Element) -> list[float]:
    """The filled bars' widths (every second rect: track, then bar)."""
    rects = svg.findall(f"{SVG}rect")
    return [float(r.get("width")) for r in rects[1::2]]  # type: ignore[arg-type]


def test_labels_and_title_are_escaped() -> None:
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    markup = bar_chart([Bar(hostile, 3, "3 <b>")], title="T & <i>", chart_id='c"><x')
    assert "<script" not in markup and "<img" not in markup and "<b>" not in markup
    assert "&lt;script&gt;" in markup
    svg = parse(markup)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts[0] == charts.clip(hostile) and texts[1] == "3 <b>"
    assert svg.find(f"{SVG}title").text == "T & <i>"  # type: ignore[union-attr]


def test_bar_widths_are_proportional_to_the_values() -> None:
    svg = parse(
        bar_chart([Bar("a", 10, ""), Bar("b", 5, ""), Bar("c", 1, "")], title="t", chart_id="c")
    )
    assert bar_widths(svg) == [BAR_AREA, BAR_AREA / 2, BAR_AREA / 10]
    scaled = parse(bar_chart([Bar("a", 2, ""), Bar("b", 1, "")], title="t", chart_id="c", scale=4))
    assert bar_widths(scaled) == [BAR_AREA / 2, BAR_AREA / 4]


def test_zero_counts_and_no_bars_are_safe() -> None:
    svg = parse(bar_chart([Bar("a", 0, "0"), Bar("b", 0, "0")], title="t", chart_id="c"))
    assert bar_widths(svg) == [0, 0]
    assert parse(bar_chart([], title="t", chart_id="c")).get("viewBox")
    assert charts.widths([0, 0], scale=0) == [0.0, 0.0]
    assert charts.widths([], scale=None) == []


def test_no_inline_style_and_an_accessible_name() -> None:
    markup = bar_chart([Bar("幸福社区", 4, "4 (80 %)", highlight=True)], title="票数", chart_id="x")
    assert "style=" not in markup
    svg = parse(markup)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "x-title"
    assert svg.find(f"{SVG}title").get("id") == "x-title"  # type: ignore[union-attr]
    assert re.search(r'stroke="#[0-9a-f]{6}"', markup), "the winner is outlined, not only coloured"


def test_long_labels_are_clipped_by_display_width() -> None:
    assert charts.clip("a" * 10, 10) == "a" * 10
    assert charts.clip("a" * 11, 10) == "a" * 9 + "…"
    clipped = charts.clip("幸" * 30, 10)
    assert clipped.endswith("…") and len(clipped) <= 6


def test_small_turnout_groups_are_suppressed_and_cannot_be_worked_out() -> None:
    groups = turnout.suppress([(1, "甲", 12), (2, "乙", 11), (3, "丙", 3)])
    shown = {g.name: (g.count, g.small) for g in groups}
    assert shown == {"甲": (12, False), "乙": (None, False), "丙": (None, True)}
    two_small = turnout.suppress([(1, "甲", 20), (2, "乙", 4), (3, "丙", 3)])
    assert [g.count for g in two_small] == [20, None, None]
    assert [g.count for g in turnout.suppress([(1, "甲", 10), (2, "乙", 15)])] == [15, 10]
    assert turnout.suppress([]) == []
