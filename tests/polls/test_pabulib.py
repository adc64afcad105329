"""Pabulib ``.pb`` import and export: the ten real elections in ../shared/data/pabulib/,
CRLF, quoting, round trips and malformed files.

The real files are found in ``$DELIBERATE_PABULIB_DIR``, else next to the repository in
``../shared/data/pabulib/``. If neither exists the tests fail (they do not skip)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deliberate.polls import pabulib
from deliberate.polls.pabulib import PabulibError

REAL_FILES = (
    "France_Toulouse_2022_6_-_Saint-Cyprien.pb",
    "Netherlands_Amsterdam_166.pb",
    "Netherlands_Assen_2024.pb",
    "Poland_Czestochowa_2020_Rakow.pb",
    "Poland_Czestochowa_2024_Stradom.pb",
    "Poland_Gdansk_2020_Vii_Dwor.pb",
    "Poland_Krakow_2018_Bienczyce.pb",
    "Poland_Swiecie_2023.pb",
    "Poland_Warszawa_2017_Piaski.pb",
    "Poland_Warszawa_2019_Targowek.pb",
)


def pabulib_dir() -> Path:
    configured = os.environ.get("DELIBERATE_PABULIB_DIR")
    directory = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pabulib"
    )
    if not directory.is_dir():
        pytest.fail(
            f"the pabulib data directory {directory} does not exist: set "
            "DELIBERATE_PABULIB_DIR to the directory holding the ten .pb files "
            "(in the development tree: /work/shared/data/pabulib)"
        )
    return directory


def real_file(name: str) -> Path:
    path = pabulib_dir() / name
    if not path.is_file():
        pytest.fail(f"{path} is missing from the pabulib data directory")
    return path


def load(name: str) -> pabulib.Instance:
    return pabulib.parse(real_file(name).read_text(encoding="utf-8"))


def test_every_real_file_is_known() -> None:
    found = {path.name for path in pabulib_dir().glob("*.pb")}
    assert found >= set(REAL_FILES)


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_files_parse(name: str) -> None:
    instance = load(name)
    assert len(instance.projects) == int(instance.meta["num_projects"])
    assert len(instance.votes) == int(instance.meta["num_votes"])
    assert instance.budget > 0
    assert instance.vote_type in ("approval", "cumulative", "ordinal")
    for project in instance.projects:
        assert project.id and project.cost > 0
    ids = {p.id for p in instance.projects}
    for vote in instance.votes:
        assert set(vote.projects) <= ids
        assert (vote.points is not None) == (instance.vote_type == "cumulative")
    # Round trip: what we write reads back the same.
    assert pabulib.parse(pabulib.write(instance)) == instance


def test_what_the_real_files_hold() -> None:
    swiecie = load("Poland_Swiecie_2023.pb")
    assert swiecie.budget == 1_070_000
    assert swiecie.meta["rule"] == "equalshares/add1"
    assert swiecie.projects[0].id == "c1" and swiecie.projects[0].cost == 68_000
    assert swiecie.projects[0].selected is True
    assert swiecie.votes[0].voter_id == "v1"
    assert swiecie.votes[0].projects == ["c1", "c2", "c11", "c21", "c20"]

    toulouse = load("France_Toulouse_2022_6_-_Saint-Cyprien.pb")
    assert toulouse.budget == 400_000  # written 400000.0
    assert toulouse.projects[0].cost == 40_000
    assert toulouse.projects[0].selected is None  # no selected column
    assert toulouse.projects[0].extra == {
        "votes": "9",
        "category": "Cadre de vie",
        "district": "6 - Saint-Cyprien",
    }

    gdansk = load("Poland_Gdansk_2020_Vii_Dwor.pb")
    vote = next(v for v in gdansk.votes if v.voter_id == "605")
    assert vote.projects == ["5", "3", "2"] and vote.points == [2, 2, 1]
    assert vote.extra == {"age": "48", "sex": "M"}

    krakow = load("Poland_Krakow_2018_Bienczyce.pb")
    assert krakow.vote_type == "ordinal"
    assert krakow.votes[0].projects == ["12", "3", "9"]  # best first, as in the file


@pytest.mark.parametrize("name", REAL_FILES)
def test_readings_count_as_the_file_does(name: str) -> None:
    """The ``supporters`` reading gives each project its ``votes`` column; the ``points``
    reading its ``score`` column (sum of points; 3-2-1 for Kraków's rankings)."""
    instance = load(name)
    for reading, column in (("supporters", "votes"), ("points", "score")):
        if column not in instance.projects[0].extra:
            continue
        counts = dict.fromkeys((p.id for p in instance.projects), 0)
        for ballot in pabulib.approval_ballots(instance, reading):
            for project_id in ballot:
                counts[project_id] += 1
        assert counts == {p.id: int(p.extra[column]) for p in instance.projects}, reading
    if instance.vote_type == "approval":
        assert pabulib.approval_ballots(instance) == [v.projects for v in instance.votes]


def test_crlf_lf_and_a_byte_order_mark_read_the_same() -> None:
    text = SMALL
    assert "\r" not in text
    assert pabulib.parse(text.replace("\n", "\r\n")) == pabulib.parse(text)
    assert pabulib.parse("\ufeff" + text) == pabulib.parse(text)
    crlf_file = real_file("Poland_Swiecie_2023.pb").read_bytes()
    assert b"\r\n" in crlf_file
    lf = crlf_file.replace(b"\r\n", b"\n").decode("utf-8")
    assert pabulib.parse(crlf_file.decode("utf-8")) == pabulib.parse(lf)


SMALL = """META
key;value
description;"Test; small"
budget;100
vote_type;approval
num_projects;3
num_votes;3
PROJECTS
project_id;cost;name;votes;selected
a;60;"Park; with ""new"" benches";2;1
b;40;Library;2;0
c;50;"Two
lines";1;
VOTES
voter_id;vote;age
1;a,b;30
2;b, a;
3;c;71
"""


def test_quoted_fields() -> None:
    instance = pabulib.parse(SMALL)
    assert instance.meta["description"] == "Test; small"
    a, b, c = instance.projects
    assert a.name == 'Park; with "new" benches' and a.selected is True
    assert b.selected is False and c.selected is None
    assert c.name == "Two\nlines"
    assert instance.votes[1].projects == ["b", "a"]
    assert instance.votes[1].extra == {"age": ""}
    assert pabulib.parse(pabulib.write(instance)) == instance


def test_unquoted_semicolon_in_meta_is_refused() -> None:
    with pytest.raises(PabulibError) as error:
        pabulib.parse(SMALL.replace('"Test; small"', "Test; small"))
    assert error.value.line == 3


def test_write_an_approval_election_and_read_it_back() -> None:
    instance = pabulib.approval_instance(
        budget=1000,
        projects=[(7, 600, "Playground; new"), (3, 400, 'The "reading" room'), (5, 250, "Trees")],
        ballots=[[7, 3], [3], [], [5, 7]],
        meta={"description": "Community poll", "unit": "Xihu"},
        selected=[7, 3],
    )
    text = pabulib.write(instance)
    assert text.startswith("META\nkey;value\ndescription;Community poll\nunit;Xihu\n")
    assert "num_projects;3\nnum_votes;4\nbudget;1000\nvote_type;approval\n" in text
    assert "PROJECTS\nproject_id;cost;name;votes;selected\n" in text
    assert "7;600;Playground; new;2;1\n" not in text  # the ; is quoted
    assert '7;600;"Playground; new";2;1\n' in text
    assert "VOTES\nvoter_id;vote\n1;7,3\n2;3\n3;\n4;5,7\n" in text
    again = pabulib.parse(text)
    assert again == instance
    assert pabulib.approval_ballots(again) == [["7", "3"], ["3"], [], ["5", "7"]]
    assert [p.selected for p in again.projects] == [True, True, False]
    assert again.budget == 1000


def test_cumulative_and_ordinal_readings() -> None:
    cumulative = pabulib.parse(
        "META\nkey;value\nbudget;10\nvote_type;cumulative\n"
        "PROJECTS\nproject_id;cost\nx;5\ny;5\nz;5\n"
        "VOTES\nvoter_id;vote;points\n1;x,y;3,1\n2;z;2\n"
    )
    assert pabulib.approval_ballots(cumulative, "supporters") == [["x", "y"], ["z"]]
    assert pabulib.approval_ballots(cumulative) == [["x", "y"], ["x"], ["x"], ["z"], ["z"]]
    ordinal = pabulib.parse(
        "META\nkey;value\nbudget;10\nvote_type;ordinal\nmax_length;3\n"
        "PROJECTS\nproject_id;cost\nx;5\ny;5\nz;5\n"
        "VOTES\nvoter_id;vote\n1;y,x\n"
    )
    assert pabulib.approval_ballots(ordinal, "supporters") == [["y", "x"]]
    # 3 points for the first, 2 for the second.
    assert pabulib.approval_ballots(ordinal) == [["y", "x"], ["y", "x"], ["y"]]
    with pytest.raises(ValueError, match="reading"):
        pabulib.approval_ballots(ordinal, "borda")  # type: ignore[arg-type]


GOOD = "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\na;60\nb;40\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 0, "no META section"),
        ("PROJECTS\nproject_id;cost\n", 1, "PROJECTS section where META"),
        ("budget;5\n", 1, "before the META section"),
        ("META\nkey;value\nbudget;9\nvote_type;approval\nVOTES\n", 5, "VOTES section where"),
        ("META\nkey;value\nvote_type;approval\nPROJECTS\n", 2, "no budget"),
        ("META\nkey;value\nbudget;1e5\nvote_type;approval\n", 3, "budget must be a whole"),
        ("META\nkey;value\nbudget;5\nvote_type;yes-no\n", 4, "unknown vote_type"),
        ("META\nkey;value\nbudget;5\nbudget;6\n", 4, "budget twice"),
        ("META\nkey;value;x\n", 2, "key;value"),
        ("META\nPROJECTS\n", 1, "META section has no header"),
        (GOOD.replace("b;40", "b;40;x"), 8, "3 fields where the PROJECTS header has 2"),
        (GOOD.replace("b;40", "a;40"), 8, "project a appears twice"),
        (GOOD.replace("b;40", "b;12.5"), 8, "not a whole number"),
        (GOOD.replace("b;40", "b;-40"), 8, "negative cost"),
        (GOOD.replace("project_id;cost", "id;cost"), 6, "no project_id column"),
        (GOOD + "VOTES\nvoter_id;vote\n1;a,c\n", 11, "unknown project c"),
        (GOOD + "VOTES\nvoter_id;vote\n1;a,a\n", 11, "names a project twice"),
        (GOOD + "VOTES\nvoter_id;vote\n1;a\n1;b\n", 12, "voter 1 appears twice"),
        (GOOD + "VOTES\nvoter_id;vote;points\n1;a,b;3\n", 11, "1 points for 2 projects"),
        (GOOD + "VOTES\nvoter_id;vote;points\n1;a;x\n", 11, "not whole numbers"),
        (GOOD + "VOTES\nvoter;vote\n", 10, "no voter_id column"),
        (GOOD + 'VOTES\nvoter_id;vote\n1;"a\n', 11, "badly quoted"),
        (GOOD + "VOTES\nvoter_id;vote\n1;a\nMETA\n", 12, "second META"),
        (GOOD.replace("budget;100", "budget;100\nnum_projects;3"), 4, "num_projects is 3"),
        (GOOD + "VOTES\nvoter_id;vote\n", 0, None),  # fine: no votes
        (
            GOOD.replace("PROJECTS\n", "PROJECTS\nproject_id;cost;selected\n")
            .replace("project_id;cost\n", "")
            .replace("a;60", "a;60;yes")
            .replace("b;40", "b;40;0"),
            7,
            "selected must be",
        ),
    ],
)
def test_malformed_files_are_refused_with_the_line(text: str, line: int, message: str | None):
    if message is None:
        assert pabulib.parse(text).votes == []
        return
    with pytest.raises(PabulibError) as error:
        pabulib.parse(text)
    assert message in error.value.message
    assert error.value.line == line
    assert str(error.value).startswith(f"line {line}: " if line else message[:5])


def test_missing_votes_section_and_points_for_cumulative() -> None:
    with pytest.raises(PabulibError, match="no VOTES section"):
        pabulib.parse(GOOD)
    with pytest.raises(PabulibError, match="need a points column"):
        pabulib.parse(GOOD.replace("approval", "cumulative") + "VOTES\nvoter_id;vote\n1;a\n")
    declared = GOOD.replace("budget;100", "budget;100\nnum_votes;2")
    with pytest.raises(PabulibError) as error:
        pabulib.parse(declared + "VOTES\nvoter_id;vote\n1;a\n")
    assert error.value.line == 4
    assert "num_votes is 2 but the file has 1 votes" in error.value.message
