"""The person's own account: settings, password, sessions, export, deletion, expiry."""

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from deliberate.accounts.middleware import SESSION_COOKIE
from deliberate.accounts.models import User, UserSession
from deliberate.audit.models import AuditEvent
from deliberate.db import Database
from tests.support.accounts import Browsers, post_form, sign_in
from tests.support.html import read_page


async def test_settings_change_language_and_ignore_mass_assignment(
    client, person, database: Database
) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    saved = await post_form(
        client,
        "/accounts/settings",
        {
            "display_name": "Alice",
            "locale": "en",
            "publish_name": "yes",
            "role": "admin",
            "email": "evil@example.org",
            "confirmed_at": "",
        },
        page="/accounts",
    )
    assert saved.status_code == 303
    assert any(c.startswith("__Host-lang=en") for c in saved.headers.get_list("set-cookie"))
    async with database.read() as session:
        user = (await session.exec(select(User).where(User.id == alice.user.id))).one()
    assert (user.display_name, user.locale, user.publish_name) == ("Alice", "en", True)
    assert (user.role, user.email) == ("resident", "alice@example.org")
    assert read_page((await client.get("/accounts")).text).lang == "en"


async def test_a_10000_character_name_is_refused_with_the_form_kept(client, person) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    response = await post_form(
        client,
        "/accounts/settings",
        {"display_name": "名" * 10_000, "locale": "zh_CN"},
        page="/accounts",
    )
    assert response.status_code == 400
    assert "60" in read_page(response.text).text


async def test_password_change_ends_other_sessions(client, person) -> None:
    alice = await person("alice@example.org")
    browsers = Browsers(client)
    with browsers.use("phone") as phone:
        await sign_in(phone, alice)
        assert (await phone.get("/accounts")).status_code == 200
    await sign_in(client, alice)
    before = client.cookies.get(SESSION_COOKIE)
    changed = await post_form(
        client,
        "/accounts/password",
        {"current_password": alice.password, "new_password": "an entirely new passphrase"},
    )
    assert changed.status_code == 303
    assert client.cookies.get(SESSION_COOKIE) != before  # this one rotated...
    assert (await client.get("/accounts")).status_code == 200
    with browsers.use("phone") as phone:
        assert (await phone.get("/accounts")).status_code == 303  # ...the other ended


async def test_wrong_current_password_is_refused(client, person) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    response = await post_form(
        client,
        "/accounts/password",
        {"current_password": "not it at all", "new_password": "an entirely new passphrase"},
    )
    assert response.status_code == 400


async def test_someone_elses_session_is_not_found(client, person, database: Database) -> None:
    alice = await person("alice@example.org")
    bob = await person("bob@example.org")
    browsers = Browsers(client)
    with browsers.use("bob") as bob_browser:
        await sign_in(bob_browser, bob)
    async with database.read() as session:
        bobs = (
            await session.exec(select(UserSession).where(UserSession.user_id == bob.user.id))
        ).one()
    await sign_in(client, alice)
    response = await post_form(
        client, f"/accounts/sessions/{bobs.id}/end", {}, page="/accounts/sessions"
    )
    assert response.status_code == 404
    async with database.read() as session:
        assert await session.get(UserSession, bobs.id) is not None


async def test_sign_out_everywhere_else(client, person) -> None:
    alice = await person("alice@example.org")
    browsers = Browsers(client)
    with browsers.use("phone") as phone:
        await sign_in(phone, alice)
    await sign_in(client, alice)
    sessions_page = await client.get("/accounts/sessions")
    assert sessions_page.text.count('/end"') == 2
    await post_form(client, "/accounts/sessions/end-others", {}, page="/accounts/sessions")
    assert (await client.get("/accounts")).status_code == 200
    with browsers.use("phone") as phone:
        assert (await phone.get("/accounts")).status_code == 303


