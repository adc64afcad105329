"""The account's data export and deletion cover every feature (docs/accounts.md, "What the
export holds, what deletion removes").

alice follows the consultation, comments (the committee answers), endorses bob's comment,
asks to be verified elsewhere, applies to speak, votes in a ranked poll (and has the
receipt sent to her), is invited to an expert forum, submits an opinion and keeps a draft
of an amendment, and is told about the decision. bob does some of the same, so each
export can be checked for holding nobody else's data."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from deliberate import personal
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import AccountToken, UserSession
from deliberate.config import Settings
from deliberate.consultations import services as consultation_services
from deliberate.consultations.models import Follower
from deliberate.db import Database
from deliberate.decisions import services as decision_services
from deliberate.decisions.forms import DecisionInput
from deliberate.decisions.models import DecisionNotice, DecisionVote
from deliberate.forums import services as forum_services
from deliberate.forums.models import ForumInvitation, OpinionDraft, OpinionVersion
from deliberate.hearings import comments, speakers
from deliberate.hearings.comments import NewComment
from deliberate.hearings.models import Comment, Endorsement, SpeakerApplication
from deliberate.identity import counter
from deliberate.identity.models import Verification, VerificationRequest
from deliberate.minutes.models import Minutes
from deliberate.polls import receipts
from deliberate.polls import services as poll_services
from deliberate.polls.models import Ballot, VoterRoll
from deliberate.polls.services import Receipt
from tests.support.accounts import PASSWORD, Person, post_form, sign_in
from tests.support.forums import CREDENTIAL, answers_for, create_forum, invite_address, questions
from tests.support.hearings import (
    DURING,
    T0,
    World,
    auth_for,
    call_input,
    cheap_passwords,
    context,
    count,
    world,
)
from tests.support.polls import form_for, make_poll, options_of

__all__ = ["cheap_passwords"]

SECTIONS = {"identity", "consultations", "hearings", "polls", "forums", "decisions"}


@dataclass
class Scene:
    w: World
    alice: Auth  # an expert of the forum by the end
    mine: Comment
    theirs: Comment
    poll_id: int
    receipt: Receipt
    forum_id: int
    forum_token: str
    version: OpinionVersion


async def scene(database: Database, settings: Settings) -> Scene:
    w = await world(database, settings)
    alice, bob, chair = w.alice, w.bob, w.board.chair
    cid: int = w.consultation.id  # type: ignore[assignment]
    ctx = context(settings)
    for person in (alice, bob):
        await consultation_services.follow(database, person, cid)
    await counter.request_check(database, alice, w.ids["hx-c2"])

    section = w.sections[1].id
    mine = await comments.post(
        database,
        alice,
        w.hearing_id,
        NewComment(section, "oppose", "ALICE-COMMENT", None),
        now=DURING,
    )
    theirs = await comments.post(
        database, bob, w.hearing_id, NewComment(section, "support", "BOB-COMMENT", None), now=DURING
    )
    await comments.endorse(database, alice, theirs.id, now=DURING)  # type: ignore[arg-type]
    await comments.endorse(database, bob, mine.id, now=DURING)  # type: ignore[arg-type]
    await comments.respond(database, chair, mine.id, "partly", "CHAIR-ANSWER", now=DURING)  # type: ignore[arg-type]

    await speakers.open_call(database, w.board.member, w.hearing_id, call_input(), now=DURING)
    await speakers.apply(database, alice, w.hearing_id, "oppose", "ALICE-SPEAKER", now=DURING)
    await speakers.apply(database, bob, w.hearing_id, "support", "BOB-SPEAKER", now=DURING)

    poll = await make_poll(database, chair, cid, "ranked", rule_area_id=w.ids["hx-c1"])
    options = await options_of(database, poll.id)
    receipt = await poll_services.cast(
        database,
        alice,
        poll.id,
        form_for("ranked", [options[2], options[0]]),
        now=DURING,  # type: ignore[arg-type]
    )
    await receipts.send(database, ctx, alice.user, poll.title, receipt)
    await poll_services.cast(
        database,
        bob,
        poll.id,
        form_for("ranked", [options[1], options[3]]),
        now=DURING,  # type: ignore[arg-type]
    )

    forum = await create_forum(database, w.board, cid)
    fid: int = forum.id  # type: ignore[assignment]
    invitation, token = await invite_address(database, settings, chair, fid, "alice@example.org")
    await invite_address(database, settings, chair, fid, "stranger@example.org")
    await forum_services.respond(database, alice, token, accept=True, now=T0)
    await forum_services.verify_invited(database, chair, fid, invitation.id, CREDENTIAL, now=T0)  # type: ignore[arg-type]
    alice = await auth_for(database, alice.user)  # now an expert
    await forum_services.declare(database, alice, fid, "", now=T0)
    asked = await questions(database, fid)
    version = await forum_services.submit(
        database, alice, fid, answers_for(asked, "ALICE-OPINION"), ctx=ctx, now=T0
    )
    await forum_services.save_draft(database, alice, fid, answers_for(asked, "ALICE-DRAFT"), now=T0)

    minutes = Minutes(
        consultation_id=cid,
        version=1,
        state="published",
        snapshot="{}",
        snapshot_sha256="a" * 64,
        compiled_at=DURING,
        approved_at=DURING,
        pdf_sha256="b" * 64,
        signed_at=DURING,
    )
    async with database.write() as session:
        session.add(minutes)
        await session.flush()
    members = (w.board.chair, w.board.secretary, w.board.member)
    decision = DecisionInput(
        minutes_id=minutes.id,  # type: ignore[arg-type]
        text="同意按修改后的方案实施。",
        adopted_on=(DURING + timedelta(days=1)).date(),
        votes=tuple((m.user.id, "for") for m in members),  # type: ignore[misc]
    )
    await decision_services.adopt(database, ctx, chair, cid, decision, now=DURING)
    return Scene(w, alice, mine, theirs, poll.id, receipt, fid, token, version)  # type: ignore[arg-type]


def compact(data: Any) -> str:
    """As stored values look (canonical JSON has no spaces), so a ballot would show."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


