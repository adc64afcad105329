"""The open-data files of a closed poll, pure: the board and the result as CSV (a UTF-8
byte-order mark, Chinese labels, one column per option, no spreadsheet formulas), and a
budget poll in pabulib format (read back by ``pabulib.parse``: the counts, the funded
projects, and the Method of Equal Shares on the file funds the same)."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deliberate.polls import ballots, exports, pabulib
from deliberate.polls.methods import budget
from deliberate.polls.methods.common import Option, canonical_json
from deliberate.polls.methods.tally import tally
from deliberate.polls.models import Poll, PollOption

TZ = ZoneInfo("Asia/Shanghai")
LABELS = ["修建非机动车棚", "增加绿化带", "安装路灯", "增设健身器材", '=HYPERLINK("x")']
COSTS = [40_000, 30_000, 20_000, 50_000, 10_000]
BUDGET = 100_000
SEED = "ab" * 32


def options(method: str) -> list[PollOption]:
    return [
        PollOption(
            id=10 + n,
            poll_id=7,
            position=n + 1,
            label=label,
            cost=COSTS[n] if method == "budget" else 0,
        )
        for n, label in enumerate(LABELS)
    ]


def poll(method: str) -> Poll:
    opens = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    return Poll(
        id=7,
        consultation_id=1,
        title="小区改造项目投票",
        question="?",
        method=method,
        max_choices=None,
        budget=BUDGET if method == "budget" else None,
        rule="{}",
        opens_at=opens,
        closes_at=opens + timedelta(days=7, hours=20),
        created_at=opens,
    )


def random_choice(method: str, ids: list[int], rng: random.Random) -> Any:
    if method == "single":
        return rng.choice(ids)
    if method == "approval":
        return sorted(rng.sample(ids, rng.randint(1, len(ids))))
    if method == "budget":
        chosen, spent = [], 0
        for option in rng.sample(ids, len(ids)):
            cost = COSTS[option - 10]
            if spent + cost <= BUDGET and rng.random() < 0.6:
                chosen.append(option)
                spent += cost
        return sorted(chosen) or [ids[2]]
    if method == "ranked":
        return rng.sample(ids, rng.randint(1, len(ids)))
    return {str(o): rng.randint(0, 5) for o in ids}


def closed(method: str, voters: int = 40) -> tuple[list[PollOption], list[tuple[str, str]], dict]:
    """A poll's options, its board (receipt, canonical ballot) and its stored result."""
    found = options(method)
    ids = [o.id for o in found]
    rng = random.Random(method)
    choices = [random_choice(method, ids, rng) for _ in range(voters)]
    rows = sorted(
        (ballots.receipt(choice, ballots.new_nonce()), ballots.canonical(choice))
        for choice in choices
    )
    result = tally(
        method,
        [Option(o.id, o.cost) for o in found],
        [json.loads(content) for _r, content in rows],
        SEED,
        budget=BUDGET if method == "budget" else None,
    )
    return found, rows, json.loads(canonical_json(result.as_json()))


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a UTF-8 byte-order mark for Excel"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("method", ["single", "approval", "ranked", "score", "budget"])
def test_board_csv_has_every_ballot_and_a_column_per_option(method: str) -> None:
    found, rows, _result = closed(method)
    table = read_csv(exports.board_csv(method, found, rows))
    header, body = table[0], table[1:]
    assert header[:2] == ["receipt", "ballot"]
    assert header[2:6] == [f"{o.id} {o.label}" for o in found[:4]]
    assert header[6] == f"14 {LABELS[4]}"  # starts with a digit: not a formula
    assert [(r[0], r[1]) for r in body] == rows  # by receipt, the ballot as on the board
    for line in body:
        choice = json.loads(line[1])
        marks = line[2:]
        for option, mark in zip(found, marks, strict=True):
            if method == "single":
                assert mark == str(int(option.id == choice))
            elif method in ("approval", "budget"):
                assert mark == str(int(option.id in choice))
            elif method == "ranked":
                assert mark == (str(choice.index(option.id) + 1) if option.id in choice else "")
            else:
                assert mark == str(choice[str(option.id)])


def test_board_csv_columns_sum_to_the_counts() -> None:
    found, rows, result = closed("approval")
    table = read_csv(exports.board_csv("approval", found, rows))
    for column, option in enumerate(found, start=2):
        total = sum(int(line[column]) for line in table[1:])
        assert total == result["details"]["counts"][str(option.id)]


