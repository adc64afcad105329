"""The named permissions of polls as a role × state matrix.

The tables below are the policy, written out cell by cell: who may do what to a poll in
each of its seven states — its settings still open to change (a draft) before, during and
after its voting window; frozen before, during and after the window; and closed (tallied)
— for a published consultation and for one still in draft. Every cell is asserted against
the pure predicates in ``deliberate.polls.permissions``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.errors import Forbidden, NotFound
from deliberate.phase import Phase
from deliberate.polls import permissions
from deliberate.polls.permissions import Standing
from deliberate.web.i18n import using_locale

MOMENT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def fake_auth(
    *,
    confirmed: bool = True,
    totp: bool = False,
    second_factor: bool = False,
    committee_member: bool = False,
    officer: bool = False,
) -> Auth:
    """An ``Auth`` as the middleware builds it, without a database."""
    user = User(
        id=1,
        public_id="p" * 16,
        email="someone@example.org",
        display_name="someone",
        confirmed_at=MOMENT if confirmed else None,
        totp_enabled_at=MOMENT if totp else None,
        created_at=MOMENT,
    )
    session = UserSession(
        token_hash="x" * 64,
        user_id=1,
        created_at=MOMENT,
        last_seen_at=MOMENT,
        expires_at=MOMENT,
        second_factor_at=MOMENT if second_factor else None,
    )
    return Auth(user, session, committee_member=committee_member, officer=officer)


RESIDENT = fake_auth()
COMMITTEE = fake_auth(totp=True, second_factor=True, committee_member=True)
OFFICER = fake_auth(totp=True, second_factor=True, officer=True)


# name: (auth, role in the owning committee, the poll's rule admits them, an officer of an
# area the poll covers)
ROLES: dict[str, tuple[Auth | None, str | None, bool, bool]] = {
    "anonymous": (None, None, False, False),
    "unconfirmed": (fake_auth(confirmed=False), None, False, False),
    "not_eligible": (RESIDENT, None, False, False),  # confirmed, verified elsewhere
    "eligible": (RESIDENT, None, True, False),
    # A member of the owning committee past the second factor (who also lives there).
    "member": (COMMITTEE, "member", True, False),
    # Members who have not passed the second factor: enrolled in TOTP and not yet through
    # the code (not signed in at all), or a password-only session without TOTP (signed
    # in: a resident like any other, not the committee).
    "member_awaiting_code": (
        fake_auth(totp=True, second_factor=False, committee_member=True),
        "member",
        True,
        False,
    ),
    "member_no_totp": (fake_auth(committee_member=True), "member", True, False),
    # A verification officer of the poll's area past the second factor (living elsewhere).
    "officer": (OFFICER, None, False, True),
    "officer_awaiting_code": (
        fake_auth(totp=True, second_factor=False, officer=True),
        None,
        False,
        True,
    ),
    "officer_no_totp": (fake_auth(officer=True), None, False, True),
    # An officer of an unrelated area.
    "officer_elsewhere": (OFFICER, None, False, False),
}

# The poll's states: (frozen, closed, phase of its window).
STATES: dict[str, tuple[bool, bool, Phase]] = {
    "draft_before": (False, False, Phase.before),
    "draft_open": (False, False, Phase.open),
    "draft_after": (False, False, Phase.closed),
    "frozen_before": (True, False, Phase.before),
    "frozen_open": (True, False, Phase.open),
    "frozen_after": (True, False, Phase.closed),
    "closed": (True, True, Phase.closed),
}
STATE_ORDER = tuple(STATES)

# Each cell: allowed in the seven states, in the order of STATES ("y" yes, "-" no):
#   draft before/open/after, frozen before/open/after, closed.
# fmt: off
PUBLISHED: dict[str, dict[str, str]] = {
    "poll.read": {
        "anonymous": "yyyyyyy", "unconfirmed": "yyyyyyy", "not_eligible": "yyyyyyy",
        "eligible": "yyyyyyy", "member": "yyyyyyy", "member_awaiting_code": "yyyyyyy",
        "member_no_totp": "yyyyyyy", "officer": "yyyyyyy", "officer_awaiting_code": "yyyyyyy",
        "officer_no_totp": "yyyyyyy", "officer_elsewhere": "yyyyyyy",
    },
    "poll.vote": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "----y--", "member": "----y--", "member_awaiting_code": "-------",
        "member_no_totp": "----y--", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.change": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "yyy----", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.freeze": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "yy-----", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.close": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "-----y-", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.results": {
        "anonymous": "------y", "unconfirmed": "------y", "not_eligible": "------y",
        "eligible": "------y", "member": "------y", "member_awaiting_code": "------y",
        "member_no_totp": "------y", "officer": "------y", "officer_awaiting_code": "------y",
        "officer_no_totp": "------y", "officer_elsewhere": "------y",
    },
    "poll.paper": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "-------", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "----y--", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
}
# A consultation still in draft: only its committee (past the second factor) sees its
# polls; nobody votes, on paper or online.
UNPUBLISHED: dict[str, dict[str, str]] = {
    "poll.read": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "yyyyyyy", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.vote": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "-------", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.change": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "yyy----", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.freeze": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "yy-----", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.close": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "-----y-", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.results": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "------y", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
    "poll.paper": {
        "anonymous": "-------", "unconfirmed": "-------", "not_eligible": "-------",
        "eligible": "-------", "member": "-------", "member_awaiting_code": "-------",
        "member_no_totp": "-------", "officer": "-------", "officer_awaiting_code": "-------",
        "officer_no_totp": "-------", "officer_elsewhere": "-------",
    },
}
# fmt: on


def standing(role: str, state: str, *, published: bool = True) -> Standing:
    auth, member_role, eligible, officer_here = ROLES[role]
    frozen, closed, phase = STATES[state]
    return Standing(
        auth=auth,
        member_role=member_role,
        published=published,
        eligible=eligible,
        phase=phase,
        frozen=frozen,
        closed=closed,
        officer_here=officer_here,
    )


def test_the_tables_cover_every_role_state_and_permission() -> None:
    for table in (PUBLISHED, UNPUBLISHED):
        assert set(table) == set(permissions.PERMISSIONS)
        for cells in table.values():
            assert set(cells) == set(ROLES)
            assert all(
                len(cell) == len(STATES) and set(cell) <= {"y", "-"} for cell in cells.values()
            )


@pytest.mark.parametrize("published", [True, False], ids=["published", "draft"])
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_poll_matrix(name: str, published: bool) -> None:
    table = PUBLISHED if published else UNPUBLISHED
    wrong = []
    for role, cells in table[name].items():
        for state, cell in zip(STATE_ORDER, cells, strict=True):
            got = permissions.allowed(standing(role, state, published=published), name)
            if got != (cell == "y"):
                wrong.append(f"{role} {state}: expected {cell}, got {got}")
    assert wrong == []


def reason(error: pytest.ExceptionInfo[Forbidden]) -> str:
    with using_locale("en"):
        return str(error.value.message)


def forbidden(role: str, state: str, name: str) -> str:
    with pytest.raises(Forbidden) as error:
        permissions.require(standing(role, state), name)
    return reason(error)


@pytest.mark.parametrize(
    "role",
    ["anonymous", "unconfirmed", "eligible", "member_no_totp", "officer", "officer_elsewhere"],
)
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_a_poll_of_an_unpublished_consultation_is_not_found_by_outsiders(
    role: str, name: str
) -> None:
    for state in STATES:
        with pytest.raises(NotFound):
            permissions.require(standing(role, state, published=False), name)


def test_require_lets_allowed_actions_through() -> None:
    permissions.require(standing("eligible", "frozen_open"), "poll.vote")
    permissions.require(standing("officer", "frozen_open"), "poll.paper")
    permissions.require(standing("member", "frozen_after"), "poll.close")
    permissions.require(standing("anonymous", "closed"), "poll.results")
    permissions.require(standing("member", "draft_before", published=False), "poll.change")


def test_require_says_why_a_voter_cannot_vote() -> None:
    not_yet = "Voting has not opened yet."
    assert forbidden("eligible", "frozen_before", "poll.vote") == not_yet
    # Settings not yet frozen: votes are not taken, whatever the clock says.
    assert forbidden("eligible", "draft_before", "poll.vote") == not_yet
    assert forbidden("eligible", "draft_open", "poll.vote") == not_yet
    assert forbidden("eligible", "frozen_after", "poll.vote") == "Voting has closed."
    assert forbidden("eligible", "closed", "poll.vote") == "Voting has closed."
    rule = "The poll's rule does not include you."
    assert forbidden("not_eligible", "frozen_open", "poll.vote") == rule
    assert forbidden("unconfirmed", "frozen_open", "poll.vote") == rule
    assert forbidden("officer", "frozen_open", "poll.vote") == rule
    # The window is explained first: an outsider is not told the rule excludes them
    # before it matters.
    assert forbidden("not_eligible", "frozen_before", "poll.vote") == not_yet


def test_require_says_why_the_booth_is_closed() -> None:
    assert forbidden("officer", "frozen_before", "poll.paper") == "Voting has not opened yet."
    assert forbidden("officer", "draft_open", "poll.paper") == "Voting has not opened yet."
    assert forbidden("officer", "frozen_after", "poll.paper") == "Voting has closed."
    assert forbidden("officer", "closed", "poll.paper") == "Voting has closed."
    for role in ("officer_elsewhere", "officer_no_totp", "eligible", "member"):
        assert forbidden(role, "frozen_open", "poll.paper") == "You are not allowed to do that."


def test_require_says_why_the_committee_cannot_act() -> None:
    frozen = "The poll's settings are frozen: they can no longer change."
    for state in ("frozen_before", "frozen_open", "frozen_after", "closed"):
        assert forbidden("member", state, "poll.change") == frozen
        assert forbidden("member", state, "poll.freeze") == frozen
    too_early = "The poll can be closed only after its closing time."
    assert forbidden("member", "frozen_before", "poll.close") == too_early
    assert forbidden("member", "frozen_open", "poll.close") == too_early
    assert forbidden("eligible", "frozen_open", "poll.results") == (
        "Results are shown when the poll closes."
    )
    not_allowed = "You are not allowed to do that."
    assert forbidden("member", "draft_after", "poll.freeze") == not_allowed
    assert forbidden("eligible", "draft_before", "poll.change") == not_allowed
    assert forbidden("member_no_totp", "draft_before", "poll.change") == not_allowed
    assert forbidden("anonymous", "frozen_after", "poll.close") == not_allowed
