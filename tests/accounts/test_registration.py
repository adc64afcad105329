"""Registration and confirmation, including every kind of bad input."""

import re

import pytest
from sqlmodel import select

from deliberate.accounts.models import User
from deliberate.audit.models import AuditEvent
from deliberate.db import Database
from tests.support.accounts import PASSWORD, last_message_to, post_form
from tests.support.html import read_page

GOOD = {
    "login": "new@example.org",
    "display_name": "王小明",
    "password": PASSWORD,
    "accept_privacy": "yes",
}


async def register(client, **changes: str):
    return await post_form(client, "/accounts/register", {**GOOD, **changes})


@pytest.mark.production_argon2
async def test_register_confirm_with_the_code_from_the_outbox(client, database: Database) -> None:
    response = await register(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/accounts/confirm"

    confirm_page = await client.get("/accounts/confirm")
    assert "n***@example.org" in confirm_page.text

    message = await last_message_to(database, "new@example.org")
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    assert message.sent_at is None  # no SMTP configured: it waits in the outbox

    wrong = await post_form(client, "/accounts/confirm", {"code": "000000"})
    assert wrong.status_code == 400

    confirmed = await post_form(client, "/accounts/confirm", {"code": code})
    assert confirmed.status_code == 303
    async with database.read() as session:
        user = (await session.exec(select(User).where(User.email == "new@example.org"))).one()
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert user.confirmed_at is not None
    assert user.privacy_version and user.privacy_accepted_at
    assert user.display_name == "王小明"
    assert {"account.register", "account.confirm", "account.confirm_failed"} <= set(actions)
    # Once confirmed, the confirmation page sends the person on.
    assert (await client.get("/accounts/confirm")).headers["location"] == "/accounts"
    assert user.password_hash.startswith("$argon2id$v=19$m=65536")


async def test_register_with_a_mobile_number(client, database: Database) -> None:
    response = await register(client, login="138 0013 8000")
    assert response.status_code == 303
    message = await last_message_to(database, "+8613800138000")
    assert message.channel == "sms"


async def test_mass_assignment_of_role_is_ignored(client, database: Database) -> None:
    await register(client, role="admin", confirmed_at="2020-01-01", is_admin="1")
    async with database.read() as session:
        user = (await session.exec(select(User).where(User.email == "new@example.org"))).one()
    assert user.role == "resident"
    assert user.confirmed_at is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"login": "not-an-address"}, "login", "请输入电子邮箱"),
        ({"login": "12345"}, "login", "请输入电子邮箱"),
        ({"display_name": "名" * 10_000}, "display_name", "60"),
        ({"display_name": "   "}, "display_name", None),
        ({"password": "1234567"}, "password", "8"),
        ({"password": "woaini1314"}, "password", None),
        ({"accept_privacy": ""}, "accept_privacy", None),
    ],
)
async def test_bad_input_keeps_the_form_and_says_why(
    client, changes: dict[str, str], field: str, message: str | None
) -> None:
    response = await register(client, **changes)
    assert response.status_code == 400
    page = read_page(response.text)
    assert page.lang == "zh-CN"
    assert f'id="error-{field}"' in response.text
    assert f'href="#field-{field}"' in response.text
    if message:
        assert message in page.text
    if field != "login":
        assert 'value="not-an-address"' not in response.text
        assert f'value="{GOOD["login"]}"' in response.text  # what they typed is kept
    assert PASSWORD not in response.text  # passwords are never echoed


async def test_bad_input_in_english(client) -> None:
    response = await post_form(
        client,
        "/accounts/register?lang=en",
        {**GOOD, "login": "nope"},
        page="/accounts/register?lang=en",
    )
    assert response.status_code == 400
    assert "Enter an e-mail address" in response.text


async def test_duplicate_login_is_refused(client, person) -> None:
    await person("taken@example.org")
    response = await register(client, login="Taken@Example.org")
    assert response.status_code == 400
    assert "已注册" in read_page(response.text).text


async def test_unconfirmed_cannot_take_part(person) -> None:
    from deliberate.accounts.auth import Auth
    from deliberate.accounts.models import UserSession
    from deliberate.accounts.permissions import allowed

    unconfirmed = await person("u@example.org", confirmed=False)
    confirmed = await person("c@example.org")
    fake_session = UserSession(
        token_hash="x",
        user_id=1,
        created_at=unconfirmed.user.created_at,
        last_seen_at=unconfirmed.user.created_at,
        expires_at=unconfirmed.user.created_at,
    )
    assert not allowed(Auth(unconfirmed.user, fake_session, False, False), "account.take_part")
    assert allowed(Auth(confirmed.user, fake_session, False, False), "account.take_part")
    assert not allowed(None, "account.take_part")
