from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlmodel import col, select

from deliberate.accounts import queries, services
from deliberate.accounts.guards import require_privileged
from deliberate.accounts.models import GlobalRole
from deliberate.accounts.permissions import require
from deliberate.audit.models import AuditEvent
from deliberate.db import Database
from deliberate.errors import DomainError
from deliberate.mail import services as mail
from deliberate.web.forms import form_data, redirect
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
AUDIT_PAGE = 100


class AdminController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("", name="admin:home")
    async def home(self, request: AnyRequest) -> Template:
        auth = require_privileged(request)
        require(auth, "users.manage")
        return page("admin/home.html")

    @get("/users", name="admin:users")
    async def users(
        self, request: AnyRequest, database: NamedDependency[Database], q: FromQuery[str] = ""
    ) -> Template:
        auth = require_privileged(request)
        require(auth, "users.manage")
        async with database.read() as session:
            found = await queries.search_users(session, q[:100])
        return page("admin/users.html", users=found, q=q[:100], roles=list(GlobalRole))

    @post("/users/{user_id:int}/role")
    async def set_role(
        self, request: AnyRequest, database: NamedDependency[Database], user_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await services.set_global_role(database, auth, user_id, form.get("role", ""))
        except DomainError as error:
            if error.status_code != 400:
                raise
            async with database.read() as session:
                found = await queries.search_users(session, "")
            return page(
                "admin/users.html",
                status_code=400,
                users=found,
                q="",
                roles=list(GlobalRole),
                error=error.message,
            )
        return redirect("/admin/users?saved=1")

    @get("/outbox", name="admin:outbox")
    async def outbox(self, request: AnyRequest, database: NamedDependency[Database]) -> Template:
        auth = require_privileged(request)
        require(auth, "outbox.read")
        async with database.read() as session:
            messages = await mail.recent(session)
        return page("admin/outbox.html", messages=messages)

    @get("/audit", name="admin:audit")
    async def audit(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        before: FromQuery[int | None] = None,
    ) -> Template:
        auth = require_privileged(request)
        require(auth, "audit.read")
        query = select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(AUDIT_PAGE)
        if before is not None:
            query = query.where(col(AuditEvent.seq) < before)
        async with database.read() as session:
            events = list((await session.exec(query)).all())
        older = events[-1].seq if len(events) == AUDIT_PAGE else None
        return page("admin/audit.html", events=events, older=older)
