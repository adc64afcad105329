"""Check that a file is minutes signed by this deployment, and unchanged since.

Any bytes go in (an upload from anyone); a :class:`Verdict` comes out, never an exception.
``document_sha256`` is the hash of the whole file as given, for the caller to look up
among published minutes (which consultation, which version, superseded or not).

What counts as unchanged: the first signature in the file is the deployment's signature
on the minutes, and it must be intact, cryptographically valid and cover the entire file.
Anything after the signed bytes makes the file ALTERED, even though the signature itself
still verifies: new revisions of any kind (page content, annotations, form changes,
further signatures) and bytes that are no PDF revision at all. That includes what pyHanko
classes as long-term-archival updates (document security store, document time-stamps),
because its rules for those also admit changes to the document information and XMP
metadata (a new title, say), which a reader sees. Deliberate signs PAdES B-B and appends
nothing after its signature; adopting B-LTA later means revisiting this rule.

The certificate is checked at the signing time the signature claims (PAdES B-B carries no
time-stamp), so minutes stay valid after the deployment's certificate expires; the hash
lookup among published minutes is what proves a file really was published.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext

from deliberate.minutes.signing import certificate_fingerprint

log = logging.getLogger(__name__)
# pyHanko logs every untrusted or broken signature as a warning with a traceback. Here
# that is the answer for whoever uploaded the file (anyone may, at /verify), not an event
# for the operator: its validation logger speaks only of errors.
logging.getLogger("pyhanko.sign.validation").setLevel(logging.ERROR)

PDF_HEADER = b"%PDF-"
HEADER_WINDOW = 1024  # readers accept the header anywhere in the first kilobyte


class Reason(enum.StrEnum):
    OK = "ok"
    NOT_PDF = "not_pdf"  # empty, truncated, not a PDF at all
    UNSIGNED = "unsigned"  # a PDF without a signature
    ALTERED = "altered"  # changed after signing, or a broken signature
    UNKNOWN_SIGNER = "unknown_signer"  # validly signed, but not by this deployment


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: Reason
    document_sha256: str
    signer_name: str | None = None  # certificate subject common name
    signer_fingerprint: str | None = None  # SHA-256 of the signer certificate's DER
    signed_at: datetime | None = None  # claimed signing time (/M), UTC
    detail: str = ""  # for logs and support, not for the public page


TrustedCerts = bytes | asn1_x509.Certificate | Sequence[bytes | asn1_x509.Certificate]


def verify_pdf(data: bytes, trusted_cert_pem: TrustedCerts) -> Verdict:
    """Whether ``data`` is a PDF signed by one of the trusted certificates (or a
    certificate they issued) and unchanged since. Runs its own event loop: from async
    code, call it in a worker thread."""
    digest = hashlib.sha256(data).hexdigest()
    roots = _trust_roots(trusted_cert_pem)  # a bad certificate here is a deployment error
    try:
        return asyncio.run(_verify(data, roots, digest))
    except Exception as exc:  # a validator bug must not become a 500 for an upload
        log.warning("minutes verification failed unexpectedly", exc_info=True)
        return Verdict(False, Reason.ALTERED, digest, detail=f"unverifiable: {exc}")


async def _verify(data: bytes, roots: list[asn1_x509.Certificate], digest: str) -> Verdict:
    reader = _reader(data)
    if reader is None:
        return Verdict(False, Reason.NOT_PDF, digest, detail="not a readable PDF")
    try:
        signatures = reader.embedded_regular_signatures
    except Exception as exc:
        return Verdict(False, Reason.ALTERED, digest, detail=f"unreadable signature: {exc}")
    if not signatures:
        return Verdict(False, Reason.UNSIGNED, digest, detail="no signature")
    signature = signatures[0]
    try:
        # No difference analysis: any update after signing is refused (see above), and
        # analysing an attacker's revisions costs time for nothing.
        status = await async_validate_pdf_signature(
            signature, signer_validation_context=_context(roots, signature), skip_diff=True
        )
    except Exception as exc:
        return Verdict(False, Reason.ALTERED, digest, detail=f"broken signature: {exc}")
    return _judge(status, signature, digest)


def _reader(data: bytes) -> PdfFileReader | None:
    """A reader over ``data``, or None if it is no readable PDF."""
    if PDF_HEADER not in data[:HEADER_WINDOW]:
        return None
    try:
        return PdfFileReader(io.BytesIO(data), strict=False)
    except Exception:
        return None


def _context(
    roots: list[asn1_x509.Certificate], signature: EmbeddedPdfSignature
) -> ValidationContext:
    """Trust only the given certificates, offline, at the claimed signing time."""
    moment = signature.self_reported_timestamp or datetime.now(UTC)
    return ValidationContext(
        trust_roots=roots, moment=moment, allow_fetching=False, revocation_mode="soft-fail"
    )


def _judge(status: PdfSignatureStatus, signature: EmbeddedPdfSignature, digest: str) -> Verdict:
    cert = status.signing_cert
    signed_at = status.signer_reported_dt or signature.self_reported_timestamp
    found = {
        "document_sha256": digest,
        "signer_name": _common_name(cert),
        "signer_fingerprint": certificate_fingerprint(cert),
        "signed_at": signed_at.astimezone(UTC) if signed_at else None,
    }
    if not status.intact:
        return Verdict(False, Reason.ALTERED, detail="digest mismatch", **found)
    if not status.valid:
        return Verdict(False, Reason.ALTERED, detail="signature value invalid", **found)
    problem = _appended_problem(status, signature)
    if problem:
        return Verdict(False, Reason.ALTERED, detail=problem, **found)
    if not status.trusted:
        indication = status.trust_problem_indic
        return Verdict(False, Reason.UNKNOWN_SIGNER, detail=f"untrusted: {indication}", **found)
    return Verdict(True, Reason.OK, **found)


def _appended_problem(status: PdfSignatureStatus, signature: EmbeddedPdfSignature) -> str:
    """Why the signature does not cover the whole file, or '' if it does."""
    coverage = status.coverage
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return ""
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return f"signature covers {coverage.name if coverage else 'an unclear range'} only"
    later = signature.reader.total_revisions - 1 - signature.signed_revision
    if later == 0:
        return "bytes appended after the signed revision"
    return f"updated after signing ({later} later revision{'s' if later > 1 else ''})"


def _common_name(cert: asn1_x509.Certificate) -> str | None:
    try:
        return cert.subject.native.get("common_name")
    except Exception:
        return None


def _trust_roots(trusted: TrustedCerts) -> list[asn1_x509.Certificate]:
    """Certificates from PEM/DER bytes (one or several) or already-parsed ones."""
    items = [trusted] if isinstance(trusted, bytes | asn1_x509.Certificate) else trusted
    roots: list[asn1_x509.Certificate] = []
    for item in items:
        if isinstance(item, asn1_x509.Certificate):
            roots.append(item)
        else:
            roots.extend(load_certs_from_pemder_data(item))
    if not roots:
        raise ValueError("no trusted certificate given")
    return roots
