"""Named permissions for hearings, as predicates over a :class:`Standing`: who the actor
is to the hearing's committee, whether the hearing's frozen rule admits them, and where
the comment window stands. Services build the standing and call :func:`require`; pages
call :func:`allowed` to decide what to offer. The role × phase matrix is tested."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deliberate.accounts.auth import Auth
from deliberate.consultations.permissions import committee_at_work, confirmed
from deliberate.errors import Forbidden, NotFound
from deliberate.phase import Phase
from deliberate.web.i18n import lazy_gettext as _l

RECORDERS = frozenset({"chair", "secretary"})


@dataclass(frozen=True)
class Standing:
    auth: Auth | None
    member_role: str | None
    published: bool  # the consultation is public
    eligible: bool  # the hearing's rule admits the actor
    phase: Phase  # the comment window
    call: Phase | None = None  # the call for speakers: applications open / closed


def _committee(s: Standing) -> bool:
    return committee_at_work(s.auth, s.member_role)


def _read(s: Standing) -> bool:
    return s.published or _committee(s)


def _take_part(s: Standing) -> bool:
    return s.published and confirmed(s.auth) and s.eligible and s.phase is Phase.open


def _comment(s: Standing) -> bool:
    """Those the rule admits, and the committee (answering in the threads)."""
    return _take_part(s) or (s.published and _committee(s) and s.phase is Phase.open)


def _flag(s: Standing) -> bool:
    return s.published and confirmed(s.auth)


def _configure(s: Standing) -> bool:
    return _committee(s) and s.phase is Phase.before


def _revise(s: Standing) -> bool:
    return _committee(s) and s.phase is not Phase.closed


def _respond(s: Standing) -> bool:
    return _committee(s) and s.phase is not Phase.before


def _apply(s: Standing) -> bool:
    return s.published and confirmed(s.auth) and s.eligible and s.call is Phase.open


def _record(s: Standing) -> bool:
    return _committee(s) and s.member_role in RECORDERS


PERMISSIONS: dict[str, Callable[[Standing], bool]] = {
    "hearing.read": _read,
    "hearing.comment": _comment,
    "hearing.endorse": _take_part,
    "hearing.flag": _flag,
    "hearing.configure": _configure,
    "hearing.revise": _revise,
    "hearing.moderate": _committee,
    "hearing.respond": _respond,
    "speakers.apply": _apply,
    "speakers.manage": _committee,
    "sessions.record": _record,
}

WHY_NOT = {
    "hearing.comment": {
        Phase.before: _l("The comment window has not opened yet."),
        Phase.closed: _l("The comment window has closed."),
    },
    "hearing.endorse": {
        Phase.before: _l("The comment window has not opened yet."),
        Phase.closed: _l("The comment window has closed."),
    },
    "hearing.configure": {
        Phase.open: _l("The window has opened: its dates and rule are frozen."),
        Phase.closed: _l("The window has opened: its dates and rule are frozen."),
    },
    "hearing.revise": {Phase.closed: _l("The comment window has closed.")},
    "hearing.respond": {Phase.before: _l("The comment window has not opened yet.")},
}


def allowed(standing: Standing, name: str) -> bool:
    return PERMISSIONS[name](standing)


def require(standing: Standing, name: str) -> None:
    """Raise with the most useful reason: not found for what the actor may not even
    read, the window's phase when that is what stands in the way, else forbidden."""
    if allowed(standing, name):
        return
    if not _read(standing):
        raise NotFound()
    reason = WHY_NOT.get(name, {}).get(standing.phase)
    if reason is not None:
        raise Forbidden(reason)
    if name in ("hearing.comment", "hearing.endorse", "speakers.apply") and not standing.eligible:
        raise Forbidden(_l("The hearing's rule does not include you."))
    if name == "speakers.apply" and standing.call is not Phase.open:
        raise Forbidden(_l("Applications to speak are not open."))
    raise Forbidden(_l("You are not allowed to do that."))
