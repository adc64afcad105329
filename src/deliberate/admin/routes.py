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
from deliberate.accounts.services import FormInvalid
from deliberate.audit.models import AuditEvent
from deliberate.db import Database
from deliberate.errors import DomainError
from deliberate.identity import committees
from deliberate.identity import queries as area_queries
from deliberate.identity import services as area_services
from deliberate.identity.csvfiles import CsvProblem, csv_message
from deliberate.identity.models import AreaKind, CommitteeRole
from deliberate.mail import services as mail
from deliberate.web.forms import form_data, redirect, uploaded_file
from deliberate.web.i18n import gettext as _
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


class AreaAdminController(Controller):
    path = "/admin"
    include_in_schema = False

    async def _areas(
        self,
        database: Database,
        *,
        report: Any = None,
        form: dict[str, str] | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        async with database.read() as session:
            tree = await area_queries.area_tree(session)
            areas = await area_queries.all_areas(session)
        return page(
            "admin/areas.html",
            status_code=status_code,
            tree=tree,
            areas=areas,
            kinds=list(AreaKind),
            report=report,
            form=form or {},
            error=error,
        )

    @get("/areas", name="admin:areas")
    async def areas(self, request: AnyRequest, database: NamedDependency[Database]) -> Template:
        require(require_privileged(request), "users.manage")
        return await self._areas(database)

    @post("/areas")
    async def save_area(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_privileged(request)
        require(auth, "users.manage")
        form = await form_data(request)
        report = await area_services.save_area(database, form, actor=auth.user.public_id)
        if report.errors:
            return await self._areas(database, report=report, form=form, status_code=400)
        return redirect("/admin/areas?saved=1")

    @post("/areas/import")
    async def import_areas(
        self, request: AnyRequest, database: NamedDependency[Database]
    ) -> Template:
        auth = require_privileged(request)
        require(auth, "users.manage")
        data = await uploaded_file(request, "areas")
        if data is None:
            return await self._areas(database, error=_("Choose a CSV file."), status_code=400)
        try:
            report = await area_services.import_areas(database, data, actor=auth.user.public_id)
        except CsvProblem as problem:
            return await self._areas(database, error=csv_message(problem), status_code=400)
        return await self._areas(database, report=report, status_code=400 if report.errors else 200)

    async def _committees(
        self,
        database: Database,
        *,
        form: dict[str, str] | None = None,
        errors: Any = None,
        status_code: int = 200,
    ) -> Template:
        async with database.read() as session:
            areas = await area_queries.all_areas(session)
        return page(
            "admin/committees.html",
            status_code=status_code,
            committees=await committees.overview(database),
            areas=areas,
            roles=list(CommitteeRole),
            form=form or {},
            errors=errors or {},
        )

    @get("/committees", name="admin:committees")
    async def committee_list(
        self, request: AnyRequest, database: NamedDependency[Database]
    ) -> Template:
        require(require_privileged(request), "users.manage")
        return await self._committees(database)

    @post("/committees")
    async def create_committee(
        self, request: AnyRequest, database: NamedDependency[Database]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await committees.create(database, auth, form)
        except FormInvalid as error:
            return await self._committees(database, form=form, errors=error.errors, status_code=400)
        return redirect("/admin/committees?saved=1")

    @post("/committees/{committee_id:int}/members")
    async def add_member(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        committee_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await committees.add_member(database, auth, committee_id, form)
        except FormInvalid as error:
            return await self._committees(
                database,
                form={**form, "committee": str(committee_id)},
                errors=error.errors,
                status_code=400,
            )
        return redirect("/admin/committees?saved=1")

    @post("/committee-members/{member_id:int}/remove")
    async def remove_member(
        self, request: AnyRequest, database: NamedDependency[Database], member_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        await committees.remove_member(database, auth, member_id)
        return redirect("/admin/committees?removed=1")
