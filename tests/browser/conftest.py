"""A real server (`deliberate run`) and real headless Chromium (Debian's /usr/bin/chromium
driven by Playwright; never `playwright install`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from sqlmodel import select

from deliberate.accounts import passwords
from deliberate.accounts.models import User
from deliberate.accounts.tokens import Keys
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.demo import DEMO_COMMITTEE
from tests.support.accounts import PASSWORD, Person, make_person
from tests.support.serving import deliberate_run

CHROMIUM = os.environ.get("DELIBERATE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VENDOR = Path(__file__).parent / "vendor"
AXE = VENDOR / "axe-4.14.1.min.js"
# Collects CSP violations from the first moment of each page (runs before page scripts).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


class Server:
    def __init__(self, base_url: str, log: Path, people: dict[str, Person]) -> None:
        self.base_url = base_url
        self.log = log
        self.people = people

    @property
    def data_dir(self) -> Path:
        """The server's DELIBERATE_DATA_DIR (its SQLite database and keys are there)."""
        return self.log.parent


# The people the page registry visits as (tests/pages.py); "pending" is an admin who
# gave the password but not yet the code.
ROLES = {
    "resident": {"login": "resident@example.org"},
    "unconfirmed": {"login": "unconfirmed@example.org", "confirmed": False},
    "admin": {"login": "admin@example.org", "role": "admin", "totp": True},
    "chair": {
        "login": "chair@example.org",
        "totp": True,
        "committee_role": "chair",
        "committee_name": DEMO_COMMITTEE[0],  # runs the demo consultation
    },
    "pending": {"login": "pending@example.org", "role": "admin", "totp": True},
    "officer": {"login": "officer@example.org", "role": "officer", "totp": True},
    # The demo's expert A (an ExpertCredential of the demo committee, so privileged): the
    # demo gives no password, so the tests set one and a second factor on that account.
    "expert": {"login": "expert@demo.invalid", "existing": True},
}


async def _take_over(database: Database, settings: Settings, login: str) -> Person:
    """An account the demo made: a known password and TOTP secret set on it directly."""
    secret = pyotp.random_base32(32)
    password_hash = await passwords.hash_password(PASSWORD)
    async with database.write() as session:
        user = (await session.exec(select(User).where(User.email == login))).one()
        user.password_hash = password_hash
        user.totp_secret = Keys(settings.secret_key).encrypt_totp(secret)
        user.totp_enabled_at = user.created_at
        session.add(user)
    async with database.read() as session:
        user = (await session.exec(select(User).where(User.email == login))).one()
    return Person(user, login, PASSWORD, secret)


async def _make_people(env: dict[str, str]) -> dict[str, Person]:
    settings = Settings.from_env(env)
    database = Database(settings.database_url)
    try:
        return {
            name: (
                await _take_over(database, settings, options["login"])  # type: ignore[arg-type]
                if options.get("existing")
                else await make_person(database, settings, **options)  # type: ignore[arg-type]
            )
            for name, options in ROLES.items()
        }
    finally:
        await database.dispose()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("browser-server")
    env = {**os.environ, "DELIBERATE_DATA_DIR": str(data), "DELIBERATE_ENV": "development"}
    env.pop("DELIBERATE_DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "deliberate", "migrate"], env=env, check=True, capture_output=True
    )
    subprocess.run(
        [sys.executable, "-m", "deliberate", "demo"], env=env, check=True, capture_output=True
    )
    # Playwright's sync API may already hold an event loop in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        people = pool.submit(asyncio.run, _make_people(env)).result()
    with deliberate_run(env, data / "server.log") as (_, port):
        yield Server(f"http://127.0.0.1:{port}", data / "server.log", people)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make test` (it installs chromium)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


def new_context(browser: Browser, server: Server, **options) -> BrowserContext:
    context = browser.new_context(base_url=server.base_url, **options)
    context.add_init_script(script=CSP_LISTENER)
    context.add_init_script(path=str(AXE))
    return context


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = new_context(browser, server)
    try:
        yield ctx
    finally:
        ctx.close()


def sign_in_browser(browser: Browser, server: Server, who: str, state_path: Path) -> None:
    """Sign in through the real pages (with the TOTP code when the person has one) and
    save the browser state for the page visits."""
    person = server.people[who]
    context = browser.new_context(base_url=server.base_url)
    try:
        page = context.new_page()
        page.goto("/accounts/login")
        page.fill("#field-login", person.login)
        page.fill("#field-password", person.password)
        page.click("main button[type=submit]")
        if person.totp_secret and who != "pending":
            page.wait_for_url("**/accounts/login/verify**")
            page.fill("#field-code", person.totp_code())
            page.click("main button[type=submit]")
            page.wait_for_url("**/accounts")
        context.storage_state(path=str(state_path))
    finally:
        context.close()


class SignedInStates(dict[str, Path]):
    """The saved browser state of each role, signed in once per package. A password-only
    sign-in ("pending": waiting for the code) lapses after a few minutes, so that one is
    signed in again when it is older than a minute: the suite runs longer than that."""

    FRESH_SECONDS = 60

    def __init__(self, browser: Browser, server: Server, folder: Path) -> None:
        super().__init__()
        self.browser, self.server = browser, server
        for who in ROLES:
            path = folder / f"{who}.json"
            sign_in_browser(browser, server, who, path)
            self[who] = path

    def __getitem__(self, who: str) -> Path:
        path = super().__getitem__(who)
        if who == "pending" and time.time() - path.stat().st_mtime > self.FRESH_SECONDS:
            sign_in_browser(self.browser, self.server, who, path)
        return path


@pytest.fixture(scope="package")
def signed_in_states(
    browser: Browser, server: Server, tmp_path_factory: pytest.TempPathFactory
) -> SignedInStates:
    return SignedInStates(browser, server, tmp_path_factory.mktemp("browser-states"))
