"""``/verify``: anyone uploads a PDF and learns whether it is an authentic published
version of some minutes, or exactly why not. The page also publishes the deployment's
signing certificate and its fingerprint, for checking the PDF with other tools."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from deliberate.db import Database
from deliberate.minutes import verification
from deliberate.throttle import services as throttle
from deliberate.throttle.policy import Rule
from deliberate.web.forms import request_ip
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
NO_FILE = _l("Choose the PDF file to check.")
# Checking a signature costs CPU and anyone may ask: 30 checks per address per hour.
CHECKS = Rule(
    "verify-pdf",
    limit=30,
    window=timedelta(hours=1),
    first_delay=timedelta(minutes=1),
    max_delay=timedelta(hours=1),
)


async def count_check(database: Database, ip: str) -> None:
    """Refuse (429) past the limit; otherwise count this check."""
    now = datetime.now(UTC)
    key = f"verify-pdf:{ip}"[:160]
    async with database.write() as session:
        await throttle.check(session, [(CHECKS, key)], now)
        await throttle.fail(session, CHECKS, key, now)


class VerifyController(Controller):
    path = "/verify"
    include_in_schema = False

    def _page(self, request: AnyRequest, status_code: int = 200, **context: Any) -> Template:
        settings = request.app.state.settings
        return page(
            "minutes/verify.html",
            status_code=status_code,
            certificate=verification.trusted_certificate(settings).decode("ascii", "replace"),
            fingerprint=verification.fingerprint(settings),
            **context,
        )

    @get("/", name="minutes:verify")
    async def form(self, request: AnyRequest) -> Template:
        return self._page(request)

    @post("/", request_max_body_size=MAX_UPLOAD_BYTES)
    async def check(self, request: AnyRequest, database: NamedDependency[Database]) -> Template:
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return self._page(request, status_code=400, error=NO_FILE)
        await count_check(database, request_ip(request))
        data = await upload.read()
        checked = await verification.check(database, request.app.state.settings, data)
        return self._page(request, checked=checked, filename=upload.filename)
