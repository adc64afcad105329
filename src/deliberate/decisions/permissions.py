"""Named permissions for decisions, as pure predicates over a :class:`Standing`: members
of the owning committee past the second factor record decisions, implementation items
and progress updates; everyone who can read the consultation reads them."""

from __future__ import annotations

from collections.abc import Callable

from deliberate.consultations.permissions import Standing, committee_at_work
from deliberate.errors import Forbidden, NotFound
from deliberate.web.i18n import lazy_gettext as _l

__all__ = ["PERMISSIONS", "Standing", "allowed", "require"]


def _read(s: Standing) -> bool:
    return s.published or committee_at_work(s.auth, s.member_role)


def _committee(s: Standing) -> bool:
    return committee_at_work(s.auth, s.member_role)


PERMISSIONS: dict[str, Callable[[Standing], bool]] = {
    "decision.read": _read,
    "decision.adopt": _committee,
    "decision.track": _committee,  # implementation items and their progress updates
}

SECOND_FACTOR = _l("Confirm your sign-in with your second factor first.")
WHY_NOT = _l("Only the committee that runs the consultation records its decision.")


def allowed(standing: Standing, name: str) -> bool:
    return PERMISSIONS[name](standing)


def require(standing: Standing, name: str) -> None:
    """Unreadable things are "not found"; the rest "forbidden" with the reason."""
    if allowed(standing, name):
        return
    if not _read(standing):
        raise NotFound()
    if standing.member_role is not None:
        raise Forbidden(SECOND_FACTOR)
    raise Forbidden(WHY_NOT)
