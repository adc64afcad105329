"""Words for stored decision codes, in the reader's language."""

from __future__ import annotations

from deliberate.web.i18n import lazy_gettext as _l

VOTE_LABELS = {
    "for": _l("For"),
    "against": _l("Against"),
    "abstain": _l("Abstain"),
}

STATUS_LABELS = {
    "planned": _l("Planned"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "delayed": _l("Delayed"),
    "dropped": _l("Dropped"),
}

ROLE_LABELS = {
    "chair": _l("Chair"),
    "secretary": _l("Secretary"),
    "member": _l("Member"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
