"""A new person's whole way in, in real Chromium against the real server: register,
confirm with the code staff read from the outbox, set up two-factor sign-in, sign out and
sign in again. Every page on the way is accessible (axe-core), clean under the CSP, has
one h1 and the right language; and the same flow works as plain HTML forms without
JavaScript."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlparse
from uuid import uuid4

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Server, new_context
from tests.browser.test_pages import axe_violations, csp_violations, with_lang

pytestmark = pytest.mark.browser

LANGUAGES = ("zh-CN", "en")
PASSPHRASE = "violet harbour lantern counts 42 tides"
HEADER_SIGN_OUT = 'header form[action="/accounts/logout"] button[type=submit]'


def path_of(page: Page) -> str:
    return urlparse(page.url).path


def check_page(page: Page, lang: str | None, *, axe: bool = True) -> None:
    """The promises every page keeps: its language, one h1, no axe or CSP violations."""
    page.wait_for_load_state("load")
    where = page.url
    if lang is not None:
        assert page.get_attribute("html", "lang") == lang, where
    assert page.locator("h1").count() == 1, where
    if axe:
        violations = axe_violations(page)
        assert violations == [], where + "\n" + json.dumps(violations, ensure_ascii=False, indent=1)
        assert csp_violations(page) == [], where


def submit(page: Page, form: str) -> None:
    """Press the submit button of the form in <main> matching ``form`` and wait for the
    page the server answers with."""
    with page.expect_navigation():
        page.locator(f"main {form} button[type=submit]").first.click()


def new_person(lang: str) -> tuple[str, str]:
    suffix = uuid4().hex[:8]
    email = f"flow-{lang.lower()}-{suffix}@example.org"
    name = f"测试居民 {suffix}" if lang == "zh-CN" else f"Flow Tester {suffix}"
    return email, name


def read_confirmation_code(admin: BrowserContext, recipient: str, *, axe: bool = True) -> str:
    """Read the newest code to ``recipient`` the way staff would: in the admin outbox."""
    page = admin.new_page()
    try:
        response = page.goto("/admin/outbox")
        assert response is not None and response.status == 200
        assert path_of(page) == "/admin/outbox"
        check_page(page, None, axe=axe)  # the admin's own language applies here
        message = page.locator("article.message").filter(has_text=recipient).first
        body = message.locator("pre.message-body").inner_text()
        match = re.search(r"\b(\d{6})\b", body)
        assert match, body
        return match.group(1)
    finally:
        page.close()


def totp_key(page: Page) -> str:
    text = page.locator("#totp-key").inner_text()
    key = "".join(text.split())
    assert re.fullmatch(r"[A-Z2-7]+", key), text
    assert all(len(group) == 4 for group in text.split()[:-1]), text
    return key


def register(page: Page, lang: str, email: str, name: str, *, axe: bool = True) -> None:
    response = page.goto(with_lang("/accounts/register", lang))
    assert response is not None and response.status == 200
    check_page(page, lang, axe=axe)
    page.fill("#field-login", email)
    page.fill("#field-display_name", name)
    page.fill("#field-password", PASSPHRASE)
    page.check("#field-accept_privacy")
    submit(page, 'form[action="/accounts/register"]')
    assert path_of(page) == "/accounts/confirm", page.url


def confirm(page: Page, code: str) -> None:
    page.fill("#field-code", code)
    submit(page, "form:has(#field-code)")
    assert path_of(page) == "/accounts", page.url
    assert "confirmed=1" in page.url
    expect(page.locator("main .notice")).to_have_count(1)


def assert_account_locale(page: Page, lang: str) -> None:
    """The account's language was taken from the page it registered on."""
    expect(page.locator("#field-locale option:checked")).to_have_attribute("lang", lang)


def enrol_two_factor(page: Page, lang: str, *, axe: bool = True) -> str:
    """From the account page to the recovery codes and back; returns the TOTP key."""
    page.goto("/accounts/two-factor")
    assert path_of(page) == "/accounts/two-factor"
    check_page(page, lang, axe=axe)
    submit(page, 'form[action="/accounts/two-factor/start"]')
    assert path_of(page) == "/accounts/two-factor/start"
    check_page(page, lang, axe=axe)
    key = totp_key(page)
    page.fill("#field-code", pyotp.TOTP(key).now())
    submit(page, 'form[action="/accounts/two-factor/enrol"]')
    assert path_of(page) == "/accounts/two-factor/enrol"
    check_page(page, lang, axe=axe)
    expect(page.locator("main ul.recovery-codes li")).to_have_count(10)
    with page.expect_navigation():
        page.locator("main a.button").click()
    assert path_of(page) == "/accounts"
    check_page(page, lang, axe=axe)
    return key


