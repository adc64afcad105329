"""The write path for accounts. Every function takes the acting user (or the anonymous
client), checks what it must, writes in short transactions and records audit events.

Password hashing and verification (~0.1 s of CPU) always happen *outside* a write
transaction: on SQLite a write transaction holds the database's write lock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts import contact, passwords, policy, queries, throttles, totp
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import (
    AccountToken,
    GlobalRole,
    RecoveryCode,
    TokenPurpose,
    User,
    UserSession,
)
from deliberate.accounts.permissions import require
from deliberate.accounts.tokens import (
    Keys,
    normalise_recovery_code,
    numeric_code,
    public_id,
    recovery_code,
    session_hash,
    session_token,
    url_token,
)
from deliberate.audit import services as audit
from deliberate.db import Database, as_utc
from deliberate.errors import Forbidden, Invalid, NotFound
from deliberate.mail import services as mail
from deliberate.throttle import services as throttle
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.i18n import using_locale
from deliberate.web.logs import security_event

PRIVACY_VERSION = "2026-11"
CONFIRM_TTL = timedelta(minutes=30)
RESET_TTL = timedelta(minutes=30)
DEVICE_TTL = timedelta(days=180)
RECOVERY_CODES = 10

CONFIRM_SUBJECT = _l("Your Deliberate confirmation code")
CONFIRM_BODY = _l(
    "Your confirmation code is %(code)s. It is valid for 30 minutes.\n\n"
    "If you did not create an account on Deliberate, ignore this message."
)
RESET_SUBJECT = _l("Reset your Deliberate password")
RESET_BODY = _l(
    "Someone asked to reset the password of your account. To choose a new one, "
    "open this link within 30 minutes:\n\n%(link)s\n\n"
    "If it was not you, ignore this message: your password stays as it is."
)

PASSWORD_MESSAGES = {
    "too_short": _l("The password must have at least 8 characters."),
    "too_long": _l("The password can have at most 128 characters."),
    "common": _l("This password is too common and easy to guess. Please choose another."),
}


@dataclass(frozen=True)
class Context:
    """What the services need from the deployment and the request."""

    keys: Keys
    development: bool
    site_url: str  # for links in messages, e.g. "https://deliberate.example.org"


@dataclass(frozen=True)
class Client:
    ip: str
    user_agent: str = ""
    device_cookie: str | None = None


class FormInvalid(Invalid):
    """Several fields at once: ``errors`` maps a field name to its message."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(next(iter(errors.values())), field=next(iter(errors)))
        self.errors = errors


def _now() -> datetime:
    return datetime.now(UTC)


def _password_error(password: str, context: tuple[str, ...] = ()) -> Any | None:
    try:
        passwords.check_policy(password, context=context)
    except passwords.PasswordRejected as rejected:
        return PASSWORD_MESSAGES[rejected.code]
    return None


# --- registration and confirmation -------------------------------------------------


def new_user(
    kind: str,
    login: str,
    *,
    display_name: str,
    password_hash: str,
    now: datetime,
    locale: str,
    role: GlobalRole = GlobalRole.resident,
    publish_name: bool = False,
    confirmed: bool = False,
) -> User:
    """A new account (not yet added to a session), with its privacy consent recorded."""
    return User(
        public_id=public_id(),
        email=login if kind == "email" else None,
        phone=login if kind == "phone" else None,
        display_name=display_name,
        password_hash=password_hash,
        role=role.value,
        locale=locale,
        publish_name=publish_name,
        privacy_version=PRIVACY_VERSION,
        privacy_accepted_at=now,
        confirmed_at=now if confirmed else None,
        created_at=now,
        password_changed_at=now,
    )


@dataclass(frozen=True)
class Registration:
    login: str
    display_name: str
    password: str
    accept_privacy: bool
    publish_name: bool
    locale: str


