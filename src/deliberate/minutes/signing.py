"""PAdES signatures on minutes, with the deployment's key (ECDSA or RSA).

The signature is an invisible one added as an incremental update: the PDF/A-3b bytes
WeasyPrint wrote stay as they are in front of it, and pyHanko's widget keeps the print
flag PDF/A asks for. Profile PAdES B-B (no time-stamp authority: the claimed signing
time is the signature dictionary's /M). pyHanko runs its own event loop: from async
code, call :func:`sign_pdf` in a worker thread.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko_certvalidator.registry import SimpleCertificateStore

FIELD_NAME = "DeliberateMinutesSignature"
DIGEST = "sha256"

Certificate = asn1_x509.Certificate | x509.Certificate | bytes


class SigningKeyError(ValueError):
    """The signing key and certificate cannot be used together."""


def load_signer(
    key_path: Path | str, cert_path: Path | str, chain_paths: Sequence[Path | str] = ()
) -> signers.SimpleSigner:
    """The signer for a PEM (or DER) private key and its certificate.

    ``chain_paths`` name issuer certificates to embed in each signature, so that
    validators that trust only the root can build the chain."""
    key_bytes = Path(key_path).read_bytes()
    certificate = load_cert_from_pemder(str(cert_path))
    private_key = _load_private_key(key_bytes)
    if _spki(private_key.public_key()) != certificate.public_key.dump():
        raise SigningKeyError(f"{key_path} is not the key of the certificate {cert_path}")
    store = SimpleCertificateStore()
    store.register_multiple(list(load_certs_from_pemder([str(p) for p in chain_paths])))
    return signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=_pkcs8(private_key),
        cert_registry=store,
    )


def sign_pdf(
    pdf: bytes,
    signer: signers.Signer,
    *,
    reason: str,
    location: str,
    name: str,
    when: datetime | None = None,
) -> bytes:
    """``pdf`` with a PAdES signature appended as an incremental update.

    ``when`` (default now, time-zone aware) is the claimed signing time, to the second."""
    if when is not None and when.tzinfo is None:
        raise ValueError("the signing time needs a time zone")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=name,
    )
    moment = (when or datetime.now(UTC)).replace(microsecond=0)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    writer.document_meta.last_modified = moment  # XMP ModifyDate agrees with /M
    output = _DatedPdfSigner(meta, signer, moment).sign_pdf(writer)
    return output.getvalue()


def certificate_fingerprint(cert: Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, lower-case hex."""
    if isinstance(cert, asn1_x509.Certificate):
        der = cert.dump()
    elif isinstance(cert, x509.Certificate):
        der = cert.public_bytes(serialization.Encoding.DER)
    else:
        der = bytes(cert)
    return hashlib.sha256(der).hexdigest()


class _DatedPdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time is given rather than read from the clock."""

    def __init__(
        self, meta: signers.PdfSignatureMetadata, signer: signers.Signer, when: datetime
    ) -> None:
        super().__init__(meta, signer=signer)
        self._when = when

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._when
        return session


def _load_private_key(data: bytes) -> PrivateKeyTypes:
    if data.lstrip().startswith(b"-----"):
        return serialization.load_pem_private_key(data, password=None)
    return serialization.load_der_private_key(data, password=None)


def _spki(public_key: PublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pkcs8(private_key: PrivateKeyTypes) -> keys.PrivateKeyInfo:
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return keys.PrivateKeyInfo.load(der)
