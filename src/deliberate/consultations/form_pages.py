"""The form pages a committee fills in inside one of its consultations (a new hearing, a
new poll, an import): the consultation, the areas a rule may name, and the form again
with its errors (status 400) when it was refused."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from deliberate.accounts.guards import current_auth
from deliberate.consultations import queries
from deliberate.consultations.models import Consultation
from deliberate.consultations.permissions import require
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.web.pages import page


async def managed_form_page(
    request: Request[Any, Any, Any],
    database: Database,
    consultation_id: int,
    template: str,
    form: dict[str, str],
    errors: Any,
    **extra: Any,
) -> Template:
    async with database.read() as session:
        item = await session.get(Consultation, consultation_id)
        if item is None:
            raise NotFound()
        standing = await queries.standing(session, current_auth(request), item)
        require(standing, "consultation.manage")
        areas = await queries.areas_in(session, item.area_id)
    return page(
        template,
        status_code=400 if errors else 200,
        consultation=item,
        areas=areas,
        form=form,
        errors=errors,
        **extra,
    )
