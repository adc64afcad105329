"""Error responses: an HTML page in the user's language, or RFC 9457 problem details
under ``/api/``. No traceback leaves the server outside development."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from deliberate.errors import DomainError
from deliberate.web import i18n
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.middleware import UnknownLanguage, locale_for_scope
from deliberate.web.pages import page

logger = logging.getLogger("deliberate.errors")
AnyRequest = Request[Any, Any, Any]

TITLES: dict[int, Any] = {
    400: _l("The request could not be understood"),
    403: _l("You are not allowed to do that"),
    404: _l("Page not found"),
    405: _l("That action is not possible here"),
    409: _l("That conflicts with what is already there"),
    413: _l("What you sent is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is unavailable"),
}
EXPLANATIONS: dict[int, Any] = {
    400: _l("Please check the address or the form and try again."),
    403: _l(
        "If you submitted a form, the page may have been open for too long: "
        "go back, reload it and try again."
    ),
    404: _l("The address may be mistyped, or the page may have moved."),
    405: _l("Go back and use the buttons and links on the page."),
    409: _l("Reload the page to see the current state, then try again."),
    413: _l("Please send less at once, or a smaller file."),
    429: _l("Please wait a little and try again."),
    500: _l("The error has been recorded. Please try again in a moment."),
    503: _l("Please try again in a moment."),
}
PROBLEM_JSON = "application/problem+json"
PASSED_HEADERS = (
    "allow",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
)


def _clean(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def error_page(
    request: AnyRequest,
    status: int,
    *,
    headers: dict[str, str] | None = None,
    explanation: Any = None,
    exc: BaseException | None = None,
) -> Response[Any]:
    # Outside route middleware (404, 405) the locale is not chosen yet: choose it here.
    i18n.set_locale(locale_for_scope(request.scope).locale)
    generic = status if status in TITLES else (500 if status >= 500 else 400)
    title = str(TITLES[generic])
    text = str(explanation if explanation is not None else EXPLANATIONS[generic])
    headers = {k: v for k, v in (headers or {}).items() if k.lower() in PASSED_HEADERS}

    if request.url.path.startswith("/api/"):
        problem = {"type": "about:blank", "title": title, "status": status, "detail": text}
        return Response(
            encode_json(problem), status_code=status, media_type=PROBLEM_JSON, headers=headers
        )

    debug = request.app.state.settings.debug and status >= 500 and exc is not None
    return page(
        "errors/error.html",
        status_code=status,
        headers=headers,
        status=status,
        title=title,
        explanation=text,
        rejected_language=exc.value if isinstance(exc, UnknownLanguage) else None,
        retry_after=next((v for k, v in headers.items() if k.lower() == "retry-after"), None),
        trace="".join(traceback.format_exception(exc)) if debug and exc else None,
    )


def handle_exception(request: AnyRequest, exc: Exception) -> Response[Any]:
    status = exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR
    if status >= 500:
        logger.error(
            "unhandled error on %s %s", request.method, _clean(request.url.path), exc_info=exc
        )
    return error_page(request, status, headers=getattr(exc, "headers", None), exc=exc)


def handle_domain_error(request: AnyRequest, exc: DomainError) -> Response[Any]:
    return error_page(request, exc.status_code, explanation=exc.message, exc=exc)


def handle_redirect(_request: AnyRequest, exc: Exception) -> Response[Any]:
    return Redirect(path=exc.location, status_code=303)  # type: ignore[attr-defined]


def handle_throttled(request: AnyRequest, exc: Exception) -> Response[Any]:
    return error_page(request, 429, headers=exc.headers(), exc=exc)  # type: ignore[attr-defined]
