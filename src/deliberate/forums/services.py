"""The only write path for expert forums. Every function takes the acting user, checks the
permission inside its transaction and records the audit event there too."""

from __future__ import annotations

import hashlib
import secrets
from contextlib import nullcontext
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts import contact
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.accounts.services import Context, FormInvalid
from deliberate.audit import services as audit
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.models import Consultation
from deliberate.consultations.permissions import require as require_consultation
from deliberate.db import Database, as_utc
from deliberate.errors import Conflict, Forbidden, Invalid, NotFound
from deliberate.forums import opinions, queries
from deliberate.forums.forms import Answer, ForumInput, require_complete
from deliberate.forums.models import (
    ExpertForum,
    FollowUp,
    ForumInvitation,
    ForumQuestion,
    InvitationStatus,
    OpinionDraft,
    OpinionVersion,
)
from deliberate.forums.permissions import require
from deliberate.identity import experts
from deliberate.identity.models import Committee, ExpertCredential
from deliberate.mail import services as mail
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.i18n import using_locale

INVITE_SUBJECT = _l("Invitation to give an expert opinion: %(title)s")
INVITE_BODY = _l(
    "%(committee)s invites you to give your expert opinion on “%(title)s”. "
    "Opinions are due by %(deadline)s (UTC).\n\n"
    "Open this link to accept or decline (it is personal to you):\n%(link)s"
)
RECEIPT_SUBJECT = _l("Receipt for your expert opinion: %(title)s")
RECEIPT_BODY = _l(
    "Your opinion (version %(number)s) was received at %(when)s (UTC).\n"
    "SHA-256 of the submitted content: %(sha256)s\n\n"
    "When the opinions are released at the deadline, anyone who can read them can check "
    "this value against the published content."
)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(
    database: Database,
    actor: Auth,
    consultation_id: int,
    data: ForumInput,
    *,
    now: datetime | None = None,
) -> ExpertForum:
    moment = _now(now)
    if data.deadline <= moment:
        raise FormInvalid({"deadline": _l("The deadline must be in the future.")})
    async with database.write() as session:
        consultation = await session.get(Consultation, consultation_id)
        if consultation is None:
            raise NotFound()
        standing = await consultation_queries.standing(session, actor, consultation)
        require_consultation(standing, "consultation.manage")
        forum = ExpertForum(
            consultation_id=consultation_id,
            title=data.title,
            description=data.description,
            deadline=data.deadline,
            publication=data.publication.value,
            created_by=actor.user.id,
            created_at=moment,
        )
        session.add(forum)
        await session.flush()
        for number, question in enumerate(data.questions, start=1):
            session.add(
                ForumQuestion(
                    forum_id=forum.id,  # type: ignore[arg-type]
                    number=number,
                    text=question.text,
                    background=question.background,
                )
            )
        await audit.record(
            session,
            actor.user.public_id,
            "forum.created",
            subject=f"forum:{forum.id}",
            payload={
                "consultation": consultation_id,
                "deadline": data.deadline.isoformat(),
                "publication": data.publication.value,
                "questions": len(data.questions),
            },
            now=moment,
        )
    return forum


async def _next_letter(session: AsyncSession, forum_id: int) -> str:
    taken = (
        await session.exec(
            select(func.count())
            .select_from(ForumInvitation)
            .where(ForumInvitation.forum_id == forum_id)
        )
    ).one()
    return opinions.letter_for(taken)


