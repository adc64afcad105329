"""The named permissions of expert forums as a role × deadline × publication matrix.

The tables below are the policy, written out cell by cell: who may do what while the
opinions are sealed (before the deadline) and once they are released (after it), for each
publication mode, in a published consultation and in one still in draft. Every cell is
asserted against the pure predicates in ``deliberate.forums.permissions``.

Reading one's *own* opinion is no named permission (only its author's invitation reaches
it, see the service tests); ``forum.read_opinions`` is everybody else's opinions, so an
expert invited to the forum and a credentialed expert who is not stand the same there.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.errors import Forbidden, NotFound
from deliberate.forums import permissions
from deliberate.forums.models import InvitationStatus, Publication
from deliberate.forums.permissions import Own, Standing
from deliberate.web.i18n import using_locale

MOMENT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def fake_auth(
    *,
    role: str = "resident",
    totp: bool = False,
    second_factor: bool = False,
    committee_member: bool = False,
    expert: bool = False,
) -> Auth:
    """An ``Auth`` as the middleware builds it, without a database."""
    user = User(
        id=1,
        public_id="p" * 16,
        email="someone@example.org",
        display_name="someone",
        role=role,
        confirmed_at=MOMENT,
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
    return Auth(user, session, committee_member=committee_member, officer=False, expert=expert)


EXPERT = fake_auth(totp=True, second_factor=True, expert=True)
COMMITTEE = fake_auth(totp=True, second_factor=True, committee_member=True)
ACCEPTED = InvitationStatus.accepted.value

# name: (auth, role in the owning committee, own invitation to this forum)
ROLES: dict[str, tuple[Auth | None, str | None, Own | None]] = {
    # Invited, accepted, credentialed, declared: the author of an opinion.
    "expert": (EXPERT, None, Own(ACCEPTED, credentialed=True, declared=True)),
    "undeclared": (EXPERT, None, Own(ACCEPTED, credentialed=True, declared=False)),
    # Accepted, but the committee has not verified their expertise yet.
    "unverified": (
        fake_auth(totp=True, second_factor=True),
        None,
        Own(ACCEPTED, credentialed=False, declared=False),
    ),
    # Invited by account (so the invitation is theirs) and not answered yet; declined.
    "invited": (EXPERT, None, Own(InvitationStatus.invited.value, True, False)),
    "declined": (EXPERT, None, Own(InvitationStatus.declined.value, True, False)),
    # Everything in order but the second factor.
    "expert_awaiting_code": (
        fake_auth(totp=True, second_factor=False, expert=True),
        None,
        Own(ACCEPTED, credentialed=True, declared=True),
    ),
    # A credentialed expert of the committee who is not in this forum.
    "other_expert": (EXPERT, None, None),
    "member": (COMMITTEE, "member", None),
    "chair": (COMMITTEE, "chair", None),
    "member_awaiting_code": (
        fake_auth(totp=True, second_factor=False, committee_member=True),
        "member",
        None,
    ),
    # A member of another committee: here, nobody special.
    "other_committee": (COMMITTEE, None, None),
    "admin": (fake_auth(role="admin", totp=True, second_factor=True), None, None),
    "resident": (fake_auth(), None, None),
    "anonymous": (None, None, None),
}
PUBLICATIONS = (Publication.named, Publication.anonymised, Publication.confidential)

# Each cell: "sr sr sr" = sealed / released for named, anonymised, confidential
# ("y" allowed, "-" not).
# fmt: off
COLUMNS = ("expert", "undeclared", "unverified", "invited", "declined", "expert_awaiting_code",
           "other_expert", "member", "chair", "member_awaiting_code", "other_committee",
           "admin", "resident", "anonymous")
NONE = "-- -- --"
ALL = "yy yy yy"
SEALED = "y- y- y-"
RELEASED = "-y -y -y"
PUBLIC = "-y -y --"  # released, and not confidential
PUBLISHED: dict[str, dict[str, str]] = {
    "forum.read": dict.fromkeys(COLUMNS, ALL),
    "forum.manage": {**dict.fromkeys(COLUMNS, NONE), "member": ALL, "chair": ALL},
    "forum.declare": {**dict.fromkeys(COLUMNS, NONE), "expert": SEALED, "undeclared": SEALED},
    "forum.write": {**dict.fromkeys(COLUMNS, NONE), "expert": SEALED},
    "forum.read_opinions": {
        **dict.fromkeys(COLUMNS, PUBLIC), "member": RELEASED, "chair": RELEASED,
    },
    "forum.follow_up.ask": {**dict.fromkeys(COLUMNS, NONE), "member": RELEASED, "chair": RELEASED},
    "forum.follow_up.answer": {
        **dict.fromkeys(COLUMNS, NONE), "expert": RELEASED, "undeclared": RELEASED,
    },
}
# A consultation still in draft: its committee and whoever holds an invitation they have
# not declined see it.
INVITED = ("expert", "undeclared", "unverified", "invited", "expert_awaiting_code")
UNPUBLISHED: dict[str, dict[str, str]] = {
    **PUBLISHED,
    "forum.read": {
        **dict.fromkeys(COLUMNS, NONE), **dict.fromkeys(INVITED, ALL), "member": ALL, "chair": ALL,
    },
    "forum.read_opinions": {
        **dict.fromkeys(COLUMNS, NONE),
        **dict.fromkeys(INVITED, PUBLIC),
        "member": RELEASED,
        "chair": RELEASED,
    },
}
# fmt: on


def standing(role: str, *, published: bool, sealed: bool, publication: str) -> Standing:
    auth, member_role, own = ROLES[role]
    return Standing(auth, member_role, published, sealed, publication, own)


def test_the_tables_cover_every_role_and_permission() -> None:
    assert set(COLUMNS) == set(ROLES) and len(COLUMNS) == len(ROLES)
    for table in (PUBLISHED, UNPUBLISHED):
        assert set(table) == set(permissions.PERMISSIONS)
        for cells in table.values():
            assert set(cells) == set(COLUMNS)
            assert all(re.fullmatch(r"[y-]{2} [y-]{2} [y-]{2}", c) for c in cells.values())


@pytest.mark.parametrize("published", [True, False], ids=["published", "draft"])
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_forum_matrix(name: str, published: bool) -> None:
    table = PUBLISHED if published else UNPUBLISHED
    wrong = []
    for role in COLUMNS:
        for publication, pair in zip(PUBLICATIONS, table[name][role].split(), strict=True):
            for sealed, cell in zip((True, False), pair, strict=True):
                got = permissions.allowed(
                    standing(role, published=published, sealed=sealed, publication=publication),
                    name,
                )
                if got != (cell == "y"):
                    phase = "sealed" if sealed else "released"
                    wrong.append(f"{role} {publication.value} {phase}: expected {cell}, got {got}")
    assert wrong == []


def test_nobody_reads_other_opinions_while_sealed() -> None:
    """The seal, stated on its own: no role, mode or consultation state opens it."""
    for role in ROLES:
        for publication in PUBLICATIONS:
            for published in (True, False):
                s = standing(role, published=published, sealed=True, publication=publication)
                assert not permissions.allowed(s, "forum.read_opinions"), (role, publication)


def reason(error: pytest.ExceptionInfo[Forbidden]) -> str:
    with using_locale("en"):
        return str(error.value.message)


@pytest.mark.parametrize("role", ["anonymous", "resident", "admin", "other_committee"])
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_a_forum_in_a_draft_consultation_is_not_found(role: str, name: str) -> None:
    for sealed in (True, False):
        with pytest.raises(NotFound):
            permissions.require(
                standing(role, published=False, sealed=sealed, publication="named"), name
            )


def test_require_says_the_deadline_has_passed() -> None:
    for role in ("expert", "undeclared"):
        for name in ("forum.declare", "forum.write"):
            with pytest.raises(Forbidden) as late:
                permissions.require(
                    standing(role, published=True, sealed=False, publication="named"), name
                )
            assert reason(late) == "The deadline has passed: opinions can no longer be changed."
            assert not isinstance(late.value, NotFound)


def test_require_says_declare_first() -> None:
    with pytest.raises(Forbidden) as undeclared:
        permissions.require(
            standing("undeclared", published=True, sealed=True, publication="named"),
            "forum.write",
        )
    assert reason(undeclared) == "Declare your conflicts of interest before you write."


def test_require_says_not_yet_verified_or_accept_first() -> None:
    for name in ("forum.declare", "forum.write"):
        with pytest.raises(Forbidden) as unverified:
            permissions.require(
                standing("unverified", published=False, sealed=True, publication="named"), name
            )
        assert reason(unverified) == "The committee has not yet verified your credentials."
        for role in ("invited", "declined"):
            with pytest.raises(Forbidden) as pending:
                permissions.require(
                    standing(role, published=True, sealed=True, publication="named"), name
                )
            assert reason(pending) == "Accept the invitation first."


def test_require_says_opinions_are_sealed() -> None:
    for role in ("resident", "anonymous", "expert"):
        with pytest.raises(Forbidden) as sealed:
            permissions.require(
                standing(role, published=True, sealed=True, publication="named"),
                "forum.read_opinions",
            )
        assert reason(sealed) == "Opinions are sealed until the deadline."


def test_require_says_not_allowed_otherwise() -> None:
    cases = (
        ("resident", "forum.manage", True),
        ("admin", "forum.manage", True),
        ("other_committee", "forum.follow_up.ask", False),
        ("member", "forum.follow_up.answer", False),
        ("resident", "forum.read_opinions", False),  # confidential, after release
        ("expert", "forum.read_opinions", False),
        ("admin", "forum.read_opinions", False),
    )
    for role, name, sealed in cases:
        with pytest.raises(Forbidden) as refused:
            permissions.require(
                standing(role, published=True, sealed=sealed, publication="confidential"), name
            )
        assert reason(refused) == "You are not allowed to do that.", (role, name)


def test_require_lets_through_what_is_allowed() -> None:
    permissions.require(
        standing("expert", published=False, sealed=True, publication="confidential"),
        "forum.write",
    )
    permissions.require(
        standing("member", published=False, sealed=False, publication="confidential"),
        "forum.read_opinions",
    )
