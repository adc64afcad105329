"""The forum through HTTP as its people use it: the committee creates a forum and invites
by address; the expert follows the link, accepts, is credentialed, declares, drafts (plain
form and htmx), attaches, submits with a receipt and amends; after the deadline the
opinions, the digest and the API appear, and follow-ups go back and forth."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlmodel import col, select

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.forums.models import ExpertForum, ForumInvitation, OpinionDraft, OpinionVersion
from tests.support.accounts import Browsers, csrf_from, make_person, post_form, sign_in
from tests.support.forums import CREDENTIAL, LINK, QUESTIONS, forum_form, pdf_bytes
from tests.support.hearings import committee_with, consultation, count, messages

MARKER = "OPINIONX91"


def answer_form(marker: str = MARKER, *, complete: bool = True) -> dict[str, str]:
    form: dict[str, str] = {}
    for n in range(1, len(QUESTIONS) + 1):
        form[f"summary_{n}"] = f"{marker} 摘要{n}"
        form[f"analysis_{n}"] = f"{marker} 分析{n}" if complete or n == 1 else ""
        form[f"recommendation_{n}"] = "proceed_with_changes"
        form[f"confidence_{n}"] = "medium"
        form[f"references_{n}"] = "GB 50009-2012"
    return form


async def two_factor(client: AsyncTestClient[Any], person: Any) -> None:
    await sign_in(client, person)
    response = await post_form(client, "/accounts/login/verify", {"code": person.totp_code()})
    assert response.status_code == 303, response.text


async def release(database: Database, forum_id: int) -> None:
    """Time passes: the deadline is now behind us."""
    async with database.write() as session:
        await session.exec(
            update(ExpertForum)
            .where(col(ExpertForum.id) == forum_id)
            .values(deadline=datetime.now(UTC) - timedelta(minutes=1))
        )


async def test_the_whole_forum_through_http(
    database: Database, settings: Settings, client: AsyncTestClient[Any]
) -> None:
    board = await committee_with(database, settings)
    item = await consultation(database, settings, board)
    chair = await make_person(database, settings, "forum-chair@example.org", totp=True)
    from deliberate.accounts.admin_tasks import add_committee_member

    await add_committee_member(database, user=chair.user, committee=board.committee, role="chair")
    expert = await make_person(database, settings, "expert@example.org", totp=True)
    browsers = Browsers(client)

    # The committee creates the forum; a bad form comes back with what was typed.
    with browsers.use("chair") as c:
        await two_factor(c, chair)
        page = f"/consultations/{item.id}"
        assert f"/consultations/{item.id}/forums/new" in (await c.get(page)).text
        new = f"/consultations/{item.id}/forums/new"
        deadline = datetime.now(UTC) + timedelta(days=3)
        bad = await post_form(c, new, forum_form(deadline=deadline, title=""))
        assert bad.status_code == 400
        assert QUESTIONS[0][0] in bad.text
        made = await post_form(c, new, forum_form(deadline=deadline))
        assert made.status_code == 303
        forum_path = made.headers["location"]
        forum_id = int(forum_path.rsplit("/", 1)[1])
        shown = await c.get(forum_path)
        assert QUESTIONS[1][0] in shown.text
        invited = await post_form(
            c, f"{forum_path}/invitations", {"address": expert.login}, page=forum_path
        )
        assert invited.status_code == 303
        again = await post_form(
            c, f"{forum_path}/invitations", {"address": expert.login}, page=forum_path
        )
        assert again.status_code == 400
    sent = await messages(database, expert.login)
    token = LINK.search(sent[-1].body).group(1)  # type: ignore[union-attr]

    # The link: visitors are sent to sign up or sign in and come back.
    with browsers.use("visitor") as c:
        landing = await c.get(f"/forums/invitations/{token}")
        assert landing.status_code == 200
        assert "/accounts/register?next=%2Fforums%2Finvitations%2F" in landing.text
        assert (await c.get("/forums/invitations/not-a-token")).status_code == 404

    with browsers.use("expert") as c:
        await two_factor(c, expert)
        accepted = await post_form(c, f"/forums/invitations/{token}", {"action": "accept"})
        assert accepted.headers["location"] == f"{forum_path}?done=accepted"
        account = await c.get("/accounts")
        assert f'href="{forum_path}"' in account.text
        waiting = await c.get(forum_path)
        assert "not yet verified" in waiting.text or "尚未" in waiting.text
    async with database.read() as session:
        invitation = (
            await session.exec(select(ForumInvitation).where(ForumInvitation.forum_id == forum_id))
        ).one()

    with browsers.use("chair") as c:
        missing = await post_form(
            c,
            f"{forum_path}/invitations/{invitation.id}/credential",
            {"field": ""},
            page=forum_path,
        )
        assert missing.status_code == 400
        verified = await post_form(
            c,
            f"{forum_path}/invitations/{invitation.id}/credential",
            {f"{name}_{invitation.id}": value for name, value in CREDENTIAL.items()},
            page=forum_path,
        )
        assert verified.status_code == 303

    with browsers.use("expert") as c:
        early = await c.get(f"{forum_path}/opinion")
        assert early.status_code == 403  # declare first
        declared = await post_form(c, f"{forum_path}/declaration", {"conflicts": "none"})
        assert declared.headers["location"] == f"{forum_path}/opinion"
        editor = await c.get(f"{forum_path}/opinion")
        assert editor.status_code == 200 and 'hx-post="' in editor.text
        # A draft through htmx, then an incomplete submission kept as typed.
        csrf = csrf_from(editor.text)
        saved = await c.post(
            f"{forum_path}/opinion/draft",
            data={**answer_form(complete=False), "_csrf_token": csrf},
            headers={"HX-Request": "true"},
        )
        assert saved.status_code == 200 and "<html" not in saved.text
        incomplete = await post_form(
            c, f"{forum_path}/opinion", {**answer_form(complete=False), "action": "submit"}
        )
        assert incomplete.status_code == 400
        assert f"{MARKER} 摘要2" in incomplete.text
        assert await count(database, OpinionVersion) == 0
        # Attachments: a real PDF; an HTML page renamed; more than 10 MB.
        csrf = csrf_from((await c.get(f"{forum_path}/opinion")).text)
        upload = f"{forum_path}/attachments"
        good = await c.post(
            upload,
            data={"_csrf_token": csrf},
            files={"file": ("计算书.pdf", pdf_bytes(), "application/pdf")},
        )
        assert good.status_code == 303
        fake = await c.post(
            upload,
            data={"_csrf_token": csrf},
            files={
                "file": ("evil.pdf", b"<!doctype html><script>alert(1)</script>", "application/pdf")
            },
        )
        assert fake.status_code == 400 and "PDF" in fake.text
        big = await c.post(
            upload,
            data={"_csrf_token": csrf},
            files={
                "file": ("big.pdf", b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024), "application/pdf")
            },
        )
        assert big.status_code == 400 and "10 MB" in big.text
        link = re.search(
            rf'href="({forum_path}/attachments/\d+)"', (await c.get(f"{forum_path}/opinion")).text
        )
        assert link
        download = await c.get(link.group(1))
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.content == pdf_bytes()
        # Submit, see the receipt, amend.
        done = await post_form(c, f"{forum_path}/opinion", {**answer_form(), "action": "submit"})
        assert done.headers["location"] == f"{forum_path}/opinion?submitted=1"
        receipt_page = await c.get(done.headers["location"])
        async with database.read() as session:
            first = (await session.exec(select(OpinionVersion))).one()
        assert first.sha256 in receipt_page.text
        assert first.sha256 == hashlib.sha256(first.content.encode()).hexdigest()
        assert first.sha256 in (await messages(database, expert.login))[-1].body
        amended = await post_form(
            c, f"{forum_path}/opinion", {**answer_form(MARKER + " 修订"), "action": "submit"}
        )
        assert amended.headers["location"] == f"{forum_path}/opinion?submitted=2"

    # Sealed: the committee sees that an opinion was submitted, not what it says.
    with browsers.use("chair") as c:
        page_text = (await c.get(forum_path)).text
        assert MARKER not in page_text
        assert (await c.get(f"{forum_path}/opinions/{invitation.id}")).status_code == 404
        assert (await c.get(f"{forum_path}/digest")).status_code == 403

    await release(database, forum_id)

    with browsers.use("expert") as c:
        late = await post_form(
            c,
            f"{forum_path}/opinion",
            {**answer_form(), "action": "submit"},
            page=f"{forum_path}/opinion",
        )
        assert late.status_code == 403
        assert await count(database, OpinionVersion) == 2
    with browsers.use("visitor") as c:
        public = await c.get(f"{forum_path}/opinions/{invitation.id}")
        assert public.status_code == 200 and f"{MARKER} 修订" in public.text
        assert CREDENTIAL["title"] in public.text  # a named forum
        digest = await c.get(f"{forum_path}/digest")
        assert digest.status_code == 200 and f"{MARKER} 修订 摘要1" in digest.text
        api = (await c.get(f"/api/v1/forums/{forum_id}")).json()
        versions = api["opinions"][0]["versions"]
        assert [v["number"] for v in versions] == [1, 2]
        for v in versions:
            assert hashlib.sha256(v["content"].encode()).hexdigest() == v["sha256"]
        assert json.loads(versions[-1]["content"])["answers"][0]["summary"].startswith(MARKER)
    with browsers.use("chair") as c:
        asked = await post_form(
            c,
            f"{forum_path}/opinions/{invitation.id}/follow-ups",
            {"question": "地下车库的防水如何处理？"},
            page=f"{forum_path}/opinions/{invitation.id}",
        )
        assert asked.status_code == 303
    with browsers.use("expert") as c:
        opinion_page = await c.get(f"{forum_path}/opinions/{invitation.id}")
        action = re.search(r'action="([^"]*/follow-ups/(\d+))"', opinion_page.text)
        assert action
        answered = await post_form(
            c,
            action.group(1),
            {f"answer_{action.group(2)}": "采用双层防水。"},
            page=f"{forum_path}/opinions/{invitation.id}",
        )
        assert answered.status_code == 303
    with browsers.use("visitor") as c:
        record = (await c.get(f"{forum_path}/opinions/{invitation.id}")).text
        assert "地下车库的防水如何处理？" in record and "采用双层防水。" in record
    assert await count(database, OpinionDraft) == 1
