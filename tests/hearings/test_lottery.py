"""The speaker lottery: reproducibility, quotas, validation, uniformity and the re-run script."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from deliberate.hearings.lottery import (
    ALGORITHM,
    STANCES,
    Applicant,
    Draw,
    applicants_digest,
    commitment,
    draw,
    new_secret,
    normalise_public_value,
    seed,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCRIPT = DOCS / "rerun_lottery.py"

SECRET = "0123456789abcdef" * 4
PUBLIC_VALUE = "双色球 第2025028期 03 07 12 19 26 31 + 09"
VECTOR_STANCES = {
    1: "support",
    2: "support",
    3: "oppose",
    4: "support",
    5: "suggestion",
    6: "question",
    7: "support",
    8: "oppose",
    9: "support",
    10: "suggestion",
    11: "support",
    12: "oppose",
}
VECTOR = [Applicant(ticket, stance) for ticket, stance in VECTOR_STANCES.items()]
VECTOR_QUOTAS = {"oppose": 2, "question": 1}

# Upper critical values of chi-square at p = 0.001, by degrees of freedom.
CHI2_CRITICAL = {3: 16.266, 5: 20.515, 9: 27.877}


def secret_number(n: int) -> str:
    """A distinct, reproducible secret per draw, so the statistical tests are not flaky."""
    return hashlib.sha256(f"secret {n}".encode()).hexdigest()


def chi_square(counts: Mapping[int, int], keys: Sequence[int]) -> float:
    """Pearson's chi-square of counts over keys against a uniform expectation."""
    total = sum(counts[key] for key in keys)
    expected = total / len(keys)
    return sum((counts[key] - expected) ** 2 / expected for key in keys)


def record(
    applicants: Sequence[Applicant], seats: int, quotas: Mapping[str, int], secret: str, value: str
) -> dict[str, Any]:
    """The public record, as the API serves it (see docs/lottery.md)."""
    result = draw(applicants, seats, quotas, secret, value)
    return {
        "algorithm": ALGORITHM,
        "seats": seats,
        "quotas": dict(quotas),
        "applicants": [{"ticket": a.ticket, "stance": a.stance} for a in applicants],
        "applicants_sha256": applicants_digest(applicants),
        "commitment": commitment(secret),
        "public_value": value,
        "secret": secret,
        "selected": list(result.selected),
        "reserve": list(result.reserve),
    }


def vector_draw(**changes: Any) -> Draw:
    arguments: dict[str, Any] = {
        "applicants": VECTOR,
        "seats": 5,
        "quotas": VECTOR_QUOTAS,
        "secret": SECRET,
        "public_value": PUBLIC_VALUE,
    }
    return draw(**(arguments | changes))


# --- reproducibility and the test vector -------------------------------------------------


def test_test_vector() -> None:
    digest = applicants_digest(VECTOR)
    assert digest == "2ad9ff0cd82edc4d400aa61a912eebf9d4e2ee58e088d108f4f04a641e1bed0e"
    assert commitment(SECRET) == "4884fdaafea47c29fea7159d0daddd9c085d6200e1359e85bb81736af6b7c837"
    assert seed(SECRET, PUBLIC_VALUE, digest).hex() == (
        "9e73c9901b9761a2d2a40d0535386acd3764295bc6200b3b930b49e5267cd6a1"
    )
    assert vector_draw() == Draw(
        order=(8, 3, 5, 4, 9, 2, 6, 7, 11, 12, 10, 1),
        selected=(8, 3, 5, 4, 6),
        reserve=(9, 2, 7, 11, 12, 10, 1),
    )


