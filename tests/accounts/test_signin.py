"""Signing in: sessions, rotation, throttling, two-factor, password reset."""

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlmodel import col, select

from deliberate.accounts.middleware import DEVICE_COOKIE, SESSION_COOKIE
from deliberate.accounts.models import AccountToken, User, UserSession
from deliberate.accounts.tokens import session_hash
from deliberate.app import create_app
from deliberate.db import Database
from tests.conftest import BASE_URL, make_settings
from tests.support.accounts import PeerShim, last_message_to, post_form, sign_in


async def stored_session_hashes(database: Database) -> set[str]:
    async with database.read() as session:
        return set((await session.exec(select(UserSession.token_hash))).all())


async def test_sign_in_sets_secure_host_cookies(client, person) -> None:
    alice = await person("alice@example.org")
    response = await sign_in(client, alice)
    assert response.status_code == 303
    assert response.headers["location"] == "/accounts"
    cookies = response.headers.get_list("set-cookie")
    (session_cookie,) = [c for c in cookies if c.startswith(SESSION_COOKIE + "=")]
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=lax"):
        assert attribute in session_cookie
    assert "Domain" not in session_cookie and "Max-Age" not in session_cookie
    token = client.cookies.get(SESSION_COOKIE)
    assert len(token) >= 43  # 256 bits, URL-safe
    assert any(c.startswith(DEVICE_COOKIE + "=") for c in cookies)
    assert (await client.get("/accounts")).status_code == 200


async def test_session_id_rotates_at_sign_in_and_the_old_one_is_gone(
    client, person, database: Database
) -> None:
    alice = await person("alice@example.org")
    bob = await person("bob@example.org")
    await sign_in(client, alice)
    first = client.cookies.get(SESSION_COOKIE)
    assert session_hash(first) in await stored_session_hashes(database)
    await sign_in(client, bob, page="/")  # the same browser signs in again
    second = client.cookies.get(SESSION_COOKIE)
    assert second != first
    stored = await stored_session_hashes(database)
    assert session_hash(first) not in stored
    assert session_hash(second) in stored


async def test_a_planted_session_id_is_not_adopted(client, person, database: Database) -> None:
    alice = await person("alice@example.org")
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain="testserver.local")
    await sign_in(client, alice)
    assert client.cookies.get(SESSION_COOKIE) != "planted-by-an-attacker"
    assert session_hash("planted-by-an-attacker") not in await stored_session_hashes(database)


async def test_replaying_a_cookie_after_sign_out_is_signed_out(client, person) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    token = client.cookies.get(SESSION_COOKIE)
    signed_out = await post_form(client, "/accounts/logout", {}, page="/accounts")
    assert signed_out.status_code == 303
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    replay = await client.get("/accounts")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/accounts/login")


async def test_wrong_password_says_so_in_the_users_language(client, person) -> None:
    alice = await person("alice@example.org")
    response = await sign_in(client, alice, password="wrong password!")
    assert response.status_code == 400
    assert "登录账号或密码不正确" in response.text or "密码" in response.text
    assert 'value="alice@example.org"' in response.text
    assert "wrong password!" not in response.text


