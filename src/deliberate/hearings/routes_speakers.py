"""The in-person hearing's pages: the call for speakers with its public lottery, its
poster, and the sessions with their record. Thin: read, call one service, render."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.guards import current_auth, require_confirmed, require_privileged
from deliberate.accounts.models import User
from deliberate.accounts.routes import context_of
from deliberate.accounts.services import FormInvalid
from deliberate.accounts.tokens import Keys
from deliberate.consultations import posters
from deliberate.db import Database, as_utc
from deliberate.errors import Conflict, Forbidden, NotFound
from deliberate.hearings import forms, permissions, queries, sessions, speakers
from deliberate.hearings.authors import author_label
from deliberate.hearings.labels import STANCE_LABELS
from deliberate.hearings.models import (
    HearingSession,
    SpeakerApplication,
    SpeakerCall,
    Statement,
)
from deliberate.identity.explain import explain
from deliberate.identity.models import Area
from deliberate.resources import resource_dir
from deliberate.web import i18n
from deliberate.web.forms import form_data, redirect
from deliberate.web.i18n import gettext as _
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.inputs import local_input
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
RERUN_SCRIPT = "rerun_lottery.py"
# Which form a failed POST came from, and the permission that form needs: a person
# without it gets the service's answer (404 or 403), not a form they were never offered.
FORM_PERMISSIONS = {
    "call": "speakers.manage",
    "publish": "speakers.manage",
    "draw": "speakers.manage",
    "apply": "speakers.apply",
}
OFFERED = {
    "call": "can_edit_call",
    "publish": "can_publish",
    "draw": "can_draw",
    "apply": "can_apply",
}


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def rerun_script_bytes() -> bytes:
    """docs/rerun_lottery.py: from the checkout, or from the wheel (pyproject's
    force-include puts it under ``_resources/docs``)."""
    return (resource_dir("docs") / RERUN_SCRIPT).read_bytes()


async def _view_and_standing(
    session: AsyncSession, auth: Auth | None, hearing_id: int, now: datetime
) -> tuple[queries.HearingView, SpeakerCall | None, permissions.Standing, Any]:
    view = await queries.hearing_view(session, hearing_id)
    if view is None:
        raise NotFound()
    call = await speakers.call_of(session, hearing_id)
    standing, decision = await queries.standing(session, auth, view, now, call=call)
    permissions.require(standing, "hearing.read")
    return view, call, standing, decision


async def _explanation(
    session: AsyncSession, view: queries.HearingView, decision: Any
) -> str | None:
    """Who the hearing's rule admits and why the reader may or may not take part."""
    if decision is None:
        return None
    rule = view.rule
    names: dict[int, str] = {}
    if rule.area_ids:
        areas = await session.exec(select(Area).where(col(Area.id).in_(rule.area_ids)))
        names = {a.id: a.display_name(i18n.current_locale()) for a in areas.all()}  # type: ignore[misc]
    return explain(decision, rule, names)


async def _hearing_sessions(session: AsyncSession, hearing_id: int) -> list[HearingSession]:
    rows = await session.exec(
        select(HearingSession)
        .where(HearingSession.hearing_id == hearing_id)
        .order_by(col(HearingSession.starts_at), col(HearingSession.id))
    )
    return list(rows.all())


def _call_defaults(call: SpeakerCall | None, tz: Any) -> dict[str, str]:
    if call is None:
        return {}
    quotas = json.loads(call.quotas or "{}")
    return {
        "seats": str(call.seats),
        **{f"quota_{stance}": str(seats) for stance, seats in quotas.items()},
        "applications_close_at": local_input(call.applications_close_at, tz),
        "value_source": call.value_source,
    }


def _quota_words(call: SpeakerCall) -> list[tuple[str, int]]:
    quotas = json.loads(call.quotas or "{}")
    return [(str(STANCE_LABELS[s]), n) for s, n in quotas.items() if s in STANCE_LABELS]


