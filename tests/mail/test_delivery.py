"""Mail goes through a real SMTP server when DELIBERATE_SMTP_URL is set; without one, or
when the server fails, it waits in the outbox with the reason."""

import asyncio
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient
from sqlmodel import select

from deliberate.app import create_app
from deliberate.db import Database
from deliberate.mail.models import OutboxMessage
from tests.conftest import BASE_URL, make_settings
from tests.support.accounts import PASSWORD, PeerShim, post_form
from tests.support.postgres import free_port


class Collector:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default))
        )
        return "250 OK"


async def register(settings, login: str) -> int:
    app = create_app(settings)
    async with AsyncTestClient(app=PeerShim(app), base_url=BASE_URL) as client:  # type: ignore[arg-type]
        client.follow_redirects = False
        response = await post_form(
            client,
            "/accounts/register",
            {
                "login": login,
                "display_name": "Mail Test",
                "password": PASSWORD,
                "accept_privacy": "yes",
            },
        )
    return response.status_code


async def outbox(url: str) -> list[OutboxMessage]:
    database = Database(url)
    try:
        async with database.read() as session:
            return list((await session.exec(select(OutboxMessage))).all())
    finally:
        await database.dispose()


async def test_confirmation_code_is_delivered_by_smtp(tmp_path, database_url) -> None:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = make_settings(
            tmp_path,
            database_url,
            DELIBERATE_SMTP_URL=f"smtp://127.0.0.1:{port}?from=noreply@test.example",
        )
        assert await register(settings, "mail@example.org") == 303
        for _ in range(50):
            if collector.messages:
                break
            await asyncio.sleep(0.05)
    finally:
        controller.stop()
    ((recipients, message),) = collector.messages
    assert recipients == ["mail@example.org"]
    assert message["From"] == "noreply@test.example"
    assert "验证码" in message["Subject"] or "code" in message["Subject"]
    assert any(ch.isdigit() for ch in message.get_content())
    (stored,) = await outbox(database_url)
    assert stored.sent_at is not None and stored.error is None


async def test_a_failing_server_leaves_the_message_in_the_outbox(tmp_path, database_url) -> None:
    settings = make_settings(
        tmp_path, database_url, DELIBERATE_SMTP_URL=f"smtp://127.0.0.1:{free_port()}"
    )
    assert await register(settings, "mail@example.org") == 303
    (stored,) = await outbox(database_url)
    assert stored.sent_at is None
    assert stored.error and "ConnectionRefusedError" in stored.error
