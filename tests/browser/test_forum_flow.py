"""An expert forum from beginning to end, in real Chromium against the real server with the
demo data, with JavaScript (htmx keeps the expert's draft as they type) and without
(plain forms): the committee's chair opens a forum in demo consultation 1 with a deadline
a few minutes ahead and invites an expert by e-mail address; the expert opens the personal
link from the invitation message, gets an account through it (signs up and confirms with
the code from the outbox; or, in the run without JavaScript, signs in to an account made
for the test) and comes back to accept; the chair records the expert's credentials on the
forum page; the expert, now privileged, sets up two-factor sign-in (TOTP codes computed
from the key the enrolment page shows), declares no conflict of interest, drafts, is
refused an incomplete opinion, submits (the receipt is the SHA-256 of the submitted
content, also sent by message) and amends (version 2, its own receipt). Then the
deadline passes and a visitor reads the opinion, its receipts and the digest: the hash
on the page is the expert's receipt, and the open data API's content hashes to it.

Every page on the way has its language, one h1, no sideways scrolling, zero axe-core and
zero CSP violations (pages shown without JavaScript are replayed in a JavaScript-enabled
page for axe: see test_hearing_flow.Inspector).

Sign-up is limited to 10 per address and hour for the whole browser suite, so only the
run with JavaScript registers through the pages; the other run's expert is made in the
server's database and signs in through the link's "sign in" choice. Time is moved as in
the other flow tests: the forum's deadline is set in the past in the server's database."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4
from zoneinfo import ZoneInfo

import pyotp
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import col, select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.forums.models import ExpertForum, ForumInvitation, OpinionVersion
from tests.browser.conftest import Server
from tests.browser.test_account_flow import PASSPHRASE, path_of, totp_key
from tests.browser.test_hearing_flow import (
    BABEL,
    Inspector,
    expect_no_page_load,
    follow,
    in_server_db,
    local_input,
    submit,
    t,
    visit,
)
from tests.support.accounts import Person, last_message_to, make_person

pytestmark = pytest.mark.browser

CONSULTATION = 1  # run by the demo committee, which the "chair" role chairs
CHAIR_LANG = "zh-CN"  # the chair's own language setting beats the browser's
TOKEN = re.compile(r"/forums/invitations/([A-Za-z0-9_-]+)")
CODE = re.compile(r"\b(\d{6})\b")


@dataclass(frozen=True)
class Texts:
    title: str
    question_1: str
    question_2: str
    field: str  # the expert's field of expertise, as the committee records it
    organisation: str
    title_held: str
    summary_1: str
    summary_1_amended: str
    analysis_1: str
    summary_2: str
    analysis_2: str


TEXTS = {
    "zh-CN": Texts(
        title="屋顶光伏板安装专家论证",
        question_1="屋面能否承受光伏板的荷载？",
        question_2="光伏板的防火要求是什么？",
        field="结构工程",
        organisation="示范市建筑科学研究院",
        title_held="高级工程师",
        summary_1="可以承受，但需加固女儿墙。",
        summary_1_amended="可以承受；女儿墙须先加固，并逐栋复核。",
        analysis_1="现浇混凝土屋面一般可承受 **0.3 kN/m²** 的附加荷载。",
        summary_2="组件须达到 A 级防火。",
        analysis_2="应符合 GB 50016 的要求，并设置检修通道。",
    ),
    "en": Texts(
        title="Rooftop solar panels: expert review",
        question_1="Can the roofs carry the weight of the panels?",
        question_2="What fire safety rules apply to the panels?",
        field="Structural engineering",
        organisation="Demo City Institute of Building Research",
        title_held="Senior engineer",
        summary_1="Yes, once the parapets are reinforced.",
        summary_1_amended="Yes; reinforce the parapets first and check each building.",
        analysis_1="Cast concrete roofs usually carry an extra **0.3 kN/m²**.",
        summary_2="Panels must be class A fire rated.",
        analysis_2="Follow GB 50016 and keep a maintenance walkway.",
    ),
}


# --- the server's database ---------------------------------------------------------------


def deployment_tz(server: Server) -> ZoneInfo:
    async def work(_database: Database, settings: Settings) -> ZoneInfo:
        return settings.tz

    return in_server_db(server, work)


def outbox_body(server: Server, recipient: str) -> str:
    """The newest message to ``recipient``, as the outbox keeps it."""

    async def work(database: Database, _settings: Settings) -> str:
        message = await last_message_to(database, recipient)
        assert message is not None, recipient
        return message.body

    return in_server_db(server, work)


def existing_expert(server: Server, login: str, locale: str) -> Person:
    """A confirmed account, not yet an expert of anything (no second factor)."""

    async def work(database: Database, settings: Settings) -> Person:
        return await make_person(database, settings, login, locale=locale)

    return in_server_db(server, work)


def pass_the_deadline(server: Server, forum_id: int) -> None:
    """What time would do: the deadline a minute ago (reading never waits for the
    background release: the deadline itself unseals)."""

    async def work(database: Database, _settings: Settings) -> None:
        async with database.write() as session:
            forum = await session.get(ExpertForum, forum_id)
            assert forum is not None
            forum.deadline = datetime.now(UTC) - timedelta(minutes=1)
            session.add(forum)

    in_server_db(server, work)


def stored_versions(server: Server, invitation_id: int) -> list[OpinionVersion]:
    async def work(database: Database, _settings: Settings) -> list[OpinionVersion]:
        async with database.read() as session:
            return list(
                (
                    await session.exec(
                        select(OpinionVersion)
                        .where(OpinionVersion.invitation_id == invitation_id)
                        .order_by(col(OpinionVersion.number))
                    )
                ).all()
            )

    return in_server_db(server, work)


def stored_invitation(server: Server, invitation_id: int) -> ForumInvitation:
    async def work(database: Database, _settings: Settings) -> ForumInvitation:
        async with database.read() as session:
            found = await session.get(ForumInvitation, invitation_id)
            assert found is not None
            return found

    return in_server_db(server, work)


# --- the browser ---------------------------------------------------------------------------


def press(inspector: Inspector, page: Page, target: Locator, lang: str | None, status: int) -> None:
    """Click a submit button, wait for the page the server answers with (after any
    redirect), check its status and the page."""
    with page.expect_navigation() as navigation:
        target.click()
    response = navigation.value
    assert response is not None, page.url
    assert response.status == status, f"{page.url}: {response.status}, not {status}"
    inspector.check(page, lang, response)


def as_pattern(lang: str, message: str, name: str) -> re.Pattern[str]:
    """The translated ``message`` with its one variable ``name`` matching anything."""
    text = t(lang, message, **{name: "\x00"})
    return re.compile("^" + re.escape(text).replace("\x00", ".+") + "$")


def fill_answer(page: Page, number: int, summary: str, analysis: str, rec: str, conf: str) -> None:
    form = page.locator("main form.opinion-form")
    form.locator(f"#field-summary_{number}").fill(summary)
    form.locator(f"#field-analysis_{number}").fill(analysis)
    form.locator(f"#field-recommendation_{number}").select_option(value=rec)
    form.locator(f"#confidence-{number}-{conf}").check()


def receipt_shown(page: Page, lang: str, number: int) -> str:
    callout = page.locator("main .callout[role=status]")
    expect(callout).to_contain_text(
        t(
            lang,
            "Version %(number)s is submitted. Your receipt (SHA-256 of what you submitted):",
            number=number,
        )
    )
    receipt = callout.locator("code.secret-key").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", receipt), receipt
    return receipt


def receipts_in_table(page: Page, section: str) -> list[str]:
    return [
        text.strip()
        for text in page.locator(
            f"main section[aria-labelledby={section}] tbody td code"
        ).all_inner_texts()
    ]


# --- the flow --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    js: bool
    lang: str
    width: int
    sign_up: bool  # through the invitation link's "create an account" (else "sign in")

    @property
    def tag(self) -> str:
        return f"{'js' if self.js else 'nojs'}-{self.lang.lower()}"


RUNS = (
    Run(js=True, lang="zh-CN", width=1280, sign_up=True),
    Run(js=False, lang="en", width=1024, sign_up=False),
)


@pytest.fixture
def inspector(browser: Browser, server: Server, run: Run) -> Iterator[Inspector]:
    inspector = Inspector(browser, server, run.js, run.width)
    try:
        yield inspector
    finally:
        inspector.close()


@pytest.mark.parametrize("run", RUNS, ids=lambda run: run.tag)
def test_invite_accept_credential_declare_draft_submit_amend_and_release(
    server: Server, signed_in_states: dict[str, Path], inspector: Inspector, run: Run
) -> None:
    lang, js = run.lang, run.js
    words = TEXTS[lang]
    suffix = uuid4().hex[:6]
    title = f"{words.title} ({suffix})"
    address = f"forum-expert-{run.tag}-{suffix}@example.org"
    tz = deployment_tz(server)

    # 1. The chair opens a forum with a deadline ten minutes ahead and two questions.
    chair = inspector.context(lang, storage_state=str(signed_in_states["chair"])).new_page()
    new_form = f"/consultations/{CONSULTATION}/forums/new"
    visit(inspector, chair, new_form, CHAIR_LANG)
    expect(chair.locator("main #publication-anonymised")).to_be_checked()
    chair.fill("#field-title", title)
    chair.fill("#field-description", "由浏览器测试创建。")
    deadline = datetime.now(UTC) + timedelta(minutes=10)
    chair.fill("#field-deadline", local_input(deadline, tz))
    chair.fill("#field-question_1", words.question_1)
    chair.fill("#field-background_1", "屋面为 1995 年现浇混凝土。")
    chair.fill("#field-question_2", words.question_2)
    submit(inspector, chair, f'form[action="{new_form}"]', CHAIR_LANG)
    match = re.fullmatch(r"/forums/(\d+)", path_of(chair))
    assert match, chair.url
    forum_id = int(match.group(1))
    forum = f"/forums/{forum_id}"
    expect(chair.locator("main h1")).to_have_text(title)
    expect(chair.locator("main ol.forum-questions > li .forum-question")).to_have_text(
        [words.question_1, words.question_2]
    )
    expect(chair.locator("main #invitations")).to_contain_text(
        t(CHAIR_LANG, "No experts invited yet.")
    )

    # 2. … and invites the expert by e-mail address.
    chair.fill("#field-address", address)
    submit(inspector, chair, "form:has(#field-address)", CHAIR_LANG)
    assert path_of(chair) == forum and "done=invited" in chair.url, chair.url
    expect(chair.locator("main .notice")).to_have_text(t(CHAIR_LANG, "The invitation is sent."))
    row = chair.locator("main #invitations tbody tr").filter(has_text=address)
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_have_text("A")
    expect(row.locator("td").nth(1)).to_have_text(t(CHAIR_LANG, "Invited"))

    # 3. The expert opens the personal link from the message, signed out.
    found = TOKEN.search(outbox_body(server, address))
    assert found, "no invitation link in the message"
    landing = f"/forums/invitations/{found.group(1)}"
    expert = inspector.context(lang).new_page()
    visit(inspector, expert, landing, lang)
    expect(expert.locator("main h1")).to_have_text(t(lang, "Invitation: %(title)s", title=title))
    expect(expert.locator("main section[aria-labelledby=questions-heading] li")).to_have_text(
        [words.question_1, words.question_2]
    )
    back = quote(landing, safe="")
    if run.sign_up:
        # Sign up through the link, confirm with the code, come back to the invitation.
        follow(
            inspector,
            expert,
            expert.locator(f'main a[href="/accounts/register?next={back}"]'),
            lang,
        )
        assert path_of(expert) == "/accounts/register", expert.url
        expert.fill("#field-login", address)
        expert.fill("#field-display_name", f"测试专家 {suffix}")
        expert.fill("#field-password", PASSPHRASE)
        expert.check("#field-accept_privacy")
        submit(inspector, expert, 'form[action="/accounts/register"]', lang)
        assert path_of(expert) == "/accounts/confirm", expert.url
        code = CODE.search(outbox_body(server, address))
        assert code, "no confirmation code in the message"
        expert.fill("#field-code", code.group(1))
        submit(inspector, expert, "form:has(#field-code)", lang)
    else:
        person = existing_expert(server, address, BABEL[lang])
        follow(
            inspector, expert, expert.locator(f'main a[href="/accounts/login?next={back}"]'), lang
        )
        assert path_of(expert) == "/accounts/login", expert.url
        expert.fill("#field-login", person.login)
        expert.fill("#field-password", person.password)
        submit(inspector, expert, 'form[action="/accounts/login"]', lang)
    assert path_of(expert) == landing, expert.url  # back to the invitation

    # 4. The expert accepts; the committee has yet to verify their credentials.
    press(
        inspector,
        expert,
        expert.locator("main form:has(input[name=action][value=accept]) button[type=submit]"),
        lang,
        200,
    )
    assert path_of(expert) == forum and "done=accepted" in expert.url, expert.url
    expect(expert.locator("main .notice")).to_have_text(t(lang, "You accepted the invitation."))
    own = expert.locator("main section[aria-labelledby=own-heading]")
    expect(own).to_contain_text(
        t(
            lang,
            "You are expert %(letter)s in this forum. Status: %(status)s.",
            letter="A",
            status=t(lang, "Accepted"),
        )
    )
    expect(own.locator("a")).to_have_count(0)  # nothing to do until the committee verifies

    # 5. The chair records the verified credentials on the forum page.
    visit(inspector, chair, forum, CHAIR_LANG)
    credential = chair.locator('main #invitations form[action$="/credential"]')
    expect(credential).to_have_count(1)
    action = credential.get_attribute("action") or ""
    found_id = re.fullmatch(rf"{forum}/invitations/(\d+)/credential", action)
    assert found_id, action
    invitation_id = int(found_id.group(1))
    credential.locator(f"#field-field_{invitation_id}").fill(words.field)
    credential.locator(f"#field-organisation_{invitation_id}").fill(words.organisation)
    credential.locator(f"#field-title_{invitation_id}").fill(words.title_held)
    submit(inspector, chair, f'form[action="{action}"]', CHAIR_LANG)
    assert path_of(chair) == forum and "done=verified" in chair.url, chair.url
    expect(chair.locator("main .notice")).to_have_text(
        t(CHAIR_LANG, "The expert's credentials are recorded.")
    )
    row = chair.locator("main #invitations tbody tr").filter(has_text=words.organisation)
    expect(row.locator("td").nth(2)).to_have_text(
        f"{words.title_held}, {words.organisation} ({words.field})"
    )

    # 6. Now an expert, they are privileged: writing needs two-factor sign-in first. The
    # forum page leads them on from their invitation (to set it up, then to declare).
    visit(inspector, expert, forum, lang)
    onward = own.locator("a")
    expect(onward).not_to_have_count(0)
    follow(inspector, expert, onward.first, lang)
    assert path_of(expert) == "/accounts/two-factor", expert.url
    expect(expert.locator("main .callout[role=status]")).to_have_text(
        t(lang, "Your role requires two-factor sign-in before you can continue.")
    )
    submit(inspector, expert, 'form[action="/accounts/two-factor/start"]', lang)
    assert path_of(expert) == "/accounts/two-factor/start", expert.url
    key = totp_key(expert)
    expert.fill("#field-code", pyotp.TOTP(key).now())
    submit(inspector, expert, 'form[action="/accounts/two-factor/enrol"]', lang)
    assert path_of(expert) == "/accounts/two-factor/enrol", expert.url
    expect(expert.locator("main ul.recovery-codes li")).to_have_count(10)
    follow(inspector, expert, expert.locator("main a.button"), lang)
    if path_of(expert) == forum:  # (led back to the forum: now the declaration is open)
        follow(inspector, expert, own.locator(f'a[href="{forum}/declaration"]'), lang)
    assert path_of(expert) == f"{forum}/declaration", expert.url

    # 7. The declaration: no conflict of interest; on to the editor.
    expect(expert.locator("main h1")).to_have_text(t(lang, "Declaration of interests"))
    expert.check("#conflicts-none")
    submit(inspector, expert, f'form[action="{forum}/declaration"]', lang)
    assert path_of(expert) == f"{forum}/opinion", expert.url
    expect(expert.locator("main h1")).to_have_text(t(lang, "Your opinion: %(title)s", title=title))
    expect(expert.locator("main #draft-status")).to_have_text("")

    # 8. A draft: kept as they type (htmx, in place) or with "save the draft".
    status = expert.locator("main #draft-status")
    saved = as_pattern(lang, "Draft saved at %(time)s.", "time")
    if js:
        expert.evaluate("() => { window.__marker = 'still here'; }")
        url = expert.url
        with expert.expect_response(f"**{forum}/opinion/draft") as answer:
            expert.locator("#field-summary_1").press_sequentially(words.summary_1[:6])
        assert answer.value.status == 200
        expect(status).to_have_text(saved)
        expect_no_page_load(expert, url)
        inspector.check_in_place(expert, "#draft-status")
        expert.locator("#field-summary_1").fill(words.summary_1)
        with expert.expect_response(f"**{forum}/opinion/draft"):
            expert.locator("#field-recommendation_1").select_option(value="proceed_with_changes")
        expect(status).to_have_text(saved)
    else:
        expert.fill("#field-summary_1", words.summary_1)
        expert.select_option("#field-recommendation_1", value="proceed_with_changes")
        press(
            inspector,
            expert,
            expert.locator("main form.opinion-form button[name=action][value=save]"),
            lang,
            200,
        )
        assert path_of(expert) == f"{forum}/opinion" and "saved=1" in expert.url, expert.url
        expect(expert.locator("main .notice")).to_have_text(t(lang, "Your draft is saved."))
        expect(status).to_have_text(saved)
    visit(inspector, expert, f"{forum}/opinion", lang)  # the draft is kept on the server
    expect(expert.locator("#field-summary_1")).to_have_value(words.summary_1)
    expect(expert.locator("#field-recommendation_1")).to_have_value("proceed_with_changes")

    # 9. An incomplete opinion is refused, with what is missing.
    submit_button = expert.locator("main form.opinion-form button[name=action][value=submit]")
    expect(submit_button).to_have_text(t(lang, "Submit the opinion"))
    press(inspector, expert, submit_button, lang, 400)
    summary = expert.locator("main .error-summary[role=alert]")
    expect(summary.locator('a[href="#field-analysis_1"]')).to_have_text(
        t(lang, "Enter your analysis.")
    )
    expect(summary.locator('a[href="#field-summary_2"]')).to_have_text(
        t(lang, "Enter a short summary of your answer.")
    )
    expect(expert.locator("#field-analysis_1")).to_have_attribute("aria-invalid", "true")
    expect(expert.locator("#field-confidence_2")).to_have_attribute(
        "aria-describedby", "error-confidence_2"
    )
    expect(expert.locator("#field-summary_1")).to_have_value(words.summary_1)  # kept

    # 10. The complete opinion: submitted, with its receipt.
    fill_answer(expert, 1, words.summary_1, words.analysis_1, "proceed_with_changes", "high")
    fill_answer(expert, 2, words.summary_2, words.analysis_2, "proceed", "medium")
    press(inspector, expert, submit_button, lang, 200)
    assert path_of(expert) == f"{forum}/opinion" and "submitted=1" in expert.url, expert.url
    first = receipt_shown(expert, lang, 1)
    assert receipts_in_table(expert, "versions-heading") == [first]
    message = outbox_body(server, address)
    assert first in message, message  # also sent to the expert
    stored = stored_versions(server, invitation_id)
    assert [v.sha256 for v in stored] == [first]
    assert hashlib.sha256(stored[0].content.encode()).hexdigest() == first

    # 11. Amended before the deadline: version 2, with its own receipt.
    expect(submit_button).to_have_text(t(lang, "Submit the amended opinion"))
    expect(expert.locator("#field-analysis_2")).to_have_value(words.analysis_2)
    expert.fill("#field-summary_1", words.summary_1_amended)
    press(inspector, expert, submit_button, lang, 200)
    assert "submitted=2" in expert.url, expert.url
    second = receipt_shown(expert, lang, 2)
    assert second != first
    assert receipts_in_table(expert, "versions-heading") == [first, second]
    assert second in outbox_body(server, address)

    # Before the deadline, the public sees that opinions are sealed, not what they say.
    visitor = inspector.context(lang).new_page()
    visit(inspector, visitor, forum, lang)
    assert words.summary_1_amended not in visitor.locator("main").inner_text()
    expect(visitor.locator(f'main a[href="{forum}/digest"]')).to_have_count(0)

    # 12. The deadline passes: the expert's opinion can no longer change …
    pass_the_deadline(server, forum_id)
    visit(inspector, expert, f"{forum}/opinion", lang)
    expect(expert.locator("main form.opinion-form")).to_have_count(0)
    expect(expert.locator("main")).to_contain_text(
        t(lang, "The deadline has passed: your opinion can no longer change.")
    )

    # … and the visitor reads it, anonymised, with the receipts the expert was given.
    visit(inspector, visitor, forum, lang)
    label = t(lang, "Expert %(letter)s, %(field)s", letter="A", field=words.field)
    opinions = visitor.locator(
        "main section[aria-labelledby=opinions-heading] ul.consultation-list > li"
    )
    expect(opinions).to_have_count(1)
    link = opinions.locator(f'h3 a[href="{forum}/opinions/{invitation_id}"]')
    expect(link).to_have_text(label)
    expect(opinions).to_contain_text(words.summary_1_amended)
    expect(opinions).to_contain_text(t(lang, "Declared no conflict of interest."))
    follow(inspector, visitor, link, lang)
    assert path_of(visitor) == f"{forum}/opinions/{invitation_id}", visitor.url
    expect(visitor.locator("main h1")).to_have_text(label)
    expect(visitor.locator("main")).not_to_contain_text(address)
    expect(visitor.locator("main #answer-1 + .forum-summary")).to_have_text(words.summary_1_amended)
    assert receipts_in_table(visitor, "versions-heading") == [first, second]

    visit(inspector, visitor, f"{forum}/digest", lang)
    expect(visitor.locator("main h1")).to_have_text(t(lang, "Digest: %(title)s", title=title))
    answers = visitor.locator("main section[aria-labelledby=q-1] table").nth(1)
    expect(answers.locator("tbody tr th")).to_have_text([label])
    expect(answers.locator("tbody tr td").first).to_have_text(words.summary_1_amended)

    # The open data API: the published content hashes to the receipt.
    api = visitor.request.get(f"/api/v1/forums/{forum_id}")
    assert api.status == 200
    data = json.loads(api.text())
    assert data["released"] is True
    (published,) = data["opinions"]
    assert [v["sha256"] for v in published["versions"]] == [first, second]
    for version in published["versions"]:
        assert hashlib.sha256(version["content"].encode()).hexdigest() == version["sha256"]
    assert stored_invitation(server, invitation_id).conflicts == ""
