"""Named permissions for expert forums: predicates over what is known about the actor and
the forum at one moment (:class:`Standing`). Opinions are sealed until the deadline: no
predicate lets anyone but the author read one before it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deliberate.accounts.auth import Auth
from deliberate.consultations.permissions import committee_at_work, signed_in
from deliberate.errors import Forbidden, NotFound
from deliberate.forums.models import InvitationStatus, Publication
from deliberate.web.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Own:
    """The actor's own invitation to the forum."""

    status: str
    credentialed: bool  # the forum's committee has verified their expertise
    declared: bool  # conflicts of interest declared


@dataclass(frozen=True)
class Standing:
    auth: Auth | None
    member_role: str | None  # in the committee that owns the consultation
    published: bool  # the consultation
    sealed: bool  # before the deadline
    publication: str
    own: Own | None = None


def _committee(s: Standing) -> bool:
    return committee_at_work(s.auth, s.member_role)


def _expert(s: Standing) -> bool:
    """An invited expert who accepted, is credentialed and past the second factor."""
    return (
        s.own is not None
        and s.own.status == InvitationStatus.accepted
        and s.own.credentialed
        and signed_in(s.auth)
        and s.auth.second_factor  # type: ignore[union-attr]
    )


def _read(s: Standing) -> bool:
    """The consultation's readers, and (while it is a draft) whoever holds an invitation
    they have not declined."""
    invited = s.own is not None and s.own.status != InvitationStatus.declined
    return s.published or _committee(s) or invited


def _manage(s: Standing) -> bool:
    return _committee(s)


def _declare(s: Standing) -> bool:
    return _expert(s) and s.sealed


def _write(s: Standing) -> bool:
    return _declare(s) and s.own.declared  # type: ignore[union-attr]


def _read_opinions(s: Standing) -> bool:
    """Other people's opinions: never while sealed; then the committee always, everyone
    who can read the consultation unless the opinions are confidential."""
    if s.sealed:
        return False
    if _committee(s):
        return True
    return s.publication != Publication.confidential and _read(s)


def _ask(s: Standing) -> bool:
    return _committee(s) and not s.sealed


def _answer(s: Standing) -> bool:
    return _expert(s) and not s.sealed


PERMISSIONS: dict[str, Callable[[Standing], bool]] = {
    "forum.read": _read,
    "forum.manage": _manage,  # invite, verify credentials, see who has submitted
    "forum.declare": _declare,
    "forum.write": _write,  # draft, attach, submit, amend
    "forum.read_opinions": _read_opinions,
    "forum.follow_up.ask": _ask,
    "forum.follow_up.answer": _answer,
}


def allowed(standing: Standing, name: str) -> bool:
    return PERMISSIONS[name](standing)


def require(standing: Standing, name: str) -> None:
    """Unreadable forums are "not found"; the rest "forbidden", with the reason when
    there is one the actor can act on."""
    if allowed(standing, name):
        return
    if not _read(standing):
        raise NotFound()
    if (
        name in ("forum.declare", "forum.write")
        and standing.own is not None
        and not standing.sealed
    ):
        raise Forbidden(_l("The deadline has passed: opinions can no longer be changed."))
    if name == "forum.write" and _declare(standing):
        raise Forbidden(_l("Declare your conflicts of interest before you write."))
    if name in ("forum.declare", "forum.write") and standing.own is not None:
        if standing.own.status != InvitationStatus.accepted:
            raise Forbidden(_l("Accept the invitation first."))
        if not standing.own.credentialed:
            raise Forbidden(_l("The committee has not yet verified your credentials."))
    if name == "forum.read_opinions" and standing.sealed:
        raise Forbidden(_l("Opinions are sealed until the deadline."))
    raise Forbidden(_l("You are not allowed to do that."))
