"""Registration, confirmation, signing in and out, and password recovery."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from deliberate.accounts import contact, services
from deliberate.accounts.guards import current_auth, require_signed_in
from deliberate.accounts.middleware import DEVICE_COOKIE, SESSION_COOKIE
from deliberate.accounts.services import Client, Context, FormInvalid, Registration
from deliberate.accounts.tokens import Keys
from deliberate.db import Database
from deliberate.errors import Invalid
from deliberate.web.cookies import expired_cookie, host_cookie
from deliberate.web.forms import form_data, redirect, request_ip, safe_next
from deliberate.web.i18n import current_locale
from deliberate.web.middleware import lang_cookie
from deliberate.web.pages import page

DEVICE_MAX_AGE = int(services.DEVICE_TTL.total_seconds())
AnyRequest = Request[Any, Any, Any]


def context_of(request: AnyRequest) -> Context:
    settings = request.app.state.settings
    keys: Keys = request.app.state.account_keys
    return Context(
        keys=keys, development=settings.debug, site_url=str(request.base_url).rstrip("/")
    )


def client_of(request: AnyRequest) -> Client:
    return Client(
        ip=request_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        device_cookie=request.cookies.get(DEVICE_COOKIE),
    )


def form_page(template: str, form: dict[str, str], error: FormInvalid | None = None, **kw: Any):
    """A form page; with an error it is answered 400 and keeps what was typed."""
    return page(
        template,
        status_code=400 if error else 200,
        form=form,
        errors=error.errors if error else {},
        **kw,
    )


def signed_in_response(result: services.SignedIn, next_path: str) -> Redirect:
    cookies = [host_cookie(SESSION_COOKIE, result.token)]
    if result.awaiting_second_factor:
        return redirect(f"/accounts/login/verify?next={next_path}", cookies=cookies)
    if result.device_cookie:
        cookies.append(host_cookie(DEVICE_COOKIE, result.device_cookie, max_age=DEVICE_MAX_AGE))
    cookies.append(lang_cookie(result.user.locale))
    return redirect(next_path, cookies=cookies)


class SignInController(Controller):
    path = "/accounts"
    include_in_schema = False

    @get("/register", name="accounts:register")
    async def register_form(self, next: FromQuery[str | None] = None) -> Template:
        return form_page("accounts/register.html", {"next": safe_next(next, "")})

    @post("/register")
    async def register(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        form = await form_data(request)
        registration = Registration(
            login=form.get("login", ""),
            display_name=form.get("display_name", ""),
            password=form.get("password", ""),
            accept_privacy=form.get("accept_privacy") == "yes",
            publish_name=form.get("publish_name") == "yes",
            locale=current_locale(),
        )
        try:
            _user, token = await services.register(
                database, context_of(request), client_of(request), registration
            )
        except FormInvalid as error:
            form.pop("password", None)
            return form_page("accounts/register.html", form, error)
        after = safe_next(form.get("next"), "")
        location = "/accounts/confirm" + (f"?{urlencode({'next': after})}" if after else "")
        return redirect(location, cookies=[host_cookie(SESSION_COOKIE, token)])

    @get("/privacy", name="accounts:privacy")
    async def privacy(self) -> Template:
        return page("accounts/privacy.html", version=services.PRIVACY_VERSION)

    @get("/confirm", name="accounts:confirm")
    async def confirm_form(self, request: AnyRequest, next: FromQuery[str | None] = None) -> Any:
        auth = require_signed_in(request)
        if auth.confirmed:
            return redirect(safe_next(next, "/accounts"))
        return form_page(
            "accounts/confirm.html",
            {"next": safe_next(next, "")},
            login=contact.mask(auth.user.login),
        )

    @post("/confirm")
    async def confirm(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        form = await form_data(request)
        if form.get("action") == "resend":
            await services.resend_confirmation(database, context_of(request), auth)
            return form_page(
                "accounts/confirm.html",
                {"next": safe_next(form.get("next"), "")},
                login=contact.mask(auth.user.login),
                resent=True,
            )
        try:
            await services.confirm(
                database, context_of(request), client_of(request), auth, form.get("code", "")
            )
        except FormInvalid as error:
            return form_page(
                "accounts/confirm.html", form, error, login=contact.mask(auth.user.login)
            )
        return redirect(safe_next(form.get("next"), "/accounts?confirmed=1"))

    @get("/login", name="accounts:login")
    async def login_form(self, request: AnyRequest, next: FromQuery[str | None] = None) -> Any:
        auth = current_auth(request)
        if auth is not None and auth.signed_in:
            return redirect(safe_next(next, "/accounts"))
        ended = request.scope.get("state", {}).get("session_ended", False)
        return form_page("accounts/login.html", {"next": safe_next(next, "")}, session_ended=ended)

    @post("/login")
    async def login(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        form = await form_data(request)
        next_path = safe_next(form.get("next"), "/accounts")
        try:
            result = await services.sign_in(
                database,
                context_of(request),
                client_of(request),
                form.get("login", ""),
                form.get("password", ""),
                replaces=request.cookies.get(SESSION_COOKIE),
            )
        except FormInvalid as error:
            form.pop("password", None)
            return form_page("accounts/login.html", form, error)
        return signed_in_response(result, next_path)

    @get("/login/verify", name="accounts:verify")
    async def verify_form(self, request: AnyRequest, next: FromQuery[str | None] = None) -> Any:
        auth = current_auth(request)
        if auth is None:
            return redirect("/accounts/login")
        if not auth.user.has_totp:
            return redirect("/accounts/two-factor")
        return form_page("accounts/verify.html", {"next": safe_next(next, "")})

    @post("/login/verify")
    async def verify(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = current_auth(request)
        if auth is None:
            return redirect("/accounts/login")
        form = await form_data(request)
        try:
            result = await services.verify_second_factor(
                database, context_of(request), client_of(request), auth, form.get("code", "")
            )
        except FormInvalid as error:
            form.pop("code", None)
            return form_page("accounts/verify.html", form, error)
        return signed_in_response(result, safe_next(form.get("next"), "/accounts"))

    @post("/logout", name="accounts:logout")
    async def logout(self, request: AnyRequest, database: NamedDependency[Database]) -> Redirect:
        auth = current_auth(request)
        if auth is not None:
            await services.sign_out(database, auth)
        return redirect("/?signed_out=1", cookies=[expired_cookie(SESSION_COOKIE)])

    @get("/password/forgot", name="accounts:forgot")
    async def forgot_form(self) -> Template:
        return form_page("accounts/forgot.html", {})

    @post("/password/forgot")
    async def forgot(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        form = await form_data(request)
        try:
            await services.request_password_reset(
                database, context_of(request), client_of(request), form.get("login", "")
            )
        except FormInvalid as error:
            return form_page("accounts/forgot.html", form, error)
        return page("accounts/forgot_sent.html")

    @get("/password/reset", name="accounts:reset")
    async def reset_form(
        self, request: AnyRequest, database: NamedDependency[Database], token: FromQuery[str] = ""
    ) -> Template:
        try:
            await services.check_reset_token(database, context_of(request), token)
        except Invalid:
            return page("accounts/reset_invalid.html", status_code=400)
        return form_page("accounts/reset.html", {"token": token})

    @post("/password/reset")
    async def reset(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        form = await form_data(request)
        token = form.get("token", "")
        try:
            await services.reset_password(
                database, context_of(request), client_of(request), token, form.get("password", "")
            )
        except FormInvalid as error:
            return form_page("accounts/reset.html", {"token": token}, error)
        except Invalid:
            return page("accounts/reset_invalid.html", status_code=400)
        return redirect("/accounts/login?reset=1", cookies=[expired_cookie(SESSION_COOKIE)])
