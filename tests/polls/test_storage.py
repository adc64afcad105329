"""How ballots are stored, on SQLite and PostgreSQL: the ballot table has no column that
could name a voter or a time, no hidden row id (SQLite ``WITHOUT ROWID``), and after the
poll closes neither the physical order of its rows nor PostgreSQL's row versions
(``xmin``) follow the order in which the ballots were cast."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.polls import services
from tests.support.hearings import AFTER, DURING
from tests.support.polls import form_for, many_residents, poll_world

pytestmark = pytest.mark.usefixtures("cheap_passwords")

CAST = 60


async def inspected(database: Database, what: Any) -> Any:
    async with database.writer.connect() as connection:
        return await connection.run_sync(lambda sync: what(inspect(sync)))


async def raw(database: Database, sql: str, **params: Any) -> list[Any]:
    async with database.read() as session:
        connection = await session.connection()
        return list((await connection.execute(text(sql), params)).all())


async def test_the_ballot_table_holds_the_poll_the_receipt_and_the_content_only(
    database: Database,
):
    columns = await inspected(database, lambda i: i.get_columns("ballot"))
    assert [c["name"] for c in columns] == ["poll_id", "receipt", "content"]
    assert not any(c.get("autoincrement") is True for c in columns)
    primary = await inspected(database, lambda i: i.get_pk_constraint("ballot"))
    assert primary["constrained_columns"] == ["poll_id", "receipt"]
    keys = await inspected(database, lambda i: i.get_foreign_keys("ballot"))
    assert [(k["constrained_columns"], k["referred_table"]) for k in keys] == [
        (["poll_id"], "poll")
    ]
    assert await inspected(database, lambda i: i.get_indexes("ballot")) == []
    # The roll says who voted, and nothing about how or when.
    roll = await inspected(database, lambda i: i.get_columns("voter_roll"))
    assert {c["name"] for c in roll} == {"id", "poll_id", "user_id", "channel", "entered_by"}


async def test_the_ballot_table_has_no_hidden_row_number(database: Database):
    if database.dialect == "sqlite":
        # Without it, SQLite numbers every row in insertion order (the rowid).
        (sql,) = (await raw(database, "SELECT sql FROM sqlite_master WHERE name = 'ballot'"))[0]
        assert sql.rstrip().upper().endswith("WITHOUT ROWID")
        with pytest.raises(OperationalError, match="no such column: rowid"):
            await raw(database, "SELECT rowid FROM ballot")
    else:
        # No column is fed by a sequence.
        for column in ("poll_id", "receipt", "content"):
            found = await raw(database, f"SELECT pg_get_serial_sequence('ballot', '{column}')")
            assert found == [(None,)]
        (owned,) = await raw(
            database,
            "SELECT count(*) FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
            "WHERE s.relkind = 'S' AND d.refobjid = 'ballot'::regclass",
        )
        assert owned == (0,)


def spearman(order: list[int]) -> float:
    """Rank correlation of a permutation of 0 … n-1 with the identity."""
    n = len(order)
    squares = sum((position - value) ** 2 for position, value in enumerate(order))
    return 1 - 6 * squares / (n * (n * n - 1))


def cast_index(content: str) -> int:
    """The index a score ballot encodes: its stars as base-6 digits."""
    stars = [v for _k, v in sorted(json.loads(content).items(), key=lambda kv: int(kv[0]))]
    return stars[0] * 36 + stars[1] * 6 + stars[2]


async def test_after_closing_the_stored_order_does_not_follow_the_casting_order(
    database: Database, settings: Settings
):
    w = await poll_world(database, settings, "score")
    voters = await many_residents(database, CAST)
    for index, voter in enumerate(voters):
        digits = (index // 36, index // 6 % 6, index % 6)
        choice = {str(o): d for o, d in zip(w.options, digits, strict=True)}
        await services.cast(database, voter, w.poll_id, form_for("score", choice), now=DURING)
    postgres = database.dialect == "postgresql"
    order_sql = "SELECT content FROM ballot WHERE poll_id = :poll"
    if postgres:
        order_sql = "SELECT content, xmin::text FROM ballot WHERE poll_id = :poll ORDER BY ctid"
        before = await raw(database, order_sql, poll=w.poll_id)
        # Before closing the heap is in casting order, one transaction per ballot: what
        # the shuffle at closing must undo (and what this test would see if it did not).
        assert [cast_index(row[0]) for row in before] == list(range(CAST))
        assert len({row[1] for row in before}) == CAST

    await services.close(database, w.board.chair, w.poll_id, now=AFTER)
    after = await raw(database, order_sql, poll=w.poll_id)
    order = [cast_index(row[0]) for row in after]
    assert sorted(order) == list(range(CAST))  # every ballot is there, once
    assert order != list(range(CAST)) and order != list(range(CAST))[::-1]
    # A random order: the chance that |ρ| ≥ 0.6 for 60 shuffled items is below 10⁻⁵.
    assert abs(spearman(order)) < 0.6, order
    if postgres:
        # One transaction rewrote them all: one row version for every ballot, newer
        # than any vote's.
        versions = {row[1] for row in after}
        assert len(versions) == 1
        assert versions.isdisjoint({row[1] for row in before})
