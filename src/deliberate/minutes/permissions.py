"""Named permissions for minutes, as predicates over a :class:`Standing`: the secretary or
the chair compiles, only the chair approves (both past the second factor); the committee
previews drafts; anyone reads published versions of a published consultation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deliberate.accounts.auth import Auth
from deliberate.consultations.permissions import committee_at_work
from deliberate.errors import Forbidden, NotFound
from deliberate.web.i18n import lazy_gettext as _l

COMPILERS = frozenset({"chair", "secretary"})


@dataclass(frozen=True)
class Standing:
    auth: Auth | None
    member_role: str | None
    published: bool  # the consultation is public


def _committee(s: Standing) -> bool:
    return committee_at_work(s.auth, s.member_role)


def _read(s: Standing) -> bool:
    return s.published or _committee(s)


def _compile(s: Standing) -> bool:
    return _committee(s) and s.member_role in COMPILERS


def _approve(s: Standing) -> bool:
    return _committee(s) and s.member_role == "chair"


PERMISSIONS: dict[str, Callable[[Standing], bool]] = {
    "minutes.read": _read,  # published versions
    "minutes.preview": _committee,  # drafts and the rendering's progress
    "minutes.compile": _compile,
    "minutes.approve": _approve,
}

SECOND_FACTOR = _l("Confirm your sign-in with your second factor first.")
WHY_NOT = {
    "minutes.compile": _l("Only the committee's secretary or chair compiles the minutes."),
    "minutes.approve": _l("Only the committee's chair approves the minutes."),
}


def allowed(standing: Standing, name: str) -> bool:
    return PERMISSIONS[name](standing)


def require(standing: Standing, name: str) -> None:
    """Unreadable things are "not found"; the rest "forbidden" with the reason."""
    if allowed(standing, name):
        return
    if not _read(standing) or (name == "minutes.preview"):
        raise NotFound()
    if standing.member_role is not None and not _committee(standing):
        raise Forbidden(SECOND_FACTOR)
    raise Forbidden(WHY_NOT.get(name, _l("You are not allowed to do that.")))