def validate_registration(form: Registration) -> tuple[str, str, str]:
    """(kind, normalised login, display name) or :class:`FormInvalid` with every problem."""
    errors: dict[str, Any] = {}
    kind, login = "", ""
    try:
        kind, login = contact.normalise_login(form.login)
    except ValueError:
        errors["login"] = _l(
            "Enter an e-mail address (name@example.org) or a mainland mobile number "
            "(11 digits, starting with 1)."
        )
    name = ""
    try:
        name = contact.normalise_display_name(form.display_name)
    except ValueError as problem:
        errors["display_name"] = {
            "name_missing": _l("Enter the name others will see."),
            "name_too_long": _l("The name can have at most 60 characters."),
        }.get(str(problem), _l("The name contains characters that cannot be shown."))
    message = _password_error(form.password, context=(login, form.login.strip(), name))
    if message is not None:
        errors["password"] = message
    if not form.accept_privacy:
        errors["accept_privacy"] = _l("Please read and accept the privacy notice.")
    if errors:
        raise FormInvalid(errors)
    return kind, login, name


async def register(
    database: Database, ctx: Context, client: Client, form: Registration
) -> tuple[User, str]:
    """Create an unconfirmed account and send its confirmation code.

    Returns the user and a new session token (the person is signed in, but cannot take
    part until the code is confirmed)."""
    kind, login, name = validate_registration(form)
    register_key = throttles.key(throttles.REGISTER, client.ip)
    now = _now()
    async with database.write() as session:
        # Counted whether or not it succeeds: registration is not a free hashing oracle.
        await throttle.check(session, [(throttles.REGISTER, register_key)], now)
        await throttle.fail(session, throttles.REGISTER, register_key, now)
    password_hash = await passwords.hash_password(form.password)
    try:
        async with database.write() as session:
            if await queries.user_by_login(session, kind, login) is not None:
                raise _already_registered(kind)
            user = new_user(
                kind,
                login,
                display_name=name,
                password_hash=password_hash,
                now=now,
                locale=form.locale,
                publish_name=form.publish_name,
            )
            session.add(user)
            await session.flush()
            await _send_confirmation(session, ctx, user, now)
            token = await _new_session(session, user, client, now, second_factor=False)
            await audit.record(
                session,
                user.public_id,
                "account.register",
                subject=f"user:{user.public_id}",
                payload={"channel": kind, "privacy_version": PRIVACY_VERSION},
                now=now,
            )
    except IntegrityError:  # the same login registered at the same moment
        raise _already_registered(kind) from None
    return user, token


def _already_registered(kind: str) -> FormInvalid:
    return FormInvalid(
        {
            "login": _l(
                "This e-mail address is already registered. Sign in, or reset the password."
            )
            if kind == "email"
            else _l("This mobile number is already registered. Sign in, or reset the password.")
        }
    )


async def _send_confirmation(
    session: AsyncSession, ctx: Context, user: User, now: datetime
) -> None:
    await session.exec(  # only the newest code is valid
        delete(AccountToken).where(
            col(AccountToken.user_id) == user.id,
            col(AccountToken.purpose) == TokenPurpose.confirm.value,
        )
    )
    code = numeric_code()
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=TokenPurpose.confirm.value,
            secret_hash=ctx.keys.token_hash(f"{user.id}:{code}"),
            created_at=now,
            expires_at=now + CONFIRM_TTL,
        )
    )
    await _notify(session, ctx, user, CONFIRM_SUBJECT, CONFIRM_BODY, code=code)


async def _notify(
    session: AsyncSession, ctx: Context, user: User, subject: Any, body: Any, **variables: str
) -> None:
    """Queue a message to the person, in their own language, by e-mail or text."""
    with using_locale(user.locale):
        subject_text, body_text = str(subject), str(body) % variables
    await mail.enqueue(
        session,
        channel="email" if user.email else "sms",
        recipient=user.login,
        subject=subject_text,
        body=body_text,
        development=ctx.development,
    )


