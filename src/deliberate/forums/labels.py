"""Words for stored forum codes, in the reader's language, and how an expert is named."""

from __future__ import annotations

from typing import Any

from deliberate.accounts.models import User
from deliberate.forums.models import Publication
from deliberate.identity.models import ExpertCredential
from deliberate.web.i18n import lazy_gettext as _l

PUBLICATION_LABELS = {
    "named": _l("With the expert's name and title"),
    "anonymised": _l("Anonymised (“Expert B, structural engineering”)"),
    "confidential": _l("Confidential to the committee"),
}

PUBLICATION_EXPLANATIONS = {
    "named": _l(
        "After the deadline your opinion is published with your name, title and organisation."
    ),
    "anonymised": _l(
        "After the deadline your opinion is published under a letter and your field, "
        "without your name. The committee knows who you are."
    ),
    "confidential": _l(
        "After the deadline only the committee reads your opinion; the public learns only "
        "how many opinions were received."
    ),
}

STATUS_LABELS = {
    "invited": _l("Invited"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
}

RECOMMENDATION_LABELS = {
    "proceed": _l("Proceed as proposed"),
    "proceed_with_changes": _l("Proceed with changes"),
    "do_not_proceed": _l("Do not proceed"),
    "further_study": _l("Study further first"),
}

CONFIDENCE_LABELS = {
    "low": _l("Low"),
    "medium": _l("Medium"),
    "high": _l("High"),
}


def expert_label(
    publication: str,
    letter: str,
    user: User | None,
    credential: ExpertCredential | None,
    *,
    committee: bool,
) -> Any:
    """How an opinion's author is shown: the committee always sees the name; the public
    sees the name (named) or the letter and the field (anonymised)."""
    field = credential.field if credential else ""
    if committee or publication == Publication.named:
        name = user.display_name if user else _l("Deleted account")
        if credential:
            return _l("%(name)s, %(title)s, %(organisation)s") % {
                "name": name,
                "title": credential.title,
                "organisation": credential.organisation,
            }
        return name
    if field:
        return _l("Expert %(letter)s, %(field)s") % {"letter": letter, "field": field}
    return _l("Expert %(letter)s") % {"letter": letter}
