"""A new resident verifies where they live, in real Chromium against the real server: with
the code from a letter (typed, or from the letter's QR link while signed out), with their
identity number against the resident roll, and at the residents' committee's counter where
an officer confirms. The letters and the roll come from the real command line, run as an
operator would against the server's own database. Every page on the way is accessible
(axe-core), clean under the CSP, has one h1 and the right language; and the letter flow
works as plain HTML forms without JavaScript.

Registrations: the server allows 10 per address and hour, shared by all browser tests
(test_account_flow.py makes 3). This file makes 6, one for each person below:
  1-2. test_letter_code_typed[zh-CN], [en]: one each (a verified person stays verified);
  3.   test_letter_code_through_the_qr_link: the person who signs in from the QR link;
  4.   the module's `second_resident`: in the QR test the one whose used code is refused,
       then in test_census_match the one who matches the roll (in another community, so
       neither test depends on the other running first);
  5.   test_officer_confirms_at_the_counter;
  6.   test_verification_without_javascript.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from uuid import uuid4

import pytest
import segno
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from deliberate.identity.idnumber import check_digit
from tests.browser.conftest import Server, new_context
from tests.browser.test_account_flow import (
    PASSPHRASE,
    check_page,
    confirm,
    path_of,
    read_confirmation_code,
    register,
    submit,
)
from tests.browser.test_pages import with_lang

pytestmark = pytest.mark.browser

LETTER_AREA = "demo-01-01-001"
LETTER_AREA_NAMES = {"zh-CN": "幸福社区", "en": "Xingfu Community"}
CENSUS_AREA = "demo-01-01-002"
CENSUS_AREA_NAME = "光明社区"
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
RESIDENCE = "main section[aria-labelledby=residence-heading]"
LETTER_FORM = 'form[action="/identity/letter"]'


# --- The operator's side: the command line against the server's database -------------


def operator_env(server: Server) -> dict[str, str]:
    """The environment the server runs with (conftest starts it with DELIBERATE_DATA_DIR
    set to the folder that also holds its log)."""
    data = server.data_dir
    assert (data / "deliberate.sqlite3").is_file(), f"{data} is not the server's data dir"
    env = {**os.environ, "DELIBERATE_DATA_DIR": str(data), "DELIBERATE_ENV": "development"}
    env.pop("DELIBERATE_DATABASE_URL", None)
    return env


def deliberate(server: Server, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "deliberate", *args],
        env=operator_env(server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@dataclass(frozen=True)
class Letter:
    code: str
    link: str  # what the letter's QR code says


def qr_mismatches(page_image: Path, url: str) -> int:
    """How many modules of the QR code printed on the page differ from a QR code for
    ``url`` made the way the letters make it (segno is deterministic). The QR code is the
    only thing in the right part of the page above the instructions."""
    image = Image.open(page_image).convert("L")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None

    def dark(x: float, y: float) -> bool:
        return pixels[int(x), int(y)] < 128  # type: ignore[operator]

    x0 = int(width * 0.6)
    top = next(y for y in range(height) if any(dark(x, y) for x in range(x0, width)))
    row = [x for x in range(x0, width) if dark(x, top + 2)]  # through both top finders
    left, right = min(row), max(row) + 1
    matrix = segno.make(url, error="m").matrix
    size = (right - left) / len(matrix)
    return sum(
        dark(left + (c + 0.5) * size, top + (r + 0.5) * size) != bool(module)
        for r, line in enumerate(matrix)
        for c, module in enumerate(line)
    )


@pytest.fixture(scope="module")
def letters(server: Server, tmp_path_factory: pytest.TempPathFactory) -> list[Letter]:
    """Four letters for 幸福社区, read back from the PDF (codes from its text, each QR code
    checked against the redemption link); each test takes its own with ``pop()``."""
    folder = tmp_path_factory.mktemp("letters")
    pdf = folder / "letters.pdf"
    out = deliberate(
        server,
        *("letters", "issue", "--area", LETTER_AREA, "--count", "4", "--out", str(pdf)),
        *("--site-url", server.base_url),
    )
    assert f"4 letters for {LETTER_AREA}" in out, out
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    codes = CODE.findall(text)
    assert len(codes) == 4 and len(set(codes)) == 4, text
    assert text.count("幸福社区") == 4, text
    assert f"{server.base_url}/identity/letter" in text, text  # for those who cannot scan
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "200", str(pdf), str(folder / "page")],
        check=True,
        capture_output=True,
    )
    pages = sorted(folder.glob("page-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert len(pages) == 4, pages
    found = [Letter(code, f"{server.base_url}/identity/letter?code={code}") for code in codes]
    for index, (page_image, letter) in enumerate(zip(pages, found, strict=True)):
        assert qr_mismatches(page_image, letter.link) == 0, f"QR code on page {index + 1}"
        other = found[(index + 1) % len(found)]
        assert qr_mismatches(page_image, other.link) > 0  # the comparison tells codes apart
    return found


def id_number(sequence: int) -> str:
    first17 = f"330106{19800101}{sequence:03d}"
    return first17 + check_digit(first17)


@pytest.fixture(scope="module")
def census_roll(server: Server, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three numbers imported for 光明社区 with the roll of the whole demo city."""
    numbers = [id_number(sequence) for sequence in (1, 2, 3)]
    roll = tmp_path_factory.mktemp("census") / "roll.csv"
    roll.write_text(
        "id_number,area_code\n" + "".join(f"{n},{CENSUS_AREA}\n" for n in numbers),
        encoding="utf-8",
    )
    out = deliberate(server, "census", "import", str(roll), "--area", "demo")
    assert "3 accepted, 0 rejected, 0 duplicates" in out, out
    assert not any(number in out for number in numbers)
    return numbers


