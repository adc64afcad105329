"""The paper booth, for residents who vote in person: an officer of the area finds the
voter by e-mail address or mobile number, sees whether they may vote or have voted
already, and enters their paper ballot on the same voter roll (so nobody votes both
online and on paper). The receipt is shown for the officer to print or hand over.

The voter's login travels in POST bodies only, never in an address."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from deliberate.accounts import queries as account_queries
from deliberate.accounts.contact import normalise_login
from deliberate.accounts.guards import require_privileged
from deliberate.accounts.models import User
from deliberate.db import Database
from deliberate.errors import Conflict
from deliberate.identity import eligibility
from deliberate.identity.queries import area_parents, eligibility_person
from deliberate.polls import ballots, queries, services
from deliberate.polls.ballots import BallotInvalid
from deliberate.polls.labels import VOTER_REASONS
from deliberate.polls.permissions import require
from deliberate.polls.routes import budget_total, describe, load_poll
from deliberate.web.forms import form_data
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
NOT_A_LOGIN = _l("Enter an e-mail address or a mainland mobile number.")
ENTER_BALLOT = _l("Enter the paper ballot")
NO_SUCH_VOTER = _l("There is no account with this e-mail address or mobile number.")


class BoothController(Controller):
    path = "/polls"
    include_in_schema = False

    async def _context(self, request: AnyRequest, database: Database, poll_id: int) -> dict:
        require_privileged(request)
        context = await load_poll(database, request, poll_id, datetime.now(UTC))
        require(context["standing"], "poll.paper")
        return context

    async def _voter(
        self, database: Database, context: dict[str, Any], typed: str
    ) -> tuple[User | None, dict[str, Any], Any]:
        """The voter for what the officer typed, and what the page says about them (or
        the error to show on the search field)."""
        try:
            kind, value = normalise_login(typed)
        except ValueError:
            return None, {}, NOT_A_LOGIN
        view = context["view"]
        async with database.read() as session:
            voter = await account_queries.user_by_login(session, kind, value)
            if voter is None:
                return None, {}, NO_SUCH_VOTER
            person = await eligibility_person(session, voter)
            parents = await area_parents(session)
            voted = await queries.has_voted(session, view.poll.id, voter.id)  # type: ignore[arg-type]
        decision = eligibility.check(person, view.rule, datetime.now(UTC).date(), parents)
        facts = {
            "voter": voter,
            "login": value,
            "may_vote": decision.allowed and not voted,
            "voter_voted": voted,
            "voter_reason": VOTER_REASONS[decision.reason],
            "voter_allowed": decision.allowed,
        }
        return voter, facts, None

    def _page(
        self,
        context: dict[str, Any],
        *,
        status_code: int = 200,
        typed: str = "",
        search_error: Any = None,
        facts: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        ballot_error: Any = None,
        message: Any = None,
    ) -> Template:
        poll = context["poll"]
        facts = facts or {}
        return page(
            "polls/booth.html",
            status_code=status_code,
            **context,
            typed=typed,
            search_error=search_error,
            **facts,
            form=form or {},
            ballot_error=ballot_error,
            message=message,
            total=budget_total(context["view"], form or {}),
            ballot_action=f"/polls/{poll.id}/booth",
            extra_hidden={"step": "cast", "login": facts.get("login", "")},
            submit_label=ENTER_BALLOT,
        )

    @get("/{poll_id:int}/booth", name="polls:booth")
    async def booth_page(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        context = await self._context(request, database, poll_id)
        return self._page(context)

    @post("/{poll_id:int}/booth")
    async def booth(
        self, request: AnyRequest, database: NamedDependency[Database], poll_id: FromPath[int]
    ) -> Template:
        context = await self._context(request, database, poll_id)
        auth = context["standing"].auth
        form = await form_data(request)
        typed = form.get("login", "")
        voter, facts, error = await self._voter(database, context, typed)
        if voter is None:
            return self._page(context, status_code=400, typed=typed, search_error=error)
        if form.get("step") != "cast":
            return self._page(context, typed=typed, facts=facts)
        try:
            receipt = await services.cast_paper(database, auth, poll_id, voter.id, form)  # type: ignore[arg-type]
        except BallotInvalid as problem:
            about_voter = problem.field == "voter"  # not the ballot: who cast it
            return self._page(
                context,
                status_code=400,
                typed=typed,
                facts=facts,
                form=form,
                ballot_error=None if about_voter else problem.message,
                message=problem.message if about_voter else None,
            )
        except Conflict as problem:
            _voter, facts, _error = await self._voter(database, context, typed)
            return self._page(
                context, status_code=409, typed=typed, facts=facts, message=problem.message
            )
        return page(
            "polls/receipt.html",
            **context,
            receipt=receipt,
            lines=describe(context["poll"].method, receipt.choice, context["option_by_id"]),
            canonical=ballots.canonical(receipt.choice),
            sent=False,
            via_email=False,
            booth=True,
        )