async def invite(
    database: Database,
    ctx: Context,
    actor: Auth,
    forum_id: int,
    form: dict[str, str],
    *,
    now: datetime | None = None,
) -> ForumInvitation:
    """Invite a credentialed expert of the committee (``expert`` = their user id) or
    anyone by e-mail address or mobile number (``address``). Either way they get a
    personal link; the token is stored only as its SHA-256."""
    moment = _now(now)
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, moment, lock=True)
        require(loaded.standing, "forum.manage")
        if not loaded.standing.sealed:
            raise Forbidden(_l("The deadline has passed: no more experts can be invited."))
        committee_id = loaded.consultation.committee_id
        invitee: User | None = None
        chosen = form.get("expert", "").strip()
        if chosen:
            held = (
                await session.exec(
                    select(User)
                    .join(ExpertCredential, col(ExpertCredential.user_id) == User.id)
                    .where(
                        ExpertCredential.committee_id == committee_id,
                        col(User.id) == (int(chosen) if chosen.isdigit() else 0),
                    )
                )
            ).first()
            if held is None:
                raise FormInvalid({"expert": _l("Choose one of the committee's experts.")})
            invitee, address = held, held.login
        else:
            try:
                _kind, address = contact.normalise_login(form.get("address", ""))
            except ValueError:
                raise FormInvalid(
                    {"address": _l("Enter the expert's e-mail address or mobile number.")}
                ) from None
        clash = ForumInvitation.address == address
        if invitee is not None:
            clash = clash | (col(ForumInvitation.user_id) == invitee.id)
        if (
            await session.exec(
                select(ForumInvitation.id).where(ForumInvitation.forum_id == forum_id, clash)
            )
        ).first() is not None:
            field = "expert" if invitee else "address"
            raise FormInvalid({field: _l("This expert has already been invited to this forum.")})
        token = secrets.token_urlsafe(32)
        invitation = ForumInvitation(
            forum_id=forum_id,
            letter=await _next_letter(session, forum_id),
            address=address,
            token_sha256=token_digest(token),
            user_id=invitee.id if invitee else None,
            invited_by=actor.user.id,
            invited_at=moment,
        )
        session.add(invitation)
        await session.flush()
        committee = await session.get(Committee, committee_id)
        locale = invitee.locale if invitee else None
        with using_locale(locale) if locale else nullcontext():
            values = {
                "committee": committee.name if committee else "",
                "title": loaded.forum.title,
                "deadline": as_utc(loaded.forum.deadline).strftime("%Y-%m-%d %H:%M"),
                "link": f"{ctx.site_url}/forums/invitations/{token}",
            }
            subject, body = str(INVITE_SUBJECT) % values, str(INVITE_BODY) % values
        await mail.enqueue(
            session,
            channel="email" if "@" in address else "sms",
            recipient=address,
            subject=subject,
            body=body,
            development=ctx.development,
        )
        await audit.record(
            session,
            actor.user.public_id,
            "forum.invited",
            subject=f"forum:{forum_id}",
            payload={"letter": invitation.letter, "expert": invitee.public_id if invitee else None},
            now=moment,
        )
    return invitation


async def invitation_by_token(session: AsyncSession, token: str) -> ForumInvitation:
    invitation = (
        await session.exec(
            select(ForumInvitation).where(ForumInvitation.token_sha256 == token_digest(token))
        )
    ).first()
    if invitation is None:
        raise NotFound()
    return invitation


async def respond(
    database: Database,
    actor: Auth,
    token: str,
    *,
    accept: bool,
    reason: str = "",
    now: datetime | None = None,
) -> ForumInvitation:
    """Accept or decline through the personal link. The first account to use the link
    takes the invitation; nobody else can use it afterwards."""
    moment = _now(now)
    async with database.write() as session:
        invitation = await invitation_by_token(session, token)
        forum = await session.get(ExpertForum, invitation.forum_id)
        assert forum is not None
        if invitation.user_id not in (None, actor.user.id):
            raise NotFound()
        if not queries.is_sealed(forum, moment):
            raise Forbidden(_l("The deadline has passed."))
        if invitation.status != InvitationStatus.invited:
            raise Conflict(_l("You have already answered this invitation."))
        if invitation.user_id is None:
            other = await queries.own_invitation(session, forum.id, actor)  # type: ignore[arg-type]
            if other is not None:
                raise Conflict(_l("Your account already has an invitation to this forum."))
        invitation.user_id = actor.user.id
        invitation.status = (
            InvitationStatus.accepted if accept else InvitationStatus.declined
        ).value
        invitation.decline_reason = "" if accept else reason
        invitation.responded_at = moment
        session.add(invitation)
        await audit.record(
            session,
            actor.user.public_id,
            "forum.accepted" if accept else "forum.declined",
            subject=f"forum:{forum.id}",
            payload={"letter": invitation.letter},
            now=moment,
        )
    return invitation


