"""Consultation pages: the list, the public page with its stages and hearings, the
committee's form and stage button, following and one-click unsubscribe, the printable
poster and the Atom feed. Thin: parse, call one service or query, render."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import nh3
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.guards import current_auth, require_confirmed, require_privileged
from deliberate.accounts.routes import context_of, form_page
from deliberate.accounts.services import FormInvalid
from deliberate.consultations import feed, forms, posters, queries, services
from deliberate.consultations.labels import stage_label
from deliberate.consultations.models import STAGES, Consultation, Stage
from deliberate.consultations.permissions import allowed, confirmed, require, signed_in
from deliberate.db import Database, as_utc
from deliberate.decisions import queries as decision_queries
from deliberate.errors import Forbidden, Invalid, NotFound
from deliberate.forums import queries as forum_queries
from deliberate.hearings.labels import PHASE_LABELS
from deliberate.hearings.models import Hearing
from deliberate.identity import queries as identity_queries
from deliberate.identity.models import Area, Committee
from deliberate.minutes import queries as minutes_queries
from deliberate.minutes.routes import STATE_LABELS as MINUTES_STATES
from deliberate.phase import Phase, phase
from deliberate.polls import queries as poll_queries
from deliberate.polls.labels import METHOD_LABELS as POLL_METHODS
from deliberate.polls.labels import STATUS_LABELS as POLL_STATUS
from deliberate.polls.labels import status_of as poll_status
from deliberate.web import i18n, markdown
from deliberate.web.forms import form_data, redirect
from deliberate.web.i18n import gettext as _
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.i18n import using_locale
from deliberate.web.inputs import whole_number
from deliberate.web.pages import page as render

AnyRequest = Request[Any, Any, Any]
FEED_ENTRIES = 50
FEED_SUMMARY = 300  # characters of plain text
MAX_PAGE = 100_000
MAX_TOKEN = 64
POSTER_MILESTONES = 3
POSTER_HEARINGS = 2
STAGE_VALUES = frozenset(stage.value for stage in Stage)


def plain_text(source: str) -> str:
    """Markdown as one line of plain text (what it reads as, without the markup)."""
    rendered = nh3.clean(str(markdown.render(source)), tags=set())
    return " ".join(html.unescape(rendered).split())


def tree_order(areas: list[Area]) -> list[tuple[Area, int]]:
    """Areas with their depth, each followed by those below it (roots: areas whose
    parent is not in the list)."""
    ids = {area.id for area in areas}
    children: dict[int | None, list[Area]] = {}
    for area in areas:
        children.setdefault(area.parent_id if area.parent_id in ids else None, []).append(area)
    ordered: list[tuple[Area, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for area in sorted(children.get(parent, []), key=lambda a: a.code):
            ordered.append((area, depth))
            walk(area.id, depth + 1)

    walk(None, 0)
    return ordered


def milestones_of(item: Consultation) -> list[tuple[date, str]]:
    return [(date.fromisoformat(day), text) for day, text in json.loads(item.milestones or "[]")]


def page_number(value: str) -> int:
    number = whole_number(value, low=1, high=MAX_PAGE) if value else 1
    if number is None:
        raise Invalid(_l("The page number must be a whole number from 1."))
    return number


@dataclass(frozen=True)
class StageStep:
    stage: str
    label: str
    entered_at: datetime | None
    state: str  # "done", "current" or "upcoming"


@dataclass(frozen=True)
class Listed:
    item: Consultation
    area: Area
    committee: Committee
    updated_at: datetime  # aware (SQLite hands back naive UTC)


@dataclass(frozen=True)
class CommitteeChoice:
    committee: Committee
    area: Area
    areas: list[tuple[Area, int]]


def stage_steps(item: Consultation, changes: list[Any]) -> list[StageStep]:
    entered = {change.stage: as_utc(change.changed_at) for change in changes}
    current = STAGES.index(Stage(item.stage))
    return [
        StageStep(
            stage=stage.value,
            label=stage_label(stage.value),
            entered_at=entered.get(stage.value),
            state="done" if index < current else "current" if index == current else "upcoming",
        )
        for index, stage in enumerate(STAGES)
    ]


async def committee_choices(session: AsyncSession, auth: Auth) -> list[CommitteeChoice]:
    """The actor's committees, each with the areas it may hold consultations for."""
    return [
        CommitteeChoice(committee, area, tree_order(await queries.areas_in(session, area.id)))  # type: ignore[arg-type]
        for committee, area, _role in await queries.my_committees(session, auth)
    ]