async def secrets_in_database(database: Database) -> list[str]:
    """Every token, token hash and ballot the database holds."""
    async with database.read() as session:
        found = list((await session.exec(select(Follower.token))).all())
        found += (await session.exec(select(DecisionNotice.token))).all()
        found += (await session.exec(select(ForumInvitation.token_sha256))).all()
        found += (await session.exec(select(UserSession.token_hash))).all()
        found += (await session.exec(select(AccountToken.secret_hash))).all()
        for ballot in (await session.exec(select(Ballot))).all():
            found += [ballot.receipt, ballot.content]
    return found


async def test_export_has_each_feature_with_my_data_and_nobody_elses(
    database: Database, settings: Settings, cheap_passwords: None
) -> None:
    s = await scene(database, settings)
    w = s.w
    data = await personal.export_data(database, s.alice)
    text = compact(data)
    assert data["format"] == "deliberate-account-export/2"
    assert SECTIONS <= set(data)
    assert data["account"]["created_at"].endswith("+00:00")  # UTC on both databases

    identity = data["identity"]
    assert [(v["area"], v["method"]) for v in identity["verifications"]] == [("hx-c1", "in_person")]
    assert identity["verifications"][0]["verified_at"].endswith("+00:00")
    assert [(r["area"], r["status"]) for r in identity["verification_requests"]] == [
        ("hx-c2", "pending")
    ]
    assert identity["committee_memberships"] == []
    assert [c["field"] for c in identity["expert_credentials"]] == [CREDENTIAL["field"]]

    following = data["consultations"]["following"]
    assert [f["consultation"] for f in following] == [w.consultation.id]

    hearings = data["hearings"]
    [comment] = hearings["comments"]
    assert (comment["id"], comment["body"], comment["stance"]) == (
        s.mine.id,
        "ALICE-COMMENT",
        "oppose",
    )
    assert (comment["section"], comment["state"], comment["endorsements"]) == (
        w.sections[1].number,
        "visible",
        1,
    )
    assert comment["response"]["verdict"] == "partly"
    assert comment["response"]["explanation"] == "CHAIR-ANSWER"
    assert [e["comment"] for e in hearings["endorsements"]] == [s.theirs.id]
    [application] = hearings["speaker_applications"]
    assert (application["summary"], application["outcome"]) == ("ALICE-SPEAKER", "waiting")

    [voted] = data["polls"]["voted_in"]  # the roll says where and how, never what
    assert set(voted) == {"poll", "title", "consultation", "channel"}
    assert (voted["poll"], voted["consultation"], voted["channel"]) == (
        s.poll_id,
        w.consultation.id,
        "online",
    )

    [invitation] = data["forums"]["invitations"]
    assert (invitation["forum"], invitation["status"], invitation["held"]) == (
        s.forum_id,
        "accepted",
        True,
    )
    [version] = invitation["versions"]
    assert version["sha256"] == s.version.sha256
    assert hashlib.sha256(version["content"].encode()).hexdigest() == version["sha256"]
    assert "ALICE-OPINION" in version["content"]
    assert "ALICE-DRAFT" in compact(invitation["draft"]["content"])

    decisions = data["decisions"]
    assert decisions["votes"] == []
    assert [(n["consultation"], n["unsubscribed_at"]) for n in decisions["notices"]] == [
        (w.consultation.id, None)
    ]

    # Nobody else's: bob's words, addresses and the stranger's invitation are not there.
    for other in ("BOB-", "bob@example.org", "stranger@example.org", "hx-chair@example.org"):
        assert other not in text, other
    # No ballot, receipt, nonce, token or token hash; no password hash.
    assert not keys_of(data) & {"ballot", "ballots", "receipt", "nonce", "token"}
    assert s.receipt.nonce not in text and s.receipt.receipt[:16] not in text
    assert s.forum_token not in text and "$argon2" not in text
    for secret in await secrets_in_database(database):
        assert secret not in text, secret


