"""Compile → approve → render and sign in the background → publish → amend, on both
databases, with the signed file checked by our verifier; and who may do what."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from deliberate.accounts.tokens import Keys
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.devkeys import CA_CERT, SIGNING_DIR
from deliberate.errors import Conflict, Forbidden, NotFound
from deliberate.jobs import worker
from deliberate.jobs.models import Job
from deliberate.minutes import jobs, services
from deliberate.minutes.models import Minutes
from deliberate.minutes.pdfa import attached_files
from deliberate.minutes.verify import Reason, verify_pdf
from tests.minutes.conftest import flip_signed_byte
from tests.minutes.poppler import MISMATCH, TRUSTED, VALID, embedded_cjk_fonts, nss_trusting, run
from tests.minutes.world import LATE, MinutesWorld, minutes_world
from tests.support.hearings import audit_events, auth_for, cheap_passwords

__all__ = ["cheap_passwords"]


async def reload(database: Database, minutes_id: int | None) -> Minutes:
    async with database.read() as session:
        found = await session.get(Minutes, minutes_id)
    assert found is not None
    return found


async def run_job(database: Database, settings: Settings) -> bool:
    handlers = {services.RENDER_JOB: jobs.handler(settings, database)}
    return await worker.run_one(database, "test-worker", handlers=handlers, now=LATE)


async def compile_(database: Database, settings: Settings, m: MinutesWorld, actor=None) -> Minutes:
    return await services.compile_minutes(
        database,
        actor or m.w.board.secretary,
        m.consultation_id,
        Keys(settings.secret_key),
        now=LATE,
    )


async def publish(database: Database, settings: Settings, m: MinutesWorld) -> Minutes:
    draft = await compile_(database, settings, m)
    await services.approve(database, m.w.board.chair, draft.id, now=LATE)  # type: ignore[arg-type]
    assert await run_job(database, settings)
    return await reload(database, draft.id)


async def test_compile_approve_render_sign_publish_and_amend(
    database: Database, settings: Settings, cheap_passwords: None, tmp_path: Path
) -> None:
    m = await minutes_world(database, settings, forum=False)
    draft = await compile_(database, settings, m)
    assert (draft.version, draft.state, draft.supersedes_id) == (1, "draft", None)
    assert hashlib.sha256(draft.snapshot.encode()).hexdigest() == draft.snapshot_sha256
    # Compiling again refreshes the draft, not a new version.
    again = await compile_(database, settings, m, m.w.board.chair)
    assert (again.id, again.version) == (draft.id, 1)

    approved = await services.approve(database, m.w.board.chair, draft.id, now=LATE)  # type: ignore[arg-type]
    assert approved.state == "approved" and approved.job_id is not None
    with pytest.raises(Conflict):  # nothing is compiled while a version is being rendered
        await compile_(database, settings, m)
    assert await run_job(database, settings)
    published = await reload(database, draft.id)
    assert published.state == "published"
    async with database.read() as session:
        job = await session.get(Job, approved.job_id)
    assert job is not None and job.state == "done" and job.progress == 100

    data = (settings.data_dir / "minutes" / published.pdf_path).read_bytes()  # type: ignore[operator]
    assert hashlib.sha256(data).hexdigest() == published.pdf_sha256 == published.pdf_path[-68:-4]  # type: ignore[index]
    verdict = await asyncio.to_thread(verify_pdf, data, settings.signing_cert.read_bytes())
    assert verdict.ok and verdict.reason is Reason.OK
    assert verdict.signer_fingerprint == published.signer_fingerprint
    attached = attached_files(data)["snapshot.json"]
    assert hashlib.sha256(attached).hexdigest() == published.snapshot_sha256
    assert json.loads(attached)["minutes"]["version"] == 1
    [signed] = await audit_events(database, "minutes.signed")
    assert json.loads(signed.payload)["pdf_sha256"] == published.pdf_sha256
    # Independently of our code: poppler trusts it through NSS and finds the CJK font
    # embedded; one flipped byte is a digest mismatch for pdfsig and "altered" for us.
    nss = nss_trusting(tmp_path / "nss", settings.data_dir / SIGNING_DIR / CA_CERT)
    pdf = settings.data_dir / "minutes" / published.pdf_path  # type: ignore[operator]
    report = run("pdfsig", "-nssdir", nss, str(pdf))
    assert VALID in report and TRUSTED in report and "Total document signed" in report
    assert embedded_cjk_fonts(pdf)
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(flip_signed_byte(data))
    assert MISMATCH in run("pdfsig", "-nssdir", nss, str(altered))
    flipped = await asyncio.to_thread(
        verify_pdf, altered.read_bytes(), settings.signing_cert.read_bytes()
    )
    assert not flipped.ok and flipped.reason is Reason.ALTERED

    # An amendment: version 2 supersedes version 1 once it is published.
    amendment = await compile_(database, settings, m)
    assert (amendment.version, amendment.supersedes_id) == (2, published.id)
    assert (await reload(database, published.id)).state == "published"
    with pytest.raises(Conflict):  # a published version is not approved again
        await services.approve(database, m.w.board.chair, published.id, now=LATE)  # type: ignore[arg-type]
    await services.approve(database, m.w.board.chair, amendment.id, now=LATE)  # type: ignore[arg-type]
    assert await run_job(database, settings)
    old, new = await reload(database, published.id), await reload(database, amendment.id)
    assert (old.state, new.state) == ("superseded", "published")
    assert old.superseded_at is not None and old.pdf_sha256 != new.pdf_sha256
    assert (settings.data_dir / "minutes" / old.pdf_path).exists()  # type: ignore[operator]
    assert (
        json.loads(
            attached_files(
                (settings.data_dir / "minutes" / new.pdf_path).read_bytes()  # type: ignore[operator]
            )["snapshot.json"]
        )["minutes"]["supersedes"]
        == 1
    )
    [superseded] = await audit_events(database, "minutes.superseded")
    assert superseded.subject == f"minutes:{old.id}"
    actions = [e.action for e in await audit_events(database, "minutes.compiled")]
    assert len(actions) == 3
    assert len(await audit_events(database, "minutes.approved")) == 2


async def test_a_second_run_of_the_job_changes_nothing(
    database: Database, settings: Settings, cheap_passwords: None
) -> None:
    m = await minutes_world(database, settings, forum=False, poll=False)
    published = await publish(database, settings, m)
    assert published.state == "published"
    assert not await run_job(database, settings)  # nothing left to do
    async with database.write() as session:
        minutes = await session.get(Minutes, published.id)
        assert minutes is not None
        assert not await services.publish(
            session,
            minutes.id,  # type: ignore[arg-type]
            services.Signed("x.pdf", "0" * 64, 1, "f" * 64, "x", LATE),
        )
    assert (await reload(database, published.id)).pdf_sha256 == published.pdf_sha256


async def test_only_the_secretary_or_chair_compiles(
    database: Database, settings: Settings, cheap_passwords: None
) -> None:
    m = await minutes_world(database, settings, forum=False, poll=False)
    with pytest.raises(Forbidden):
        await compile_(database, settings, m, m.w.board.member)
    with pytest.raises(Forbidden):  # a resident of the published consultation
        await compile_(database, settings, m, m.w.alice)
    with pytest.raises(Forbidden):  # another committee's chair
        await compile_(database, settings, m, m.w.other)
    no_second_factor = await auth_for(database, m.w.board.secretary.user, second_factor=False)
    with pytest.raises(Forbidden):
        await compile_(database, settings, m, no_second_factor)
    with pytest.raises(NotFound):
        await services.compile_minutes(
            database, m.w.board.secretary, 999_999, Keys(settings.secret_key), now=LATE
        )


async def test_only_the_chair_approves_with_the_second_factor(
    database: Database, settings: Settings, cheap_passwords: None
) -> None:
    m = await minutes_world(database, settings, forum=False, poll=False)
    draft = await compile_(database, settings, m)
    chair_without = await auth_for(database, m.w.board.chair.user, second_factor=False)
    for actor in (m.w.board.secretary, m.w.board.member, m.w.alice, m.w.other, chair_without):
        with pytest.raises(Forbidden):
            await services.approve(database, actor, draft.id, now=LATE)  # type: ignore[arg-type]
    assert (await reload(database, draft.id)).state == "draft"
    assert await audit_events(database, "minutes.approved") == []
