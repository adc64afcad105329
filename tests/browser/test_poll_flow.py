"""Voting in a poll of each method, in real Chromium against the real server with the demo
data, with JavaScript (htmx keeps the budget's running total up to date in place) and
without (plain forms): a verified resident opens each poll, reads why they may vote, sends
a ballot that cannot be counted (refused with the reason, the choices kept), corrects it,
checks it in words on the confirmation page and casts it. The receipt page's receipt is
the SHA-256 of the ballot as stored, a line break and the nonce (checked here in Python and
with the very command the page prints); casting again from a second tab is refused. Once
the polls are closed, the receipt search on the bulletin board finds the ballot as cast,
and the result page draws its SVG charts.

Every page on the way has its language, one h1, no sideways scrolling at the viewport
used, zero axe-core violations and zero CSP violations (pages shown without JavaScript are
replayed in a JavaScript-enabled page for axe, as in test_hearing_flow.py).

No registration through the pages (the server allows 10 per address and hour for all the
browser tests): the voter and two neighbours are made directly in the server's database,
verified in 幸福社区; the voter signs in through the real login page, the neighbours vote
through the services (so the board has more than one ballot to search). The polls are this
file's own, made in demo consultation 1 by the demo chair through the services, open and
frozen; demo polls 1-6 are left alone. To close them, their closing time is moved into the
past in the database and they are closed with ``services.close``, as the server's own
closer does."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.errors import Conflict
from deliberate.identity.census import VALIDITY
from deliberate.identity.models import Area, Verification, VerificationMethod
from deliberate.polls import ballots, services
from deliberate.polls.ballots import Choice
from deliberate.polls.forms import OptionInput, PollInput
from deliberate.polls.models import Poll, PollOption
from deliberate.web import i18n
from tests.browser.conftest import Server
from tests.browser.test_account_flow import path_of
from tests.browser.test_hearing_flow import (
    BABEL,
    Inspector,
    expect_no_page_load,
    in_server_db,
    sign_in,
    t,
    tn,
    visit,
)
from tests.support.accounts import Person, make_person
from tests.support.hearings import auth_for

pytestmark = pytest.mark.browser

HOME = "demo-01-01-001"  # 幸福社区
CONSULTATION = 1  # 幸福社区老旧小区综合改造方案, run by the demo chair
MIN_AGE = 18
BUDGET = 100_000
METHODS = ("single", "approval", "ranked", "score", "budget")
OPTIONS: dict[str, tuple[tuple[str, int], ...]] = {
    "single": (("岩棉板", 0), ("石墨聚苯板", 0), ("发泡陶瓷保温板", 0)),
    "approval": (("修建非机动车棚", 0), ("增加绿化带", 0), ("安装路灯", 0), ("增设健身器材", 0)),
    "ranked": (("按楼层系数分摊", 0), ("按面积分摊", 0), ("平均分摊", 0), ("一楼不出资", 0)),
    "score": (("甲建筑公司", 0), ("乙建设集团", 0), ("丙工程有限公司", 0)),
    "budget": (
        ("修建非机动车棚", 40_000),
        ("增加绿化带", 30_000),
        ("安装路灯", 20_000),
        ("增设健身器材", 50_000),
    ),
}
ALREADY_VOTED = "You have already voted in this poll: each person votes once."


# --- ballots, by the options' positions ---------------------------------------------------
# single: a position; approval and budget: positions; ranked: positions, best first;
# score: stars per position (None: not given).

Pick = int | list[int] | list[int | None] | None


@dataclass(frozen=True)
class Attempt:
    bad: Pick  # refused, with ``message`` (its variables), the choices kept
    message: str
    variables: dict[str, object]
    good: Pick  # then cast


ATTEMPTS: dict[str, Attempt] = {
    "single": Attempt(None, "Choose one option.", {}, 1),
    "approval": Attempt(
        [0, 1, 2],
        "Choose at most %(max)s options; you chose %(count)s.",
        {"max": 2, "count": 3},
        [0, 2],
    ),
    "ranked": Attempt([2, 2], "An option is ranked twice.", {}, [2, 0, 3]),
    "score": Attempt([4, 2, None], "Give every option from 0 to 5 stars.", {}, [4, 2, 5]),
    "budget": Attempt(
        [0, 1, 3],
        "The projects you chose cost %(total)s, more than the budget of %(budget)s.",
        {"total": 120_000, "budget": BUDGET},
        [0, 1, 2],
    ),
}
# What the two neighbours cast (through the services), so the board holds three ballots.
NEIGHBOURS: dict[str, tuple[Pick, Pick]] = {
    "single": (0, 1),
    "approval": ([1], [1, 3]),
    "ranked": ([0], [3, 1]),
    "score": ([0, 5, 3], [1, 1, 1]),
    "budget": ([3, 0], [1, 2]),
}


@dataclass(frozen=True)
class MadePoll:
    method: str
    id: int
    title: str
    option_ids: tuple[int, ...]

    @property
    def path(self) -> str:
        return f"/polls/{self.id}"

    def label(self, position: int) -> str:
        return OPTIONS[self.method][position][0]

    def cost(self, position: int) -> int:
        return OPTIONS[self.method][position][1]

    def choice(self, pick: Pick) -> Choice:
        """The checked ballot (option ids) for a valid pick, as the server stores it."""
        ids = self.option_ids
        if self.method == "single":
            assert isinstance(pick, int)
            return ids[pick]
        assert isinstance(pick, list)
        if self.method in ("approval", "budget"):
            return sorted(ids[p] for p in pick)  # type: ignore[index]
        if self.method == "ranked":
            return [ids[p] for p in pick]  # type: ignore[index]
        return {str(ids[n]): score for n, score in enumerate(pick)}  # type: ignore[misc]

    def words(self, pick: Pick, lang: str) -> list[str]:
        """The ballot in words, as the confirmation, receipt and board pages list it."""
        if self.method == "single":
            assert isinstance(pick, int)
            return [self.label(pick)]
        assert isinstance(pick, list)
        if self.method == "approval":
            return [self.label(p) for p in sorted(pick)]  # type: ignore[type-var]
        if self.method == "ranked":
            return [self.label(p) for p in pick]  # type: ignore[arg-type]
        if self.method == "budget":
            return [
                f"{self.label(p)} — {t(lang, 'cost %(cost)s', cost=number(lang, self.cost(p)))}"  # type: ignore[arg-type]
                for p in sorted(pick)  # type: ignore[type-var]
            ]
        return [
            f"{self.label(n)} — {tn(lang, '%(num)d star', '%(num)d stars', score)}"  # type: ignore[arg-type]
            for n, score in enumerate(pick)
        ]


@dataclass(frozen=True)
class World:
    voter: Person
    area: Area
    polls: dict[str, MadePoll]


def number(lang: str, value: int) -> str:
    with i18n.using_locale(BABEL[lang]):
        return i18n.format_number(value)


# --- the server's database ------------------------------------------------------------------


async def _resident(database: Database, settings: Settings, area: Area, login: str, locale: str):
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
    return person


def make_world(server: Server, tag: str, lang: str) -> World:
    """The voter, two neighbours who have voted already, and one open, frozen poll of each
    method in consultation 1, for verified residents of 幸福社区 aged 18 or over."""
    chair = server.people["chair"]

    async def work(database: Database, settings: Settings) -> World:
        async with database.read() as session:
            area = (await session.exec(select(Area).where(Area.code == HOME))).one()
        suffix = uuid4().hex[:8]
        voter = await _resident(
            database, settings, area, f"poll-{tag}-{suffix}@example.org", BABEL[lang]
        )
        neighbours = [
            await auth_for(
                database,
                (
                    await _resident(
                        database, settings, area, f"poll-{tag}-{n}-{suffix}@example.org", "zh_CN"
                    )
                ).user,
            )
            for n in range(2)
        ]
        actor = await auth_for(database, chair.user)
        now = datetime.now(UTC)
        polls = {}
        for method in METHODS:
            data = PollInput(
                title=f"浏览器测试投票（{method}，{tag}，{suffix}）",
                question=f"请投票：{method}？",
                description="由浏览器测试创建。",
                method=method,
                max_choices=2 if method == "approval" else None,
                budget=BUDGET if method == "budget" else None,
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=1),
                rule_area_id=area.id,
                min_age=MIN_AGE,
                options=tuple(OptionInput(label, cost, "") for label, cost in OPTIONS[method]),
            )
            poll = await services.create(database, actor, CONSULTATION, data, now=now)
            await services.freeze(database, actor, poll.id, now=now)  # type: ignore[arg-type]
            async with database.read() as session:
                ids = (
                    await session.exec(
                        select(PollOption.id)
                        .where(PollOption.poll_id == poll.id)
                        .order_by(PollOption.position)  # type: ignore[arg-type]
                    )
                ).all()
            made = MadePoll(method, poll.id, poll.title, tuple(ids))  # type: ignore[arg-type]
            for auth, pick in zip(neighbours, NEIGHBOURS[method], strict=True):
                form = ballots.to_form(method, made.choice(pick))
                await services.cast(database, auth, made.id, form)
            polls[method] = made
        return World(voter, area, polls)

    return in_server_db(server, work)


def close_polls(server: Server, polls: list[MadePoll]) -> None:
    """What time would do: the closing time a minute ago, then the server's closer (which
    may also have got there first)."""

    async def work(database: Database, _settings: Settings) -> None:
        for made in polls:
            async with database.write() as session:
                poll = await session.get(Poll, made.id)
                assert poll is not None
                poll.closes_at = datetime.now(UTC) - timedelta(minutes=1)
                session.add(poll)
            try:
                await services.close(database, None, made.id)
            except Conflict:
                pass  # the background closer was quicker
            async with database.read() as session:
                poll = await session.get(Poll, made.id)
                assert poll is not None and poll.closed_at is not None, made

    in_server_db(server, work)


# --- the ballot form ------------------------------------------------------------------------


def press(inspector: Inspector, page: Page, target: Locator, lang: str, status: int = 200) -> None:
    """Click a submit button, wait for the page the server answers with, check it."""
    with page.expect_navigation() as navigation:
        target.click()
    response = navigation.value
    assert response is not None, page.url
    assert response.status == status, f"{page.url}: {response.status}, not {status}"
    inspector.check(page, lang, response)


def fill(page: Page, made: MadePoll, pick: Pick) -> None:
    """Set every control of the ballot form to ``pick`` (budget ticks one by one)."""
    form = page.locator("main #ballot")
    ids = made.option_ids
    if made.method == "single":
        if pick is not None:
            form.locator(f"#choice-{ids[pick]}").check()  # type: ignore[index]
    elif made.method in ("approval", "budget"):
        assert isinstance(pick, list)
        for position, option in enumerate(ids):
            form.locator(f"#option-{option}").set_checked(position in pick)
    elif made.method == "ranked":
        assert isinstance(pick, list)
        for rank in range(1, len(ids) + 1):
            value = str(ids[pick[rank - 1]]) if rank <= len(pick) else ""  # type: ignore[index]
            form.locator(f"#rank-{rank}").select_option(value=value)
    else:
        assert isinstance(pick, list)
        for position, score in enumerate(pick):
            if score is not None:
                form.locator(f"#score-{ids[position]}-{score}").check()


def expect_kept(page: Page, made: MadePoll, pick: Pick) -> None:
    """The ballot form shows ``pick`` again (after a refusal or "change my choices")."""
    form = page.locator("main #ballot")
    ids = made.option_ids
    if made.method == "single":
        for position, option in enumerate(ids):
            expect(form.locator(f"#choice-{option}")).to_be_checked(checked=position == pick)
    elif made.method in ("approval", "budget"):
        assert isinstance(pick, list)
        for position, option in enumerate(ids):
            expect(form.locator(f"#option-{option}")).to_be_checked(checked=position in pick)
    elif made.method == "ranked":
        assert isinstance(pick, list)
        for rank in range(1, len(ids) + 1):
            value = str(ids[pick[rank - 1]]) if rank <= len(pick) else ""  # type: ignore[index]
            expect(form.locator(f"#rank-{rank}")).to_have_value(value)
    else:
        assert isinstance(pick, list)
        for position, score in enumerate(pick):
            for n in range(6):
                expect(form.locator(f"#score-{ids[position]}-{n}")).to_be_checked(
                    checked=n == score
                )


def total_text(lang: str, made: MadePoll, pick: list[int]) -> str:
    total = sum(made.cost(p) for p in pick)
    if total > BUDGET:
        return t(
            lang,
            "Chosen: %(total)s of %(budget)s. That is %(over)s over the budget: untick a project.",
            total=number(lang, total),
            budget=number(lang, BUDGET),
            over=number(lang, total - BUDGET),
        )
    return t(
        lang,
        "Chosen: %(total)s of %(budget)s. Left: %(left)s.",
        total=number(lang, total),
        budget=number(lang, BUDGET),
        left=number(lang, BUDGET - total),
    )


def tick_with_running_total(
    inspector: Inspector, page: Page, made: MadePoll, pick: list[int], lang: str
) -> None:
    """With JavaScript: tick the projects one change at a time; after each, htmx puts the
    new running total in place (no page load) and the polite live region says it."""
    page.evaluate("() => { window.__marker = 'still here'; }")
    url = page.url
    total = page.locator("main #budget-total")
    expect(total).to_have_attribute("aria-live", "polite")
    now: list[int] = [
        p for p, o in enumerate(made.option_ids) if page.locator(f"#option-{o}").is_checked()
    ]
    for position, option in enumerate(made.option_ids):
        wanted = position in pick
        if (position in now) == wanted:
            continue
        with page.expect_response(f"**/polls/{made.id}/total") as answer:
            page.locator(f"main #option-{option}").set_checked(wanted)
        assert answer.value.status == 200
        now = sorted({*now, position}) if wanted else [p for p in now if p != position]
        expect(total).to_have_text(total_text(lang, made, now))
    expect_no_page_load(page, url)
    inspector.check_in_place(page, "#budget-total")


def words_on(page: Page, where: str) -> list[str]:
    return [text.strip() for text in page.locator(f"{where} .ballot-words > li").all_inner_texts()]


@dataclass(frozen=True)
class Cast:
    receipt: str
    nonce: str
    canonical: str


def vote(inspector: Inspector, page: Page, world: World, made: MadePoll, lang: str) -> Cast:
    """One poll, from its page to the receipt; a second cast from another tab refused."""
    attempt = ATTEMPTS[made.method]
    js = inspector.js
    if path_of(page) != made.path:  # (the first poll is where signing in led)
        visit(inspector, page, made.path, lang)
    expect(page.locator("main h1")).to_have_text(made.title)
    who = t(
        lang,
        "Verified residents of %(places)s aged %(age)s or over",
        places=world.area.display_name(BABEL[lang]),
        age=MIN_AGE,
    )
    eligibility = t(
        lang, "This is for: %(who)s. %(reason)s", who=who, reason=t(lang, "You may take part.")
    )
    expect(page.locator("main .poll-status")).to_contain_text(eligibility)

    # A ballot that cannot be counted: refused with the reason, the choices kept.
    if made.method == "budget":
        expect(page.locator("main #budget-total")).to_have_text(total_text(lang, made, []))
        if js:
            tick_with_running_total(inspector, page, made, attempt.bad, lang)  # type: ignore[arg-type]
    fill(page, made, attempt.bad)
    press(inspector, page, page.locator("main #ballot button[type=submit]"), lang, 400)
    assert path_of(page) == f"{made.path}/confirm", page.url
    error = page.locator("main #ballot .error-summary[role=alert]")
    expect(error.locator("#ballot-error")).to_have_text(
        t(lang, attempt.message, **attempt.variables)
    )
    choices = page.locator("main #ballot-choices")
    expect(choices).to_have_attribute("aria-describedby", "ballot-hint ballot-error")
    expect_kept(page, made, attempt.bad)
    if made.method == "budget":  # the server's total, with or without JavaScript
        expect(page.locator("main #budget-total")).to_have_text(
            total_text(lang, made, attempt.bad)  # type: ignore[arg-type]
        )
        if js:
            tick_with_running_total(inspector, page, made, attempt.good, lang)  # type: ignore[arg-type]

    # The corrected ballot, in words on the confirmation page.
    fill(page, made, attempt.good)
    press(inspector, page, page.locator("main #ballot button[type=submit]"), lang)
    assert path_of(page) == f"{made.path}/confirm", page.url
    expect(page.locator("main h1")).to_have_text(t(lang, "Check your vote"))
    assert words_on(page, "main") == made.words(attempt.good, lang)
    if made.method == "ranked":  # and back to the form, the choices kept
        change = page.locator("main form button.secondary[type=submit]")
        expect(change).to_have_text(t(lang, "Change my choices"))
        press(inspector, page, change, lang)
        expect_kept(page, made, attempt.good)
        press(inspector, page, page.locator("main #ballot button[type=submit]"), lang)
        assert words_on(page, "main") == made.words(attempt.good, lang)

    # Meanwhile the same ballot waits to be cast in a second tab.
    second = page.context.new_page()
    second.goto(made.path)
    fill(second, made, attempt.good)
    with second.expect_navigation():
        second.locator("main #ballot button[type=submit]").click()
    assert path_of(second) == f"{made.path}/confirm", second.url

    # Cast: the receipt page.
    cast_button = page.locator(f'main form[action="{made.path}/cast"] button[type=submit]')
    press(inspector, page, cast_button, lang)
    assert path_of(page) == f"{made.path}/cast", page.url
    expect(page.locator("main h1")).to_have_text(t(lang, "Your vote is cast"))
    facts = page.locator("main .receipt .poll-facts dd code")
    expect(facts).to_have_count(3)
    receipt, nonce, canonical = (text.strip() for text in facts.all_inner_texts())
    expect(page.locator("main .receipt .receipt-code")).to_have_text(receipt)
    choice = made.choice(attempt.good)
    assert canonical == ballots.canonical(choice)
    assert re.fullmatch(r"[0-9a-f]{64}", nonce), nonce  # 256 bits, in hex
    assert hashlib.sha256(f"{canonical}\n{nonce}".encode()).hexdigest() == receipt
    assert ballots.receipt(choice, nonce) == receipt
    assert words_on(page, "main .receipt") == made.words(attempt.good, lang)
    # The page's own instructions, run as printed, give the receipt.
    command = page.locator("main section[aria-labelledby=check-heading] pre code").inner_text()
    printed = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    assert printed.split()[0] == receipt, command

    # The second tab's cast is refused; the ballot form is gone.
    with second.expect_navigation() as navigation:
        second.locator(f'main form[action="{made.path}/cast"] button[type=submit]').click()
    response = navigation.value
    assert response is not None and response.status == 409, second.url
    inspector.check(second, lang, response)
    expect(second.locator("main p.poll-message[role=alert]")).to_have_text(t(lang, ALREADY_VOTED))
    expect(second.locator("main #ballot")).to_have_count(0)
    expect(second.locator("main section[aria-labelledby=vote-heading] .callout")).to_have_text(
        t(
            lang,
            "You have voted in this poll. Each person votes once; your ballot is counted and"
            " cannot be changed.",
        )
    )
    second.close()
    return Cast(receipt, nonce, canonical)


def check_board_and_results(
    inspector: Inspector, page: Page, made: MadePoll, cast: Cast, lang: str
) -> None:
    board = f"{made.path}/board"
    visit(inspector, page, board, lang)
    status = page.locator("main p[role=status]")
    expect(status).to_have_text(tn(lang, "%(num)d ballot", "%(num)d ballots", 3))
    expect(page.locator("main ol.board-list > li")).to_have_count(3)
    prefix = cast.receipt[:12]
    page.fill("main #receipt-search", prefix)
    press(inspector, page, page.locator("main form.search-form button[type=submit]"), lang)
    assert path_of(page) == board and f"receipt={prefix}" in page.url, page.url
    expect(status).to_have_text(
        t(lang, "Ballots with a receipt starting “%(prefix)s”: %(count)s", prefix=prefix, count=1)
    )
    entries = page.locator("main ol.board-list > li")
    expect(entries).to_have_count(1)
    expect(entries.locator(".board-receipt code")).to_have_text(cast.receipt)
    assert words_on(page, "main ol.board-list > li") == made.words(ATTEMPTS[made.method].good, lang)
    expect(entries.locator("p.hint code")).to_have_text(cast.canonical)

    visit(inspector, page, f"{made.path}/results", lang)
    charts = page.locator("main figure.chart svg.bar-chart[role=img]")
    least = {"single": 1, "approval": 1, "ranked": 1, "score": 4, "budget": 1}[made.method]
    assert charts.count() >= least, f"{made.method}: {charts.count()} charts"
    for index in range(charts.count()):
        chart = charts.nth(index)
        title = chart.locator("title")
        expect(title).to_have_count(1)
        assert (title.text_content() or "").strip()
        assert chart.get_attribute("aria-labelledby") == title.get_attribute("id")
        assert chart.locator("rect").count() >= 2
        assert chart.bounding_box()["width"] > 0  # type: ignore[index]
    expect(page.locator("main section[aria-labelledby=turnout-heading]")).to_contain_text(
        t(lang, "the counts are equal")
    )


# --- the flow -------------------------------------------------------------------------------


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
    Run(js=False, lang="en", width=360),
)


@pytest.fixture
def inspector(browser: Browser, server: Server, run: Run) -> Iterator[Inspector]:
    inspector = Inspector(browser, server, run.js, run.width)
    try:
        yield inspector
    finally:
        inspector.close()


@pytest.mark.parametrize("run", RUNS, ids=lambda run: run.tag)
def test_vote_with_each_method_then_find_the_receipt_on_the_board(
    server: Server, inspector: Inspector, run: Run
) -> None:
    lang = run.lang
    world = make_world(server, run.tag, lang)
    polls = [world.polls[method] for method in METHODS]

    page = inspector.context(lang).new_page()
    sign_in(inspector, page, world.voter, lang, polls[0].path)
    casts = {made.method: vote(inspector, page, world, made, lang) for made in polls}
    assert len({cast.receipt for cast in casts.values()}) == len(METHODS)
    assert len({cast.nonce for cast in casts.values()}) == len(METHODS)

    close_polls(server, polls)
    for made in polls:
        check_board_and_results(inspector, page, made, casts[made.method], lang)