@pytest.mark.parametrize("method", ["single", "approval", "ranked", "score", "budget"])
def test_result_csv_lists_every_option_in_the_order_of_the_result(method: str) -> None:
    found, _rows, result = closed(method)
    table = read_csv(exports.result_csv(found, result))
    header, body = table[0], table[1:]
    assert header[:4] == ["rank", "option_id", "label", "winner"]
    assert len(body) == len(found)
    ids = [int(line[1]) for line in body]
    assert ids[: len(result["ranking"])] == result["ranking"]
    assert sorted(ids) == [o.id for o in found]
    winners = [int(line[1]) for line in body if line[3] == "1"]
    assert winners == [i for i in ids if i in result["winners"]]
    assert set(winners) == set(result["winners"])
    labels = {int(line[1]): line[2] for line in body}
    assert labels[10] == "修建非机动车棚"
    assert labels[14] == '\'=HYPERLINK("x")'  # never a formula in a spreadsheet
    column = dict(zip(header, range(len(header)), strict=True))
    details = result["details"]
    for line in body:
        key = line[1]
        if method in ("single", "approval"):
            assert int(line[column["votes"]]) == details["counts"][key]
        elif method == "ranked":
            assert int(line[column["first_round_votes"]]) == details["rounds"][0]["counts"][key]
            assert int(line[column["schulze_rank"]]) == (
                details["schulze"]["ranking"].index(int(key)) + 1
            )
        elif method == "score":
            assert int(line[column["sum"]]) == details["sum"][key]
            assert line[column["mean"]] == details["mean"][key]
            stars = [int(line[column[f"stars_{n}"]]) for n in range(6)]
            assert stars == details["histogram"][key]
        else:
            assert int(line[column["cost"]]) == details["cost"][key]
            assert int(line[column["votes"]]) == details["votes"][key]
            assert line[column["mes_funded"]] == str(int(int(key) in details["mes"]["funded"]))
            assert line[column["greedy_funded"]] == str(
                int(int(key) in details["greedy"]["funded"])
            )


def test_pabulib_export_reads_back_and_funds_the_same() -> None:
    found, rows, result = closed("budget", voters=60)
    text = exports.ballots_pb(poll("budget"), found, rows, result, tz=TZ, unit="幸福社区")
    instance = pabulib.parse(text)
    meta = instance.meta
    assert meta["description"] == "小区改造项目投票"
    assert meta["unit"] == "幸福社区" and "country" not in meta
    assert (meta["vote_type"], meta["rule"], meta["budget"]) == (
        "approval",
        "equalshares/add1",
        "100000",
    )
    assert (meta["num_projects"], meta["num_votes"]) == ("5", "60")
    assert (meta["date_begin"], meta["date_end"]) == ("01.12.2026", "09.12.2026")
    assert [(p.id, p.cost, p.name) for p in instance.projects] == [
        (str(o.id), o.cost, o.label) for o in found
    ]
    # Voters are numbered in receipt order; nothing else about them.
    assert [v.voter_id for v in instance.votes] == [str(n) for n in range(1, 61)]
    assert all(v.extra == {} for v in instance.votes)
    assert [[int(i) for i in v.projects] for v in instance.votes] == [
        json.loads(content) for _r, content in rows
    ]
    votes = result["details"]["votes"]
    assert {p.id: int(p.extra["votes"]) for p in instance.projects} == votes
    selected = {p.id for p in instance.projects if p.selected}
    assert selected == {str(i) for i in result["winners"]}
    assert any(not p.selected for p in instance.projects)
    # MES on the file (with the poll's lot) funds the same projects.
    again = budget.tally(
        [Option(int(p.id), p.cost) for p in instance.projects],
        [[int(i) for i in v.projects] for v in instance.votes],
        SEED,
        budget=instance.budget,
    )
    assert list(again.winners) == result["winners"]


def test_pabulib_export_is_for_budget_polls_only() -> None:
    found, rows, result = closed("approval")
    with pytest.raises(ValueError, match="budget"):
        exports.ballots_pb(poll("approval"), found, rows, result, tz=TZ)


def test_a_label_with_the_separator_survives_the_round_trip() -> None:
    found, rows, result = closed("budget", voters=5)
    found[0].label = 'Park; "north" side'
    instance = pabulib.parse(exports.ballots_pb(poll("budget"), found, rows, result, tz=TZ))
    assert instance.projects[0].name == 'Park; "north" side'


def test_file_names() -> None:
    assert exports.disposition(7, "board.csv") == 'attachment; filename="poll-7-board.csv"'
