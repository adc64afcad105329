"""Comments through their services, on SQLite and PostgreSQL: post, reply, edit, delete,
endorse, flag, moderate, respond; the window, the frozen rule, object-level access,
hostile text, throttling, concurrency and the audit trail."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import FormInvalid
from deliberate.audit.models import AuditEvent
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.errors import Conflict, Forbidden, NotFound
from deliberate.hearings import comments, forms, queries
from deliberate.hearings.comments import NewComment
from deliberate.hearings.models import (
    Comment,
    Endorsement,
    Flag,
    ModerationAction,
    Response,
    Verdict,
)
from deliberate.throttle.models import ThrottleBucket
from deliberate.throttle.services import Throttled
from deliberate.web.i18n import using_locale
from deliberate.web.markdown import render
from tests.support.hearings import (
    AFTER,
    BEFORE,
    DURING,
    World,
    audit_actions,
    audit_events,
    count,
    resident,
    verify,
    world,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def english(error: pytest.ExceptionInfo) -> str:
    with using_locale("en"):
        return str(error.value.message)


async def post(
    database: Database,
    w: World,
    actor: Auth,
    body: str = "建议增加访客车位。",
    *,
    section: int = 1,
    stance: str = "suggestion",
    parent: Comment | None = None,
    now=DURING,
) -> Comment:
    if parent is not None:
        data = NewComment(None, None, body, parent.id)
    else:
        data = NewComment(w.sections[section].id, stance, body, None)
    return await comments.post(database, actor, w.hearing_id, data, now=now)


async def reload(database: Database, comment_id: int | None) -> Comment:
    async with database.read() as session:
        found = await session.get(Comment, comment_id)
    assert found is not None
    return found


async def new_actions(database: Database, before: list[str]) -> list[str]:
    after = await audit_actions(database)
    assert after[: len(before)] == before
    return after[len(before) :]


async def test_post_a_comment_and_reply_in_its_thread(database: Database, settings: Settings):
    w = await world(database, settings)
    before = await audit_actions(database)
    root = await post(database, w, w.alice, "第一条车位太少。", stance="oppose")
    assert (root.section_id, root.stance, root.parent_id, root.root_id) == (
        w.sections[1].id,
        "oppose",
        None,
        None,
    )
    assert root.author_id == w.alice.user.id and root.body == "第一条车位太少。"
    reply = await post(database, w, w.bob, "同意，访客也没地方停。", parent=root)
    assert (reply.stance, reply.parent_id, reply.root_id) == (None, root.id, root.id)
    assert reply.section_id == root.section_id
    deeper = await post(database, w, w.alice, "谢谢。", parent=reply)
    assert (deeper.parent_id, deeper.root_id) == (reply.id, root.id)
    stored = await reload(database, root.id)
    assert stored.replies == 2 and stored.endorsements == 0
    assert (await reload(database, reply.id)).replies == 0
    assert await new_actions(database, before) == ["comment.posted"] * 3
    async with database.read() as session:
        rows, total = await queries.comment_page(session, w.hearing_id, queries.Filters(), w.alice)
    assert total == 1
    assert [r.comment.id for r in rows] == [root.id]
    assert [c.comment.id for c in rows[0].children] == [reply.id]
    assert [c.comment.id for c in rows[0].children[0].children] == [deeper.id]


async def test_a_comment_needs_a_section_of_the_current_version_and_a_stance(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    with pytest.raises(FormInvalid) as no_section:
        await comments.post(
            database, w.alice, w.hearing_id, NewComment(None, "support", "好", None), now=DURING
        )
    assert "section" in no_section.value.errors
    with pytest.raises(FormInvalid) as no_stance:
        await comments.post(
            database,
            w.alice,
            w.hearing_id,
            NewComment(w.sections[1].id, None, "好", None),
            now=DURING,
        )
    assert "stance" in no_stance.value.errors
    with pytest.raises(NotFound):  # a parent from nowhere
        await comments.post(
            database, w.alice, w.hearing_id, NewComment(None, None, "好", 999_999), now=DURING
        )
    assert await count(database, Comment) == 0


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (AFTER, "The comment window has closed."),
        (BEFORE, "The comment window has not opened yet."),
    ],
    ids=["after", "before"],
)
async def test_outside_the_window_nothing_is_written(
    database: Database, settings: Settings, moment, reason: str
):
    w = await world(database, settings)
    rows = (
        await count(database, Comment),
        await count(database, AuditEvent),
        await count(database, ThrottleBucket),
    )
    with pytest.raises(Forbidden) as refused:
        await post(database, w, w.alice, now=moment)
    assert english(refused) == reason
    assert (
        await count(database, Comment),
        await count(database, AuditEvent),
        await count(database, ThrottleBucket),
    ) == rows


async def test_people_outside_the_rule_cannot_comment(database: Database, settings: Settings):
    w = await world(database, settings)
    unconfirmed = await resident(database, settings, "dave@example.org", confirmed=False)
    unverified = await resident(database, settings, "erin@example.org", area=None)
    for outsider in (w.carol, unconfirmed, unverified):
        with pytest.raises(Forbidden) as refused:
            await post(database, w, outsider)
        assert english(refused) == "The hearing's rule does not include you."
    assert await count(database, Comment) == 0
    # A verification in a community below the rule's area would do; the neighbour's
    # community (same street) does not.
    neighbour = await resident(database, settings, "fay@example.org", area="hx-c2")
    with pytest.raises(Forbidden):
        await post(database, w, neighbour)
    await verify(database, neighbour.user, w.ids["hx-c1"])
    assert (await post(database, w, neighbour)).author_id == neighbour.user.id


def test_the_comment_form_allows_5000_characters_and_not_one_more() -> None:
    with using_locale("en"), pytest.raises(FormInvalid) as too_long:
        comments.new_comment({"section": "7", "stance": "support", "body": "长" * 5001})
    with using_locale("en"):
        assert str(too_long.value.errors["body"]) == (
            "A comment can be at most 5,000 characters; yours has 5001."
        )
    with pytest.raises(FormInvalid):
        forms.comment_text("x" * 5001)
    with pytest.raises(FormInvalid) as empty:
        forms.comment_text(" \r\n\t ")
    assert "body" in empty.value.errors
    accepted = comments.new_comment({"section": "7", "stance": "support", "body": "长" * 5000})
    assert accepted == NewComment(7, "support", "长" * 5000, None)
    reply = comments.new_comment({"parent": "12", "stance": "support", "body": " 好的 "})
    assert reply == NewComment(None, None, "好的", 12)
    with pytest.raises(FormInvalid) as stance:
        comments.new_comment({"section": "7", "stance": "admin", "body": "好"})
    assert "stance" in stance.value.errors


async def test_a_5000_character_comment_is_stored_whole(database: Database, settings: Settings):
    w = await world(database, settings)
    form = {"section": str(w.sections[2].id), "stance": "question", "body": "问" * 5000}
    stored = await comments.post(
        database, w.alice, w.hearing_id, comments.new_comment(form), now=DURING
    )
    assert len((await reload(database, stored.id)).body) == 5000


class Markup(HTMLParser):
    """Everything in rendered HTML that could run script."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                self.urls.append(value or "")

    def handle_data(self, data: str) -> None:
        self.text += data


