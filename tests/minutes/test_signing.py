"""Signing: PAdES by incremental update, with the ECDSA development pair or an RSA key."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from deliberate.minutes.signing import (
    SigningKeyError,
    certificate_fingerprint,
    load_signer,
    sign_pdf,
)
from deliberate.minutes.verify import Reason, verify_pdf
from tests.minutes.conftest import Pair, sign


def test_signing_appends_to_the_pdfa_bytes(minutes_pdf: bytes, signed_pdf: bytes) -> None:
    assert signed_pdf.startswith(minutes_pdf)
    assert b"/SubFilter /ETSI.CAdES.detached" in signed_pdf[len(minutes_pdf) :]


@pytest.mark.parametrize("pair_name", ["dev_pair", "rsa_pair"])
def test_signed_minutes_verify_with_signer_and_time(
    minutes_pdf: bytes, pair_name: str, request: pytest.FixtureRequest
) -> None:
    pair: Pair = request.getfixturevalue(pair_name)
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    signed = sign(minutes_pdf, pair, when=when)
    verdict = verify_pdf(signed, pair.trust.read_bytes())
    assert verdict.ok and verdict.reason is Reason.OK, verdict.detail
    certificate = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    common_name = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0]
    assert verdict.signer_name == common_name.value
    assert verdict.signer_fingerprint == certificate.fingerprint(hashes.SHA256()).hex()
    assert verdict.signed_at == when
    assert verdict.document_sha256 == hashlib.sha256(signed).hexdigest()


def test_signing_time_defaults_to_now(signed_pdf: bytes, dev_pair: Pair) -> None:
    verdict = verify_pdf(signed_pdf, dev_pair.trust.read_bytes())
    assert verdict.signed_at is not None
    assert abs(datetime.now(UTC) - verdict.signed_at) < timedelta(minutes=5)


def test_a_signing_time_outside_the_certificates_validity_is_not_trusted(
    minutes_pdf: bytes, dev_pair: Pair
) -> None:
    """The certificate is checked at the claimed signing time, not at verification."""
    before_issue = datetime.now(UTC) - timedelta(days=1)
    verdict = verify_pdf(
        sign(minutes_pdf, dev_pair, when=before_issue), dev_pair.trust.read_bytes()
    )
    assert verdict.reason is Reason.UNKNOWN_SIGNER
    assert verdict.signed_at == before_issue.replace(microsecond=0)


def test_the_fingerprint_is_sha256_of_der(dev_pair: Pair) -> None:
    certificate = x509.load_pem_x509_certificate(dev_pair.cert.read_bytes())
    der = certificate.public_bytes(serialization.Encoding.DER)
    expected = hashlib.sha256(der).hexdigest()
    signer = load_signer(dev_pair.key, dev_pair.cert)
    assert certificate_fingerprint(certificate) == expected
    assert certificate_fingerprint(signer.signing_cert) == expected  # asn1crypto form
    assert certificate_fingerprint(der) == expected


def test_the_issuer_chain_can_travel_in_the_signature(minutes_pdf: bytes, dev_pair: Pair) -> None:
    signer = load_signer(dev_pair.key, dev_pair.cert, chain_paths=[dev_pair.trust])
    signed = sign_pdf(minutes_pdf, signer, reason="r", location="l", name="n")
    assert verify_pdf(signed, dev_pair.trust.read_bytes()).ok
    with pytest.raises(ValueError, match="time zone"):
        sign_pdf(minutes_pdf, signer, reason="r", location="l", name="n", when=datetime(2026, 1, 1))


def test_a_key_that_does_not_match_the_certificate_is_refused(
    dev_pair: Pair, rsa_pair: Pair
) -> None:
    with pytest.raises(SigningKeyError):
        load_signer(rsa_pair.key, dev_pair.cert)
