"""The development signing pair: a self-signed CA and a signer certificate, made once.

Production brings its own key and certificate (DELIBERATE_SIGNING_KEY/_CERT). In
development the first start writes, under ``<data dir>/signing/``, a CA certificate and a
signer key and certificate issued by it (key files mode 0600), and every later start
reuses them, so minutes signed yesterday still verify today. ECDSA P-256 keys: quick to
make (the test suite makes many) and accepted by PAdES validators.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIGNING_DIR = "signing"
CA_CERT = "dev-ca.crt"
SIGNER_KEY = "dev-signer.key"
SIGNER_CERT = "dev-signer.crt"
VALIDITY = timedelta(days=3650)


def ensure_dev_signing_pair(data_dir: Path) -> tuple[Path, Path]:
    """(signer key, signer certificate), generated on first use and then reused."""
    directory = data_dir / SIGNING_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path, cert_path = directory / SIGNER_KEY, directory / SIGNER_CERT
    # Several workers may start at once: one generates, the others wait and reuse.
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (key_path.exists() and cert_path.exists()):
            _generate(directory)
    return key_path, cert_path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Deliberate development (not trusted)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    is_ca: bool,
) -> x509.Certificate:
    """A CA certificate (signs certificates) or a signer one (signs documents)."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=0 if is_ca else None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not is_ca,
                content_commitment=not is_ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if not is_ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _generate(directory: Path) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Deliberate development CA")
    ca_cert = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, is_ca=True)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = _certificate(
        _name("Deliberate development minutes signer"),
        ca_name,
        signer_key.public_key(),
        ca_key,
        is_ca=False,
    )
    pem = serialization.Encoding.PEM
    private = serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    _write_private(directory / "dev-ca.key", ca_key.private_bytes(pem, private, none))
    (directory / CA_CERT).write_bytes(ca_cert.public_bytes(pem))
    (directory / SIGNER_CERT).write_bytes(signer_cert.public_bytes(pem))
    # The key last: its presence (with the certificate) means the pair is complete.
    _write_private(directory / SIGNER_KEY, signer_key.private_bytes(pem, private, none))
