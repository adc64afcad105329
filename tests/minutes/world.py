"""A consultation with something of everything the minutes record, made through the real
services: the hearing world (tests.support.hearings) with comments, a reply, a hidden
comment and responses, a hearing session with a statement, an anonymised expert forum
with one submitted opinion, and a closed single-choice poll. ``LATE`` is after every
window and deadline: the time to compile at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.forums import services as forum_services
from deliberate.hearings import comments, sessions
from deliberate.hearings.comments import NewComment
from deliberate.hearings.forms import SessionInput, StatementInput
from deliberate.hearings.models import Comment
from deliberate.polls import services as poll_services
from tests.support.forums import answers_for, create_forum, expert, questions
from tests.support.hearings import CLOSES, DURING, T0, World, world
from tests.support.polls import form_for, make_poll, options_of

LATE = CLOSES + timedelta(days=2)


@dataclass
class MinutesWorld:
    w: World
    support: Comment  # alice's, answered "adopted"
    oppose: Comment  # bob's, unanswered
    hidden: Comment  # carol can't comment; bob's second, hidden by the committee
    forum_id: int
    poll_id: int

    @property
    def consultation_id(self) -> int:
        return self.w.consultation.id  # type: ignore[return-value]


async def minutes_world(
    database: Database, settings: Settings, *, forum: bool = True, poll: bool = True
) -> MinutesWorld:
    w = await world(database, settings)
    hid = w.hearing_id
    first, second = w.sections[0].id, w.sections[1].id
    support = await comments.post(
        database,
        w.alice,
        hid,
        NewComment(first, "support", "支持按先到先停的办法。", None),
        now=DURING,
    )
    oppose = await comments.post(
        database,
        w.bob,
        hid,
        NewComment(second, "oppose", "收费太高，建议降到50元。", None),
        now=DURING,
    )
    await comments.post(
        database, w.bob, hid, NewComment(None, None, "同意楼上。", support.id), now=DURING
    )
    hidden = await comments.post(
        database, w.bob, hid, NewComment(first, "question", "广告：低价洗车！", None), now=DURING
    )
    await comments.hide(database, w.board.member, hidden.id, "广告", now=DURING)  # type: ignore[arg-type]
    await comments.respond(
        database,
        w.board.chair,
        support.id,
        "adopted",
        "采纳：继续先到先停。",
        now=DURING,  # type: ignore[arg-type]
    )
    sitting = await sessions.schedule(
        database,
        w.board.secretary,
        hid,
        SessionInput(DURING + timedelta(days=1), "社区活动中心", "听取居民意见"),
        now=DURING,
    )
    await sessions.add_statement(
        database,
        w.board.secretary,
        sitting.id,  # type: ignore[arg-type]
        StatementInput("王阿姨", None, DURING + timedelta(days=1), "希望增加老人车位。"),
        now=DURING + timedelta(days=1),
    )
    forum_id = poll_id = 0
    if forum:
        made = await create_forum(database, w.board, w.consultation.id, publication="anonymised")  # type: ignore[arg-type]
        forum_id = made.id  # type: ignore[assignment]
        wang = await expert(database, settings, w.board, forum_id, "wang.expert@example.org")
        asked = await questions(database, forum_id)
        await forum_services.submit(
            database,
            wang.auth,
            forum_id,
            answers_for(asked, "专家意见"),
            now=T0 + timedelta(hours=1),
        )
    if poll:
        ids = w.ids
        made_poll = await make_poll(
            database,
            w.board.chair,
            w.consultation.id,
            "single",
            rule_area_id=ids["hx-c1"],  # type: ignore[arg-type]
        )
        poll_id = made_poll.id  # type: ignore[assignment]
        options = await options_of(database, poll_id)
        for voter in (w.alice, w.bob):
            await poll_services.cast(
                database, voter, poll_id, form_for("single", options[0]), now=DURING
            )
        await poll_services.close(database, w.board.chair, poll_id, now=LATE)
    return MinutesWorld(w, support, oppose, hidden, forum_id, poll_id)
