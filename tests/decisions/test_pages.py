"""Decisions through HTTP, on both databases: a committee member signs in with their
second factor, records the decision (a bad form first), adds implementation items and
progress; the public reads the page, the feed and the consultation's link; a resident is
refused; the one-click link in a notice stops them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlmodel import select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.decisions.models import Decision, DecisionNotice, ImplementationItem
from deliberate.mail.models import OutboxMessage
from tests.decisions.conftest import DecisionWorld, as_user
from tests.support.accounts import make_person, post_form, sign_in
from tests.support.hearings import count

Client = AsyncTestClient[Litestar]
ATOM = "{http://www.w3.org/2005/Atom}"
COMMITTEE = "和谐街道居委会"


def local_today(settings: Settings) -> Any:
    return datetime.now(settings.tz).date()


async def sign_in_with_code(client: Client, database: Database, settings: Settings) -> Any:
    """A new member of the committee, signed in with password and TOTP code."""
    zoe = await make_person(
        database,
        settings,
        "zoe@example.org",
        totp=True,
        committee_role="member",
        committee_name=COMMITTEE,
    )
    await sign_in(client, zoe)
    done = await post_form(client, "/accounts/login/verify", {"code": zoe.totp_code()})
    assert done.status_code == 303
    return zoe


async def test_the_committee_records_and_tracks_a_decision(
    client: Client, database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    cid, b = dw.consultation_id, dw.board
    today = local_today(settings)
    adopted = today - timedelta(days=30)
    zoe = await sign_in_with_code(client, database, settings)
    new = f"/consultations/{cid}/decisions/new"

    form = await client.get(new)
    assert form.status_code == 200
    for name in ("hx-chair@example.org", "hx-secretary@example.org", "hx-member@example.org"):
        assert f"vote-{_id(dw, name)}" in form.text
    assert f"vote-{zoe.user.id}" in form.text
    assert f'<option value="{dw.minutes.id}" selected' in form.text

    # A bad form: 400, with what was typed.
    bad = await post_form(
        client,
        new,
        {"minutes": str(dw.minutes.id), "text": "我的决定文本", "adopted_on": "2999-01-01"},
    )
    assert bad.status_code == 400
    assert "我的决定文本" in bad.text and 'value="2999-01-01"' in bad.text
    assert 'id="error-votes"' in bad.text and 'id="error-adopted_on"' in bad.text
    assert await count(database, Decision) == 0

    text = "## 决定\n\n同意实施。<script>alert(1)</script>[x](javascript:alert(2))"
    made = await post_form(
        client,
        new,
        {
            "minutes": str(dw.minutes.id),
            "text": text,
            "adopted_on": adopted.isoformat(),
            f"vote-{b.chair.user.id}": "for",
            f"vote-{b.secretary.user.id}": "against",
            f"vote-{zoe.user.id}": "abstain",
            f"vote-{b.member.user.id}": "",
        },
    )
    assert made.status_code == 303, made.text
    match = re.fullmatch(r"/decisions/(\d+)\?adopted=1", made.headers["location"])
    assert match
    did = int(match.group(1))
    page = f"/decisions/{did}"

    # Items: a bad one (400, typed values kept), an overdue one, a future one.
    bad_item = await post_form(
        client,
        f"{page}/items",
        {"title": "", "responsible_unit": "街道城建科", "deadline": ""},
        page=page,
    )
    assert bad_item.status_code == 400
    assert 'value="街道城建科"' in bad_item.text and 'id="item-title-error"' in bad_item.text
    for title, deadline in (
        ("雨污分流", today - timedelta(days=1)),
        ("加装电梯", today + timedelta(days=60)),
    ):
        added = await post_form(
            client,
            f"{page}/items",
            {"title": title, "responsible_unit": "水务公司", "deadline": deadline.isoformat()},
            page=page,
        )
        assert added.status_code == 303
    async with database.read() as session:
        items = (
            await session.exec(select(ImplementationItem).order_by(ImplementationItem.id))
        ).all()
    late, future = items

    bad_update = await post_form(
        client,
        f"{page}/items/{late.id}/updates",
        {"happened_on": today.isoformat(), "status": "in_progress", "note": ""},
        page=page,
    )
    assert bad_update.status_code == 400
    assert f'id="update-{late.id}-note-error"' in bad_update.text
    updated = await post_form(
        client,
        f"{page}/items/{late.id}/updates",
        {"happened_on": today.isoformat(), "status": "delayed", "note": "管材到货推迟。"},
        page=page,
    )
    assert updated.status_code == 303

    # The public page, signed out.
    await as_user(client, database, None)
    public = await client.get(page)
    assert public.status_code == 200
    html = public.text
    assert "<h2>决定</h2>" in html and "同意实施。" in html
    assert "&lt;script&gt;alert(1)" in html and 'href="javascript' not in html
    assert "hx-secretary@example.org" not in html  # names, not logins
    assert html.count('data-overdue="true"') == 1
    assert f'id="item-{late.id}"' in html and f'id="item-{future.id}"' in html
    assert "管材到货推迟。" in html
    # You said, we did: adopted with what changes, not adopted with why; no notes, no
    # hidden comments; authors as on the hearing pages.
    assert "采纳：继续先到先停。" in html and "收费标准由物价部门核定" in html
    assert "允许按月或按季度缴费。" in html
    assert "已记录。" not in html and "低价洗车" not in html
    assert "alice@example.org" not in html
    assert f'action="{page}/items"' not in html  # no committee forms for the public

    feed = await client.get(f"{page}/feed.atom")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4  # the decision, two items, one update
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert any(("雨污分流" in t and "overdue" in t.lower()) or "逾期" in t for t in titles)  # type: ignore[operator]

    shown = await client.get(f"/consultations/{cid}")
    assert f'href="/decisions/{did}"' in shown.text

    # A resident reads but cannot add anything.
    csrf = await as_user(client, database, dw.w.alice.user)
    refused = await client.post(
        f"{page}/items",
        data={
            "title": "x",
            "responsible_unit": "y",
            "deadline": today.isoformat(),
            "_csrf_token": csrf,
        },
    )
    assert refused.status_code == 403
    assert await count(database, ImplementationItem) == 2


async def test_the_one_click_link_and_the_new_form_without_minutes(
    client: Client, database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    from deliberate.decisions import services
    from tests.decisions.conftest import NOW
    from tests.support.hearings import consultation, context

    await services.adopt(
        database,
        context(settings),
        dw.board.chair,
        dw.consultation_id,
        dw.decision_input(),
        now=NOW,
    )
    async with database.read() as session:
        message = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.recipient == "erin@example.org")
            )
        ).first()
    assert message is not None
    token = re.search(r"/decisions/unsubscribe/([A-Za-z0-9_-]+)", message.body).group(1)  # type: ignore[union-attr]
    await as_user(client, database, None)
    link = f"/decisions/unsubscribe/{token}"
    shown = await client.get(link)
    assert shown.status_code == 200 and 'method="post"' in shown.text
    done = await post_form(client, link, {})
    assert done.status_code == 200 and 'role="status"' in done.text
    async with database.read() as session:
        notice = (
            await session.exec(select(DecisionNotice).where(DecisionNotice.token == token))
        ).one()
    assert notice.unsubscribed_at is not None
    assert (await client.get("/decisions/unsubscribe/nothing-here")).status_code == 404

    # No published minutes yet: the form says so instead.
    other = await consultation(database, settings, dw.board)
    await as_user(client, database, dw.board.chair.user)
    empty = await client.get(f"/consultations/{other.id}/decisions/new")
    assert empty.status_code == 200
    assert f'href="/consultations/{other.id}/minutes/"' in empty.text
    assert 'name="text"' not in empty.text
    # A resident does not get the form; a password-only member is sent to the second factor.
    await as_user(client, database, dw.w.alice.user)
    assert (
        await client.get(f"/consultations/{dw.consultation_id}/decisions/new")
    ).status_code == 403
    client.cookies.clear()
    member = dw.board.member.user
    await sign_in(client, _person(member))
    step = await client.get(f"/consultations/{dw.consultation_id}/decisions/new")
    assert step.status_code in (302, 303) and "/accounts/login/verify" in step.headers["location"]
    assert (await client.get("/decisions/999")).status_code == 404


def _id(dw: DecisionWorld, login: str) -> int:
    b = dw.board
    return {
        "hx-chair@example.org": b.chair.user.id,
        "hx-secretary@example.org": b.secretary.user.id,
        "hx-member@example.org": b.member.user.id,
    }[login]  # type: ignore[return-value]


def _person(user: Any) -> Any:
    from tests.support.accounts import PASSWORD, Person

    return Person(user, user.email, PASSWORD)