async def resend_confirmation(database: Database, ctx: Context, auth: Auth) -> None:
    if auth.confirmed:
        return
    now = _now()
    async with database.write() as session:
        user_key = throttles.key(throttles.CONFIRM, "send", auth.user.public_id)
        await throttle.check(session, [(throttles.CONFIRM, user_key)], now)
        await throttle.fail(session, throttles.CONFIRM, user_key, now)
        await _send_confirmation(session, ctx, auth.user, now)


async def confirm(database: Database, ctx: Context, client: Client, auth: Auth, code: str) -> None:
    now = _now()
    user = auth.user
    checks = [
        (throttles.CONFIRM, throttles.key(throttles.CONFIRM, user.public_id)),
        (throttles.CONFIRM, throttles.key(throttles.CONFIRM, "ip", client.ip)),
    ]
    async with database.write() as session:
        await throttle.check(session, checks, now)
        digest = ctx.keys.token_hash(f"{user.id}:{code.strip()}")
        result = await session.exec(
            update(AccountToken)
            .where(
                col(AccountToken.secret_hash) == digest,
                col(AccountToken.user_id) == user.id,
                col(AccountToken.purpose) == TokenPurpose.confirm.value,
                col(AccountToken.used_at).is_(None),
                col(AccountToken.expires_at) > now,
            )
            .values(used_at=now)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            await throttle.fail_all(session, checks, now)
            await audit.record(session, user.public_id, "account.confirm_failed", now=now)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise FormInvalid(
            {"code": _l("That code is wrong or has expired. Check it, or ask for a new one.")}
        )
    async with database.write() as session:
        await session.exec(update(User).where(col(User.id) == user.id).values(confirmed_at=now))
        for _rule, key in checks:
            await throttle.clear(session, key)
        await audit.record(session, user.public_id, "account.confirm", now=now)


# --- sessions ----------------------------------------------------------------------


async def _new_session(
    session: AsyncSession, user: User, client: Client, now: datetime, *, second_factor: bool
) -> str:
    token = session_token()
    session.add(
        UserSession(
            token_hash=session_hash(token),
            user_id=user.id,  # type: ignore[arg-type]
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.RESIDENT.absolute,
            second_factor_at=now if second_factor else None,
            user_agent=client.user_agent[:200],
        )
    )
    await session.flush()
    return token


async def end_session_by_token(database: Database, token: str | None) -> None:
    if not token:
        return
    async with database.write() as session:
        await session.exec(
            delete(UserSession).where(col(UserSession.token_hash) == session_hash(token))
        )


async def touch(database: Database, auth: Auth, now: datetime) -> None:
    async with database.write() as session:
        await session.exec(
            update(UserSession)
            .where(col(UserSession.id) == auth.session.id)
            .values(last_seen_at=now)
        )


async def sign_out(database: Database, auth: Auth) -> None:
    async with database.write() as session:
        await session.exec(delete(UserSession).where(col(UserSession.id) == auth.session.id))
        await audit.record(session, auth.user.public_id, "auth.logout")


async def end_session(database: Database, auth: Auth, session_id: int) -> None:
    """End one of the actor's own sessions (someone else's is "not found")."""
    async with database.write() as session:
        result = await session.exec(
            delete(UserSession).where(
                col(UserSession.id) == session_id, col(UserSession.user_id) == auth.user.id
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound()
        await audit.record(session, auth.user.public_id, "auth.session_ended")


async def end_other_sessions(database: Database, auth: Auth) -> int:
    async with database.write() as session:
        result = await session.exec(
            delete(UserSession).where(
                col(UserSession.user_id) == auth.user.id, col(UserSession.id) != auth.session.id
            )
        )
        await audit.record(session, auth.user.public_id, "auth.sessions_ended")
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


# --- signing in --------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    awaiting_second_factor: bool
    device_cookie: str | None


def device_cookie_for(keys: Keys, login_tag: str, now: datetime) -> str:
    payload = f"{login_tag}.{int(now.timestamp())}"
    return f"{payload}.{keys.device_signature(payload)}"


def trusted_device(keys: Keys, cookie: str | None, login_tag: str, now: datetime) -> bool:
    if not cookie or cookie.count(".") != 2:
        return False
    tag, issued, signature = cookie.split(".")
    if tag != login_tag or not issued.isdigit():
        return False
    if keys.device_signature(f"{tag}.{issued}") != signature:
        return False
    return now.timestamp() - int(issued) < DEVICE_TTL.total_seconds()


async def sign_in(
    database: Database,
    ctx: Context,
    client: Client,
    login: str,
    password: str,
    *,
    replaces: str | None = None,
) -> SignedIn:
    """Check the password and start a session. ``replaces`` is the session token the
    browser already had: it is deleted (the id always changes at sign-in)."""
    now = _now()
    try:
        kind, normalised = contact.normalise_login(login)
    except ValueError:
        kind, normalised = "", login.strip().lower()[:254]
    tag = ctx.keys.login_tag(normalised)
    ip_key = throttles.key(throttles.LOGIN_IP, client.ip)
    account_ip_key = throttles.key(throttles.LOGIN_ACCOUNT_IP, tag, client.ip)
    account_key = throttles.key(throttles.LOGIN_ACCOUNT, tag)
    trusted = trusted_device(ctx.keys, client.device_cookie, tag, now)
    checks = [(throttles.LOGIN_IP, ip_key), (throttles.LOGIN_ACCOUNT_IP, account_ip_key)]
    if not trusted:
        checks.append((throttles.LOGIN_ACCOUNT, account_key))

    async with database.read() as session:
        await throttle.check(session, checks, now)
        user = await queries.user_by_login(session, kind, normalised) if kind else None
    ok = await passwords.verify_password(user.password_hash if user else None, password)

    if not ok or user is None:
        async with database.write() as session:
            await throttle.fail_all(session, checks, now)
            await audit.record(
                session,
                user.public_id if user else None,
                "auth.login_failed",
                payload={"reason": "credentials"},
                now=now,
            )
        security_event("login_failed", user=user.public_id if user else None, ip=client.ip)
        raise FormInvalid({"password": _l("The login or the password is wrong. Please try again.")})

    new_hash = None
    if passwords.needs_rehash(user.password_hash or ""):
        new_hash = await passwords.hash_password(password)
    async with database.write() as session:
        if replaces:
            await session.exec(
                delete(UserSession).where(col(UserSession.token_hash) == session_hash(replaces))
            )
        if new_hash is not None:
            await session.exec(
                update(User).where(col(User.id) == user.id).values(password_hash=new_hash)
            )
        for key in (account_ip_key, account_key):
            await throttle.clear(session, key)
        token = await _new_session(session, user, client, now, second_factor=False)
        await audit.record(
            session,
            user.public_id,
            "auth.login" if not user.has_totp else "auth.password_ok",
            payload={"rehashed": new_hash is not None},
            now=now,
        )
    security_event("login_password_ok", user=user.public_id, ip=client.ip)
    return SignedIn(
        user=user,
        token=token,
        awaiting_second_factor=user.has_totp,
        device_cookie=None if user.has_totp else device_cookie_for(ctx.keys, tag, now),
    )


async def verify_second_factor(
    database: Database, ctx: Context, client: Client, auth: Auth, code: str
) -> SignedIn:
    """Accept a TOTP code (each step once) or an unused recovery code, then rotate the
    session: the id that carried the password step is deleted."""
    now = _now()
    user_key = throttles.key(throttles.SECOND_FACTOR, auth.user.public_id)
    ip_key = throttles.key(throttles.SECOND_FACTOR, "ip", client.ip)
    checks = [(throttles.SECOND_FACTOR, user_key), (throttles.SECOND_FACTOR, ip_key)]
    async with database.write() as session:
        await throttle.check(session, checks, now)
        user = (
            await session.exec(select(User).where(User.id == auth.user.id).with_for_update())
        ).one()
        secret = ctx.keys.decrypt_totp(user.totp_secret or "")
        method = None
        if secret and user.has_totp:
            step = totp.verify(secret, code, now=now, last_step=user.totp_last_step)
            if step is not None:
                user.totp_last_step = step
                session.add(user)
                method = "totp"
        if method is None:
            normalised = normalise_recovery_code(code)
            if normalised:
                used = await session.exec(
                    update(RecoveryCode)
                    .where(
                        col(RecoveryCode.user_id) == user.id,
                        col(RecoveryCode.code_hash) == ctx.keys.recovery_hash(normalised),
                        col(RecoveryCode.used_at).is_(None),
                    )
                    .values(used_at=now)
                )
                if used.rowcount == 1:  # type: ignore[attr-defined]
                    method = "recovery_code"
        if method is None:
            await throttle.fail_all(session, checks, now)
            await audit.record(session, user.public_id, "auth.second_factor_failed", now=now)
    if method is None:
        security_event("second_factor_failed", user=user.public_id, ip=client.ip)
        raise FormInvalid({"code": _l("That code is not valid. Try the newest code.")})

    async with database.write() as session:
        await session.exec(delete(UserSession).where(col(UserSession.id) == auth.session.id))
        token = await _new_session(session, auth.user, client, now, second_factor=True)
        await throttle.clear(session, user_key)
        await audit.record(
            session, user.public_id, "auth.login", payload={"second_factor": method}, now=now
        )
    tag = ctx.keys.login_tag(user.login)
    return SignedIn(user, token, False, device_cookie_for(ctx.keys, tag, now))


# --- passwords ---------------------------------------------------------------------


async def request_password_reset(
    database: Database, ctx: Context, client: Client, login: str
) -> None:
    """Send a reset link if the account exists; the answer is the same either way."""
    now = _now()
    try:
        kind, normalised = contact.normalise_login(login)
    except ValueError:
        raise FormInvalid(
            {"login": _l("Enter the e-mail address or mobile number of your account.")}
        ) from None
    tag = ctx.keys.login_tag(normalised)
    checks = [
        (throttles.RESET, throttles.key(throttles.RESET, tag)),
        (throttles.RESET, throttles.key(throttles.RESET, "ip", client.ip)),
    ]
    async with database.write() as session:
        await throttle.check(session, checks, now)
        await throttle.fail_all(session, checks, now)
        user = await queries.user_by_login(session, kind, normalised)
        if user is None:
            return
        token = url_token()
        session.add(
            AccountToken(
                user_id=user.id,  # type: ignore[arg-type]
                purpose=TokenPurpose.reset.value,
                secret_hash=ctx.keys.token_hash(token),
                created_at=now,
                expires_at=now + RESET_TTL,
            )
        )
        link = f"{ctx.site_url}/accounts/password/reset?token={token}"
        await _notify(session, ctx, user, RESET_SUBJECT, RESET_BODY, link=link)
        await audit.record(session, user.public_id, "auth.reset_requested", now=now)


WRONG_PASSWORD = _l("The password is wrong.")
RESET_INVALID = _l("This link is not valid any more. Please ask for a new one.")


async def check_reset_token(database: Database, ctx: Context, token: str) -> User:
    now = _now()
    async with database.read() as session:
        row = (
            await session.exec(
                select(AccountToken, User)
                .join(User, col(User.id) == AccountToken.user_id)
                .where(
                    AccountToken.secret_hash == ctx.keys.token_hash(token),
                    AccountToken.purpose == TokenPurpose.reset.value,
                    col(AccountToken.used_at).is_(None),
                    col(AccountToken.expires_at) > now,
                    col(User.deleted_at).is_(None),
                )
            )
        ).first()
    if row is None:
        raise Invalid(RESET_INVALID, field="token")
    return row[1]


async def reset_password(
    database: Database, ctx: Context, client: Client, token: str, new_password: str
) -> None:
    """Set a new password with a single-use token. Every session of the account ends;
    the person then signs in as usual (with their second factor if they have one)."""
    ip_key = throttles.key(throttles.RESET, "submit", client.ip)
    async with database.read() as session:
        await throttle.check(session, [(throttles.RESET, ip_key)], _now())
    try:
        user = await check_reset_token(database, ctx, token)
    except Invalid:
        async with database.write() as session:
            await throttle.fail(session, throttles.RESET, ip_key, _now())
        raise
    message = _password_error(new_password, context=(user.login, user.display_name))
    if message is not None:
        raise FormInvalid({"password": message})
    password_hash = await passwords.hash_password(new_password)
    now = _now()
    async with database.write() as session:
        used = await session.exec(
            update(AccountToken)
            .where(
                col(AccountToken.secret_hash) == ctx.keys.token_hash(token),
                col(AccountToken.used_at).is_(None),
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise Invalid(RESET_INVALID, field="token")
        await session.exec(
            update(User)
            .where(col(User.id) == user.id)
            .values(password_hash=password_hash, password_changed_at=now)
        )
        await session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))
        await audit.record(session, user.public_id, "auth.password_reset", now=now)


async def change_password(
    database: Database, ctx: Context, client: Client, auth: Auth, current: str, new: str
) -> str:
    """Change the password; every other session ends and this one gets a new id."""
    await _require_password(
        database,
        auth,
        current,
        field="current_password",
        message=_l("The current password is wrong."),
    )
    message = _password_error(new, context=(auth.user.login, auth.user.display_name))
    if message is not None:
        raise FormInvalid({"new_password": message})
    password_hash = await passwords.hash_password(new)
    now = _now()
    async with database.write() as session:
        await session.exec(
            update(User)
            .where(col(User.id) == auth.user.id)
            .values(password_hash=password_hash, password_changed_at=now)
        )
        await session.exec(delete(UserSession).where(col(UserSession.user_id) == auth.user.id))
        token = await _new_session(
            session, auth.user, client, now, second_factor=auth.second_factor
        )
        await audit.record(session, auth.user.public_id, "auth.password_changed", now=now)
    return token


async def _require_password(
    database: Database,
    auth: Auth,
    password: str,
    *,
    field: str = "password",
    message: Any = None,
) -> None:
    """Confirm a sensitive change with the password; wrong guesses are throttled."""
    key = throttles.key(throttles.REAUTH, auth.user.public_id)
    async with database.read() as session:
        await throttle.check(session, [(throttles.REAUTH, key)], _now())
    if not await passwords.verify_password(auth.user.password_hash, password):
        async with database.write() as session:
            await throttle.fail(session, throttles.REAUTH, key, _now())
            await audit.record(session, auth.user.public_id, "auth.reauth_failed")
        raise FormInvalid({field: message or WRONG_PASSWORD})


# --- two-factor --------------------------------------------------------------------


async def start_totp_enrolment(database: Database, ctx: Context, auth: Auth) -> str:
    """A new secret, kept (encrypted) until the first code confirms it. Returns it."""
    if auth.user.has_totp:
        raise Forbidden(_l("Two-factor sign-in is already on."))
    secret = totp.new_secret()
    async with database.write() as session:
        await session.exec(
            update(User)
            .where(col(User.id) == auth.user.id)
            .values(totp_secret=ctx.keys.encrypt_totp(secret), totp_last_step=None)
        )
    return secret


async def confirm_totp_enrolment(
    database: Database, ctx: Context, client: Client, auth: Auth, code: str
) -> tuple[str, list[str]]:
    """Turn two-factor on with the first code; returns (new session token, recovery codes
    to show once). The session is rotated and counts as second-factor verified."""
    now = _now()
    user_key = throttles.key(throttles.SECOND_FACTOR, "enrol", auth.user.public_id)
    async with database.write() as session:
        await throttle.check(session, [(throttles.SECOND_FACTOR, user_key)], now)
        user = (
            await session.exec(select(User).where(User.id == auth.user.id).with_for_update())
        ).one()
        secret = ctx.keys.decrypt_totp(user.totp_secret or "")
        step = (
            totp.verify(secret, code, now=now, last_step=None)
            if secret and not user.has_totp
            else None
        )
        if step is None:
            await throttle.fail(session, throttles.SECOND_FACTOR, user_key, now)
    if step is None:
        raise FormInvalid(
            {"code": _l("That code is not valid. Check the time on your phone and try again.")}
        )
    codes = [recovery_code() for _ in range(RECOVERY_CODES)]
    async with database.write() as session:
        await session.exec(
            update(User)
            .where(col(User.id) == auth.user.id)
            .values(totp_enabled_at=now, totp_last_step=step)
        )
        await _replace_recovery_codes(session, ctx, auth.user, codes)
        await session.exec(delete(UserSession).where(col(UserSession.id) == auth.session.id))
        token = await _new_session(session, auth.user, client, now, second_factor=True)
        await throttle.clear(session, user_key)
        await audit.record(session, auth.user.public_id, "auth.2fa_enabled", now=now)
    return token, codes


async def _replace_recovery_codes(
    session: AsyncSession, ctx: Context, user: User, codes: list[str]
) -> None:
    await session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=ctx.keys.recovery_hash(code)))  # type: ignore[arg-type]
    await session.flush()


async def regenerate_recovery_codes(
    database: Database, ctx: Context, auth: Auth, password: str
) -> list[str]:
    if not auth.user.has_totp:
        raise Forbidden(_l("Two-factor sign-in is off."))
    await _require_password(database, auth, password)
    codes = [recovery_code() for _ in range(RECOVERY_CODES)]
    async with database.write() as session:
        await _replace_recovery_codes(session, ctx, auth.user, codes)
        await audit.record(session, auth.user.public_id, "auth.recovery_codes_renewed")
    return codes


async def disable_totp(database: Database, auth: Auth, password: str) -> None:
    if not auth.user.has_totp:
        return
    await _require_password(database, auth, password)
    async with database.write() as session:
        await session.exec(
            update(User)
            .where(col(User.id) == auth.user.id)
            .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None)
        )
        await session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == auth.user.id))
        await audit.record(session, auth.user.public_id, "auth.2fa_disabled")


