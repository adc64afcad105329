"""Letter codes: a printed letter per household with a one-time code (and a QR code that
opens the redemption page with it filled in). Redeeming verifies the account for the
letter's area; a code works once, even when two people submit it at the same moment."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import Client, FormInvalid
from deliberate.accounts.tokens import Keys, letter_code, normalise_letter_code
from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.errors import Invalid
from deliberate.identity.census import VALIDITY
from deliberate.identity.models import Area, LetterCode, Verification, VerificationMethod
from deliberate.throttle import services as throttle
from deliberate.throttle.policy import Rule
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.i18n import using_locale
from deliberate.web.qr import qr_svg  # re-exported: letters.qr_svg

MAX_LETTERS = 5000
LETTER_VALIDITY = timedelta(days=90)
REDEEM = Rule(
    "letter-redeem",
    limit=5,
    window=timedelta(hours=1),
    first_delay=timedelta(minutes=5),
    max_delay=timedelta(hours=24),
)
NOT_VALID = _l(
    "This code is not valid: it may be mistyped, used already or expired. "
    "Check it, or ask your residents' committee for a new letter."
)


@dataclass(frozen=True)
class IssuedLetters:
    area: Area
    batch: str
    codes: list[str]
    expires_at: datetime


def redeem_url(public_url: str, code: str) -> str:
    return f"{public_url}/identity/letter?code={quote(code)}"


async def issue(
    database: Database, keys: Keys, area_code: str, count: int, *, actor: str | None
) -> IssuedLetters:
    if not 1 <= count <= MAX_LETTERS:
        raise Invalid(f"the number of letters must be between 1 and {MAX_LETTERS}")
    now = datetime.now(UTC)
    batch = now.strftime("%Y%m%d") + "-" + secrets.token_hex(4)
    codes = [letter_code() for _ in range(count)]
    async with database.write() as session:
        area = (await session.exec(select(Area).where(Area.code == area_code))).first()
        if area is None:
            raise Invalid(f"unknown area {area_code!r}")
        await session.exec(
            insert(LetterCode),  # type: ignore[call-overload]
            params=[
                {
                    "code_hash": keys.letter_hash(code),
                    "area_id": area.id,
                    "batch": batch,
                    "created_at": now,
                    "expires_at": now + LETTER_VALIDITY,
                }
                for code in codes
            ],
        )
        await audit.record(
            session,
            actor,
            "letters.issue",
            subject=f"area:{area.code}",
            payload={"count": count, "batch": batch},
        )
    return IssuedLetters(area, batch, codes, now + LETTER_VALIDITY)


def render_pdf(letters: IssuedLetters, public_url: str, tz_name: str) -> bytes:
    """One A4 letter per code, in Chinese, with the CJK font embedded."""
    from weasyprint import HTML  # imported here: loading Pango is slow and not always needed

    from deliberate.web.templating import pdf_environment

    template = pdf_environment().get_template("identity/letters_pdf.html")
    with using_locale("zh_CN"):  # letters go to households in Chinese
        html = template.render(
            area=letters.area,
            expires=letters.expires_at.astimezone(ZoneInfo(tz_name)).date(),
            letters=[
                {
                    "code": code,
                    "url": redeem_url(public_url, code),
                    "qr": qr_svg(redeem_url(public_url, code)),
                }
                for code in letters.codes
            ],
            site=f"{public_url}/identity/letter",
        )
    return HTML(string=html).write_pdf()


async def redeem(
    database: Database, keys: Keys, client: Client, auth: Auth, typed: str
) -> Verification:
    now = datetime.now(UTC)
    checks = [(REDEEM, f"letter:{auth.user.public_id}"), (REDEEM, f"letter-ip:{client.ip}")]
    async with database.read() as session:
        await throttle.check(session, checks, now)
    code = normalise_letter_code(typed)
    verification = None
    async with database.write() as session:
        used = None
        if code:
            # One statement claims the code: of two people at once, exactly one succeeds.
            used = (
                await session.exec(
                    update(LetterCode)
                    .where(
                        col(LetterCode.code_hash) == keys.letter_hash(code),
                        col(LetterCode.used_at).is_(None),
                        col(LetterCode.expires_at) > now,
                    )
                    .values(used_at=now, used_by=auth.user.id)
                    .returning(LetterCode.area_id)  # type: ignore[arg-type]
                )
            ).first()
        if used is None:
            await throttle.fail_all(session, checks, now)
            await audit.record(session, auth.user.public_id, "verification.letter_refused")
        else:
            verification = Verification(
                user_id=auth.user.id,  # type: ignore[arg-type]
                area_id=used[0],
                method=VerificationMethod.letter.value,
                verified_at=now,
                valid_until=date.today() + VALIDITY,
            )
            session.add(verification)
            await session.flush()
            await audit.record(
                session, auth.user.public_id, "verification.letter", subject=f"area:{used[0]}"
            )
    if verification is None:
        raise FormInvalid({"code": NOT_VALID})
    return verification
