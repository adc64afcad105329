"""Minutes as PDF/A-3b, with the canonical JSON snapshot they were made from inside.

PDF/A-3 is the archival profile that allows embedded files of any type: the snapshot
travels in the PDF as an associated file (catalog /AF, /AFRelationship /Data), so one
signed file carries both the readable minutes and the machine-readable record. PDF
bookmarks come from the h1/h2 headings (WeasyPrint's default).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pydyf
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import PdfFileReader

PDF_VARIANT = "pdf/a-3b"
RELATIONSHIP = "Data"  # ISO 32000-2 7.11.3: data the visual presentation is derived from
MAX_NAME_TREE_DEPTH = 32  # a malicious file could nest /Kids without end


def render_pdf(
    html: str,
    *,
    base_url: str | None = None,
    attachment: bytes,
    attachment_name: str,
    title: str,
    attachment_description: str = "",
    created: datetime | None = None,
) -> bytes:
    """PDF/A-3b bytes of ``html`` with ``attachment`` embedded as ``attachment_name``.

    Slow (layout): call it in a worker thread from async code."""
    from weasyprint import HTML, Attachment  # imported here: loading Pango is slow

    when = created or datetime.now(UTC)
    embedded = Attachment(
        file_obj=io.BytesIO(attachment),
        name=attachment_name,
        description=attachment_description,
        created=when,
        modified=when,
        relationship=RELATIONSHIP,
    )
    document = HTML(string=html, base_url=base_url).render(pdf_variant=PDF_VARIANT)
    document.metadata.title = title
    return document.write_pdf(
        pdf_variant=PDF_VARIANT, attachments=[embedded], finisher=_dedupe_associated_files
    )


def _dedupe_associated_files(_document: object, pdf: pydyf.PDF) -> None:
    """WeasyPrint 70 lists each associated file twice in the catalog's /AF: once is enough."""
    associated = pdf.catalog.get("AF")
    if associated:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(associated))


def attached_files(pdf: bytes) -> dict[str, bytes]:
    """The files embedded in ``pdf`` (document-level /EmbeddedFiles), by name."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    try:
        tree = reader.root["/Names"]["/EmbeddedFiles"]
    except KeyError:
        return {}
    files: dict[str, bytes] = {}
    for name, spec in _name_tree_leaves(tree.get_object(), 0):
        data = _embedded_file_data(spec)
        if data is not None:
            files[name] = data
    return files


def _name_tree_leaves(
    node: generic.DictionaryObject, depth: int
) -> list[tuple[str, generic.DictionaryObject]]:
    """(name, value) pairs of a PDF name tree, in tree order."""
    if depth > MAX_NAME_TREE_DEPTH:
        raise misc.PdfReadError("name tree nested too deeply")
    leaves = []
    names = node.get("/Names", generic.ArrayObject())
    for index in range(0, len(names) - 1, 2):
        key, spec = names[index], names[index + 1]
        # /UF is the Unicode file name; the tree key may be a lossy byte version of it.
        leaves.append((str(spec.get("/UF") or spec.get("/F") or key), spec))
    for kid in node.get("/Kids", generic.ArrayObject()):
        leaves.extend(_name_tree_leaves(kid.get_object(), depth + 1))
    return leaves


def _embedded_file_data(spec: generic.DictionaryObject) -> bytes | None:
    """The decoded content of a file specification's embedded file, if it has one."""
    streams = spec.get("/EF")
    if not isinstance(streams, generic.DictionaryObject):
        return None
    stream = streams.get("/UF") or streams.get("/F")
    if stream is None:
        return None
    return stream.get_object().data
