"""The demo's published minutes, checked independently: ``deliberate demo`` (run as the
command, on SQLite, once for this module) renders and signs version 1 of consultation 1's
minutes with the real "minutes.render" job. Then:

- ``deliberate minutes verify`` exits 0 on it and 1 on a copy with one flipped byte,
  saying it was altered;
- poppler's ``pdfsig`` finds the signature valid, and with the deployment's CA imported
  into a throwaway NSS database, the certificate trusted; the flipped copy is a
  "Digest Mismatch";
- ``pdffonts`` lists an embedded Noto Sans CJK font;
- the attached snapshot.json hashes to the version's snapshot_sha256, which
  ``pdftotext`` finds in the footer of every page.

The demo runs per backend in tests/test_demo.py already; this builds it once, here.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from deliberate.devkeys import CA_CERT, SIGNING_DIR
from deliberate.minutes.pdfa import attached_files
from tests.minutes.conftest import flip_signed_byte
from tests.minutes.poppler import MISMATCH, TRUSTED, VALID, embedded_cjk_fonts, nss_trusting, run


@dataclass(frozen=True)
class Demo:
    env: dict[str, str]
    data_dir: Path
    pdf: Path
    snapshot_sha256: str
    pdf_sha256: str
    pages: int

    @property
    def ca(self) -> Path:
        return self.data_dir / SIGNING_DIR / CA_CERT


def deliberate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deliberate", *args], env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    data = tmp_path_factory.mktemp("demo") / "data"
    env = {**os.environ, "DELIBERATE_DATA_DIR": str(data), "DELIBERATE_ENV": "development"}
    env.pop("DELIBERATE_DATABASE_URL", None)
    assert deliberate(env, "migrate").returncode == 0
    loaded = deliberate(env, "demo")
    assert loaded.returncode == 0, loaded.stderr
    assert "version 1 published and signed" in loaded.stdout, loaded.stdout
    with sqlite3.connect(data / "deliberate.sqlite3") as db:
        rows = db.execute(
            "SELECT state, pdf_path, pdf_sha256, snapshot_sha256 FROM minutes"
        ).fetchall()
    [(state, name, pdf_sha256, snapshot_sha256)] = rows
    assert state == "published"
    pdf = data / "minutes" / name
    assert str(pdf) in loaded.stdout and pdf_sha256 in loaded.stdout  # the report line
    info = run("pdfinfo", str(pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))  # type: ignore[union-attr]
    return Demo(env, data, pdf, snapshot_sha256, pdf_sha256, pages)


@pytest.fixture(scope="module")
def flipped(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flipped") / "altered.pdf"
    path.write_bytes(flip_signed_byte(demo.pdf.read_bytes()))
    return path


@pytest.fixture(scope="module")
def nss_db(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A throwaway NSS database trusting the demo deployment's development CA."""
    return nss_trusting(tmp_path_factory.mktemp("nss"), demo.ca)


def test_the_demo_pdf_is_the_published_file(demo: Demo) -> None:
    data = demo.pdf.read_bytes()
    assert hashlib.sha256(data).hexdigest() == demo.pdf_sha256
    assert demo.pdf.name == f"1-{demo.pdf_sha256}.pdf"


def test_the_demo_decision_cites_the_signed_minutes(demo: Demo) -> None:
    with sqlite3.connect(demo.data_dir / "deliberate.sqlite3") as db:
        [(minutes_id, pdf_sha256)] = db.execute(
            "SELECT decision.minutes_id, minutes.pdf_sha256 FROM decision"
            " JOIN minutes ON minutes.id = decision.minutes_id"
        ).fetchall()
        items = db.execute("SELECT count(*) FROM implementation_item").fetchone()[0]
        votes = db.execute("SELECT count(*) FROM decision_vote").fetchone()[0]
    assert (minutes_id, pdf_sha256) == (1, demo.pdf_sha256)
    assert items >= 3 and votes >= 1


def test_minutes_verify_exits_0_on_it_and_1_on_a_flipped_byte(demo: Demo, flipped: Path) -> None:
    good = deliberate(demo.env, "minutes", "verify", str(demo.pdf))
    assert good.returncode == 0, good.stderr
    assert "authentic: 幸福社区老旧小区综合改造方案 (consultation 1)" in good.stdout
    assert "minutes version 1 (current version)" in good.stdout
    assert f"sha256 {demo.pdf_sha256}" in good.stdout

    bad = deliberate(demo.env, "minutes", "verify", str(flipped))
    assert bad.returncode == 1
    assert "altered" in bad.stderr and "altered after it was signed" in bad.stderr
    assert bad.stdout == ""


def test_pdfsig_finds_it_valid_and_the_certificate_trusted(demo: Demo, nss_db: str) -> None:
    plain = run("pdfsig", str(demo.pdf))
    assert "Signature #1:" in plain and "Signature #2:" not in plain
    assert VALID in plain and "Total document signed" in plain
    trusted = run("pdfsig", "-nssdir", nss_db, str(demo.pdf))
    assert VALID in trusted and TRUSTED in trusted
    assert "Signer Certificate Common Name: Deliberate development minutes signer" in trusted


def test_pdfsig_reports_a_digest_mismatch_on_the_flipped_copy(flipped: Path, nss_db: str) -> None:
    report = run("pdfsig", "-nssdir", nss_db, str(flipped))
    assert MISMATCH in report and VALID not in report


def test_pdffonts_lists_an_embedded_noto_sans_cjk_font(demo: Demo) -> None:
    assert embedded_cjk_fonts(demo.pdf)


def test_the_attached_snapshot_hashes_to_the_footer(demo: Demo) -> None:
    attached = attached_files(demo.pdf.read_bytes())["snapshot.json"]
    assert hashlib.sha256(attached).hexdigest() == demo.snapshot_sha256
    text = run("pdftotext", "-layout", str(demo.pdf), "-")
    pages = text.split("\f")
    footers = [p for p in pages if demo.snapshot_sha256 in p]
    assert len(footers) == demo.pages  # printed on every page


def outline_titles(node: Any) -> list[str]:
    """Every bookmark's title, depth first."""
    titles = []
    while node is not None:
        node = node.get_object()
        titles.append(str(node.get("/Title", "")))
        if "/First" in node:
            titles += outline_titles(node["/First"])
        node = node.get("/Next")  # an indirect reference, or None at the end
    return titles


def test_every_bookmark_has_a_title(demo: Demo) -> None:
    # The draft's preamble (section 0) has no heading of its own: the minutes call it
    # "Preamble" rather than leave an empty heading and an empty bookmark.
    reader = PdfFileReader(io.BytesIO(demo.pdf.read_bytes()), strict=False)
    titles = outline_titles(reader.root["/Outlines"]["/First"])
    assert len(titles) > 10 and all(t.strip() for t in titles), titles
    assert "前言" in titles
