"""The write path for minutes: compile (freeze the snapshot as a draft version), approve
(queue rendering and signing), and publish what the background job signed.

Compiling while a draft exists replaces the draft's snapshot (a draft is not on the
record yet); compiling after a version was published starts the next version, which
supersedes the published one once it is published itself (an amendment). While a version
is approved and rendering, nothing else is compiled. Published versions never change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.tokens import Keys
from deliberate.audit import services as audit
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.errors import Conflict, NotFound
from deliberate.jobs import queue
from deliberate.jobs.models import Job, JobState
from deliberate.minutes import queries
from deliberate.minutes.facts import gather
from deliberate.minutes.models import Minutes, MinutesState
from deliberate.minutes.permissions import require
from deliberate.minutes.snapshot import build_snapshot, canonical, sha256
from deliberate.web.i18n import lazy_gettext as _l

RENDER_JOB = "minutes.render"
BUSY = _l("A version of these minutes is being rendered and signed: wait until it is published.")
NOT_DRAFT = _l("Only a draft can be approved.")


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


async def _locked_consultation(session: AsyncSession, consultation_id: int) -> Consultation:
    # Locked (PostgreSQL; SQLite's write transaction holds the database): two compiles
    # at once number their versions one after the other.
    found = (
        await session.exec(
            select(Consultation).where(Consultation.id == consultation_id).with_for_update()
        )
    ).first()
    if found is None:
        raise NotFound()
    return found


async def compile_minutes(
    database: Database,
    actor: Auth,
    consultation_id: int,
    keys: Keys,
    *,
    now: datetime | None = None,
) -> Minutes:
    """Freeze the consultation's record as the draft of the next version (or refresh the
    current draft). Also how an amendment starts once a version is published."""
    moment = _now(now)
    async with database.write() as session:
        consultation = await _locked_consultation(session, consultation_id)
        require(await queries.standing(session, actor, consultation), "minutes.compile")
        versions = await queries.versions_of(session, consultation_id)
        if any(v.state in (MinutesState.approved, MinutesState.rendering) for v in versions):
            raise Conflict(BUSY)
        draft = next((v for v in versions if v.state == MinutesState.draft), None)
        published = next((v for v in versions if v.state == MinutesState.published), None)
        number = draft.version if draft else (versions[0].version + 1 if versions else 1)
        facts = await gather(session, consultation_id, moment, keys)
        facts.version = number
        facts.supersedes = published.version if published else None
        text = canonical(build_snapshot(facts))
        minutes = draft or Minutes(consultation_id=consultation_id, version=number)
        minutes.supersedes_id = published.id if published else None
        minutes.snapshot, minutes.snapshot_sha256 = text, sha256(text)
        minutes.compiled_by, minutes.compiled_at = actor.user.id, moment
        session.add(minutes)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "minutes.compiled",
            subject=f"minutes:{minutes.id}",
            payload={
                "consultation": consultation_id,
                "version": number,
                "snapshot_sha256": minutes.snapshot_sha256,
            },
            now=moment,
        )
    return minutes


async def approve(
    database: Database, actor: Auth, minutes_id: int, *, now: datetime | None = None
) -> Minutes:
    """The chair approves a draft (or approves again after rendering failed for good):
    rendering and signing are queued for the background worker."""
    moment = _now(now)
    async with database.write() as session:
        minutes = (
            await session.exec(select(Minutes).where(Minutes.id == minutes_id).with_for_update())
        ).first()
        if minutes is None:
            raise NotFound()
        consultation = await _locked_consultation(session, minutes.consultation_id)
        require(await queries.standing(session, actor, consultation), "minutes.approve")
        if not await _approvable(session, minutes):
            raise Conflict(NOT_DRAFT)
        job = await queue.enqueue(session, RENDER_JOB, {"minutes": minutes_id}, now=moment)
        minutes.state = MinutesState.approved.value
        minutes.approved_by, minutes.approved_at, minutes.job_id = actor.user.id, moment, job.id
        session.add(minutes)
        await audit.record(
            session,
            actor.user.public_id,
            "minutes.approved",
            subject=f"minutes:{minutes.id}",
            payload={"version": minutes.version, "snapshot_sha256": minutes.snapshot_sha256},
            now=moment,
        )
    return minutes


async def _approvable(session: AsyncSession, minutes: Minutes) -> bool:
    if minutes.state == MinutesState.draft:
        return True
    if minutes.state in (MinutesState.approved, MinutesState.rendering) and minutes.job_id:
        job = await session.get(Job, minutes.job_id)
        return job is None or job.state == JobState.failed
    return False


@dataclass(frozen=True)
class Signed:
    """What the rendering job produced: the stored file and who signed it when."""

    pdf_path: str
    pdf_sha256: str
    pdf_size: int
    signer_fingerprint: str
    signer_name: str
    signed_at: datetime


async def mark_rendering(database: Database, minutes_id: int) -> Minutes | None:
    """The job started: approved → rendering. None if the version is no longer waiting
    (published already by an earlier run, say)."""
    async with database.write() as session:
        minutes = (
            await session.exec(select(Minutes).where(Minutes.id == minutes_id).with_for_update())
        ).first()
        if minutes is None or minutes.state not in (
            MinutesState.approved,
            MinutesState.rendering,
        ):
            return None
        minutes.state = MinutesState.rendering.value
        session.add(minutes)
    return minutes


async def publish(session: AsyncSession, minutes_id: int, signed: Signed) -> bool:
    """Inside the job's completing transaction: the version is published with its PDF's
    hash and signer; the version it amends becomes superseded. False if it was not
    waiting for this (nothing written)."""
    minutes = (
        await session.exec(select(Minutes).where(Minutes.id == minutes_id).with_for_update())
    ).first()
    if minutes is None or minutes.state not in (MinutesState.approved, MinutesState.rendering):
        return False
    moment = signed.signed_at
    minutes.state = MinutesState.published.value
    minutes.pdf_path, minutes.pdf_sha256, minutes.pdf_size = (
        signed.pdf_path,
        signed.pdf_sha256,
        signed.pdf_size,
    )
    minutes.signer_fingerprint, minutes.signer_name = signed.signer_fingerprint, signed.signer_name
    minutes.signed_at = moment
    session.add(minutes)
    await audit.record(
        session,
        None,
        "minutes.signed",
        subject=f"minutes:{minutes.id}",
        payload={
            "consultation": minutes.consultation_id,
            "version": minutes.version,
            "snapshot_sha256": minutes.snapshot_sha256,
            "pdf_sha256": signed.pdf_sha256,
            "signer_fingerprint": signed.signer_fingerprint,
        },
        now=moment,
    )
    older = await session.exec(
        select(Minutes)
        .where(
            Minutes.consultation_id == minutes.consultation_id,
            Minutes.state == MinutesState.published.value,
            col(Minutes.id) != minutes.id,
        )
        .with_for_update()
    )
    for old in older.all():
        old.state, old.superseded_at = MinutesState.superseded.value, moment
        session.add(old)
        await audit.record(
            session,
            None,
            "minutes.superseded",
            subject=f"minutes:{old.id}",
            payload={"version": old.version, "by": minutes.id, "by_version": minutes.version},
            now=moment,
        )
    return True
