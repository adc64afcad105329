"""The background job that renders and signs approved minutes ("minutes.render").

The handler needs the deployment's settings (signing key, data directory, public URL)
and its database: :func:`install` registers it with them (the app factory calls it; tests
may call :func:`handler` and pass it to ``run_one(handlers=…)``). Rendering and signing
are slow and synchronous: they run in a worker thread. The signed file is written first
under a name made of the version's id and the file's SHA-256; the version is published
(and the one it amends superseded) in the job's completing transaction, so only the run
that completes publishes. A run that loses its job leaves an unreferenced file behind
(`deliberate minutes sweep`, in minutes/sweep.py, removes it later).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deliberate.config import Settings
from deliberate.db import Database, as_utc
from deliberate.jobs import worker
from deliberate.jobs.models import Job
from deliberate.jobs.worker import Done, Handler, Progress
from deliberate.minutes import services
from deliberate.minutes.document import minutes_html
from deliberate.minutes.services import RENDER_JOB, Signed

PDF_DIR = "minutes"
SNAPSHOT_NAME = "snapshot.json"


def pdf_dir(settings: Settings) -> Path:
    return settings.data_dir / PDF_DIR


def verify_url(settings: Settings) -> str:
    return f"{settings.public_url}/verify"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def _render(settings: Settings, snapshot_text: str, snapshot_sha256: str, when: datetime) -> bytes:
    """The PDF/A-3b with the snapshot attached: slow (layout), synchronous."""
    from deliberate.minutes.pdfa import render_pdf

    snapshot = json.loads(snapshot_text)
    html = minutes_html(
        snapshot, snapshot_sha256=snapshot_sha256, verify_url=verify_url(settings), tz=settings.tz
    )
    return render_pdf(
        html,
        attachment=snapshot_text.encode("utf-8"),
        attachment_name=SNAPSHOT_NAME,
        attachment_description="Deliberate minutes snapshot (canonical JSON)",
        title=f"{snapshot['consultation']['title']} · v{snapshot['minutes']['version']}",
        created=when,
    )


def _sign(
    settings: Settings, pdf: bytes, snapshot_text: str, when: datetime
) -> tuple[bytes, str, str]:
    """(signed PDF, signer certificate fingerprint, signer name): synchronous."""
    from deliberate.minutes.signing import certificate_fingerprint, load_signer, sign_pdf

    snapshot = json.loads(snapshot_text)
    signer = load_signer(settings.signing_key, settings.signing_cert)
    cert = signer.signing_cert
    name = cert.subject.native.get("common_name") or cert.subject.human_friendly
    signed = sign_pdf(
        pdf,
        signer,
        reason="Minutes published",
        location=snapshot["consultation"]["area"]["name"],
        name=snapshot["consultation"]["committee"],
        when=when,
    )
    return signed, certificate_fingerprint(cert), str(name)[:200]


def handler(settings: Settings, database: Database) -> Handler:
    """The "minutes.render" handler for this deployment."""

    async def render(job: Job, progress: Progress) -> Any:
        minutes_id = int(json.loads(job.payload)["minutes"])
        minutes = await services.mark_rendering(database, minutes_id)
        if minutes is None:
            return {"skipped": True}
        await progress(10, "minutes.rendering")
        when = datetime.now(UTC).replace(microsecond=0)
        text = minutes.snapshot
        pdf = await asyncio.to_thread(_render, settings, text, minutes.snapshot_sha256, when)
        await progress(50, "minutes.signing")
        pdf, fingerprint, signer_name = await asyncio.to_thread(_sign, settings, pdf, text, when)
        digest = hashlib.sha256(pdf).hexdigest()
        name = f"{minutes_id}-{digest}.pdf"
        await asyncio.to_thread(_write_atomically, pdf_dir(settings) / name, pdf)
        await progress(90, "minutes.storing")
        signed = Signed(name, digest, len(pdf), fingerprint, signer_name, as_utc(when))

        async def write(session: Any) -> None:
            await services.publish(session, minutes_id, signed)

        return Done({"minutes": minutes_id, "pdf_sha256": digest}, write=write)

    return render


def install(settings: Settings, database: Database) -> None:
    """Make this deployment's handler the one the background worker runs."""
    worker.HANDLERS[RENDER_JOB] = handler(settings, database)
