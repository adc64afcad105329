"""Per-request locale: chosen once, bound to the context, remembered in a cookie."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from deliberate.web import i18n


class UnknownLanguage(HTTPException):
    status_code = 400

    def __init__(self, value: str) -> None:
        super().__init__(detail="unknown language")
        self.value = value


def locale_for_scope(scope: Scope) -> i18n.LocaleChoice:
    """The locale of a request, from its query string, cookie and Accept-Language."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    query_lang = query["lang"][-1] if "lang" in query else None
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    remembered = None
    if "cookie" in headers:
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers["cookie"])
        except CookieError:  # a malformed Cookie header must not break the page
            cookie = SimpleCookie()
        if i18n.LANG_COOKIE in cookie:
            remembered = cookie[i18n.LANG_COOKIE].value
    return i18n.choose_locale(query_lang, remembered, headers.get("accept-language"))


def lang_cookie_header(locale: str) -> str:
    return Cookie(
        key=i18n.LANG_COOKIE,
        value=i18n.LOCALES[locale],
        path="/",
        max_age=i18n.LANG_COOKIE_MAX_AGE,
        secure=True,
        httponly=True,
        samesite="lax",
    ).to_header(header="")


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
                    "set-cookie", lang_cookie_header(choice.locale)
                )
            await send(message)

        await app(scope, receive, remembering_send)

    return middleware
