"""Builders for expert-forum tests: a committee with a published consultation, a forum the
chair creates from the form (three questions), experts invited by address who accept
through the link in their invitation, get credentialed and declare their conflicts of
interest, all through the real services; the rest of the cast (a resident, an admin, the
member of another committee); complete answers carrying a marker string; a small PDF.

Times: the world is made at ``T0`` (from :mod:`tests.support.hearings`); opinions are due
at ``DEADLINE``; ``BEFORE`` lies before it and ``AFTER`` and ``LATER`` after it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.config import Settings
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.forums import services
from deliberate.forums.forms import Answer, ForumInput, parse_forum
from deliberate.forums.models import (
    ExpertForum,
    ForumInvitation,
    ForumQuestion,
    OpinionDraft,
    OpinionVersion,
)
from tests.support.accounts import Person, make_person
from tests.support.hearings import (
    T0,
    Board,
    auth_for,
    committee_with,
    consultation,
    context,
    messages,
    resident,
)

TZ = ZoneInfo("Asia/Shanghai")
DEADLINE = T0 + timedelta(days=10)
BEFORE = T0 + timedelta(hours=1)
AFTER = DEADLINE + timedelta(hours=1)
LATER = DEADLINE + timedelta(days=2)
LINK = re.compile(r"/forums/invitations/(\S+)")

QUESTIONS = (
    ("停车楼的结构方案是否安全？", "方案见附件一。"),
    ("造价估算是否合理？", ""),
    ("施工期间对居民的影响如何缓解？", "请考虑噪音和交通。"),
)
CREDENTIAL = {"field": "结构工程", "organisation": "和谐大学土木学院", "title": "教授"}


def forum_form(
    *,
    deadline: datetime = DEADLINE,
    publication: str = "named",
    questions: tuple[tuple[str, str], ...] = QUESTIONS,
    **changes: str,
) -> dict[str, str]:
    """The new-forum form as a committee member fills it in (local time, no zone)."""
    form = {
        "title": "停车楼方案专家论证",
        "description": "请就停车楼方案的**安全**与造价发表意见。",
        "deadline": deadline.astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
        "publication": publication,
    }
    for slot, (text, background) in enumerate(questions, start=1):
        form[f"question_{slot}"] = text
        form[f"background_{slot}"] = background
    return {**form, **changes}


def forum_input(**options: Any) -> ForumInput:
    return parse_forum(forum_form(**options), TZ)


def answers_for(questions: list[ForumQuestion], marker: str) -> dict[int, Answer]:
    """Complete answers to every question, each field carrying ``marker``."""
    return {
        q.number: Answer(
            summary=f"{marker} 摘要{q.number}",
            analysis=f"{marker} 分析{q.number}：荷载计算符合规范。",
            recommendation="proceed_with_changes",
            recommendation_note=f"{marker} 建议{q.number}",
            confidence="high",
            references=f"{marker} GB 50009-2012",
        )
        for q in questions
    }


@functools.cache
def pdf_bytes(text: str = "专家意见附件") -> bytes:
    """A real (small) PDF, rendered once per text."""
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()  # type: ignore[no-any-return]


async def token_for(database: Database, address: str) -> str:
    """The personal token from the last invitation sent to ``address``."""
    sent = await messages(database, address)
    assert sent, f"no message to {address}"
    found = LINK.search(sent[-1].body)
    assert found, sent[-1].body
    return found.group(1)


async def invite_address(
    database: Database,
    settings: Settings,
    actor: Auth,
    forum_id: int,
    address: str,
    *,
    now: datetime = T0,
) -> tuple[ForumInvitation, str]:
    """Invite ``address``; the invitation and the token from the message sent."""
    invitation = await services.invite(
        database, context(settings), actor, forum_id, {"address": address}, now=now
    )
    return invitation, await token_for(database, address)


@dataclass
class Expert:
    person: Person
    auth: Auth  # past the second factor; ``expert`` once credentialed
    invitation: ForumInvitation
    token: str

    @property
    def letter(self) -> str:
        return self.invitation.letter


async def expert(
    database: Database,
    settings: Settings,
    board: Board,
    forum_id: int,
    login: str,
    *,
    verify: bool = True,
    conflicts: str | None = "",
    now: datetime = T0,
) -> Expert:
    """Someone with an account (TOTP) invited by address who accepts through the link;
    credentialed by the chair unless not ``verify``; declared (``conflicts``) unless None."""
    person = await make_person(database, settings, login, totp=True)
    auth = await auth_for(database, person.user)
    invitation, token = await invite_address(
        database, settings, board.chair, forum_id, login, now=now
    )
    invitation = await services.respond(database, auth, token, accept=True, now=now)
    if verify:
        await services.verify_invited(
            database, board.chair, forum_id, invitation.id, CREDENTIAL, now=now
        )  # type: ignore[arg-type]
        # The middleware computes ``Auth.expert`` from the credential: load it afresh.
        auth = await auth_for(database, person.user)
        assert auth.expert
        if conflicts is not None:
            await services.declare(database, auth, forum_id, conflicts, now=now)
    return Expert(person, auth, await reload_invitation(database, invitation.id), token)


@dataclass
class ForumWorld:
    """Committee A with a published consultation and a forum (three questions, due at
    ``DEADLINE``); two experts (A and B) who accepted, are credentialed and declared (B has
    a conflict of interest); a resident; an admin; the member of committee B elsewhere."""

    board: Board
    consultation: Consultation
    forum: ExpertForum
    questions: list[ForumQuestion]
    expert: Expert  # letter A
    second: Expert  # letter B
    resident: Auth
    admin: Auth
    other: Auth  # member of another committee

    @property
    def forum_id(self) -> int:
        return self.forum.id  # type: ignore[return-value]


async def create_forum(
    database: Database,
    board: Board,
    consultation_id: int,
    *,
    publication: str = "named",
    deadline: datetime = DEADLINE,
    now: datetime = T0,
) -> ExpertForum:
    data = forum_input(publication=publication, deadline=deadline)
    return await services.create(database, board.chair, consultation_id, data, now=now)


async def world(
    database: Database,
    settings: Settings,
    *,
    publication: str = "named",
    published: bool = True,
    experts: bool = True,
) -> ForumWorld:
    board = await committee_with(database, settings)
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    item = await consultation(database, settings, board, published=published)
    forum = await create_forum(database, board, item.id, publication=publication)  # type: ignore[arg-type]
    fid: int = forum.id  # type: ignore[assignment]
    admin = await make_person(database, settings, "admin@example.org", role="admin", totp=True)
    first = second = None
    if experts:
        first = await expert(database, settings, board, fid, "wang.expert@example.org")
        second = await expert(
            database,
            settings,
            board,
            fid,
            "li.expert@example.org",
            conflicts="曾为开发商提供咨询服务。",
        )
    return ForumWorld(
        board=board,
        consultation=item,
        forum=forum,
        questions=await questions(database, fid),
        expert=first,  # type: ignore[arg-type]
        second=second,  # type: ignore[arg-type]
        resident=await resident(database, settings, "resident@example.org"),
        admin=await auth_for(database, admin.user),
        other=other.member,
    )


async def questions(database: Database, forum_id: int) -> list[ForumQuestion]:
    async with database.read() as session:
        return list(
            (
                await session.exec(
                    select(ForumQuestion)
                    .where(ForumQuestion.forum_id == forum_id)
                    .order_by(col(ForumQuestion.number))
                )
            ).all()
        )


async def reload_invitation(database: Database, invitation_id: int | None) -> ForumInvitation:
    async with database.read() as session:
        found = await session.get(ForumInvitation, invitation_id)
    assert found is not None
    return found


async def invitations(database: Database, forum_id: int) -> list[ForumInvitation]:
    async with database.read() as session:
        return list(
            (
                await session.exec(
                    select(ForumInvitation)
                    .where(ForumInvitation.forum_id == forum_id)
                    .order_by(col(ForumInvitation.id))
                )
            ).all()
        )


async def versions(database: Database, invitation_id: int | None) -> list[OpinionVersion]:
    async with database.read() as session:
        return list(
            (
                await session.exec(
                    select(OpinionVersion)
                    .where(OpinionVersion.invitation_id == invitation_id)
                    .order_by(col(OpinionVersion.number))
                )
            ).all()
        )


async def draft(database: Database, invitation_id: int | None) -> OpinionDraft | None:
    async with database.read() as session:
        return (
            await session.exec(
                select(OpinionDraft).where(OpinionDraft.invitation_id == invitation_id)
            )
        ).first()


async def reload_forum(database: Database, forum_id: int) -> ExpertForum:
    async with database.read() as session:
        found = await session.get(ExpertForum, forum_id)
    assert found is not None
    return found
