"""Words for stored hearing codes, in the reader's language."""

from __future__ import annotations

from deliberate.web.i18n import lazy_gettext as _l

STANCE_LABELS = {
    "support": _l("Support"),
    "oppose": _l("Oppose"),
    "suggestion": _l("Suggestion"),
    "question": _l("Question"),
}

VERDICT_LABELS = {
    "adopted": _l("Adopted"),
    "partly": _l("Partly adopted"),
    "not_adopted": _l("Not adopted"),
    "noted": _l("Noted"),
}

PHASE_LABELS = {
    "before": _l("Not open yet"),
    "open": _l("Open for comment"),
    "closed": _l("Closed for comment"),
}
