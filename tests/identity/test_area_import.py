"""Importing the area tree from CSV: all rows or none, problems reported by line."""

import os
import subprocess
import sys

import pytest

from deliberate.db import Database
from deliberate.identity import queries
from deliberate.identity.csvfiles import CsvProblem
from deliberate.identity.services import import_areas

GOOD = (
    "code,name,kind,parent_code,name_en\n"
    "hz,杭州市,city,,Hangzhou\n"
    "hz-xh,西湖区,district,hz,Xihu District\n"
    "hz-xh-bs,北山街道,street,hz-xh,\n"
    "hz-xh-bs-01,保俶社区,community,hz-xh-bs,\n"
)


async def names(database: Database) -> dict[str, tuple[str, str | None]]:
    async with database.read() as session:
        tree = await queries.area_tree(session)
    found: dict[str, tuple[str, str | None]] = {}

    def walk(nodes, parent):
        for node in nodes:
            found[node.area.code] = (node.area.name, parent)
            walk(node.children, node.area.code)

    walk(tree, None)
    return found


async def test_import_then_reimport_updates_in_place(database: Database) -> None:
    report = await import_areas(database, GOOD.encode())
    assert (report.encoding, report.created, report.updated, report.errors) == ("UTF-8", 4, 0, [])
    assert (await names(database))["hz-xh-bs-01"] == ("保俶社区", "hz-xh-bs")
    renamed = GOOD.replace("北山街道", "北山街道（新）")
    again = await import_areas(database, renamed.encode())
    assert (again.created, again.updated) == (0, 4)
    assert (await names(database))["hz-xh-bs"] == ("北山街道（新）", "hz-xh")


async def test_children_may_come_before_their_parents(database: Database) -> None:
    lines = GOOD.splitlines()
    shuffled = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    report = await import_areas(database, shuffled.encode())
    assert report.errors == [] and report.created == 4


async def test_gbk_files_are_detected(database: Database) -> None:
    report = await import_areas(database, GOOD.encode("gbk"))
    assert report.encoding == "GB18030" and report.created == 4
    assert (await names(database))["hz"] == ("杭州市", None)


async def test_one_bad_row_and_nothing_is_written(database: Database) -> None:
    bad = GOOD + "hz-x,某地,planet,hz,\nhz-y,某地,street,nowhere,\nhz,杭州,city,,\n"
    report = await import_areas(database, bad.encode())
    messages = {(e.line, e.message.split(" ")[0]) for e in report.errors}
    assert (6, "kind") in messages
    assert (7, "unknown") in messages
    assert (8, "code") in messages  # a duplicate code, reported on the later line
    assert await names(database) == {}


async def test_cycles_are_reported_including_through_the_database(database: Database) -> None:
    await import_areas(database, GOOD.encode())
    # Re-parenting the city under its own community would make a loop.
    looped = "code,name,kind,parent_code\nhz,杭州市,city,hz-xh-bs-01\n"
    report = await import_areas(database, looped.encode())
    assert [e.line for e in report.errors] == [2]
    assert "ancestor" in report.errors[0].message
    assert (await names(database))["hz"] == ("杭州市", None)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"code,name\nx,y\n", "columns"),
        (bytes([0x81, 0x20, 0xFF, 0xFE, 0x00]) * 20, "encoding"),
    ],
)
async def test_unreadable_files_are_refused_whole(
    database: Database, data: bytes, code: str
) -> None:
    with pytest.raises(CsvProblem) as problem:
        await import_areas(database, data)
    assert problem.value.code == code


def test_cli_reports_each_line_and_exits_1(tmp_path) -> None:
    env = {"PATH": os.environ["PATH"], "DELIBERATE_DATA_DIR": str(tmp_path / "data")}
    run = [sys.executable, "-m", "deliberate"]
    assert subprocess.run([*run, "migrate"], env=env, capture_output=True).returncode == 0
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode("gbk"))
    ok = subprocess.run(
        [*run, "areas", "import", str(good)], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0 and "read as GB18030: 4 areas created" in ok.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,kind,parent_code\nx,X,street,missing\n", encoding="utf-8")
    refused = subprocess.run(
        [*run, "areas", "import", str(bad)], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"{bad}:2: unknown parent 'missing'",
        "deliberate areas: 1 problem; nothing imported",
    ]
    missing = subprocess.run(
        [*run, "areas", "import", str(tmp_path / "nope.csv")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "cannot read" in missing.stderr
