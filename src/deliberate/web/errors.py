"""Error responses: an HTML page in the user's language, or RFC 9457 problem details
under ``/api/``. No traceback leaves the server outside development."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from deliberate.web import i18n
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.middleware import UnknownLanguage, locale_for_scope
from deliberate.web.pages import page

logger = logging.getLogger("deliberate.errors")

TITLES: dict[int, Any] = {
    400: _l("The request could not be understood"),
    403: _l("You are not allowed to do that"),
    404: _l("Page not found"),
    405: _l("That action is not possible here"),
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


def _status_of(exc: Exception) -> int:
    return exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR


def _headers_of(exc: Exception) -> dict[str, str]:
    headers = getattr(exc, "headers", None) or {}
    return {k: v for k, v in headers.items() if k.lower() in PASSED_HEADERS}


def error_response(request: Request, exc: Exception) -> Response[Any]:
    status = _status_of(exc)
    if status >= 500:
        logger.error(
            "unhandled error on %s %s",
            request.method,
            request.url.path.replace("\r", "\\r").replace("\n", "\\n"),
            exc_info=exc,
        )
    # Outside route middleware (404, 405) the locale is not chosen yet: choose it here.
    choice = locale_for_scope(request.scope)
    i18n.set_locale(choice.locale)
    generic = status if status in TITLES else (500 if status >= 500 else 400)
    title = str(TITLES[generic])
    explanation = str(EXPLANATIONS[generic])
    headers = _headers_of(exc)

    if request.url.path.startswith("/api/"):
        problem = {"type": "about:blank", "title": title, "status": status, "detail": explanation}
        return Response(
            encode_json(problem),
            status_code=status,
            media_type=PROBLEM_JSON,
            headers=headers,
        )

    debug = request.app.state.settings.debug and status >= 500
    return page(
        "errors/error.html",
        status_code=status,
        headers=headers,
        status=status,
        title=title,
        explanation=explanation,
        rejected_language=exc.value if isinstance(exc, UnknownLanguage) else None,
        retry_after=next((v for k, v in headers.items() if k.lower() == "retry-after"), None),
        trace="".join(traceback.format_exception(exc)) if debug else None,
    )


def handle_exception(request: Request, exc: Exception) -> Response[Any]:
    return error_response(request, exc)
