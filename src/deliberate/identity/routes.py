from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlmodel import col, select

from deliberate.accounts.guards import require_privileged
from deliberate.db import Database
from deliberate.identity.models import Area, Committee, CommitteeMember
from deliberate.web.pages import page


class CommitteeController(Controller):
    """The committee members' own start page (two-factor required)."""

    path = "/committees"
    include_in_schema = False

    @get("", name="committees:mine")
    async def mine(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Template:
        auth = require_privileged(request)
        async with database.read() as session:
            rows = (
                await session.exec(
                    select(CommitteeMember, Committee, Area)
                    .join(Committee, col(Committee.id) == CommitteeMember.committee_id)
                    .join(Area, col(Area.id) == Committee.area_id)
                    .where(CommitteeMember.user_id == auth.user.id)
                    .order_by(col(Committee.name))
                )
            ).all()
        return page("identity/committees.html", memberships=rows)