async def verify_invited(
    database: Database,
    actor: Auth,
    forum_id: int,
    invitation_id: int,
    form: dict[str, str],
    *,
    now: datetime | None = None,
) -> None:
    """The committee verifies the expertise of someone who accepted an invitation."""
    values, errors = experts.read_credential(form)
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, _now(now))
        require(loaded.standing, "forum.manage")
        invitation = await session.get(ForumInvitation, invitation_id)
        if invitation is None or invitation.forum_id != forum_id or invitation.user_id is None:
            raise NotFound()
        if invitation.status != InvitationStatus.accepted:
            raise Conflict(_l("Only an expert who accepted the invitation can be credentialed."))
        if errors:
            raise FormInvalid(errors)
        expert = await session.get(User, invitation.user_id)
        assert expert is not None
        await experts.record_credential(
            session, actor, loaded.consultation.committee_id, expert, values, now=now
        )


async def declare(
    database: Database, actor: Auth, forum_id: int, conflicts: str, *, now: datetime | None = None
) -> None:
    moment = _now(now)
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, moment, lock=True)
        require(loaded.standing, "forum.declare")
        invitation = loaded.own
        assert invitation is not None
        invitation.conflicts = conflicts
        invitation.declared_at = moment
        session.add(invitation)
        await audit.record(
            session,
            actor.user.public_id,
            "forum.declared",
            subject=f"forum:{forum_id}",
            payload={"letter": invitation.letter, "conflicts": bool(conflicts)},
            now=moment,
        )


async def _save_draft(
    session: AsyncSession, invitation_id: int, answers: dict[int, Answer], moment: datetime
) -> OpinionDraft:
    draft = await queries.draft_of(session, invitation_id)
    if draft is None:
        draft = OpinionDraft(invitation_id=invitation_id, content="", saved_at=moment)
    draft.content = opinions.draft_json(answers)
    draft.saved_at = moment
    session.add(draft)
    await session.flush()
    return draft


async def save_draft(
    database: Database,
    actor: Auth,
    forum_id: int,
    answers: dict[int, Answer],
    *,
    now: datetime | None = None,
) -> OpinionDraft:
    moment = _now(now)
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, moment, lock=True)
        require(loaded.standing, "forum.write")
        return await _save_draft(session, loaded.own.id, answers, moment)  # type: ignore[union-attr,arg-type]


async def submit(
    database: Database,
    actor: Auth,
    forum_id: int,
    answers: dict[int, Answer],
    *,
    ctx: Context | None = None,
    now: datetime | None = None,
) -> OpinionVersion:
    """Save the draft and submit it as the next version: its canonical JSON and SHA-256
    (the receipt) are stored, and the expert is sent the receipt."""
    moment = _now(now)
    incomplete: FormInvalid | None = None
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, moment, lock=True)
        require(loaded.standing, "forum.write")
        invitation = loaded.own
        assert invitation is not None and invitation.id is not None
        questions = await queries.questions_of(session, forum_id)
        wanted = {q.number: answers.get(q.number, Answer()) for q in questions}
        await _save_draft(session, invitation.id, wanted, moment)
        try:
            require_complete(wanted)
        except FormInvalid as error:
            incomplete = error  # the draft is kept; the refusal comes after the commit
        else:
            version = await _new_version(session, ctx, actor, loaded, questions, wanted, moment)
    if incomplete is not None:
        raise incomplete
    return version