async def speakers_context(
    session: AsyncSession,
    auth: Auth | None,
    keys: Keys,
    hearing_id: int,
    tz: Any,
    now: datetime,
) -> dict[str, Any]:
    """Everything the call for speakers page shows, in a fixed number of queries."""
    view, call, standing, decision = await _view_and_standing(session, auth, hearing_id, now)
    consultation_id: int = view.consultation.id  # type: ignore[assignment]
    signed_in = auth is not None and auth.signed_in
    applied = 0
    listed: list[tuple[SpeakerApplication, str]] = []
    mine: SpeakerApplication | None = None
    if call is not None and call.committed_at is None:
        applied = (
            await session.exec(
                select(func.count())
                .select_from(SpeakerApplication)
                .where(
                    SpeakerApplication.call_id == call.id,
                    col(SpeakerApplication.withdrawn_at).is_(None),
                )
            )
        ).one()
    elif call is not None:
        rows = await session.exec(
            select(SpeakerApplication, User)
            .join(User, col(User.id) == SpeakerApplication.user_id)
            .where(
                SpeakerApplication.call_id == call.id,
                col(SpeakerApplication.ticket).is_not(None),
            )
            .order_by(col(SpeakerApplication.ticket))
        )
        listed = [(a, author_label(keys, consultation_id, u)) for a, u in rows.all()]
    if call is not None and signed_in:
        mine = (
            await session.exec(
                select(SpeakerApplication).where(
                    SpeakerApplication.call_id == call.id,
                    SpeakerApplication.user_id == auth.user.id,  # type: ignore[union-attr]
                )
            )
        ).first()
    by_ticket = {a.ticket: (a, label) for a, label in listed}
    drawn = call is not None and call.drawn_at is not None
    selected = [by_ticket[t] for t in json.loads(call.selected or "[]")] if drawn else []  # type: ignore[union-attr]
    reserve = [by_ticket[t] for t in json.loads(call.reserve or "[]")] if drawn else []  # type: ignore[union-attr]
    my_place = None
    if drawn and mine is not None and mine.ticket is not None and not mine.seat:
        places = {a.ticket: n for n, (a, _label) in enumerate(reserve, start=1)}
        my_place = places.get(mine.ticket)
    committee = permissions.allowed(standing, "speakers.manage")
    closes_passed = call is not None and now >= as_utc(call.applications_close_at)
    return {
        "view": view,
        "standing": standing,
        "call": call,
        "drawn": drawn,
        "committee": committee,
        "signed_in": signed_in,
        "explanation": await _explanation(session, view, decision),
        "can_apply": permissions.allowed(standing, "speakers.apply"),
        "call_open": standing.call is not None and standing.call.value == "open",
        "can_edit_call": committee and (call is None or call.committed_at is None),
        "can_publish": committee
        and call is not None
        and call.committed_at is None
        and closes_passed,
        "can_draw": committee and call is not None and call.committed_at is not None and not drawn,
        "applied": applied,
        "listed": listed,
        "selected": selected,
        "reserve": reserve,
        "mine": mine,
        "my_place": my_place,
        "quotas": _quota_words(call) if call is not None else [],
        "sessions": await _hearing_sessions(session, hearing_id),
        "stances": STANCE_LABELS,
        "call_defaults": _call_defaults(call, tz),
    }


async def session_context(
    session: AsyncSession,
    auth: Auth | None,
    keys: Keys,
    session_id: int,
    now: datetime,
) -> dict[str, Any]:
    """The session page: the record is read only when the reader may see it."""
    sitting = await session.get(HearingSession, session_id)
    if sitting is None:
        raise NotFound()
    view, _call, standing, _decision = await _view_and_standing(
        session, auth, sitting.hearing_id, now
    )
    consultation_id: int = view.consultation.id  # type: ignore[assignment]
    closed = sitting.closed_at is not None
    committee = permissions.allowed(standing, "speakers.manage")
    recorder = permissions.allowed(standing, "sessions.record") and not closed
    record: list[tuple[Statement, str]] = []
    if closed or committee:
        rows = await session.exec(
            select(Statement, SpeakerApplication, User)
            .join(
                SpeakerApplication,
                col(SpeakerApplication.id) == Statement.application_id,
                isouter=True,
            )
            .join(User, col(User.id) == SpeakerApplication.user_id, isouter=True)
            .where(Statement.session_id == session_id)
            .order_by(col(Statement.spoken_at), col(Statement.id))
        )
        for statement, application, user in rows.all():
            label = statement.speaker
            if application is not None and user is not None and application.seat:
                label = _(
                    "Speaker %(seat)s — %(name)s",
                    seat=application.seat,
                    name=author_label(keys, consultation_id, user),
                )
            record.append((statement, label))
    drawn: list[tuple[SpeakerApplication, str]] = []
    if recorder:
        rows = await session.exec(
            select(SpeakerApplication, User)
            .join(User, col(User.id) == SpeakerApplication.user_id)
            .join(SpeakerCall, col(SpeakerCall.id) == SpeakerApplication.call_id)
            .where(
                SpeakerCall.hearing_id == view.hearing.id,
                col(SpeakerApplication.seat).is_not(None),
            )
            .order_by(col(SpeakerApplication.seat))
        )
        drawn = [(a, author_label(keys, consultation_id, u)) for a, u in rows.all()]
    return {
        "view": view,
        "standing": standing,
        "sitting": sitting,
        "closed": closed,
        "committee": committee,
        "recorder": recorder,
        "record": record,
        "drawn": drawn,
    }