# --- The resident's side ---------------------------------------------------------------


def new_identity(lang: str, tag: str) -> tuple[str, str]:
    suffix = uuid4().hex[:8]
    name = f"核实居民 {suffix}" if lang == "zh-CN" else f"Verify Tester {suffix}"
    return f"verify-{tag}-{suffix}@example.org", name


def sign_up(
    browser: Browser,
    server: Server,
    admin_state: Path,
    page: Page,
    lang: str,
    tag: str,
    *,
    axe: bool = True,
) -> tuple[str, str]:
    """Register on ``page`` and confirm with the code an admin reads in the outbox (the
    admin keeps JavaScript, for axe). Returns the login and display name."""
    email, name = new_identity(lang, tag)
    register(page, lang, email, name, axe=axe)
    admin = new_context(browser, server, storage_state=str(admin_state))
    try:
        code = read_confirmation_code(admin, email)
    finally:
        admin.close()
    confirm(page, code)
    check_page(page, lang, axe=axe)
    return email, name


def residences(page: Page) -> list[str]:
    """The verified residences listed on the account page."""
    page.goto("/accounts")
    assert path_of(page) == "/accounts", page.url
    return [text.strip() for text in page.locator(f"{RESIDENCE} ul li").all_inner_texts()]


def assert_verified_in(page: Page, lang: str, area_name: str, *, axe: bool = True) -> None:
    """``page`` is the account page the server sent after a verification."""
    assert path_of(page) == "/accounts", page.url
    assert parse_qs(urlparse(page.url).query).get("verified") == ["1"], page.url
    check_page(page, lang, axe=axe)
    expect(page.locator(f"{RESIDENCE} .notice")).to_have_count(1)
    expect(page.locator(f"{RESIDENCE} ul li").filter(has_text=area_name)).to_have_count(1)


def open_verify_page(page: Page, lang: str, *, axe: bool = True) -> None:
    response = page.goto(with_lang("/identity/verify", lang))
    assert response is not None and response.status == 200
    assert path_of(page) == "/identity/verify", page.url
    check_page(page, lang, axe=axe)