async def test_six_wrong_passwords_from_one_address_then_429_but_not_for_the_owner(
    client, person
) -> None:
    alice = await person("alice@example.org")
    attacker = {"x-test-peer": "203.0.113.66"}
    statuses = [
        (await sign_in(client, alice, password=f"guess number {i}", headers=attacker)).status_code
        for i in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    blocked = await sign_in(client, alice, password="guess again", headers=attacker)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.headers["ratelimit-limit"] == "5"
    assert blocked.headers["ratelimit-remaining"] == "0"
    assert "请求过于频繁" in blocked.text
    # Even the right password from that address waits...
    assert (await sign_in(client, alice, headers=attacker)).status_code == 429
    # ...but Alice, somewhere else, gets in.
    client.cookies.clear()
    home = {"x-test-peer": "198.51.100.7"}
    assert (await sign_in(client, alice, headers=home)).status_code == 303


async def test_a_forged_forwarded_for_does_not_reset_the_bucket(client, person) -> None:
    alice = await person("alice@example.org")
    peer = {"x-test-peer": "203.0.113.66"}
    for i in range(5):
        await sign_in(
            client,
            alice,
            password=f"guess {i}",
            headers={**peer, "x-forwarded-for": f"192.0.2.{i}"},
        )
    sixth = await sign_in(
        client, alice, password="guess 6", headers={**peer, "x-forwarded-for": "192.0.2.99"}
    )
    assert sixth.status_code == 429


async def test_trusted_proxy_passes_the_client_address(tmp_path, database_url, person) -> None:
    settings = make_settings(
        tmp_path / "proxy", database_url, DELIBERATE_TRUSTED_PROXIES="10.0.0.0/8"
    )
    alice = await person("alice@example.org")
    async with AsyncTestClient(app=PeerShim(create_app(settings)), base_url=BASE_URL) as c:  # type: ignore[arg-type]
        c.follow_redirects = False
        proxy = {"x-test-peer": "10.0.0.2"}
        for i in range(6):
            last = await sign_in(
                c,
                alice,
                password=f"guess {i}",
                headers={**proxy, "x-forwarded-for": "1.2.3.4, 203.0.113.9"},
            )
        assert last.status_code == 429
        # Another client behind the same proxy is not affected.
        ok = await sign_in(c, alice, headers={**proxy, "x-forwarded-for": "198.51.100.20"})
        assert ok.status_code == 303


async def test_many_addresses_slow_an_account_but_not_on_the_owners_device(client, person) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice, headers={"x-test-peer": "198.51.100.7"})
    device = client.cookies.get(DEVICE_COOKIE)
    assert device
    client.cookies.clear()
    for i in range(10):  # a botnet: one guess per address
        await sign_in(
            client, alice, password=f"guess {i}", headers={"x-test-peer": f"203.0.113.{i}"}
        )
    fresh = await sign_in(client, alice, headers={"x-test-peer": "192.0.2.200"})
    assert fresh.status_code == 429  # a new device must wait
    client.cookies.clear()
    client.cookies.set(DEVICE_COOKIE, device, domain="testserver.local")
    owner = await sign_in(client, alice, headers={"x-test-peer": "192.0.2.201"})
    assert owner.status_code == 303  # the device she used before is trusted


async def test_failed_sign_in_logs_one_line_without_the_password(client, person, caplog) -> None:
    alice = await person("alice@example.org")
    with caplog.at_level(logging.INFO, logger="deliberate.security"):
        await sign_in(client, alice, password="hunter2-secret\r\nFAKE line")
    lines = [r.getMessage() for r in caplog.records if r.name == "deliberate.security"]
    assert len(lines) == 1
    assert lines[0].startswith(f"login_failed user={alice.user.public_id} ip=")
    assert "hunter2" not in caplog.text and "alice@example.org" not in caplog.text


@pytest.mark.production_argon2
async def test_old_parameters_are_rehashed_at_sign_in(client, person, database: Database) -> None:
    alice = await person("alice@example.org")
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(alice.password)
    async with database.write() as session:
        await session.exec(
            update(User).where(col(User.id) == alice.user.id).values(password_hash=weak)
        )
    assert (await sign_in(client, alice)).status_code == 303
    async with database.read() as session:
        stored = (
            await session.exec(select(User.password_hash).where(User.id == alice.user.id))
        ).one()
    assert stored != weak and stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


# --- two-factor ---------------------------------------------------------------------


async def test_two_factor_sign_in_rotates_and_refuses_a_replayed_code(
    client, person, database: Database
) -> None:
    alice = await person("alice@example.org", totp=True)
    first = await sign_in(client, alice)
    assert first.headers["location"].startswith("/accounts/login/verify")
    password_only = client.cookies.get(SESSION_COOKIE)
    # A password-only session is not signed in anywhere else.
    assert (await client.get("/accounts")).headers["location"].startswith("/accounts/login/verify")

    code = alice.totp_code()
    verified = await post_form(client, "/accounts/login/verify", {"code": code})
    assert verified.status_code == 303
    rotated = client.cookies.get(SESSION_COOKIE)
    assert rotated != password_only
    stored = await stored_session_hashes(database)
    assert session_hash(password_only) not in stored and session_hash(rotated) in stored
    assert (await client.get("/accounts")).status_code == 200

    # Someone who saw the code uses it again at once: refused.
    client.cookies.clear()
    await sign_in(client, alice)
    replay = await post_form(client, "/accounts/login/verify", {"code": code})
    assert replay.status_code == 400


