"""Per-request locale: chosen once, bound to the context, remembered in a cookie."""

from __future__ import annotations

from urllib.parse import parse_qs

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from deliberate.web import i18n
from deliberate.web.cookies import host_cookie, scope_cookies


class UnknownLanguage(HTTPException):
    status_code = 400

    def __init__(self, value: str) -> None:
        super().__init__(detail="unknown language")
        self.value = value


def locale_for_scope(scope: Scope) -> i18n.LocaleChoice:
    """The locale of a request: ``?lang=``, the remembered choice (cookie), the signed-in
    person's setting, Accept-Language, zh-CN."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    query_lang = query["lang"][-1] if "lang" in query else None
    accept = next(
        (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"accept-language"),
        None,
    )
    remembered = scope_cookies(scope).get(i18n.LANG_COOKIE)
    if remembered is None:
        auth = scope.get("state", {}).get("auth")
        remembered = i18n.LOCALES.get(auth.user.locale) if auth is not None else None
    return i18n.choose_locale(query_lang, remembered, accept)


def lang_cookie(locale: str) -> Cookie:
    return host_cookie(i18n.LANG_COOKIE, i18n.LOCALES[locale], max_age=i18n.LANG_COOKIE_MAX_AGE)


def locale_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        choice = locale_for_scope(scope)
        i18n.set_locale(choice.locale)
        if choice.rejected is not None:
            raise UnknownLanguage(choice.rejected)
        if not choice.remember:
            await app(scope, receive, send)
            return

        async def remembering_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message).add(  # type: ignore[arg-type]
                    "set-cookie", lang_cookie(choice.locale).to_header(header="")
                )
            await send(message)

        await app(scope, receive, remembering_send)

    return middleware
