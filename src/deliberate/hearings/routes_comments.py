"""Comment actions. Each is a plain form POST that answers with a redirect (303) to the
comment's thread; with htmx the same POST answers with the fragment to swap in, and an
out-of-band message for the screen-reader announcer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlmodel import select

from deliberate.accounts.guards import current_auth, require_confirmed, require_privileged
from deliberate.accounts.services import FormInvalid
from deliberate.db import Database
from deliberate.errors import DomainError, NotFound
from deliberate.hearings import comments, forms, queries
from deliberate.hearings.models import Comment, Response
from deliberate.hearings.permissions import require
from deliberate.hearings.routes import forms_edit_window, label_for, load_hearing, render_hearing
from deliberate.web.forms import form_data, redirect
from deliberate.web.i18n import gettext as _
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]


def _htmx(request: AnyRequest) -> bool:
    return request.headers.get("hx-request") == "true"


def _thread_url(comment: Comment) -> str:
    return f"/hearings/{comment.hearing_id}/comments/{comment.id}#comment-{comment.id}"


async def _comment_context(
    database: Database, request: AnyRequest, comment_id: int
) -> tuple[Comment, dict[str, Any]]:
    async with database.read() as session:
        comment = await session.get(Comment, comment_id)
        if comment is None:
            raise NotFound()
    context = await load_hearing(database, request, comment.hearing_id, datetime.now(UTC))
    return comment, context


class CommentPostController(Controller):
    path = "/hearings/{hearing_id:int}/comments"
    include_in_schema = False

    @post("", name="hearings:post_comment")
    async def post_comment(
        self, request: AnyRequest, database: NamedDependency[Database], hearing_id: FromPath[int]
    ) -> Any:
        auth = require_confirmed(request)
        form = await form_data(request)
        try:
            data = comments.new_comment(form)
            comment = await comments.post(database, auth, hearing_id, data)
        except FormInvalid as error:
            if _htmx(request):
                return await _form_fragment(request, database, hearing_id, form, error.errors)
            return await render_hearing(
                request, database, hearing_id, form=form, errors=error.errors, status_code=400
            )
        except DomainError as error:
            if not _htmx(request):
                raise
            return await _form_fragment(
                request, database, hearing_id, form, {"body": error.message}
            )
        if not _htmx(request):
            return redirect(_thread_url(comment))
        return await _posted_fragment(request, database, comment, parent=form.get("parent"))


async def _form_fragment(
    request: AnyRequest,
    database: Database,
    hearing_id: int,
    form: dict[str, str],
    errors: dict[str, Any],
) -> Template:
    """The comment (or reply) form again, with the problem, for htmx to swap in place."""
    context = await load_hearing(database, request, hearing_id, datetime.now(UTC))
    async with database.read() as session:
        version = await queries.current_version(session, hearing_id)
        sections = await queries.sections_of(session, version.id) if version else []  # type: ignore[union-attr]
    template = "hearings/_reply_form.html" if form.get("parent") else "hearings/_comment_form.html"
    return page(
        template,
        **context,
        sections=sections,
        form=form,
        errors=errors,
        parent_id=form.get("parent"),
        announce=_("Your comment was not posted: please correct the form."),
    )


async def _posted_fragment(
    request: AnyRequest, database: Database, comment: Comment, parent: str | None
) -> Template:
    """After posting with htmx: a fresh form in place, and the new comment added to the
    list (or to its thread) out of band."""
    now = datetime.now(UTC)
    context = await load_hearing(database, request, comment.hearing_id, now)
    async with database.read() as session:
        rows = await queries.thread(session, comment, current_auth(request))
        version = await queries.current_version(session, comment.hearing_id)
        sections = await queries.sections_of(session, version.id) if version else []  # type: ignore[union-attr]
        index = await queries.section_index(session, comment.hearing_id)
    row = _find(rows, comment.id)
    return page(
        "hearings/_posted.html",
        **context,
        row=row,
        index=index,
        sections=sections,
        form={},
        errors={},
        parent_id=parent or None,
        author=label_for(request, context["consultation"].id),
        editable=forms_edit_window(now),
        announce=_("Your comment is posted."),
    )


def _find(rows: list[queries.CommentRow], comment_id: int) -> queries.CommentRow | None:
    for row in rows:
        if row.comment.id == comment_id:
            return row
        found = _find(row.children, comment_id)
        if found is not None:
            return found
    return None


class CommentController(Controller):
    path = "/comments"
    include_in_schema = False

    @get("/{comment_id:int}/edit", name="comments:edit")
    async def edit_page(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Template:
        auth = require_confirmed(request)
        comment, context = await _comment_context(database, request, comment_id)
        if comment.author_id != auth.user.id:
            raise NotFound()
        return page(
            "hearings/comment_edit.html",
            **context,
            comment=comment,
            form={"body": comment.body},
            errors={},
        )

    @post("/{comment_id:int}/edit")
    async def edit(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Any:
        auth = require_confirmed(request)
        form = await form_data(request)
        try:
            body = forms.comment_text(form.get("body"))
            comment = await comments.edit(database, auth, comment_id, body)
        except FormInvalid as error:
            comment, context = await _comment_context(database, request, comment_id)
            if comment.author_id != auth.user.id:
                raise NotFound() from None
            return page(
                "hearings/comment_edit.html",
                status_code=400,
                **context,
                comment=comment,
                form=form,
                errors=error.errors,
            )
        return redirect(_thread_url(comment))

    @post("/{comment_id:int}/delete")
    async def delete(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Any:
        auth = require_confirmed(request)
        comment = await comments.delete(database, auth, comment_id)
        return redirect(_thread_url(comment))

    @post("/{comment_id:int}/endorse")
    async def endorse(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Any:
        auth = require_confirmed(request)
        form = await form_data(request)
        withdraw = form.get("action") == "withdraw"
        comment = await comments.endorse(database, auth, comment_id, withdraw=withdraw)
        if not _htmx(request):
            return redirect(_thread_url(comment))
        _comment, context = await _comment_context(database, request, comment_id)
        return page(
            "hearings/_endorse.html",
            **context,
            comment=comment,
            endorsed=not withdraw,
            announce=_("Endorsement withdrawn.") if withdraw else _("You endorsed this comment."),
        )

    @get("/{comment_id:int}/flag", name="comments:flag")
    async def flag_page(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Template:
        require_confirmed(request)
        comment, context = await _comment_context(database, request, comment_id)
        require(context["standing"], "hearing.flag")
        return page("hearings/comment_flag.html", **context, comment=comment, form={}, errors={})

    @post("/{comment_id:int}/flag")
    async def flag(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Any:
        auth = require_confirmed(request)
        form = await form_data(request)
        try:
            reason = forms.reason_text(form.get("reason"))
        except FormInvalid as error:
            comment, context = await _comment_context(database, request, comment_id)
            return page(
                "hearings/comment_flag.html",
                status_code=400,
                **context,
                comment=comment,
                form=form,
                errors=error.errors,
            )
        await comments.flag(database, auth, comment_id, reason)
        comment, _context = await _comment_context(database, request, comment_id)
        return redirect(_thread_url(comment).replace("#", "?flagged=1#"))

    @get("/{comment_id:int}/moderate", name="comments:moderate")
    async def moderate_page(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Template:
        require_privileged(request)
        comment, context = await _comment_context(database, request, comment_id)
        require(context["standing"], "hearing.moderate")
        return page(
            "hearings/comment_moderate.html", **context, comment=comment, form={}, errors={}
        )

    @post("/{comment_id:int}/moderate")
    async def moderate(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            reason = forms.reason_text(form.get("reason"))
            if form.get("action") == "restore":
                comment = await comments.restore(database, auth, comment_id, reason)
            else:
                comment = await comments.hide(database, auth, comment_id, reason)
        except FormInvalid as error:
            comment, context = await _comment_context(database, request, comment_id)
            return page(
                "hearings/comment_moderate.html",
                status_code=400,
                **context,
                comment=comment,
                form=form,
                errors=error.errors,
            )
        return redirect(_thread_url(comment))

    @get("/{comment_id:int}/respond", name="comments:respond")
    async def respond_page(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Template:
        require_privileged(request)
        comment, context = await _comment_context(database, request, comment_id)
        require(context["standing"], "hearing.respond")
        async with database.read() as session:
            response = (
                await session.exec(select(Response).where(Response.comment_id == comment_id))
            ).first()
        form = (
            {"verdict": response.verdict, "explanation": response.explanation} if response else {}
        )
        return page(
            "hearings/comment_respond.html",
            **context,
            comment=comment,
            form=form,
            errors={},
            author=label_for(request, context["consultation"].id),
        )

    @post("/{comment_id:int}/respond")
    async def respond(
        self, request: AnyRequest, database: NamedDependency[Database], comment_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            verdict, explanation = _response_input(form)
            await comments.respond(database, auth, comment_id, verdict, explanation)
        except FormInvalid as error:
            comment, context = await _comment_context(database, request, comment_id)
            return page(
                "hearings/comment_respond.html",
                status_code=400,
                **context,
                comment=comment,
                form=form,
                errors=error.errors,
                author=label_for(request, context["consultation"].id),
            )
        comment, _context = await _comment_context(database, request, comment_id)
        if form.get("next") == "queue":
            return redirect(f"/hearings/{comment.hearing_id}/queue?answered=1")
        return redirect(_thread_url(comment))


def _response_input(form: dict[str, str]) -> tuple[str, str]:
    verdict, explanation = forms.together(
        lambda: forms.verdict(form.get("verdict")).value,
        lambda: forms.explanation_text(form.get("explanation")),
    )
    return verdict, explanation
