"""Demo expert forums on the demo renovation consultation, made through the real services
at past moments: forum 1, released, with three experts' opinions (one amended, one
declaring an interest) and a follow-up question answered; forum 2, still sealed, where
the demo expert has accepted, declared and keeps a draft."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from deliberate.accounts.admin_tasks import TaskError, create_user
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.accounts.services import Context
from deliberate.accounts.tokens import Keys
from deliberate.consultations import demo as consultation_demo
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.forums import services
from deliberate.forums.forms import Answer, ForumInput, QuestionInput
from deliberate.forums.models import ExpertForum, ForumInvitation, Publication
from deliberate.mail.services import messages_to

TITLE = "综合改造方案专家论证"
SEALED_TITLE = "加装电梯结构安全专家论证"
EXPERTS = (
    # (login, name, field, organisation, title)
    (
        "expert@demo.invalid",
        "演示专家 Demo expert",
        "结构工程 Structural engineering",
        "示范市建筑设计研究院 Demo City Design Institute",
        "高级工程师 Senior engineer",
    ),
    ("expert-2@demo.invalid", "周建华", "给排水工程", "示范市市政设计院", "正高级工程师"),
    ("expert-3@demo.invalid", "林晓雯", "城市规划与社区更新", "示范大学建筑学院", "副教授"),
)
QUESTIONS = (
    (
        "外墙保温与屋面防水方案在技术上是否可行？",
        "方案第二节：外墙加装 5 厘米岩棉保温层，屋面改为倒置式防水。",
    ),
    ("雨污分流改造的管径与坡度是否满足要求？", "方案第三节：新建 DN300 污水管，坡度 3‰。"),
    ("施工期间如何减少对居民（特别是老人）的影响？", ""),
)
ANSWERS = {
    "expert@demo.invalid": (
        (
            "可行，但需先检测墙体。",
            "1990 年代砖混结构外墙承载力普遍可满足岩棉板荷载，但须逐栋检测空鼓率，空鼓面积超过 15% 的墙面应先行修补。倒置式屋面可行。",  # noqa: E501
            "proceed_with_changes",
            "施工前逐栋做外墙空鼓检测。",
            "high",
            "GB 50411-2019 建筑节能工程施工质量验收标准",
        ),
        (
            "管径满足，坡度偏小。",
            "DN300 对约 600 户的生活污水有富余；3‰ 坡度在管道末端易淤积，建议不小于 4‰ 或增设检查井。",  # noqa: E501
            "proceed_with_changes",
            "坡度提高到 4‰。",
            "medium",
            "GB 50014-2021 室外排水设计标准",
        ),
        (
            "分栋分段施工。",
            "按楼栋分段施工，每栋脚手架期不超过 30 天；保留无障碍通道。",
            "proceed",
            "",
            "medium",
            "",
        ),
    ),
    "expert-2@demo.invalid": (
        (
            "总体可行。",
            "岩棉保温防火等级 A 级，适合多层住宅。注意窗口节点的防水处理。",
            "proceed",
            "",
            "medium",
            "",
        ),
        (
            "建议复核坡度并增设检查井。",
            "现状化粪池拆除后，末端管段与市政管网高差有限，3‰ 坡度难以保证自清流速（0.6 m/s）。建议实测标高后确定坡度，并每 30 米设检查井。",  # noqa: E501
            "further_study",
            "先实测标高。",
            "high",
            "GB 50014-2021 第 5.2 节",
        ),
        (
            "夜间不施工。",
            "管网开挖尽量避开早晚高峰，夜间 22 时后不施工。",
            "proceed",
            "",
            "high",
            "",
        ),
    ),
    "expert-3@demo.invalid": (
        (
            "可行。",
            "建议同步考虑外立面色彩与社区风貌的协调，征求居民意见。",
            "proceed_with_changes",
            "外立面色彩方案另行征求意见。",
            "low",
            "",
        ),
        (
            "不在本人专业范围。",
            "本人对管网设计不作判断，建议以给排水专家意见为准。",
            "further_study",
            "",
            "low",
            "",
        ),
        (
            "设立临时照护点。",
            "为行动不便的老人设临时休息点和上下楼协助；每栋设联络员，施工计划提前一周张贴。",
            "proceed_with_changes",
            "每栋设一名居民联络员。",
            "high",
            "《城市居住区规划设计标准》GB 50180-2018",
        ),
    ),
}
CONFLICTS = {
    "expert-2@demo.invalid": "本人所在设计院曾参与本市其他小区的管网改造设计，与本项目无合同关系。"
}


def _auth(user: User, now: datetime, *, committee: bool = False, expert: bool = False) -> Auth:
    session = UserSession(
        token_hash=secrets.token_hex(32),
        user_id=user.id,  # type: ignore[arg-type]
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=8),
        second_factor_at=now,
    )
    return Auth(
        user=user, session=session, committee_member=committee, officer=False, expert=expert
    )


def _answers(login: str) -> dict[int, Answer]:
    return {
        n: Answer(
            summary=a[0],
            analysis=a[1],
            recommendation=a[2],
            recommendation_note=a[3],
            confidence=a[4],
            references=a[5],
        )
        for n, a in enumerate(ANSWERS[login], start=1)
    }


async def _expert_user(database: Database, login: str, name: str) -> User:
    try:
        return await create_user(
            database,
            login=login,
            password=secrets.token_urlsafe(18),  # never printed: nobody signs in as them
            role="resident",
            display_name=name,
        )
    except TaskError:
        user = await consultation_demo._user(database, login)
        assert user is not None
        return user


def _forum(title: str, deadline: datetime, description: str) -> ForumInput:
    return ForumInput(
        title=title,
        description=description,
        deadline=deadline,
        publication=Publication.anonymised,
        questions=tuple(QuestionInput(text, background) for text, background in QUESTIONS),
    )


async def load(
    database: Database, *, now: datetime | None = None, site_url: str = "http://127.0.0.1:8000"
) -> list[str]:
    """Create the demo forums once (after the demo consultations); report lines."""
    moment = now or datetime.now(UTC)
    # The services use the context only for links and the outbox (no keys are needed).
    ctx = Context(keys=Keys(secrets.token_hex(32)), development=True, site_url=site_url)
    async with database.read() as session:
        existing = (
            await session.exec(select(ExpertForum.id).where(ExpertForum.title == TITLE))
        ).first()
        item = (
            await session.exec(
                select(Consultation).where(Consultation.title == consultation_demo.TITLE)
            )
        ).first()
    if existing is not None:
        return [f"forum {existing}: 「{TITLE}」 exists; demo forums unchanged"]
    chair_user = await consultation_demo._user(database, consultation_demo.CHAIR_LOGIN)
    if item is None or chair_user is None:
        return ["demo forums skipped: the demo consultation is missing"]
    start = moment - timedelta(days=20)
    chair = _auth(chair_user, start, committee=True)
    forum = await services.create(
        database,
        chair,
        item.id,  # type: ignore[arg-type]
        _forum(TITLE, moment - timedelta(days=6), "请各位专家就改造方案的三个技术问题发表意见。"),
        now=start,
    )
    forum_id: int = forum.id  # type: ignore[assignment]
    people = {}
    for login, name, field, organisation, title in EXPERTS:
        user = await _expert_user(database, login, name)
        people[login] = user
        invitation = await services.invite(
            database, ctx, chair, forum_id, {"address": login}, now=start
        )
        token = await _token_of(database, login)
        await services.respond(database, _auth(user, start), token, accept=True, now=start)
        await services.verify_invited(
            database,
            chair,
            forum_id,
            invitation.id,  # type: ignore[arg-type]
            {"field": field, "organisation": organisation, "title": title},
            now=start,
        )
        expert = _auth(user, start + timedelta(days=1), expert=True)
        await services.declare(database, expert, forum_id, CONFLICTS.get(login, ""), now=start)
        await services.submit(
            database, expert, forum_id, _answers(login), now=start + timedelta(days=5)
        )
    # The first expert amends once before the deadline.
    first = _auth(people[EXPERTS[0][0]], start, expert=True)
    amended = _answers(EXPERTS[0][0])
    amended[2] = Answer(**{**amended[2].as_json(), "summary": "管径满足，坡度须提高到 4‰。"})
    await services.submit(database, first, forum_id, amended, now=start + timedelta(days=10))
    await services.release_due(database, now=moment - timedelta(days=6) + timedelta(minutes=1))
    follow = await services.ask_follow_up(
        database,
        _auth(chair_user, moment, committee=True),
        forum_id,
        await _invitation_of(database, forum_id, people["expert-2@demo.invalid"]),
        "若实测标高不允许 4‰ 坡度，有何替代方案？",
        now=moment - timedelta(days=5),
    )
    await services.answer_follow_up(
        database,
        _auth(people["expert-2@demo.invalid"], moment, expert=True),
        forum_id,
        follow.id,  # type: ignore[arg-type]
        "可局部设置提升泵站，或将末端管段改为 DN400 以降低所需坡度。",
        now=moment - timedelta(days=4),
    )
    sealed = await services.create(
        database,
        chair,
        item.id,  # type: ignore[arg-type]
        _forum(SEALED_TITLE, moment + timedelta(days=14), "请就加装电梯的结构安全发表意见。"),
        now=moment - timedelta(days=1),
    )
    login = EXPERTS[0][0]
    await services.invite(database, ctx, chair, sealed.id, {"address": login}, now=moment)  # type: ignore[arg-type]
    expert = _auth(people[login], moment, expert=True)
    await services.respond(
        database, expert, await _token_of(database, login), accept=True, now=moment
    )
    await services.declare(database, expert, sealed.id, "", now=moment)  # type: ignore[arg-type]
    await services.save_draft(
        database,
        expert,
        sealed.id,
        {1: Answer(summary="草稿：需核查基础承载力。")},
        now=moment,  # type: ignore[arg-type]
    )
    return [
        f"forum {forum_id}: 「{TITLE}」 released, 3 opinions (one amended), one follow-up",
        f"forum {sealed.id}: 「{SEALED_TITLE}」 sealed; expert@demo.invalid keeps a draft",
        "experts expert-2@ and expert-3@demo.invalid (passwords not printed)",
    ]


async def _token_of(database: Database, login: str) -> str:
    async with database.read() as session:
        sent = await messages_to(session, login)
    body = sent[-1].body if sent else ""
    return body.rsplit("/forums/invitations/", 1)[1].split()[0]


async def _invitation_of(database: Database, forum_id: int, user: User) -> int:
    async with database.read() as session:
        found = (
            await session.exec(
                select(ForumInvitation.id).where(
                    ForumInvitation.forum_id == forum_id, ForumInvitation.user_id == user.id
                )
            )
        ).one()
    return found
