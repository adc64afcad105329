"""`check` as a table of rules × people × dates."""

from datetime import date

import pytest

from deliberate.identity.eligibility import (
    Decision,
    EligibilityRule,
    Person,
    Verification,
    check,
    oldest_birth_year,
)

# city 1 → district 2 → street 3 → community 4; district 5 → village 6
PARENTS = {1: None, 2: 1, 3: 2, 4: 3, 5: 1, 6: 5}
ON = date(2026, 11, 28)


def verified(
    area: int,
    born: int | None = 1980,
    *,
    until: date | None = None,
    since: date = date(2026, 1, 1),
    revoked: bool = False,
) -> Verification:
    return Verification(area, born, since, until, revoked)


RESIDENT_4 = Person(10, True, (verified(4),))
RESIDENT_6 = Person(11, True, (verified(6),))
UNCONFIRMED = Person(12, False, (verified(4),))
UNVERIFIED = Person(13, True)
EXPIRED = Person(14, True, (verified(4, until=date(2026, 11, 27)),))
REVOKED = Person(15, True, (verified(4, revoked=True),))
NOT_YET = Person(16, True, (verified(4, since=date(2026, 11, 29)),))
TEEN_2009 = Person(17, True, (verified(4, born=2009),))
TEEN_2010 = Person(18, True, (verified(4, born=2010),))
MOVED = Person(
    19, True, (verified(6, until=date(2026, 6, 30)), verified(4, since=date(2026, 7, 1)))
)

ANYONE = EligibilityRule()
VERIFIED_ANYWHERE = EligibilityRule(verified=True)
DISTRICT_2 = EligibilityRule(area_ids=(2,))
DISTRICT_2_ONLY = EligibilityRule(area_ids=(2,), include_descendants=False)
COMMUNITY_4_16 = EligibilityRule(area_ids=(4,), min_age=16)
LISTED = EligibilityRule(account_ids=(10, 13))

TABLE = [
    (RESIDENT_4, ANYONE, "ok"),
    (UNVERIFIED, ANYONE, "ok"),
    (UNCONFIRMED, ANYONE, "not_confirmed"),
    (UNVERIFIED, VERIFIED_ANYWHERE, "not_verified"),
    (RESIDENT_6, VERIFIED_ANYWHERE, "ok"),
    (RESIDENT_4, DISTRICT_2, "ok"),  # a descendant
    (RESIDENT_6, DISTRICT_2, "wrong_area"),
    (RESIDENT_4, DISTRICT_2_ONLY, "wrong_area"),
    (Person(20, True, (verified(2),)), DISTRICT_2_ONLY, "ok"),
    (EXPIRED, DISTRICT_2, "not_verified"),
    (REVOKED, DISTRICT_2, "not_verified"),
    (NOT_YET, DISTRICT_2, "not_verified"),
    (MOVED, DISTRICT_2, "ok"),  # the current verification counts, the old one not
    (MOVED, EligibilityRule(area_ids=(5,)), "wrong_area"),
    (TEEN_2009, COMMUNITY_4_16, "ok"),  # born 2009: at least 16 on 28 Nov 2026
    (TEEN_2010, COMMUNITY_4_16, "too_young"),  # born 2010: may still be 15
    (RESIDENT_4, LISTED, "ok"),
    (UNVERIFIED, LISTED, "ok"),
    (RESIDENT_6, LISTED, "not_listed"),
    (Person(21, True, (verified(4, born=None),)), COMMUNITY_4_16, "too_young"),
]


@pytest.mark.parametrize(("person", "rule", "reason"), TABLE)
def test_table(person: Person, rule: EligibilityRule, reason: str) -> None:
    decision = check(person, rule, ON, PARENTS)
    assert decision.reason == reason
    assert decision.allowed is (reason == "ok")


@pytest.mark.parametrize(
    ("born", "on", "allowed"),
    [
        (2009, date(2025, 12, 31), False),  # born 2009: may still be 15 in 2025
        (2009, date(2026, 1, 1), True),  # from 1 January of the year after they turn 16
        (2010, date(2026, 12, 31), False),
        (2010, date(2027, 1, 1), True),
    ],
)
def test_age_boundaries(born: int, on: date, allowed: bool) -> None:
    person = Person(1, True, (verified(4, born=born, since=date(2020, 1, 1)),))
    assert check(person, COMMUNITY_4_16, on, PARENTS).allowed is allowed


def test_too_young_says_from_which_birth_year() -> None:
    decision = check(TEEN_2010, COMMUNITY_4_16, ON, PARENTS)
    assert decision == Decision(False, "too_young", {"min_age": 16, "born_by": 2009})
    assert oldest_birth_year(16, ON) == 2009


def test_a_cycle_in_the_tree_does_not_hang() -> None:
    looped = {1: 2, 2: 1, 4: 1}
    rule = EligibilityRule(area_ids=(9,))
    assert check(RESIDENT_4, rule, ON, looped).reason == "wrong_area"


def test_rules_freeze_to_canonical_json_and_back() -> None:
    rule = EligibilityRule(area_ids=(5, 2), min_age=16, account_ids=(9, 3))
    same = EligibilityRule(area_ids=(2, 5), min_age=16, account_ids=(3, 9))
    assert rule.canonical() == same.canonical() and rule.digest() == same.digest()
    assert EligibilityRule.from_canonical(rule.canonical()).canonical() == rule.canonical()
    assert EligibilityRule(area_ids=(2,), min_age=18).digest() != rule.digest()
    with pytest.raises(ValueError):
        EligibilityRule.from_canonical('{"version": 2}')


def test_descendants_of_several_roots() -> None:
    from deliberate.identity.eligibility import descendants

    assert descendants((2,), PARENTS) == {2, 3, 4}
    assert descendants((3, 5), PARENTS) == {3, 4, 5, 6}
    assert descendants((), PARENTS) == set()
    assert descendants((1,), {1: 2, 2: 1}) == {1, 2}  # a cycle does not hang
