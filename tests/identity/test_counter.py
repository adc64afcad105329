"""Verification in person at the counter, revocation, and what eligibility then sees."""

from datetime import date

from sqlmodel import select

from deliberate.accounts.models import User
from deliberate.db import Database
from deliberate.identity import eligibility, queries
from deliberate.identity.models import Area, Verification, VerificationRequest
from deliberate.identity.services import upsert_area
from tests.support.accounts import Browsers, post_form, sign_in


async def places(database: Database) -> dict[str, int]:
    async with database.write() as session:
        if (await session.exec(select(Area).where(Area.code == "demo"))).first() is None:
            await upsert_area(session, code="demo", name="示范市", kind="city")
        await upsert_area(
            session, code="demo-c1", name="幸福社区", kind="community", parent_code="demo"
        )
        await upsert_area(session, code="far", name="远方市", kind="city")
        await upsert_area(
            session, code="far-c1", name="远方社区", kind="community", parent_code="far"
        )
        return {a.code: a.id for a in (await session.exec(select(Area))).all()}


async def officer_signed_in(client, person):
    officer = await person("officer@example.org", role="officer", totp=True)
    await sign_in(client, officer)
    await post_form(client, "/accounts/login/verify", {"code": officer.totp_code()})
    return officer


async def test_request_confirm_and_eligibility(client, person, database: Database) -> None:
    ids = await places(database)
    browsers = Browsers(client)
    alice = await person("alice@example.org")
    with browsers.use("alice") as browser:
        await sign_in(browser, alice)
        bad = await post_form(
            browser,
            "/identity/verify/in-person",
            {"area": str(ids["demo"])},
            page="/identity/verify",
        )
        assert bad.status_code == 400  # a city is not where one lives
        asked = await post_form(
            browser,
            "/identity/verify/in-person",
            {"area": str(ids["demo-c1"])},
            page="/identity/verify",
        )
        assert asked.headers["location"] == "/identity/verify?requested=1"
        page = await browser.get("/identity/verify?requested=1")
        async with database.read() as session:
            (request,) = (await session.exec(select(VerificationRequest))).all()
        assert f"申请编号 {request.id}" in page.text

    officer = await officer_signed_in(client, person)
    queue = await client.get("/identity/officer")
    assert queue.status_code == 200
    assert "a***@example.org" in queue.text and "alice@example.org" not in queue.text
    path = f"/identity/officer/requests/{request.id}"
    unchecked = await post_form(client, path, {"action": "confirm"}, page="/identity/officer")
    assert unchecked.status_code == 400
    bad_year = await post_form(
        client,
        path,
        {"action": "confirm", "document_checked": "yes", "birth_year": "19x5"},
        page="/identity/officer",
    )
    assert bad_year.status_code == 400
    done = await post_form(
        client,
        path,
        {"action": "confirm", "document_checked": "yes", "birth_year": "1975"},
        page="/identity/officer",
    )
    assert done.headers["location"] == "/identity/officer?done=1"
    again = await post_form(
        client, path, {"action": "confirm", "document_checked": "yes"}, page="/identity/officer"
    )
    assert again.status_code == 404

    async with database.read() as session:
        (verification,) = (await session.exec(select(Verification))).all()
        user = await session.get(User, alice.user.id)
        facts = await queries.eligibility_person(session, user)
        parents = await queries.area_parents(session)
    assert (verification.method, verification.verified_by, verification.birth_year) == (
        "in_person",
        officer.user.id,
        1975,
    )
    rule = eligibility.EligibilityRule(area_ids=(ids["demo"],), min_age=18)
    assert eligibility.check(facts, rule, date.today(), parents).allowed

    revoked = await post_form(
        client,
        f"/identity/officer/verifications/{verification.id}/revoke",
        {"reason": "moved away"},
        page="/identity/officer",
    )
    assert revoked.headers["location"] == "/identity/officer?revoked=1"
    async with database.read() as session:
        facts = await queries.eligibility_person(session, user)
    assert eligibility.check(facts, rule, date.today(), parents).reason == "not_verified"


async def test_officers_only_see_and_decide_their_areas(client, person, database: Database) -> None:
    ids = await places(database)
    bob = await person("bob@example.org")
    async with database.write() as session:
        far = VerificationRequest(
            user_id=bob.user.id, area_id=ids["far-c1"], created_at=bob.user.created_at
        )
        session.add(far)
    await officer_signed_in(client, person)
    queue = await client.get("/identity/officer")
    assert "b***@example.org" not in queue.text
    response = await post_form(
        client,
        f"/identity/officer/requests/{far.id}",
        {"action": "decline", "reason": "x"},
        page="/identity/officer",
    )
    assert response.status_code == 404


async def test_decline_needs_a_reason(client, person, database: Database) -> None:
    ids = await places(database)
    bob = await person("bob@example.org")
    async with database.write() as session:
        request = VerificationRequest(
            user_id=bob.user.id, area_id=ids["demo-c1"], created_at=bob.user.created_at
        )
        session.add(request)
    await officer_signed_in(client, person)
    path = f"/identity/officer/requests/{request.id}"
    assert (
        await post_form(client, path, {"action": "decline"}, page="/identity/officer")
    ).status_code == 400
    ok = await post_form(
        client, path, {"action": "decline", "reason": "无法核实地址"}, page="/identity/officer"
    )
    assert ok.status_code == 303
    async with database.read() as session:
        stored = await session.get(VerificationRequest, request.id)
    assert (stored.status, stored.decline_reason) == ("declined", "无法核实地址")


async def test_non_officers_are_refused(client, person) -> None:
    admin = await person("admin@example.org", role="admin", totp=True)
    await sign_in(client, admin)
    await post_form(client, "/accounts/login/verify", {"code": admin.totp_code()})
    assert (await client.get("/identity/officer")).status_code == 403
    client.cookies.clear()
    resident = await person("r@example.org")
    await sign_in(client, resident)
    assert (await client.get("/identity/officer")).status_code == 403


async def test_expired_verification_no_longer_counts(person, database: Database) -> None:
    ids = await places(database)
    alice = await person("alice@example.org")
    async with database.write() as session:
        session.add(
            Verification(
                user_id=alice.user.id,
                area_id=ids["demo-c1"],
                method="letter",
                verified_at=alice.user.created_at,
                valid_until=date(2020, 1, 1),
            )
        )
    async with database.read() as session:
        facts = await queries.eligibility_person(session, alice.user)
        parents = await queries.area_parents(session)
    rule = eligibility.EligibilityRule(verified=True)
    assert eligibility.check(facts, rule, date.today(), parents).reason == "not_verified"
