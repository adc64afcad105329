"""PDF/A-3b minutes: CJK font embedded, snapshot attached, bookmarks from headings."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from deliberate.minutes.pdfa import attached_files
from tests.minutes.conftest import SNAPSHOT, SNAPSHOT_NAME, TITLE


def xmp(pdf: bytes) -> str:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return reader.root["/Metadata"].data.decode()


def declares_pdfa_3b(metadata: str) -> bool:
    """pdfaid:part 3 and conformance B, as XMP attributes or elements."""
    part = re.search(r'pdfaid:part(="3"|>3<)', metadata)
    conformance = re.search(r'pdfaid:conformance(="B"|>B<)', metadata)
    return bool(part and conformance)


def test_the_snapshot_comes_back_byte_for_byte(minutes_pdf: bytes, signed_pdf: bytes) -> None:
    for pdf in (minutes_pdf, signed_pdf):
        files = attached_files(pdf)
        assert list(files) == [SNAPSHOT_NAME]
        assert hashlib.sha256(files[SNAPSHOT_NAME]).digest() == hashlib.sha256(SNAPSHOT).digest()


def test_the_snapshot_is_an_associated_file_of_the_document(minutes_pdf: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(minutes_pdf), strict=False)
    associated = [ref.get_object() for ref in reader.root["/AF"]]
    assert len(associated) == 1  # WeasyPrint 70 lists it twice; pdfa.py keeps one
    spec = associated[0]
    assert spec["/UF"] == SNAPSHOT_NAME and spec["/AFRelationship"] == "/Data"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application/json"  # name-decoded #2F


def test_a_pdf_without_attachments_has_none() -> None:
    from weasyprint import HTML

    assert attached_files(HTML(string="<p>x</p>").write_pdf()) == {}


def test_pdfa_3b_is_declared_before_and_after_signing(
    minutes_pdf: bytes, signed_pdf: bytes
) -> None:
    assert declares_pdfa_3b(xmp(minutes_pdf))
    assert declares_pdfa_3b(xmp(signed_pdf))  # pyHanko rewrites the XMP, keeping pdfaid
    assert TITLE in xmp(signed_pdf)


def test_bookmarks_follow_the_headings(minutes_pdf: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(minutes_pdf), strict=False)
    top = reader.root["/Outlines"]["/First"]
    children = [top["/First"]["/Title"], top["/Last"]["/Title"]]
    assert top["/Title"] == TITLE
    assert children == ["一、会议概况", "二、讨论与决定"]


def test_the_chinese_font_is_embedded(signed_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(signed_pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in fonts.stdout.splitlines()[2:]]
    cjk = [row for row in rows if "Noto-Sans-CJK-SC" in row[0]]
    assert cjk, fonts.stdout
    # columns from the right: object ID (2), uni, sub, emb
    assert all(row[-5] == "yes" for row in cjk), fonts.stdout
    assert all(row[-5] == "yes" for row in rows), "PDF/A embeds every font"
