"""Ballots, pure: every method's form is read and checked against the frozen settings,
bad and tampered ballots are refused with a clear message, the canonical JSON is
deterministic, and the receipt is SHA-256 over the canonical ballot and the nonce."""

from __future__ import annotations

import hashlib
import json
import random
import re

import pytest

from deliberate.polls import ballots
from deliberate.polls.ballots import BallotInvalid, BallotRules
from deliberate.web.i18n import using_locale

OPTIONS = (11, 12, 13, 14)
COSTS = {11: 40_000, 12: 30_000, 13: 20_000, 14: 50_000}
RULES = {
    "single": BallotRules("single", OPTIONS, COSTS),
    "approval": BallotRules("approval", OPTIONS, COSTS, max_choices=2),
    "budget": BallotRules("budget", OPTIONS, COSTS, budget=100_000),
    "ranked": BallotRules("ranked", OPTIONS, COSTS),
    "score": BallotRules("score", OPTIONS, COSTS),
}
# A valid ballot of each method, in canonical form.
VALID = {
    "single": 12,
    "approval": [11, 13],
    "budget": [11, 12, 13],
    "ranked": [13, 11, 14],
    "score": {"11": 5, "12": 0, "13": 3, "14": 1},
}
SCORES_ALL = {"score-11": "5", "score-12": "0", "score-13": "3", "score-14": "1"}


def refused(method: str, form: dict[str, str]) -> str:
    """The message (in English) a ballot form is refused with. (Messages with numbers in
    them are put in words when raised, in the language of the moment.)"""
    with using_locale("en"), pytest.raises(BallotInvalid) as error:
        ballots.from_form(RULES[method], form)
    assert error.value.field == "ballot"
    with using_locale("en"):
        return str(error.value.message)


def refused_choice(method: str, choice: object) -> str:
    with using_locale("en"), pytest.raises(BallotInvalid) as error:
        ballots.check(RULES[method], choice)
    with using_locale("en"):
        return str(error.value.message)


UNKNOWN = "The ballot names an option that is not in this poll."
STARS_EACH = "Give every option from 0 to 5 stars."
STARS_EVERY = "Give every option from 0 to 5 stars."


# -- single ---------------------------------------------------------------------------


def test_single_reads_the_radio_button() -> None:
    assert ballots.from_form(RULES["single"], {"choice": "12"}) == 12
    assert ballots.from_form(RULES["single"], {"choice": " 14 "}) == 14


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Choose one option."),
        ({"choice": ""}, "Choose one option."),
        ({"choice": "999"}, UNKNOWN),
        ({"choice": "1 OR 1=1"}, UNKNOWN),
        ({"choice": "12; DROP TABLE ballot"}, UNKNOWN),
        ({"choice": "-11"}, UNKNOWN),
        ({"choice": "1e1"}, UNKNOWN),
        ({"other": "12"}, "Choose one option."),
    ],
    ids=["missing", "empty", "unknown", "sql", "sql2", "negative", "float", "other-field"],
)
def test_single_refuses(form: dict[str, str], message: str) -> None:
    assert refused("single", form) == message


# -- approval -------------------------------------------------------------------------


def test_approval_reads_the_ticked_boxes_in_canonical_order() -> None:
    form = {"option-13": "yes", "option-11": "yes", "option-12": "no", "csrf": "x"}
    assert ballots.from_form(RULES["approval"], form) == [11, 13]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"option-11": "yes", "option-12": "yes", "option-13": "yes"},
            "Choose at most 2 options; you chose 3.",
        ),
        ({}, "Choose at least one option."),
        ({"option-11": "no"}, "Choose at least one option."),
        ({"option-999": "yes"}, UNKNOWN),
        ({"option-11": "yes", "option-x": "yes"}, UNKNOWN),
        # The same option under two spellings of its number: a tampered form.
        ({"option-11": "yes", "option-011": "yes"}, "An option is chosen twice."),
    ],
    ids=["too-many", "none", "none-ticked", "unknown", "not-a-number", "duplicate"],
)
def test_approval_refuses(form: dict[str, str], message: str) -> None:
    assert refused("approval", form) == message


def test_approval_without_a_maximum_takes_every_option() -> None:
    rules = BallotRules("approval", OPTIONS, COSTS)
    form = {f"option-{o}": "yes" for o in OPTIONS}
    assert ballots.from_form(rules, form) == list(OPTIONS)


