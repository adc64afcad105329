"""The minutes as HTML, from the snapshot alone: the same template makes the draft preview
in the browser and the page the PDF is rendered from, so what the chair approves is what
is signed. Everything printed comes out of the snapshot (nothing is read again)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deliberate.forums.labels import (
    CONFIDENCE_LABELS,
    PUBLICATION_LABELS,
    RECOMMENDATION_LABELS,
)
from deliberate.forums.labels import STATUS_LABELS as INVITATION_LABELS
from deliberate.hearings.labels import STANCE_LABELS, VERDICT_LABELS
from deliberate.polls.labels import METHOD_LABELS
from deliberate.web import i18n
from deliberate.web.i18n import gettext as _
from deliberate.web.qr import qr_svg

PDF_TEMPLATE = "minutes/pdf.html"
PRINT_LOCALE = "zh_CN"  # minutes are the committee's record, in the official language
ROLE_LABELS = {
    "chair": i18n.lazy_gettext("Chair"),
    "secretary": i18n.lazy_gettext("Secretary"),
    "member": i18n.lazy_gettext("Member"),
}


def person_label(entry: dict[str, Any] | None) -> str:
    """How the snapshot names a person: their name with consent, else a pseudonym."""
    entry = entry or {}
    if entry.get("name"):
        return str(entry["name"])
    if entry.get("pseudonym"):
        return _("Resident %(code)s", code=entry["pseudonym"])
    return _("Deleted account")


def _when(tz: ZoneInfo) -> Any:
    def when(value: str | None, fmt: str = "medium") -> str:
        if not value:
            return ""
        return i18n.format_datetime(datetime.fromisoformat(value), tz, fmt)

    return when


def page_counter_css() -> str:
    """CSS ``content`` for "Page 3 of 12" in the current language."""
    text = _("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    out = []
    for part in re.split("(\x01|\x02)", text):
        if part == "\x01":
            out.append("counter(page)")
        elif part == "\x02":
            out.append("counter(pages)")
        elif part:
            cleaned = part.replace("\\", "").replace('"', "").replace("<", "").replace("\n", " ")
            out.append(f'"{cleaned}"')
    return " ".join(out) or "counter(page)"


def minutes_context(
    snapshot: dict[str, Any], *, snapshot_sha256: str, verify_url: str, tz: ZoneInfo
) -> dict[str, Any]:
    return {
        "s": snapshot,
        "snapshot_sha256": snapshot_sha256,
        "verify_url": verify_url,
        "qr": qr_svg(verify_url),
        "page_counter": page_counter_css(),
        "when": _when(tz),
        "person": person_label,
        "STANCES": STANCE_LABELS,
        "VERDICTS": VERDICT_LABELS,
        "METHODS": METHOD_LABELS,
        "ROLES": ROLE_LABELS,
        "PUBLICATIONS": PUBLICATION_LABELS,
        "INVITATIONS": INVITATION_LABELS,
        "RECOMMENDATIONS": RECOMMENDATION_LABELS,
        "CONFIDENCE": CONFIDENCE_LABELS,
    }


def minutes_html(
    snapshot: dict[str, Any], *, snapshot_sha256: str, verify_url: str, tz: ZoneInfo
) -> str:
    """The printable minutes (A4, cover page, contents, running header, page numbers,
    the snapshot's SHA-256 in the footer, a QR code to the verification page)."""
    from deliberate.web.templating import pdf_environment

    template = pdf_environment().get_template(PDF_TEMPLATE)
    with i18n.using_locale(PRINT_LOCALE):
        return template.render(
            **minutes_context(
                snapshot, snapshot_sha256=snapshot_sha256, verify_url=verify_url, tz=tz
            )
        )
