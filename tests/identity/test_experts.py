from sqlmodel import select

from deliberate.db import Database
from deliberate.identity.models import Committee, ExpertCredential
from tests.support.accounts import Browsers, post_form, sign_in

EXPERT = {"field": "结构工程", "organisation": "市建筑设计院", "title": "高级工程师"}


async def chair_signed_in(client, person):
    chair = await person("chair@example.org", committee_role="chair", totp=True)
    await sign_in(client, chair)
    await post_form(client, "/accounts/login/verify", {"code": chair.totp_code()})
    return chair


async def committee_id(database: Database) -> int:
    async with database.read() as session:
        return (await session.exec(select(Committee))).one().id


async def test_a_member_verifies_an_expert_who_then_needs_two_factor(
    client, person, database: Database
) -> None:
    expert = await person("expert@example.org")
    browsers = Browsers(client)
    with browsers.use("expert") as browser:
        await sign_in(browser, expert)
        assert (await browser.get("/accounts")).status_code == 200  # a resident so far
    await chair_signed_in(client, person)
    cid = await committee_id(database)
    added = await post_form(
        client,
        f"/committees/{cid}/experts",
        {"login": "Expert@Example.org", **EXPERT},
        page="/committees",
    )
    assert added.headers["location"] == "/committees?expert_added=1"
    listing = await client.get("/committees")
    assert "结构工程" in listing.text and "高级工程师" in listing.text
    async with database.read() as session:
        (credential,) = (await session.exec(select(ExpertCredential))).all()
    assert credential.user_id == expert.user.id and credential.verified_by is not None
    with browsers.use("expert") as browser:
        # Now privileged: their password-only session must enrol in two-factor.
        response = await browser.get("/committees")
        assert response.headers["location"].startswith("/accounts/two-factor")


async def test_bad_input_and_unknown_accounts(client, person, database: Database) -> None:
    await chair_signed_in(client, person)
    cid = await committee_id(database)
    empty = await post_form(
        client,
        f"/committees/{cid}/experts",
        {"login": "nobody@example.org", "field": "", "organisation": "x", "title": "y" * 101},
        page="/committees",
    )
    assert empty.status_code == 400
    for name in ("login", "field", "title"):
        assert f'id="error-{name}"' in empty.text
    assert 'value="nobody@example.org"' in empty.text


async def test_only_members_of_that_committee(client, person, database: Database) -> None:
    await person("expert@example.org")
    admin = await person("admin@example.org", role="admin", totp=True)
    await sign_in(client, admin)
    await post_form(client, "/accounts/login/verify", {"code": admin.totp_code()})
    await person("chair@example.org", committee_role="chair")
    cid = await committee_id(database)
    response = await post_form(
        client,
        f"/committees/{cid}/experts",
        {"login": "expert@example.org", **EXPERT},
        page="/committees",
    )
    assert response.status_code == 404
