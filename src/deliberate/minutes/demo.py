"""Demo minutes (development only): version 1 of the minutes of consultation 1
「幸福社区老旧小区综合改造方案」, compiled and approved by the demo chair (the demo
committee's only member, so also its secretary for the day) through the real services,
then rendered and signed at once by the same "minutes.render" handler the background
worker runs (``run_one`` with that handler only), so ``deliberate demo`` leaves a
published, signed PDF under the data directory.

Signing needs the deployment's settings (its secret key for the pseudonyms, its signing
pair and data directory): ``deliberate demo`` passes them; without them (a test's own
database loaded with ``load_demo(database)``) the demo minutes are skipped, and say so.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.accounts.tokens import Keys
from deliberate.config import Settings
from deliberate.consultations import demo as consultation_demo
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.jobs import worker
from deliberate.minutes import jobs, services
from deliberate.minutes.models import Minutes


def _chair(user: User, now: datetime) -> Auth:
    session = UserSession(
        token_hash=secrets.token_hex(32),
        user_id=user.id,  # type: ignore[arg-type]
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=8),
        second_factor_at=now,  # the chair approves past the second factor
    )
    return Auth(user=user, session=session, committee_member=True, officer=False, expert=False)


async def load(
    database: Database, settings: Settings | None = None, *, now: datetime | None = None
) -> list[str]:
    """Publish signed version 1 of consultation 1's minutes once; report lines."""
    if settings is None:
        return ["demo minutes skipped: no deployment settings to sign with"]
    async with database.read() as session:
        item = (
            await session.exec(
                select(Consultation).where(Consultation.title == consultation_demo.TITLE)
            )
        ).first()
        existing = (
            None
            if item is None
            else (
                await session.exec(
                    select(Minutes)
                    .where(Minutes.consultation_id == item.id)
                    .order_by(Minutes.version)  # type: ignore[arg-type]
                )
            ).first()
        )
    if existing is not None:
        return [f"minutes {existing.id}: 「{consultation_demo.TITLE}」 exist; demo unchanged"]
    chair_user = await consultation_demo._user(database, consultation_demo.CHAIR_LOGIN)
    if item is None or chair_user is None:
        return ["demo minutes skipped: the demo consultation is missing"]
    moment = now or datetime.now(UTC)
    chair = _chair(chair_user, moment)
    draft = await services.compile_minutes(
        database,
        chair,
        item.id,  # type: ignore[arg-type]
        Keys(settings.secret_key),
        now=moment,
    )
    await services.approve(database, chair, draft.id, now=moment)  # type: ignore[arg-type]
    handlers = {services.RENDER_JOB: jobs.handler(settings, database)}
    await worker.run_one(database, "demo", handlers=handlers)
    async with database.read() as session:
        published = await session.get(Minutes, draft.id)
    if published is None or published.state != "published" or not published.pdf_path:
        state = published.state if published else "missing"
        return [f"minutes {draft.id}: rendering failed ({state}); see the job table"]
    path = jobs.pdf_dir(settings) / published.pdf_path
    return [
        f"minutes {published.id}: 「{consultation_demo.TITLE}」 version {published.version}"
        f" published and signed by {published.signer_name}",
        f"  PDF {path} ({published.pdf_size} bytes, sha256 {published.pdf_sha256});"
        f" check it with `deliberate minutes verify {path}`",
    ]
