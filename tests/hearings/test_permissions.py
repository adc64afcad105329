"""The named permissions of hearings and consultations as a role × phase matrix.

The tables below are the policy, written out cell by cell: who may do what before the
comment window opens, while it is open and after it has closed, for a published
consultation and for one still in draft. Every cell is asserted against the pure
predicates in ``deliberate.hearings.permissions`` and ``deliberate.consultations.permissions``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.consultations import permissions as consultation_permissions
from deliberate.errors import Forbidden, NotFound
from deliberate.hearings import permissions
from deliberate.hearings.permissions import Standing
from deliberate.phase import Phase
from deliberate.web.i18n import using_locale

MOMENT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def fake_auth(
    *,
    confirmed: bool = True,
    totp: bool = False,
    second_factor: bool = False,
    committee_member: bool = False,
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
    return Auth(user, session, committee_member=committee_member, officer=False)


RESIDENT = fake_auth()
COMMITTEE = fake_auth(totp=True, second_factor=True, committee_member=True)

# name: (auth, role in the owning committee, the hearing's rule admits them)
ROLES: dict[str, tuple[Auth | None, str | None, bool]] = {
    "anonymous": (None, None, False),
    "unconfirmed": (fake_auth(confirmed=False), None, False),
    "not_eligible": (RESIDENT, None, False),  # confirmed, verified elsewhere
    "eligible": (RESIDENT, None, True),
    # A member of another committee who lives in the area: a resident here, nothing more.
    "other_committee": (COMMITTEE, None, True),
    "member": (COMMITTEE, "member", True),
    # Committee members who have not passed the second factor: enrolled in TOTP and not yet
    # through the code (not signed in at all), or a password-only session without TOTP.
    "member_awaiting_code": (
        fake_auth(totp=True, second_factor=False, committee_member=True),
        "member",
        True,
    ),
    "member_no_totp": (fake_auth(committee_member=True), "member", True),
    "secretary": (COMMITTEE, "secretary", True),
    "chair": (COMMITTEE, "chair", True),
}
PHASES = (Phase.before, Phase.open, Phase.closed)

# Each cell: allowed before / while / after the comment window ("y" yes, "-" no).
# fmt: off
COLUMNS = ("anonymous", "unconfirmed", "not_eligible", "eligible", "other_committee",
           "member", "member_awaiting_code", "member_no_totp", "secretary", "chair")
PUBLISHED: dict[str, tuple[str, ...]] = {
    #                     anon   unconf notelg  elig  other member await  nototp secr  chair
    "hearing.read":      ("yyy", "yyy", "yyy", "yyy", "yyy", "yyy", "yyy", "yyy", "yyy", "yyy"),
    "hearing.comment":   ("---", "---", "---", "-y-", "-y-", "-y-", "---", "-y-", "-y-", "-y-"),
    "hearing.endorse":   ("---", "---", "---", "-y-", "-y-", "-y-", "---", "-y-", "-y-", "-y-"),
    "hearing.flag":      ("---", "---", "yyy", "yyy", "yyy", "yyy", "---", "yyy", "yyy", "yyy"),
    "hearing.configure": ("---", "---", "---", "---", "---", "y--", "---", "---", "y--", "y--"),
    "hearing.revise":    ("---", "---", "---", "---", "---", "yy-", "---", "---", "yy-", "yy-"),
    "hearing.moderate":  ("---", "---", "---", "---", "---", "yyy", "---", "---", "yyy", "yyy"),
    "hearing.respond":   ("---", "---", "---", "---", "---", "-yy", "---", "---", "-yy", "-yy"),
    "speakers.manage":   ("---", "---", "---", "---", "---", "yyy", "---", "---", "yyy", "yyy"),
    "sessions.record":   ("---", "---", "---", "---", "---", "---", "---", "---", "yyy", "yyy"),
}
# A consultation still in draft: only its committee (past the second factor) sees it.
UNPUBLISHED: dict[str, tuple[str, ...]] = {
    #                     anon   unconf notelg  elig  other member await  nototp secr  chair
    "hearing.read":      ("---", "---", "---", "---", "---", "yyy", "---", "---", "yyy", "yyy"),
    "hearing.comment":   ("---", "---", "---", "---", "---", "---", "---", "---", "---", "---"),
    "hearing.endorse":   ("---", "---", "---", "---", "---", "---", "---", "---", "---", "---"),
    "hearing.flag":      ("---", "---", "---", "---", "---", "---", "---", "---", "---", "---"),
    "hearing.configure": ("---", "---", "---", "---", "---", "y--", "---", "---", "y--", "y--"),
    "hearing.revise":    ("---", "---", "---", "---", "---", "yy-", "---", "---", "yy-", "yy-"),
    "hearing.moderate":  ("---", "---", "---", "---", "---", "yyy", "---", "---", "yyy", "yyy"),
    "hearing.respond":   ("---", "---", "---", "---", "---", "-yy", "---", "---", "-yy", "-yy"),
    "speakers.manage":   ("---", "---", "---", "---", "---", "yyy", "---", "---", "yyy", "yyy"),
    "sessions.record":   ("---", "---", "---", "---", "---", "---", "---", "---", "yyy", "yyy"),
}
# speakers.apply, whatever the comment window: the call for speakers open / closed (or the
# list published) / no call at all.
APPLY: dict[bool, tuple[str, ...]] = {
    #        anon   unconf notelg  elig  other member await  nototp secr  chair
    True:  ("---", "---", "---", "y--", "y--", "y--", "---", "y--", "y--", "y--"),
    False: ("---", "---", "---", "---", "---", "---", "---", "---", "---", "---"),
}
# Consultation permissions (no window): published / draft ("y" yes, "-" no).
CONSULTATION: dict[str, tuple[str, ...]] = {
    #                       anon  unconf notelg elig  other member await nototp secr  chair
    "consultation.read":   ("y-", "y-", "y-", "y-", "y-", "yy", "y-", "y-", "yy", "yy"),
    "consultation.manage": ("--", "--", "--", "--", "--", "yy", "--", "--", "yy", "yy"),
    "consultation.follow": ("--", "--", "y-", "y-", "y-", "y-", "--", "y-", "y-", "y-"),
}
# fmt: on
CALLS = (Phase.open, Phase.closed, None)


def standing(role: str, *, published: bool, phase: Phase, call: Phase | None = None) -> Standing:
    auth, member_role, eligible = ROLES[role]
    return Standing(auth, member_role, published, eligible, phase, call)


def test_the_tables_cover_every_role_and_permission() -> None:
    assert set(COLUMNS) == set(ROLES) and len(COLUMNS) == len(ROLES)
    named = set(permissions.PERMISSIONS) - {"speakers.apply"}
    assert set(PUBLISHED) == named and set(UNPUBLISHED) == named
    assert set(CONSULTATION) == set(consultation_permissions.PERMISSIONS)
    for table in (PUBLISHED, UNPUBLISHED, APPLY, CONSULTATION):
        for cells in table.values():
            assert len(cells) == len(COLUMNS)


@pytest.mark.parametrize("published", [True, False], ids=["published", "draft"])
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_hearing_matrix(name: str, published: bool) -> None:
    table = PUBLISHED if published else UNPUBLISHED
    wrong = []
    for role, cells in zip(COLUMNS, table[name], strict=True):
        for phase, cell in zip(PHASES, cells, strict=True):
            for call in CALLS:  # the call for speakers changes none of these
                got = permissions.allowed(
                    standing(role, published=published, phase=phase, call=call), name
                )
                if got != (cell == "y"):
                    wrong.append(f"{role} {phase.value} (call {call}): expected {cell}, got {got}")
    assert wrong == []


@pytest.mark.parametrize("published", [True, False], ids=["published", "draft"])
def test_speakers_apply_matrix(published: bool) -> None:
    wrong = []
    for role, cells in zip(COLUMNS, APPLY[published], strict=True):
        for call, cell in zip(CALLS, cells, strict=True):
            for phase in PHASES:  # the comment window does not matter to the call
                got = permissions.allowed(
                    standing(role, published=published, phase=phase, call=call), "speakers.apply"
                )
                if got != (cell == "y"):
                    wrong.append(f"{role} call {call} window {phase.value}: expected {cell}")
    assert wrong == []


@pytest.mark.parametrize("name", sorted(CONSULTATION))
def test_consultation_matrix(name: str) -> None:
    wrong = []
    for role, cells in zip(COLUMNS, CONSULTATION[name], strict=True):
        auth, member_role, _eligible = ROLES[role]
        for published, cell in zip((True, False), cells, strict=True):
            got = consultation_permissions.allowed(
                consultation_permissions.Standing(auth, member_role, published), name
            )
            if got != (cell == "y"):
                wrong.append(f"{role} published={published}: expected {cell}, got {got}")
    assert wrong == []


def reason(error: pytest.ExceptionInfo[Forbidden]) -> str:
    with using_locale("en"):
        return str(error.value.message)


@pytest.mark.parametrize("role", ["anonymous", "eligible", "other_committee", "member_no_totp"])
@pytest.mark.parametrize("name", ["hearing.read", "hearing.comment", "hearing.moderate"])
def test_what_cannot_be_read_is_not_found(role: str, name: str) -> None:
    with pytest.raises(NotFound):
        permissions.require(standing(role, published=False, phase=Phase.open), name)


@pytest.mark.parametrize("role", ["anonymous", "eligible", "other_committee"])
def test_a_draft_consultation_is_not_found(role: str) -> None:
    auth, member_role, _eligible = ROLES[role]
    for name in consultation_permissions.PERMISSIONS:
        with pytest.raises(NotFound):
            consultation_permissions.require(
                consultation_permissions.Standing(auth, member_role, False), name
            )


def test_require_says_why_the_window_stands_in_the_way() -> None:
    with pytest.raises(Forbidden) as closed:
        permissions.require(
            standing("eligible", published=True, phase=Phase.closed), "hearing.comment"
        )
    assert reason(closed) == "The comment window has closed."
    with pytest.raises(Forbidden) as early:
        permissions.require(
            standing("eligible", published=True, phase=Phase.before), "hearing.endorse"
        )
    assert reason(early) == "The comment window has not opened yet."
    with pytest.raises(Forbidden) as frozen:
        permissions.require(
            standing("chair", published=True, phase=Phase.open), "hearing.configure"
        )
    assert reason(frozen) == "The window has opened: its dates and rule are frozen."
    with pytest.raises(Forbidden) as revise:
        permissions.require(standing("chair", published=True, phase=Phase.closed), "hearing.revise")
    assert reason(revise) == "The comment window has closed."
    with pytest.raises(Forbidden) as respond:
        permissions.require(
            standing("chair", published=True, phase=Phase.before), "hearing.respond"
        )
    assert reason(respond) == "The comment window has not opened yet."


def test_require_says_why_otherwise() -> None:
    with pytest.raises(Forbidden) as rule:
        permissions.require(
            standing("not_eligible", published=True, phase=Phase.open), "hearing.comment"
        )
    assert reason(rule) == "The hearing's rule does not include you."
    with pytest.raises(Forbidden) as rule_to_apply:
        permissions.require(
            standing("not_eligible", published=True, phase=Phase.open, call=Phase.open),
            "speakers.apply",
        )
    assert reason(rule_to_apply) == "The hearing's rule does not include you."
    with pytest.raises(Forbidden) as call:
        permissions.require(
            standing("eligible", published=True, phase=Phase.open, call=Phase.closed),
            "speakers.apply",
        )
    assert reason(call) == "Applications to speak are not open."
    for role, name in (("eligible", "hearing.moderate"), ("member", "sessions.record")):
        with pytest.raises(Forbidden) as other:
            permissions.require(standing(role, published=True, phase=Phase.open), name)
        assert reason(other) == "You are not allowed to do that."
    with pytest.raises(Forbidden) as manage:
        consultation_permissions.require(
            consultation_permissions.Standing(RESIDENT, None, True), "consultation.manage"
        )
    assert reason(manage) == "You are not allowed to do that."


def test_require_passes_silently_when_allowed() -> None:
    permissions.require(standing("eligible", published=True, phase=Phase.open), "hearing.comment")
    permissions.require(
        standing("secretary", published=False, phase=Phase.closed), "sessions.record"
    )
    consultation_permissions.require(
        consultation_permissions.Standing(COMMITTEE, "member", False), "consultation.manage"
    )
