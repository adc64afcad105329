"""The application factory: ``create_app(settings)`` wires everything together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from deliberate.accounts.guards import RedirectRequired
from deliberate.accounts.middleware import session_middleware
from deliberate.accounts.routes import SignInController
from deliberate.accounts.routes_profile import AccountController
from deliberate.accounts.tokens import Keys
from deliberate.admin.routes import AdminController, AreaAdminController
from deliberate.api.routes import OPENAPI_ROUTER_PATH, openapi_description
from deliberate.background import background
from deliberate.config import Settings
from deliberate.consultations.api import ConsultationApiController
from deliberate.consultations.routes import ConsultationController
from deliberate.db import Database
from deliberate.decisions.api import DecisionApiController
from deliberate.decisions.routes import DecisionController, NewDecisionController
from deliberate.errors import DomainError
from deliberate.forums.api import ForumApiController
from deliberate.forums.routes import ForumController, InvitationController, NewForumController
from deliberate.hearings.api import HearingApiController
from deliberate.hearings.routes import HearingController, NewHearingController
from deliberate.hearings.routes_comments import CommentController, CommentPostController
from deliberate.hearings.routes_speakers import SpeakerController
from deliberate.home.routes import HomeController
from deliberate.identity.routes import (
    CommitteeController,
    LetterController,
    OfficerController,
    VerificationController,
)
from deliberate.mail.delivery import delivery_hook
from deliberate.minutes import jobs as minutes_jobs
from deliberate.minutes.api import MinutesApiController
from deliberate.minutes.routes import ConsultationMinutesController, MinutesController
from deliberate.minutes.verify_page import VerifyController
from deliberate.polls.api import PollApiController, PollDownloadController
from deliberate.polls.routes import NewPollController, PollController
from deliberate.polls.routes_booth import BoothController
from deliberate.polls.routes_import import PollImportController
from deliberate.polls.routes_results import ResultController
from deliberate.resources import resource_dir
from deliberate.throttle.services import Throttled
from deliberate.web import logs
from deliberate.web.errors import (
    handle_domain_error,
    handle_exception,
    handle_redirect,
    handle_throttled,
)
from deliberate.web.health import healthz
from deliberate.web.middleware import locale_middleware
from deliberate.web.security import security_headers_hook
from deliberate.web.templating import STATIC_PREFIX, template_config

MAX_BODY_BYTES = 10 * 1024 * 1024
CSRF_COOKIE = "__Host-csrftoken"
CSRF_HEADER = "x-csrftoken"
STATIC_MAX_AGE = 365 * 24 * 3600


def provide_database(state: State) -> Database:
    return state.database


def create_app(settings: Settings) -> Litestar:
    logs.configure(settings.debug)
    database = Database(settings.database_url)
    minutes_jobs.install(settings, database)  # the background worker renders minutes

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        try:
            async with background(database):
                yield
        finally:
            await database.dispose()

    static_router = create_static_files_router(
        path=STATIC_PREFIX,
        directories=[resource_dir("static")],
        cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE, public=True, immutable=True),
        include_in_schema=False,
    )
    return Litestar(
        route_handlers=[
            HomeController,
            SignInController,
            AccountController,
            AdminController,
            AreaAdminController,
            CommitteeController,
            VerificationController,
            LetterController,
            OfficerController,
            ConsultationController,
            HearingController,
            NewHearingController,
            CommentPostController,
            CommentController,
            SpeakerController,
            NewForumController,
            InvitationController,
            ForumController,
            NewPollController,
            PollController,
            ResultController,
            BoothController,
            PollImportController,
            PollDownloadController,
            ConsultationApiController,
            HearingApiController,
            PollApiController,
            ForumApiController,
            ConsultationMinutesController,
            MinutesController,
            VerifyController,
            MinutesApiController,
            NewDecisionController,
            DecisionController,
            DecisionApiController,
            healthz,
            openapi_description,
            static_router,
        ],
        dependencies={"database": Provide(provide_database, sync_to_thread=False)},
        # Outermost first: the session is known before the locale is chosen.
        middleware=[session_middleware, locale_middleware],
        plugins=[HTMXPlugin()],
        template_config=template_config(settings),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            cookie_secure=True,
            cookie_httponly=True,
            cookie_samesite="lax",
            header_name=CSRF_HEADER,
        ),
        openapi_config=OpenAPIConfig(
            title="Deliberate open data",
            version="1",
            path=OPENAPI_ROUTER_PATH,
            render_plugins=[JsonRenderPlugin(path="/openapi.json")],
        ),
        exception_handlers={
            RedirectRequired: handle_redirect,
            Throttled: handle_throttled,
            DomainError: handle_domain_error,
            Exception: handle_exception,
        },
        after_response=delivery_hook(settings, database),
        before_send=[security_headers_hook(production=settings.production)],
        request_max_body_size=MAX_BODY_BYTES,
        lifespan=[lifespan],
        state=State(
            {"settings": settings, "database": database, "account_keys": Keys(settings.secret_key)}
        ),
        debug=False,
        logging_config=None,  # ours: web/logs.py (UTC, one line per event)
    )
