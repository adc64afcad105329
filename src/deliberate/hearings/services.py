"""The write path for hearings themselves: create one with its first draft, change its
window and rule before it opens, publish revised drafts while it is open."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import Context, FormInvalid
from deliberate.audit import services as audit
from deliberate.consultations import queries as consultation_queries
from deliberate.consultations.models import Consultation
from deliberate.consultations.permissions import require as require_consultation
from deliberate.consultations.rules import rule_for
from deliberate.consultations.services import notify_followers
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.hearings import queries
from deliberate.hearings.forms import DraftInput, HearingInput
from deliberate.hearings.models import DocumentVersion, Hearing, Section
from deliberate.hearings.permissions import require
from deliberate.web.i18n import lazy_gettext as _l

NEW_HEARING_SUBJECT = _l("A new hearing: %(title)s")
NEW_HEARING_BODY = _l(
    "The committee opened a hearing in the consultation “%(consultation)s”: “%(title)s”. "
    "Read the draft and comment while the window is open.\n\n%(url)s"
)
REVISED_SUBJECT = _l("A revised draft: %(title)s")
REVISED_BODY = _l(
    "The committee published version %(number)s of the draft “%(title)s”.\n"
    "What changed: %(note)s\n\n%(url)s"
)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _check_window(data: HearingInput, now: datetime) -> None:
    if data.closes_at <= now:
        raise FormInvalid({"closes_at": _l("The window must close in the future.")})


async def _add_version(
    session: AsyncSession,
    hearing_id: int,
    number: int,
    draft: DraftInput,
    actor: Auth,
    now: datetime,
) -> DocumentVersion:
    version = DocumentVersion(
        hearing_id=hearing_id,
        number=number,
        body=draft.body,
        change_note=draft.change_note,
        published_at=now,
        published_by=actor.user.id,
    )
    session.add(version)
    await session.flush()
    for part in draft.sections:
        session.add(
            Section(
                version_id=version.id,  # type: ignore[arg-type]
                number=part.number,
                heading=part.heading,
                body=part.body,
            )
        )
    await session.flush()
    return version


async def create(
    database: Database,
    actor: Auth,
    consultation_id: int,
    data: HearingInput,
    draft: DraftInput,
    *,
    ctx: Context | None = None,
    now: datetime | None = None,
) -> Hearing:
    """With ``ctx``, the consultation's followers hear of it (when it is published)."""
    moment = _now(now)
    async with database.write() as session:
        consultation = await session.get(Consultation, consultation_id)
        if consultation is None:
            raise NotFound()
        standing = await consultation_queries.standing(session, actor, consultation)
        require_consultation(standing, "consultation.manage")
        _check_window(data, moment)
        rule = await rule_for(session, consultation, data.rule_area_id, data.min_age)
        hearing = Hearing(
            consultation_id=consultation_id,
            title=data.title,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            rule=rule.canonical(),
            rule_sha256=rule.digest(),
            created_by=actor.user.id,
            created_at=moment,
        )
        session.add(hearing)
        await session.flush()
        await _add_version(session, hearing.id, 1, draft, actor, moment)  # type: ignore[arg-type]
        await audit.record(
            session,
            actor.user.public_id,
            "hearing.created",
            subject=f"hearing:{hearing.id}",
            payload={"consultation": consultation_id, "rule_sha256": hearing.rule_sha256},
            now=moment,
        )
        if ctx is not None and consultation.published:
            await notify_followers(
                session,
                ctx,
                consultation,
                NEW_HEARING_SUBJECT,
                NEW_HEARING_BODY,
                title=hearing.title,
                consultation=consultation.title,
                url=f"{ctx.site_url}/hearings/{hearing.id}",
            )
    return hearing


async def configure(
    database: Database,
    actor: Auth,
    hearing_id: int,
    data: HearingInput,
    *,
    now: datetime | None = None,
) -> Hearing:
    """Change the title, window and rule: only before the window opens. From then on the
    rule is frozen (its canonical JSON and SHA-256 are on the page)."""
    moment = _now(now)
    async with database.write() as session:
        view = await queries.hearing_view(session, hearing_id)
        if view is None:
            raise NotFound()
        standing, _decision = await queries.standing(session, actor, view, moment)
        require(standing, "hearing.configure")
        _check_window(data, moment)
        rule = await rule_for(session, view.consultation, data.rule_area_id, data.min_age)
        hearing = view.hearing
        hearing.title, hearing.opens_at, hearing.closes_at = (
            data.title,
            data.opens_at,
            data.closes_at,
        )
        hearing.rule, hearing.rule_sha256 = rule.canonical(), rule.digest()
        session.add(hearing)
        await audit.record(
            session,
            actor.user.public_id,
            "hearing.configured",
            subject=f"hearing:{hearing.id}",
            payload={"rule_sha256": hearing.rule_sha256},
            now=moment,
        )
    return hearing


async def publish_version(
    database: Database,
    ctx: Context,
    actor: Auth,
    hearing_id: int,
    draft: DraftInput,
    *,
    now: datetime | None = None,
) -> DocumentVersion:
    """A revised draft: earlier versions and the comments on them stay as they were."""
    moment = _now(now)
    async with database.write() as session:
        view = await queries.hearing_view(session, hearing_id)
        if view is None:
            raise NotFound()
        standing, _decision = await queries.standing(session, actor, view, moment)
        require(standing, "hearing.revise")
        latest = await queries.current_version(session, hearing_id)
        number = (latest.number if latest else 0) + 1
        version = await _add_version(session, hearing_id, number, draft, actor, moment)
        await audit.record(
            session,
            actor.user.public_id,
            "hearing.version_published",
            subject=f"hearing:{hearing_id}",
            payload={"version": number},
            now=moment,
        )
        if view.consultation.published:
            await notify_followers(
                session,
                ctx,
                view.consultation,
                REVISED_SUBJECT,
                REVISED_BODY,
                title=view.hearing.title,
                number=number,
                note=draft.change_note,
                url=f"{ctx.site_url}/hearings/{hearing_id}",
            )
    return version