def redeem_typed(page: Page, lang: str, code: str, *, axe: bool = True) -> None:
    """From the verification page, by its link, to the letter form; type the code in lower
    case (as people do) and send it."""
    open_verify_page(page, lang, axe=axe)
    with page.expect_navigation():
        page.locator('main a[href="/identity/letter"]').click()
    assert path_of(page) == "/identity/letter", page.url
    check_page(page, lang, axe=axe)
    expect(page.locator("#field-code")).to_have_value("")
    page.fill("#field-code", code.lower())
    submit(page, LETTER_FORM)
    assert_verified_in(page, lang, LETTER_AREA_NAMES[lang], axe=axe)


@dataclass(frozen=True)
class Resident:
    login: str
    name: str
    state: Path


@pytest.fixture(scope="module")
def second_resident(
    browser: Browser,
    server: Server,
    signed_in_states: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Resident:
    """A confirmed resident shared by two tests, to stay within the registration limit."""
    context = new_context(browser, server)
    try:
        page = context.new_page()
        login, name = sign_up(browser, server, signed_in_states["admin"], page, "zh-CN", "shared")
        state = tmp_path_factory.mktemp("residents") / "second.json"
        context.storage_state(path=str(state))
    finally:
        context.close()
    return Resident(login, name, state)


@pytest.fixture
def person_context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    context = new_context(browser, server)
    try:
        yield context
    finally:
        context.close()


# --- The tests -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_letter_code_typed(
    browser: Browser,
    server: Server,
    signed_in_states: dict[str, Path],
    letters: list[Letter],
    person_context: BrowserContext,
    lang: str,
) -> None:
    letter = letters.pop()
    page = person_context.new_page()
    sign_up(browser, server, signed_in_states["admin"], page, lang, "letter")
    redeem_typed(page, lang, letter.code)

    # The verification page now says so too.
    open_verify_page(page, lang)
    expect(page.locator("main section[aria-labelledby=current-heading] li")).to_contain_text(
        LETTER_AREA_NAMES[lang]
    )