async def load(
    session: AsyncSession, auth: Auth | None, consultation_id: int, permission: str
) -> tuple[queries.Matter, Any]:
    found = await queries.matter(session, consultation_id)
    if found is None:
        raise NotFound()
    standing = await queries.standing(session, auth, found.consultation)
    require(standing, permission)
    return found, standing


def edit_values(item: Consultation) -> dict[str, str]:
    return {
        "committee": str(item.committee_id),
        "area": str(item.area_id),
        "title": item.title,
        "summary": item.summary,
        "budget": item.budget,
        "buildings": item.buildings,
        "contact": item.contact,
        "milestones": forms.milestones_text(item.milestones),
    }


class ConsultationController(Controller):
    path = "/consultations"
    include_in_schema = False

    # The list ----------------------------------------------------------------------

    @get("", name="consultations:list")
    async def listing(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        area: FromQuery[str] = "",
        stage: FromQuery[str] = "",
        page: FromQuery[str] = "",
    ) -> Template:
        auth = current_auth(request)
        number = page_number(page)
        if stage and stage not in STAGE_VALUES:
            raise Invalid(_l("There is no such stage."))
        async with database.read() as session:
            chosen = None
            area_ids = None
            if area:
                chosen = await queries.area_by_code(session, area[:32])
                if chosen is None:
                    raise Invalid(_l("There is no such area."))
                area_ids = {a.id for a in await queries.areas_in(session, chosen.id)}  # type: ignore[arg-type]
            own = await queries.own_committee_ids(session, auth)
            rows, total = await queries.listing(
                session,
                area_ids=area_ids,  # type: ignore[arg-type]
                stage=stage or None,
                page=number,
                own_committees=own,
            )
            areas = tree_order(await identity_queries.all_areas(session))
        pages = max(1, math.ceil(total / queries.PER_PAGE))
        if number > pages:
            raise NotFound()

        def link(to: int) -> str:
            params = {"area": chosen.code if chosen else "", "stage": stage, "page": str(to)}
            return "/consultations?" + urlencode({k: v for k, v in params.items() if v})

        return render(
            "consultations/list.html",
            rows=[
                Listed(item, place, committee, as_utc(item.updated_at))
                for item, place, committee in rows
            ],
            total=total,
            number=number,
            pages=pages,
            prev_url=link(number - 1) if number > 1 else None,
            next_url=link(number + 1) if number < pages else None,
            areas=areas,
            chosen=chosen,
            stage=stage,
            stages=[(s.value, stage_label(s.value)) for s in STAGES],
            stage_names={s.value: stage_label(s.value) for s in STAGES},
            can_create=bool(own),
            feed_url="/consultations/feed.atom"
            + ("?" + urlencode({"area": chosen.code}) if chosen else ""),
        )

    # Creating and editing ------------------------------------------------------------

    async def _form(
        self,
        database: Database,
        auth: Auth,
        form: dict[str, str],
        error: FormInvalid | None = None,
        *,
        item: queries.Matter | None = None,
    ) -> Template:
        async with database.read() as session:
            if item is None:
                choices = await committee_choices(session, auth)
            else:
                choices = [
                    CommitteeChoice(
                        item.committee,
                        item.area,
                        tree_order(await queries.areas_in(session, item.committee.area_id)),
                    )
                ]
        if not choices:
            raise Forbidden(_l("Only committee members can prepare consultations."))
        return form_page("consultations/form.html", form, error, choices=choices, item=item)

    @get("/new", name="consultations:new")
    async def new_form(self, request: AnyRequest, database: NamedDependency[Database]) -> Template:
        auth = require_privileged(request)
        return await self._form(database, auth, {})

    @post("/new")
    async def create(self, request: AnyRequest, database: NamedDependency[Database]) -> Any:
        auth = require_privileged(request)
        if not auth.committee_member:
            raise Forbidden(_l("Only committee members can prepare consultations."))
        form = await form_data(request)
        try:
            created = await services.create(database, auth, forms.parse_consultation(form))
        except FormInvalid as error:
            return await self._form(database, auth, form, error)
        return redirect(f"/consultations/{created.id}?created=1")

    @get("/{consultation_id:int}/edit", name="consultations:edit")
    async def edit_form(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Template:
        auth = require_privileged(request)
        async with database.read() as session:
            found, _standing = await load(session, auth, consultation_id, "consultation.manage")
        return await self._form(database, auth, edit_values(found.consultation), item=found)

    @post("/{consultation_id:int}/edit")
    async def edit(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        async with database.read() as session:
            found, _standing = await load(session, auth, consultation_id, "consultation.manage")
        form = await form_data(request)
        form["committee"] = str(found.committee.id)  # a consultation keeps its committee
        try:
            await services.update(database, auth, consultation_id, forms.parse_consultation(form))
        except FormInvalid as error:
            return await self._form(database, auth, form, error, item=found)
        return redirect(f"/consultations/{consultation_id}?saved=1")

    @post("/{consultation_id:int}/stage")
    async def advance(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Redirect:
        auth = require_privileged(request)
        form = await form_data(request)
        expected = form.get("expected", "")
        moved = await services.advance(
            database, context_of(request), auth, consultation_id, expected
        )
        outcome = "published" if expected == Stage.draft else "moved"
        return redirect(f"/consultations/{moved.id}?{outcome}=1")

    # The public page -----------------------------------------------------------------

    @get("/{consultation_id:int}", name="consultations:show")
    async def show(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Template:
        auth = current_auth(request)
        async with database.read() as session:
            found, standing = await load(session, auth, consultation_id, "consultation.read")
            changes = await queries.timeline(session, consultation_id)
            hearings = await queries.hearings_of(session, consultation_id)
            polls = await poll_queries.polls_of(session, consultation_id)
            forums = await forum_queries.forums_of(session, consultation_id)
            decisions = await decision_queries.decisions_of(session, consultation_id)
            minutes = await minutes_queries.versions_of(session, consultation_id)
            can_follow = allowed(standing, "consultation.follow")
            following = can_follow and await queries.following(session, auth, consultation_id)
        item = found.consultation
        now = datetime.now(UTC)
        upcoming = services.next_stage(item.stage)
        return render(
            "consultations/show.html",
            matter=found,
            item=item,
            steps=stage_steps(item, changes),
            current_label=stage_label(item.stage),
            milestones=milestones_of(item),
            hearings=[hearing_row(hearing, now) for hearing in hearings],
            polls=[(poll, str(POLL_STATUS[poll_status(poll, now)])) for poll in polls],
            method_labels=POLL_METHODS,
            forums=[(forum, forum_queries.is_sealed(forum, now)) for forum in forums],
            decisions=decisions,
            minutes=[m for m in minutes if m.public],
            minutes_labels=MINUTES_STATES,
            can_manage=allowed(standing, "consultation.manage"),
            can_follow=can_follow,
            following=following,
            signed_in=signed_in(auth),
            confirmed=confirmed(auth),
            next_stage=upcoming.value if upcoming else None,
            next_label=stage_label(upcoming.value) if upcoming else None,
        )

    # Following -----------------------------------------------------------------------

    @post("/{consultation_id:int}/follow")
    async def follow(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Redirect:
        auth = require_confirmed(request)
        await services.follow(database, auth, consultation_id)
        return redirect(f"/consultations/{consultation_id}?followed=1")

    @post("/{consultation_id:int}/unfollow")
    async def unfollow(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Redirect:
        auth = require_confirmed(request)
        await services.unfollow(database, auth, consultation_id)
        return redirect(f"/consultations/{consultation_id}?unfollowed=1")

    @get("/unsubscribe/{token:str}", name="consultations:unsubscribe")
    async def unsubscribe_page(
        self, database: NamedDependency[Database], token: FromPath[str]
    ) -> Template:
        target = None
        if len(token) <= MAX_TOKEN:
            async with database.read() as session:
                target = await queries.unsubscribe_target(session, token)
        return unsubscribe_view(token, target, done=False)

    @post("/unsubscribe/{token:str}")
    async def unsubscribe(self, database: NamedDependency[Database], token: FromPath[str]) -> Any:
        target = await services.unsubscribe(database, token) if len(token) <= MAX_TOKEN else None
        return unsubscribe_view(token, target, done=target is not None)

    # Printed and syndicated ----------------------------------------------------------

    @get("/{consultation_id:int}/poster.pdf", name="consultations:poster")
    async def poster(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Response[bytes]:
        async with database.read() as session:
            found, _standing = await load(
                session, current_auth(request), consultation_id, "consultation.read"
            )
            hearings = await queries.hearings_of(session, consultation_id)
        settings = request.app.state.settings
        content = poster_of(found, hearings, settings.public_url, settings.tz)
        return await posters.poster_response(
            content, f"consultation-{consultation_id}.pdf", settings.tz
        )

    @get("/feed.atom", name="consultations:feed")
    async def atom(
        self, request: AnyRequest, database: NamedDependency[Database], area: FromQuery[str] = ""
    ) -> Response[bytes]:
        async with database.read() as session:
            chosen = None
            area_ids = None
            if area:
                chosen = await queries.area_by_code(session, area[:32])
                if chosen is None:
                    raise NotFound()
                area_ids = {a.id for a in await queries.areas_in(session, chosen.id)}  # type: ignore[arg-type]
            rows = await queries.published_recent(session, area_ids, FEED_ENTRIES)  # type: ignore[arg-type]
        base = request.app.state.settings.public_url.rstrip("/")
        query = "?" + urlencode({"area": chosen.code}) if chosen else ""
        locale = i18n.current_locale()
        title = (
            _("Consultations in %(area)s", area=chosen.display_name(locale))
            if chosen
            else _("Consultations")
        )
        document = feed.Feed(
            id=f"{base}/consultations/feed.atom{query}",
            title=title,
            link=f"{base}/consultations{query}",
            self_link=f"{base}/consultations/feed.atom{query}",
            updated=datetime.now(UTC),
            lang=i18n.html_lang(),
            entries=tuple(
                feed.Entry(
                    id=f"{base}/consultations/{item.id}",
                    title=item.title,
                    link=f"{base}/consultations/{item.id}",
                    updated=as_utc(item.updated_at),
                    published=as_utc(item.published_at),  # type: ignore[arg-type]
                    summary=posters.clamp(plain_text(item.summary), FEED_SUMMARY),
                    author=committee.display_name(locale),
                )
                for item, _area, committee in rows
            ),
        )
        return Response(feed.atom_feed(document), media_type="application/atom+xml; charset=utf-8")


@dataclass(frozen=True)
class HearingRow:
    hearing: Hearing
    opens_at: datetime
    closes_at: datetime
    phase: str
    phase_label: str


def hearing_row(hearing: Hearing, now: datetime) -> HearingRow:
    where = phase(hearing.opens_at, hearing.closes_at, now)
    return HearingRow(
        hearing,
        as_utc(hearing.opens_at),
        as_utc(hearing.closes_at),
        where.value,
        str(PHASE_LABELS[where.value]),
    )


def unsubscribe_view(token: str, target: Consultation | None, *, done: bool) -> Template:
    return render(
        "consultations/unsubscribe.html",
        status_code=200 if target is not None else 404,
        token=token,
        target=target,
        done=done,
    )


def poster_of(
    found: queries.Matter, hearings: list[Hearing], public_url: str, tz: Any
) -> posters.Poster:
    """What the notice-board poster says, in Chinese."""
    item = found.consultation
    now = datetime.now(UTC)
    with using_locale("zh_CN"):
        facts: list[tuple[str, str]] = [
            (_("Stage"), stage_label(item.stage)),
            (_("Area"), found.area.display_name("zh_CN")),
        ]
        current = [h for h in hearings if phase(h.opens_at, h.closes_at, now) != Phase.closed]
        for hearing in current[:POSTER_HEARINGS]:
            window = _(
                "%(start)s to %(end)s",
                start=i18n.format_date(as_utc(hearing.opens_at), tz),
                end=i18n.format_date(as_utc(hearing.closes_at), tz),
            )
            facts.append((_("Comments on the draft"), f"{window} · {hearing.title}"))
        for label, value in (
            (_("Budget"), item.budget),
            (_("Affected buildings"), item.buildings),
            (_("Contact"), item.contact),
        ):
            if value:
                facts.append((label, value))
        for day, text in milestones_of(item)[:POSTER_MILESTONES]:
            facts.append((i18n.format_date(day, tz), text))
        return posters.Poster(
            heading=_("Public consultation"),
            title=item.title,
            organiser=found.committee.display_name("zh_CN"),
            area=found.area.display_name("zh_CN"),
            summary=plain_text(item.summary),
            facts=tuple(facts),
            steps=(
                _("Scan the QR code or open the address below."),
                _("Read the summary and the draft, and take part while it is open."),
            ),
            url=f"{public_url.rstrip('/')}/consultations/{item.id}",
        )
