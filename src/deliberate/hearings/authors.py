"""How a person appears on public pages of a consultation: their display name if they
agreed to publish it, otherwise a pseudonym that is stable within the consultation and
unlinkable across consultations; "deleted account" after deletion."""

from __future__ import annotations

from deliberate.accounts.models import User
from deliberate.accounts.tokens import Keys
from deliberate.web.i18n import gettext as _


def author_label(keys: Keys, consultation_id: int, user: User) -> str:
    if user.deleted_at is not None:
        return _("Deleted account")
    if user.publish_name:
        return user.display_name
    return _("Resident %(code)s", code=keys.pseudonym(f"consultation:{consultation_id}", user.id))  # type: ignore[arg-type]
