"""Minutes pages: a consultation's versions (compiling for the committee), one version
(the draft preview with the chair's approval, the rendering's progress, or the published
record with its hashes and download), the signed PDF itself. Thin: read, call one
service, render. Verification is in verify_page.py, the JSON list in api.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from deliberate.accounts.guards import current_auth, require_privileged
from deliberate.accounts.routes import context_of
from deliberate.consultations import queries as consultation_queries
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.jobs.models import JobState
from deliberate.minutes import jobs, queries, services
from deliberate.minutes.document import minutes_context
from deliberate.minutes.models import MinutesState
from deliberate.minutes.permissions import allowed, require
from deliberate.web.forms import redirect
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
STATE_LABELS = {
    "draft": _l("Draft"),
    "approved": _l("Approved, waiting to be rendered"),
    "rendering": _l("Being rendered and signed"),
    "published": _l("Published, signed"),
    "superseded": _l("Superseded"),
}
PROGRESS_LABELS = {
    "minutes.rendering": _l("Laying out the pages"),
    "minutes.signing": _l("Signing"),
    "minutes.storing": _l("Storing the signed file"),
}


def _now() -> datetime:
    return datetime.now(UTC)


class ConsultationMinutesController(Controller):
    path = "/consultations/{consultation_id:int}/minutes"
    include_in_schema = False

    @get("/", name="minutes:list")
    async def listing(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Template:
        auth = current_auth(request)
        async with database.read() as session:
            matter = await consultation_queries.matter(session, consultation_id)
            if matter is None:
                raise NotFound()
            standing = await queries.standing(session, auth, matter.consultation)
            require(standing, "minutes.read")
            versions = await queries.versions_of(session, consultation_id)
        committee = allowed(standing, "minutes.preview")
        return page(
            "minutes/list.html",
            consultation=matter.consultation,
            versions=[v for v in versions if committee or v.public],
            can_compile=allowed(standing, "minutes.compile"),
            amending=any(v.state == MinutesState.published for v in versions),
            labels=STATE_LABELS,
        )

    @post("/")
    async def compile(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        minutes = await services.compile_minutes(
            database, auth, consultation_id, context_of(request).keys
        )
        return redirect(f"/minutes/{minutes.id}?compiled=1")


class MinutesController(Controller):
    path = "/minutes"
    include_in_schema = False

    async def _view(
        self, request: AnyRequest, database: Database, minutes_id: int
    ) -> tuple[queries.MinutesView, Any]:
        auth = current_auth(request)
        async with database.read() as session:
            found = await queries.view(session, minutes_id)
            if found is None:
                raise NotFound()
            standing = await queries.standing(session, auth, found.consultation)
        require(standing, "minutes.read" if found.minutes.public else "minutes.preview")
        return found, standing

    @get("/{key:str}", name="minutes:show")
    async def show(
        self, request: AnyRequest, database: NamedDependency[Database], key: FromPath[str]
    ) -> Any:
        """``/minutes/12`` is the page, ``/minutes/12.pdf`` the signed file."""
        if key.endswith(".pdf") and key[:-4].isdigit():
            return await self._pdf(request, database, int(key[:-4]))
        if not key.isdigit():
            raise NotFound()
        found, standing = await self._view(request, database, int(key))
        minutes = found.minutes
        settings = request.app.state.settings
        # The record as HTML, from the snapshot: the draft's preview for the committee, and
        # for a published version the accessible reading of what its signed PDF holds.
        preview = minutes_context(
            _json(minutes.snapshot),
            snapshot_sha256=minutes.snapshot_sha256,
            verify_url=jobs.verify_url(settings),
            tz=settings.tz,
        )
        return page(
            "minutes/show.html",
            view=found,
            minutes=minutes,
            labels=STATE_LABELS,
            can_approve=allowed(standing, "minutes.approve") and _approvable(found),
            progress=_progress(found),
            preview=preview,
        )

    async def _pdf(
        self, request: AnyRequest, database: Database, minutes_id: int
    ) -> Response[bytes]:
        found, _standing = await self._view(request, database, minutes_id)
        minutes = found.minutes
        if not minutes.public or not minutes.pdf_path:
            raise NotFound()
        path = jobs.pdf_dir(request.app.state.settings) / minutes.pdf_path
        name = f"minutes-{minutes.consultation_id}-v{minutes.version}.pdf"
        return Response(
            path.read_bytes(),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "public, max-age=3600",
            },
        )

    @post("/{minutes_id:int}/approve")
    async def approve(
        self, request: AnyRequest, database: NamedDependency[Database], minutes_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        await services.approve(database, auth, minutes_id)
        return redirect(f"/minutes/{minutes_id}?approved=1")

    @get("/{minutes_id:int}/progress", name="minutes:progress")
    async def progress(
        self, request: AnyRequest, database: NamedDependency[Database], minutes_id: FromPath[int]
    ) -> Any:
        """The rendering's progress: an htmx fragment polled every 2 s (a full page
        reload shows the same); once published, htmx is sent to the page itself."""
        require_privileged(request)
        found, _standing = await self._view(request, database, minutes_id)
        headers = {}
        if found.minutes.public and request.headers.get("hx-request"):
            headers["HX-Redirect"] = f"/minutes/{minutes_id}"
        return page(
            "minutes/_progress.html",
            minutes=found.minutes,
            progress=_progress(found),
            headers=headers,
        )


def _json(text: str) -> dict[str, Any]:
    import json

    return json.loads(text)


def _approvable(found: queries.MinutesView) -> bool:
    state = found.minutes.state
    if state == MinutesState.draft:
        return True
    failed = found.job is not None and found.job.state == JobState.failed
    return state in (MinutesState.approved, MinutesState.rendering) and failed


def _progress(found: queries.MinutesView) -> dict[str, Any] | None:
    """What the committee sees while the version is rendered (None: nothing running)."""
    job = found.job
    if found.minutes.state not in (MinutesState.approved, MinutesState.rendering) or job is None:
        return None
    return {
        "percent": job.progress,
        "step": PROGRESS_LABELS.get(job.message, _l("Waiting for a worker")),
        "failed": job.state == JobState.failed,
        "retrying": job.state == JobState.queued and job.attempts > 0,
    }
