"""Verification: any bytes in, a verdict out, never an exception."""

from __future__ import annotations

import io
import logging
import os

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from deliberate.minutes.verify import Reason, Verdict, verify_pdf
from tests.minutes.conftest import Pair, flip_signed_byte, sign


def check(data: bytes, pair: Pair) -> Verdict:
    return verify_pdf(data, pair.trust.read_bytes())


def test_the_deployments_signature_verifies(signed_pdf: bytes, dev_pair: Pair) -> None:
    verdict = check(signed_pdf, dev_pair)
    assert verdict.ok and verdict.reason is Reason.OK
    assert verdict.signer_name == "Deliberate development minutes signer"


def test_the_signer_certificate_itself_can_be_the_trusted_one(
    signed_pdf: bytes, dev_pair: Pair, other_dev_pair: Pair
) -> None:
    assert verify_pdf(signed_pdf, dev_pair.cert.read_bytes()).ok
    trusted = [other_dev_pair.trust.read_bytes(), dev_pair.trust.read_bytes()]
    assert verify_pdf(signed_pdf, trusted).ok


def test_one_flipped_byte_is_altered(signed_pdf: bytes, dev_pair: Pair) -> None:
    verdict = check(flip_signed_byte(signed_pdf), dev_pair)
    assert not verdict.ok and verdict.reason is Reason.ALTERED
    assert verdict.detail == "digest mismatch"
    assert verdict.signer_fingerprint  # who signed the original is still reported


def test_a_damaged_signature_is_altered(signed_pdf: bytes, dev_pair: Pair) -> None:
    start = signed_pdf.rindex(b"/Contents <") + len(b"/Contents <") + 40
    damaged = bytearray(signed_pdf)
    damaged[start] = ord("0") if damaged[start] != ord("0") else ord("1")
    assert check(bytes(damaged), dev_pair).reason is Reason.ALTERED


@pytest.mark.parametrize("pair_name", ["other_dev_pair", "rsa_pair"])
def test_another_signer_is_unknown(
    minutes_pdf: bytes,
    dev_pair: Pair,
    pair_name: str,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other: Pair = request.getfixturevalue(pair_name)
    with caplog.at_level(logging.DEBUG, logger="deliberate"):
        verdict = check(sign(minutes_pdf, other), dev_pair)
    assert not verdict.ok and verdict.reason is Reason.UNKNOWN_SIGNER
    assert verdict.signer_fingerprint and verdict.signed_at
    # An untrusted upload is an answer, not a warning with a traceback in the server log.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_an_unsigned_pdf_is_unsigned(minutes_pdf: bytes, dev_pair: Pair) -> None:
    assert check(minutes_pdf, dev_pair).reason is Reason.UNSIGNED


@pytest.mark.parametrize(
    "make",
    [
        lambda signed: b"",
        lambda signed: os.urandom(4096),
        lambda signed: signed[: len(signed) // 2],
        lambda signed: signed[:-40],
        lambda signed: b"<!doctype html><html><body><h1>%PDF-1.7</h1></body></html>",
        lambda signed: b"%PDF-1.7\n",
        lambda signed: b"%PDF-1.7\n%%EOF\n",
    ],
    ids=["empty", "random", "half", "no-trailer", "html", "header-only", "no-xref"],
)
def test_garbage_is_not_a_pdf(make, signed_pdf: bytes, dev_pair: Pair) -> None:
    verdict = check(make(signed_pdf), dev_pair)
    assert not verdict.ok and verdict.reason is Reason.NOT_PDF


def test_bytes_appended_after_the_signature_are_altered(signed_pdf: bytes, dev_pair: Pair) -> None:
    for tail in (b"\n", b"<script>alert(1)</script>\n", b"\nstartxref\n0\n%%EOF\n"):
        verdict = check(signed_pdf + tail, dev_pair)
        assert verdict.reason in (Reason.ALTERED, Reason.NOT_PDF), tail
        assert not verdict.ok


def test_an_update_after_signing_is_altered(signed_pdf: bytes, dev_pair: Pair) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    updated = io.BytesIO()
    writer.write(updated)
    verdict = check(updated.getvalue(), dev_pair)
    assert not verdict.ok and verdict.reason is Reason.ALTERED
    assert verdict.detail == "updated after signing (1 later revision)"


def test_no_trusted_certificate_is_a_deployment_error(signed_pdf: bytes) -> None:
    with pytest.raises(ValueError, match="no trusted certificate"):
        verify_pdf(signed_pdf, [])


def test_the_verdict_hashes_the_whole_file(signed_pdf: bytes, dev_pair: Pair) -> None:
    import hashlib

    for data in (signed_pdf, b"", flip_signed_byte(signed_pdf)):
        assert check(data, dev_pair).document_sha256 == hashlib.sha256(data).hexdigest()
