"""The decision services on both databases: adopting (with the vote and the notices),
implementation items and progress updates, the refusals, nothing half-written on bad
input, and the one-click stop of the notices."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import col, select

from deliberate.config import Settings
from deliberate.consultations import services as consultation_services
from deliberate.consultations.models import Follower
from deliberate.db import Database
from deliberate.decisions import queries, services
from deliberate.decisions.forms import ItemInput, UpdateInput
from deliberate.decisions.models import (
    Decision,
    DecisionNotice,
    DecisionVote,
    ImplementationItem,
    ProgressUpdate,
)
from deliberate.decisions.permissions import SECOND_FACTOR
from deliberate.errors import Forbidden, Invalid, NotFound
from deliberate.mail.models import OutboxMessage
from deliberate.minutes.models import Minutes
from tests.decisions.conftest import ADOPTED_ON, NOW, DecisionWorld, publish_minutes
from tests.support.hearings import (
    audit_actions,
    audit_events,
    auth_for,
    consultation,
    context,
    count,
)

LINK = re.compile(r"/decisions/unsubscribe/([A-Za-z0-9_-]+)")
PARTICIPANTS = {
    "alice@example.org",
    "bob@example.org",
    "carol@example.org",
    "dave@example.org",
    "erin@example.org",
}


async def new_messages(database: Database, after: int) -> list[OutboxMessage]:
    async with database.read() as session:
        rows = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.id) > after).order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def last_id(database: Database) -> int:
    async with database.read() as session:
        rows = (await session.exec(select(OutboxMessage.id))).all()
    return max(rows, default=0)  # type: ignore[arg-type]


async def adopt(database: Database, settings: Settings, dw: DecisionWorld, actor=None, **changes):
    return await services.adopt(
        database,
        context(settings),
        actor or dw.board.chair,
        dw.consultation_id,
        dw.decision_input(**changes),
        now=NOW,
    )


async def test_adopting_records_the_vote_and_tells_each_participant_once(
    database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    before = await last_id(database)
    decision = await adopt(database, settings, dw)

    assert decision.adopted_on == ADOPTED_ON and decision.minutes_id == dw.minutes.id
    async with database.read() as session:
        votes = (await session.exec(select(DecisionVote).order_by(DecisionVote.id))).all()
    assert [(v.role, v.vote) for v in votes] == [
        ("chair", "for"),
        ("secretary", "for"),
        ("member", "abstain"),
    ]
    (event,) = await audit_events(database, "decision.adopted")
    payload = json.loads(event.payload)
    assert payload["votes"] == {"for": 2, "against": 0, "abstain": 1}
    assert payload["minutes_pdf_sha256"] == dw.minutes.pdf_sha256
    assert event.subject == f"decision:{decision.id}"

    sent = await new_messages(database, before)
    # Followers, commenters, the speaker applicant and the voters, each once; not the
    # follower who unsubscribed (frank), nor gina who stopped decision notices.
    assert sorted(m.recipient for m in sent) == sorted(PARTICIPANTS)
    by = {m.recipient: m for m in sent}
    assert by["dave@example.org"].subject.startswith("Decision on")
    # (Each in their own language: see the status change below, whose words are translated.)
    assert f"/decisions/{decision.id}" in by["erin@example.org"].body
    tokens = {m.recipient: LINK.search(m.body).group(1) for m in sent}  # type: ignore[union-attr]
    assert len(set(tokens.values())) == len(tokens)  # each their own link
    # The voter roll is used only to say who voted: no message mentions a ballot.
    assert all("ballot" not in m.body.lower() for m in sent)


async def test_recipients_are_deduplicated_and_honour_unsubscribes(
    database: Database, dw: DecisionWorld
) -> None:
    async with database.read() as session:
        ids = await queries.participant_ids(session, dw.consultation_id)
        people = await queries.recipients(session, dw.consultation_id)
    assert dw.gina.user.id in ids  # she commented ...
    logins = [u.login for u in people]
    assert sorted(logins) == sorted(PARTICIPANTS)  # ... but stopped the notices
    assert len(logins) == len(set(logins))
    assert dw.frank.user.id not in ids  # unfollowed: no row, no message


async def test_only_the_committee_at_work_adopts(
    database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    before = await last_id(database)
    with pytest.raises(Forbidden):  # a resident of the published consultation
        await adopt(database, settings, dw, dw.w.alice)
    with pytest.raises(Forbidden):  # another committee's chair
        await adopt(database, settings, dw, dw.w.other)
    no_second_factor = await auth_for(database, dw.board.chair.user, second_factor=False)
    with pytest.raises(Forbidden) as refused:
        await adopt(database, settings, dw, no_second_factor)
    assert refused.value.message is SECOND_FACTOR
    assert await count(database, Decision) == 0
    assert await count(database, DecisionVote) == 0
    assert "decision.adopted" not in await audit_actions(database)
    assert await new_messages(database, before) == []


async def test_an_unpublished_consultation_is_not_found_to_residents(
    database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    draft = await consultation(database, settings, dw.board, published=False)
    minutes = await publish_minutes(database, draft.id)  # type: ignore[arg-type]
    data = dw.decision_input(minutes_id=minutes.id)
    with pytest.raises(NotFound):
        await services.adopt(database, context(settings), dw.w.alice, draft.id, data, now=NOW)  # type: ignore[arg-type]
    made = await services.adopt(
        database,
        context(settings),
        dw.board.secretary,
        draft.id,
        data,
        now=NOW,  # type: ignore[arg-type]
    )
    assert made.consultation_id == draft.id


@pytest.mark.parametrize(
    "case", ["draft_minutes", "superseded", "other_consultation", "non_member", "twice"]
)
async def test_bad_input_writes_nothing(
    database: Database, settings: Settings, dw: DecisionWorld, case: str
) -> None:
    b = dw.board
    changes: dict[str, object] = {}
    if case in ("draft_minutes", "superseded"):
        async with database.write() as session:
            other = Minutes(
                consultation_id=dw.consultation_id,
                version=2,
                state="draft" if case == "draft_minutes" else "superseded",
                snapshot="{}",
                snapshot_sha256="0" * 64,
                compiled_at=NOW,
            )
            session.add(other)
            await session.flush()
        changes["minutes_id"] = other.id
    elif case == "other_consultation":
        elsewhere = await consultation(database, settings, b)
        changes["minutes_id"] = (await publish_minutes(database, elsewhere.id)).id  # type: ignore[arg-type]
    elif case == "non_member":
        changes["votes"] = ((b.chair.user.id, "for"), (dw.w.alice.user.id, "for"))
    else:
        changes["votes"] = ((b.chair.user.id, "for"), (b.chair.user.id, "against"))
    before = await last_id(database)
    with pytest.raises(Invalid) as refused:
        await adopt(database, settings, dw, **changes)
    assert refused.value.field in ("minutes", "votes")
    assert await count(database, Decision) == 0
    assert await count(database, DecisionVote) == 0
    assert await count(database, DecisionNotice) == 1  # gina's, from the world
    assert "decision.adopted" not in await audit_actions(database)
    assert await new_messages(database, before) == []


async def test_items_and_progress_updates(
    database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    ctx = context(settings)
    decision = await adopt(database, settings, dw)
    did = decision.id
    item = await services.add_item(
        database,
        dw.board.secretary,
        did,  # type: ignore[arg-type]
        ItemInput("外墙保温", "街道城建科", ADOPTED_ON + timedelta(days=30)),
        now=NOW,
    )
    assert item.status == "planned"
    (created,) = await audit_events(database, "item.created")
    assert json.loads(created.payload)["decision"] == did

    # A deadline before the decision: refused, nothing written.
    with pytest.raises(Invalid) as early:
        await services.add_item(
            database,
            dw.board.chair,
            did,  # type: ignore[arg-type]
            ItemInput("雨污分流", "水务公司", ADOPTED_ON - timedelta(days=1)),
            now=NOW,
        )
    assert early.value.field == "deadline"
    assert await count(database, ImplementationItem) == 1

    # A new status: audited and told; the same status again: a note only.
    before = await last_id(database)
    await services.add_update(
        database,
        ctx,
        dw.board.member,
        did,  # type: ignore[arg-type]
        item.id,  # type: ignore[arg-type]
        UpdateInput(ADOPTED_ON + timedelta(days=1), "done", "保温层已完工。"),
        now=NOW,
    )
    told = await new_messages(database, before)
    assert sorted(m.recipient for m in told) == sorted(PARTICIPANTS)
    by = {m.recipient: m.body for m in told}
    assert "外墙保温: Done" in by["dave@example.org"]  # English
    assert "外墙保温：已完成" in by["alice@example.org"]  # Chinese
    assert "保温层已完工。" in by["erin@example.org"]
    (changed,) = await audit_events(database, "item.status_changed")
    assert json.loads(changed.payload)["from"] == "planned"
    assert json.loads(changed.payload)["to"] == "done"

    before = await last_id(database)
    await services.add_update(
        database,
        ctx,
        dw.board.member,
        did,  # type: ignore[arg-type]
        item.id,  # type: ignore[arg-type]
        UpdateInput(ADOPTED_ON + timedelta(days=2), "done", "验收合格。"),
        now=NOW,
    )
    assert await new_messages(database, before) == []
    assert len(await audit_events(database, "item.progress")) == 1
    assert len(await audit_events(database, "item.status_changed")) == 1

    # Refusals: a date before the decision, a resident, the item under another decision.
    with pytest.raises(Invalid):
        await services.add_update(
            database,
            ctx,
            dw.board.chair,
            did,  # type: ignore[arg-type]
            item.id,  # type: ignore[arg-type]
            UpdateInput(ADOPTED_ON - timedelta(days=1), "done", "完成。"),
            now=NOW,
        )
    with pytest.raises(Forbidden):
        await services.add_update(
            database,
            ctx,
            dw.w.alice,
            did,  # type: ignore[arg-type]
            item.id,  # type: ignore[arg-type]
            UpdateInput(ADOPTED_ON, "done", "完成。"),
            now=NOW,
        )
    with pytest.raises(Forbidden):
        await services.add_item(
            database,
            dw.w.alice,
            did,
            ItemInput("x", "y", ADOPTED_ON),
            now=NOW,  # type: ignore[arg-type]
        )
    with pytest.raises(NotFound):
        await services.add_update(
            database,
            ctx,
            dw.board.chair,
            did + 1,  # type: ignore[operator]
            item.id,  # type: ignore[arg-type]
            UpdateInput(ADOPTED_ON, "done", "完成。"),
            now=NOW,
        )
    assert await count(database, ProgressUpdate) == 2
    async with database.read() as session:
        stored = await session.get(ImplementationItem, item.id)
    assert stored is not None and stored.status == "done"


async def test_the_one_click_link_stops_the_notices_and_unfollows(
    database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    ctx = context(settings)
    before = await last_id(database)
    decision = await adopt(database, settings, dw)
    carol = next(m for m in await new_messages(database, before) if "carol" in m.recipient)
    token = LINK.search(carol.body).group(1)  # type: ignore[union-attr]

    assert await services.unsubscribe(database, "no-such-token") is None
    target = await services.unsubscribe(database, token)
    assert target is not None and target.id == dw.consultation_id
    assert await services.unsubscribe(database, token) is not None  # again: the same
    assert await count(database, Follower, Follower.user_id == dw.carol.user.id) == 0
    assert "decision.unsubscribed" in await audit_actions(database)

    item = await services.add_item(
        database,
        dw.board.chair,
        decision.id,
        ItemInput("加装电梯", "电梯公司", ADOPTED_ON),
        now=NOW,  # type: ignore[arg-type]
    )
    before = await last_id(database)
    await services.add_update(
        database,
        ctx,
        dw.board.chair,
        decision.id,  # type: ignore[arg-type]
        item.id,  # type: ignore[arg-type]
        UpdateInput(ADOPTED_ON, "delayed", "供货推迟。"),
        now=NOW,
    )
    told = {m.recipient for m in await new_messages(database, before)}
    assert told == PARTICIPANTS - {"carol@example.org"}


async def test_the_page_view_reads_in_a_fixed_number_of_rows(
    database: Database, settings: Settings, dw: DecisionWorld
) -> None:
    decision = await adopt(database, settings, dw)
    for n in range(3):
        item = await services.add_item(
            database,
            dw.board.chair,
            decision.id,  # type: ignore[arg-type]
            ItemInput(f"事项{n}", "物业", ADOPTED_ON + timedelta(days=n)),
            now=NOW,
        )
        await services.add_update(
            database,
            context(settings),
            dw.board.chair,
            decision.id,  # type: ignore[arg-type]
            item.id,  # type: ignore[arg-type]
            UpdateInput(ADOPTED_ON, "in_progress", "开始。"),
            now=NOW,
        )
    async with database.read() as session:
        view = await queries.view(session, decision.id)  # type: ignore[arg-type]
        listed = await queries.decisions_of(session, dw.consultation_id)
    assert view is not None
    assert [row.item.title for row in view.items] == ["事项0", "事项1", "事项2"]
    assert all(len(row.updates) == 1 for row in view.items)
    assert [v.vote for v, _u in view.votes] == ["for", "for", "abstain"]
    assert [d.id for d in listed] == [decision.id]


async def test_the_consultations_unsubscribe_link_stops_decision_notices_too(
    database: Database, dw: DecisionWorld
) -> None:
    # alice follows, commented and voted: the consultation's one-click link says "no more
    # messages about this consultation", so no decision notice reaches her either.
    async with database.read() as session:
        follower = (
            await session.exec(
                select(Follower).where(Follower.user_id == dw.w.alice.user.id)  # type: ignore[arg-type]
            )
        ).one()
    assert await consultation_services.unsubscribe(database, follower.token) is not None
    async with database.read() as session:
        people = await queries.recipients(session, dw.consultation_id)
        ids = await queries.participant_ids(session, dw.consultation_id)
    assert dw.w.alice.user.id in ids  # still a participant (she commented and voted) ...
    assert dw.w.alice.user.login not in {u.login for u in people}  # ... but told nothing
    assert len(people) == len(PARTICIPANTS) - 1