def test_a_duplicate_in_a_decoded_choice_is_refused() -> None:
    assert refused_choice("approval", [11, 11]) == "An option is chosen twice."
    assert refused_choice("budget", ["12", 12]) == "An option is chosen twice."
    assert refused_choice("approval", "11") == "The ballot cannot be read."


# -- budget ---------------------------------------------------------------------------


def test_budget_exactly_at_the_limit_is_accepted() -> None:
    form = {"option-11": "yes", "option-12": "yes", "option-13": "yes"}  # 90,000
    assert ballots.from_form(RULES["budget"], form) == [11, 12, 13]
    at_limit = {"option-14": "yes", "option-12": "yes", "option-13": "yes"}  # 100,000
    assert ballots.from_form(RULES["budget"], at_limit) == [12, 13, 14]
    exactly = BallotRules("budget", OPTIONS, COSTS, budget=90_000)
    assert ballots.from_form(exactly, form) == [11, 12, 13]


def test_budget_over_the_limit_says_the_total() -> None:
    form = {"option-11": "yes", "option-12": "yes", "option-14": "yes"}  # 120,000
    assert refused("budget", form) == (
        "The projects you chose cost 120000, more than the budget of 100000."
    )
    over_by_one = BallotRules("budget", OPTIONS, COSTS, budget=89_999)
    with using_locale("en"), pytest.raises(BallotInvalid) as error:
        ballots.from_form(over_by_one, {"option-11": "yes", "option-12": "yes", "option-13": "yes"})
    with using_locale("en"):
        assert "90000" in str(error.value.message) and "89999" in str(error.value.message)


def test_budget_has_no_maximum_number_of_choices() -> None:
    rules = BallotRules("budget", OPTIONS, {o: 1 for o in OPTIONS}, max_choices=1, budget=10)
    assert ballots.check(rules, list(OPTIONS)) == list(OPTIONS)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Choose at least one option."),
        ({"option-999": "yes"}, UNKNOWN),
        ({"option-13": "yes", "option-13 ": "yes"}, "An option is chosen twice."),
    ],
    ids=["none", "unknown", "duplicate"],
)
def test_budget_refuses(form: dict[str, str], message: str) -> None:
    assert refused("budget", form) == message


# -- ranked ---------------------------------------------------------------------------


def test_ranked_reads_the_selects_and_ignores_trailing_blanks() -> None:
    form = {"rank-1": "13", "rank-2": "11", "rank-3": "", "rank-4": " "}
    assert ballots.from_form(RULES["ranked"], form) == [13, 11]
    full = {"rank-1": "14", "rank-2": "13", "rank-3": "12", "rank-4": "11"}
    assert ballots.from_form(RULES["ranked"], full) == [14, 13, 12, 11]
    # Ranks beyond the number of options are not read.
    assert ballots.from_form(RULES["ranked"], {"rank-1": "12", "rank-5": "999"}) == [12]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"rank-1": "11", "rank-2": "11"}, "An option is ranked twice."),
        ({"rank-1": "11", "rank-2": "", "rank-3": "12"}, "Fill the ranks in order, without gaps."),
        ({"rank-2": "11"}, "Fill the ranks in order, without gaps."),
        ({}, "Rank at least one option."),
        ({"rank-1": "", "rank-2": ""}, "Rank at least one option."),
        ({"rank-1": "11", "rank-2": "999"}, UNKNOWN),
        ({"rank-1": "11 OR 1=1"}, UNKNOWN),
    ],
    ids=["duplicate", "gap", "missing-first", "none", "blank", "unknown", "tampered"],
)
def test_ranked_refuses(form: dict[str, str], message: str) -> None:
    assert refused("ranked", form) == message


# -- score ----------------------------------------------------------------------------


def test_score_reads_a_star_per_option() -> None:
    assert ballots.from_form(RULES["score"], SCORES_ALL) == {"11": 5, "12": 0, "13": 3, "14": 1}
    zeros = {f"score-{o}": "0" for o in OPTIONS}
    assert ballots.from_form(RULES["score"], zeros) == {str(o): 0 for o in OPTIONS}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("6", STARS_EACH),
        ("-1", STARS_EVERY),
        ("abc", STARS_EVERY),
        ("", STARS_EVERY),
        ("2.5", STARS_EVERY),
        ("²", STARS_EVERY),  # a digit to str.isdigit, not to int()
        ("99999999999999999999", STARS_EACH),
    ],
    ids=["six", "negative", "letters", "empty", "fraction", "superscript", "huge"],
)
def test_score_out_of_range_is_refused(value: str, message: str) -> None:
    assert refused("score", {**SCORES_ALL, "score-13": value}) == message


