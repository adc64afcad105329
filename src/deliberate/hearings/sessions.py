"""Sessions of the in-person hearing and their record: the committee schedules a
session; the chair or secretary records statements during or after it, and closes the
record, which makes it public."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import Context, FormInvalid
from deliberate.audit import services as audit
from deliberate.consultations.services import notify_followers
from deliberate.db import Database
from deliberate.errors import Forbidden, NotFound
from deliberate.hearings import queries
from deliberate.hearings.forms import SessionInput, StatementInput
from deliberate.hearings.models import HearingSession, SpeakerApplication, Statement
from deliberate.hearings.permissions import require
from deliberate.hearings.speakers import call_of
from deliberate.web.i18n import lazy_gettext as _l

RECORD_SUBJECT = _l("The hearing record is published: %(title)s")
RECORD_BODY = _l("The record of the hearing session on %(date)s is now public.\n\n%(url)s")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


async def _session_and_standing(
    session: AsyncSession, actor: Auth, session_id: int, now: datetime
) -> tuple[HearingSession, queries.HearingView, object]:
    sitting = await session.get(HearingSession, session_id)
    if sitting is None:
        raise NotFound()
    view = await queries.hearing_view(session, sitting.hearing_id)
    if view is None:
        raise NotFound()
    standing, _decision = await queries.standing(session, actor, view, now)
    return sitting, view, standing


async def schedule(
    database: Database,
    actor: Auth,
    hearing_id: int,
    data: SessionInput,
    *,
    now: datetime | None = None,
) -> HearingSession:
    moment = _now(now)
    async with database.write() as session:
        view = await queries.hearing_view(session, hearing_id)
        if view is None:
            raise NotFound()
        standing, _decision = await queries.standing(session, actor, view, moment)
        require(standing, "speakers.manage")
        sitting = HearingSession(
            hearing_id=hearing_id,
            starts_at=data.starts_at,
            place=data.place,
            agenda=data.agenda,
            created_by=actor.user.id,
        )
        session.add(sitting)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "session.scheduled",
            subject=f"hearing:{hearing_id}",
            payload={"session": sitting.id},
            now=moment,
        )
    return sitting


async def add_statement(
    database: Database,
    actor: Auth,
    session_id: int,
    data: StatementInput,
    *,
    now: datetime | None = None,
) -> Statement:
    moment = _now(now)
    async with database.write() as session:
        sitting, view, standing = await _session_and_standing(session, actor, session_id, moment)
        require(standing, "sessions.record")  # type: ignore[arg-type]
        if sitting.closed_at is not None:
            raise Forbidden(_l("The record is closed."))
        speaker = data.speaker
        if data.application_id is not None:
            application = await session.get(SpeakerApplication, data.application_id)
            call = await call_of(session, view.hearing.id)  # type: ignore[arg-type]
            if (
                application is None
                or call is None
                or application.call_id != call.id
                or not application.seat
            ):
                raise FormInvalid({"speaker": _l("Choose one of the drawn speakers.")})
            speaker = speaker or f"#{application.seat}"
        statement = Statement(
            session_id=session_id,
            speaker=speaker,
            application_id=data.application_id,
            spoken_at=data.spoken_at,
            summary=data.summary,
            recorded_by=actor.user.id,
            recorded_at=moment,
        )
        session.add(statement)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "session.statement",
            subject=f"session:{session_id}",
            payload={"statement": statement.id},
            now=moment,
        )
    return statement


async def set_attendance(
    database: Database,
    actor: Auth,
    session_id: int,
    count: int | None,
    note: str,
    *,
    now: datetime | None = None,
) -> HearingSession:
    moment = _now(now)
    async with database.write() as session:
        sitting, _view, standing = await _session_and_standing(session, actor, session_id, moment)
        require(standing, "sessions.record")  # type: ignore[arg-type]
        if sitting.closed_at is not None:
            raise Forbidden(_l("The record is closed."))
        sitting.attendance, sitting.attendance_note = count, note
        session.add(sitting)
        await audit.record(
            session,
            actor.user.public_id,
            "session.attendance",
            subject=f"session:{session_id}",
            payload={"attendance": count},
            now=moment,
        )
    return sitting


async def close_record(
    database: Database, ctx: Context, actor: Auth, session_id: int, *, now: datetime | None = None
) -> HearingSession:
    moment = _now(now)
    async with database.write() as session:
        sitting, view, standing = await _session_and_standing(session, actor, session_id, moment)
        require(standing, "sessions.record")  # type: ignore[arg-type]
        if sitting.closed_at is not None:
            return sitting
        sitting.closed_at, sitting.closed_by = moment, actor.user.id
        session.add(sitting)
        await audit.record(
            session,
            actor.user.public_id,
            "session.closed",
            subject=f"session:{session_id}",
            now=moment,
        )
        if view.consultation.published:
            await notify_followers(
                session,
                ctx,
                view.consultation,
                RECORD_SUBJECT,
                RECORD_BODY,
                title=view.hearing.title,
                date=sitting.starts_at.date().isoformat(),
                url=f"{ctx.site_url}/hearings/sessions/{session_id}",
            )
    return sitting
