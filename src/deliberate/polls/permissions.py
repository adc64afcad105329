"""Named permissions for polls, as predicates over a :class:`Standing` (who the actor is
to the poll's committee, whether its rule admits them, where its window stands, whether
it is frozen and closed). Tested as a role × phase matrix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deliberate.accounts.auth import Auth
from deliberate.consultations.permissions import committee_at_work, confirmed
from deliberate.errors import Forbidden, NotFound
from deliberate.phase import Phase
from deliberate.web.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Standing:
    auth: Auth | None
    member_role: str | None
    published: bool
    eligible: bool
    phase: Phase
    frozen: bool
    closed: bool
    officer_here: bool = False  # a verification officer of an area the poll covers


def _committee(s: Standing) -> bool:
    return committee_at_work(s.auth, s.member_role)


def _read(s: Standing) -> bool:
    return s.published or _committee(s)


def _vote(s: Standing) -> bool:
    return (
        s.published
        and confirmed(s.auth)
        and s.eligible
        and s.frozen
        and not s.closed
        and s.phase is Phase.open
    )


def _change(s: Standing) -> bool:
    return _committee(s) and not s.frozen


def _freeze(s: Standing) -> bool:
    return _committee(s) and not s.frozen and s.phase is not Phase.closed


def _close(s: Standing) -> bool:
    return _committee(s) and s.frozen and not s.closed and s.phase is Phase.closed


def _results(s: Standing) -> bool:
    return _read(s) and s.closed


def _paper(s: Standing) -> bool:
    return (
        s.published
        and s.officer_here
        and s.auth is not None
        and s.auth.second_factor
        and s.frozen
        and not s.closed
        and s.phase is Phase.open
    )


PERMISSIONS: dict[str, Callable[[Standing], bool]] = {
    "poll.read": _read,
    "poll.vote": _vote,
    "poll.change": _change,
    "poll.freeze": _freeze,
    "poll.close": _close,
    "poll.results": _results,
    "poll.paper": _paper,
}


def allowed(standing: Standing, name: str) -> bool:
    return PERMISSIONS[name](standing)


def why_not(standing: Standing, name: str) -> object:
    """The reason a voter (or the committee) is refused, in the reader's language."""
    if name in ("poll.vote", "poll.paper"):
        if not standing.frozen or standing.phase is Phase.before:
            return _l("Voting has not opened yet.")
        if standing.closed or standing.phase is Phase.closed:
            return _l("Voting has closed.")
        if name == "poll.vote" and not standing.eligible:
            return _l("The poll's rule does not include you.")
    if name in ("poll.change", "poll.freeze") and standing.frozen:
        return _l("The poll's settings are frozen: they can no longer change.")
    if name == "poll.close" and standing.closed:
        return _l("The poll is already closed.")
    if name == "poll.close" and standing.phase is not Phase.closed:
        return _l("The poll can be closed only after its closing time.")
    if name == "poll.results" and not standing.closed:
        return _l("Results are shown when the poll closes.")
    return _l("You are not allowed to do that.")


def require(standing: Standing, name: str) -> None:
    if allowed(standing, name):
        return
    if not _read(standing):
        raise NotFound()
    raise Forbidden(why_not(standing, name))
