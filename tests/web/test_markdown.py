"""quality.md, output: rich text is sanitised by a maintained sanitiser."""

from html.parser import HTMLParser

import pytest

from deliberate.web.markdown import render
from deliberate.web.templating import translated_environment


class Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](<javascript:alert(1)>)",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<p style="background:url(x)">x</p>',
        "![x](https://evil.example/track.png)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox(1))",
    ],
)
def test_dangerous_markup_never_becomes_an_element_or_attribute(source: str) -> None:
    for tag, attrs in elements(str(render(source))):
        assert tag not in {"script", "iframe", "img", "style", "object", "embed"}
        assert not any(name.startswith("on") or name == "style" for name in attrs)
        for name in ("href", "src"):
            if name in attrs:
                assert attrs[name].lower().startswith(("http://", "https://", "mailto:"))


def test_ordinary_markdown_survives() -> None:
    html = str(render("# 标题\n\n**重要**：见 [通知](https://example.org/a)。\n\n- 一\n- 二"))
    assert "<h2>标题</h2>" in html  # the page keeps the only h1
    assert "<strong>重要</strong>" in html
    assert '<a href="https://example.org/a" rel="noopener noreferrer nofollow">通知</a>' in html
    assert "<li>一</li>" in html


def test_template_syntax_is_just_text() -> None:
    env = translated_environment()
    page = env.from_string("{{ body | markdown }}").render(body="{{7*7}} and {% if x %}")
    assert "{{7*7}}" in page and "49" not in page


def test_escaped_where_markdown_is_not_used() -> None:
    env = translated_environment()
    assert env.from_string("{{ body }}").render(body="<script>x</script>") == (
        "&lt;script&gt;x&lt;/script&gt;"
    )
