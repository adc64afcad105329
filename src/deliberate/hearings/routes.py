"""Hearing pages: the draft with its comments, creating and configuring a hearing,
revised versions and what changed, the public moderation log, the committee's queue of
unanswered comments and the poster."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from deliberate.accounts.guards import current_auth, require_privileged
from deliberate.accounts.models import User
from deliberate.accounts.routes import context_of
from deliberate.accounts.services import FormInvalid
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.form_pages import managed_form_page
from deliberate.consultations.models import Consultation
from deliberate.consultations.posters import Poster, poster_response
from deliberate.db import Database, as_utc
from deliberate.errors import NotFound
from deliberate.hearings import document, forms, queries, services
from deliberate.hearings.authors import author_label
from deliberate.hearings.comments import EDIT_WINDOW
from deliberate.hearings.labels import PHASE_LABELS, STANCE_LABELS, VERDICT_LABELS
from deliberate.hearings.models import Comment, Stance
from deliberate.hearings.permissions import allowed, require
from deliberate.identity.explain import describe_rule, explain
from deliberate.web.forms import form_data, redirect
from deliberate.web.i18n import current_locale, format_datetime, using_locale
from deliberate.web.i18n import gettext as _
from deliberate.web.inputs import local_input
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]


def _now() -> datetime:
    return datetime.now(UTC)


def _page_number(value: str | None) -> int:
    text = (value or "1").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 6 and int(text) > 0 else 1


@dataclass(frozen=True)
class Filters:
    """The hearing page's query string, read leniently: anything unknown is ignored."""

    section: int | None
    stance: str | None
    sort: str
    page: int

    @classmethod
    def read(cls, request: AnyRequest, section_ids: set[int]) -> Filters:
        params = request.query_params
        section = params.get("section", "")
        stance = params.get("stance", "")
        sort = params.get("sort", "newest")
        return cls(
            section=int(section) if section.isdigit() and int(section) in section_ids else None,
            stance=stance if stance in Stance.__members__ else None,
            sort=sort if sort in queries.SORTS else "newest",
            page=_page_number(params.get("page")),
        )

    def query(self, **changes: Any) -> str:
        values = {
            "section": self.section,
            "stance": self.stance,
            "sort": self.sort,
            "page": self.page,
            **changes,
        }
        parts = [f"{k}={v}" for k, v in values.items() if v not in (None, "", 1, "newest")]
        return "?" + "&".join(parts) if parts else "?"


async def load_hearing(
    database: Database, request: AnyRequest, hearing_id: int, now: datetime
) -> dict[str, Any]:
    """What every hearing page shows around its content: the hearing, where its window
    stands, the reader's standing and why they may (not) take part."""
    auth = current_auth(request)
    async with database.read() as session:
        view = await queries.hearing_view(session, hearing_id)
        if view is None:
            raise NotFound()
        standing, decision = await queries.standing(session, auth, view, now)
        require(standing, "hearing.read")
        names = await queries.area_names(session, view.rule.area_ids, current_locale())
    return {
        "view": view,
        "hearing": view.hearing,
        "consultation": view.consultation,
        "standing": standing,
        "phase": standing.phase,
        "phase_label": PHASE_LABELS[standing.phase.value],
        "can": lambda name: allowed(standing, name),
        "eligibility": explain(decision, view.rule, names) if decision else None,
        "stance_labels": STANCE_LABELS,
        "verdict_labels": VERDICT_LABELS,
        "now": now,
    }


def label_for(request: AnyRequest, consultation_id: int) -> Callable[[User], str]:
    keys = request.app.state.account_keys
    return lambda user: author_label(keys, consultation_id, user)


