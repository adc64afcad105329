"""Is this file an authentic published version of some minutes? The signature is checked
against the deployment's certificate (``verify.verify_pdf``), then the file's SHA-256 is
looked up among published and superseded versions. Used by ``/verify`` and by
``deliberate minutes verify``."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from pathlib import Path

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.minutes import queries
from deliberate.minutes.queries import MinutesView
from deliberate.minutes.signing import certificate_fingerprint
from deliberate.minutes.verify import Reason, Verdict, verify_pdf
from deliberate.web.i18n import lazy_gettext as _l


class Outcome(enum.StrEnum):
    AUTHENTIC = "authentic"  # signed by us, unchanged, and published (maybe superseded)
    NOT_PUBLISHED = "not_published"  # signed by us and unchanged, but never published
    ALTERED = "altered"
    UNKNOWN_SIGNER = "unknown_signer"
    UNSIGNED = "unsigned"
    NOT_PDF = "not_pdf"


EXPLANATIONS = {
    Outcome.AUTHENTIC: _l("This is an authentic published version of the minutes."),
    Outcome.NOT_PUBLISHED: _l(
        "The signature is ours and intact, but this file is not a published version of any minutes."
    ),
    Outcome.ALTERED: _l("The file was altered after it was signed: it is not authentic."),
    Outcome.UNKNOWN_SIGNER: _l(
        "The file is signed, but not with this platform's key: it is not minutes published here."
    ),
    Outcome.UNSIGNED: _l("The file has no signature: it is not minutes published here."),
    Outcome.NOT_PDF: _l("The file is not a PDF."),
}
_FROM_REASON = {
    Reason.ALTERED: Outcome.ALTERED,
    Reason.UNKNOWN_SIGNER: Outcome.UNKNOWN_SIGNER,
    Reason.UNSIGNED: Outcome.UNSIGNED,
    Reason.NOT_PDF: Outcome.NOT_PDF,
}


@dataclass(frozen=True)
class Checked:
    outcome: Outcome
    verdict: Verdict
    found: MinutesView | None = None  # the published version, when authentic

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.AUTHENTIC

    @property
    def superseded(self) -> bool:
        return self.found is not None and self.found.minutes.state == "superseded"

    @property
    def explanation(self) -> object:
        return EXPLANATIONS[self.outcome]


def trusted_certificate(settings: Settings) -> bytes:
    """The deployment's signing certificate (PEM or DER), published on /verify."""
    return Path(settings.signing_cert).read_bytes()


def fingerprint(settings: Settings) -> str:
    from pyhanko.keys import load_cert_from_pemder

    return certificate_fingerprint(load_cert_from_pemder(str(settings.signing_cert)))


async def check(database: Database, settings: Settings, data: bytes) -> Checked:
    verdict = await asyncio.to_thread(verify_pdf, data, trusted_certificate(settings))
    if not verdict.ok:
        return Checked(_FROM_REASON.get(verdict.reason, Outcome.ALTERED), verdict)
    async with database.read() as session:
        found = await queries.by_pdf_sha256(session, verdict.document_sha256)
    if found is None:
        return Checked(Outcome.NOT_PUBLISHED, verdict)
    return Checked(Outcome.AUTHENTIC, verdict, found)
