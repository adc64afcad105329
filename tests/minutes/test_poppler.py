"""An independent check of the signatures: poppler's pdfsig, with NSS trusting the CA
(what pdfsig's report says and which lines are read: tests/minutes/poppler.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.minutes.conftest import Pair, flip_signed_byte, sign
from tests.minutes.poppler import MISMATCH, TRUSTED, VALID, nss_trusting, run


@pytest.fixture(scope="module")
def nss_db(tmp_path_factory: pytest.TempPathFactory, dev_pair: Pair) -> str:
    """A throwaway NSS database trusting the development CA."""
    return nss_trusting(tmp_path_factory.mktemp("nss"), dev_pair.trust)


def pdfsig(pdf: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf)
    return run("pdfsig", *options, str(path))


def test_pdfsig_finds_a_valid_signature_covering_the_document(
    signed_pdf: bytes, tmp_path: Path
) -> None:
    report = pdfsig(signed_pdf, tmp_path)
    assert "Signature #1:" in report and "Signature #2:" not in report
    assert VALID in report
    assert "Total document signed" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert TRUSTED not in report  # the default NSS database does not know the dev CA


def test_pdfsig_accepts_an_rsa_signature(
    minutes_pdf: bytes, rsa_pair: Pair, tmp_path: Path
) -> None:
    report = pdfsig(sign(minutes_pdf, rsa_pair), tmp_path)
    assert VALID in report and "Signature Type: ETSI.CAdES.detached" in report


def test_pdfsig_trusts_the_certificate_issued_by_the_imported_ca(
    signed_pdf: bytes, tmp_path: Path, nss_db: str
) -> None:
    report = pdfsig(signed_pdf, tmp_path, "-nssdir", nss_db)
    assert VALID in report and TRUSTED in report
    assert "Signer Certificate Common Name: Deliberate development minutes signer" in report


def test_pdfsig_sees_the_flipped_byte(signed_pdf: bytes, tmp_path: Path, nss_db: str) -> None:
    report = pdfsig(flip_signed_byte(signed_pdf), tmp_path, "-nssdir", nss_db)
    assert MISMATCH in report and VALID not in report
