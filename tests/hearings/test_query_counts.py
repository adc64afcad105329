"""The hearing page's reads cost the same number of SQL statements with 5 comments as
with 300 (threads and endorsements included): no N+1 queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from deliberate.accounts.auth import Auth
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.hearings import queries
from deliberate.hearings.models import Comment, Endorsement, Response
from tests.support.hearings import DURING, World, world

pytestmark = pytest.mark.usefixtures("cheap_passwords")


class Statements:
    """Counts the statements sent to the database's engines (reader and writer)."""

    def __init__(self, database: Database) -> None:
        self.engines: list[AsyncEngine] = list(
            {id(e): e for e in (database.reader, database.writer)}.values()
        )
        self.count = 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    @contextmanager
    def listening(self) -> Iterator[None]:
        for engine in self.engines:
            event.listen(engine.sync_engine, "before_cursor_execute", self._seen)
        try:
            yield
        finally:
            for engine in self.engines:
                event.remove(engine.sync_engine, "before_cursor_execute", self._seen)


async def page_reads(
    database: Database, w: World, auth: Auth | None
) -> tuple[dict[str, int], dict[str, Any]]:
    """Everything the hearing page reads, with the statements each read cost."""
    counter = Statements(database)
    costs: dict[str, int] = {}
    found: dict[str, Any] = {}

    async def measure(name: str, read: Any) -> Any:
        before = counter.count
        found[name] = result = await read
        costs[name] = counter.count - before
        return result

    with counter.listening():
        async with database.read() as session:
            view = await measure("hearing_view", queries.hearing_view(session, w.hearing_id))
            await measure("standing", queries.standing(session, auth, view, DURING))
            version = await measure(
                "current_version", queries.current_version(session, w.hearing_id)
            )
            await measure("sections_of", queries.sections_of(session, version.id))
            await measure("stance_counts", queries.stance_counts(session, w.hearing_id))
            await measure(
                "comment_page",
                queries.comment_page(session, w.hearing_id, queries.Filters(), auth),
            )
            await measure(
                "comment_page_endorsed_section",
                queries.comment_page(
                    session,
                    w.hearing_id,
                    queries.Filters(section=w.sections[1].id, sort="endorsed"),
                    auth,
                ),
            )
            await measure("answered", queries.answered(session, view))
            await measure("unanswered", queries.unanswered(session, view, 1))
    costs["total"] = counter.count
    return costs, found


async def add_comments(database: Database, w: World, roots: int, replies: int, start: int) -> None:
    """Comments written straight to the tables (setup, not the thing tested): ``roots``
    top-level comments spread over the sections and stances, ``replies`` replies (some
    nested) under the newest roots, endorsements and a few responses."""
    authors = [w.alice.user.id, w.bob.user.id, w.carol.user.id]
    stances = ["support", "oppose", "suggestion", "question"]
    moment = DURING + timedelta(minutes=start)
    async with database.write() as session:
        top = [
            Comment(
                hearing_id=w.hearing_id,
                section_id=w.sections[n % len(w.sections)].id,
                author_id=authors[n % len(authors)],
                stance=stances[n % len(stances)],
                body=f"意见 {start + n}",
                created_at=moment + timedelta(seconds=n),
            )
            for n in range(roots)
        ]
        session.add_all(top)
        await session.flush()
        made: list[Comment] = []
        for n in range(replies):
            parent = made[n - 1] if n % 3 == 2 and made else top[-1 - n % 20 % len(top)]
            reply = Comment(
                hearing_id=w.hearing_id,
                section_id=parent.section_id,
                parent_id=parent.id,
                root_id=parent.root_id or parent.id,
                author_id=authors[(n + 1) % len(authors)],
                stance=None,
                body=f"回复 {start + n}",
                created_at=moment + timedelta(seconds=roots + n),
            )
            session.add(reply)
            await session.flush()
            made.append(reply)
        for comment in top + made:
            endorsers = [a for a in authors if a != comment.author_id][: (comment.id or 0) % 3]
            for user_id in endorsers:
                session.add(Endorsement(comment_id=comment.id, user_id=user_id, created_at=moment))
            comment.endorsements = len(endorsers)
            if comment.root_id is not None:
                root = next(c for c in top if c.id == comment.root_id)
                root.replies += 1
            session.add(comment)
        for comment in top[::7]:
            session.add(
                Response(
                    comment_id=comment.id,
                    verdict="noted",
                    explanation="已记录",
                    responded_by=w.board.chair.user.id,
                    responded_at=moment,
                )
            )


async def test_the_hearing_page_costs_the_same_with_5_and_300_comments(
    database: Database, settings: Settings
) -> None:
    w = await world(database, settings)
    await add_comments(database, w, roots=3, replies=2, start=0)
    readers = {"anonymous": None, "alice": w.alice, "chair": w.board.chair}
    small = {name: await page_reads(database, w, auth) for name, auth in readers.items()}

    await add_comments(database, w, roots=200, replies=95, start=10)
    large = {name: await page_reads(database, w, auth) for name, auth in readers.items()}

    for name in readers:
        assert large[name][0] == small[name][0], name
        assert 0 < small[name][0]["total"] <= 20, small[name][0]
    # The reads really did see the comments: 203 roots, a full first page with threads.
    rows, total = large["alice"][1]["comment_page"]
    assert total == 203 and len(rows) == queries.PER_PAGE
    assert sum(1 for r in rows if r.children) > 0 and any(r.endorsed for r in rows)
    small_rows, small_total = small["alice"][1]["comment_page"]
    assert small_total == 3 and len(small_rows) == 3
    assert sum(len(r.children) for r in small_rows) == 2
    answered, to_answer = large["chair"][1]["answered"]
    assert to_answer == 300 and answered == len(range(0, 3, 7)) + len(range(0, 200, 7))
    queue, waiting = large["chair"][1]["unanswered"]
    assert waiting == 300 - answered and len(queue) == queries.PER_PAGE