async def test_a_recovery_code_works_once(client, person, database: Database) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    start = await post_form(client, "/accounts/two-factor/start", {}, page="/accounts/two-factor")
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', start.text).group(1).replace(" ", "")
    import pyotp

    enrolled = await post_form(
        client, "/accounts/two-factor/enrol", {"code": pyotp.TOTP(key).now()}, page="/accounts"
    )
    assert enrolled.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", enrolled.text)
    assert len(codes) == 10 and len(set(codes)) == 10

    for attempt, expected in ((1, 303), (2, 400)):
        client.cookies.clear()
        await sign_in(client, alice)
        response = await post_form(client, "/accounts/login/verify", {"code": codes[0].upper()})
        assert response.status_code == expected, attempt


async def test_wrong_second_factor_codes_are_throttled(client, person) -> None:
    alice = await person("alice@example.org", totp=True)
    await sign_in(client, alice)
    statuses = []
    for _ in range(6):
        statuses.append(
            (await post_form(client, "/accounts/login/verify", {"code": "000000"})).status_code
        )
    assert statuses == [400] * 5 + [429]


# --- password reset -----------------------------------------------------------------


async def _reset_link(client, database: Database, login: str) -> str:
    sent = await post_form(client, "/accounts/password/forgot", {"login": login})
    assert sent.status_code == 200
    message = await last_message_to(database, login)
    return re.search(r"(/accounts/password/reset\?token=[\w-]+)", message.body).group(1)


async def test_reset_is_single_use_and_ends_sessions(client, person, database: Database) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    link = await _reset_link(client, database, "alice@example.org")
    assert (await client.get(link)).status_code == 200
    token = link.split("token=")[1]
    done = await post_form(
        client,
        "/accounts/password/reset",
        {"token": token, "password": "a brand new passphrase"},
        page=link,
    )
    assert done.status_code == 303
    assert await stored_session_hashes(database) == set()
    again = await client.get(link)
    assert again.status_code == 400
    assert "不再有效" in again.text or "无效" in again.text or again.text
    alice.password = "a brand new passphrase"
    assert (await sign_in(client, alice)).status_code == 303


async def test_unknown_login_gets_the_same_answer(client, database: Database) -> None:
    response = await post_form(client, "/accounts/password/forgot", {"login": "nobody@example.org"})
    assert response.status_code == 200
    assert await last_message_to(database, "nobody@example.org") is None


async def test_expired_reset_token_is_refused(client, person, database: Database) -> None:
    await person("alice@example.org")
    link = await _reset_link(client, database, "alice@example.org")
    async with database.write() as session:
        await session.exec(
            update(AccountToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert (await client.get(link)).status_code == 400
    token = link.split("token=")[1]
    markup = (await client.get("/accounts/password/forgot")).text
    from tests.support.accounts import csrf_from

    response = await client.post(
        "/accounts/password/reset",
        data={
            "token": token,
            "password": "another new passphrase",
            "_csrf_token": csrf_from(markup),
        },
    )
    assert response.status_code == 400


async def test_reset_does_not_bypass_two_factor(client, person, database: Database) -> None:
    alice = await person("alice@example.org", totp=True)
    link = await _reset_link(client, database, "alice@example.org")
    token = link.split("token=")[1]
    await post_form(
        client,
        "/accounts/password/reset",
        {"token": token, "password": "a brand new passphrase"},
        page=link,
    )
    alice.password = "a brand new passphrase"
    response = await sign_in(client, alice)
    assert response.headers["location"].startswith("/accounts/login/verify")
