"""The outbox and the transports behind it.

``enqueue`` is the only way to send: it writes the message in the caller's transaction
(so a rolled-back registration sends nothing). ``deliver_pending`` then hands pending
e-mail to the SMTP transport when ``DELIBERATE_SMTP_URL`` is set. Text messages have an
adapter point (:class:`SmsGateway`) but no gateway is built in: until a deployment adds
one, they wait in the outbox, where admins can read them.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from contextvars import ContextVar
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.db import Database
from deliberate.mail.models import OutboxMessage
from deliberate.web.i18n import using_locale

logger = logging.getLogger("deliberate.mail")
DELIVERY_BATCH = 50
# Set when the current request queued a message, so delivery runs only then.
queued: ContextVar[bool] = ContextVar("deliberate_mail_queued", default=False)


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    development: bool,
) -> OutboxMessage:
    message = OutboxMessage(
        created_at=datetime.now(UTC),
        channel=channel,
        recipient=recipient,
        subject=subject[:200],
        body=body,
    )
    session.add(message)
    await session.flush()
    queued.set(True)
    if development:
        # The development console only: production never logs a message body.
        logger.info("development outbox #%s to %s: %s", message.id, recipient, subject)
    return message


async def enqueue_localised(
    session: AsyncSession,
    user: Any,
    *,
    subject: Any,
    body: Any,
    footer: Any,
    link: str,
    variables: dict[str, Any],
    development: bool,
) -> OutboxMessage:
    """One message to ``user`` in their own language: ``subject`` and ``body`` (lazy
    strings) formatted with ``variables`` (a callable value is called in that language),
    then a blank line and ``footer`` formatted with ``link`` (an unsubscribe line)."""
    with using_locale(user.locale):
        values = {k: (v() if callable(v) else v) for k, v in variables.items()}
        text = str(body) % values + "\n\n" + str(footer) % {"link": link}
        heading = str(subject) % values
    return await enqueue(
        session,
        channel="email" if user.email else "sms",
        recipient=user.login,
        subject=heading,
        body=text,
        development=development,
    )


async def messages_to(session: AsyncSession, recipient: str) -> list[OutboxMessage]:
    return list(
        (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == recipient)
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    )


async def forget_recipient(session: AsyncSession, recipient: str) -> None:
    """Account deletion: messages to the person go too (they hold the address)."""
    await session.exec(delete(OutboxMessage).where(col(OutboxMessage.recipient) == recipient))


async def recent(session: AsyncSession, *, limit: int = 100, before: int | None = None):
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if before is not None:
        query = query.where(col(OutboxMessage.id) < before)
    return list((await session.exec(query)).all())


class MailTransport(Protocol):
    def send(self, sender: str, recipient: str, subject: str, body: str) -> None: ...


class SmsGateway(Protocol):
    """Adapter point for a text-message provider; none is built in."""

    def send(self, recipient: str, body: str) -> None: ...


class SmtpTransport:
    """``smtp://user:pass@host:587?starttls=1&from=noreply@example.org`` or ``smtps://…``."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("DELIBERATE_SMTP_URL must look like smtp://user:pass@host:port")
        query = parse_qs(parts.query)
        self.tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = query.get("from", [f"noreply@{self.host}"])[0]

    def send(self, sender: str, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        context = ssl.create_default_context()
        smtp_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        kwargs = {"context": context} if self.tls else {}
        with smtp_class(self.host, self.port, timeout=20, **kwargs) as smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


async def deliver_pending(database: Database, transport: SmtpTransport) -> int:
    """Send pending e-mail; returns how many were sent. Failures are kept with a reason."""
    async with database.write() as session:
        pending = (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.channel == "email", col(OutboxMessage.sent_at).is_(None))
                .where(col(OutboxMessage.error).is_(None))
                .order_by(OutboxMessage.id)
                .limit(DELIVERY_BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        sent = 0
        for message in pending:
            try:
                await asyncio.to_thread(
                    transport.send,
                    transport.sender,
                    message.recipient,
                    message.subject,
                    message.body,
                )
            except (OSError, smtplib.SMTPException) as exc:
                message.error = f"{type(exc).__name__}: {exc}"[:500]
                logger.warning("mail to outbox #%s failed: %s", message.id, type(exc).__name__)
            else:
                message.sent_at = datetime.now(UTC)
                sent += 1
            session.add(message)
    return sent
