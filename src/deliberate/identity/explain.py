"""Saying in the person's language why they may or may not take part."""

from __future__ import annotations

from collections.abc import Mapping

from deliberate.identity.eligibility import Decision, EligibilityRule
from deliberate.web.i18n import gettext as _
from deliberate.web.i18n import ngettext


def describe_rule(rule: EligibilityRule, area_names: Mapping[int, str]) -> str:
    """Who the rule admits, e.g. "Verified residents of 金水区 aged 16 or over"."""
    if rule.account_ids:
        return ngettext(
            "The %(num)d invited person", "The %(num)d invited people", len(rule.account_ids)
        )
    places = "、".join(area_names.get(a, "?") for a in rule.area_ids)
    if rule.area_ids and rule.min_age is not None:
        return _(
            "Verified residents of %(places)s aged %(age)s or over", places=places, age=rule.min_age
        )
    if rule.area_ids:
        return _("Verified residents of %(places)s", places=places)
    if rule.min_age is not None:
        return _("Verified residents aged %(age)s or over", age=rule.min_age)
    if rule.verified:
        return _("Verified residents")
    return _("Everyone with a confirmed account")


def explain(decision: Decision, rule: EligibilityRule, area_names: Mapping[int, str]) -> str:
    """One sentence: who may take part, and why this person may or may not."""
    who = describe_rule(rule, area_names)
    reasons = {
        "ok": _("You may take part."),
        "not_confirmed": _("Confirm your account first."),
        "not_listed": _("You are not on the list of invited people."),
        "not_verified": _("Verify where you live first."),
        "wrong_area": _("Your verified address is not in this area."),
        "too_young": _(
            "With only the year of birth known, people born in %(year)s or earlier can take part.",
            year=decision.params.get("born_by", ""),
        ),
    }
    return _("This is for: %(who)s. %(reason)s", who=who, reason=reasons[decision.reason])
