"""Named permissions for consultations: small predicates over what is known about the
actor and the consultation at one moment (see :class:`Standing`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deliberate.accounts.auth import Auth
from deliberate.errors import Forbidden, NotFound
from deliberate.web.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Standing:
    auth: Auth | None
    member_role: str | None  # the actor's role in the owning committee, if any
    published: bool


def signed_in(auth: Auth | None) -> bool:
    return auth is not None and auth.signed_in


def confirmed(auth: Auth | None) -> bool:
    return signed_in(auth) and auth.confirmed  # type: ignore[union-attr]


def committee_at_work(auth: Auth | None, member_role: str | None) -> bool:
    """A member of the owning committee, past the second factor."""
    return member_role is not None and signed_in(auth) and auth.second_factor  # type: ignore[union-attr]


def _read(s: Standing) -> bool:
    return s.published or committee_at_work(s.auth, s.member_role)


def _manage(s: Standing) -> bool:
    return committee_at_work(s.auth, s.member_role)


def _follow(s: Standing) -> bool:
    return s.published and confirmed(s.auth)


PERMISSIONS: dict[str, Callable[[Standing], bool]] = {
    "consultation.read": _read,
    "consultation.manage": _manage,
    "consultation.follow": _follow,
}


def allowed(standing: Standing, name: str) -> bool:
    return PERMISSIONS[name](standing)


def require(standing: Standing, name: str) -> None:
    """Unreadable things are "not found" (no hint that they exist); the rest "forbidden"."""
    if allowed(standing, name):
        return
    if not _read(standing):
        raise NotFound()
    raise Forbidden(_l("You are not allowed to do that."))