def test_the_documented_vector_is_the_tested_one() -> None:
    text = (DOCS / "lottery.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == record(VECTOR, 5, VECTOR_QUOTAS, SECRET, PUBLIC_VALUE)


def test_same_inputs_same_draw_whatever_the_input_order() -> None:
    assert vector_draw() == vector_draw()
    assert vector_draw(applicants=list(reversed(VECTOR))) == vector_draw()
    assert vector_draw(quotas={"question": 1, "oppose": 2}) == vector_draw()


def test_order_is_every_ticket_and_selected_plus_reserve_is_the_order() -> None:
    result = vector_draw()
    assert sorted(result.order) == sorted(VECTOR_STANCES)
    assert sorted(result.selected + result.reserve) == sorted(result.order)
    for part in (result.selected, result.reserve):
        assert list(part) == [ticket for ticket in result.order if ticket in part]


def test_public_value_is_normalised() -> None:
    assert normalise_public_value(" a \u3000 b\n\tc  ") == "a b c"
    decomposed = "caf" + "e\u0301"  # e + combining acute accent
    assert normalise_public_value(decomposed) == "caf\u00e9"
    messy = "\u3000双色球  第2025028期\n03 07 12 19 26 31 + 09 "
    assert vector_draw(public_value=messy) == vector_draw()


@pytest.mark.parametrize(
    "changes",
    [
        {"public_value": PUBLIC_VALUE.replace("09", "10")},
        {"secret": "f" + SECRET[1:]},
        {"applicants": [*VECTOR[:-1], Applicant(12, "support")]},
        {"applicants": [*VECTOR[:-1], Applicant(13, "oppose")]},
        {"applicants": VECTOR[:-1]},
    ],
    ids=["public value", "secret", "one stance", "one ticket", "one applicant fewer"],
)
def test_any_change_of_input_changes_the_order(changes: dict[str, Any]) -> None:
    assert vector_draw(**changes).order != vector_draw().order


def test_secrets_and_commitments() -> None:
    secret = new_secret()
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert new_secret() != secret
    assert commitment(secret) == hashlib.sha256(bytes.fromhex(secret)).hexdigest()
    assert commitment(secret) != commitment(new_secret())


def test_applicants_digest_is_canonical_json() -> None:
    applicants = [Applicant(3, "oppose"), Applicant(1, "support")]
    expected = hashlib.sha256(b'[[1,"support"],[3,"oppose"]]').hexdigest()
    assert applicants_digest(applicants) == expected


# --- seats and quotas ----------------------------------------------------------------------


def applicants_of(**counts: int) -> list[Applicant]:
    """Tickets numbered from 1, ``counts`` applicants per stance."""
    stances = [stance for stance, count in counts.items() for _ in range(count)]
    return [Applicant(ticket, stance) for ticket, stance in enumerate(stances, start=1)]


def test_without_quotas_the_first_in_draw_order_are_selected() -> None:
    applicants = applicants_of(support=6, oppose=2)
    result = draw(applicants, 3, {}, SECRET, "x")
    assert result.selected == result.order[:3]
    assert result.reserve == result.order[3:]


def test_quotas_are_honoured() -> None:
    applicants = applicants_of(support=20, oppose=3, question=3)
    stance = {a.ticket: a.stance for a in applicants}
    for n in range(50):
        result = draw(applicants, 4, {"oppose": 2, "question": 1}, secret_number(n), "x")
        chosen = Counter(stance[ticket] for ticket in result.selected)
        assert len(result.selected) == 4
        assert chosen["oppose"] >= 2 and chosen["question"] >= 1
        opposed = [ticket for ticket in result.order if stance[ticket] == "oppose"]
        assert set(opposed[:2]) <= set(result.selected)


def test_an_unfilled_quota_gives_its_seats_to_everyone() -> None:
    applicants = applicants_of(support=10, question=1)
    result = draw(applicants, 4, {"question": 3}, SECRET, "x")
    assert len(result.selected) == 4
    assert 11 in result.selected
    others = [ticket for ticket in result.order if ticket != 11]
    assert set(result.selected) == {11, *others[:3]}


def test_a_quota_for_a_stance_nobody_took_is_harmless() -> None:
    applicants = applicants_of(support=5)
    with_quota = draw(applicants, 2, {"suggestion": 2}, SECRET, "x")
    assert with_quota == draw(applicants, 2, {}, SECRET, "x")
    assert len(with_quota.selected) == 2


@pytest.mark.parametrize("seats", [6, 7, 100])
def test_enough_seats_selects_everyone(seats: int) -> None:
    applicants = applicants_of(support=4, oppose=2)
    result = draw(applicants, seats, {"oppose": 1}, SECRET, "x")
    assert result.selected == result.order
    assert result.reserve == ()
    assert sorted(result.order) == [1, 2, 3, 4, 5, 6]


def test_no_applicants_is_an_empty_draw() -> None:
    assert draw([], 3, {}, SECRET, "x") == Draw((), (), ())


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seats": 0}, "at least one seat"),
        ({"seats": -1}, "at least one seat"),
        ({"quotas": {"oppose": -1}}, "quota for 'oppose'"),
        ({"quotas": {"oppose": 3, "question": 3}}, "more seats than there are"),
        ({"quotas": {"against": 1}}, "unknown stance: 'against'"),
        ({"applicants": [*VECTOR, Applicant(3, "support")]}, "Ticket 3 appears more than once"),
        ({"applicants": [*VECTOR, Applicant(13, "neutral")]}, "unknown stance: 'neutral'"),
        ({"applicants": [*VECTOR, Applicant(-1, "support")]}, "Ticket -1 is not"),
        ({"secret": SECRET[:-1]}, "64 lower-case hexadecimal"),
        ({"secret": SECRET + "0"}, "64 lower-case hexadecimal"),
        ({"secret": SECRET.upper()}, "64 lower-case hexadecimal"),
        ({"secret": "g" + SECRET[1:]}, "64 lower-case hexadecimal"),
        ({"public_value": " \u3000\n"}, "public value is empty"),
    ],
)
def test_bad_input_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        vector_draw(**changes)