HOSTILE = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '<p onclick="alert(1)">点我</p>',
    "[点我](javascript:alert(1))",
    '<a href="javascript:alert(1)">链接</a>',
    "<javascript:alert(1)>",
    "[a](JaVaScRiPt:alert(document.cookie))",
    "[a](java&#x09;script:alert(1))",
    "{{7*7}}",
    "{% raw %}${7*7}",
    "正常链接 [政府网](https://www.gov.cn) 和 **加粗**",
]


async def test_hostile_text_is_stored_as_typed_and_rendered_harmless(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    posted = [await post(database, w, w.alice, body) for body in HOSTILE]
    for typed, comment in zip(HOSTILE, posted, strict=True):
        assert (await reload(database, comment.id)).body == typed
        markup = Markup()
        markup.feed(str(render(typed)))
        assert "script" not in markup.tags and "img" not in markup.tags, typed
        assert markup.handlers == [], typed
        for url in markup.urls:
            scheme = urlsplit("".join(url.split())).scheme.lower()
            assert scheme in ("", "http", "https", "mailto"), (typed, url)
    rendered = Markup()
    rendered.feed(str(render(HOSTILE[0])))
    assert "<script>alert('x')</script>" in rendered.text  # shown as text
    template = Markup()
    template.feed(str(render(HOSTILE[8])))
    assert "{{7*7}}" in template.text and "49" not in template.text
    fine = Markup()
    fine.feed(str(render(HOSTILE[-1])))
    assert HOSTILE[-1].startswith("正常链接")
    assert fine.urls == ["https://www.gov.cn"] and "strong" in fine.tags


async def test_edit_within_15_minutes_only(database: Database, settings: Settings):
    w = await world(database, settings)
    comment = await post(database, w, w.alice, "原文")
    before = await audit_actions(database)
    edited = await comments.edit(
        database, w.alice, comment.id, "改过", now=DURING + timedelta(minutes=14, seconds=59)
    )
    assert edited.body == "改过" and edited.edited_at is not None
    with pytest.raises(Forbidden) as late:
        await comments.edit(
            database, w.alice, comment.id, "再改", now=DURING + timedelta(minutes=15, seconds=1)
        )
    assert english(late) == "A comment can be edited for 15 minutes after posting."
    assert (await reload(database, comment.id)).body == "改过"
    assert await new_actions(database, before) == ["comment.edited"]


async def test_someone_elses_comment_is_not_found(database: Database, settings: Settings):
    w = await world(database, settings)
    comment = await post(database, w, w.alice, "爱丽丝的意见")
    before = await audit_actions(database)
    for attempt in (
        comments.edit(database, w.bob, comment.id, "鲍勃改的", now=DURING),
        comments.delete(database, w.bob, comment.id, now=DURING),
        comments.edit(database, w.board.chair, comment.id, "主任改的", now=DURING),
    ):
        with pytest.raises(NotFound):
            await attempt
    stored = await reload(database, comment.id)
    assert (stored.body, stored.edited_at, stored.deleted_at) == ("爱丽丝的意见", None, None)
    with pytest.raises(NotFound):
        await comments.edit(database, w.alice, 999_999, "x", now=DURING)
    assert await new_actions(database, before) == []


async def test_delete_leaves_a_tombstone_and_the_thread(database: Database, settings: Settings):
    w = await world(database, settings)
    root = await post(database, w, w.alice, "要删的意见")
    reply = await post(database, w, w.bob, "回复仍在", parent=root)
    before = await audit_actions(database)
    gone = await comments.delete(database, w.alice, root.id, now=DURING)
    assert gone.body == "" and gone.deleted_at is not None
    stored = await reload(database, root.id)
    assert stored.body == "" and stored.deleted_at is not None and stored.replies == 1
    kept = await reload(database, reply.id)
    assert (kept.body, kept.root_id, kept.deleted_at) == ("回复仍在", root.id, None)
    again = await comments.delete(database, w.alice, root.id, now=DURING)  # harmless
    assert again.deleted_at is not None
    assert await new_actions(database, before) == ["comment.deleted"]
    async with database.read() as session:
        rows, total = await queries.comment_page(session, w.hearing_id, queries.Filters(), None)
        counts = await queries.stance_counts(session, w.hearing_id)
    assert total == 1 and rows[0].comment.body == "" and not rows[0].comment.visible
    assert [c.comment.id for c in rows[0].children] == [reply.id]
    assert counts == {}  # a deleted comment no longer counts
    with pytest.raises(Forbidden):  # nothing more under a tombstone
        await post(database, w, w.bob, "再回复", parent=root)
    with pytest.raises(Forbidden):  # after the window, comments stay on the record
        await comments.delete(database, w.bob, reply.id, now=AFTER)
    assert (await reload(database, reply.id)).deleted_at is None


async def test_endorse_once_withdraw_and_not_ones_own(database: Database, settings: Settings):
    w = await world(database, settings)
    comment = await post(database, w, w.alice)
    before = await audit_actions(database)
    assert (await comments.endorse(database, w.bob, comment.id, now=DURING)).endorsements == 1
    assert (await comments.endorse(database, w.bob, comment.id, now=DURING)).endorsements == 1
    assert await count(database, Endorsement) == 1
    async with database.read() as session:
        rows, _total = await queries.comment_page(session, w.hearing_id, queries.Filters(), w.bob)
    assert rows[0].endorsed and rows[0].comment.endorsements == 1
    withdrawn = await comments.endorse(database, w.bob, comment.id, withdraw=True, now=DURING)
    assert withdrawn.endorsements == 0
    again = await comments.endorse(database, w.bob, comment.id, withdraw=True, now=DURING)
    assert again.endorsements == 0 and await count(database, Endorsement) == 0
    assert await new_actions(database, before) == [
        "comment.endorsed",
        "comment.endorsement_withdrawn",
    ]
    with pytest.raises(Forbidden) as own:
        await comments.endorse(database, w.alice, comment.id, now=DURING)
    assert english(own) == "You cannot endorse your own comment."
    with pytest.raises(Forbidden) as closed:
        await comments.endorse(database, w.bob, comment.id, now=AFTER)
    assert english(closed) == "The comment window has closed."
    with pytest.raises(Forbidden):
        await comments.endorse(database, w.carol, comment.id, now=DURING)
    assert (await reload(database, comment.id)).endorsements == 0
    assert await count(database, Endorsement) == 0


async def _all_at_once(settings: Settings, n: int, call) -> list[object]:
    """``call(db)`` n times at once, each on its own engine (as separate workers)."""
    databases = [Database(settings.database_url) for _ in range(n)]
    try:
        return await asyncio.gather(*(call(db) for db in databases), return_exceptions=True)
    finally:
        for db in databases:
            await db.dispose()


async def test_ten_endorsements_at_once_count_once(database: Database, settings: Settings):
    w = await world(database, settings)
    comment = await post(database, w, w.alice)
    results = await _all_at_once(
        settings, 10, lambda db: comments.endorse(db, w.bob, comment.id, now=DURING)
    )
    assert all(isinstance(r, Comment | Conflict) for r in results), results
    assert any(isinstance(r, Comment) for r in results)
    assert await count(database, Endorsement) == 1
    assert (await reload(database, comment.id)).endorsements == 1
    # Ten withdrawals at once (a double-clicked button): the counter must not go below 0.
    results = await _all_at_once(
        settings,
        10,
        lambda db: comments.endorse(db, w.bob, comment.id, withdraw=True, now=DURING),
    )
    assert all(isinstance(r, Comment) for r in results), results
    assert await count(database, Endorsement) == 0
    assert (await reload(database, comment.id)).endorsements == 0


async def test_flag_hide_and_restore(database: Database, settings: Settings):
    w = await world(database, settings)
    comment = await post(database, w, w.alice, "骂人的话")
    before = await audit_actions(database)
    await comments.flag(database, w.bob, comment.id, "人身攻击", now=DURING)
    await comments.flag(database, w.bob, comment.id, "再次举报", now=DURING)  # harmless
    await comments.flag(database, w.carol, comment.id, "不文明", now=DURING)  # any signed-in
    async with database.read() as session:
        flags = (await session.exec(select(Flag).order_by(col(Flag.id)))).all()
        open_flags = await queries.open_flags(session, w.hearing_id)
    assert [(c.id, n, reason) for c, n, reason in open_flags] == [(comment.id, 2, "人身攻击")]
    assert [(f.user_id, f.reason, f.handled_at) for f in flags] == [
        (w.bob.user.id, "人身攻击", None),
        (w.carol.user.id, "不文明", None),
    ]

    with pytest.raises(Forbidden):  # a resident cannot hide
        await comments.hide(database, w.bob, comment.id, "我不喜欢", now=DURING)
    assert (await reload(database, comment.id)).hidden_at is None

    hidden = await comments.hide(database, w.board.member, comment.id, "违反社区公约", now=DURING)
    assert hidden.hidden_at is not None and hidden.hidden_reason == "违反社区公约"
    stored = await reload(database, comment.id)
    assert stored.hidden_at is not None and not stored.visible
    async with database.read() as session:
        flags = (await session.exec(select(Flag))).all()
        log = await queries.moderation_log(session, w.hearing_id)
        counts = await queries.stance_counts(session, w.hearing_id)
        assert await queries.open_flags(session, w.hearing_id) == []
    assert all(f.handled_at is not None for f in flags)
    assert [(a.action, a.reason, a.actor_id) for a, _c in log] == [
        ("hide", "违反社区公约", w.board.member.user.id)
    ]
    assert counts == {}
    with pytest.raises(Conflict):
        await comments.hide(database, w.board.chair, comment.id, "再藏一次", now=DURING)
    with pytest.raises(Forbidden):  # a hidden comment cannot be endorsed
        await comments.endorse(database, w.bob, comment.id, now=DURING)

    restored = await comments.restore(
        database, w.board.chair, comment.id, "复核后恢复", now=DURING + timedelta(minutes=5)
    )
    assert restored.hidden_at is None and restored.hidden_reason is None
    assert (await reload(database, comment.id)).visible
    assert await count(database, ModerationAction) == 2
    assert await new_actions(database, before) == [
        "comment.flagged",
        "comment.flagged",
        "comment.hidden",
        "comment.restored",
    ]
    (hidden_event,) = await audit_events(database, "comment.hidden")
    assert "违反社区公约" in hidden_event.payload


async def test_another_areas_committee_cannot_moderate_or_respond(
    database: Database, settings: Settings
):
    """Committee B (远方市) meets committee A's published hearing as any reader does."""
    w = await world(database, settings)
    comment = await post(database, w, w.alice)
    await comments.flag(database, w.bob, comment.id, "看看", now=DURING)
    before = await audit_actions(database)
    for attempt in (
        comments.hide(database, w.other, comment.id, "越界", now=DURING),
        comments.respond(database, w.other, comment.id, "adopted", "越界", now=DURING),
    ):
        with pytest.raises(Forbidden):
            await attempt
    stored = await reload(database, comment.id)
    assert stored.hidden_at is None and stored.visible
    assert await count(database, ModerationAction) == 0
    assert await count(database, Response) == 0
    assert await count(database, Flag, col(Flag.handled_at).is_(None)) == 1
    assert await new_actions(database, before) == []


async def test_respond_with_each_verdict_and_revise(database: Database, settings: Settings):
    w = await world(database, settings)
    posted = [await post(database, w, w.alice, f"意见{n}") for n in range(len(Verdict))]
    before = await audit_actions(database)
    for comment, verdict in zip(posted, Verdict, strict=True):
        answer = await comments.respond(
            database, w.board.secretary, comment.id, verdict.value, f"理由：{verdict}", now=AFTER
        )
        assert (answer.comment_id, answer.verdict, answer.updated_at) == (
            comment.id,
            verdict.value,
            None,
        )
    revised = await comments.respond(
        database, w.board.chair, posted[0].id, "not_adopted", "重新考虑后不采纳", now=AFTER
    )
    assert revised.verdict == "not_adopted" and revised.updated_at is not None
    async with database.read() as session:
        answers = (
            await session.exec(select(Response).where(Response.comment_id == posted[0].id))
        ).all()
    assert [(a.verdict, a.explanation, a.responded_by) for a in answers] == [
        ("not_adopted", "重新考虑后不采纳", w.board.chair.user.id)
    ]
    assert await count(database, Response) == len(Verdict)
    assert await new_actions(database, before) == ["comment.answered"] * (len(Verdict) + 1)
    with pytest.raises(Forbidden):  # residents do not answer for the committee
        await comments.respond(database, w.bob, posted[1].id, "adopted", "我说采纳", now=AFTER)
    await comments.hide(database, w.board.chair, posted[1].id, "违规", now=AFTER)
    with pytest.raises(Forbidden):
        await comments.respond(database, w.board.chair, posted[1].id, "noted", "x", now=AFTER)


async def test_answered_counts_and_the_unanswered_queue(database: Database, settings: Settings):
    w = await world(database, settings)
    await verify(database, w.board.chair.user, w.ids["hx-c1"])  # the chair lives there too
    first = await post(database, w, w.alice, "最早", now=DURING)
    second = await post(database, w, w.alice, "第二", now=DURING + timedelta(minutes=1))
    reply = await post(database, w, w.bob, "回复", parent=first, now=DURING)
    third = await post(database, w, w.bob, "第三", now=DURING + timedelta(minutes=2))
    by_chair = await post(database, w, w.board.chair, "居委会说明", now=DURING)
    gone = await post(database, w, w.bob, "删掉的", now=DURING)
    await comments.delete(database, w.bob, gone.id, now=DURING)
    async with database.read() as session:
        view = await queries.hearing_view(session, w.hearing_id)
        assert view is not None
        assert await queries.answered(session, view) == (0, 4)
    await comments.respond(database, w.board.chair, first.id, "adopted", "采纳", now=AFTER)
    await comments.respond(database, w.board.chair, by_chair.id, "noted", "自己的", now=AFTER)
    await comments.hide(database, w.board.chair, reply.id, "跑题", now=AFTER)
    async with database.read() as session:
        assert await queries.answered(session, view) == (1, 3)
        queue, total = await queries.unanswered(session, view, 1)
    assert total == 2
    assert [c.id for c, _user, _section in queue] == [second.id, third.id]
    assert [s.id for _c, _u, s in queue] == [w.sections[1].id] * 2


async def test_the_21st_comment_in_10_minutes_is_throttled(database: Database, settings: Settings):
    w = await world(database, settings)
    for n in range(20):
        await post(database, w, w.alice, f"第{n}条", now=DURING + timedelta(seconds=n))
    with pytest.raises(Throttled) as throttled:
        await post(database, w, w.alice, "第21条", now=DURING + timedelta(seconds=30))
    assert 0 < throttled.value.retry_after <= 60
    assert await count(database, Comment) == 20
    # Someone else is not slowed down, and after the pause Alice can go on.
    await post(database, w, w.bob, "鲍勃的", now=DURING + timedelta(seconds=31))
    await post(database, w, w.alice, "第21条", now=DURING + timedelta(minutes=2))
    assert await count(database, Comment) == 22


async def test_every_write_leaves_its_audit_event(database: Database, settings: Settings):
    w = await world(database, settings)
    before = await audit_actions(database)
    root = await post(database, w, w.alice)
    reply = await post(database, w, w.bob, "回复", parent=root)
    await comments.edit(database, w.bob, reply.id, "改过的回复", now=DURING)
    await comments.endorse(database, w.bob, root.id, now=DURING)
    await comments.endorse(database, w.bob, root.id, withdraw=True, now=DURING)
    await comments.flag(database, w.carol, root.id, "举报", now=DURING)
    await comments.hide(database, w.board.member, root.id, "隐藏", now=DURING)
    await comments.restore(database, w.board.member, root.id, "恢复", now=DURING)
    await comments.respond(database, w.board.chair, root.id, "partly", "部分采纳", now=DURING)
    await comments.delete(database, w.bob, reply.id, now=DURING)
    assert await new_actions(database, before) == [
        "comment.posted",
        "comment.posted",
        "comment.edited",
        "comment.endorsed",
        "comment.endorsement_withdrawn",
        "comment.flagged",
        "comment.hidden",
        "comment.restored",
        "comment.answered",
        "comment.deleted",
    ]
    async with database.read() as session:
        events = (await session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))).all()
    mine = events[len(before) :]
    assert [e.actor for e in mine[:2]] == [w.alice.user.public_id, w.bob.user.public_id]
    assert all(root.body not in e.payload for e in mine)  # bodies are hashed, not copied
