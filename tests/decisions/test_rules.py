"""The pure parts of decisions, without a database: the overdue flag, "you said, we did"
grouping, the vote count, the forms, and the permissions as a role matrix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import pytest

from deliberate.accounts.services import FormInvalid
from deliberate.consultations.permissions import Standing
from deliberate.decisions import forms
from deliberate.decisions.permissions import PERMISSIONS, SECOND_FACTOR, allowed, require
from deliberate.decisions.said import Said, group
from deliberate.decisions.tracking import is_overdue, vote_counts
from deliberate.errors import Forbidden, NotFound

TODAY = date(2027, 3, 15)


@dataclass
class Item:
    status: str
    deadline: date


@pytest.mark.parametrize(
    ("status", "deadline", "overdue"),
    [
        ("planned", date(2027, 3, 14), True),
        ("in_progress", date(2027, 3, 14), True),
        ("delayed", date(2027, 1, 1), True),
        ("done", date(2027, 1, 1), False),
        ("dropped", date(2027, 1, 1), False),
        ("planned", TODAY, False),  # due today: not overdue yet
        ("in_progress", date(2027, 3, 16), False),
        ("delayed", date(2027, 4, 1), False),
    ],
)
def test_overdue_is_a_passed_deadline_of_unfinished_work(
    status: str, deadline: date, overdue: bool
) -> None:
    assert is_overdue(Item(status, deadline), TODAY) is overdue


def said(
    comment_id: int, verdict: str, *, number: int = 1, heading: str = "停车位", hearing: int = 1
) -> Said:
    return Said(
        hearing_id=hearing,
        hearing_title=f"听证{hearing}",
        section_number=number,
        section_heading=heading,
        comment_id=comment_id,
        author=f"居民 {comment_id}",
        stance="suggestion",
        body=f"意见{comment_id}",
        verdict=verdict,
        explanation=f"答复{comment_id}",
    )


def test_you_said_we_did_groups_by_section() -> None:
    entries = [
        said(5, "not_adopted", number=2, heading="收费"),
        said(3, "partly"),
        said(1, "adopted"),
        said(2, "noted"),  # answers no proposal: left out
        said(4, "not_adopted"),
        said(6, "noted", number=3, heading="其他"),  # a section with notes only: left out
        said(7, "adopted", hearing=2),
    ]
    groups = group(entries)
    assert [(g.hearing_id, g.number, g.heading) for g in groups] == [
        (1, 1, "停车位"),
        (1, 2, "收费"),
        (2, 1, "停车位"),
    ]
    first = groups[0]
    assert [e.comment_id for e in first.adopted] == [1, 3]  # adopted and partly, in order
    assert [e.comment_id for e in first.not_adopted] == [4]
    assert first.count == 3 and first.hearing_title == "听证1"
    assert [e.comment_id for e in groups[1].not_adopted] == [5] and groups[1].adopted == ()
    assert group([]) == []


def test_vote_counts() -> None:
    assert vote_counts(["for", "abstain", "for", "against"]) == {
        "for": 2,
        "against": 1,
        "abstain": 1,
    }
    assert vote_counts([]) == {"for": 0, "against": 0, "abstain": 0}


def test_the_decision_form() -> None:
    parsed = forms.parse_decision(
        {
            "minutes": "4",
            "text": "  同意。\r\n",
            "adopted_on": "2027-03-15",
            "vote-9": "against",
            "vote-2": "for",
            "vote-5": "",  # did not vote
        },
        TODAY,
    )
    assert parsed == forms.DecisionInput(4, "同意。", TODAY, ((2, "for"), (9, "against")))
    with pytest.raises(FormInvalid) as bad:
        forms.parse_decision(
            {"minutes": "x", "text": " ", "adopted_on": "2027-03-16", "vote-2": "maybe"}, TODAY
        )
    assert set(bad.value.errors) == {"minutes", "text", "adopted_on", "votes"}
    with pytest.raises(FormInvalid) as nobody:
        forms.parse_decision({"minutes": "1", "text": "a", "adopted_on": "2027-03-01"}, TODAY)
    assert set(nobody.value.errors) == {"votes"}
    with pytest.raises(FormInvalid) as long:
        forms.parse_decision(
            {"minutes": "1", "text": "a" * 20_001, "adopted_on": "2027-03-01", "vote-1": "for"},
            TODAY,
        )
    assert set(long.value.errors) == {"text"}


def test_the_item_and_update_forms() -> None:
    item = forms.parse_item(
        {"title": " 外墙保温 ", "responsible_unit": "街道城建科", "deadline": "2027-06-30"}
    )
    assert item == forms.ItemInput("外墙保温", "街道城建科", date(2027, 6, 30))
    with pytest.raises(FormInvalid) as bad:
        forms.parse_item({"title": "x" * 201, "responsible_unit": "", "deadline": "soon"})
    assert set(bad.value.errors) == {"title", "responsible_unit", "deadline"}
    update = forms.parse_update(
        {"happened_on": "2027-03-15", "status": "delayed", "note": "材料未到。"}, TODAY
    )
    assert update == forms.UpdateInput(TODAY, "delayed", "材料未到。")
    with pytest.raises(FormInvalid) as wrong:
        forms.parse_update({"happened_on": "2027-03-16", "status": "late", "note": ""}, TODAY)
    assert set(wrong.value.errors) == {"happened_on", "status", "note"}


# The role matrix --------------------------------------------------------------------

AT_WORK = SimpleNamespace(signed_in=True, second_factor=True)
PASSWORD_ONLY = SimpleNamespace(signed_in=True, second_factor=False)
ROLES = {
    # name: (auth, member role)
    "anonymous": (None, None),
    "resident": (PASSWORD_ONLY, None),
    "other committee": (AT_WORK, None),  # a member elsewhere: no role in this committee
    "member without 2FA": (PASSWORD_ONLY, "member"),
    "member": (AT_WORK, "member"),
    "secretary": (AT_WORK, "secretary"),
    "chair": (AT_WORK, "chair"),
}
COMMITTEE = {"member", "secretary", "chair"}


@pytest.mark.parametrize("published", [True, False])
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("name", list(PERMISSIONS))
def test_permission_matrix(name: str, role: str, published: bool) -> None:
    auth, member_role = ROLES[role]
    standing = Standing(auth, member_role, published)  # type: ignore[arg-type]
    if name == "decision.read":
        expected = published or role in COMMITTEE
    else:
        expected = role in COMMITTEE
    assert allowed(standing, name) is expected
    if expected:
        require(standing, name)
        return
    if not published and role not in COMMITTEE:
        with pytest.raises(NotFound):  # no hint that it exists
            require(standing, name)
        return
    with pytest.raises(Forbidden) as refused:
        require(standing, name)
    if role == "member without 2FA":
        assert refused.value.message is SECOND_FACTOR