def test_quotas_may_fill_every_seat() -> None:
    result = vector_draw(seats=3, quotas={"oppose": 2, "question": 1})
    assert sorted(VECTOR_STANCES[ticket] for ticket in result.selected) == [
        "oppose",
        "oppose",
        "question",
    ]


def test_commitment_refuses_a_bad_secret() -> None:
    with pytest.raises(ValueError, match="64 lower-case hexadecimal"):
        commitment("abc")


def test_stances() -> None:
    assert STANCES == ("support", "oppose", "suggestion", "question")


# --- uniformity ----------------------------------------------------------------------------


def tally(
    applicants: Sequence[Applicant], seats: int, quotas: Mapping[str, int], draws: int
) -> tuple[Counter[int], Counter[int]]:
    """How often each ticket was selected, and how often it spoke first."""
    selected: Counter[int] = Counter()
    first: Counter[int] = Counter()
    for n in range(draws):
        result = draw(applicants, seats, quotas, secret_number(n), "public value")
        selected.update(result.selected)
        first[result.selected[0]] += 1
    return selected, first


def test_the_chi_square_check_catches_a_biased_draw() -> None:
    """The uniformity tests below can fail: a draw that favours low tickets is caught."""
    tickets = list(range(1, 11))
    biased: Counter[int] = Counter()
    for n in range(20_000):
        biased.update(sorted(tickets, key=lambda t, n=n: (n * 7 + t * t) % 13)[:3])
    assert chi_square(biased, tickets) > CHI2_CRITICAL[9]
    slightly: Counter[int] = Counter(dict.fromkeys(tickets, 6_000))
    slightly[1] += 300
    slightly[10] -= 300
    assert chi_square(slightly, tickets) > CHI2_CRITICAL[9]


