"""Words for stored codes, in the reader's language."""

from __future__ import annotations

from deliberate.web.i18n import lazy_gettext as _l

STAGE_LABELS = {
    "draft": _l("In preparation"),
    "open": _l("Open for participation"),
    "deliberation": _l("Under deliberation"),
    "minutes": _l("Minutes being prepared"),
    "decided": _l("Decided"),
    "implementing": _l("Being implemented"),
    "closed": _l("Closed"),
}


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS.get(stage, stage))
