"""The call for speakers and its public lottery.

1. The committee opens a call: seats, seats per stance, when applications close, and
   where the public value for the draw will come from.
2. Eligible residents apply (stance and a short summary) until applications close.
3. The committee publishes the list: tickets numbered in order of application, the
   list's SHA-256, and the commitment (SHA-256) to a fresh secret.
4. When the announced public value is known, the committee enters it and the draw runs
   (:func:`deliberate.hearings.lottery.draw`); the secret is published with the result, so
   anyone can re-run it (docs/lottery.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User
from deliberate.accounts.services import Context, FormInvalid
from deliberate.audit import services as audit
from deliberate.db import Database, as_utc
from deliberate.errors import Conflict, Forbidden, NotFound
from deliberate.hearings import forms, lottery, queries
from deliberate.hearings.forms import CallInput
from deliberate.hearings.models import SpeakerApplication, SpeakerCall
from deliberate.hearings.permissions import Standing, require
from deliberate.mail import services as mail
from deliberate.web.i18n import lazy_gettext as _l
from deliberate.web.i18n import using_locale

DRAWN_SUBJECT = _l("The speakers for “%(title)s” have been drawn")
SELECTED_BODY = _l(
    "You were drawn to speak at the hearing “%(title)s” (speaker %(seat)s). "
    "The committee will tell you the time and place.\n\n%(url)s"
)
RESERVE_BODY = _l(
    "You were not drawn to speak at the hearing “%(title)s”; you are number %(place)s on "
    "the waiting list. You can still attend and follow the record.\n\n%(url)s"
)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


async def call_of(session: AsyncSession, hearing_id: int) -> SpeakerCall | None:
    return (
        await session.exec(select(SpeakerCall).where(SpeakerCall.hearing_id == hearing_id))
    ).first()


async def _standing(
    session: AsyncSession, actor: Auth, hearing_id: int, now: datetime
) -> tuple[queries.HearingView, SpeakerCall | None, Standing]:
    view = await queries.hearing_view(session, hearing_id)
    if view is None:
        raise NotFound()
    call = await call_of(session, hearing_id)
    standing, _decision = await queries.standing(session, actor, view, now, call=call)
    return view, call, standing


async def open_call(
    database: Database,
    actor: Auth,
    hearing_id: int,
    data: CallInput,
    *,
    now: datetime | None = None,
) -> SpeakerCall:
    """Create the call, or change it while no list has been published."""
    moment = _now(now)
    async with database.write() as session:
        _view, call, standing = await _standing(session, actor, hearing_id, moment)
        require(standing, "speakers.manage")
        if data.applications_close_at <= moment:
            raise FormInvalid(
                {"applications_close_at": _l("Applications must close in the future.")}
            )
        if call is not None and call.committed_at is not None:
            raise Forbidden(
                _l("The list of applicants is published: the call can no longer change.")
            )
        if call is None:
            call = SpeakerCall(
                hearing_id=hearing_id,
                seats=data.seats,
                applications_close_at=data.applications_close_at,
                value_source=data.value_source,
                created_at=moment,
            )
        call.seats, call.quotas = data.seats, json.dumps(data.quotas, sort_keys=True)
        call.applications_close_at, call.value_source = (
            data.applications_close_at,
            data.value_source,
        )
        session.add(call)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "speakers.call_opened",
            subject=f"hearing:{hearing_id}",
            payload={"seats": data.seats, "quotas": data.quotas, "source": data.value_source},
            now=moment,
        )
    return call


async def apply(
    database: Database,
    actor: Auth,
    hearing_id: int,
    stance: str,
    summary: str,
    *,
    now: datetime | None = None,
) -> SpeakerApplication:
    moment = _now(now)
    try:
        async with database.write() as session:
            _view, call, standing = await _standing(session, actor, hearing_id, moment)
            if call is None:
                raise NotFound()
            require(standing, "speakers.apply")
            existing = (
                await session.exec(
                    select(SpeakerApplication).where(
                        SpeakerApplication.call_id == call.id,
                        SpeakerApplication.user_id == actor.user.id,
                    )
                )
            ).first()
            application = existing or SpeakerApplication(
                call_id=call.id,  # type: ignore[arg-type]
                user_id=actor.user.id,  # type: ignore[arg-type]
                stance=stance,
                summary=summary,
                created_at=moment,
            )
            application.stance, application.summary, application.withdrawn_at = (
                stance,
                summary,
                None,
            )
            session.add(application)
            await session.flush()
            await audit.record(
                session,
                actor.user.public_id,
                "speakers.applied",
                subject=f"hearing:{hearing_id}",
                payload={"stance": stance},
                now=moment,
            )
    except IntegrityError:
        raise Conflict(_l("You have already applied.")) from None
    return application


async def withdraw(
    database: Database, actor: Auth, hearing_id: int, *, now: datetime | None = None
) -> None:
    moment = _now(now)
    async with database.write() as session:
        _view, call, standing = await _standing(session, actor, hearing_id, moment)
        require(standing, "hearing.read")
        if call is None:
            raise NotFound()
        if call.committed_at is not None or moment >= as_utc(call.applications_close_at):
            raise Forbidden(_l("Applications have closed: the list can no longer change."))
        application = (
            await session.exec(
                select(SpeakerApplication).where(
                    SpeakerApplication.call_id == call.id,
                    SpeakerApplication.user_id == actor.user.id,
                )
            )
        ).first()
        if application is None:
            raise NotFound()
        application.withdrawn_at = moment
        session.add(application)
        await audit.record(
            session,
            actor.user.public_id,
            "speakers.withdrawn",
            subject=f"hearing:{hearing_id}",
            now=moment,
        )


async def publish_list(
    database: Database, actor: Auth, hearing_id: int, *, now: datetime | None = None
) -> SpeakerCall:
    """Number the applicants, publish the list's hash and commit to a new secret."""
    moment = _now(now)
    async with database.write() as session:
        _view, call, standing = await _standing(session, actor, hearing_id, moment)
        if call is None:
            raise NotFound()
        require(standing, "speakers.manage")
        if call.committed_at is not None:
            raise Conflict(_l("The list is already published."))
        if moment < as_utc(call.applications_close_at):
            raise Forbidden(_l("Applications are still open."))
        rows = (
            await session.exec(
                select(SpeakerApplication)
                .where(
                    SpeakerApplication.call_id == call.id,
                    col(SpeakerApplication.withdrawn_at).is_(None),
                )
                .order_by(col(SpeakerApplication.created_at), col(SpeakerApplication.id))
            )
        ).all()
        applicants = []
        for ticket, application in enumerate(rows, start=1):
            application.ticket = ticket
            session.add(application)
            applicants.append(lottery.Applicant(ticket, application.stance))
        secret = lottery.new_secret()
        call.applicants = json.dumps([[a.ticket, a.stance] for a in applicants])
        call.applicants_sha256 = lottery.applicants_digest(applicants)
        call.secret, call.commitment = secret, lottery.commitment(secret)
        call.committed_at = moment
        session.add(call)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "speakers.committed",
            subject=f"hearing:{hearing_id}",
            payload={
                "applicants_sha256": call.applicants_sha256,
                "commitment": call.commitment,
                "applicants": len(applicants),
            },
            now=moment,
        )
    return call