class SpeakerController(Controller):
    """The call for speakers, its lottery and poster; sessions and their record."""

    path = "/hearings"
    include_in_schema = False

    # --- the call for speakers ------------------------------------------------------

    async def _speakers_page(
        self,
        request: AnyRequest,
        database: Database,
        hearing_id: int,
        *,
        form: dict[str, str] | None = None,
        error: FormInvalid | None = None,
        failed: str | None = None,
    ) -> Template:
        settings = request.app.state.settings
        auth = current_auth(request)
        async with database.read() as session:
            context = await speakers_context(
                session, auth, request.app.state.account_keys, hearing_id, settings.tz, _now()
            )
        if failed in FORM_PERMISSIONS:
            # Only a form the reader is offered comes back with its errors; otherwise the
            # answer is what the service would have said (not found, forbidden, changed).
            permissions.require(context["standing"], FORM_PERMISSIONS[failed])
            if not context[OFFERED[failed]]:
                raise Conflict()
        typed = form or {}
        mine = context["mine"]
        apply_defaults = (
            {"stance": mine.stance, "summary": mine.summary}
            if mine is not None and mine.withdrawn_at is None
            else {}
        )
        return page(
            "hearings/speakers.html",
            status_code=400 if error else 200,
            errors=error.errors if error else {},
            failed=failed,
            call_form=typed if failed == "call" else context["call_defaults"],
            apply_form=typed if failed == "apply" else apply_defaults,
            draw_form=typed if failed == "draw" else {},
            **context,
        )

    @get("/{id:int}/speakers", name="speakers:page")
    async def speakers_page(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Template:
        return await self._speakers_page(request, database, id)

    @post("/{id:int}/speakers/call")
    async def open_call(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            data = forms.parse_call(form, request.app.state.settings.tz)
            await speakers.open_call(database, auth, id, data)
        except FormInvalid as error:
            return await self._speakers_page(
                request, database, id, form=form, error=error, failed="call"
            )
        return redirect(f"/hearings/{id}/speakers?done=call")

    @post("/{id:int}/speakers/apply")
    async def apply(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Any:
        auth = require_confirmed(request)
        form = await form_data(request)
        try:
            stance, summary = _application(form)
            await speakers.apply(database, auth, id, stance, summary)
        except FormInvalid as error:
            return await self._speakers_page(
                request, database, id, form=form, error=error, failed="apply"
            )
        return redirect(f"/hearings/{id}/speakers?done=apply#mine")

    @post("/{id:int}/speakers/withdraw")
    async def withdraw(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Any:
        auth = require_confirmed(request)
        await speakers.withdraw(database, auth, id)
        return redirect(f"/hearings/{id}/speakers?done=withdraw#mine")

    @post("/{id:int}/speakers/publish")
    async def publish(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        await speakers.publish_list(database, auth, id)
        return redirect(f"/hearings/{id}/speakers?done=publish#lottery")

    @post("/{id:int}/speakers/draw")
    async def draw(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            value = forms.public_value(form.get("public_value"))
            await speakers.draw(database, context_of(request), auth, id, value)
        except FormInvalid as error:
            return await self._speakers_page(
                request, database, id, form=form, error=error, failed="draw"
            )
        return redirect(f"/hearings/{id}/speakers?done=draw#result")

    @get("/{id:int}/speakers/poster.pdf", name="speakers:poster")
    async def poster(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Response[bytes]:
        settings = request.app.state.settings
        async with database.read() as session:
            view, call, _standing, _d = await _view_and_standing(
                session, current_auth(request), id, _now()
            )
        if call is None:
            raise NotFound()
        with i18n.using_locale("zh_CN"):  # posters go on notice boards in Chinese
            poster = _poster(view, call, f"{settings.public_url}/hearings/{id}/speakers", settings)
        return await posters.poster_response(poster, f"speakers-{id}.pdf", settings.tz)

    @get("/lottery/rerun_lottery.py", name="speakers:rerun_script")
    async def rerun_script(self) -> Response[bytes]:
        return Response(
            rerun_script_bytes(),
            media_type="text/x-python",
            headers={"Content-Disposition": f'attachment; filename="{RERUN_SCRIPT}"'},
        )

    # --- sessions and their record ----------------------------------------------------

    async def _new_session_page(
        self,
        request: AnyRequest,
        database: Database,
        hearing_id: int,
        auth: Auth,
        form: dict[str, str],
        error: FormInvalid | None = None,
    ) -> Template:
        async with database.read() as session:
            view, _call, standing, _d = await _view_and_standing(session, auth, hearing_id, _now())
        permissions.require(standing, "speakers.manage")
        return page(
            "hearings/session_new.html",
            status_code=400 if error else 200,
            view=view,
            form=form,
            errors=error.errors if error else {},
        )

    @get("/{id:int}/sessions/new", name="sessions:new")
    async def new_session(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Template:
        auth = require_privileged(request)
        return await self._new_session_page(request, database, id, auth, {})

    @post("/{id:int}/sessions/new")
    async def schedule(
        self, request: AnyRequest, database: NamedDependency[Database], id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            data = forms.parse_session(form, request.app.state.settings.tz)
        except FormInvalid as error:
            return await self._new_session_page(request, database, id, auth, form, error)
        sitting = await sessions.schedule(database, auth, id, data)
        return redirect(f"/hearings/sessions/{sitting.id}?done=scheduled")

    async def _session_page(
        self,
        request: AnyRequest,
        database: Database,
        session_id: int,
        *,
        form: dict[str, str] | None = None,
        error: FormInvalid | None = None,
        failed: str | None = None,
    ) -> Template:
        settings = request.app.state.settings
        now = _now()
        async with database.read() as session:
            context = await session_context(
                session, current_auth(request), request.app.state.account_keys, session_id, now
            )
        if failed is not None and not context["recorder"]:
            # The form was not theirs to send (or the record is closed): the service's
            # answer, not the form.
            permissions.require(context["standing"], "sessions.record")
            raise Forbidden(_l("The record is closed."))
        typed = form or {}
        sitting = context["sitting"]
        return page(
            "hearings/session.html",
            status_code=400 if error else 200,
            errors=error.errors if error else {},
            failed=failed,
            statement_form=typed
            if failed == "statement"
            else {"spoken_at": local_input(now, settings.tz)},
            attendance_form=typed
            if failed == "attendance"
            else {
                "attendance": "" if sitting.attendance is None else str(sitting.attendance),
                "attendance_note": sitting.attendance_note,
            },
            **context,
        )

    @get("/sessions/{session_id:int}", name="sessions:page")
    async def session_page(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        session_id: FromPath[int],
    ) -> Template:
        return await self._session_page(request, database, session_id)

    @post("/sessions/{session_id:int}/statements")
    async def add_statement(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        session_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            data = forms.parse_statement(form, request.app.state.settings.tz)
            await sessions.add_statement(database, auth, session_id, data)
        except FormInvalid as error:
            return await self._session_page(
                request, database, session_id, form=form, error=error, failed="statement"
            )
        return redirect(f"/hearings/sessions/{session_id}?done=statement#record")

    @post("/sessions/{session_id:int}/attendance")
    async def attendance(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        session_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            count, note = forms.attendance(form)
            await sessions.set_attendance(database, auth, session_id, count, note)
        except FormInvalid as error:
            return await self._session_page(
                request, database, session_id, form=form, error=error, failed="attendance"
            )
        return redirect(f"/hearings/sessions/{session_id}?done=attendance#attendance")

    @post("/sessions/{session_id:int}/close")
    async def close(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        session_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        await sessions.close_record(database, context_of(request), auth, session_id)
        return redirect(f"/hearings/sessions/{session_id}?done=closed#record")


def _application(form: dict[str, str]) -> tuple[str, str]:
    """The stance and summary of an application; both fields' errors at once."""
    stance, summary = forms.together(
        lambda: forms.stance(form.get("stance")).value,
        lambda: forms.application_summary(form.get("summary")),
    )
    return stance, summary


def _poster(
    view: queries.HearingView, call: SpeakerCall, url: str, settings: Any
) -> posters.Poster:
    """The call for speakers as a notice-board poster (strings in the current locale)."""
    seats = str(call.seats)
    quotas = _quota_words(call)
    if quotas:
        reserved = "、".join(
            _("%(seats)s for “%(stance)s”", seats=n, stance=label) for label, n in quotas
        )
        seats = _("%(seats)s (reserved: %(reserved)s)", seats=call.seats, reserved=reserved)
    return posters.Poster(
        heading=_("Call for speakers"),
        title=view.hearing.title,
        organiser=view.committee.name,
        area=view.area.display_name(i18n.current_locale()),
        summary=_(
            "Residents can apply to speak at the in-person hearing. When more apply than "
            "there are seats, the speakers are drawn by a public lottery that anyone can "
            "check."
        ),
        facts=(
            (_("Seats"), seats),
            (
                _("Applications close"),
                i18n.format_datetime(call.applications_close_at, settings.tz, "medium"),
            ),
            (_("Draw value from"), call.value_source),
        ),
        steps=(
            _("Scan the QR code, or open the address below in a browser."),
            _("Sign in, and verify where you live if you have not done so yet."),
            _("Apply with your stance and a short summary of what you want to say."),
            _("After applications close, the speakers are drawn in public."),
        ),
        url=url,
    )
