"""Expert forum pages: the forum (questions, invitations, the released opinions), the
invitation link, the declaration, the expert's own opinion with drafts and receipts, one
opinion with its versions and follow-ups, and the digest. Every read of an opinion's
content goes through ``forum.read_opinions`` (or is the author's own)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from deliberate.accounts.guards import current_auth, require_privileged, require_signed_in
from deliberate.accounts.routes import context_of
from deliberate.accounts.services import FormInvalid
from deliberate.consultations.form_pages import managed_form_page
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.forums import attachments, forms, opinions, queries, services
from deliberate.forums.forms import QUESTION_SLOTS
from deliberate.forums.labels import (
    CONFIDENCE_LABELS,
    PUBLICATION_EXPLANATIONS,
    PUBLICATION_LABELS,
    RECOMMENDATION_LABELS,
    STATUS_LABELS,
    expert_label,
)
from deliberate.forums.permissions import allowed, require
from deliberate.identity import experts
from deliberate.identity.models import Committee
from deliberate.web.forms import form_data, redirect
from deliberate.web.pages import page

AnyRequest = Request[Any, Any, Any]
MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # larger files are refused before they are read

LABELS = {
    "publication_labels": PUBLICATION_LABELS,
    "publication_explanations": PUBLICATION_EXPLANATIONS,
    "status_labels": STATUS_LABELS,
    "recommendation_labels": RECOMMENDATION_LABELS,
    "confidence_labels": CONFIDENCE_LABELS,
}


def _now() -> datetime:
    return datetime.now(UTC)


def _labelled(opinion: queries.Opinion, publication: str, committee: bool) -> Any:
    return expert_label(
        publication,
        opinion.invitation.letter,
        opinion.user,
        opinion.credential,
        committee=committee,
    )


class ForumController(Controller):
    path = "/forums"
    include_in_schema = False

    async def _forum_page(
        self,
        request: AnyRequest,
        database: Database,
        forum_id: int,
        *,
        form: dict[str, str] | None = None,
        errors: Any = None,
        done: str = "",
    ) -> Template:
        auth = current_auth(request)
        now = _now()
        async with database.read() as session:
            loaded = await queries.load(session, auth, forum_id, now)
            require(loaded.standing, "forum.read")
            standing = loaded.standing
            manage = allowed(standing, "forum.manage")
            committee_id = loaded.consultation.committee_id
            invited = await queries.invitations_of(session, loaded.forum, committee_id)
            readable = allowed(standing, "forum.read_opinions")
            released = (
                await queries.opinions_of(session, loaded.forum, committee_id) if readable else []
            )
            credentials = await experts.credentials_of(session, committee_id) if manage else []
            own_versions = (
                await queries.versions_of(session, loaded.own.id)  # type: ignore[arg-type]
                if loaded.own is not None
                else []
            )
            questions = await queries.questions_of(session, forum_id)
        return page(
            "forums/forum.html",
            status_code=400 if errors else 200,
            forum=loaded.forum,
            consultation=loaded.consultation,
            standing=standing,
            manage=manage,
            questions=questions,
            invited=invited if manage else [],
            invited_count=len(invited),
            accepted_count=sum(1 for i in invited if i.invitation.status == "accepted"),
            submitted_count=sum(1 for i in invited if i.versions),
            own=loaded.own,
            own_versions=own_versions,
            can_write=allowed(standing, "forum.write"),
            can_declare=allowed(standing, "forum.declare"),
            readable=readable,
            opinions=[(o, _labelled(o, loaded.forum.publication, manage)) for o in released],
            credentials=[(credential, user) for credential, user in credentials],
            form=form or {},
            errors=errors or {},
            done=done,
            **LABELS,
        )

    @get("/{forum_id:int}", name="forums:show")
    async def show(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Template:
        done = request.query_params.get("done", "")
        return await self._forum_page(request, database, forum_id, done=done)

    @post("/{forum_id:int}/invitations")
    async def invite(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await services.invite(database, context_of(request), auth, forum_id, form)
        except FormInvalid as error:
            return await self._forum_page(
                request, database, forum_id, form=form, errors=error.errors
            )
        return redirect(f"/forums/{forum_id}?done=invited#invitations")

    @post("/{forum_id:int}/invitations/{invitation_id:int}/credential")
    async def verify(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        forum_id: FromPath[int],
        invitation_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            typed = {
                name: form.get(f"{name}_{invitation_id}", "")
                for name in ("field", "organisation", "title")
            }
            await services.verify_invited(database, auth, forum_id, invitation_id, typed)
        except FormInvalid as error:
            errors = {f"{name}_{invitation_id}": text for name, text in error.errors.items()}
            values = {f"{name}_{invitation_id}": value for name, value in form.items()}
            return await self._forum_page(request, database, forum_id, form=values, errors=errors)
        return redirect(f"/forums/{forum_id}?done=verified#invitations")

    # The expert's declaration and opinion

    async def _declaration_page(
        self, request: AnyRequest, database: Database, forum_id: int, form: dict, errors: Any
    ) -> Template:
        auth = require_privileged(request)
        async with database.read() as session:
            loaded = await queries.load(session, auth, forum_id, _now())
            require(loaded.standing, "forum.declare")
        if not form and loaded.own is not None and loaded.own.conflicts is not None:
            conflicts = loaded.own.conflicts
            form = {"conflicts": "some" if conflicts else "none", "description": conflicts}
        return page(
            "forums/declaration.html",
            status_code=400 if errors else 200,
            forum=loaded.forum,
            form=form,
            errors=errors,
        )

    @get("/{forum_id:int}/declaration", name="forums:declaration")
    async def declaration(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Template:
        return await self._declaration_page(request, database, forum_id, {}, {})

    @post("/{forum_id:int}/declaration")
    async def declare(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            await services.declare(database, auth, forum_id, forms.parse_declaration(form))
        except FormInvalid as error:
            return await self._declaration_page(request, database, forum_id, form, error.errors)
        return redirect(f"/forums/{forum_id}/opinion")

    async def _editor(
        self,
        request: AnyRequest,
        database: Database,
        forum_id: int,
        *,
        form: dict[str, str] | None = None,
        errors: Any = None,
        submitted: int | None = None,
    ) -> Template:
        auth = require_privileged(request)
        async with database.read() as session:
            loaded = await queries.load(session, auth, forum_id, _now())
            if loaded.own is None:
                raise NotFound()
            if not allowed(loaded.standing, "forum.write") and not (
                loaded.standing.own and loaded.standing.own.declared
            ):
                require(loaded.standing, "forum.write")  # says why (deadline, declaration…)
            own = loaded.own
            questions = await queries.questions_of(session, forum_id)
            draft = await queries.draft_of(session, own.id)  # type: ignore[arg-type]
            versions = await queries.versions_of(session, own.id)  # type: ignore[arg-type]
            files = await queries.attachments_of(session, own.id)  # type: ignore[arg-type]
        if form is None:
            form = forms.answers_as_form(opinions.read_draft(draft.content if draft else None))
        return page(
            "forums/editor.html",
            status_code=400 if errors else 200,
            forum=loaded.forum,
            own=own,
            questions=questions,
            form=form,
            errors=errors or {},
            versions=versions,
            files=files,
            draft=draft,
            submitted=submitted,
            can_write=allowed(loaded.standing, "forum.write"),
            max_mb=attachments.MAX_BYTES // (1024 * 1024),
            **LABELS,
        )

    @get("/{forum_id:int}/opinion", name="forums:editor")
    async def editor(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Template:
        number = request.query_params.get("submitted", "")
        return await self._editor(
            request, database, forum_id, submitted=int(number) if number.isdigit() else None
        )

    async def _numbers(self, database: Database, forum_id: int) -> list[int]:
        async with database.read() as session:
            return [q.number for q in await queries.questions_of(session, forum_id)]

    @post("/{forum_id:int}/opinion")
    async def save(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        numbers = await self._numbers(database, forum_id)
        try:
            answers = forms.parse_answers(form, numbers)
            if form.get("action") == "submit":
                version = await services.submit(
                    database, auth, forum_id, answers, ctx=context_of(request)
                )
                return redirect(f"/forums/{forum_id}/opinion?submitted={version.number}")
            await services.save_draft(database, auth, forum_id, answers)
        except FormInvalid as error:
            return await self._editor(request, database, forum_id, form=form, errors=error.errors)
        return redirect(f"/forums/{forum_id}/opinion?saved=1")

    @post("/{forum_id:int}/opinion/draft")
    async def autosave(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Template:
        """htmx saves the draft as the expert writes; the answer is the status line."""
        auth = require_privileged(request)
        form = await form_data(request)
        numbers = await self._numbers(database, forum_id)
        try:
            draft = await services.save_draft(
                database, auth, forum_id, forms.parse_answers(form, numbers)
            )
        except FormInvalid as error:
            return page("forums/_draft_status.html", errors=error.errors, draft=None)
        return page("forums/_draft_status.html", errors={}, draft=draft)

    @post("/{forum_id:int}/attachments", request_max_body_size=MAX_UPLOAD_BYTES)
    async def attach(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Any:
        auth = require_privileged(request)
        form = await request.form()
        upload = form.get("file")
        try:
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise FormInvalid({"file": attachments.NO_FILE})
            data = await upload.read()
            await attachments.add(
                database,
                request.app.state.settings.data_dir,
                auth,
                forum_id,
                upload.filename,
                data,
            )
        except FormInvalid as error:
            return await self._editor(request, database, forum_id, errors=error.errors)
        return redirect(f"/forums/{forum_id}/opinion?attached=1#attachments")

    @post("/{forum_id:int}/attachments/{attachment_id:int}/remove")
    async def detach(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        forum_id: FromPath[int],
        attachment_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        await attachments.remove(database, auth, forum_id, attachment_id)
        return redirect(f"/forums/{forum_id}/opinion#attachments")

    @get("/{forum_id:int}/attachments/{attachment_id:int}", name="forums:attachment")
    async def download(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        forum_id: FromPath[int],
        attachment_id: FromPath[int],
    ) -> Response[bytes]:
        auth = current_auth(request)
        item = await attachments.readable(database, auth, forum_id, attachment_id, now=_now())
        data = attachments.path_of(request.app.state.settings.data_dir, item).read_bytes()
        disposition = "attachment; filename=\"opinion.pdf\"; filename*=UTF-8''" + quote(
            item.filename
        )
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": disposition,
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    # Released opinions

    @get("/{forum_id:int}/opinions/{invitation_id:int}", name="forums:opinion")
    async def opinion(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        forum_id: FromPath[int],
        invitation_id: FromPath[int],
    ) -> Template:
        return await self._opinion_page(request, database, forum_id, invitation_id, {}, {})

    async def _opinion_page(
        self,
        request: AnyRequest,
        database: Database,
        forum_id: int,
        invitation_id: int,
        form: dict[str, str],
        errors: Any,
    ) -> Template:
        auth = current_auth(request)
        async with database.read() as session:
            loaded = await queries.load(session, auth, forum_id, _now())
            require(loaded.standing, "forum.read")
            own = loaded.own is not None and loaded.own.id == invitation_id
            if not own and not allowed(loaded.standing, "forum.read_opinions"):
                raise NotFound()
            found = await queries.opinions_of(
                session, loaded.forum, loaded.consultation.committee_id, only=invitation_id
            )
            if not found:
                raise NotFound()
            questions = await queries.questions_of(session, forum_id)
        manage = allowed(loaded.standing, "forum.manage")
        item = found[0]
        return page(
            "forums/opinion.html",
            status_code=400 if errors else 200,
            forum=loaded.forum,
            consultation=loaded.consultation,
            opinion=item,
            label=_labelled(item, loaded.forum.publication, manage),
            questions=questions,
            can_ask=allowed(loaded.standing, "forum.follow_up.ask"),
            can_answer=own and allowed(loaded.standing, "forum.follow_up.answer"),
            form=form,
            errors=errors,
            **LABELS,
        )

    @post("/{forum_id:int}/opinions/{invitation_id:int}/follow-ups")
    async def ask(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        forum_id: FromPath[int],
        invitation_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        try:
            question = forms.parse_follow_up(form, "question")
            await services.ask_follow_up(database, auth, forum_id, invitation_id, question)
        except FormInvalid as error:
            return await self._opinion_page(
                request, database, forum_id, invitation_id, form, error.errors
            )
        return redirect(f"/forums/{forum_id}/opinions/{invitation_id}#follow-ups")

    @post("/{forum_id:int}/opinions/{invitation_id:int}/follow-ups/{follow_up_id:int}")
    async def answer(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        forum_id: FromPath[int],
        invitation_id: FromPath[int],
        follow_up_id: FromPath[int],
    ) -> Any:
        auth = require_privileged(request)
        form = await form_data(request)
        field = f"answer_{follow_up_id}"
        try:
            text = forms.parse_follow_up(form, field)
            await services.answer_follow_up(database, auth, forum_id, follow_up_id, text)
        except FormInvalid as error:
            return await self._opinion_page(
                request, database, forum_id, invitation_id, form, error.errors
            )
        return redirect(f"/forums/{forum_id}/opinions/{invitation_id}#follow-ups")

    @get("/{forum_id:int}/digest", name="forums:digest")
    async def digest(
        self, request: AnyRequest, database: NamedDependency[Database], forum_id: FromPath[int]
    ) -> Template:
        auth = current_auth(request)
        async with database.read() as session:
            loaded = await queries.load(session, auth, forum_id, _now())
            require(loaded.standing, "forum.read_opinions")
            released = await queries.opinions_of(
                session, loaded.forum, loaded.consultation.committee_id
            )
            questions = await queries.questions_of(session, forum_id)
        manage = allowed(loaded.standing, "forum.manage")
        rows = []
        for question in questions:
            answers = []
            for item in released:
                answer = next(
                    (a for a in item.content["answers"] if a["question"] == question.number), None
                )
                if answer is not None:
                    answers.append(
                        (item, _labelled(item, loaded.forum.publication, manage), answer)
                    )
            tally = opinions.tally([answer["recommendation"] for _i, _l, answer in answers])
            rows.append((question, answers, tally))
        return page(
            "forums/digest.html",
            forum=loaded.forum,
            consultation=loaded.consultation,
            rows=rows,
            count=len(released),
            **LABELS,
        )


class InvitationController(Controller):
    """The personal link in an invitation: read what is asked, then sign up or sign in,
    then accept or decline."""

    path = "/forums/invitations"
    include_in_schema = False

    @get("/{token:str}", name="forums:invitation")
    async def landing(
        self, request: AnyRequest, database: NamedDependency[Database], token: FromPath[str]
    ) -> Template:
        return await self._landing(request, database, token, {}, {})

    async def _landing(
        self, request: AnyRequest, database: Database, token: str, form: dict, errors: Any
    ) -> Template:
        auth = current_auth(request)
        async with database.read() as session:
            invitation = await services.invitation_by_token(session, token)
            if auth is not None and invitation.user_id not in (None, auth.user.id):
                raise NotFound()
            loaded = await queries.load(session, None, invitation.forum_id, _now())
            questions = await queries.questions_of(session, invitation.forum_id)
            committee = await session.get(Committee, loaded.consultation.committee_id)
        here = f"/forums/invitations/{token}"
        return page(
            "forums/invitation.html",
            status_code=400 if errors else 200,
            invitation=invitation,
            forum=loaded.forum,
            consultation=loaded.consultation,
            committee=committee,
            questions=questions,
            sealed=loaded.standing.sealed,
            signed_in=auth is not None and auth.signed_in,
            register_url="/accounts/register?" + urlencode({"next": here}),
            login_url="/accounts/login?" + urlencode({"next": here}),
            form=form,
            errors=errors,
            **LABELS,
        )

    @post("/{token:str}")
    async def respond(
        self, request: AnyRequest, database: NamedDependency[Database], token: FromPath[str]
    ) -> Any:
        auth = require_signed_in(request)
        form = await form_data(request)
        accept = form.get("action") == "accept"
        try:
            reason = "" if accept else forms.parse_reason(form)
            invitation = await services.respond(database, auth, token, accept=accept, reason=reason)
        except FormInvalid as error:
            return await self._landing(request, database, token, form, error.errors)
        done = "accepted" if accept else "declined"
        return redirect(f"/forums/{invitation.forum_id}?done={done}")


class NewForumController(Controller):
    """A committee member opens an expert forum in a consultation."""

    path = "/consultations/{consultation_id:int}/forums"
    include_in_schema = False

    @get("/new", name="forums:new")
    async def new_page(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        consultation_id: FromPath[int],
    ) -> Template:
        require_privileged(request)
        return await managed_form_page(
            request,
            database,
            consultation_id,
            "forums/new.html",
            {"publication": "anonymised"},
            {},
            slots=range(1, QUESTION_SLOTS + 1),
            **LABELS,
        )

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
            data = forms.parse_forum(form, request.app.state.settings.tz)
            forum = await services.create(database, auth, consultation_id, data)
        except FormInvalid as error:
            return await managed_form_page(
                request,
                database,
                consultation_id,
                "forums/new.html",
                form,
                error.errors,
                slots=range(1, QUESTION_SLOTS + 1),
                **LABELS,
            )
        return redirect(f"/forums/{forum.id}")