def stored_applicants(call: SpeakerCall) -> list[lottery.Applicant]:
    return [lottery.Applicant(t, s) for t, s in json.loads(call.applicants or "[]")]


async def draw(
    database: Database,
    ctx: Context,
    actor: Auth,
    hearing_id: int,
    public_value: str,
    *,
    now: datetime | None = None,
) -> lottery.Draw:
    moment = _now(now)
    async with database.write() as session:
        view, call, standing = await _standing(session, actor, hearing_id, moment)
        if call is None:
            raise NotFound()
        require(standing, "speakers.manage")
        if call.committed_at is None:
            raise Forbidden(_l("Publish the list of applicants and the commitment first."))
        if call.drawn_at is not None:
            raise Conflict(_l("The speakers have already been drawn."))
        public_value = forms.public_value(public_value)
        result = lottery.draw(
            stored_applicants(call),
            call.seats,
            json.loads(call.quotas),
            call.secret,  # type: ignore[arg-type]
            public_value,
        )
        call.public_value = lottery.normalise_public_value(public_value)
        call.selected, call.reserve = json.dumps(result.selected), json.dumps(result.reserve)
        call.drawn_at = moment
        session.add(call)
        seats = {ticket: seat for seat, ticket in enumerate(result.selected, start=1)}
        places = {ticket: place for place, ticket in enumerate(result.reserve, start=1)}
        rows = (
            await session.exec(
                select(SpeakerApplication, User)
                .join(User, col(User.id) == SpeakerApplication.user_id)
                .where(
                    SpeakerApplication.call_id == call.id,
                    col(SpeakerApplication.ticket).is_not(None),
                )
            )
        ).all()
        url = f"{ctx.site_url}/hearings/{hearing_id}/speakers"
        for application, user in rows:
            application.seat = seats.get(application.ticket)  # type: ignore[arg-type]
            session.add(application)
            if user.deleted_at is not None:
                continue
            with using_locale(user.locale):
                body = (
                    str(SELECTED_BODY)
                    % {"title": view.hearing.title, "seat": application.seat, "url": url}
                    if application.seat
                    else str(RESERVE_BODY)
                    % {
                        "title": view.hearing.title,
                        "place": places.get(application.ticket),
                        "url": url,
                    }  # type: ignore[arg-type]
                )
                subject = str(DRAWN_SUBJECT) % {"title": view.hearing.title}
            await mail.enqueue(
                session,
                channel="email" if user.email else "sms",
                recipient=user.login,
                subject=subject,
                body=body,
                development=ctx.development,
            )
        await audit.record(
            session,
            actor.user.public_id,
            "speakers.drawn",
            subject=f"hearing:{hearing_id}",
            payload={
                "public_value": call.public_value,
                "secret": call.secret,
                "selected": list(result.selected),
                "reserve": list(result.reserve),
            },
            now=moment,
        )
    return result


def public_record(call: SpeakerCall) -> dict[str, object]:
    """The record anyone can re-run (docs/lottery.md); the secret only after the draw."""
    drawn = call.drawn_at is not None
    return {
        "algorithm": lottery.ALGORITHM,
        "seats": call.seats,
        "quotas": json.loads(call.quotas),
        "applicants": [{"ticket": a.ticket, "stance": a.stance} for a in stored_applicants(call)],
        "applicants_sha256": call.applicants_sha256,
        "commitment": call.commitment,
        "value_source": call.value_source,
        "public_value": call.public_value if drawn else None,
        "secret": call.secret if drawn else None,
        "selected": json.loads(call.selected) if drawn and call.selected else None,
        "reserve": json.loads(call.reserve) if drawn and call.reserve else None,
    }
