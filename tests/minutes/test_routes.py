"""The minutes through HTTP, on both databases: the secretary compiles, the chair approves,
the committee watches the progress, anyone downloads the signed PDF, checks it (and an
altered copy, and a non-PDF) on /verify and finds it in the API."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from deliberate.accounts.models import UserSession
from deliberate.accounts.tokens import session_hash, session_token
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.jobs import worker
from deliberate.minutes import jobs, services
from deliberate.minutes.models import Minutes
from tests.minutes.conftest import flip_signed_byte
from tests.minutes.world import minutes_world
from tests.support.accounts import csrf_from
from tests.support.hearings import cheap_passwords

__all__ = ["cheap_passwords"]
Client = AsyncTestClient[Litestar]
SESSION_COOKIE = "__Host-session"


async def signed_in_token(database: Database, user: Any) -> str:
    """A session past the second factor for ``user``, as the browser's cookie value."""
    token, now = session_token(), datetime.now(UTC)
    async with database.write() as session:
        session.add(
            UserSession(
                token_hash=session_hash(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=8),
                second_factor_at=now,
            )
        )
    return token


async def as_user(client: Client, database: Database, user: Any) -> str:
    """Sign the client in as ``user`` (past the second factor); the CSRF token."""
    client.cookies.clear()
    if user is not None:
        token = await signed_in_token(database, user)
        client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    return csrf_from((await client.get("/")).text)


async def until_published(database: Database, settings: Settings, minutes_id: int) -> Minutes:
    """Run the queue (the app's own background worker may be quicker) until published."""
    handlers = {services.RENDER_JOB: jobs.handler(settings, database)}
    for _ in range(120):
        await worker.run_one(database, "test-worker", handlers=handlers)
        async with database.read() as session:
            found = await session.get(Minutes, minutes_id)
        if found is not None and found.state == "published":
            return found
        await asyncio.sleep(0.5)
    raise AssertionError("the minutes were not published")


def outcome(html: str) -> str:
    match = re.search(r'data-outcome="([a-z_]+)"', html)
    assert match, html
    return match.group(1)


async def upload(client: Client, csrf: str, data: bytes, name: str = "minutes.pdf") -> str:
    response = await client.post(
        "/verify/",
        data={"_csrf_token": csrf},
        files={"file": (name, data, "application/pdf")},
    )
    assert response.status_code == 200, response.text
    return response.text


async def test_compile_approve_watch_download_verify(
    client: Client, database: Database, settings: Settings, cheap_passwords: None
) -> None:
    m = await minutes_world(database, settings, forum=False, poll=False)
    cid = m.consultation_id
    board = m.w.board

    csrf = await as_user(client, database, board.secretary.user)
    listing = await client.get(f"/consultations/{cid}/minutes/")
    assert listing.status_code == 200 and f'action="/consultations/{cid}/minutes/"' in listing.text
    compiled = await client.post(f"/consultations/{cid}/minutes/", data={"_csrf_token": csrf})
    assert compiled.status_code == 303
    location = compiled.headers["location"]
    minutes_id = int(re.search(r"/minutes/(\d+)", location).group(1))  # type: ignore[union-attr]
    draft = await client.get(f"/minutes/{minutes_id}")
    assert draft.status_code == 200
    assert 'data-state="draft"' in draft.text and "支持按先到先停的办法。" in draft.text
    assert f"/minutes/{minutes_id}/approve" not in draft.text  # the secretary does not approve
    assert (await client.get(f"/minutes/{minutes_id}.pdf")).status_code == 404

    await as_user(client, database, m.w.alice.user)  # a resident never sees a draft
    assert (await client.get(f"/minutes/{minutes_id}")).status_code == 404

    csrf = await as_user(client, database, board.chair.user)
    page = await client.get(f"/minutes/{minutes_id}")
    assert f"/minutes/{minutes_id}/approve" in page.text
    approved = await client.post(f"/minutes/{minutes_id}/approve", data={"_csrf_token": csrf})
    assert approved.status_code == 303
    progress = await client.get(f"/minutes/{minutes_id}/progress")
    assert progress.status_code == 200
    if 'data-state="published"' not in progress.text and "hx-trigger" in progress.text:
        assert 'hx-trigger="every 2s"' in progress.text
        assert f'href="/minutes/{minutes_id}"' in progress.text  # a refresh without JS

    published = await until_published(database, settings, minutes_id)
    done = await client.get(f"/minutes/{minutes_id}/progress", headers={"hx-request": "true"})
    assert done.headers.get("hx-redirect") == f"/minutes/{minutes_id}"

    await as_user(client, database, None)  # anyone, signed out
    shown = await client.get(f"/minutes/{minutes_id}")
    assert shown.status_code == 200 and published.pdf_sha256 in shown.text
    # The record reads online too (accessible HTML from the same snapshot as the PDF).
    assert "支持按先到先停的办法。" in shown.text and 'id="part-record"' in shown.text
    pdf = await client.get(f"/minutes/{minutes_id}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(pdf.content).hexdigest() == published.pdf_sha256

    csrf = await as_user(client, database, None)
    checked = await upload(client, csrf, pdf.content)
    assert outcome(checked) == "authentic" and m.w.consultation.title in checked
    assert outcome(await upload(client, csrf, flip_signed_byte(pdf.content))) == "altered"
    assert outcome(await upload(client, csrf, b"hello", "hello.pdf")) == "not_pdf"
    form = await client.get("/verify/")
    assert form.status_code == 200 and "BEGIN CERTIFICATE" in form.text

    api = (await client.get("/api/v1/minutes")).json()
    assert api["total"] == 1
    [item] = api["items"]
    assert item["pdf_sha256"] == published.pdf_sha256 and item["status"] == "published"
    assert item["pdf"].endswith(f"/minutes/{minutes_id}.pdf")


async def test_the_compile_button_is_for_the_secretary_and_chair(
    client: Client, database: Database, settings: Settings, cheap_passwords: None
) -> None:
    m = await minutes_world(database, settings, forum=False, poll=False)
    cid = m.consultation_id
    csrf = await as_user(client, database, m.w.board.member.user)
    page = await client.get(f"/consultations/{cid}/minutes/")
    assert page.status_code == 200 and f'action="/consultations/{cid}/minutes/"' not in page.text
    refused = await client.post(f"/consultations/{cid}/minutes/", data={"_csrf_token": csrf})
    assert refused.status_code == 403
    csrf = await as_user(client, database, m.w.alice.user)
    refused = await client.post(f"/consultations/{cid}/minutes/", data={"_csrf_token": csrf})
    assert refused.status_code == 403
    assert (await client.get("/minutes/999999")).status_code == 404
    assert (await client.get("/minutes/abc")).status_code == 404