def sign_out_and_in(page: Page, lang: str, email: str, key: str, *, axe: bool = True) -> None:
    with page.expect_navigation():
        page.locator(HEADER_SIGN_OUT).click()
    assert path_of(page) == "/"
    check_page(page, lang, axe=axe)
    expect(page.locator(HEADER_SIGN_OUT)).to_have_count(0)

    page.goto("/accounts/login")
    assert path_of(page) == "/accounts/login"
    check_page(page, lang, axe=axe)
    page.fill("#field-login", email)
    page.fill("#field-password", PASSPHRASE)
    submit(page, 'form[action="/accounts/login"]')
    assert path_of(page) == "/accounts/login/verify", page.url
    check_page(page, lang, axe=axe)

    # Each TOTP step is accepted once, and enrolment may have used the current one: the
    # next step's code is accepted too (±1 step of clock drift).
    page.fill("#field-code", pyotp.TOTP(key).at(time.time() + 30))
    submit(page, 'form[action="/accounts/login/verify"]')
    assert path_of(page) == "/accounts", page.url
    check_page(page, lang, axe=axe)
    expect(page.locator(HEADER_SIGN_OUT)).to_have_count(1)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_up_confirm_enrol_and_sign_in_again(
    browser: Browser, server: Server, signed_in_states: dict[str, Path], lang: str
) -> None:
    email, name = new_person(lang)
    person = new_context(browser, server)
    admin = new_context(browser, server, storage_state=str(signed_in_states["admin"]))
    try:
        page = person.new_page()
        register(page, lang, email, name)
        check_page(page, lang)

        confirm(page, read_confirmation_code(admin, email))
        check_page(page, lang)
        expect(page.locator("#field-display_name")).to_have_value(name)
        assert_account_locale(page, lang)

        key = enrol_two_factor(page, lang)
        sign_out_and_in(page, lang, email, key)
        expect(page.locator("#field-display_name")).to_have_value(name)
    finally:
        person.close()
        admin.close()


def test_same_flow_without_javascript(
    browser: Browser, server: Server, signed_in_states: dict[str, Path]
) -> None:
    lang = "zh-CN"
    email, name = new_person(lang)
    person = browser.new_context(
        base_url=server.base_url, java_script_enabled=False, locale="zh-CN"
    )
    admin = new_context(browser, server, storage_state=str(signed_in_states["admin"]))
    try:
        page = person.new_page()
        register(page, lang, email, name, axe=False)
        check_page(page, lang, axe=False)

        confirm(page, read_confirmation_code(admin, email, axe=False))
        check_page(page, lang, axe=False)
        assert_account_locale(page, lang)

        key = enrol_two_factor(page, lang, axe=False)
        sign_out_and_in(page, lang, email, key, axe=False)
        expect(page.locator("#field-display_name")).to_have_value(name)
    finally:
        person.close()
        admin.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_bad_input_is_explained_in_the_form(browser: Browser, server: Server, lang: str) -> None:
    _email, name = new_person(lang)
    context = new_context(browser, server)
    try:
        page = context.new_page()
        page.goto(with_lang("/accounts/register", lang))
        page.fill("#field-login", "12345")
        page.fill("#field-display_name", name)
        page.fill("#field-password", "abc1234")  # 7 characters
        page.check("#field-accept_privacy")
        with page.expect_navigation() as navigation:
            page.locator('main form[action="/accounts/register"] button[type=submit]').click()
        response = navigation.value
        assert response is not None and response.status == 400
        assert path_of(page) == "/accounts/register"
        check_page(page, lang)

        summary = page.locator(".error-summary")
        expect(summary).to_have_count(1)
        expect(summary).to_have_attribute("role", "alert")
        links = summary.locator("li a")
        expect(links).to_have_count(2)
        assert sorted(links.evaluate_all("els => els.map(a => a.getAttribute('href'))")) == [
            "#field-login",
            "#field-password",
        ]
        for field in ("login", "password"):
            expect(page.locator(f"#field-{field}")).to_have_attribute("aria-invalid", "true")
            expect(page.locator(f"#error-{field}")).to_be_visible()
        expect(page.locator("#field-login")).to_have_value("12345")
        expect(page.locator("#field-display_name")).to_have_value(name)
        expect(page.locator("#field-password")).to_have_value("")
        expect(page.locator("#field-accept_privacy")).to_be_checked()
    finally:
        context.close()
