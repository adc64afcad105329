from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlmodel import col, select

from deliberate.accounts.guards import require_confirmed, require_privileged
from deliberate.accounts.routes import client_of, form_page
from deliberate.accounts.services import FormInvalid
from deliberate.db import Database
from deliberate.errors import Forbidden
from deliberate.identity import census, counter, experts, letters
from deliberate.identity import queries as identity_queries
from deliberate.identity.csvfiles import CsvProblem, csv_message
from deliberate.identity.models import Area, Committee, CommitteeMember, ExpertCredential
from deliberate.web.forms import form_data, redirect, uploaded_file
from deliberate.web.i18n import gettext as _
from deliberate.web.pages import page


class CommitteeController(Controller):
    """The committee members' (and experts') own start page (two-factor required)."""

    path = "/committees"
    include_in_schema = False

    async def _memberships(self, database: Database, auth: Any) -> list[Any]:
        async with database.read() as session:
            return list(
                (
                    await session.exec(
                        select(CommitteeMember, Committee, Area)
                        .join(Committee, col(Committee.id) == CommitteeMember.committee_id)
                        .join(Area, col(Area.id) == Committee.area_id)
                        .where(CommitteeMember.user_id == auth.user.id)
                        .order_by(col(Committee.name))
                    )
                ).all()
            )

    @get("", name="committees:mine")
    async def mine(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Template:
        auth = require_privileged(request)
        rows = await self._memberships(database, auth)
        return await self._page(database, auth, rows)

    async def _page(
        self,
        database: Database,
        auth: Any,
        rows: Any,
        *,
        form: dict[str, str] | None = None,
        error: Any = None,
        status_code: int = 200,
    ) -> Template:
        async with database.read() as session:
            experts_by_committee = {
                committee.id: await experts.credentials_of(session, committee.id)
                for _member, committee, _area in rows
            }
            own = (
                await session.exec(
                    select(ExpertCredential, Committee)
                    .join(Committee, col(Committee.id) == ExpertCredential.committee_id)
                    .where(ExpertCredential.user_id == auth.user.id)
                )
            ).all()
        return page(
            "identity/committees.html",
            status_code=status_code,
            memberships=rows,
            experts=experts_by_committee,
            own_credentials=own,
            form=form or {},
            errors=error.errors if error else {},
            error_committee=form.get("committee") if form else None,
        )

    @post("/{committee_id:int}/experts")
    async def add_expert(
        self,
        request: Request[Any, Any, Any],
        database: NamedDependency[Database],
        committee_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await experts.verify_expert(database, auth, committee_id, form)
        except FormInvalid as error:
            rows = await self._memberships(database, auth)
            return await self._page(
                database,
                auth,
                rows,
                form={**form, "committee": str(committee_id)},
                error=error,
                status_code=400,
            )
        return redirect("/committees?expert_added=1")


class VerificationController(Controller):
    """A resident verifies where they live."""

    path = "/identity"
    include_in_schema = False

    @get("/verify", name="identity:verify")
    async def verify_page(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Any:
        auth = require_confirmed(request)
        return await self._page(database, auth, {})

    async def _page(
        self, database: Database, auth: Any, form: dict[str, str], error: Any = None
    ) -> Template:
        async with database.read() as session:
            current = await identity_queries.verifications_of(
                session,
                auth.user.id,
                on=date.today(),
            )
            pending = await counter.pending_of(session, auth.user.id)
            places = await identity_queries.residential_areas(session)
        return form_page(
            "identity/verify.html", form, error, current=current, pending=pending, places=places
        )

    @post("/verify/in-person")
    async def ask_in_person(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Any:
        auth = require_confirmed(request)
        form = await form_data(request)
        try:
            area_id = int(form.get("area", "0"))
        except ValueError:
            area_id = 0
        try:
            await counter.request_check(database, auth, area_id)
        except FormInvalid as error:
            return await self._page(database, auth, form, error)
        return redirect("/identity/verify?requested=1")

    @post("/verify/census")
    async def census_match(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Any:
        auth = require_confirmed(request)
        form = await form_data(request)
        settings = request.app.state.settings
        try:
            await census.match(
                database,
                settings.census_key,
                client_of(request),
                auth,
                form.get("id_number", ""),
                consent=form.get("consent") == "yes",
            )
        except FormInvalid as error:
            kept = {"consent": form.get("consent", "")}  # never echo the number back
            return await self._page(database, auth, kept, error)
        return redirect("/accounts?verified=1")


class LetterController(Controller):
    """Redeeming the code from a verification letter (typed, or from its QR code)."""

    path = "/identity/letter"
    include_in_schema = False

    @get("", name="identity:letter")
    async def letter_form(self, request: Request[Any, Any, Any], code: FromQuery[str] = "") -> Any:
        require_confirmed(request)  # a QR scan while signed out comes back here
        return form_page("identity/letter.html", {"code": code[:20]})

    @post("")
    async def redeem(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Any:
        auth = require_confirmed(request)
        form = await form_data(request)
        try:
            await letters.redeem(
                database,
                request.app.state.account_keys,
                client_of(request),
                auth,
                form.get("code", ""),
            )
        except FormInvalid as error:
            return form_page("identity/letter.html", {"code": form.get("code", "")[:20]}, error)
        return redirect("/accounts?verified=1")


class OfficerController(Controller):
    """Verification officers: requests at the counter, revocation, rolls and letters."""

    path = "/identity/officer"
    include_in_schema = False

    async def _tools(
        self,
        database: Database,
        auth: Any,
        *,
        report: Any = None,
        error: Any = None,
        status_code: int = 200,
    ) -> Template:
        async with database.read() as session:
            roots = await counter.officer_roots(session, auth.user.id)
            served = await counter.officer_area_ids(session, auth.user.id)
            areas = [a for a in await identity_queries.all_areas(session) if a.id in served]
        if not roots:
            raise Forbidden(_("This page is for verification officers."))
        return page(
            "identity/officer_tools.html",
            status_code=status_code,
            roots=roots,
            areas=areas,
            report=report,
            error=error,
        )

    @get("/tools", name="identity:officer_tools")
    async def tools(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Template:
        return await self._tools(database, require_privileged(request))

    @post("/census")
    async def upload_roll(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Template:
        auth = require_privileged(request)
        form = await form_data(request)
        area = await counter.officer_area_below(database, auth, form.get("area", ""))
        data = await uploaded_file(request, "roll")
        if data is None:
            return await self._tools(database, auth, error=_("Choose a CSV file."), status_code=400)
        try:
            report = await census.import_roll(
                database,
                request.app.state.settings.census_key,
                data,
                area.code,
                actor=auth.user.public_id,
            )
        except CsvProblem as problem:
            return await self._tools(database, auth, error=csv_message(problem), status_code=400)
        return await self._tools(database, auth, report=report)

    @post("/letters")
    async def issue_letters(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        area = await counter.officer_area_below(database, auth, form.get("area", ""))
        try:
            count = int(form.get("count", ""))
            if not 1 <= count <= letters.MAX_LETTERS:
                raise ValueError
        except ValueError:
            return await self._tools(
                database,
                auth,
                status_code=400,
                error=_("Enter how many letters, from 1 to %(max)s.", max=letters.MAX_LETTERS),
            )
        settings = request.app.state.settings
        issued = await letters.issue(
            database, request.app.state.account_keys, area.code, count, actor=auth.user.public_id
        )
        pdf = await asyncio.to_thread(
            letters.render_pdf, issued, settings.public_url, settings.time_zone
        )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="letters-{issued.batch}.pdf"',
                "Cache-Control": "no-store",
            },
        )

    async def _page(
        self, database: Database, auth: Any, error: Any = None, status_code: int = 200
    ) -> Template:
        queue, verified = await counter.officer_view(database, auth)
        return page(
            "identity/officer.html",
            status_code=status_code,
            queue=queue,
            verified=verified,
            errors=error.errors if error else {},
        )

    @get("", name="identity:officer")
    async def home(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Template:
        return await self._page(database, require_privileged(request))

    @post("/requests/{request_id:int}")
    async def decide(
        self,
        request: Request[Any, Any, Any],
        database: NamedDependency[Database],
        request_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await counter.decide(
                database,
                auth,
                request_id,
                confirm=form.get("action") == "confirm",
                birth_year=form.get("birth_year", ""),
                document_checked=form.get("document_checked") == "yes",
                reason=form.get("reason", ""),
            )
        except FormInvalid as error:
            return await self._page(database, auth, error, status_code=400)
        return redirect("/identity/officer?done=1")

    @post("/verifications/{verification_id:int}/revoke")
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        database: NamedDependency[Database],
        verification_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await counter.revoke(database, auth, verification_id, form.get("reason", ""))
        except FormInvalid as error:
            return await self._page(database, auth, error, status_code=400)
        return redirect("/identity/officer?revoked=1")
