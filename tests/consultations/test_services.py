"""Consultations through their services: create within the committee's area, edit,
move through the stages, follow and unsubscribe; who may manage what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from deliberate.accounts.services import FormInvalid
from deliberate.config import Settings
from deliberate.consultations import queries, services
from deliberate.consultations.models import Consultation, Follower, Stage, StageChange
from deliberate.db import Database
from deliberate.errors import Conflict, Forbidden, Invalid, NotFound
from deliberate.hearings import services as hearing_services
from deliberate.hearings.forms import HearingInput
from deliberate.hearings.models import Hearing
from deliberate.web.i18n import using_locale
from tests.support.hearings import (
    CLOSES,
    DURING,
    OPENS,
    SITE_URL,
    T0,
    areas,
    audit_actions,
    auth_for,
    committee_with,
    consultation,
    consultation_form,
    context,
    count,
    draft,
    hearing,
    messages,
    resident,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")


async def load(database: Database, consultation_id: int | None) -> Consultation:
    async with database.read() as session:
        item = await session.get(Consultation, consultation_id)
    assert item is not None
    return item


async def test_create_within_the_committees_area(database: Database, settings: Settings):
    ids = await areas(database)
    board = await committee_with(database, settings)  # on 和谐街道
    before = await audit_actions(database)
    item = await services.create(
        database, board.member, consultation_form(board, ids["hx-c1"]), now=T0
    )
    assert (item.committee_id, item.area_id, item.stage, item.published_at) == (
        board.id,
        ids["hx-c1"],
        "draft",
        None,
    )
    assert (
        item.created_by == board.member.user.id
        and item.milestones == '[["2026-12-01", "意见征集开始"]]'
    )
    street = await services.create(
        database, board.chair, consultation_form(board, ids["hx-s"]), now=T0
    )
    assert street.area_id == ids["hx-s"]  # its own area will do too
    async with database.read() as session:
        assert [c.stage for c in await queries.timeline(session, item.id)] == ["draft"]
    assert await audit_actions(database) == [
        *before,
        "consultation.created",
        "consultation.created",
    ]

    for elsewhere in (ids["far-c1"], ids["hx"], 999_999):  # another city, above, nowhere
        with pytest.raises(FormInvalid) as refused:
            await services.create(
                database, board.chair, consultation_form(board, elsewhere), now=T0
            )
        assert set(refused.value.errors) == {"area"}
    # A committee the actor is not on (or that does not exist): not found, no hint which.
    with pytest.raises(NotFound):
        form = consultation_form(board, ids["hx-c1"], committee="999999")
        await services.create(database, board.chair, form, now=T0)
    assert await count(database, Consultation) == 2


async def test_only_the_committee_creates_for_itself(database: Database, settings: Settings):
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    alice = await resident(database, settings, "alice@example.org")
    not_past_code = await auth_for(database, board.chair.user, second_factor=False)
    form = consultation_form(board, ids["hx-c1"])
    for outsider in (alice, other.chair, not_past_code):
        with pytest.raises(NotFound):
            await services.create(database, outsider, form, now=T0)
    assert await count(database, Consultation) == 0


async def test_update_and_mass_assignment(database: Database, settings: Settings):
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    item = await consultation(database, settings, board, published=False)
    later = T0 + timedelta(hours=1)
    form = consultation_form(
        board,
        ids["hx-c2"],
        title="安宁社区停车管理办法",
        budget="5万元",
        # Fields that are not on the form are not taken from it.
        stage="decided",
        published_at="2020-01-01",
        created_by=str(other.chair.user.id),
    )
    updated = await services.update(database, board.secretary, item.id, form, now=later)
    stored = await load(database, item.id)
    assert (stored.title, stored.area_id, stored.budget) == (
        "安宁社区停车管理办法",
        ids["hx-c2"],
        "5万元",
    )
    assert (stored.stage, stored.published_at, stored.created_by) == (
        "draft",
        None,
        board.chair.user.id,
    )
    assert updated.updated_at == later

    moved = consultation_form(board, ids["hx-c1"], committee=str(other.id))
    with pytest.raises(FormInvalid) as refused:
        await services.update(database, board.chair, item.id, moved, now=later)
    assert set(refused.value.errors) == {"committee"}
    # The other committee, sending a form with its own committee, gets nothing either.
    with pytest.raises(NotFound):
        await services.update(database, other.chair, item.id, moved, now=later)
    far = consultation_form(board, ids["far-c1"])
    with pytest.raises(FormInvalid) as outside:
        await services.update(database, board.chair, item.id, far, now=later)
    assert set(outside.value.errors) == {"area"}
    stored = await load(database, item.id)
    assert (stored.committee_id, stored.area_id, stored.title) == (
        board.id,
        ids["hx-c2"],
        "安宁社区停车管理办法",
    )


async def test_advance_through_the_stages(database: Database, settings: Settings):
    board = await committee_with(database, settings)
    ctx = context(settings)
    item = await consultation(database, settings, board, published=False)
    opened = await services.advance(
        database, ctx, board.member, item.id, "draft", now=T0 + timedelta(hours=1)
    )
    assert opened.stage == "open" and opened.published_at == T0 + timedelta(hours=1)
    with pytest.raises(Conflict):  # two members pressed the button on the same page
        await services.advance(
            database, ctx, board.chair, item.id, "draft", now=T0 + timedelta(hours=2)
        )
    assert (await load(database, item.id)).stage == "open"
    seen = "open"
    for n, stage in enumerate(list(Stage)[2:], start=2):
        moved = await services.advance(
            database, ctx, board.chair, item.id, seen, now=T0 + timedelta(hours=n)
        )
        assert moved.stage == stage.value
        seen = stage.value
    with pytest.raises(Invalid):
        await services.advance(
            database, ctx, board.chair, item.id, "closed", now=T0 + timedelta(days=1)
        )
    stored = await load(database, item.id)
    assert stored.stage == "closed"
    assert stored.published_at is not None
    assert stored.published_at.replace(tzinfo=None) == (T0 + timedelta(hours=1)).replace(
        tzinfo=None
    )
    async with database.read() as session:
        timeline = await queries.timeline(session, item.id)
    assert [c.stage for c in timeline] == [s.value for s in Stage]
    assert await count(database, StageChange) == len(Stage)


async def test_followers_hear_of_stage_changes_and_revised_drafts(
    database: Database, settings: Settings
):
    board = await committee_with(database, settings)
    ctx = context(settings)
    item = await consultation(database, settings, board, published=False)
    alice = await resident(database, settings, "alice@example.org")
    bob = await resident(database, settings, "bob@example.org", locale="en")
    unconfirmed = await resident(database, settings, "dave@example.org", confirmed=False)
    with pytest.raises(NotFound):  # a draft cannot be followed
        await services.follow(database, alice, item.id)
    await services.advance(database, ctx, board.chair, item.id, "draft", now=T0)
    made = await hearing(database, board, item.id)
    assert await messages(database) == []  # publishing tells nobody: nobody follows yet

    await services.follow(database, alice, item.id)
    await services.follow(database, alice, item.id)  # harmless
    await services.follow(database, bob, item.id)
    with pytest.raises(Forbidden):
        await services.follow(database, unconfirmed, item.id)
    assert await count(database, Follower) == 2
    async with database.read() as session:
        assert await queries.following(session, alice, item.id)
        tokens = {
            f.user_id: f.token
            for f in (await session.exec(select(Follower).order_by(col(Follower.id)))).all()
        }

    await services.advance(database, ctx, board.chair, item.id, "open", now=DURING)
    await hearing_services.publish_version(
        database,
        ctx,
        board.chair,
        made.id,
        draft(note="第二条收费降为80元"),
        now=DURING,
    )
    for person in (alice, bob):
        sent = await messages(database, person.user.login)
        assert len(sent) == 2
        link = f"{SITE_URL}/consultations/unsubscribe/{tokens[person.user.id]}"
        assert all(link in m.body for m in sent)
        others = [t for uid, t in tokens.items() if uid != person.user.id]
        assert not any(t in m.body for t in others for m in sent)  # only their own link
    english = await messages(database, bob.user.login)
    with using_locale("en"):
        assert english[0].subject == f"Consultation update: {item.title}"
        assert "Under deliberation" in english[0].body
        assert english[1].subject == "A revised draft: 停车管理办法（征求意见稿）"
        assert "version 2" in english[1].body and "第二条收费降为80元" in english[1].body

    await services.unfollow(database, bob, item.id)
    gone = await services.unsubscribe(database, tokens[alice.user.id])
    assert gone is not None and gone.id == item.id
    assert await services.unsubscribe(database, tokens[alice.user.id]) is None
    assert await services.unsubscribe(database, "no-such-token") is None
    assert await count(database, Follower) == 0
    await services.advance(database, ctx, board.chair, item.id, "deliberation", now=DURING)
    assert len(await messages(database)) == 4  # nobody follows any more


async def test_another_committee_cannot_manage(database: Database, settings: Settings):
    ids = await areas(database)
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    ctx = context(settings)
    item = await consultation(database, settings, board, published=False)
    form = consultation_form(board, ids["hx-c1"], title="被改掉的标题")
    for outsider, refusal in ((other.chair, NotFound), (other.member, NotFound)):
        with pytest.raises(refusal):
            await services.update(database, outsider, item.id, form, now=T0)
        with pytest.raises(refusal):
            await services.advance(database, ctx, outsider, item.id, "draft", now=T0)
        with pytest.raises(refusal):
            await hearing_services.create(
                database,
                outsider,
                item.id,
                HearingInput("越界的听证", OPENS, CLOSES, None, None),
                draft(),
                now=T0,
            )
    await services.advance(database, ctx, board.chair, item.id, "draft", now=T0)
    for outsider in (other.chair, await resident(database, settings, "alice@example.org")):
        with pytest.raises(Forbidden):
            await services.update(database, outsider, item.id, form, now=T0)
        with pytest.raises(Forbidden):
            await services.advance(database, ctx, outsider, item.id, "open", now=T0)
    stored = await load(database, item.id)
    assert (stored.title, stored.stage) == ("幸福社区停车管理办法", "open")
    assert await count(database, StageChange) == 2
    assert await count(database, Hearing) == 0


async def test_followers_hear_of_a_new_hearing(database: Database, settings: Settings):
    board = await committee_with(database, settings)
    item = await consultation(database, settings, board)
    alice = await resident(database, settings, "alice@example.org", locale="en")
    await services.follow(database, alice, item.id)
    data = HearingInput("加装电梯方案", OPENS, CLOSES, None, None)
    made = await hearing_services.create(
        database, board.chair, item.id, data, draft(), ctx=context(settings), now=T0
    )
    sent = await messages(database, alice.user.login)
    assert [m.subject for m in sent] == ["A new hearing: 加装电梯方案"]
    assert f"{SITE_URL}/hearings/{made.id}" in sent[0].body
    assert "/consultations/unsubscribe/" in sent[0].body