def test_selection_and_first_speaker_are_uniform() -> None:
    applicants = applicants_of(support=4, oppose=3, suggestion=2, question=1)
    tickets = [a.ticket for a in applicants]
    selected, first = tally(applicants, 3, {}, 20_000)
    assert sum(selected.values()) == 60_000
    assert all(abs(selected[t] - 6_000) < 400 for t in tickets)
    assert chi_square(selected, tickets) < CHI2_CRITICAL[9]
    assert chi_square(first, tickets) < CHI2_CRITICAL[9]


def test_with_quotas_selection_within_a_stance_is_uniform() -> None:
    applicants = applicants_of(support=6, oppose=4)
    stance = {a.ticket: a.stance for a in applicants}
    selected, _ = tally(applicants, 3, {"oppose": 1}, 10_000)
    opposed = [t for t in stance if stance[t] == "oppose"]
    supporting = [t for t in stance if stance[t] == "support"]
    assert sum(selected[t] for t in opposed) >= 10_000
    assert chi_square(selected, opposed) < CHI2_CRITICAL[3]
    assert chi_square(selected, supporting) < CHI2_CRITICAL[5]


# --- the standalone re-run script ----------------------------------------------------------


def run_script(tmp_path: Path, content: Mapping[str, Any]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "lottery.json"
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=30,
    )


def test_the_script_does_not_use_deliberate() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    assert "deliberate." not in source.replace("deliberate-lottery", "")
    assert not re.search(r"^\s*(import|from)\s+deliberate", source, re.MULTILINE)


def test_the_script_confirms_a_genuine_record(tmp_path: Path) -> None:
    published = record(VECTOR, 5, VECTOR_QUOTAS, SECRET, PUBLIC_VALUE)
    done = run_script(tmp_path, published)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "speaking order: 8, 3, 5, 4, 6" in done.stdout
    assert "waiting list, in order: 9, 2, 7, 11, 12, 10, 1" in done.stdout
    assert "All checks passed" in done.stdout
    assert "FAILED" not in done.stdout


def test_the_script_confirms_random_records(tmp_path: Path) -> None:
    applicants = applicants_of(support=7, oppose=5, suggestion=1, question=2)
    published = record(applicants, 6, {"oppose": 2, "suggestion": 2}, new_secret(), " a\u3000b ")
    done = run_script(tmp_path, published)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ", ".join(map(str, published["selected"])) in done.stdout


def tampered_selection(published: dict[str, Any]) -> None:
    published["selected"][1] = published["reserve"][0]


def tampered_secret(published: dict[str, Any]) -> None:
    published["secret"] = new_secret()


def tampered_applicant(published: dict[str, Any]) -> None:
    published["applicants"][0]["stance"] = "oppose"


def tampered_reserve(published: dict[str, Any]) -> None:
    published["reserve"].reverse()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (tampered_selection, "the speakers should be [8, 3, 5, 4, 6]"),
        (tampered_secret, "the secret does not match the commitment"),
        (tampered_applicant, "the applicant list does not match"),
        (tampered_reserve, "the waiting list should be"),
    ],
)
def test_the_script_rejects_a_tampered_record(
    tmp_path: Path, tamper: Callable[[dict[str, Any]], None], message: str
) -> None:
    published = record(VECTOR, 5, VECTOR_QUOTAS, SECRET, PUBLIC_VALUE)
    tamper(published)
    done = run_script(tmp_path, published)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"CHECK FAILED: {message}" in done.stdout
    assert "All checks passed" not in done.stdout


def test_the_script_rejects_a_record_it_cannot_read(tmp_path: Path) -> None:
    published = record(VECTOR, 5, VECTOR_QUOTAS, SECRET, PUBLIC_VALUE)
    del published["secret"]
    done = run_script(tmp_path, published)
    assert done.returncode == 1
    assert "not a readable lottery record" in done.stdout
    published = record(VECTOR, 5, VECTOR_QUOTAS, SECRET, PUBLIC_VALUE) | {"algorithm": "v0"}
    assert run_script(tmp_path, published).returncode == 1