async def test_export_holds_my_data_and_nobody_elses(client, person) -> None:
    alice = await person("alice@example.org")
    await person("bob@example.org")
    await sign_in(client, alice)
    response = await post_form(client, "/accounts/data", {}, page="/accounts/data")
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["account"]["email"] == "alice@example.org"
    assert data["account"]["privacy_notice"]["version"]
    assert len(data["sessions"]) == 1
    assert "auth.login" in {e["action"] for e in data["audit_events"]}
    assert "bob@example.org" not in response.text
    assert "password_hash" not in response.text and "$argon2" not in response.text


async def test_delete_account_keeps_the_record_without_personal_data(
    client, person, database: Database
) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    refused = await post_form(client, "/accounts/delete", {"password": "wrong", "confirm": "yes"})
    assert refused.status_code == 400
    unticked = await post_form(client, "/accounts/delete", {"password": alice.password})
    assert unticked.status_code == 400
    deleted = await post_form(
        client, "/accounts/delete", {"password": alice.password, "confirm": "yes"}
    )
    assert deleted.status_code == 303
    async with database.read() as session:
        user = (await session.exec(select(User).where(User.id == alice.user.id))).one()
        sessions = (await session.exec(select(UserSession))).all()
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert user.deleted_at is not None
    assert (user.email, user.phone, user.display_name, user.password_hash) == (None, None, "", None)
    assert sessions == []
    assert "account.delete" in actions
    assert (await sign_in(client, alice)).status_code == 400
    # The address is free again.
    again = await post_form(
        client,
        "/accounts/register",
        {
            "login": "alice@example.org",
            "display_name": "Alice again",
            "password": "yet another passphrase",
            "accept_privacy": "yes",
        },
    )
    assert again.status_code == 303


async def test_idle_session_ends_with_a_message(client, person, database: Database) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    async with database.write() as session:
        await session.exec(
            update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31))
        )
    response = await client.get("/accounts")
    assert response.status_code == 303
    assert any(
        c.startswith(f"{SESSION_COOKIE}=;") or f'{SESSION_COOKIE}="";' in c
        for c in response.headers.get_list("set-cookie")
    )
    async with database.read() as session:
        assert (await session.exec(select(UserSession))).all() == []


async def test_absolute_lifetime_ends_an_active_session(client, person, database: Database) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    async with database.write() as session:
        await session.exec(
            update(UserSession).values(
                created_at=datetime.now(UTC) - timedelta(hours=12, minutes=1)
            )
        )
    assert (await client.get("/accounts")).status_code == 303


async def test_privileged_idle_limit_is_shorter(client, person, database: Database) -> None:
    admin = await person("admin@example.org", role="admin", totp=True)
    await sign_in(client, admin)
    await post_form(client, "/accounts/login/verify", {"code": admin.totp_code()})
    assert (await client.get("/admin")).status_code == 200
    async with database.write() as session:
        await session.exec(
            update(UserSession)
            .where(col(UserSession.user_id) == admin.user.id)
            .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=16))
        )
    assert (await client.get("/admin")).status_code == 303


async def test_session_page_offers_to_stay_signed_in(client, person) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    page = await client.get("/accounts/session")
    assert page.status_code == 200
    assert 'action="/accounts/session/extend"' in page.text
    stay = await post_form(
        client, "/accounts/session/extend", {"next": "/accounts/sessions"}, page="/accounts/session"
    )
    assert stay.headers["location"] == "/accounts/sessions"
    evil = await post_form(
        client, "/accounts/session/extend", {"next": "//evil.example/"}, page="/accounts/session"
    )
    assert evil.headers["location"] == "/accounts"


async def test_password_re_entry_is_throttled(client, person) -> None:
    alice = await person("alice@example.org")
    await sign_in(client, alice)
    statuses = []
    for i in range(6):
        response = await post_form(
            client, "/accounts/delete", {"password": f"guess {i}", "confirm": "yes"}
        )
        statuses.append(response.status_code)
    assert statuses == [400] * 5 + [429]
    # The right password must wait too, and the account is not deleted.
    right = await post_form(
        client, "/accounts/delete", {"password": alice.password, "confirm": "yes"}
    )
    assert right.status_code == 429
    assert (await client.get("/accounts")).status_code == 200