def test_score_needs_every_option() -> None:
    missing = {k: v for k, v in SCORES_ALL.items() if k != "score-12"}
    assert refused("score", missing) == STARS_EVERY
    assert refused_choice("score", {"11": 5, "12": 0, "13": 3}) == STARS_EVERY
    extra = {"11": 5, "12": 0, "13": 3, "14": 1, "999": 2}
    assert refused_choice("score", extra) == UNKNOWN
    assert refused_choice("score", {"11": True, "12": 0, "13": 3, "14": 1}) == STARS_EACH
    assert refused_choice("score", {"11": "5", "12": 0, "13": 3, "14": 1}) == STARS_EACH
    assert refused_choice("score", [5, 0, 3, 1]) == "The ballot cannot be read."


# -- canonical form, receipts and the board -------------------------------------------


def test_check_gives_one_canonical_form_whatever_the_spelling() -> None:
    assert ballots.check(RULES["approval"], ["13", 11]) == [11, 13]
    assert ballots.check(RULES["budget"], (13, "12")) == [12, 13]
    assert ballots.check(RULES["ranked"], ["14", "11"]) == [14, 11]  # order is the ballot
    scored = ballots.check(RULES["score"], {14: 1, "13": 3, 12: 0, "11": 5})
    assert list(scored) == ["11", "12", "13", "14"]
    assert ballots.canonical(scored) == '{"11":5,"12":0,"13":3,"14":1}'
    assert ballots.canonical(ballots.check(RULES["single"], "12")) == "12"
    assert ballots.canonical([11, 13]) == "[11,13]"


def test_canonical_json_is_deterministic() -> None:
    shuffled = dict(random.Random(7).sample(sorted(VALID["score"].items()), 4))  # type: ignore[union-attr]
    assert ballots.canonical(shuffled) == ballots.canonical(VALID["score"])
    assert ballots.canonical({"b": [1, 2], "a": "甲"}) == '{"a":"甲","b":[1,2]}'
    for method, choice in VALID.items():
        text = ballots.canonical(choice)
        assert " " not in text
        assert ballots.canonical(json.loads(text)) == text, method


def test_a_receipt_is_sha256_over_the_canonical_ballot_and_the_nonce() -> None:
    nonce = ballots.new_nonce()
    assert re.fullmatch(r"[0-9a-f]{64}", nonce)  # 256 bits
    for choice in VALID.values():
        expected = hashlib.sha256(f"{ballots.canonical(choice)}\n{nonce}".encode()).hexdigest()
        assert ballots.receipt(choice, nonce) == expected
    assert ballots.receipt(12, "ab") == hashlib.sha256(b"12\nab").hexdigest()


def test_the_nonce_hides_the_ballot() -> None:
    nonces = {ballots.new_nonce() for _ in range(50)}
    assert len(nonces) == 50
    receipts = {ballots.receipt(12, nonce) for nonce in nonces}
    assert len(receipts) == 50
    # Without the nonce, trying every choice does not find the receipt.
    receipt = ballots.receipt(12, nonces.pop())
    assert receipt not in {
        hashlib.sha256(ballots.canonical(o).encode()).hexdigest() for o in OPTIONS
    }


@pytest.mark.parametrize("method", sorted(VALID))
def test_the_hidden_fields_round_trip(method: str) -> None:
    choice = VALID[method]
    form = ballots.to_form(method, choice)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in form.items())
    assert ballots.from_form(RULES[method], form) == choice
    again = ballots.from_form(RULES[method], ballots.to_form(method, choice))
    assert ballots.canonical(again) == ballots.canonical(choice)


def test_the_board_hash_does_not_depend_on_row_order() -> None:
    rows = [(ballots.receipt(c, ballots.new_nonce()), ballots.canonical(c)) for c in OPTIONS * 5]
    expected = ballots.board_sha256(rows)
    assert re.fullmatch(r"[0-9a-f]{64}", expected)
    for seed in range(5):
        shuffled = list(rows)
        random.Random(seed).shuffle(shuffled)
        assert ballots.board_sha256(shuffled) == expected
    lines = "".join(f"{r} {c}\n" for r, c in sorted(rows))
    assert expected == hashlib.sha256(lines.encode()).hexdigest()
    # Any change to a ballot changes it.
    changed = [(rows[0][0], "14"), *rows[1:]]
    assert ballots.board_sha256(changed) != expected
    assert ballots.board_sha256(rows[1:]) != expected
    assert ballots.board_sha256([]) == hashlib.sha256(b"").hexdigest()
