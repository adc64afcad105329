"""Every registered page, in both languages, in real Chromium: zero axe-core violations,
zero CSP violations, one h1, a title, the right `lang`; and the layout's promises:
keyboard, small screens, JavaScript off, htmx under the strict CSP."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import Server, new_context
from tests.pages import PAGES, PageSpec

pytestmark = pytest.mark.browser

LANGUAGES = ("zh-CN", "en")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def axe_violations(page: Page) -> list[dict]:
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def csp_violations(page: Page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.name)
def test_page_is_accessible_and_clean(
    browser: Browser, server: Server, signed_in_states, spec: PageSpec, lang: str
) -> None:
    options = {"extra_http_headers": {"Accept-Language": lang}}
    if spec.as_user:
        options["storage_state"] = str(signed_in_states[spec.as_user])
    context = new_context(browser, server, **options)
    console_csp: list[str] = []
    try:
        page = context.new_page()
        page.on(
            "console",
            lambda msg: (
                console_csp.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        # Signed-in people have their own language setting, which rightly beats
        # Accept-Language: they switch with ?lang= like anyone else.
        path = with_lang(spec.path, lang) if spec.as_user else spec.path
        response = page.goto(path)
        assert response is not None and response.status == spec.status, page.url
        assert page.url.endswith(path), "redirected: the page was not visited"
        page.wait_for_load_state("load")
        assert page.get_attribute("html", "lang") == lang
        assert page.locator("h1").count() == 1
        assert page.title().strip()
        assert page.locator("main").count() == 1
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
        assert csp_violations(page) == []
        assert console_csp == []
    finally:
        context.close()


def test_language_switch_works_without_javascript(browser: Browser, server: Server) -> None:
    context = browser.new_context(
        base_url=server.base_url, java_script_enabled=False, locale="zh-CN"
    )
    try:
        page = context.new_page()
        page.goto("/")
        assert page.get_attribute("html", "lang") == "zh-CN"
        page.get_by_role("link", name="English").click()
        assert page.get_attribute("html", "lang") == "en"
        assert page.locator("h1").inner_text() == "Have your say on the decisions of your community"
        page.goto("/")  # remembered
        assert page.get_attribute("html", "lang") == "en"
        page.get_by_role("link", name="中文").click()
        assert page.get_attribute("html", "lang") == "zh-CN"
    finally:
        context.close()


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(context: BrowserContext) -> None:
    page = context.new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


@pytest.mark.parametrize("width", [320, 640])
def test_no_horizontal_scrolling_on_small_screens_and_at_200_percent(
    browser: Browser, server: Server, signed_in_states, width: int
) -> None:
    # 640 CSS px is a 1280 px window at 200 % zoom; 320 px is WCAG's reflow width.
    # Every registered page, as the person who sees it.
    by_user: dict[str | None, list[PageSpec]] = {}
    for spec in PAGES:
        by_user.setdefault(spec.as_user, []).append(spec)
    for who, specs in by_user.items():
        options = {"storage_state": str(signed_in_states[who])} if who else {}
        context = new_context(browser, server, viewport={"width": width, "height": 800}, **options)
        try:
            page = context.new_page()
            for spec in specs:
                page.goto(spec.path)
                assert page.url.endswith(spec.path), f"{spec.name}: redirected"
                scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
                assert scroll_width <= width, f"{spec.name} scrolls sideways at {width}px"
        finally:
            context.close()


def test_touch_targets_are_at_least_24px(browser: Browser, server: Server) -> None:
    context = new_context(browser, server, viewport={"width": 360, "height": 800})
    try:
        page = context.new_page()
        page.goto("/")
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('header a, header button, nav a, button')]
                 .map(el => { const r = el.getBoundingClientRect();
                              return {text: el.textContent.trim(), w: r.width, h: r.height}; })"""
        )
        assert boxes
        small = [b for b in boxes if b["w"] < 24 or b["h"] < 24]
        assert small == []
    finally:
        context.close()


def test_htmx_runs_under_the_strict_csp_and_sends_the_csrf_header(
    context: BrowserContext,
) -> None:
    page = context.new_page()
    page.goto("/")
    page.wait_for_function("() => typeof htmx !== 'undefined'")
    config = page.evaluate(
        "() => ({indicator: htmx.config.includeIndicatorStyles, eval: htmx.config.allowEval,"
        " scripts: htmx.config.allowScriptTags, version: htmx.version})"
    )
    assert config == {"indicator": False, "eval": False, "scripts": False, "version": "2.0.11"}
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    assert token
    with page.expect_request("**/healthz") as request_info:
        page.evaluate("() => htmx.ajax('GET', '/healthz', {swap: 'none'})")
    request = request_info.value
    assert request.headers.get("hx-request") == "true"
    assert request.headers.get("x-csrftoken") == token
    page.wait_for_timeout(200)
    assert csp_violations(page) == []


def test_a_warning_before_the_session_ends_lets_the_person_stay(
    browser: Browser, server: Server, signed_in_states
) -> None:
    context = new_context(browser, server, storage_state=str(signed_in_states["resident"]))
    try:
        page = context.new_page()
        page.clock.install()
        page.goto("/accounts/sessions")
        warning = page.locator("#session-warning")
        assert warning.is_hidden()
        page.clock.fast_forward("27:00")  # residents: 30 minutes idle; warned 2 minutes before
        assert warning.is_hidden()
        page.clock.fast_forward("01:30")
        assert warning.is_visible()
        stay = warning.get_by_role("button")
        assert stay.evaluate("(el) => el === document.activeElement")  # focus moved to it
        assert axe_violations(page) == []
        with page.expect_navigation():
            stay.click()
        assert page.url.endswith("/accounts/sessions")
        assert page.locator("#session-warning").is_hidden()
        assert csp_violations(page) == []
    finally:
        context.close()
