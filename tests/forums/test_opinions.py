"""What an opinion is on the record, without the database: canonical JSON and its hash,
expert letters, the recommendation tally, drafts read back, and the answer forms."""

from __future__ import annotations

import hashlib
import json

import pytest

from deliberate.accounts.services import FormInvalid
from deliberate.forums import forms, opinions
from deliberate.forums.forms import Answer, parse_answers, require_complete
from deliberate.web.i18n import using_locale


def english(error: pytest.ExceptionInfo[FormInvalid]) -> dict[str, str]:
    with using_locale("en"):
        return {name: str(message) for name, message in error.value.errors.items()}


def test_canonical_json_is_key_sorted_compact_and_keeps_unicode() -> None:
    value = {"b": [1, {"z": "专家", "a": None}], "a": "x\ny", "c": True}
    text = opinions.canonical(value)
    assert text == '{"a":"x\\ny","b":[1,{"a":null,"z":"专家"}],"c":true}'
    shuffled = {"c": True, "a": "x\ny", "b": [1, {"a": None, "z": "专家"}]}
    assert opinions.canonical(shuffled) == text
    assert json.loads(text) == value


def test_sha256_is_of_the_utf8_bytes() -> None:
    text = opinions.canonical({"意见": "同意"})
    assert opinions.sha256(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert len(opinions.sha256("")) == 64
    assert opinions.sha256("a") != opinions.sha256("b")


@pytest.mark.parametrize(
    ("index", "letter"),
    [(0, "A"), (1, "B"), (2, "C"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"),
     (701, "ZZ"), (702, "AAA")],
)  # fmt: skip
def test_letter_for(index: int, letter: str) -> None:
    assert opinions.letter_for(index) == letter


def test_letters_are_distinct_and_fit_the_column() -> None:
    letters = [opinions.letter_for(i) for i in range(2000)]
    assert len(set(letters)) == len(letters)
    assert max(len(x) for x in letters) <= 4


def test_tally_counts_in_the_fixed_order() -> None:
    got = opinions.tally(["further_study", "proceed", "further_study", "do_not_proceed"])
    assert got == [
        ("proceed", 1),
        ("proceed_with_changes", 0),
        ("do_not_proceed", 1),
        ("further_study", 2),
    ]
    assert opinions.tally([]) == [
        ("proceed", 0),
        ("proceed_with_changes", 0),
        ("do_not_proceed", 0),
        ("further_study", 0),
    ]


def test_a_draft_reads_back_as_written() -> None:
    answers = {
        1: Answer(summary="摘要", analysis="分析\n第二段", recommendation="proceed"),
        3: Answer(confidence="low", references="GB 50009"),
    }
    text = opinions.draft_json(answers)
    assert opinions.read_draft(text) == answers
    assert list(json.loads(text)) == ["1", "3"]
    assert opinions.read_draft(None) == {} and opinions.read_draft("") == {}
    assert opinions.draft_json(dict(reversed(answers.items()))) == text


def test_version_content_lists_the_answers_by_question() -> None:
    answers = {2: Answer("s2", "a2", "proceed", "", "high", ""), 1: Answer("s1", "a1")}
    text = opinions.version_content(
        forum_id=7,
        letter="B",
        number=2,
        conflicts="",
        questions=[(1, "Q1"), (2, "Q2")],
        answers=answers,
        attachments=[{"filename": "a.pdf", "sha256": "0" * 64, "size": 3}],
    )
    value = json.loads(text)
    assert (value["forum"], value["expert"], value["version"]) == (7, "B", 2)
    assert [a["question"] for a in value["answers"]] == [1, 2]
    assert value["answers"][1] == {"question": 2, "question_text": "Q2", **answers[2].as_json()}
    assert value["attachments"][0]["sha256"] == "0" * 64
    assert text == opinions.canonical(value)


def answer_form(n: int = 1, **fields: str) -> dict[str, str]:
    return {f"{name}_{n}": value for name, value in fields.items()}


def test_parse_answers_reads_every_field_and_tidies_lines() -> None:
    form = {
        **answer_form(1, summary="  摘要 \n", analysis="第一段\r\n第二段", confidence="high"),
        **answer_form(2, recommendation=" proceed ", recommendation_note="注", references="R"),
        "summary_9": "not asked",
    }
    got = parse_answers(form, [1, 2])
    assert set(got) == {1, 2}
    assert got[1].summary == "摘要" and got[1].confidence == "high"
    assert got[1].analysis.splitlines() == ["第一段", "第二段"]
    assert got[2].recommendation == "proceed" and got[2].references == "R"
    assert got[2].summary == "" and not got[2].blank
    assert parse_answers({}, [1])[1].blank


@pytest.mark.parametrize(
    ("name", "limit", "message"),
    [
        ("summary", forms.MAX_SUMMARY, "The summary can be at most 500 characters."),
        ("analysis", forms.MAX_ANALYSIS, "The analysis can be at most 20,000 characters."),
        (
            "recommendation_note",
            forms.MAX_RECOMMENDATION_NOTE,
            "The note on the recommendation can be at most 1,000 characters.",
        ),
        ("references", forms.MAX_REFERENCES, "The references can be at most 3,000 characters."),
    ],
)
def test_parse_answers_limits_each_field(name: str, limit: int, message: str) -> None:
    assert getattr(parse_answers(answer_form(2, **{name: "意" * limit}), [2])[2], name)
    with pytest.raises(FormInvalid) as long:
        parse_answers(answer_form(2, **{name: "意" * (limit + 1)}), [2])
    assert english(long) == {f"{name}_2": message}


def test_parse_answers_refuses_unknown_choices() -> None:
    with pytest.raises(FormInvalid) as wrong:
        parse_answers(
            {
                **answer_form(1, recommendation="maybe", confidence="medium"),
                **answer_form(3, recommendation="proceed", confidence="total"),
            },
            [1, 3],
        )
    assert english(wrong) == {
        "recommendation_1": "Choose a recommendation from the list.",
        "confidence_3": "Choose low, medium or high confidence.",
    }
    for value in ("further_study", "do_not_proceed", "proceed_with_changes"):
        assert parse_answers(answer_form(1, recommendation=value), [1])[1].recommendation == value


def test_require_complete_names_every_missing_field() -> None:
    complete = Answer("摘要", "分析", "proceed", "", "low", "")
    require_complete({1: complete, 2: complete})
    with pytest.raises(FormInvalid) as missing:
        require_complete({1: complete, 2: Answer(summary="只有摘要"), 3: Answer()})
    assert english(missing) == {
        "analysis_2": "Enter your analysis.",
        "recommendation_2": "Choose a recommendation from the list.",
        "confidence_2": "Choose low, medium or high confidence.",
        "summary_3": "Enter a short summary of your answer.",
        "analysis_3": "Enter your analysis.",
        "recommendation_3": "Choose a recommendation from the list.",
        "confidence_3": "Choose low, medium or high confidence.",
    }


def test_answers_as_form_shows_them_again() -> None:
    answers = {1: Answer("s", "a", "proceed", "n", "high", "r"), 4: Answer(summary="x")}
    assert parse_answers(forms.answers_as_form(answers), [1, 4]) == answers


def test_parse_declaration() -> None:
    assert forms.parse_declaration({"conflicts": "none", "description": "ignored"}) == ""
    assert forms.parse_declaration({"conflicts": "some", "description": " 顾问 "}) == "顾问"
    with pytest.raises(FormInvalid) as unsaid:
        forms.parse_declaration({})
    assert english(unsaid) == {"conflicts": "Say whether you have a conflict of interest."}
    for description in ("", "x" * (forms.MAX_CONFLICTS + 1)):
        with pytest.raises(FormInvalid) as bad:
            forms.parse_declaration({"conflicts": "some", "description": description})
        assert list(english(bad)) == ["description"]
