"""Expert forums through their services, on SQLite and PostgreSQL: creating a forum,
inviting experts (by address and by account), answering the personal link, verifying
credentials, declaring conflicts, drafting, submitting and amending with receipts, the
deadline that freezes everything, the release record, follow-up questions and the audit
trail."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from deliberate.accounts.services import FormInvalid
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from deliberate.forums import attachments, opinions, services
from deliberate.forums.forms import Answer, parse_forum
from deliberate.forums.models import (
    ExpertForum,
    FollowUp,
    ForumInvitation,
    ForumQuestion,
    OpinionAttachment,
    OpinionDraft,
    OpinionVersion,
)
from deliberate.identity.models import ExpertCredential
from deliberate.web.i18n import using_locale
from tests.support.accounts import make_person
from tests.support.forums import (
    AFTER,
    BEFORE,
    CREDENTIAL,
    DEADLINE,
    LATER,
    QUESTIONS,
    TZ,
    Expert,
    ForumWorld,
    answers_for,
    create_forum,
    draft,
    expert,
    forum_form,
    forum_input,
    invitations,
    invite_address,
    pdf_bytes,
    reload_forum,
    reload_invitation,
    token_for,
    versions,
    world,
)
from tests.support.hearings import (
    SITE_URL,
    T0,
    audit_actions,
    audit_events,
    auth_for,
    committee_with,
    consultation,
    context,
    count,
    messages,
    resident,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def english(error: pytest.ExceptionInfo[Any]) -> str:
    with using_locale("en"):
        return str(error.value.message)


def fields(error: pytest.ExceptionInfo[FormInvalid]) -> dict[str, str]:
    with using_locale("en"):
        return {name: str(message) for name, message in error.value.errors.items()}


def payload(event: Any) -> dict[str, Any]:
    return json.loads(event.payload)


async def new_actions(database: Database, before: list[str]) -> list[str]:
    after = await audit_actions(database)
    assert after[: len(before)] == before
    return after[len(before) :]


async def submit(
    database: Database, w: ForumWorld, who: Expert, marker: str, **options: Any
) -> OpinionVersion:
    options.setdefault("now", BEFORE)
    return await services.submit(
        database, who.auth, w.forum_id, answers_for(w.questions, marker), **options
    )


# Creating a forum


async def test_the_chair_creates_a_forum_with_its_questions(database: Database, settings: Settings):
    board = await committee_with(database, settings)
    item = await consultation(database, settings, board)
    before = await audit_actions(database)
    forum = await services.create(
        database,
        board.member,
        item.id,  # type: ignore[arg-type]
        forum_input(publication="anonymised"),
        now=T0,
    )
    stored = await reload_forum(database, forum.id)  # type: ignore[arg-type]
    assert (stored.consultation_id, stored.publication, stored.created_by) == (
        item.id,
        "anonymised",
        board.member.user.id,
    )
    assert stored.title == "停车楼方案专家论证" and stored.released_at is None
    # The form's local time (Asia/Shanghai), stored as the same moment.
    assert stored.deadline.replace(tzinfo=None) == DEADLINE.replace(tzinfo=None, second=0)
    async with database.read() as session:
        rows = (await session.exec(select(ForumQuestion).order_by(ForumQuestion.number))).all()
    assert [(q.forum_id, q.number, q.text, q.background) for q in rows] == [
        (forum.id, n, text, background) for n, (text, background) in enumerate(QUESTIONS, 1)
    ]
    assert await new_actions(database, before) == ["forum.created"]
    (event,) = await audit_events(database, "forum.created")
    assert event.subject == f"forum:{forum.id}" and event.actor == board.member.user.public_id
    assert payload(event)["questions"] == 3 and payload(event)["publication"] == "anonymised"


def test_the_form_needs_a_question_a_deadline_and_a_publication_mode() -> None:
    with pytest.raises(FormInvalid) as none:
        parse_forum(forum_form(questions=()), TZ)
    assert fields(none) == {"question_1": "Ask the experts at least one question."}
    with pytest.raises(FormInvalid) as bad:
        parse_forum(forum_form(publication="public", title=""), TZ)
    assert set(fields(bad)) == {"title", "publication"}
    form = forum_form()
    form["deadline"] = "next week"
    with pytest.raises(FormInvalid) as when:
        parse_forum(form, TZ)
    assert fields(when) == {"deadline": "Enter the deadline for opinions."}
    with pytest.raises(FormInvalid) as background_only:
        parse_forum(forum_form(questions=(("", "只有背景"),)), TZ)
    assert list(fields(background_only)) == ["question_1"]
    # Gaps between the slots are skipped; the questions are numbered as they come.
    gappy = forum_form(questions=())
    gappy["question_4"] = "只有第四题"
    assert [q.text for q in parse_forum(gappy, TZ).questions] == ["只有第四题"]


async def test_a_deadline_in_the_past_is_refused(database: Database, settings: Settings):
    board = await committee_with(database, settings)
    item = await consultation(database, settings, board)
    data = forum_input(deadline=T0 - timedelta(hours=1))
    for moment in (T0, data.deadline):
        with pytest.raises(FormInvalid) as past:
            await services.create(database, board.chair, item.id, data, now=moment)  # type: ignore[arg-type]
        assert fields(past) == {"deadline": "The deadline must be in the future."}
    assert await count(database, ExpertForum) == 0
    assert await count(database, ForumQuestion) == 0
    assert "forum.created" not in await audit_actions(database)


async def test_only_the_committee_creates_a_forum(database: Database, settings: Settings):
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    published = await consultation(database, settings, board)
    hidden = await consultation(database, settings, board, published=False)
    someone = await resident(database, settings, "someone@example.org")
    awaiting = await auth_for(database, board.member.user, second_factor=False)
    before = await audit_actions(database)
    for actor in (someone, other.chair, awaiting):
        with pytest.raises(Forbidden):
            await services.create(database, actor, published.id, forum_input(), now=T0)  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            await services.create(database, actor, hidden.id, forum_input(), now=T0)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await services.create(database, board.chair, 999_999, forum_input(), now=T0)
    assert await count(database, ExpertForum) == 0
    assert await count(database, ForumQuestion) == 0
    assert await audit_actions(database) == before


# Inviting


async def test_invite_by_address_sends_a_personal_link_and_keeps_only_its_hash(
    database: Database, settings: Settings
):
    w = await world(database, settings, experts=False)
    before = await audit_actions(database)
    invitation = await services.invite(
        database,
        context(settings),
        w.board.secretary,
        w.forum_id,
        {"address": "  Zhao.Expert@Example.ORG "},
        now=BEFORE,
    )
    assert invitation.address == "zhao.expert@example.org"
    assert (invitation.letter, invitation.status, invitation.user_id) == ("A", "invited", None)
    (message,) = await messages(database, "zhao.expert@example.org")
    assert message.channel == "email"
    assert "停车楼方案专家论证" in message.subject
    assert f"{SITE_URL}/forums/invitations/" in message.body
    token = await token_for(database, "zhao.expert@example.org")
    assert len(token) >= 40
    (stored,) = await invitations(database, w.forum_id)
    assert stored.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    for name, value in stored.model_dump().items():
        assert token not in str(value), name
    assert await new_actions(database, before) == ["forum.invited"]
    (event,) = await audit_events(database, "forum.invited")
    assert payload(event) == {"letter": "A", "expert": None}
    assert token not in event.payload


async def test_experts_get_letters_in_invitation_order_and_each_address_once(
    database: Database, settings: Settings
):
    w = await world(database, settings, experts=False)
    ctx = context(settings)
    for n, letter in enumerate("ABC"):
        made = await services.invite(
            database, ctx, w.board.chair, w.forum_id, {"address": f"e{n}@example.org"}, now=BEFORE
        )
        assert made.letter == letter
    for address in ("e1@example.org", "E1@EXAMPLE.org"):
        with pytest.raises(FormInvalid) as again:
            await services.invite(
                database, ctx, w.board.chair, w.forum_id, {"address": address}, now=BEFORE
            )
        assert fields(again) == {"address": "This expert has already been invited to this forum."}
    with pytest.raises(FormInvalid) as nonsense:
        await services.invite(
            database, ctx, w.board.chair, w.forum_id, {"address": "not an address"}, now=BEFORE
        )
    assert list(fields(nonsense)) == ["address"]
    assert [i.letter for i in await invitations(database, w.forum_id)] == ["A", "B", "C"]
    assert len(await messages(database, "e1@example.org")) == 1
    # Another forum starts its letters again.
    second = await create_forum(database, w.board, w.consultation.id)  # type: ignore[arg-type]
    made = await services.invite(
        database, ctx, w.board.chair, second.id, {"address": "e1@example.org"}, now=BEFORE
    )  # type: ignore[arg-type]
    assert made.letter == "A"


async def test_invite_a_credentialed_expert_by_account(database: Database, settings: Settings):
    w = await world(database, settings)
    ctx = context(settings)
    second = await create_forum(database, w.board, w.consultation.id)  # type: ignore[arg-type]
    fid: int = second.id  # type: ignore[assignment]
    # Only an expert this committee credentialed can be chosen.
    for chosen in (str(w.resident.user.id), "999999", "abc"):
        with pytest.raises(FormInvalid) as refused:
            await services.invite(database, ctx, w.board.chair, fid, {"expert": chosen}, now=BEFORE)
        assert fields(refused) == {"expert": "Choose one of the committee's experts."}
    before = await audit_actions(database)
    invitation = await services.invite(
        database, ctx, w.board.chair, fid, {"expert": str(w.expert.auth.user.id)}, now=BEFORE
    )
    assert (invitation.user_id, invitation.address, invitation.letter) == (
        w.expert.auth.user.id,
        "wang.expert@example.org",
        "A",
    )
    assert len(await messages(database, "wang.expert@example.org")) == 2
    assert await new_actions(database, before) == ["forum.invited"]
    assert payload((await audit_events(database, "forum.invited"))[-1])["expert"] == (
        w.expert.auth.user.public_id
    )
    for form, field in (
        ({"expert": str(w.expert.auth.user.id)}, "expert"),
        ({"address": "wang.expert@example.org"}, "address"),
    ):
        with pytest.raises(FormInvalid) as twice:
            await services.invite(database, ctx, w.board.chair, fid, form, now=BEFORE)
        assert list(fields(twice)) == [field]
    # The invitation is theirs: nobody else can take the link.
    token = await token_for(database, "wang.expert@example.org")
    with pytest.raises(NotFound):
        await services.respond(database, w.second.auth, token, accept=True, now=BEFORE)
    accepted = await services.respond(database, w.expert.auth, token, accept=True, now=BEFORE)
    assert accepted.status == "accepted"
    # Already credentialed by this committee: they can declare at once.
    await services.declare(database, w.expert.auth, fid, "", now=BEFORE)


async def test_only_the_committee_invites_and_only_before_the_deadline(
    database: Database, settings: Settings
):
    w = await world(database, settings, experts=False)
    ctx = context(settings)
    form = {"address": "x@example.org"}
    before = await audit_actions(database)
    for actor in (w.resident, w.admin, w.other):
        with pytest.raises(Forbidden):
            await services.invite(database, ctx, actor, w.forum_id, form, now=BEFORE)
    with pytest.raises(Forbidden) as late:
        await services.invite(database, ctx, w.board.chair, w.forum_id, form, now=AFTER)
    assert english(late) == "The deadline has passed: no more experts can be invited."
    with pytest.raises(NotFound):
        await services.invite(database, ctx, w.board.chair, 999_999, form, now=BEFORE)
    assert await count(database, ForumInvitation) == 0
    assert await messages(database, "x@example.org") == []
    assert await audit_actions(database) == before


async def test_a_forum_in_a_draft_consultation_is_not_found_to_outsiders(
    database: Database, settings: Settings
):
    w = await world(database, settings, published=False, experts=False)
    with pytest.raises(NotFound):
        await services.invite(
            database, context(settings), w.resident, w.forum_id, {"address": "x@example.org"}
        )
    # ...but the expert invited to it may answer and, once verified, write.
    e = await expert(database, settings, w.board, w.forum_id, "zhou@example.org")
    await services.save_draft(
        database, e.auth, w.forum_id, answers_for(w.questions, "草稿"), now=BEFORE
    )


# Answering the invitation


async def test_accept_through_the_link(database: Database, settings: Settings):
    w = await world(database, settings, experts=False)
    person = await make_person(database, settings, "sun@example.org", totp=True)
    auth = await auth_for(database, person.user)
    invitation, token = await invite_address(
        database, settings, w.board.chair, w.forum_id, "sun@example.org"
    )
    other = await resident(database, settings, "other@example.org")
    before = await audit_actions(database)
    accepted = await services.respond(database, auth, token, accept=True, now=BEFORE)
    stored = await reload_invitation(database, invitation.id)
    assert (stored.status, stored.user_id, stored.decline_reason) == (
        "accepted",
        person.user.id,
        "",
    )
    assert stored.responded_at is not None and accepted.id == invitation.id
    assert await new_actions(database, before) == ["forum.accepted"]
    with pytest.raises(Conflict) as twice:
        await services.respond(database, auth, token, accept=True, now=BEFORE)
    assert english(twice) == "You have already answered this invitation."
    with pytest.raises(Conflict):
        await services.respond(database, auth, token, accept=False, now=BEFORE)
    # The link is used up for anybody else.
    with pytest.raises(NotFound):
        await services.respond(database, other, token, accept=True, now=BEFORE)
    with pytest.raises(NotFound):
        await services.respond(database, auth, token + "x", accept=True, now=BEFORE)
    assert (await reload_invitation(database, invitation.id)).user_id == person.user.id
    assert await new_actions(database, before) == ["forum.accepted"]


async def test_decline_with_a_reason(database: Database, settings: Settings):
    w = await world(database, settings, experts=False)
    person = await make_person(database, settings, "zhou@example.org")
    auth = await auth_for(database, person.user)
    invitation, token = await invite_address(
        database, settings, w.board.chair, w.forum_id, "zhou@example.org"
    )
    await services.respond(database, auth, token, accept=False, reason="出差在外。", now=BEFORE)
    stored = await reload_invitation(database, invitation.id)
    assert (stored.status, stored.decline_reason, stored.user_id) == (
        "declined",
        "出差在外。",
        person.user.id,
    )
    (event,) = await audit_events(database, "forum.declined")
    assert payload(event) == {"letter": "A"} and event.actor == person.user.public_id
    with pytest.raises(Conflict):
        await services.respond(database, auth, token, accept=True, now=BEFORE)
    with pytest.raises(Forbidden) as cannot:
        await services.declare(database, auth, w.forum_id, "", now=BEFORE)
    assert english(cannot) == "Accept the invitation first."


async def test_the_link_cannot_be_answered_after_the_deadline(
    database: Database, settings: Settings
):
    w = await world(database, settings, experts=False)
    auth = await resident(database, settings, "late@example.org")
    invitation, token = await invite_address(
        database, settings, w.board.chair, w.forum_id, "late@example.org"
    )
    with pytest.raises(Forbidden):
        await services.respond(database, auth, token, accept=True, now=AFTER)
    stored = await reload_invitation(database, invitation.id)
    assert (stored.status, stored.user_id) == ("invited", None)


async def test_one_account_takes_one_place_in_a_forum(database: Database, settings: Settings):
    w = await world(database, settings)
    _invitation, token = await invite_address(
        database, settings, w.board.chair, w.forum_id, "wang.private@example.org"
    )
    with pytest.raises(Conflict):
        await services.respond(database, w.expert.auth, token, accept=True, now=BEFORE)
    assert (await invitations(database, w.forum_id))[-1].user_id is None


# Credentials and declarations


async def test_declaring_needs_the_committee_to_verify_the_credential_first(
    database: Database, settings: Settings
):
    w = await world(database, settings, experts=False)
    e = await expert(database, settings, w.board, w.forum_id, "qian@example.org", verify=False)
    for conflicts in ("", "顾问"):
        with pytest.raises(Forbidden) as unverified:
            await services.declare(database, e.auth, w.forum_id, conflicts, now=BEFORE)
        assert english(unverified) == "The committee has not yet verified your credentials."
    with pytest.raises(Forbidden):
        await services.save_draft(
            database, e.auth, w.forum_id, answers_for(w.questions, "x"), now=BEFORE
        )
    assert (await reload_invitation(database, e.invitation.id)).conflicts is None
    assert await count(database, OpinionDraft) == 0
    # Only the committee verifies, with every field filled in.
    for actor in (e.auth, w.resident, w.other):
        with pytest.raises((Forbidden, NotFound)):
            await services.verify_invited(
                database, actor, w.forum_id, e.invitation.id, CREDENTIAL, now=BEFORE
            )  # type: ignore[arg-type]
    with pytest.raises(FormInvalid) as incomplete:
        await services.verify_invited(
            database, w.board.chair, w.forum_id, e.invitation.id, {**CREDENTIAL, "title": " "}
        )  # type: ignore[arg-type]
    assert list(fields(incomplete)) == ["title"]
    with pytest.raises(NotFound):
        await services.verify_invited(database, w.board.chair, w.forum_id, 999_999, CREDENTIAL)
    assert await count(database, ExpertCredential) == 0
    await services.verify_invited(
        database, w.board.chair, w.forum_id, e.invitation.id, CREDENTIAL, now=BEFORE
    )  # type: ignore[arg-type]
    assert await count(database, ExpertCredential, ExpertCredential.user_id == e.person.user.id)
    fresh = await auth_for(database, e.person.user)
    assert fresh.expert
    await services.declare(database, fresh, w.forum_id, "为开发商做过评估。", now=BEFORE)
    stored = await reload_invitation(database, e.invitation.id)
    assert stored.conflicts == "为开发商做过评估。" and stored.declared_at is not None
    (event,) = await audit_events(database, "forum.declared")
    assert payload(event) == {"letter": "A", "conflicts": True}


async def test_an_invitation_not_yet_accepted_cannot_be_verified(
    database: Database, settings: Settings
):
    w = await world(database, settings, experts=False)
    invitation, _token = await invite_address(
        database, settings, w.board.chair, w.forum_id, "pending@example.org"
    )
    with pytest.raises(NotFound):
        await services.verify_invited(
            database, w.board.chair, w.forum_id, invitation.id, CREDENTIAL
        )  # type: ignore[arg-type]
    # Nor through another forum's address.
    other = await create_forum(database, w.board, w.consultation.id)  # type: ignore[arg-type]
    e = await expert(database, settings, w.board, w.forum_id, "zheng@example.org", verify=False)
    with pytest.raises(NotFound):
        await services.verify_invited(
            database, w.board.chair, other.id, e.invitation.id, CREDENTIAL
        )  # type: ignore[arg-type]
    assert await count(database, ExpertCredential) == 0


# Drafting, submitting, amending


async def test_save_a_draft_and_save_it_again(database: Database, settings: Settings):
    w = await world(database, settings)
    first = {1: Answer(summary="初稿")}
    saved = await services.save_draft(database, w.expert.auth, w.forum_id, first, now=BEFORE)
    assert opinions.read_draft(saved.content) == first
    second = answers_for(w.questions, "第二稿")
    await services.save_draft(
        database, w.expert.auth, w.forum_id, second, now=BEFORE + timedelta(minutes=5)
    )
    stored = await draft(database, w.expert.invitation.id)
    assert stored is not None and opinions.read_draft(stored.content) == second
    assert await count(database, OpinionDraft) == 1
    assert await count(database, OpinionVersion) == 0
    # Only the author, past the second factor.
    awaiting = await auth_for(database, w.expert.person.user, second_factor=False)
    for actor in (w.resident, w.board.chair, w.admin, awaiting):
        with pytest.raises(Forbidden):
            await services.save_draft(database, actor, w.forum_id, {}, now=BEFORE)
    assert await count(database, OpinionDraft) == 1
    assert opinions.read_draft((await draft(database, w.expert.invitation.id)).content) == second  # type: ignore[union-attr]


async def test_an_undeclared_expert_cannot_write(database: Database, settings: Settings):
    w = await world(database, settings, experts=False)
    e = await expert(database, settings, w.board, w.forum_id, "wu@example.org", conflicts=None)
    with pytest.raises(Forbidden) as first:
        await submit(database, w, e, "意见")
    assert english(first) == "Declare your conflicts of interest before you write."
    assert await count(database, OpinionDraft) == 0 and await count(database, OpinionVersion) == 0


async def test_an_incomplete_opinion_is_refused_and_its_draft_kept(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    answers = answers_for(w.questions, "未完")
    answers[2] = Answer(summary="只写了摘要")
    del answers[3]
    with pytest.raises(FormInvalid) as incomplete:
        await services.submit(database, w.expert.auth, w.forum_id, answers, now=BEFORE)
    assert set(fields(incomplete)) == {
        "analysis_2",
        "recommendation_2",
        "confidence_2",
        "summary_3",
        "analysis_3",
        "recommendation_3",
        "confidence_3",
    }
    assert await count(database, OpinionVersion) == 0
    assert "forum.submitted" not in await audit_actions(database)
    # What was typed is not lost.
    stored = await draft(database, w.expert.invitation.id)
    assert stored is not None, "the draft was rolled back with the refused submission"
    kept = opinions.read_draft(stored.content)
    assert kept[1] == answers[1] and kept[2] == answers[2] and kept[3].blank


async def test_submit_stores_canonical_content_and_its_hash(database: Database, settings: Settings):
    w = await world(database, settings)
    before = await audit_actions(database)
    version = await submit(database, w, w.expert, "甲专家第一版", ctx=context(settings))
    (stored,) = await versions(database, w.expert.invitation.id)
    assert (stored.number, stored.id) == (1, version.id)
    assert stored.sha256 == hashlib.sha256(stored.content.encode("utf-8")).hexdigest()
    content = json.loads(stored.content)
    assert stored.content == opinions.canonical(content)
    assert (content["forum"], content["expert"], content["version"]) == (w.forum_id, "A", 1)
    assert content["conflicts_of_interest"] == ""
    assert [a["question"] for a in content["answers"]] == [1, 2, 3]
    assert content["answers"][0]["question_text"] == QUESTIONS[0][0]
    assert content["answers"][2]["summary"] == "甲专家第一版 摘要3"
    # The draft is what was submitted.
    saved = await draft(database, w.expert.invitation.id)
    assert saved is not None
    assert opinions.read_draft(saved.content) == answers_for(w.questions, "甲专家第一版")
    assert await new_actions(database, before) == ["forum.submitted"]
    (event,) = await audit_events(database, "forum.submitted")
    assert payload(event) == {"letter": "A", "version": 1, "sha256": stored.sha256}
    # The receipt: to the expert, with the hash.
    receipts = [
        m for m in await messages(database, "wang.expert@example.org") if stored.sha256 in m.body
    ]
    assert len(receipts) == 1 and receipts[0].channel == "email"
    # B's declared conflict is part of B's record.
    b = await submit(database, w, w.second, "乙专家")
    assert json.loads(b.content)["conflicts_of_interest"] == "曾为开发商提供咨询服务。"
    assert json.loads(b.content)["expert"] == "B"
    # Without a context nobody is mailed.
    assert [
        m for m in await messages(database, "li.expert@example.org") if b.sha256 in m.body
    ] == []


async def test_amending_adds_a_version_and_keeps_the_first(database: Database, settings: Settings):
    w = await world(database, settings)
    first = await submit(database, w, w.expert, "第一版")
    second = await submit(database, w, w.expert, "第二版", now=DEADLINE - timedelta(seconds=1))
    v1, v2 = await versions(database, w.expert.invitation.id)
    assert (v1.number, v2.number) == (1, 2)
    assert (v1.content, v1.sha256) == (first.content, first.sha256)
    assert v1.submitted_at.replace(tzinfo=None) == BEFORE.replace(tzinfo=None)
    assert "第一版" in v1.content and "第二版" not in v1.content
    assert "第二版" in v2.content and v2.sha256 == second.sha256 != v1.sha256
    assert json.loads(v2.content)["version"] == 2
    events = await audit_events(database, "forum.submitted")
    assert [payload(e)["sha256"] for e in events] == [v1.sha256, v2.sha256]


async def test_the_deadline_freezes_everything(database: Database, settings: Settings):
    w = await world(database, settings)
    await submit(database, w, w.expert, "截止前")
    frozen = await draft(database, w.expert.invitation.id)
    before = await audit_actions(database)
    files = settings.data_dir / attachments.DIRECTORY
    listed = sorted(files.iterdir()) if files.exists() else []
    for moment in (DEADLINE, AFTER):
        with pytest.raises(Forbidden) as late:
            await submit(database, w, w.expert, "截止后", now=moment)
        assert english(late) == "The deadline has passed: opinions can no longer be changed."
        with pytest.raises(Forbidden):
            await services.save_draft(
                database, w.expert.auth, w.forum_id, answers_for(w.questions, "截止后"), now=moment
            )
        with pytest.raises(Forbidden):
            await services.declare(database, w.expert.auth, w.forum_id, "新的冲突", now=moment)
        with pytest.raises(Forbidden):
            await attachments.add(
                database,
                settings.data_dir,
                w.expert.auth,
                w.forum_id,
                "late.pdf",
                pdf_bytes(),
                now=moment,
            )
    assert len(await versions(database, w.expert.invitation.id)) == 1
    assert await draft(database, w.expert.invitation.id) == frozen
    assert (await reload_invitation(database, w.expert.invitation.id)).conflicts == ""
    assert await count(database, OpinionAttachment) == 0
    assert (sorted(files.iterdir()) if files.exists() else []) == listed
    assert await audit_actions(database) == before


# Release


async def test_release_is_recorded_once_with_each_final_hash(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    await submit(database, w, w.expert, "A第一版")
    a2 = await submit(database, w, w.expert, "A第二版", now=BEFORE + timedelta(hours=1))
    b1 = await submit(database, w, w.second, "B第一版")
    # A third expert accepted and never submitted: not in the record.
    await expert(database, settings, w.board, w.forum_id, "idle@example.org")
    assert await services.release_due(database, now=DEADLINE - timedelta(seconds=1)) == []
    assert (await reload_forum(database, w.forum_id)).released_at is None
    assert await services.release_due(database, now=AFTER) == [w.forum_id]
    assert await services.release_due(database, now=LATER) == []
    (event,) = await audit_events(database, "forum.released")
    assert payload(event) == {"opinions": {"A": a2.sha256, "B": b1.sha256}}
    assert event.subject == f"forum:{w.forum_id}"
    released = (await reload_forum(database, w.forum_id)).released_at
    assert released is not None and released.replace(tzinfo=None) == AFTER.replace(tzinfo=None)


async def test_release_by_two_workers_at_once_is_recorded_once(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    a1 = await submit(database, w, w.expert, "A")
    results = await asyncio.gather(
        services.release_due(database, now=AFTER), services.release_due(database, now=AFTER)
    )
    assert sorted(results) == [[], [w.forum_id]]
    (event,) = await audit_events(database, "forum.released")
    assert payload(event) == {"opinions": {"A": a1.sha256}}


async def test_two_submissions_at_once_get_numbers_one_and_two(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    made = await asyncio.gather(
        submit(database, w, w.expert, "同时一"), submit(database, w, w.expert, "同时二")
    )
    assert sorted(v.number for v in made) == [1, 2]
    assert [v.number for v in await versions(database, w.expert.invitation.id)] == [1, 2]


async def test_release_takes_only_the_forums_that_are_due(database: Database, settings: Settings):
    w = await world(database, settings, experts=False)
    later = await create_forum(
        database,
        w.board,
        w.consultation.id,  # type: ignore[arg-type]
        deadline=LATER + timedelta(days=1),
    )
    assert await services.release_due(database, now=AFTER) == [w.forum_id]
    (event,) = await audit_events(database, "forum.released")
    assert payload(event) == {"opinions": {}}
    assert (await reload_forum(database, later.id)).released_at is None  # type: ignore[arg-type]
    assert await services.release_due(database, now=LATER + timedelta(days=2)) == [later.id]
    assert len(await audit_events(database, "forum.released")) == 2


# Follow-up questions


async def test_follow_up_questions_after_the_deadline(database: Database, settings: Settings):
    w = await world(database, settings)
    await submit(database, w, w.expert, "意见")
    inv = w.expert.invitation.id
    with pytest.raises(Forbidden):
        await services.ask_follow_up(
            database, w.board.chair, w.forum_id, inv, "请补充说明。", now=BEFORE
        )  # type: ignore[arg-type]
    for actor in (w.resident, w.admin, w.other, w.second.auth):
        with pytest.raises(Forbidden):
            await services.ask_follow_up(database, actor, w.forum_id, inv, "?", now=AFTER)  # type: ignore[arg-type]
    assert await count(database, FollowUp) == 0
    # B submitted nothing: nothing to follow up.
    with pytest.raises(Invalid) as nothing:
        await services.ask_follow_up(
            database, w.board.chair, w.forum_id, w.second.invitation.id, "?", now=AFTER
        )  # type: ignore[arg-type]
    assert english(nothing) == "This expert did not submit an opinion."
    with pytest.raises(NotFound):
        await services.ask_follow_up(database, w.board.chair, w.forum_id, 999_999, "?", now=AFTER)
    before = await audit_actions(database)
    asked = await services.ask_follow_up(
        database, w.board.member, w.forum_id, inv, "请补充造价依据。", now=AFTER
    )  # type: ignore[arg-type]
    assert (asked.invitation_id, asked.asked_by, asked.answer) == (
        inv,
        w.board.member.user.id,
        None,
    )
    # Only the expert it was asked of answers it, once.
    with pytest.raises(NotFound):
        await services.answer_follow_up(
            database, w.second.auth, w.forum_id, asked.id, "我来回答", now=AFTER
        )  # type: ignore[arg-type]
    for actor in (w.board.chair, w.resident):
        with pytest.raises(Forbidden):
            await services.answer_follow_up(database, actor, w.forum_id, asked.id, "x", now=AFTER)  # type: ignore[arg-type]
    answered = await services.answer_follow_up(
        database, w.expert.auth, w.forum_id, asked.id, "依据为2025年定额。", now=LATER
    )  # type: ignore[arg-type]
    assert answered.answer == "依据为2025年定额。"
    with pytest.raises(Conflict):
        await services.answer_follow_up(
            database, w.expert.auth, w.forum_id, asked.id, "改一下", now=LATER
        )  # type: ignore[arg-type]
    async with database.read() as session:
        stored = await session.get(FollowUp, asked.id)
    assert stored is not None and stored.answer == "依据为2025年定额。"
    assert await new_actions(database, before) == [
        "forum.follow_up_asked",
        "forum.follow_up_answered",
    ]
    (asked_event,) = await audit_events(database, "forum.follow_up_asked")
    assert payload(asked_event) == {"letter": "A", "follow_up": asked.id}


async def test_a_follow_up_of_another_forum_is_not_found(database: Database, settings: Settings):
    w = await world(database, settings)
    await submit(database, w, w.expert, "意见")
    other = await create_forum(database, w.board, w.consultation.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await services.ask_follow_up(
            database, w.board.chair, other.id, w.expert.invitation.id, "?", now=LATER
        )  # type: ignore[arg-type]
    asked = await services.ask_follow_up(
        database, w.board.chair, w.forum_id, w.expert.invitation.id, "?", now=AFTER
    )  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        await services.answer_follow_up(database, w.expert.auth, other.id, asked.id, "!", now=LATER)  # type: ignore[arg-type]


# The audit trail


async def test_the_audit_trail_of_a_forum(database: Database, settings: Settings):
    before = await audit_actions(database)
    w = await world(database, settings)
    await submit(database, w, w.expert, "意见")
    await services.release_due(database, now=AFTER)
    forum_actions = [a for a in await new_actions(database, before) if a.startswith("forum.")]
    assert forum_actions == [
        "forum.created",
        "forum.invited",
        "forum.accepted",
        "forum.declared",
        "forum.invited",
        "forum.accepted",
        "forum.declared",
        "forum.submitted",
        "forum.released",
    ]
    (submitted,) = await audit_events(database, "forum.submitted")
    (released,) = await audit_events(database, "forum.released")
    assert payload(released)["opinions"] == {"A": payload(submitted)["sha256"]}
    assert released.actor != w.expert.auth.user.public_id
    for action in ("forum.invited", "forum.declared", "forum.submitted", "forum.released"):
        assert all(e.subject == f"forum:{w.forum_id}" for e in await audit_events(database, action))
