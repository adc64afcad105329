"""The signed-in person's own account: settings, password, sessions, two-factor, their
data, deletion."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from litestar.serialization import encode_json

from deliberate import personal
from deliberate.accounts import queries, services, totp
from deliberate.accounts.guards import require_signed_in
from deliberate.accounts.middleware import SESSION_COOKIE
from deliberate.accounts.routes import client_of, context_of, form_page
from deliberate.accounts.services import FormInvalid
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.forums import queries as forum_queries
from deliberate.identity import queries as identity_queries
from deliberate.web.cookies import expired_cookie, host_cookie
from deliberate.web.forms import form_data, redirect, safe_next
from deliberate.web.i18n import LOCALES
from deliberate.web.i18n import gettext as _
from deliberate.web.middleware import lang_cookie
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]


class AccountController(Controller):
    path = "/accounts"
    include_in_schema = False

    @get("", name="accounts:home")
    async def overview(self, request: AnyRequest, database: NamedDependency[Database]) -> Template:
        auth = require_signed_in(request)
        async with database.read() as session:
            codes_left = (
                await queries.unused_recovery_codes(session, auth.user.id)  # type: ignore[arg-type]
                if auth.user.has_totp
                else 0
            )
            verified = await identity_queries.verifications_of(
                session,
                auth.user.id,  # type: ignore[arg-type]
                on=date.today(),
            )
            forums = await forum_queries.invitations_held(session, auth.user.id)  # type: ignore[arg-type]
        return form_page(
            "accounts/overview.html",
            {
                "display_name": auth.user.display_name,
                "locale": auth.user.locale,
                "publish_name": "yes" if auth.user.publish_name else "",
            },
            codes_left=codes_left,
            verified=verified,
            forums=forums,
        )

    @post("/settings")
    async def settings(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        form = await form_data(request)
        locale = form.get("locale", auth.user.locale)
        if locale not in LOCALES:
            locale = auth.user.locale
        try:
            await services.update_settings(
                database,
                auth,
                display_name=form.get("display_name", ""),
                locale=locale,
                publish_name=form.get("publish_name") == "yes",
            )
        except FormInvalid as error:
            return form_page(
                "accounts/overview.html", form, error, codes_left=0, verified=[], forums=[]
            )
        return redirect("/accounts?saved=1", cookies=[lang_cookie(locale)])

    @get("/password", name="accounts:password")
    async def password_form(self, request: AnyRequest) -> Template:
        require_signed_in(request)
        return form_page("accounts/password.html", {})

    @post("/password")
    async def change_password(
        self, request: AnyRequest, database: NamedDependency[Database]
    ) -> Any:
        auth = require_signed_in(request)
        form = await form_data(request)
        try:
            token = await services.change_password(
                database,
                context_of(request),
                client_of(request),
                auth,
                form.get("current_password", ""),
                form.get("new_password", ""),
            )
        except FormInvalid as error:
            return form_page("accounts/password.html", {}, error)
        return redirect(
            "/accounts?password_changed=1", cookies=[host_cookie(SESSION_COOKIE, token)]
        )

    @get("/sessions", name="accounts:sessions")
    async def sessions(self, request: AnyRequest, database: NamedDependency[Database]) -> Template:
        auth = require_signed_in(request)
        async with database.read() as session:
            rows = await queries.sessions_of(session, auth.user.id)  # type: ignore[arg-type]
        return page("accounts/sessions.html", sessions=rows, current_id=auth.session.id)

    @post("/sessions/end-others")
    async def end_others(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        await services.end_other_sessions(database, auth)
        return redirect("/accounts/sessions?ended=1")

    @post("/sessions/{session_id:int}/end")
    async def end_one(
        self, request: AnyRequest, database: NamedDependency[Database], session_id: FromPath[int]
    ) -> Any:
        auth = require_signed_in(request)
        if session_id == auth.session.id:
            await services.sign_out(database, auth)
            return redirect("/", cookies=[expired_cookie(SESSION_COOKIE)])
        await services.end_session(database, auth, session_id)
        return redirect("/accounts/sessions?ended=1")

    @get("/session", name="accounts:session")
    async def session_status(self, request: AnyRequest) -> Template:
        auth = require_signed_in(request)
        remaining = int((auth.expires_at() - datetime.now(UTC)).total_seconds())
        return page(
            "accounts/session.html",
            minutes_left=max(remaining // 60, 0),
            next=safe_next(request.query_params.get("next"), "/accounts"),
        )

    @post("/session/extend")
    async def extend_session(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        await services.touch(database, auth, datetime.now(UTC))
        form = await form_data(request)
        return redirect(safe_next(form.get("next"), "/accounts"))

    # --- two-factor ------------------------------------------------------------------

    @get("/two-factor", name="accounts:two_factor")
    async def two_factor(self, request: AnyRequest) -> Template:
        auth = require_signed_in(request)
        if auth.user.has_totp:
            return form_page("accounts/two_factor_on.html", {})
        return form_page(
            "accounts/two_factor_off.html",
            {"next": safe_next(request.query_params.get("next"), "")},
            required=auth.privileged,
        )

    @post("/two-factor/start")
    async def start(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        if auth.user.has_totp:
            return redirect("/accounts/two-factor")
        form = await form_data(request)
        secret = await services.start_totp_enrolment(database, context_of(request), auth)
        return self._enrolment_page(auth.user.login, secret, {"next": form.get("next", "")})

    def _enrolment_page(
        self, account: str, secret: str, form: dict[str, str], error: FormInvalid | None = None
    ) -> Template:
        uri = totp.provisioning_uri(secret, account)
        return form_page(
            "accounts/two_factor_enrol.html",
            form,
            error,
            qr_svg=totp.qr_svg(uri, _("QR code for your authenticator app")),
            secret_text=totp.grouped(secret),
            next=safe_next(form.get("next"), ""),
        )

    @post("/two-factor/enrol")
    async def enrol(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        form = await form_data(request)
        ctx = context_of(request)
        try:
            token, codes = await services.confirm_totp_enrolment(
                database, ctx, client_of(request), auth, form.get("code", "")
            )
        except FormInvalid as error:
            secret = ctx.keys.decrypt_totp(auth.user.totp_secret or "")
            if secret is None:
                return redirect("/accounts/two-factor")
            form.pop("code", None)
            return self._enrolment_page(auth.user.login, secret, form, error)
        return page(
            "accounts/recovery_codes.html",
            cookies=[host_cookie(SESSION_COOKIE, token)],
            codes=codes,
            next=safe_next(form.get("next"), "/accounts"),
        )

    @post("/two-factor/recovery-codes")
    async def new_codes(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        form = await form_data(request)
        try:
            codes = await services.regenerate_recovery_codes(
                database, context_of(request), auth, form.get("password", "")
            )
        except FormInvalid as error:
            return form_page("accounts/two_factor_on.html", {}, error)
        return page("accounts/recovery_codes.html", codes=codes, next="/accounts")

    @post("/two-factor/disable")
    async def disable(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        form = await form_data(request)
        try:
            await services.disable_totp(database, auth, form.get("disable_password", ""))
        except FormInvalid as error:
            errors = {"disable_password": error.errors.get("password")}
            return form_page("accounts/two_factor_on.html", {}, FormInvalid(errors))
        return redirect("/accounts?two_factor_off=1")

    # --- data and deletion ----------------------------------------------------------

    @get("/data", name="accounts:data")
    async def data_page(self, request: AnyRequest) -> Template:
        require_signed_in(request)
        return page("accounts/data.html")

    @post("/data")
    async def export(self, request: AnyRequest, database: NamedDependency[Database]) -> Response:
        auth = require_signed_in(request)
        data = await personal.export_data(database, auth)
        return Response(
            encode_json(data),
            media_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="deliberate-my-data.json"',
                "Cache-Control": "no-store",
            },
        )

    @get("/delete", name="accounts:delete")
    async def delete_form(self, request: AnyRequest) -> Template:
        require_signed_in(request)
        return form_page("accounts/delete.html", {})

    @post("/delete")
    async def delete(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_signed_in(request)
        form = await form_data(request)
        if form.get("confirm") != "yes":
            error = FormInvalid({"confirm": _("Tick the box to confirm.")})
            return form_page("accounts/delete.html", {}, error)
        try:
            await personal.delete_account(database, auth, form.get("password", ""))
        except FormInvalid as error:
            return form_page("accounts/delete.html", {}, error)
        except NotFound:
            return redirect("/")
        return redirect("/?deleted=1", cookies=[expired_cookie(SESSION_COOKIE)])
