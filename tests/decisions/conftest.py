"""A consultation ready for its decision, made through the real services: the minutes
world (comments, a reply, a hidden comment, answers, a hearing session) without the
forum and its poll, a poll of our own, the answers "you said, we did" is built from, a
published minutes version (stored directly: rendering and signing are the minutes
tests' business), and the participants a decision notice goes to:

- alice (zh_CN): commented, voted and follows: one message, not three;
- bob (zh_CN): commented (his visible comment was "not adopted") and replied;
- carol: follows only (verified elsewhere, so she can't comment);
- dave (en): applied to speak, nothing else;
- erin: voted, nothing else;
- frank: followed, then unsubscribed (his follower row is gone): gets nothing;
- gina: commented, then stopped decision notices with the one-click link.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import UserSession
from deliberate.accounts.tokens import session_hash, session_token
from deliberate.config import Settings
from deliberate.consultations import services as consultation_services
from deliberate.db import Database
from deliberate.decisions.forms import DecisionInput
from deliberate.decisions.models import DecisionNotice
from deliberate.hearings import comments, speakers
from deliberate.hearings.comments import NewComment
from deliberate.minutes.models import Minutes
from deliberate.polls import services as poll_services
from tests.minutes.world import LATE, MinutesWorld, minutes_world
from tests.support.accounts import csrf_from
from tests.support.hearings import DURING, call_input, cheap_passwords, resident
from tests.support.polls import form_for, make_poll, options_of

__all__ = ["cheap_passwords"]

ADOPTED_ON = (LATE + timedelta(days=1)).date()
NOW = LATE + timedelta(days=1, hours=3)


@dataclass
class DecisionWorld:
    m: MinutesWorld
    minutes: Minutes
    carol: Auth
    dave: Auth
    erin: Auth
    frank: Auth
    gina: Auth
    partly_id: int
    noted_id: int

    @property
    def w(self):
        return self.m.w

    @property
    def consultation_id(self) -> int:
        return self.m.consultation_id

    @property
    def board(self):
        return self.m.w.board

    def decision_input(self, **changes: object) -> DecisionInput:
        b = self.board
        values: dict[str, object] = {
            "minutes_id": self.minutes.id,
            "text": "## 决定\n\n同意按修改后的方案实施，**先到先停**。",
            "adopted_on": ADOPTED_ON,
            "votes": (
                (b.chair.user.id, "for"),
                (b.secretary.user.id, "for"),
                (b.member.user.id, "abstain"),
            ),
            **changes,
        }
        return DecisionInput(**values)  # type: ignore[arg-type]


async def publish_minutes(database: Database, consultation_id: int, version: int = 1) -> Minutes:
    """A published version as the rendering job leaves it (without a file)."""
    moment = LATE
    async with database.write() as session:
        minutes = Minutes(
            consultation_id=consultation_id,
            version=version,
            state="published",
            snapshot="{}",
            snapshot_sha256=secrets.token_hex(32),
            compiled_at=moment,
            approved_at=moment,
            pdf_sha256=secrets.token_hex(32),
            pdf_size=1000,
            signer_name="测试签名",
            signer_fingerprint="f" * 64,
            signed_at=moment,
        )
        session.add(minutes)
        await session.flush()
    return minutes


async def decision_world(database: Database, settings: Settings) -> DecisionWorld:
    m = await minutes_world(database, settings, forum=False, poll=False)
    w = m.w
    hid = w.hearing_id
    first, second = w.sections[0].id, w.sections[1].id
    await comments.respond(
        database,
        w.board.chair,
        m.oppose.id,  # type: ignore[arg-type]
        "not_adopted",
        "收费标准由物价部门核定，本次无法调整。",
        now=DURING,
    )
    gina = await resident(database, settings, "gina@example.org")
    partly = await comments.post(
        database, gina, hid, NewComment(second, "suggestion", "建议按月缴费。", None), now=DURING
    )
    await comments.respond(
        database,
        w.board.chair,
        partly.id,
        "partly",
        "允许按月或按季度缴费。",
        now=DURING,  # type: ignore[arg-type]
    )
    noted = await comments.post(
        database, w.alice, hid, NewComment(first, "question", "何时开始？", None), now=DURING
    )
    await comments.respond(
        database,
        w.board.chair,
        noted.id,
        "noted",
        "已记录。",
        now=DURING,  # type: ignore[arg-type]
    )
    # Followers: alice (also a commenter), carol, and frank who then unsubscribes.
    carol = w.carol
    frank = await resident(database, settings, "frank@example.org", area=None)
    for person in (w.alice, carol, frank):
        await consultation_services.follow(database, person, w.consultation.id)  # type: ignore[arg-type]
    await consultation_services.unfollow(database, frank, w.consultation.id)  # type: ignore[arg-type]
    # A speaker applicant who writes English.
    dave = await resident(database, settings, "dave@example.org", locale="en")
    await speakers.open_call(database, w.board.member, hid, call_input(), now=DURING)
    await speakers.apply(database, dave, hid, "support", "I want to speak.", now=DURING)
    # A poll: alice and erin vote.
    erin = await resident(database, settings, "erin@example.org")
    poll = await make_poll(
        database,
        w.board.chair,
        w.consultation.id,
        "single",
        rule_area_id=w.ids["hx-c1"],  # type: ignore[arg-type]
    )
    options = await options_of(database, poll.id)
    for voter in (w.alice, erin):
        await poll_services.cast(
            database,
            voter,
            poll.id,
            form_for("single", options[0]),
            now=DURING,  # type: ignore[arg-type]
        )
    await poll_services.close(database, w.board.chair, poll.id, now=LATE)  # type: ignore[arg-type]
    # gina stopped decision notices about this consultation earlier.
    async with database.write() as session:
        session.add(
            DecisionNotice(
                consultation_id=w.consultation.id,  # type: ignore[arg-type]
                user_id=gina.user.id,  # type: ignore[arg-type]
                token="gina-token",
                created_at=datetime.now(UTC),
                unsubscribed_at=datetime.now(UTC),
            )
        )
    minutes = await publish_minutes(database, w.consultation.id)  # type: ignore[arg-type]
    return DecisionWorld(
        m,
        minutes,
        carol,
        dave,
        erin,
        frank,
        gina,
        partly.id,
        noted.id,  # type: ignore[arg-type]
    )


@pytest.fixture
async def dw(database: Database, settings: Settings, cheap_passwords: None) -> DecisionWorld:
    return await decision_world(database, settings)


def today() -> date:
    return NOW.date()


SESSION_COOKIE = "__Host-session"


async def as_user(client: Any, database: Database, user: Any) -> str:
    """Sign the client in as ``user`` (a session past the second factor, as the browser's
    cookie; None: signed out). Returns the CSRF token of a fresh page."""
    client.cookies.clear()
    if user is not None:
        token, now = session_token(), datetime.now(UTC)
        async with database.write() as session:
            session.add(
                UserSession(
                    token_hash=session_hash(token),
                    user_id=user.id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(hours=8),
                    second_factor_at=now,
                )
            )
        client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    return csrf_from((await client.get("/")).text)
