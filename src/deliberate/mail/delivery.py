"""Delivering e-mail after the response, only when this request queued some."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.mail.services import SmtpTransport, deliver_pending, queued

logger = logging.getLogger("deliberate.mail")


def delivery_hook(
    settings: Settings, database: Database
) -> Callable[[Any], Awaitable[None]] | None:
    if not settings.smtp_url:
        return None  # messages wait in the outbox, readable by admins
    transport = SmtpTransport(settings.smtp_url)

    async def deliver_after_response(_request: Any) -> None:
        if not queued.get():
            return
        queued.set(False)
        try:
            await deliver_pending(database, transport)
        except Exception:  # delivery problems never break a page; they stay in the outbox
            logger.exception("mail delivery failed")

    return deliver_after_response
