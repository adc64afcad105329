"""Minutes from compiling to checking a copy, in real Chromium against the real server,
with JavaScript (htmx polls the rendering's progress fragment, then sends the page to the
published version) and without (the plain "Refresh" link reloads the page until it is
published):

the committee's chair (2FA; the demo committee has no secretary, and the chair may compile
too) opens consultation 2 「幸福社区停车管理办法（试行）」 (the demo's own minutes are
consultation 1's: this file leaves them alone), follows the committee's link to the
minutes, compiles them, reads the draft's preview, approves it; the server's background
loop renders and signs it (nothing here runs the job), and the page shows the progress
until the version is published. The chair downloads the signed PDF (its SHA-256 is the
one the page and the database show); anyone uploads it to ``/verify`` and reads that it
is authentic, then a copy with one flipped byte and reads that it was altered. The
consultation's page lists the version. The second run compiles an amendment (the first
run's version is then listed as superseded); each run works whatever came before.

Every page on the way has its language, one h1, no sideways scrolling at the viewport
used, zero axe-core violations and zero CSP violations (pages shown without JavaScript are
replayed in a JavaScript-enabled page for axe, as in test_hearing_flow.py).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect
from sqlmodel import col, select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.minutes.models import Minutes
from tests.browser.conftest import Server
from tests.browser.test_account_flow import path_of
from tests.browser.test_hearing_flow import Inspector, follow, in_server_db, submit, t, visit
from tests.minutes.conftest import flip_signed_byte

pytestmark = pytest.mark.browser

CONSULTATION = 2  # 幸福社区停车管理办法（试行）: published, run by the demo committee
CHAIR_LANG = "zh-CN"  # the chair's own language setting beats the browser's
PUBLISHED_WITHIN_S = 60  # the quality bar (2,000 comments); this one is small
AUTHENTIC = "This is an authentic published version of the minutes."
ALTERED = "The file was altered after it was signed: it is not authentic."


@dataclass(frozen=True)
class Run:
    js: bool
    lang: str
    width: int

    @property
    def tag(self) -> str:
        return f"{'js' if self.js else 'nojs'}-{self.lang.lower()}"


RUNS = (Run(js=True, lang="zh-CN", width=360), Run(js=False, lang="en", width=1024))


@pytest.fixture
def inspector(browser, server: Server, run: Run):
    inspector = Inspector(browser, server, run.js, run.width)
    try:
        yield inspector
    finally:
        inspector.close()


def stored(server: Server, consultation_id: int) -> list[Minutes]:
    async def work(database: Database, _settings: Settings) -> list[Minutes]:
        async with database.read() as session:
            rows = await session.exec(
                select(Minutes)
                .where(Minutes.consultation_id == consultation_id)
                .order_by(col(Minutes.version))
            )
            return list(rows.all())

    return in_server_db(server, work)


def state_of(page: Page) -> str:
    return page.locator("main [data-state]").get_attribute("data-state") or ""


def wait_published_with_htmx(inspector: Inspector, page: Page, minutes_id: int) -> int:
    """JavaScript on: htmx polls the fragment every 2 s, in place, until the server sends
    the page to the published version. Returns how many fragments came."""
    fragments: list[Response] = []

    def seen(response: Response) -> None:
        if response.url.endswith(f"/minutes/{minutes_id}/progress"):
            fragments.append(response)

    page.on("response", seen)
    url = page.url
    page.evaluate("() => { window.__marker = 'still here'; }")
    first: Response = page.wait_for_event(
        "response", predicate=lambda r: r.url.endswith(f"/minutes/{minutes_id}/progress")
    )
    if not first.headers.get("hx-redirect"):
        # Still rendering: the fragment was replaced in place, the page not reloaded.
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__marker") == "still here" and page.url == url
        inspector.check_in_place(page, "#minutes-progress")
    page.wait_for_url(re.compile(rf"/minutes/{minutes_id}$"), timeout=PUBLISHED_WITHIN_S * 1000)
    inspector.check(page, CHAIR_LANG)
    assert fragments, "the progress fragment was never asked for"
    for response in fragments:
        assert response.status == 200
        assert response.request.headers.get("hx-request") == "true"
    assert fragments[-1].headers.get("hx-redirect") == f"/minutes/{minutes_id}"
    return len(fragments)


def wait_published_by_refreshing(inspector: Inspector, page: Page) -> int:
    """JavaScript off: the "Refresh" link reloads the page until it is published."""
    deadline = time.monotonic() + PUBLISHED_WITHIN_S
    reloads = 0
    while state_of(page) != "published":
        assert time.monotonic() < deadline, "not published in time"
        progress = page.locator("main #minutes-progress")
        expect(progress.locator("[role=status]")).to_be_visible()
        time.sleep(1)
        follow(
            inspector, page, progress.get_by_role("link", name=t(CHAIR_LANG, "Refresh")), CHAIR_LANG
        )
        reloads += 1
    return reloads


@pytest.mark.parametrize("run", RUNS, ids=lambda run: run.tag)
def test_compile_watch_approve_download_and_verify(
    server: Server,
    signed_in_states: dict[str, Path],
    inspector: Inspector,
    run: Run,
    tmp_path: Path,
) -> None:
    lang, js = run.lang, run.js
    consultation = f"/consultations/{CONSULTATION}"
    listing = f"{consultation}/minutes"
    before = [m for m in stored(server, CONSULTATION) if m.state == "published"]

    # 1. The chair follows the committee's link from the consultation to its minutes.
    chair = inspector.context(lang, storage_state=str(signed_in_states["chair"])).new_page()
    visit(inspector, chair, consultation, CHAIR_LANG)
    tools = chair.locator("main section[aria-labelledby=tools-heading]")
    follow(
        inspector,
        chair,
        tools.get_by_role("link", name=t(CHAIR_LANG, "Versions of the minutes")),
        CHAIR_LANG,
    )
    assert path_of(chair) == listing, chair.url
    button = chair.locator(f'main form[action="{listing}/"] button[type=submit]')
    expected = "Compile an amended version" if before else "Compile the minutes"
    expect(button).to_have_text(t(CHAIR_LANG, expected))

    # 2. Compiling makes a draft, previewed on its page with the approval form.
    submit(inspector, chair, f'form[action="{listing}/"]', CHAIR_LANG)
    match = re.fullmatch(r"/minutes/(\d+)", path_of(chair))
    assert match and "compiled=1" in chair.url, chair.url
    minutes_id = int(match.group(1))
    assert state_of(chair) == "draft"
    expect(chair.locator("main .notice")).to_have_text(
        t(CHAIR_LANG, "The draft is compiled. Check it below; the chair approves it.")
    )
    expect(chair.locator("main .minutes-preview")).to_contain_text("幸福社区停车管理办法（试行）")
    version = len(before) + 1
    expect(chair.locator("main h1")).to_have_text(
        t(CHAIR_LANG, "Minutes, version %(number)s", number=version)
    )

    # 3. The chair approves; the page shows the rendering's progress at once.
    submit(inspector, chair, f'form[action="/minutes/{minutes_id}/approve"]', CHAIR_LANG)
    assert path_of(chair) == f"/minutes/{minutes_id}" and "approved=1" in chair.url
    assert state_of(chair) in ("approved", "rendering")
    progress = chair.locator("main #minutes-progress")
    expect(progress.locator("[role=status]")).to_be_visible()
    expect(progress.locator("progress")).to_have_count(1)
    expect(progress.get_by_role("link", name=t(CHAIR_LANG, "Refresh"))).to_have_attribute(
        "href", f"/minutes/{minutes_id}"
    )
    if js:
        expect(progress).to_have_attribute("hx-trigger", "every 2s")
        assert wait_published_with_htmx(inspector, chair, minutes_id) >= 1
    else:
        assert wait_published_by_refreshing(inspector, chair) >= 1
    assert path_of(chair) == f"/minutes/{minutes_id}"
    assert state_of(chair) == "published"
    expect(chair.locator("main #minutes-progress")).to_have_count(0)

    # 4. The chair downloads the signed PDF: the file the page and the database name.
    with chair.expect_download() as waiting:
        chair.get_by_role("link", name=t(CHAIR_LANG, "Download the signed PDF")).click()
    download = waiting.value
    assert download.suggested_filename == f"minutes-{CONSULTATION}-v{version}.pdf"
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    digest = hashlib.sha256(data).hexdigest()
    assert digest in chair.locator("main dl.facts").first.inner_text()  # then the record
    rows = {m.id: m for m in stored(server, CONSULTATION)}
    assert rows[minutes_id].state == "published" and rows[minutes_id].pdf_sha256 == digest
    assert all(rows[m.id].state == "superseded" for m in before)

    # 5. Anyone uploads it to /verify: authentic. A copy with one flipped byte: altered.
    anyone = inspector.context(lang).new_page()
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(flip_signed_byte(data))
    for upload, outcome, explanation in (
        (pdf, "authentic", AUTHENTIC),
        (altered, "altered", ALTERED),
    ):
        visit(inspector, anyone, "/verify", lang)
        anyone.set_input_files("main #file", str(upload))
        submit(inspector, anyone, 'form[action="/verify/"]', lang)
        result = anyone.locator("main .verify-result")
        expect(result).to_have_attribute("data-outcome", outcome)
        expect(result.locator("[role=status]")).to_have_text(t(lang, explanation))
        expect(result).to_contain_text(hashlib.sha256(upload.read_bytes()).hexdigest())
        if outcome == "authentic":
            expect(result.get_by_role("link", name="幸福社区停车管理办法（试行）")).to_have_count(1)
            expect(result.locator(f'a[href="/minutes/{minutes_id}"]')).to_have_text(
                t(lang, "Version %(number)s", number=version)
            )
            expect(result).to_contain_text(t(lang, "This is the current version."))

    # 6. The consultation's page lists the published version, and any it superseded.
    visit(inspector, anyone, consultation, lang)
    section = anyone.locator("main section[aria-labelledby=minutes-heading]")
    row = section.locator("tbody tr").filter(has=anyone.locator(f'a[href="/minutes/{minutes_id}"]'))
    expect(row).to_contain_text(t(lang, "Published, signed"))
    for old in before:
        old_row = section.locator("tbody tr").filter(
            has=anyone.locator(f'a[href="/minutes/{old.id}"]')
        )
        expect(old_row).to_contain_text(t(lang, "Superseded"))
    expect(anyone.locator("main section[aria-labelledby=tools-heading]")).to_have_count(0)
