"""A hearing from the residents' and the committee's side, in real Chromium against the
real server with the demo data: a verified resident reads the draft of demo hearing 1
(numbered sections, stance counts beside them) and comments on a section with a stance; a
neighbour replies and endorses; the chair hides the reply with a public reason and
answers the comment; then, in a new hearing the chair opens through the pages, the
resident applies to speak, the list is published, the lottery drawn, and the resident sees
they were drawn. With JavaScript (htmx posts in place and announces it) and without
(plain forms and redirects).

Every page on the way has its language, one h1, no sideways scrolling at the viewport
used, zero axe-core violations and zero CSP violations. Without JavaScript axe cannot run
in the page (timers never fire), so the exact HTML the server sent is replayed, with its
headers, in a JavaScript-enabled page of the same origin and checked there.

No registration through the pages (the server allows 10 per address and hour for all the
browser tests): the residents are made directly in the server's database, verified in
幸福社区, and sign in through the real login page. The flow leaves the demo's own
comments alone and hides only a comment it wrote itself."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Route,
    expect,
)
from playwright.sync_api import Response as PageResponse
from sqlmodel import select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.hearings import lottery
from deliberate.hearings.models import SpeakerCall
from deliberate.identity.census import VALIDITY
from deliberate.identity.models import Area, Verification, VerificationMethod
from deliberate.web import i18n
from tests.browser.conftest import Server, new_context
from tests.browser.test_account_flow import path_of
from tests.browser.test_pages import AXE_TAGS, axe_violations, csp_violations
from tests.support.accounts import Person, make_person

pytestmark = pytest.mark.browser

T = TypeVar("T")
HOME = "demo-01-01-001"  # 幸福社区: hearing 1's rule admits its verified residents
HEARING = 1
CONSULTATION = 1
SECTION = 3  # the section commented on (0 is the preamble)
STANCE = "suggestion"
VERDICT = "partly"
PUBLIC_VALUE = "05 11 17 22 28 33 + 04"
BABEL = {"zh-CN": "zh_CN", "en": "en"}
NEW_HEARING = "《幸福社区加装电梯费用分摊细则》征求意见稿"
NEW_DRAFT = (
    "# 一、适用范围\n\n本细则适用于首批加装电梯的 14 个单元。\n\n"
    "# 二、分摊办法\n\n二层及以上住户按楼层系数分摊，可分期缴纳。\n"
)

TEXTS = {
    "zh-CN": {
        "comment": "建议电梯分摊款允许按月分期缴纳，减轻高楼层老人的负担。",
        "reply": "同意，分期缴纳对退休老人很有帮助。",
        "reason": "与本部分无关的广告",
        "answer": "分期缴纳已写入第二版；月数由各单元自行商定。",
        "summary": "想讲讲加装电梯费用分期缴纳的办法。",
    },
    "en": {
        "comment": "Please let households pay their share of the lift in monthly instalments.",
        "reply": "Agreed: instalments would help the retired neighbours a lot.",
        "reason": "advertising unrelated to this section",
        "answer": "Instalments are in version 2; each entrance agrees the number of months.",
        "summary": "How to pay the lift costs in instalments.",
    },
}


# --- the server's database -------------------------------------------------------------


def in_server_db(server: Server, work: Callable[[Database, Settings], Awaitable[T]]) -> T:
    """Run ``work`` against the running server's own SQLite database, in a worker thread
    (Playwright's sync API may hold an event loop in this one)."""
    env = {
        **os.environ,
        "DELIBERATE_DATA_DIR": str(server.data_dir),
        "DELIBERATE_ENV": "development",
    }
    env.pop("DELIBERATE_DATABASE_URL", None)
    settings = Settings.from_env(env)

    async def run() -> T:
        database = Database(settings.database_url)
        try:
            return await work(database, settings)
        finally:
            await database.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def verified_residents(
    server: Server, tag: str, locale: str, count: int
) -> tuple[list[Person], int, ZoneInfo]:
    """Confirmed accounts with a current in-person verification in 幸福社区; and the
    area's id and the deployment's time zone, for the chair's forms."""

    async def work(database: Database, settings: Settings) -> tuple[list[Person], int, ZoneInfo]:
        async with database.read() as session:
            area = (await session.exec(select(Area).where(Area.code == HOME))).one()
        people = []
        for number in range(count):
            login = f"hearing-{tag}-{number}-{uuid4().hex[:8]}@example.org"
            person = await make_person(database, settings, login, locale=locale)
            now = datetime.now(UTC)
            async with database.write() as session:
                session.add(
                    Verification(
                        user_id=person.user.id,  # type: ignore[arg-type]
                        area_id=area.id,  # type: ignore[arg-type]
                        method=VerificationMethod.in_person.value,
                        birth_year=1961,
                        verified_at=now,
                        valid_until=now.date() + VALIDITY,
                    )
                )
            people.append(person)
        return people, area.id, settings.tz  # type: ignore[return-value]

    return in_server_db(server, work)


def close_applications(server: Server, hearing_id: int) -> None:
    """What time would do: applications closed a minute ago."""

    async def work(database: Database, _settings: Settings) -> None:
        async with database.write() as session:
            call = (
                await session.exec(select(SpeakerCall).where(SpeakerCall.hearing_id == hearing_id))
            ).one()
            call.applications_close_at = datetime.now(UTC) - timedelta(minutes=1)
            session.add(call)

    in_server_db(server, work)


def stored_call(server: Server, hearing_id: int) -> SpeakerCall:
    async def work(database: Database, _settings: Settings) -> SpeakerCall:
        async with database.read() as session:
            return (
                await session.exec(select(SpeakerCall).where(SpeakerCall.hearing_id == hearing_id))
            ).one()

    return in_server_db(server, work)


# --- words as the pages say them ---------------------------------------------------------


def t(lang: str, message: str, **variables: object) -> str:
    with i18n.using_locale(BABEL[lang]):
        return i18n.gettext(message, **variables)


def tn(lang: str, singular: str, plural: str, n: int) -> str:
    with i18n.using_locale(BABEL[lang]):
        return i18n.ngettext(singular, plural, n)


ANSWERED = "%(answered)s of %(total)s comments answered by the committee"


def answered_counts(page: Page, lang: str) -> tuple[int, int]:
    """(answered, to answer) as the hearing page states them, in either word order."""
    text = page.locator("main p.answered").inner_text().strip()
    first, second = (int(n) for n in re.findall(r"\d+", text)[:2])
    for answered, total in ((first, second), (second, first)):
        if t(lang, ANSWERED, answered=answered, total=total) == text:
            return answered, total
    raise AssertionError(text)


def section_counts(page: Page, number: int) -> tuple[int, dict[str, int]]:
    """The comment count beside section ``number`` and its stance bars (label → count)."""
    return page.evaluate(
        """(n) => {
             const s = document.getElementById('section-' + n);
             const bars = {};
             for (const bar of s.querySelectorAll('.stance-bar')) {
               bars[bar.querySelector('dt').textContent.trim()] =
                 parseInt(bar.querySelector('dd').textContent.trim(), 10);
             }
             return [parseInt(s.querySelector('.section-stats a').textContent, 10), bars];
           }""",
        number,
    )


# --- the browser -------------------------------------------------------------------------


@dataclass
class Inspector:
    """Checks each page a flow visits: its language, one h1, no sideways scrolling,
    zero axe and CSP violations. Pages shown with JavaScript off are replayed (the same
    HTML and headers, at the same address) in a JavaScript-enabled page for axe."""

    browser: Browser
    server: Server
    js: bool
    width: int
    console_csp: list[str] = field(default_factory=list)
    _replay: Page | None = None
    _replay_html: tuple[str, dict[str, str]] | None = None
    _contexts: list[BrowserContext] = field(default_factory=list)

    def context(self, lang: str, **options: Any) -> BrowserContext:
        context = new_context(
            self.browser,
            self.server,
            java_script_enabled=self.js,
            locale=lang,
            viewport={"width": self.width, "height": 900},
            **options,
        )
        context.on("console", self._console)
        self._contexts.append(context)
        return context

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console_csp.append(message.text)

    def close(self) -> None:
        for context in self._contexts:
            context.close()

    def check(self, page: Page, lang: str | None, response: PageResponse | None = None) -> None:
        page.wait_for_load_state("load")
        where = page.url
        if lang is not None:
            assert page.get_attribute("html", "lang") == lang, where
        assert page.locator("h1").count() == 1, where
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= self.width, f"{where} scrolls sideways at {self.width}px"
        if self.js:
            self._axe_and_csp(page, where)
        else:
            assert response is not None, "a page without JavaScript is checked by replay"
            self._check_replayed(page, where, response)
        assert self.console_csp == [], where

    def check_in_place(self, page: Page, *changed: str) -> None:
        """After htmx changed part of a page checked when it loaded: axe over the parts
        that changed (the whole hearing page takes seconds), ids still unique."""
        assert self.js
        result = page.evaluate(
            """async ([include, tags]) =>
                 await axe.run({include: include}, {runOnly: {type: 'tag', values: tags}})""",
            [list(changed), AXE_TAGS],
        )
        violations = [
            {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
        ]
        assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
        duplicated = page.evaluate(
            """() => { const seen = new Set(), twice = [];
                       for (const el of document.querySelectorAll('[id]')) {
                         if (seen.has(el.id)) twice.push(el.id); seen.add(el.id); }
                       return twice; }"""
        )
        assert duplicated == []
        assert page.locator("h1").count() == 1
        assert csp_violations(page) == []
        assert self.console_csp == []

    @staticmethod
    def _axe_and_csp(page: Page, where: str) -> None:
        violations = axe_violations(page)
        assert violations == [], where + "\n" + json.dumps(violations, ensure_ascii=False, indent=1)
        assert csp_violations(page) == [], where

    def _check_replayed(self, page: Page, url: str, response: PageResponse) -> None:
        headers = {
            "content-type": response.header_value("content-type") or "text/html; charset=utf-8",
            "content-security-policy": response.header_value("content-security-policy") or "",
        }
        assert headers["content-security-policy"], "the page was sent without its CSP"
        self._replay_html = (response.text(), headers)
        if self._replay is None:
            context = new_context(
                self.browser, self.server, viewport={"width": self.width, "height": 900}
            )
            context.on("console", self._console)
            self._contexts.append(context)
            self._replay = context.new_page()
            self._replay.route("**/*", self._serve_replay)
        self._replay.goto(url)
        self._replay.wait_for_load_state("load")
        # The very page the browser without JavaScript got (not a fresh, anonymous copy).
        assert self._replay.locator("main").inner_text() == page.locator("main").inner_text()
        self._axe_and_csp(self._replay, url + " (replayed)")

    def _serve_replay(self, route: Route) -> None:
        if route.request.is_navigation_request() and self._replay_html is not None:
            body, headers = self._replay_html
            route.fulfill(status=200, headers=headers, body=body)
        else:
            route.continue_()


def visit(inspector: Inspector, page: Page, path: str, lang: str | None) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, page.url
    assert path_of(page) == path.split("?")[0].split("#")[0], page.url
    inspector.check(page, lang, response)


def follow(inspector: Inspector, page: Page, target: Locator, lang: str | None) -> None:
    """Click a link or submit button, wait for the page the server answers with (after
    any redirect), and check it."""
    with page.expect_navigation() as navigation:
        target.click()
    response = navigation.value
    assert response is not None and response.status == 200, page.url
    inspector.check(page, lang, response)


def submit(inspector: Inspector, page: Page, form: str, lang: str | None) -> None:
    """Press the submit button of the form in <main> matching ``form``."""
    follow(inspector, page, page.locator(f"main {form} button[type=submit]").first, lang)


def sign_in(inspector: Inspector, page: Page, person: Person, lang: str, next_path: str) -> None:
    """Through the real login page, coming back to ``next_path``."""
    visit(inspector, page, f"/accounts/login?next={next_path}", lang)
    page.fill("#field-login", person.login)
    page.fill("#field-password", person.password)
    submit(inspector, page, 'form[action="/accounts/login"]', lang)
    assert path_of(page) == next_path, page.url


def comment_id_of(page: Page) -> int:
    match = re.fullmatch(r"/hearings/\d+/comments/(\d+)", path_of(page))
    assert match, page.url
    return int(match.group(1))


def expect_no_page_load(page: Page, url: str) -> None:
    assert page.evaluate("() => window.__marker") == "still here", "the page was reloaded"
    assert page.url == url


def expect_focus_on(page: Page, element_id: str) -> None:
    """After an in-place update, keyboard focus is where it was (htmx moves it to the
    element with the same id in the new content), not thrown back to the page's start."""
    page.wait_for_function("(id) => document.activeElement?.id === id", arg=element_id)


def local_input(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


# --- the flow ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    js: bool
    lang: str
    width: int

    @property
    def tag(self) -> str:
        return f"{'js' if self.js else 'nojs'}-{self.lang.lower()}"


RUNS = (
    Run(js=True, lang="zh-CN", width=1280),
    Run(js=True, lang="en", width=360),
    Run(js=False, lang="zh-CN", width=1024),
)


@pytest.fixture
def inspector(browser: Browser, server: Server, run: Run) -> Iterator[Inspector]:
    inspector = Inspector(browser, server, run.js, run.width)
    try:
        yield inspector
    finally:
        inspector.close()


@pytest.mark.parametrize("run", RUNS, ids=lambda run: run.tag)
def test_comment_reply_endorse_moderate_answer_and_draw(
    server: Server,
    signed_in_states: dict[str, Path],
    inspector: Inspector,
    run: Run,
) -> None:
    lang, js = run.lang, run.js
    words = TEXTS[lang]
    suffix = uuid4().hex[:6]
    comment_text = f"{words['comment']} ({suffix})"
    reply_text = f"{words['reply']} ({suffix})"
    reason = f"{words['reason']} ({suffix})"
    answer_text = f"{words['answer']} ({suffix})"
    (resident, neighbour), area_id, tz = verified_residents(server, run.tag, BABEL[lang], 2)
    hearing = f"/hearings/{HEARING}"

    # 1. The resident signs in from the hearing, reads the draft and comments.
    page = inspector.context(lang).new_page()
    sign_in(inspector, page, resident, lang, hearing)
    sections = page.locator("main ol.sections > li.section")
    assert sections.count() >= SECTION + 1
    for number in range(sections.count()):
        item = sections.nth(number)
        assert item.get_attribute("id") == f"section-{number}"
        assert item.locator("h3").inner_text().startswith(f"{number}. ")
        expect(item.locator("aside.section-stats")).to_be_visible()
    heading = page.locator(f"#section-{SECTION} h3").inner_text()
    before_total, before_bars = section_counts(page, SECTION)
    assert before_total > 0 and before_bars, "the demo has comments on this section"
    stance_label = t(lang, "Suggestion")

    page.locator("main details.comment-box > summary").click()
    form = page.locator("main #comment-form")
    expect(form).to_be_visible()
    form.locator("#field-section").select_option(label=heading)
    form.locator(f"#stance-{STANCE}").check()
    form.locator("#field-body").fill(comment_text)
    if js:
        page.evaluate("() => { window.__marker = 'still here'; }")
        url = page.url
        form.locator("button[type=submit]").click()
        posted = page.locator("#comment-list > li.comment").filter(has_text=comment_text)
        expect(posted).to_have_count(1)
        expect(page.locator("#announcer")).to_have_text(t(lang, "Your comment is posted."))
        expect_no_page_load(page, url)
        expect(page.locator("main #comment-form #field-body")).to_have_value("")
        expect_focus_on(page, "comment-submit")
        comment_id = int(posted.get_attribute("id").removeprefix("comment-"))  # type: ignore[union-attr]
        inspector.check_in_place(page, f"#comment-{comment_id}", "#comment-form", "#announcer")
    else:
        submit(inspector, page, "#comment-form", lang)
        comment_id = comment_id_of(page)
    mine = page.locator(f"#comment-{comment_id} > article")
    expect(mine.locator(".comment-body")).to_have_text(comment_text)
    expect(mine.locator(".stance")).to_have_text(stance_label)
    expect(mine.locator(".comment-section")).to_contain_text(
        t(lang, "on section %(number)s", number=SECTION)
    )
    visit(inspector, page, hearing, lang)  # the counts beside the section moved
    after_total, after_bars = section_counts(page, SECTION)
    assert after_total == before_total + 1
    assert after_bars[stance_label] == before_bars.get(stance_label, 0) + 1
    # Replies count too: the neighbour's reply adds one, hiding it takes it away again.
    answered_before, to_answer_before = answered_counts(page, lang)
    expect(page.locator("#comment-list > li.comment").first).to_have_id(f"comment-{comment_id}")

    # 2. A neighbour replies to it and endorses it.
    other = inspector.context(lang).new_page()
    sign_in(inspector, other, neighbour, lang, hearing)
    theirs = other.locator(f"#comment-{comment_id} > article")
    theirs.locator("details.reply > summary").click()
    reply_form = other.locator(f"#reply-form-{comment_id}")
    reply_form.locator(f"#reply-body-{comment_id}").fill(reply_text)
    if js:
        other.evaluate("() => { window.__marker = 'still here'; }")
        url = other.url
        reply_form.locator("button[type=submit]").click()
        reply = other.locator(f"#replies-{comment_id} > li.comment").filter(has_text=reply_text)
        expect(reply).to_have_count(1)
        expect(other.locator("#announcer")).to_have_text(t(lang, "Your comment is posted."))
        expect_no_page_load(other, url)
        expect_focus_on(other, f"reply-submit-{comment_id}")
        reply_id = int(reply.get_attribute("id").removeprefix("comment-"))  # type: ignore[union-attr]
        # (axe runs once both the reply and the endorsement are in place, below)
    else:
        submit(inspector, other, f"#reply-form-{comment_id}", lang)
        reply_id = comment_id_of(other)
        assert reply_id != comment_id
        expect(other.locator(f"#replies-{comment_id} > #comment-{reply_id}")).to_have_count(1)
    expect(other.locator(f"#comment-{reply_id} > article .comment-body")).to_have_text(reply_text)

    endorse = other.locator(f"#comment-{comment_id} > article form.endorse")
    expect(endorse.locator(".endorse-count")).to_have_text(
        tn(lang, "%(num)d endorsement", "%(num)d endorsements", 0)
    )
    expect(endorse.locator("button")).to_have_attribute("aria-pressed", "false")
    if js:
        url = other.url
        endorse.locator("button").click()
        expect(endorse.locator("button")).to_have_attribute("aria-pressed", "true")
        expect(other.locator("#announcer")).to_have_text(t(lang, "You endorsed this comment."))
        expect_no_page_load(other, url)
        expect_focus_on(other, f"endorse-{comment_id}")
        inspector.check_in_place(other, f"#comment-{comment_id}", "#announcer")
    else:
        follow(inspector, other, endorse.locator("button"), lang)
        assert path_of(other) == f"{hearing}/comments/{comment_id}", other.url
        expect(endorse.locator("button")).to_have_attribute("aria-pressed", "true")
    expect(endorse.locator(".endorse-count")).to_have_text(
        tn(lang, "%(num)d endorsement", "%(num)d endorsements", 1)
    )

    # 3. The chair hides the reply with a public reason.
    chair = inspector.context(lang, storage_state=str(signed_in_states["chair"])).new_page()
    thread = f"{hearing}/comments/{comment_id}"
    visit(inspector, chair, thread, None)  # the chair's own language applies
    hide_link = chair.locator(
        f'#comment-{reply_id} > article a[href="/comments/{reply_id}/moderate"]'
    )
    follow(inspector, chair, hide_link, None)
    assert path_of(chair) == f"/comments/{reply_id}/moderate", chair.url
    expect(chair.locator("main figure.quoted .comment-body")).to_have_text(reply_text)
    chair.fill("#field-reason", reason)
    submit(inspector, chair, f'form[action="/comments/{reply_id}/moderate"]', None)
    assert path_of(chair) == f"{hearing}/comments/{reply_id}", chair.url  # its thread
    expect(chair.locator(f"#comment-{reply_id} > article .tombstone")).to_contain_text(reason)

    # 4. The chair answers the comment, from the same thread.
    respond_link = chair.locator(
        f'#comment-{comment_id} > article a[href="/comments/{comment_id}/respond"]'
    )
    follow(inspector, chair, respond_link, None)
    assert path_of(chair) == f"/comments/{comment_id}/respond", chair.url
    chair.check(f"#verdict-{VERDICT}")
    chair.fill("#field-explanation", answer_text)
    submit(inspector, chair, f'form[action="/comments/{comment_id}/respond"]', None)
    assert path_of(chair) == thread, chair.url

    # The resident sees the reason in place of the reply, the answer under the comment,
    # one more comment answered; and the hiding in the public moderation log.
    visit(inspector, page, hearing, lang)
    hidden = page.locator(f"#comment-{reply_id} > article")
    expect(hidden.locator(".tombstone")).to_have_text(
        t(lang, "Hidden by the moderator: %(reason)s", reason=reason)
    )
    expect(hidden.locator(".comment-body")).to_have_count(0)
    assert reply_text not in page.content()
    answer = page.locator(f"#comment-{comment_id} > article .response")
    expect(answer.locator(".verdict")).to_have_text(t(lang, "Partly adopted"))
    expect(answer.locator(".response-body")).to_have_text(answer_text)
    assert answered_counts(page, lang) == (answered_before + 1, to_answer_before)
    visit(inspector, page, f"{hearing}/moderation", lang)
    logged = page.locator("main table tbody tr").filter(
        has=page.locator(f'a[href="{hearing}/comments/{reply_id}#comment-{reply_id}"]')
    )
    expect(logged).to_have_count(1)
    expect(logged.locator("td").nth(2)).to_have_text(t(lang, "Hidden"))
    expect(logged.locator("td").nth(3)).to_have_text(reason)

    # 5. A new hearing with a call for speakers: the resident applies and is drawn.
    now = datetime.now(UTC)
    visit(inspector, chair, f"/consultations/{CONSULTATION}/hearings/new", None)
    chair.fill("#field-title", f"{NEW_HEARING} ({suffix})")
    chair.fill("#field-opens_at", local_input(now - timedelta(hours=1), tz))
    chair.fill("#field-closes_at", local_input(now + timedelta(days=14), tz))
    chair.select_option("#field-rule_area", value=str(area_id))
    chair.fill("#field-body", NEW_DRAFT)
    submit(inspector, chair, f'form[action="/consultations/{CONSULTATION}/hearings/new"]', None)
    match = re.fullmatch(r"/hearings/(\d+)", path_of(chair))
    assert match, chair.url
    speakers = f"/hearings/{match.group(1)}/speakers"
    new_hearing = int(match.group(1))
    assert new_hearing > 2

    visit(inspector, chair, speakers, None)
    chair.fill("#field-seats", "1")
    chair.fill("#field-applications_close_at", local_input(now + timedelta(hours=2), tz))
    chair.fill("#field-value_source", f"福利彩票双色球 {now:%Y-%m-%d} 开奖号码")
    submit(inspector, chair, f'form[action="{speakers}/call"]', None)
    assert chair.url.endswith(f"{speakers}?done=call"), chair.url

    visit(inspector, page, speakers, lang)
    page.check(f'main input[name=stance][value="{STANCE}"]')
    page.fill("#field-summary", words["summary"])
    submit(inspector, page, f'form[action="{speakers}/apply"]', lang)
    assert "done=apply" in page.url, page.url
    expect(page.locator("#mine dd.pre-line")).to_have_text(words["summary"])

    close_applications(server, new_hearing)
    visit(inspector, chair, speakers, None)
    submit(inspector, chair, f'form[action="{speakers}/publish"]', None)
    assert "done=publish" in chair.url, chair.url
    published = chair.locator("#lottery code.digest").all_inner_texts()
    assert len(published) == 2, published  # the list's SHA-256 and the commitment: no secret
    chair.fill("#field-public_value", PUBLIC_VALUE)
    submit(inspector, chair, f'form[action="{speakers}/draw"]', None)
    assert "done=draw" in chair.url, chair.url

    visit(inspector, page, speakers, lang)
    expect(page.locator("#mine .drawn-result")).to_contain_text(
        t(lang, "You were drawn: speaker %(seat)s.", seat=1)
    )
    expect(page.locator("#result tbody tr")).to_have_count(1)
    # The secret is revealed, and it is the one committed to before the draw.
    call = stored_call(server, new_hearing)
    digests = page.locator("#lottery code.digest").all_inner_texts()
    assert digests[:2] == published == [call.applicants_sha256, call.commitment]
    assert call.secret in digests and lottery.commitment(call.secret) == call.commitment