async def test_a_committee_member_finds_their_vote_on_the_decision(
    database: Database, settings: Settings, cheap_passwords: None
) -> None:
    s = await scene(database, settings)
    data = await personal.export_data(database, s.w.board.chair)
    [vote] = data["decisions"]["votes"]
    assert (vote["consultation"], vote["role"], vote["vote"]) == (
        s.w.consultation.id,
        "chair",
        "for",
    )
    assert data["identity"]["committee_memberships"][0]["role"] == "chair"
    assert data["hearings"]["comments"] == [] and data["polls"]["voted_in"] == []


async def test_deletion_removes_what_the_record_does_not_need(
    database: Database, settings: Settings, cheap_passwords: None
) -> None:
    s = await scene(database, settings)
    w, uid, bob_id = s.w, s.alice.user.id, s.w.bob.user.id
    await personal.delete_account(database, s.alice, PASSWORD)

    # Gone: follows, decision notices, the unsubmitted draft, the waiting counter request,
    # the address the invitation was sent to.
    assert await count(database, Follower, Follower.user_id == uid) == 0
    assert await count(database, DecisionNotice, DecisionNotice.user_id == uid) == 0
    assert await count(database, OpinionDraft) == 0
    assert await count(database, VerificationRequest, VerificationRequest.user_id == uid) == 0
    async with database.read() as session:
        invitations = (
            await session.exec(select(ForumInvitation).order_by(col(ForumInvitation.id)))
        ).all()
    assert [(i.user_id, i.address, i.status) for i in invitations] == [
        (uid, "", "accepted"),
        (None, "stranger@example.org", "invited"),
    ]
    # Kept: the comment and its endorsements, the speaker application, the roll and the
    # ballots, the submitted opinion, the verification, the committee's votes.
    async with database.read() as session:
        comment = await session.get(Comment, s.mine.id)
    assert comment is not None and comment.body == "ALICE-COMMENT" and comment.endorsements == 1
    assert await count(database, Endorsement) == 2
    assert await count(database, SpeakerApplication, SpeakerApplication.user_id == uid) == 1
    assert await count(database, VoterRoll, VoterRoll.poll_id == s.poll_id) == 2
    assert await count(database, Ballot, Ballot.poll_id == s.poll_id) == 2
    assert await count(database, OpinionVersion) == 1
    assert await count(database, Verification, Verification.user_id == uid) == 1
    assert await count(database, DecisionVote) == 3
    # bob's data is untouched, and his export still works.
    assert await count(database, Follower, Follower.user_id == bob_id) == 1
    assert await count(database, DecisionNotice, DecisionNotice.user_id == bob_id) == 1
    data = await personal.export_data(database, w.bob)
    assert [c["body"] for c in data["hearings"]["comments"]] == ["BOB-COMMENT"]
    assert len(data["consultations"]["following"]) == 1
    assert len(data["polls"]["voted_in"]) == 1
    assert data["forums"]["invitations"] == []


async def test_the_download_and_the_deletion_through_http(
    client, database: Database, settings: Settings, cheap_passwords: None
) -> None:
    w = await world(database, settings)
    await consultation_services.follow(database, w.alice, w.consultation.id)  # type: ignore[arg-type]
    alice = Person(w.alice.user, "alice@example.org", PASSWORD)
    await sign_in(client, alice)
    response = await post_form(client, "/accounts/data", {}, page="/accounts/data")
    assert response.status_code == 201
    data = json.loads(response.content)
    assert data["format"] == "deliberate-account-export/2"
    assert SECTIONS <= set(data)
    assert data["consultations"]["following"][0]["consultation"] == w.consultation.id
    assert data["identity"]["verifications"][0]["area"] == "hx-c1"

    deleted = await post_form(client, "/accounts/delete", {"password": PASSWORD, "confirm": "yes"})
    assert deleted.status_code == 303
    assert await count(database, Follower) == 0