def test_letter_code_through_the_qr_link(
    browser: Browser,
    server: Server,
    signed_in_states: dict[str, Path],
    letters: list[Letter],
    second_resident: Resident,
) -> None:
    letter = letters.pop()
    lang = "zh-CN"
    registering = new_context(browser, server)
    try:
        login, _name = sign_up(
            browser, server, signed_in_states["admin"], registering.new_page(), lang, "qr"
        )
    finally:
        registering.close()

    # Later, signed out, the person scans the letter.
    scanning = new_context(browser, server, locale=lang)
    try:
        page = scanning.new_page()
        page.goto(letter.link)
        assert path_of(page) == "/accounts/login", page.url
        assert parse_qs(urlparse(page.url).query)["next"] == [
            f"/identity/letter?code={letter.code}"
        ]
        check_page(page, lang)
        page.fill("#field-login", login)
        page.fill("#field-password", PASSPHRASE)
        submit(page, 'form[action="/accounts/login"]')
        assert path_of(page) == "/identity/letter", page.url
        check_page(page, lang)
        expect(page.locator("#field-code")).to_have_value(letter.code)
        submit(page, LETTER_FORM)
        assert_verified_in(page, lang, LETTER_AREA_NAMES[lang])
    finally:
        scanning.close()

    # The same letter again, by someone else: refused, and they stay as they were.
    other = new_context(browser, server, storage_state=str(second_resident.state))
    try:
        page = other.new_page()
        before = residences(page)
        assert not any(LETTER_AREA_NAMES[lang] in item for item in before), before
        page.goto(letter.link)
        assert path_of(page) == "/identity/letter", page.url
        expect(page.locator("#field-code")).to_have_value(letter.code)
        with page.expect_navigation() as navigation:
            page.locator(f"main {LETTER_FORM} button[type=submit]").click()
        response = navigation.value
        assert response is not None and response.status == 400
        assert path_of(page) == "/identity/letter", page.url
        check_page(page, lang)
        summary = page.locator(".error-summary")
        expect(summary).to_have_count(1)
        expect(summary).to_have_attribute("role", "alert")
        expect(summary.locator('li a[href="#field-code"]')).to_have_count(1)
        expect(page.locator("#field-code")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#error-code")).to_be_visible()
        assert residences(page) == before
    finally:
        other.close()


def test_census_match(
    browser: Browser, server: Server, census_roll: list[str], second_resident: Resident
) -> None:
    lang = "zh-CN"
    number = census_roll[0]
    context = new_context(browser, server, storage_state=str(second_resident.state))
    try:
        page = context.new_page()
        open_verify_page(page, lang)
        page.check("#field-consent")
        page.fill("#field-id_number", number)
        submit(page, 'form[action="/identity/verify/census"]')
        assert_verified_in(page, lang, CENSUS_AREA_NAME)
        assert number not in page.content()
        assert number not in page.url
    finally:
        context.close()
    assert number not in server.log.read_text(encoding="utf-8", errors="replace")


def test_officer_confirms_at_the_counter(
    browser: Browser,
    server: Server,
    signed_in_states: dict[str, Path],
    person_context: BrowserContext,
) -> None:
    lang = "zh-CN"
    area_name = LETTER_AREA_NAMES[lang]
    page = person_context.new_page()
    login, name = sign_up(browser, server, signed_in_states["admin"], page, lang, "counter")
    open_verify_page(page, lang)
    page.select_option("#field-area", label=area_name)
    submit(page, 'form[action="/identity/verify/in-person"]')
    assert path_of(page) == "/identity/verify", page.url
    assert "requested=1" in page.url
    check_page(page, lang)
    callout = page.locator("main .callout[role=status]").filter(has_text="申请编号")
    expect(callout).to_have_count(1)
    callout_text = callout.inner_text()
    assert area_name in callout_text, callout_text
    match = re.search(r"(?:申请编号|Request number)\s*(\d+)", callout_text)
    assert match, callout_text
    request_id = match.group(1)

    officer = new_context(browser, server, storage_state=str(signed_in_states["officer"]))
    try:
        desk = officer.new_page()
        response = desk.goto("/identity/officer")
        assert response is not None and response.status == 200
        assert path_of(desk) == "/identity/officer", desk.url
        check_page(desk, None)  # the officer's own language applies here
        article = desk.locator("main article.message").filter(
            has=desk.locator(f"#checked-{request_id}")
        )
        expect(article).to_have_count(1)
        expect(article.locator("h3")).to_contain_text(name)
        assert login not in article.inner_text()  # officers see a masked login only
        article.locator(f"#checked-{request_id}").check()
        article.locator(f"#year-{request_id}").fill("1980")
        with desk.expect_navigation():
            article.locator(
                "form:has(input[name=action][value=confirm]) button[type=submit]"
            ).click()
        assert path_of(desk) == "/identity/officer", desk.url
        assert parse_qs(urlparse(desk.url).query).get("done") == ["1"], desk.url
        check_page(desk, None)
        expect(desk.locator("main .notice")).to_have_count(1)
        expect(desk.locator(f"#checked-{request_id}")).to_have_count(0)
        expect(
            desk.locator("main section[aria-labelledby=verified-heading] tbody tr").filter(
                has_text=name
            )
        ).to_have_count(1)
    finally:
        officer.close()

    assert any(area_name in item for item in residences(page)), page.content()
    check_page(page, lang)
    open_verify_page(page, lang)
    expect(page.locator("main .callout[role=status]").filter(has_text="申请编号")).to_have_count(0)


def test_verification_without_javascript(
    browser: Browser, server: Server, signed_in_states: dict[str, Path], letters: list[Letter]
) -> None:
    lang = "en"
    letter = letters.pop()
    context = browser.new_context(base_url=server.base_url, java_script_enabled=False, locale=lang)
    try:
        page = context.new_page()
        sign_up(browser, server, signed_in_states["admin"], page, lang, "nojs", axe=False)
        redeem_typed(page, lang, letter.code, axe=False)
    finally:
        context.close()
