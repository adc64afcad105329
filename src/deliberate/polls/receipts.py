"""Sending a voter their receipt, when they ask for it on the confirmation page: one
message in their outbox (by e-mail, or by text to a mobile number), in their language.

It is written after the ballot, in its own transaction: the vote counts whether or not
the message is queued. The message holds the receipt and the nonce, so whoever can read
it can find the ballot on the bulletin board; the page says so before the voter asks."""

from __future__ import annotations

from deliberate.accounts.models import User
from deliberate.accounts.services import Context
from deliberate.db import Database
from deliberate.mail import services as mail
from deliberate.polls.services import Receipt
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.i18n import using_locale

SUBJECT = _l("Your voting receipt: %(title)s")
BODY = _l(
    "You voted in the poll “%(title)s”.\n\n"
    "Receipt: %(receipt)s\n"
    "Nonce: %(nonce)s\n\n"
    "After the poll closes, find your receipt on the bulletin board and check that your "
    "ballot is counted as you cast it:\n%(board)s\n\n"
    "Anyone who can read this message can find your ballot with it."
)


async def send(database: Database, ctx: Context, user: User, title: str, receipt: Receipt) -> None:
    """Queue the receipt to the voter (their e-mail, else their mobile number)."""
    board = f"{ctx.site_url}/polls/{receipt.poll_id}/board?receipt={receipt.receipt[:16]}"
    with using_locale(user.locale):
        subject = str(SUBJECT) % {"title": title}
        body = str(BODY) % {
            "title": title,
            "receipt": receipt.receipt,
            "nonce": receipt.nonce,
            "board": board,
        }
    async with database.write() as session:
        await mail.enqueue(
            session,
            channel="email" if user.email else "sms",
            recipient=user.login,
            subject=subject,
            body=body,
            development=ctx.development,
        )