# --- settings, export, deletion ------------------------------------------------------


async def update_settings(
    database: Database, auth: Auth, *, display_name: str, locale: str, publish_name: bool
) -> None:
    try:
        name = contact.normalise_display_name(display_name)
    except ValueError as problem:
        raise FormInvalid(
            {
                "display_name": _l("The name can have at most 60 characters.")
                if str(problem) == "name_too_long"
                else _l("Enter the name others will see.")
            }
        ) from None
    async with database.write() as session:
        await session.exec(
            update(User)
            .where(col(User.id) == auth.user.id)
            .values(display_name=name, locale=locale, publish_name=publish_name)
        )
        await audit.record(
            session,
            auth.user.public_id,
            "account.settings",
            payload={"locale": locale, "publish_name": publish_name},
        )


# What a later feature keeps about a person: read for the export, or removed at deletion
# (only what the record does not need). ``deliberate.personal`` lists them; accounts
# itself knows no later feature.
Reader = Callable[[AsyncSession, User], Awaitable[Any]]
Forget = Callable[[AsyncSession, User], Awaitable[None]]


async def export_data(
    database: Database, auth: Auth, *, sections: Sequence[tuple[str, Reader]]
) -> dict[str, Any]:
    """Everything stored about the person, as JSON-ready data: the account's own parts,
    then one part per feature (``sections``), all read in one session. Messages go
    without their bodies: those hold one-time codes, links with tokens and receipts."""
    user = auth.user
    async with database.write() as session:
        await audit.record(session, user.public_id, "account.export")
    async with database.read() as session:
        sessions = await queries.sessions_of(session, user.id)  # type: ignore[arg-type]
        events = await audit.events_by_actor(session, user.public_id)
        messages = await mail.messages_to(session, user.login)
        features = {name: await read(session, user) for name, read in sections}

    def iso(moment: datetime | None) -> str | None:
        return as_utc(moment).isoformat() if moment else None

    return {
        "format": "deliberate-account-export/2",
        "exported_at": _now().isoformat(),
        "account": {
            "public_id": user.public_id,
            "email": user.email,
            "phone": user.phone,
            "display_name": user.display_name,
            "role": user.role,
            "locale": user.locale,
            "publish_name": user.publish_name,
            "privacy_notice": {
                "version": user.privacy_version,
                "accepted_at": iso(user.privacy_accepted_at),
            },
            "confirmed_at": iso(user.confirmed_at),
            "created_at": iso(user.created_at),
            "password_changed_at": iso(user.password_changed_at),
            "two_factor_enabled_at": iso(user.totp_enabled_at),
        },
        "sessions": [
            {
                "created_at": iso(s.created_at),
                "last_seen_at": iso(s.last_seen_at),
                "user_agent": s.user_agent,
            }
            for s in sessions
        ],
        "audit_events": [
            {"seq": e.seq, "at": iso(e.occurred_at), "action": e.action, "payload": e.payload}
            for e in events
        ],
        "messages": [
            {
                "at": iso(m.created_at),
                "channel": m.channel,
                "subject": m.subject,
                "sent_at": iso(m.sent_at),
            }
            for m in messages
        ],
        **features,
    }