async def _new_version(
    session: AsyncSession,
    ctx: Context | None,
    actor: Auth,
    loaded: queries.Loaded,
    questions: list[ForumQuestion],
    wanted: dict[int, Answer],
    moment: datetime,
) -> OpinionVersion:
    invitation = loaded.own
    assert invitation is not None and invitation.id is not None
    forum_id = loaded.forum.id
    number = len(await queries.versions_of(session, invitation.id)) + 1
    attached = [
        {"filename": a.filename, "sha256": a.sha256, "size": a.size}
        for a in await queries.attachments_of(session, invitation.id)
    ]
    content = opinions.version_content(
        forum_id=forum_id,
        letter=invitation.letter,
        number=number,
        conflicts=invitation.conflicts or "",
        questions=[(q.number, q.text) for q in questions],
        answers=wanted,
        attachments=attached,
    )
    version = OpinionVersion(
        invitation_id=invitation.id,
        number=number,
        content=content,
        sha256=opinions.sha256(content),
        submitted_at=moment,
    )
    session.add(version)
    await session.flush()
    await audit.record(
        session,
        actor.user.public_id,
        "forum.submitted",
        subject=f"forum:{forum_id}",
        payload={"letter": invitation.letter, "version": number, "sha256": version.sha256},
        now=moment,
    )
    if ctx is not None:
        with using_locale(actor.user.locale):
            values = {
                "title": loaded.forum.title,
                "number": number,
                "when": moment.strftime("%Y-%m-%d %H:%M"),
                "sha256": version.sha256,
            }
            subject, body = str(RECEIPT_SUBJECT) % values, str(RECEIPT_BODY) % values
        await mail.enqueue(
            session,
            channel="email" if actor.user.email else "sms",
            recipient=actor.user.login,
            subject=subject,
            body=body,
            development=ctx.development,
        )
    return version


async def ask_follow_up(
    database: Database,
    actor: Auth,
    forum_id: int,
    invitation_id: int,
    question: str,
    *,
    now: datetime | None = None,
) -> FollowUp:
    moment = _now(now)
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, moment)
        require(loaded.standing, "forum.follow_up.ask")
        invitation = await session.get(ForumInvitation, invitation_id)
        if invitation is None or invitation.forum_id != forum_id:
            raise NotFound()
        if not await queries.versions_of(session, invitation_id):
            raise Invalid(_l("This expert did not submit an opinion."))
        follow_up = FollowUp(
            invitation_id=invitation_id, question=question, asked_by=actor.user.id, asked_at=moment
        )
        session.add(follow_up)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "forum.follow_up_asked",
            subject=f"forum:{forum_id}",
            payload={"letter": invitation.letter, "follow_up": follow_up.id},
            now=moment,
        )
    return follow_up


async def answer_follow_up(
    database: Database,
    actor: Auth,
    forum_id: int,
    follow_up_id: int,
    answer: str,
    *,
    now: datetime | None = None,
) -> FollowUp:
    moment = _now(now)
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, moment)
        require(loaded.standing, "forum.follow_up.answer")
        follow_up = await session.get(FollowUp, follow_up_id, with_for_update=True)
        if follow_up is None or loaded.own is None or follow_up.invitation_id != loaded.own.id:
            raise NotFound()
        if follow_up.answer is not None:
            raise Conflict(_l("This follow-up question has already been answered."))
        follow_up.answer, follow_up.answered_at = answer, moment
        session.add(follow_up)
        await audit.record(
            session,
            actor.user.public_id,
            "forum.follow_up_answered",
            subject=f"forum:{forum_id}",
            payload={"letter": loaded.own.letter, "follow_up": follow_up_id},
            now=moment,
        )
    return follow_up


async def release_due(database: Database, *, now: datetime | None = None) -> list[int]:
    """Record the release of every forum whose deadline has passed (once each): the
    audit event lists each opinion's letter and the SHA-256 of its final version.
    Reading never waits for this: the deadline itself unseals."""
    moment = _now(now)
    released: list[int] = []
    async with database.write() as session:
        due = (
            await session.exec(
                select(ExpertForum)
                .where(col(ExpertForum.released_at).is_(None), ExpertForum.deadline <= moment)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for forum in due:
            final: dict[str, str] = {}
            rows = await session.exec(
                select(ForumInvitation.letter, OpinionVersion.sha256)
                .join(OpinionVersion, col(OpinionVersion.invitation_id) == ForumInvitation.id)
                .where(ForumInvitation.forum_id == forum.id)
                .order_by(col(OpinionVersion.number))
            )
            for letter, digest in rows.all():
                final[letter] = digest
            changed = await session.exec(
                update(ExpertForum)
                .where(col(ExpertForum.id) == forum.id, col(ExpertForum.released_at).is_(None))
                .values(released_at=moment)
            )
            if not changed.rowcount:  # type: ignore[attr-defined]
                continue
            await audit.record(
                session,
                None,
                "forum.released",
                subject=f"forum:{forum.id}",
                payload={"opinions": final},
                now=moment,
            )
            released.append(forum.id)  # type: ignore[arg-type]
    return released