async def render_hearing(
    request: AnyRequest,
    database: Database,
    hearing_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    now = _now()
    context = await load_hearing(database, request, hearing_id, now)
    auth = current_auth(request)
    async with database.read() as session:
        version = await queries.current_version(session, hearing_id)
        sections = await queries.sections_of(session, version.id) if version else []  # type: ignore[union-attr]
        index = await queries.section_index(session, hearing_id)
        filters = Filters.read(request, set(index))
        counts = await queries.stance_counts(session, hearing_id)
        rows, total = await queries.comment_page(
            session,
            hearing_id,
            queries.Filters(filters.section, filters.stance, filters.sort, filters.page),
            auth,
        )
        answered, to_answer = await queries.answered(session, context["view"])
    pages = max((total + queries.PER_PAGE - 1) // queries.PER_PAGE, 1)
    return page(
        "hearings/hearing.html",
        status_code=status_code,
        **context,
        version=version,
        sections=sections,
        index=index,
        counts=counts,
        rows=rows,
        total=total,
        filters=filters,
        pages=pages,
        answered=answered,
        to_answer=to_answer,
        author=label_for(request, context["consultation"].id),
        form=form or {},
        errors=errors or {},
        editable=forms_edit_window(now),
    )


class HearingController(Controller):
    path = "/hearings"
    include_in_schema = False

    @get("/{hearing_id:int}", name="hearings:show")
    async def show(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Template:
        return await render_hearing(request, database, hearing_id)

    @get("/{hearing_id:int}/comments/{comment_id:int}", name="hearings:comment")
    async def comment(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        hearing_id: FromPath[int],
        comment_id: FromPath[int],
    ) -> Template:
        """One comment's thread: where a form without JavaScript comes back to."""
        now = _now()
        context = await load_hearing(database, request, hearing_id, now)
        async with database.read() as session:
            comment = await session.get(Comment, comment_id)
            if comment is None or comment.hearing_id != hearing_id:
                raise NotFound()
            rows = await queries.thread(session, comment, current_auth(request))
            index = await queries.section_index(session, hearing_id)
        return page(
            "hearings/thread.html",
            **context,
            rows=rows,
            index=index,
            focus=comment_id,
            author=label_for(request, context["consultation"].id),
            editable=forms_edit_window(now),
        )

    @get("/{hearing_id:int}/versions", name="hearings:versions")
    async def versions(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Template:
        context = await load_hearing(database, request, hearing_id, _now())
        async with database.read() as session:
            versions = await queries.versions(session, hearing_id)
        return page("hearings/versions.html", **context, versions=versions)

    @get("/{hearing_id:int}/versions/{number:int}", name="hearings:version")
    async def version(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        hearing_id: FromPath[int],
        number: FromPath[int],
    ) -> Template:
        """One version as published, and what changed from the one before."""
        context = await load_hearing(database, request, hearing_id, _now())
        async with database.read() as session:
            versions = {v.number: v for v in await queries.versions(session, hearing_id)}
        current = versions.get(number)
        if current is None:
            raise NotFound()
        previous = versions.get(number - 1)
        new_sections = document.split_sections(current.body)
        changes = (
            document.diff_versions(document.split_sections(previous.body), new_sections)
            if previous
            else []
        )
        return page(
            "hearings/version.html",
            **context,
            shown=current,
            previous=previous,
            sections=new_sections,
            changes=changes,
            latest=max(versions),
        )

    @get("/{hearing_id:int}/versions/new", name="hearings:revise")
    async def revise_page(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Template:
        require_privileged(request)
        context = await load_hearing(database, request, hearing_id, _now())
        require(context["standing"], "hearing.revise")
        async with database.read() as session:
            version = await queries.current_version(session, hearing_id)
        return page(
            "hearings/revise.html",
            **context,
            form={"body": version.body if version else ""},
            errors={},
        )

    @post("/{hearing_id:int}/versions/new")
    async def revise(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            draft = forms.parse_draft(form, note_required=True)
            await services.publish_version(database, context_of(request), auth, hearing_id, draft)
        except FormInvalid as error:
            context = await load_hearing(database, request, hearing_id, _now())
            return page(
                "hearings/revise.html", status_code=400, **context, form=form, errors=error.errors
            )
        return redirect(f"/hearings/{hearing_id}/versions")

    @get("/{hearing_id:int}/settings", name="hearings:settings")
    async def settings_page(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Template:
        require_privileged(request)
        context = await load_hearing(database, request, hearing_id, _now())
        require(context["standing"], "hearing.configure")
        tz = request.app.state.settings.tz
        hearing = context["hearing"]
        rule = context["view"].rule
        form = {
            "title": hearing.title,
            "opens_at": local_input(hearing.opens_at, tz),
            "closes_at": local_input(hearing.closes_at, tz),
            "rule_area": str(rule.area_ids[0]) if rule.area_ids else "",
            "min_age": str(rule.min_age) if rule.min_age else "",
        }
        return await self._settings(database, context, form, {})

    async def _settings(
        self, database: Database, context: dict[str, Any], form: dict[str, str], errors: Any
    ) -> Template:
        async with database.read() as session:
            areas = await consultation_queries.areas_in(session, context["consultation"].area_id)
        return page(
            "hearings/settings.html",
            status_code=400 if errors else 200,
            **context,
            areas=areas,
            form=form,
            errors=errors,
        )

    @post("/{hearing_id:int}/settings")
    async def configure(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            data = forms.parse_hearing(form, request.app.state.settings.tz)
            await services.configure(database, auth, hearing_id, data)
        except FormInvalid as error:
            context = await load_hearing(database, request, hearing_id, _now())
            return await self._settings(database, context, form, error.errors)
        return redirect(f"/hearings/{hearing_id}?configured=1")

    @get("/{hearing_id:int}/moderation", name="hearings:moderation")
    async def moderation(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Template:
        """The public moderation log: every hiding and restoring, with its reason."""
        context = await load_hearing(database, request, hearing_id, _now())
        async with database.read() as session:
            log = await queries.moderation_log(session, hearing_id)
        return page("hearings/moderation.html", **context, log=log)

    @get("/{hearing_id:int}/queue", name="hearings:queue")
    async def queue(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Template:
        """The committee's work: comments still without a response, and open flags."""
        require_privileged(request)
        context = await load_hearing(database, request, hearing_id, _now())
        require(context["standing"], "hearing.moderate")
        number = _page_number(request.query_params.get("page"))
        async with database.read() as session:
            rows, total = await queries.unanswered(session, context["view"], number)
            flags = await queries.open_flags(session, hearing_id)
            answered, to_answer = await queries.answered(session, context["view"])
        return page(
            "hearings/queue.html",
            **context,
            rows=rows,
            total=total,
            flags=flags,
            answered=answered,
            to_answer=to_answer,
            page_number=number,
            pages=max((total + queries.PER_PAGE - 1) // queries.PER_PAGE, 1),
            author=label_for(request, context["consultation"].id),
        )

    @get("/{hearing_id:int}/poster.pdf", name="hearings:poster")
    async def poster(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Response[bytes]:
        context = await load_hearing(database, request, hearing_id, _now())
        settings = request.app.state.settings
        view = context["view"]
        with using_locale("zh_CN"):  # notice boards: in Chinese
            window = _("%(start)s to %(end)s") % {
                "start": format_datetime(view.hearing.opens_at, settings.tz, "medium"),
                "end": format_datetime(view.hearing.closes_at, settings.tz, "medium"),
            }
            content = Poster(
                heading=_("Public hearing: comments on a draft"),
                title=view.hearing.title,
                organiser=view.committee.name,
                area=view.area.name,
                summary=_("The draft is open for comment by: %(who)s")
                % {"who": context_rule(view)},
                facts=((_("Comment window"), window), (_("Consultation"), view.consultation.title)),
                steps=(
                    _("Scan the QR code or open the address below."),
                    _("Read the draft section by section."),
                    _("Sign in and comment on a section: support, oppose, suggest or ask."),
                    _("The committee answers every comment in public."),
                ),
                url=f"{settings.public_url}/hearings/{hearing_id}",
            )
        return await poster_response(content, f"hearing-{hearing_id}.pdf", settings.tz)


def context_rule(view: queries.HearingView) -> str:
    names = {view.area.id: view.area.name}
    return describe_rule(view.rule, names)  # type: ignore[arg-type]


def forms_edit_window(now: datetime) -> Callable[[Comment], bool]:
    """Whether a comment can still be edited by its author at ``now``."""
    return lambda comment: as_utc(comment.created_at) > now - EDIT_WINDOW


class NewHearingController(Controller):
    """A committee member opens a hearing in a consultation, with its first draft."""

    path = "/consultations/{consultation_id:int}/hearings"
    include_in_schema = False

    async def _page(
        self, request: AnyRequest, database: Database, consultation_id: int, form: dict, errors: Any
    ) -> Template:
        return await managed_form_page(
            request, database, consultation_id, "hearings/new.html", form, errors
        )

    @get("/new", name="hearings:new")
    async def new_page(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Template:
        require_privileged(request)
        async with database.read() as session:
            item = await session.get(Consultation, consultation_id)
        default_area = str(item.area_id) if item else ""
        return await self._page(request, database, consultation_id, {"rule_area": default_area}, {})

    @post("/new")
    async def create(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        tz = request.app.state.settings.tz
        try:
            data, draft = forms.together(
                lambda: forms.parse_hearing(form, tz),
                lambda: forms.parse_draft(form, note_required=False),
            )
            hearing = await services.create(
                database, auth, consultation_id, data, draft, ctx=context_of(request)
            )
        except FormInvalid as error:
            return await self._page(request, database, consultation_id, form, error.errors)
        return redirect(f"/hearings/{hearing.id}")
