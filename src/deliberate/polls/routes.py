"""Poll pages: creating and editing a poll (until frozen), freezing and closing it, the
poll page with its ballot form, the confirmation page and casting, which answers with the
receipt. Thin: read, call one service, render. Every form is plain HTML; the running
budget total is the one htmx addition, and the server checks everything again anyway.

Results and the bulletin board are in routes_results.py, the paper booth in
routes_booth.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from deliberate.accounts.guards import current_auth, require_confirmed, require_privileged
from deliberate.accounts.routes import context_of
from deliberate.accounts.services import FormInvalid
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.form_pages import managed_form_page
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.errors import Conflict, NotFound
from deliberate.hearings.queries import area_names
from deliberate.identity.explain import describe_rule, explain
from deliberate.polls import ballots, forms, queries, receipts, services
from deliberate.polls.ballots import BallotInvalid
from deliberate.polls.labels import (
    METHOD_EXPLANATIONS,
    METHOD_LABELS,
    STATUS_LABELS,
    status_of,
)
from deliberate.polls.models import MAX_SCORE, Method, PollOption
from deliberate.polls.permissions import allowed, require, why_not
from deliberate.web.forms import form_data, redirect
from deliberate.web.i18n import current_locale, format_number, ngettext
from deliberate.web.i18n import gettext as _
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.inputs import local_input
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]

# The poll form reuses the hearing's title, window and rule fields, with these words.
WINDOW_LABELS = {
    "title": _l("Title of the poll"),
    "opens_at": _l("Voting opens"),
    "closes_at": _l("Voting closes"),
    "rule": _l("Who may vote"),
    "rule_hint": _l(
        "The rule is frozen with the other settings; their fingerprint is shown on the poll page."
    ),
}


def _now() -> datetime:
    return datetime.now(UTC)


# --- ballots in words -------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceLine:
    label: str
    detail: str = ""


def stars(score: int) -> str:
    return ngettext("%(num)d star", "%(num)d stars", score)


def describe(method: str, choice: Any, options: Mapping[int, PollOption]) -> list[ChoiceLine]:
    """A checked ballot in words, one line per option it names (in the ballot's order;
    for scores, in the options' order)."""

    def label(option_id: Any) -> str:
        option = options.get(int(option_id))
        return option.label if option is not None else _("Unknown option %(id)s", id=option_id)

    if method == Method.single:
        return [ChoiceLine(label(choice))]
    if method == Method.approval:
        return [ChoiceLine(label(o)) for o in choice]
    if method == Method.budget:
        return [ChoiceLine(label(o), _("cost %(cost)s", cost=_cost(options, o))) for o in choice]
    if method == Method.ranked:
        return [
            ChoiceLine(label(o), _("choice %(rank)s", rank=rank))
            for rank, o in enumerate(choice, start=1)
        ]
    ordered = sorted(choice.items(), key=lambda item: _position(options, item[0]))
    return [ChoiceLine(label(o), stars(int(score))) for o, score in ordered]


def _cost(options: Mapping[int, PollOption], option_id: Any) -> str:
    option = options.get(int(option_id))
    return format_number(option.cost) if option is not None else "?"


def _position(options: Mapping[int, PollOption], option_id: Any) -> int:
    option = options.get(int(option_id))
    return option.position if option is not None else 10**6


# --- the poll form --------------------------------------------------------------------


def options_text(options: Sequence[PollOption], method: str) -> str:
    """The options as the textarea shows them: "label | cost | description"."""
    lines = []
    for option in options:
        parts = [option.label]
        if method == Method.budget:
            parts.append(str(option.cost))
        if option.description:
            parts.append(option.description)
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def edit_values(view: queries.PollView, tz: Any) -> dict[str, str]:
    poll = view.poll
    rule = view.rule
    return {
        "title": poll.title,
        "question": poll.question,
        "description": poll.description,
        "method": poll.method,
        "max_choices": str(poll.max_choices or ""),
        "budget": str(poll.budget or ""),
        "opens_at": local_input(poll.opens_at, tz),
        "closes_at": local_input(poll.closes_at, tz),
        "rule_area": str(rule.area_ids[0]) if rule.area_ids else "",
        "min_age": str(rule.min_age) if rule.min_age else "",
        "options": options_text(view.options, poll.method),
    }


def form_context() -> dict[str, Any]:
    return {
        "window_labels": WINDOW_LABELS,
        "methods": [
            (m.value, METHOD_LABELS[m.value], METHOD_EXPLANATIONS[m.value]) for m in Method
        ],
    }


# --- the poll page ------------------------------------------------------------------


async def load_poll(
    database: Database, request: AnyRequest, poll_id: int, now: datetime
) -> dict[str, Any]:
    """What every poll page shows around its content: the poll, where it stands, the
    reader's standing and why they may (not) vote, and the turnout so far. (The receipt
    page, on the hot path of voting, is built from what the vote read instead: see
    ``receipt_context``.)"""
    auth = current_auth(request)
    async with database.read() as session:
        view = await queries.poll_view(session, poll_id)
        if view is None:
            raise NotFound()
        standing, decision = await queries.standing(session, auth, view, now)
        require(standing, "poll.read")
        names = await area_names(session, view.rule.area_ids, current_locale())
        roll, cast = await queries.counts(session, poll_id)
        voted = (
            auth is not None
            and auth.signed_in
            and await queries.has_voted(session, poll_id, auth.user.id)  # type: ignore[arg-type]
        )
    status = status_of(view.poll, now)
    return {
        "view": view,
        "poll": view.poll,
        "consultation": view.consultation,
        "options": view.options,
        "option_by_id": {o.id: o for o in view.options},
        "standing": standing,
        "phase": standing.phase,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "method_label": METHOD_LABELS.get(view.poll.method, view.poll.method),
        "method_explanation": METHOD_EXPLANATIONS.get(view.poll.method, ""),
        "can": lambda name: allowed(standing, name),
        "why_not": lambda name: why_not(standing, name),
        "eligibility": explain(decision, view.rule, names) if decision else None,
        "rule_words": describe_rule(view.rule, names),
        "roll": roll,
        "ballots": cast,
        "voted": voted,
        "max_score": MAX_SCORE,
        "now": now,
    }


def budget_total(view: queries.PollView, form: Mapping[str, str]) -> dict[str, Any]:
    """The running total of the projects ticked on a budget form (unknown ids ignored:
    this only informs; the ballot is checked when confirmed and when cast)."""
    costs = {str(o.id): o.cost for o in view.options}
    total = sum(cost for option, cost in costs.items() if form.get(f"option-{option}") == "yes")
    budget = view.poll.budget or 0
    return {"total": total, "budget": budget, "left": budget - total, "over": total > budget}


async def render_poll(
    database: Database,
    request: AnyRequest,
    poll_id: int,
    *,
    form: dict[str, str] | None = None,
    ballot_error: Any = None,
    message: Any = None,
    status_code: int = 200,
) -> Template:
    context = await load_poll(database, request, poll_id, _now())
    typed = form or {}
    return page(
        "polls/show.html",
        status_code=status_code,
        **context,
        form=typed,
        ballot_error=ballot_error,
        message=message,
        total=budget_total(context["view"], typed),
        ballot_action=f"/polls/{poll_id}/confirm",
    )


class PollController(Controller):
    path = "/polls"
    include_in_schema = False

    @get("/{poll_id:int}", name="polls:show")
    async def show(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        return await render_poll(database, request, poll_id)

    # --- the committee: edit, freeze, close ----------------------------------------------

    async def _edit_page(
        self,
        request: AnyRequest,
        database: Database,
        poll_id: int,
        form: dict[str, str] | None,
        errors: Any,
    ) -> Template:
        context = await load_poll(database, request, poll_id, _now())
        require(context["standing"], "poll.change")
        async with database.read() as session:
            areas = await consultation_queries.areas_in(session, context["consultation"].area_id)
        tz = request.app.state.settings.tz
        return page(
            "polls/edit.html",
            status_code=400 if errors else 200,
            **context,
            **form_context(),
            areas=areas,
            form=form if form is not None else edit_values(context["view"], tz),
            errors=errors or {},
        )

    @get("/{poll_id:int}/edit", name="polls:edit")
    async def edit_page(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        require_privileged(request)
        return await self._edit_page(request, database, poll_id, None, {})

    @post("/{poll_id:int}/edit")
    async def edit(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            data = forms.parse_poll(form, request.app.state.settings.tz)
            await services.change(database, auth, poll_id, data)
        except FormInvalid as error:
            return await self._edit_page(request, database, poll_id, form, error.errors)
        return redirect(f"/polls/{poll_id}?saved=1")

    @post("/{poll_id:int}/freeze")
    async def freeze(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        await services.freeze(database, auth, poll_id)
        return redirect(f"/polls/{poll_id}?frozen=1")

    @post("/{poll_id:int}/close")
    async def close(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        await services.close(database, auth, poll_id)
        return redirect(f"/polls/{poll_id}/results")

    # --- voting ----------------------------------------------------------------------

    @post("/{poll_id:int}/total", name="polls:total")
    async def total(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        """The running budget total (an htmx fragment; it writes nothing)."""
        form = await form_data(request)
        context = await load_poll(database, request, poll_id, _now())
        return page(
            "polls/_total.html", poll=context["poll"], total=budget_total(context["view"], form)
        )

    @post("/{poll_id:int}/confirm")
    async def confirm(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        """The choices in words, carried in hidden fields to the "cast" button. With
        ``change`` the ballot form comes back with the choices kept."""
        require_confirmed(request)
        form = await form_data(request)
        context = await load_poll(database, request, poll_id, _now())
        require(context["standing"], "poll.vote")
        if context["voted"]:
            return await render_poll(
                database, request, poll_id, message=services.ALREADY_VOTED, status_code=409
            )
        if form.get("change"):
            return await render_poll(database, request, poll_id, form=form)
        try:
            choice = ballots.from_form(context["view"].ballot_rules(), form)
        except BallotInvalid as error:
            return await render_poll(
                database, request, poll_id, form=form, ballot_error=error.message, status_code=400
            )
        return page(
            "polls/confirm.html",
            **context,
            lines=describe(context["poll"].method, choice, context["option_by_id"]),
            hidden=ballots.to_form(context["poll"].method, choice),
            total=budget_total(context["view"], ballots.to_form(context["poll"].method, choice)),
        )

    @post("/{poll_id:int}/cast")
    async def cast(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        """Cast the ballot; the answer is the receipt page (shown once: never stored)."""
        auth = require_confirmed(request)
        form = await form_data(request)
        try:
            done = await services.cast_online(database, auth, poll_id, form)
        except BallotInvalid as error:
            return await render_poll(
                database, request, poll_id, form=form, ballot_error=error.message, status_code=400
            )
        except Conflict as error:
            return await render_poll(
                database, request, poll_id, message=error.message, status_code=409
            )
        receipt = done.receipt
        sent = form.get("send_receipt") == "yes"
        if sent:
            await receipts.send(database, context_of(request), auth.user, done.poll.title, receipt)
        return page(
            "polls/receipt.html",
            **receipt_context(done, _now()),
            receipt=receipt,
            canonical=ballots.canonical(receipt.choice),
            sent=sent,
            via_email=bool(auth.user.email),
            booth=False,
        )


def receipt_context(done: services.Cast, now: datetime) -> dict[str, Any]:
    """What the receipt page shows around the receipt, from what the vote itself read
    (no second read: the vote's transaction saw the poll open and the voter eligible)."""
    standing = done.standing
    names = {a: area.display_name(current_locale()) for a, area in done.areas.items()}
    status = status_of(done.poll, now)  # type: ignore[arg-type]
    return {
        "poll": done.poll,
        "consultation": done.consultation,
        "standing": standing,
        "status_label": STATUS_LABELS[status],
        "can": lambda name: allowed(standing, name),
        "eligibility": explain(done.decision, done.rule, names) if done.decision else None,
        "rule_words": describe_rule(done.rule, names),
        "lines": describe(
            done.poll.method,
            done.receipt.choice,
            {o.id: o for o in done.options},  # type: ignore[misc]
        ),
    }


class NewPollController(Controller):
    """A committee member creates a poll in a consultation."""

    path = "/consultations/{consultation_id:int}/polls"
    include_in_schema = False

    async def _page(
        self, request: AnyRequest, database: Database, consultation_id: int, form: dict, errors: Any
    ) -> Template:
        return await managed_form_page(
            request, database, consultation_id, "polls/new.html", form, errors, **form_context()
        )

    @get("/new", name="polls:new")
    async def new_page(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Template:
        require_privileged(request)
        async with database.read() as session:
            item = await session.get(Consultation, consultation_id)
        defaults = {"rule_area": str(item.area_id) if item else "", "method": "single"}
        return await self._page(request, database, consultation_id, defaults, {})

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
            data = forms.parse_poll(form, request.app.state.settings.tz)
            poll = await services.create(database, auth, consultation_id, data)
        except FormInvalid as error:
            return await self._page(request, database, consultation_id, form, error.errors)
        return redirect(f"/polls/{poll.id}?created=1")