async def delete_account(
    database: Database, auth: Auth, password: str, *, forget: Sequence[Forget]
) -> None:
    """Remove personal data; the row stays as "deleted account" so records stay whole.
    Each of ``forget`` removes what a later feature keeps, in the same transaction."""
    await _require_password(database, auth, password)
    now = _now()
    async with database.write() as session:
        uid = auth.user.id
        for hook in forget:
            await hook(session, auth.user)
        await session.exec(delete(UserSession).where(col(UserSession.user_id) == uid))
        await session.exec(delete(AccountToken).where(col(AccountToken.user_id) == uid))
        await session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == uid))
        await mail.forget_recipient(session, auth.user.login)
        await session.exec(
            update(User)
            .where(col(User.id) == uid)
            .values(
                email=None,
                phone=None,
                display_name="",
                password_hash=None,
                totp_secret=None,
                totp_enabled_at=None,
                totp_last_step=None,
                publish_name=False,
                deleted_at=now,
            )
        )
        await audit.record(session, auth.user.public_id, "account.delete", now=now)


# --- administration ----------------------------------------------------------------


async def set_global_role(database: Database, actor: Auth, user_id: int, role: str) -> User:
    """Admins only. The person's sessions end, so the new rights start with a new sign-in."""
    require(actor, "users.manage")
    try:
        new_role = GlobalRole(role)
    except ValueError:
        raise Invalid(_l("Unknown role."), field="role") from None
    async with database.write() as session:
        user = await session.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound()
        if user.id == actor.user.id and new_role != GlobalRole.admin:
            raise Invalid(_l("You cannot remove your own administrator role."), field="role")
        old_role = user.role
        user.role = new_role.value
        session.add(user)
        await session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))
        await audit.record(
            session,
            actor.user.public_id,
            "role.change",
            subject=f"user:{user.public_id}",
            payload={"from": old_role, "to": new_role.value},
        )
    return user
