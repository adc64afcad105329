"""The committee's page for importing a vote counted elsewhere from a pabulib ``.pb`` file
(imports.py). Plain HTML: a file field and a few optional fields; a refused file comes
back on the same page with the reason (400; 413 when it is larger than 5 MB)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from deliberate.accounts.auth import Auth
from deliberate.accounts.guards import require_privileged
from deliberate.accounts.services import FormInvalid
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.models import Consultation
from deliberate.consultations.permissions import require as require_consultation
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.polls import imports
from deliberate.polls.labels import METHOD_EXPLANATIONS, METHOD_LABELS
from deliberate.web.forms import form_data, redirect, uploaded_file
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
NO_FILE = _l("Choose a .pb file.")


async def _consultation(database: Database, auth: Auth, consultation_id: int) -> Consultation:
    """The consultation, if the actor's committee runs it (else NotFound / Forbidden)."""
    async with database.read() as session:
        item = await session.get(Consultation, consultation_id)
        if item is None:
            raise NotFound()
        standing = await consultation_queries.standing(session, auth, item)
        require_consultation(standing, "consultation.manage")
    return item


def _page(
    item: Consultation, form: dict[str, str], errors: dict[str, Any], status_code: int = 200
) -> Template:
    return page(
        "polls/import.html",
        status_code=status_code,
        consultation=item,
        form=form,
        errors=errors,
        methods=[(m, METHOD_LABELS[m], METHOD_EXPLANATIONS[m]) for m in imports.METHODS],
        max_mb=imports.MAX_BYTES // (1024 * 1024),
    )


class PollImportController(Controller):
    path = "/consultations/{consultation_id:int}/polls"
    include_in_schema = False

    @get("/import", name="polls:import")
    async def import_page(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Template:
        auth = require_privileged(request)
        item = await _consultation(database, auth, consultation_id)
        return _page(item, {"method": "budget"}, {})

    @post("/import")
    async def import_file(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        item = await _consultation(database, auth, consultation_id)
        form = await form_data(request)
        data = await uploaded_file(request, "file")
        if data is None:
            return _page(item, form, {"file": NO_FILE}, 400)
        if len(data) > imports.MAX_BYTES:
            return _page(item, form, {"file": imports.TOO_LARGE}, 413)
        try:
            parsed = imports.parse_import(form, request.app.state.settings.tz)
            poll = await imports.import_pabulib(database, auth, consultation_id, data, parsed)
        except FormInvalid as error:
            return _page(item, form, error.errors, 400)
        return redirect(f"/polls/{poll.id}/results")
