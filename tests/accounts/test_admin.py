"""Roles, privileged pages and two-factor: a role × route matrix, and the admin pages."""

import pytest
from sqlmodel import select

from deliberate.accounts.models import User, UserSession
from deliberate.audit.models import AuditEvent
from deliberate.db import Database
from tests.support.accounts import Browsers, post_form, sign_in

PRIVILEGED_ROUTES = ("/admin", "/admin/users", "/admin/outbox", "/admin/audit", "/committees")


async def signed_in_as(client, person, role: str):
    """A client signed in as ``role``; returns the person (or None for anonymous)."""
    if role == "anonymous":
        return None
    options = {
        "resident": {},
        "admin-password-only": {"role": "admin"},
        "admin": {"role": "admin", "totp": True},
        "chair-password-only": {"committee_role": "chair"},
        "chair": {"committee_role": "chair", "totp": True},
        "officer-password-only": {"role": "officer"},
    }[role]
    someone = await person(f"{role}@example.org", **options)
    await sign_in(client, someone)
    if someone.totp_secret:
        verified = await post_form(client, "/accounts/login/verify", {"code": someone.totp_code()})
        assert verified.status_code == 303
    return someone


EXPECTED = {
    # role: {route: status or redirect prefix}
    "anonymous": dict.fromkeys(PRIVILEGED_ROUTES, "/accounts/login?next="),
    "resident": {
        "/admin": 403,
        "/admin/users": 403,
        "/admin/outbox": 403,
        "/admin/audit": 403,
        "/committees": 200,
    },
    "admin-password-only": dict.fromkeys(PRIVILEGED_ROUTES, "/accounts/two-factor?next="),
    "admin": {
        "/admin": 200,
        "/admin/users": 200,
        "/admin/outbox": 200,
        "/admin/audit": 200,
        "/committees": 200,
    },
    "chair-password-only": dict.fromkeys(PRIVILEGED_ROUTES, "/accounts/two-factor?next="),
    "chair": {
        "/admin": 403,
        "/admin/users": 403,
        "/admin/outbox": 403,
        "/admin/audit": 403,
        "/committees": 200,
    },
    "officer-password-only": dict.fromkeys(PRIVILEGED_ROUTES, "/accounts/two-factor?next="),
}


@pytest.mark.parametrize("role", list(EXPECTED))
async def test_role_by_route_matrix(client, person, role: str) -> None:
    await signed_in_as(client, person, role)
    for route, expected in EXPECTED[role].items():
        response = await client.get(route)
        if isinstance(expected, int):
            assert response.status_code == expected, (role, route)
        else:
            assert response.status_code == 303, (role, route)
            assert response.headers["location"].startswith(expected), (role, route)


async def test_committee_page_lists_the_members_committees(client, person) -> None:
    await signed_in_as(client, person, "chair")
    page = await client.get("/committees")
    assert "测试居委会" in page.text and "主任" in page.text


async def test_a_password_only_admin_session_enrols_then_gets_in(client, person) -> None:
    await signed_in_as(client, person, "admin-password-only")
    sent = await client.get("/admin/users")
    assert sent.headers["location"] == "/accounts/two-factor?next=%2Fadmin%2Fusers"
    intro = await client.get(sent.headers["location"])
    assert intro.status_code == 200
    import re

    import pyotp

    start = await post_form(
        client,
        "/accounts/two-factor/start",
        {"next": "/admin/users"},
        page=sent.headers["location"],
    )
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', start.text).group(1).replace(" ", "")
    done = await post_form(
        client,
        "/accounts/two-factor/enrol",
        {"code": pyotp.TOTP(key).now(), "next": "/admin/users"},
        page="/accounts",
    )
    assert done.status_code == 200 and 'href="/admin/users"' in done.text
    assert (await client.get("/admin/users")).status_code == 200


async def test_admin_changes_a_role_and_the_persons_sessions_end(
    client, person, database: Database
) -> None:
    browsers = Browsers(client)
    bob = await person("bob@example.org")
    with browsers.use("bob") as bob_browser:
        await sign_in(bob_browser, bob)
    admin = await signed_in_as(client, person, "admin")
    users = await client.get("/admin/users?q=bob")
    assert "bob@example.org" in users.text and "admin@example.org" not in users.text
    changed = await post_form(
        client, f"/admin/users/{bob.user.id}/role", {"role": "admin"}, page="/admin/users"
    )
    assert changed.status_code == 303
    async with database.read() as session:
        stored = (await session.exec(select(User).where(User.id == bob.user.id))).one()
        bob_sessions = (
            await session.exec(select(UserSession).where(UserSession.user_id == bob.user.id))
        ).all()
        event = (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "role.change"))
        ).one()
    assert stored.role == "admin"
    assert bob_sessions == []
    assert event.actor == admin.user.public_id and bob.user.public_id in event.subject
    with browsers.use("bob") as bob_browser:
        assert (await bob_browser.get("/accounts")).status_code == 303


async def test_admin_cannot_demote_themself_and_unknown_roles_are_refused(client, person) -> None:
    admin = await signed_in_as(client, person, "admin")
    own = await post_form(
        client, f"/admin/users/{admin.user.id}/role", {"role": "resident"}, page="/admin/users"
    )
    assert own.status_code == 400
    bogus = await post_form(
        client, f"/admin/users/{admin.user.id}/role", {"role": "superuser"}, page="/admin/users"
    )
    assert bogus.status_code == 400
    missing = await post_form(
        client, "/admin/users/999999/role", {"role": "admin"}, page="/admin/users"
    )
    assert missing.status_code == 404


async def test_a_resident_cannot_change_roles(client, person) -> None:
    alice = await signed_in_as(client, person, "resident")
    response = await post_form(
        client, f"/admin/users/{alice.user.id}/role", {"role": "admin"}, page="/accounts"
    )
    assert response.status_code == 403


async def test_outbox_and_audit_pages_show_what_happened(client, person) -> None:
    await post_form(client, "/accounts/password/forgot", {"login": "nobody@example.org"})
    await person("carol@example.org")
    await post_form(client, "/accounts/password/forgot", {"login": "carol@example.org"})
    await signed_in_as(client, person, "admin")
    outbox = await client.get("/admin/outbox")
    assert "carol@example.org" in outbox.text and "/accounts/password/reset?token=" in outbox.text
    assert "nobody@example.org" not in outbox.text
    audit = await client.get("/admin/audit")
    assert "auth.reset_requested" in audit.text and "auth.login" in audit.text
