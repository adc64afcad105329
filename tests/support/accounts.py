"""Account factories and HTTP helpers for tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send
from sqlalchemy import update
from sqlmodel import col, select

from deliberate.accounts.admin_tasks import add_committee_member, create_user
from deliberate.accounts.models import User
from deliberate.accounts.tokens import Keys
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.identity.models import Area, Committee
from deliberate.mail.models import OutboxMessage

PASSWORD = "correct horse battery staple"
# argon2id at its lowest cost, for tests that make accounts but do not test hashing (the
# production cost takes 0.13 s a hash); see ``cheap_argon2`` in tests/conftest.py.
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
TEST_PEER_HEADER = "x-test-peer"


class PeerShim:
    """Lets a test choose the client's address (the network peer), as a real server
    would see it, with the header ``x-test-peer``. Everything else passes through."""

    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == TEST_PEER_HEADER.encode():
                    scope["client"] = (value.decode(), 40000)  # type: ignore[typeddict-item]
        await self.app(scope, receive, send)


@dataclass
class Person:
    user: User
    login: str
    password: str
    totp_secret: str | None = None

    def totp_code(self, offset_steps: int = 0) -> str:
        assert self.totp_secret
        totp = pyotp.TOTP(self.totp_secret)
        import time

        return totp.at(time.time() + offset_steps * 30)


async def make_person(
    database: Database,
    settings: Settings,
    login: str,
    *,
    role: str = "resident",
    password: str = PASSWORD,
    totp: bool = False,
    confirmed: bool = True,
    committee_role: str | None = None,
    committee_name: str | None = None,
    locale: str = "zh_CN",
) -> Person:
    """A person with the given roles. With ``committee_name`` they join that existing
    committee; otherwise a committee of the "demo" area is made for them."""
    if role == "officer" or committee_role:
        await _ensure_demo_area(database)
    user = await create_user(
        database,
        login=login,
        password=password,
        role=role,
        locale=locale,
        area_code="demo" if role == "officer" else None,
    )
    secret = None
    async with database.write() as session:
        values: dict[str, Any] = {}
        if totp:
            secret = pyotp.random_base32(32)
            values.update(
                totp_secret=Keys(settings.secret_key).encrypt_totp(secret),
                totp_enabled_at=user.created_at,
            )
        if not confirmed:
            values["confirmed_at"] = None
        if values:
            await session.exec(update(User).where(col(User.id) == user.id).values(**values))
    if committee_role:
        async with database.write() as session:
            committee = None
            if committee_name:
                committee = (
                    await session.exec(select(Committee).where(Committee.name == committee_name))
                ).one()
            else:
                area = (await session.exec(select(Area).where(Area.code == "demo"))).one()
                committee = Committee(area_id=area.id, name="测试居委会")  # type: ignore[arg-type]
                session.add(committee)
        await add_committee_member(database, user=user, committee=committee, role=committee_role)
    async with database.read() as session:
        user = (await session.exec(select(User).where(User.id == user.id))).one()
    return Person(user, login, password, secret)


async def _ensure_demo_area(database: Database) -> None:
    async with database.write() as session:
        if (await session.exec(select(Area).where(Area.code == "demo"))).first() is None:
            session.add(Area(code="demo", name="示范市", kind="city"))


def csrf_from(markup: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]*)"', markup)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def post_form(
    client: AsyncTestClient[Any],
    path: str,
    data: dict[str, str],
    *,
    page: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """GET the page (for the CSRF token), then POST the form as a browser would."""
    markup = (await client.get(page or path, headers=headers)).text
    return await client.post(path, data={**data, "_csrf_token": csrf_from(markup)}, headers=headers)


async def sign_in(
    client: AsyncTestClient[Any],
    person: Person,
    *,
    password: str | None = None,
    headers: dict[str, str] | None = None,
    page: str | None = None,
) -> Any:
    return await post_form(
        client,
        "/accounts/login",
        {"login": person.login, "password": password or person.password},
        headers=headers,
        page=page,
    )


async def last_message_to(database: Database, recipient: str) -> OutboxMessage:
    async with database.read() as session:
        return (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == recipient)
                .order_by(col(OutboxMessage.id).desc())
            )
        ).first()  # type: ignore[return-value]


class Browsers:
    """Several browsers through one test client: each has its own cookie jar.

    (Two test clients on one app would run it on two event loops, which no real server
    does.) ``with browsers.use("bob"):`` switches jars for the block."""

    def __init__(self, client: AsyncTestClient[Any]) -> None:
        self.client = client
        self.jars: dict[str, httpx.Cookies] = {}

    @contextmanager
    def use(self, name: str) -> Iterator[AsyncTestClient[Any]]:
        saved = httpx.Cookies(self.client.cookies)
        self.client.cookies = self.jars.get(name, httpx.Cookies())
        try:
            yield self.client
        finally:
            self.jars[name] = httpx.Cookies(self.client.cookies)
            self.client.cookies = saved
