from datetime import date

import pytest

from deliberate.identity.eligibility import EligibilityRule, Person, Verification, check
from deliberate.identity.explain import describe_rule, explain
from deliberate.web.i18n import using_locale

NAMES = {2: "金水区"}
RULE = EligibilityRule(area_ids=(2,), min_age=16)
PARENTS = {1: None, 2: 1, 4: 2}


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Verified residents of 金水区 aged 16 or over"), ("zh_CN", "金水区年满 16 周岁")],
)
def test_rule_in_words(locale: str, expected: str) -> None:
    with using_locale(locale):
        assert expected in describe_rule(RULE, NAMES)


def test_every_reason_has_words_in_both_languages() -> None:
    people = {
        "ok": Person(1, True, (Verification(4, 1980, date(2026, 1, 1), None),)),
        "not_confirmed": Person(1, False),
        "not_verified": Person(1, True),
        "wrong_area": Person(1, True, (Verification(1, 1980, date(2026, 1, 1), None),)),
        "too_young": Person(1, True, (Verification(4, 2015, date(2026, 1, 1), None),)),
    }
    for reason, someone in people.items():
        decision = check(someone, RULE, date(2026, 11, 28), PARENTS)
        assert decision.reason == reason
        with using_locale("en"):
            english = explain(decision, RULE, NAMES)
        with using_locale("zh_CN"):
            chinese = explain(decision, RULE, NAMES)
        assert english.startswith("This is for: ") and english != chinese
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese.replace("金水区", ""))
    too_young = check(people["too_young"], RULE, date(2026, 11, 28), PARENTS)
    with using_locale("en"):
        assert "born in 2009 or earlier" in explain(too_young, RULE, NAMES)
