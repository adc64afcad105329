"""Decision pages: the committee's form to record a decision on a consultation; the public
decision page (text, the committee's vote, you said / we did, implementation items with
their progress) with the committee's forms to add items and updates; its Atom feed; the
one-click stop of decision notices. Thin: read, call one service, render."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from deliberate.accounts.guards import current_auth, require_privileged
from deliberate.accounts.routes import context_of
from deliberate.accounts.services import FormInvalid
from deliberate.consultations import feed as atom
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.routes import plain_text
from deliberate.db import Database
from deliberate.decisions import feed, forms, queries, services
from deliberate.decisions.labels import ROLE_LABELS, STATUS_LABELS, VOTE_LABELS
from deliberate.decisions.models import ItemStatus
from deliberate.decisions.permissions import allowed, require
from deliberate.decisions.said import group
from deliberate.decisions.tracking import is_overdue, vote_counts
from deliberate.errors import NotFound
from deliberate.hearings.labels import STANCE_LABELS, VERDICT_LABELS
from deliberate.web import i18n
from deliberate.web.forms import form_data, redirect
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
MAX_TOKEN = 64
STATUSES = [s.value for s in ItemStatus]


def _today(request: AnyRequest) -> date:
    return datetime.now(request.app.state.settings.tz).date()


class NewDecisionController(Controller):
    path = "/consultations/{consultation_id:int}/decisions"
    include_in_schema = False

    async def _form(
        self,
        request: AnyRequest,
        database: Database,
        consultation_id: int,
        form: dict[str, str] | None = None,
        error: FormInvalid | None = None,
    ) -> Template:
        auth = require_privileged(request)
        async with database.read() as session:
            matter = await consultation_queries.matter(session, consultation_id)
            if matter is None:
                raise NotFound()
            require(await queries.standing(session, auth, matter.consultation), "decision.adopt")
            versions = await queries.published_minutes(session, consultation_id)
            members = await queries.members_of(session, matter.committee.id)  # type: ignore[arg-type]
        if form is None:
            form = {"adopted_on": _today(request).isoformat()}
            if versions:
                form["minutes"] = str(versions[0].id)
        return page(
            "decisions/new.html",
            status_code=400 if error else 200,
            consultation=matter.consultation,
            versions=versions,
            members=members,
            form=form,
            errors=error.errors if error else {},
            vote_field=forms.vote_field,
            vote_labels=VOTE_LABELS,
            role_labels=ROLE_LABELS,
            today=_today(request).isoformat(),
        )

    @get("/new", name="decisions:new")
    async def new_form(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Template:
        return await self._form(request, database, consultation_id)

    @post("/new")
    async def create(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            data = forms.parse_decision(form, _today(request))
            made = await services.adopt(database, context_of(request), auth, consultation_id, data)
        except FormInvalid as error:
            return await self._form(request, database, consultation_id, form, error)
        return redirect(f"/decisions/{made.id}?adopted=1")


class DecisionController(Controller):
    path = "/decisions"
    include_in_schema = False

    async def _show(
        self,
        request: AnyRequest,
        database: Database,
        decision_id: int,
        *,
        item_form: dict[str, str] | None = None,
        item_errors: dict[str, Any] | None = None,
        update_item: int | None = None,
        update_form: dict[str, str] | None = None,
        update_errors: dict[str, Any] | None = None,
    ) -> Template:
        auth = current_auth(request)
        keys = request.app.state.account_keys
        async with database.read() as session:
            found = await queries.view(session, decision_id)
            if found is None:
                raise NotFound()
            standing = await queries.standing(session, auth, found.consultation)
            require(standing, "decision.read")
            said = group(await queries.said(session, keys, found.consultation.id))  # type: ignore[arg-type]
        today = _today(request)
        failed = bool(item_errors or update_errors)
        return page(
            "decisions/show.html",
            status_code=400 if failed else 200,
            view=found,
            decision=found.decision,
            consultation=found.consultation,
            committee_name=found.committee.display_name(i18n.current_locale()),
            tally=vote_counts(v.vote for v, _u in found.votes),
            said=said,
            items=[(row, is_overdue(row.item, today)) for row in found.items],
            can_track=allowed(standing, "decision.track"),
            item_form=item_form or {},
            item_errors=item_errors or {},
            update_item=update_item,
            update_form=update_form or {},
            update_errors=update_errors or {},
            today=today.isoformat(),
            statuses=STATUSES,
            status_labels=STATUS_LABELS,
            vote_labels=VOTE_LABELS,
            role_labels=ROLE_LABELS,
            verdict_labels=VERDICT_LABELS,
            stance_labels=STANCE_LABELS,
        )

    @get("/{decision_id:int}", name="decisions:show")
    async def show(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        decision_id: FromPath[int],
    ) -> Template:
        return await self._show(request, database, decision_id)

    @post("/{decision_id:int}/items")
    async def add_item(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        decision_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            item = await services.add_item(database, auth, decision_id, forms.parse_item(form))
        except FormInvalid as error:
            return await self._show(
                request, database, decision_id, item_form=form, item_errors=error.errors
            )
        return redirect(f"/decisions/{decision_id}?item=1#item-{item.id}")

    @post("/{decision_id:int}/items/{item_id:int}/updates")
    async def add_update(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        decision_id: FromPath[int],
        item_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await services.add_update(
                database,
                context_of(request),
                auth,
                decision_id,
                item_id,
                forms.parse_update(form, _today(request)),
            )
        except FormInvalid as error:
            return await self._show(
                request,
                database,
                decision_id,
                update_item=item_id,
                update_form=form,
                update_errors=error.errors,
            )
        return redirect(f"/decisions/{decision_id}?updated=1#item-{item_id}")

    @get("/{decision_id:int}/feed.atom", name="decisions:feed")
    async def atom(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        decision_id: FromPath[int],
    ) -> Response[bytes]:
        async with database.read() as session:
            found = await queries.view(session, decision_id)
            if found is None:
                raise NotFound()
            standing = await queries.standing(session, current_auth(request), found.consultation)
            require(standing, "decision.read")
        document = feed.decision_feed(
            found,
            base=request.app.state.settings.public_url.rstrip("/"),
            lang=i18n.html_lang(),
            today=_today(request),
            author=found.committee.display_name(i18n.current_locale()),
            plain=plain_text(found.decision.text),
        )
        return Response(atom.atom_feed(document), media_type="application/atom+xml; charset=utf-8")

    @get("/unsubscribe/{token:str}", name="decisions:unsubscribe")
    async def unsubscribe_page(
        self, database: NamedDependency[Database], token: FromPath[str]
    ) -> Template:
        target = None
        if len(token) <= MAX_TOKEN:
            async with database.read() as session:
                found = await queries.notice_by_token(session, token)
            target = found[1] if found else None
        return _unsubscribe_view(token, target, done=False)

    @post("/unsubscribe/{token:str}")
    async def unsubscribe(self, database: NamedDependency[Database], token: FromPath[str]) -> Any:
        target = await services.unsubscribe(database, token) if len(token) <= MAX_TOKEN else None
        return _unsubscribe_view(token, target, done=target is not None)


def _unsubscribe_view(token: str, target: Any, *, done: bool) -> Template:
    return page(
        "decisions/unsubscribe.html",
        status_code=200 if target is not None else 404,
        token=token,
        target=target,
        done=done,
    )
