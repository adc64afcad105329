"""Posters: one A4 page in Chinese with the CJK font embedded, whatever the input."""

import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import segno

from deliberate.consultations.posters import (
    SUMMARY_LIMIT,
    Poster,
    clamp,
    poster_html,
    render_poster,
)
from deliberate.identity import letters
from deliberate.web.qr import qr_svg

URL = "https://deliberate.example.org/consultations/42"
POSTER = Poster(
    heading="征求意见",
    title="幸福社区停车管理办法（征求意见稿）",
    organiser="幸福社区居民委员会",
    area="幸福社区",
    summary="为规范小区停车秩序，居委会起草了停车管理办法，现公开征求居民意见。",
    facts=(
        ("意见征集时间", "2026年12月1日 至 12月15日"),
        ("听证会地点", "幸福社区居委会三楼会议室"),
    ),
    steps=("用手机扫描二维码，或在浏览器中打开下方网址。", "登录后阅读草案，发表意见。"),
    url=URL,
)
LONG = replace(
    POSTER,
    heading="听证会发言报名",
    title="关于幸福社区停车管理办法的听证会" * 12 + "停车管理办法草案",  # 200 characters
    summary="为规范小区停车秩序，居委会起草了停车管理办法。" * 87,  # 2,001 characters
    facts=tuple((f"第{n}场听证会时间", "2026年12月1日 至 2026年12月15日 每天") for n in range(8)),
)
PRINTED = date(2026, 11, 28)


def poppler(tool: str, path: Path) -> str:
    args = [tool, str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf(poster: Poster, tmp_path: Path) -> tuple[str, str, str]:
    """The poster's text (without white space), fonts and page information."""
    path = tmp_path / "poster.pdf"
    path.write_bytes(render_poster(poster, printed=PRINTED))
    text, fonts, info = (poppler(tool, path) for tool in ("pdftotext", "pdffonts", "pdfinfo"))
    return "".join(text.split()), fonts, info


def one_a4_page(info: str) -> bool:
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    return (
        re.search(r"^Pages:\s+1$", info, re.MULTILINE) is not None
        and size is not None
        and abs(float(size[1]) - 595.3) < 1
        and abs(float(size[2]) - 841.9) < 1
    )


def test_a_chinese_a4_page_with_the_cjk_font_embedded(tmp_path: Path) -> None:
    text, fonts, info = pdf(POSTER, tmp_path)
    assert one_a4_page(info)
    assert "NotoSansCJK" in fonts.replace("-", "") and " yes " in fonts  # embedded
    for printed in (POSTER.title, "意见征集时间", "2026年12月1日至12月15日", "幸福社区居民委员会"):
        assert printed in text
    assert URL in text  # in full, though it may wrap
    assert "2026年11月28日" in text  # the printing date, in Chinese


def test_long_input_fits_one_page_and_the_summary_is_clamped(tmp_path: Path) -> None:
    from weasyprint import HTML

    html = poster_html(LONG, printed=PRINTED)
    assert len(HTML(string=html).render().pages) == 1  # fits without cutting anything
    text, _, info = pdf(LONG, tmp_path)
    assert one_a4_page(info)
    assert LONG.title in text and URL in text and "第7场听证会时间" in text
    assert LONG.summary[:50] in text and LONG.summary[:1000] not in text and "…" in text


def test_unusually_long_facts_and_steps_still_make_one_page(tmp_path: Path) -> None:
    crowded = replace(
        LONG,
        facts=tuple((f"事项{n}", "很长的说明" * 20) for n in range(14)),
        steps=tuple("这是一个较长的参与步骤说明，用来测试排版。" * 3 for _ in range(6)),
    )
    text, _, info = pdf(crowded, tmp_path)
    assert one_a4_page(info)
    assert URL in text


def test_user_text_is_escaped(tmp_path: Path) -> None:
    hostile = replace(POSTER, title="<b>x</b> & <script>alert(1)</script>", summary="<i>y</i>")
    html = poster_html(hostile)
    assert "<b>x</b>" not in html and "<script>" not in html and "<i>" not in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;" in html
    text, _, _ = pdf(hostile, tmp_path)
    assert "<b>x</b>&<script>alert(1)</script>" in text  # printed literally


def test_the_qr_code_is_exactly_the_url() -> None:
    html = poster_html(POSTER)
    expected = segno.make(URL, error="m").svg_inline(scale=4, border=4, omitsize=True)
    assert qr_svg(URL) == expected and expected in html
    assert qr_svg(URL + "/other") not in html
    assert letters.qr_svg is qr_svg  # still importable from its old home


@pytest.mark.parametrize(
    ("text", "clamped"),
    [
        ("短", "短"),
        ("  一行\n\n 两行  ", "一行 两行"),
        ("字" * SUMMARY_LIMIT, "字" * SUMMARY_LIMIT),
        ("字" * (SUMMARY_LIMIT + 1), "字" * (SUMMARY_LIMIT - 1) + "…"),
    ],
)
def test_clamp(text: str, clamped: str) -> None:
    assert clamp(text, SUMMARY_LIMIT) == clamped
