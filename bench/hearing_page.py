"""The hearing page with 2,000 comments (issue 5: "the hearing page's first page renders in
under 100 ms on SQLite"): ``GET /hearings/{id}`` served by a real uvicorn worker, against the
home page ``GET /`` of the same server and a bare Litestar handler returning the hearing
page's bytes (``bench/bare_app.py``), with load from ``bench/loadgen.py`` in a separate
process. Also counts the SQL statements one hearing page costs with 20 and with 2,000
comments: they must be equal (no N+1 queries).

``python -m bench.hearing_page seed OUT`` (run by :func:`run`, in the data directory named
by ``DELIBERATE_DATA_DIR``) seeds the database, counts the statements in-process and
writes what it found to OUT as JSON;
``python -m bench.hearing_page load PATH PORT ...`` is ``bench/loadgen.py`` requesting PATH
instead of ``/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

NAME = "hearing_page"

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WARMUP = 1.0
BAR_MS = 100.0  # issue 5 / quality.md: first page under 100 ms
CLIENT_BOUND = 0.85  # as in home_vs_bare

RESIDENTS = 200
TOP_LEVEL = 2_000
REPLIES = 1_000
ENDORSEMENTS = 5_000
RESPONSES = 1_000
SMALL = 20  # top-level comments when the statements are first counted
DEEP_PAGE = 50  # of 100 pages of 20
SEED = 20261101  # the data set is the same in every run

DRAFT = """\
幸福里小区建于1992年，共12栋六层住宅楼、486户。为改善居住条件、消除安全隐患，\
街道办事处会同社区居委会、产权单位和设计单位编制了本方案，现公开征求全体居民意见。

## 第一条 改造范围与原则

本次改造范围为幸福里小区1至12号楼及其公共区域，总占地约3.2公顷。

改造坚持“居民自愿、共同缔造、先地下后地上”的原则，分为基础类、完善类和提升类三类内容。\
基础类内容由政府资金保障，完善类和提升类内容根据居民意愿和出资情况确定。

## 第二条 加装电梯

1. 具备条件的单元可申请加装电梯，须经本单元房屋专有部分面积占比三分之二以上\
且人数占比三分之二以上的业主参与表决，并经参与表决业主双四分之三以上同意。
2. 电梯采用平层入户或半层入户方案，由设计单位逐单元出具可行性意见。
3. 低层住户因采光、通风或噪声受到影响的，可协商给予补偿，补偿标准另行公示。

## 第三条 外墙保温与屋面防水

对全部住宅楼外墙加装保温层，更换老化的单层玻璃窗为中空玻璃窗（费用由住户自愿承担）。\
屋面统一重做防水层，顶层住户渗漏问题优先处理。

施工期间不得封闭住户阳台，空调外机统一移位安装并加装支架。

## 第四条 地下管网改造

- 实施雨污分流，更换破损的排水管道，解决2号楼、7号楼前雨季积水问题；
- 更换使用超过二十年的供水主管和入户立管，同步安装智能水表；
- 燃气立管由燃气公司负责更换，入户施工须提前三日通知并由住户签字确认。

## 第五条 停车与道路

重新铺设小区主路和宅间路，拓宽消防通道至4米。规划机动车停车位210个，\
其中新增地面车位56个，试行错时停车；规划非机动车停车棚4处，配建电动自行车集中充电设施，\
严禁电动自行车进楼入户。

车位实行“先登记、后摇号”的分配方式，具体办法另行制定并公示。

## 第六条 绿化与公共空间

保留现有大树，补种乡土树种；将1号楼北侧闲置空地改造为口袋公园，设置儿童游乐设施和老年人健身区。\
增设无障碍坡道、休息座椅和夜间照明，完善垃圾分类投放点。

## 第七条 资金筹措与分摊

改造总投资估算为4,860万元，其中中央和地方财政补助3,900万元，管线单位出资420万元，\
专项维修资金和居民自筹540万元。加装电梯费用由本单元业主按楼层系数分摊，\
楼层系数表见附件。

资金使用情况每季度在社区公示栏和本平台公开，接受居民监督。

## 第八条 施工安排与居民权益保障

计划工期十个月，分两期实施，每期施工前召开居民说明会。施工时间为每日7时至12时、14时至19时，\
高考、中考期间停止高噪声作业。

设立居民监督小组，由每栋楼推选一名居民代表参加，对施工质量、安全文明施工和资金使用进行监督。\
居民对施工有意见的，可通过本平台或现场接待点反映，居委会在五个工作日内答复。
"""

# Comment text: openings by stance, then sentences about the section, sometimes a list.
OPENINGS = {
    "support": ["支持这个方案。", "总体赞成。", "这一条很好，早该改了。", "我家完全支持。"],
    "oppose": ["不同意这一条。", "这样安排不合理。", "反对目前的写法。", "我有不同意见。"],
    "suggestion": ["建议修改一下。", "提一个建议：", "希望能补充以下内容。", "有个小建议。"],
    "question": ["想问一下：", "请问具体怎么执行？", "这里没看明白。", "有几个疑问。"],
}
SENTENCES = [
    "我住在{b}号楼{f}层，家里有八十多岁的老人，上下楼非常困难。",
    "施工期间家里有高三学生，希望噪声能控制好。",
    "楼下的住户担心采光受影响，应当提前沟通好补偿标准。",
    "{b}号楼前面每年雨季都积水，**这次一定要彻底解决**。",
    "停车位本来就紧张，新增{n}个车位恐怕还是不够。",
    "费用分摊的楼层系数希望能公开计算方法，让大家心里有数。",
    "建议在施工前把每一栋楼的具体图纸贴在单元门口。",
    "电动自行车充电桩离{b}号楼太远了，晚上充电不方便。",
    "口袋公园的位置很好，但要注意晚上的噪声问题。",
    "外墙保温层用什么材料？防火等级是多少？",
    "上次维修屋面防水只管了两年，这次要有质保期。",
    "专项维修资金还剩多少？动用之前应当先公示。",
    "希望居民监督小组的名单和联系方式能公开。",
    "燃气管道入户施工要提前通知，家里白天没人。",
    "大树一定要保留，这是小区最好的地方。",
    "垃圾分类投放点不要放在窗户下面，夏天味道很大。",
    "车位摇号要考虑老住户，不能让外来车辆占用。",
    "工期十个月太长了，能不能分楼栋同时施工？",
    "我们单元已经有{n}户签字同意加装电梯了。",
    "无障碍坡道很有必要，轮椅现在根本推不进单元门。",
]
LIST_ITEMS = [
    "公示每一笔支出",
    "施工队要有项目负责人的电话",
    "晚上七点以后不施工",
    "先做管网，再铺路面",
    "保留原有的自行车棚",
    "每栋楼设一个意见箱",
    "老年人优先安排临时住处",
    "窗户更换可以自己选厂家",
]
REPLY_TEXTS = [
    "同意楼上的意见。",
    "我们楼也是这个情况，希望一起解决。",
    "不太同意，{b}号楼的情况不一样。",
    "补充一点：最好能分阶段公示进度。",
    "居委会上次开会说过这个问题，还没有结论。",
    "这个建议好，支持！",
    "费用的事情还是要算清楚，不能一刀切。",
    "说得对，**尤其是老人**，要优先考虑。",
    "请问这个数字是哪里来的？",
    "我家在{f}层，愿意多承担一些。",
]
RESPONSE_TEXTS = {
    "adopted": "感谢您的意见。已在修改稿中采纳，{s}将相应调整。",
    "partly": "您的意见部分采纳：{s}的相关内容将补充完善，其余部分因资金限制暂不调整。",
    "not_adopted": "经设计单位论证，{s}的现有安排更符合消防和规划要求，暂不采纳，敬请理解。",
    "noted": "意见已记录，将提交居民议事会讨论，讨论结果将在本平台公布。",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华建国平红"
# A syntactically valid argon2id hash of nothing anyone knows. The seeded residents never
# sign in with a password, and hashing 200 passwords at the production cost would take
# ~20 s: this is benchmark seeding, not account creation.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hiZW5jaGJlbmNo$" + "A" * 43


# ---------------------------------------------------------------------------- seeding


def _top_text(rng: random.Random, stance: str) -> str:
    def fill(text: str) -> str:
        return text.format(b=rng.randint(1, 12), f=rng.randint(1, 6), n=rng.randint(3, 60))

    # Mostly a few sentences; now and then a long one with a second paragraph or a list.
    count = rng.choices((1, 2, 3, 5, 8), weights=(20, 35, 25, 15, 5))[0]
    text = rng.choice(OPENINGS[stance]) + "".join(fill(s) for s in rng.sample(SENTENCES, count))
    if rng.random() < 0.2:
        text += "\n\n" + "\n".join(f"- {item}" for item in rng.sample(LIST_ITEMS, 3))
    if rng.random() < 0.1:
        text += "\n\n" + fill(rng.choice(SENTENCES))
    return text


def _reply_text(rng: random.Random) -> str:
    return rng.choice(REPLY_TEXTS).format(b=rng.randint(1, 12), f=rng.randint(1, 6))


def plan(
    rng: random.Random,
    *,
    user_ids: Sequence[int],
    section_ids: Sequence[int],
    section_numbers: dict[int, int],
    hearing_id: int,
    chair_id: int,
    first_id: int,
    opens_at: datetime,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for the comment, endorsement and response tables: TOP_LEVEL comments spread
    over the window and REPLIES replies, each some hours after what it answers (so the
    newest comments have threads too), with ids in time order from ``first_id``;
    ENDORSEMENTS endorsements (one per person and comment, never one's own) and RESPONSES
    responses. The ``endorsements`` and ``replies`` counters are left at 0:
    :func:`fix_counters` computes them from the tables."""
    latest = now - timedelta(minutes=20)  # nothing left in anyone's 15-minute edit window
    span = (latest - timedelta(hours=1) - opens_at).total_seconds()
    # A few residents write much more than the rest.
    activity = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(user_ids))))
    # Sections draw comments unevenly: the lift and the parking most.
    weights = [1, 4, 6, 2, 3, 5, 2, 3, 2][: len(section_ids)]
    weights += [2] * (len(section_ids) - len(weights))
    stances = ("support", "oppose", "suggestion", "question")

    def row(moment: datetime, **fields: Any) -> dict[str, Any]:
        return {
            "hearing_id": hearing_id,
            "author_id": rng.choices(user_ids, cum_weights=activity)[0],
            "created_at": moment,
            "edited_at": None,
            "deleted_at": None,
            "hidden_at": None,
            "hidden_reason": None,
            "endorsements": 0,
            "replies": 0,
            **fields,
        }

    tops = []
    for _ in range(TOP_LEVEL):
        stance = rng.choices(stances, weights=(35, 25, 25, 15))[0]
        tops.append(
            row(
                opens_at + timedelta(seconds=rng.uniform(0, span)),
                section_id=rng.choices(section_ids, weights=weights)[0],
                parent=None,
                stance=stance,
                body=_top_text(rng, stance),
            )
        )
    # Some comments start long threads, most get no reply; a reply comes hours later.
    liveliness = list(accumulate(rng.paretovariate(1.5) for _ in tops))
    replies: list[dict[str, Any]] = []
    for _ in range(REPLIES):
        if replies and rng.random() < 0.3:
            parent = rng.choice(replies)  # a reply to a reply: nesting deeper
        else:
            parent = rng.choices(tops, cum_weights=liveliness)[0]
        moment = parent["created_at"] + timedelta(hours=rng.expovariate(1 / 6))
        if moment >= latest:
            moment = parent["created_at"] + (latest - parent["created_at"]) * rng.random()
        replies.append(
            row(
                moment,
                section_id=parent["section_id"],
                parent=parent,
                stance=None,
                body=_reply_text(rng),
            )
        )
    comments = sorted(tops + replies, key=lambda c: c["created_at"])
    for n, comment in enumerate(comments):  # a parent is always older than its replies
        comment["id"] = first_id + n
        parent = comment.pop("parent")
        comment["parent_id"] = parent["id"] if parent else None
        comment["root_id"] = (parent["root_id"] or parent["id"]) if parent else None
        if rng.random() < 0.02:
            comment["edited_at"] = comment["created_at"] + timedelta(minutes=rng.randint(1, 14))
    # A few deleted by their authors, a few hidden by the moderators.
    for row in rng.sample(comments, 30):
        row["body"], row["deleted_at"] = "", row["created_at"] + timedelta(hours=2)
    for row in rng.sample([c for c in comments if c["deleted_at"] is None], 15):
        row["hidden_at"] = row["created_at"] + timedelta(hours=5)
        row["hidden_reason"] = "人身攻击"

    # Endorsements: a heavy tail, some comments draw dozens.
    popularity = list(accumulate(rng.paretovariate(1.3) for _ in comments))
    pairs: set[tuple[int, int]] = set()
    endorsements: list[dict[str, Any]] = []
    while len(endorsements) < ENDORSEMENTS:
        comment = rng.choices(comments, cum_weights=popularity)[0]
        user = rng.choice(user_ids)
        if user == comment["author_id"] or (comment["id"], user) in pairs:
            continue
        if comment["deleted_at"] or comment["hidden_at"]:
            continue
        pairs.add((comment["id"], user))
        endorsements.append(
            {
                "comment_id": comment["id"],
                "user_id": user,
                "created_at": comment["created_at"] + timedelta(minutes=rng.randint(1, 3000)),
            }
        )

    # Responses: the committee works through the older comments first.
    visible = [c for c in tops if c["deleted_at"] is None and c["hidden_at"] is None]
    age = list(accumulate((now - c["created_at"]).total_seconds() ** 2 for c in visible))
    answered: dict[int, dict[str, Any]] = {}
    while len(answered) < RESPONSES:
        comment = rng.choices(visible, cum_weights=age)[0]
        answered[comment["id"]] = comment
    verdicts = ("adopted", "partly", "not_adopted", "noted")
    responses = []
    for comment in answered.values():
        verdict = rng.choices(verdicts, weights=(20, 30, 15, 35))[0]
        section = f"第{section_numbers[comment['section_id']]}部分"
        responded_at = min(
            comment["created_at"] + timedelta(hours=rng.randint(2, 120)), now - timedelta(minutes=5)
        )
        responses.append(
            {
                "comment_id": comment["id"],
                "verdict": verdict,
                "explanation": RESPONSE_TEXTS[verdict].format(s=section),
                "responded_by": chair_id,
                "responded_at": responded_at,
                "updated_at": None,
            }
        )
    return comments, endorsements, responses


async def fix_counters(session: Any, hearing_id: int) -> None:
    """``endorsements`` and ``replies`` as the services keep them: the endorsement rows of
    each comment, and the replies anywhere in each top-level comment's thread."""
    from sqlalchemy import text

    await session.exec(
        text(
            "UPDATE comment SET "
            "endorsements = (SELECT count(*) FROM endorsement e WHERE e.comment_id = comment.id),"
            " replies = (SELECT count(*) FROM comment r WHERE r.root_id = comment.id) "
            "WHERE hearing_id = :hearing"
        ),
        params={"hearing": hearing_id},
    )


class Statements:
    """Counts the SQL statements sent through the app's engines (reader and writer)."""

    def __init__(self, engines: Sequence[Any]) -> None:
        from sqlalchemy import event

        self.count = 0
        for engine in {id(e): e for e in engines}.values():
            event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


async def seed() -> dict[str, Any]:
    """Seed the database of ``DELIBERATE_DATA_DIR`` (already migrated) and count the
    statements of one hearing page, in-process, with SMALL and with TOP_LEVEL comments."""
    from litestar.testing import AsyncTestClient
    from sqlalchemy import func, insert
    from sqlmodel import col, select

    from bench.seeding import published_consultation, seed_board
    from deliberate.accounts.models import User, UserSession
    from deliberate.accounts.services import PRIVACY_VERSION
    from deliberate.accounts.tokens import public_id, session_hash, session_token
    from deliberate.app import create_app
    from deliberate.config import Settings
    from deliberate.db import Database
    from deliberate.hearings import queries
    from deliberate.hearings import services as hearing_services
    from deliberate.hearings.forms import HearingInput, parse_draft
    from deliberate.hearings.models import Comment, Endorsement, Response
    from deliberate.identity.models import Verification

    started = time.perf_counter()
    settings = Settings.from_env()
    database = Database(settings.database_url)
    now = datetime.now(UTC)
    rng = random.Random(SEED)

    # The area tree, a committee on the street and its chair (past the second factor), and
    # a published consultation (bench/seeding.py).
    board = await seed_board(database, settings, now, DUMMY_HASH)
    ids, chair, chair_auth = board.areas, board.chair, board.chair_auth
    item = await published_consultation(
        database,
        board,
        title="幸福里小区老旧小区综合改造",
        summary="幸福里小区综合改造方案现公开征求意见，欢迎全体居民参与。",
        budget="4,860万元",
        buildings="1至12号楼",
        contact="幸福街道居委会 0571-12345678",
        milestones="2026-11-01 意见征集开始\n2026-12-01 居民听证会",
    )
    opens_at = now - timedelta(days=20)
    hearing = await hearing_services.create(
        database,
        chair_auth,
        item.id,  # type: ignore[arg-type]
        HearingInput(
            "幸福里小区综合改造方案（征求意见稿）",
            opens_at,
            now + timedelta(days=10),
            ids["hx-s"],
            None,
        ),
        parse_draft({"body": DRAFT}, note_required=False),
    )
    hearing_id: int = hearing.id  # type: ignore[assignment]
    async with database.read() as session:
        version = await queries.current_version(session, hearing_id)
        sections = await queries.sections_of(session, version.id)  # type: ignore[union-attr, arg-type]

    # Verified residents of the three communities, inserted directly (dummy password hash).
    communities = [ids["hx-c1"], ids["hx-c2"], ids["hx-c3"]]
    async with database.write() as session:
        first_user = (await session.exec(select(func.max(User.id)))).one() + 1  # type: ignore[operator]
        user_ids = list(range(first_user, first_user + RESIDENTS))
        users, verifications = [], []
        for n, user_id in enumerate(user_ids):
            joined = now - timedelta(days=rng.randint(30, 400))
            users.append(
                {
                    "id": user_id,
                    "public_id": public_id(),
                    "email": f"resident{n}@bench.example.org",
                    "display_name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                    "password_hash": DUMMY_HASH,
                    "role": "resident",
                    "locale": "zh_CN",
                    "publish_name": rng.random() < 0.3,
                    "privacy_version": PRIVACY_VERSION,
                    "privacy_accepted_at": joined,
                    "confirmed_at": joined,
                    "password_changed_at": joined,
                    "created_at": joined,
                }
            )
            verifications.append(
                {
                    "user_id": user_id,
                    "area_id": rng.choice(communities),
                    "method": rng.choice(("census", "in_person", "letter")),
                    "birth_year": rng.randint(1935, 2005),
                    "verified_at": joined + timedelta(days=1),
                }
            )
        await session.exec(insert(User), params=users)  # type: ignore[call-overload]
        await session.exec(insert(Verification), params=verifications)  # type: ignore[call-overload]
        # A session for one resident, to count a signed-in page too.
        token = session_token()
        session.add(
            UserSession(
                token_hash=session_hash(token),
                user_id=user_ids[0],
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=12),
            )
        )
        first_comment = ((await session.exec(select(func.max(Comment.id)))).one() or 0) + 1

    comments, endorsements, responses = plan(
        rng,
        user_ids=user_ids,
        section_ids=[s.id for s in sections],  # type: ignore[misc]
        section_numbers={s.id: s.number for s in sections},  # type: ignore[misc]
        hearing_id=hearing_id,
        chair_id=chair.id,  # type: ignore[arg-type]
        first_id=first_comment,
        opens_at=opens_at,
        now=now,
    )
    # First the SMALL oldest top-level comments with their whole threads, then the rest.
    small_roots = set(sorted(c["id"] for c in comments if c["parent_id"] is None)[:SMALL])
    small_ids = {c["id"] for c in comments if small_roots & {c["id"], c["root_id"]}}

    async def insert_rows(small: bool) -> None:
        """The rows of the SMALL threads, or all the others; then the counters."""

        def chosen(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
            return [r for r in rows if (r[key] in small_ids) == small]

        async with database.write() as session:
            for model, rows in (
                (Comment, chosen(comments, "id")),
                (Endorsement, chosen(endorsements, "comment_id")),
                (Response, chosen(responses, "comment_id")),
            ):
                for start in range(0, len(rows), 1000):
                    await session.exec(insert(model), params=rows[start : start + 1000])  # type: ignore[call-overload]
            await fix_counters(session, hearing_id)

    app = create_app(settings)
    counter = Statements([app.state.database.reader, app.state.database.writer])
    path = f"/hearings/{hearing_id}"
    cookie = {"cookie": f"__Host-session={token}"}

    async def statements(client: Any, url: str, headers: dict[str, str]) -> tuple[int, str]:
        await client.get(url, headers=headers)  # warm: whatever happens once
        before = counter.count
        response = await client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: status {response.status_code}")
        return counter.count - before, response.text

    seeding = 0.0
    async with AsyncTestClient(app=app) as client:
        await insert_rows(small=True)
        seeding += time.perf_counter() - started
        anonymous_small, small_page = await statements(client, path, {})
        resident_small, _ = await statements(client, path, cookie)
        resumed = time.perf_counter()
        await insert_rows(small=False)
        seeding += time.perf_counter() - resumed
        anonymous_large, page = await statements(client, path, {})
        resident_large, _ = await statements(client, path, cookie)
        deep_large, deep = await statements(client, f"{path}?sort=endorsed&page={DEEP_PAGE}", {})
    counts = {
        "anonymous": {"small": anonymous_small, "large": anonymous_large},
        "resident": {"small": resident_small, "large": resident_large},
        "endorsed_deep": {"large": deep_large},
    }
    async with database.read() as session:
        totals = {
            "top_level": (
                await session.exec(
                    select(func.count())
                    .select_from(Comment)
                    .where(col(Comment.parent_id).is_(None))
                )
            ).one(),
            "replies": (
                await session.exec(
                    select(func.count())
                    .select_from(Comment)
                    .where(col(Comment.parent_id).is_not(None))
                )
            ).one(),
            "endorsements": (
                await session.exec(select(func.count()).select_from(Endorsement))
            ).one(),
            "responses": (await session.exec(select(func.count()).select_from(Response))).one(),
        }
    await database.dispose()
    return {
        "hearing_id": hearing_id,
        "seconds": seeding,
        "statements": counts,
        "totals": totals,
        # comments shown (top-level and replies): each has a list of replies
        "items": {
            "small": small_page.count('class="replies"'),
            "large": page.count('class="replies"'),
            "deep": deep.count('class="replies"'),
        },
    }


# ------------------------------------------------------------------------ measuring


def load(path: str, argv: Sequence[str]) -> None:
    """``bench/loadgen.py`` sending ``GET path`` instead of ``GET /``."""
    from bench import loadgen

    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    loadgen.REQUEST = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    result = loadgen.run_loop(
        loadgen.main(args.port, args.pid, args.warmup, args.duration, args.concurrency)
    )
    args.out.write_text(json.dumps(result))


def measure(
    path: str, port: int, pid: int, duration: float, concurrency: int, out: Path
) -> dict[str, Any]:
    cmd = [
        str(BIN / "python"), "-m", "bench.hearing_page", "load", path, str(port),
        "--pid", str(pid), "--out", str(out), "--warmup", str(WARMUP),
        "--duration", str(duration), "--concurrency", str(concurrency),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT)
    try:
        proc.wait(timeout=WARMUP + duration + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator exited with {proc.returncode}")
    result = json.loads(out.read_text())
    if result["statuses"] or result["errors"] or not result["ok"]:
        raise RuntimeError(
            f"GET {path}: {result['ok']} ok, non-200 {result['statuses']}, "
            f"errors {result['errors']}"
        )
    return result


def _summary(single: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    from bench.home_vs_bare import percentile_ms

    return {
        # latency as one reader sees it (concurrency 1): the 100 ms bar
        "p50_ms": percentile_ms(single["latencies"], 0.50),
        "p99_ms": percentile_ms(single["latencies"], 0.99),
        "requests_c1": single["ok"],
        # throughput and cost under load (the given concurrency)
        "rps": loaded["ok"] / loaded["elapsed"],
        "requests": loaded["ok"],
        "p50_ms_loaded": percentile_ms(loaded["latencies"], 0.50),
        "p99_ms_loaded": percentile_ms(loaded["latencies"], 0.99),
        "cpu_us_per_req": loaded["server_cpu_s"] / loaded["ok"] * 1e6,
        "cpu_us_per_req_c1": single["server_cpu_s"] / single["ok"] * 1e6,
        # shares of one core over the measured windows: concurrency 1, then loaded
        "server_cpu_runs": [m["server_cpu_s"] / m["elapsed"] for m in (single, loaded)],
        "client_cpu_runs": [m["client_cpu_s"] / m["elapsed"] for m in (single, loaded)],
    }


def run(duration: float, concurrency: int) -> dict[str, Any]:
    import httpx

    from bench.home_vs_bare import serve

    tmp = Path(tempfile.mkdtemp(prefix="bench-hearing-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "DELIBERATE_ENV"}
        env["DELIBERATE_DATA_DIR"] = str(tmp)
        env["PYTHONPATH"] = str(ROOT)
        started = time.perf_counter()
        subprocess.run(
            [str(BIN / "deliberate"), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        migrated = time.perf_counter() - started
        seeded_file = tmp / "seed.json"
        subprocess.run(
            [str(BIN / "python"), "-m", "bench.hearing_page", "seed", str(seeded_file)],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        seeded = json.loads(seeded_file.read_text())
        hearing = f"/hearings/{seeded['hearing_id']}"
        paths = {
            "hearing": hearing,
            "endorsed": f"{hearing}?sort=endorsed&page={DEEP_PAGE}",
            "home": "/",
        }
        log = tmp / "server.log"
        runs: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in (*paths, "bare")}
        with serve("deliberate.asgi:create", env, log, "/healthz") as (port, pid):
            bodies = {}
            for target, path in paths.items():
                response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path}: status {response.status_code}")
                bodies[target] = response.content
            for level in (1, concurrency):  # interleaved, to spread any drift
                for target, path in paths.items():
                    out = tmp / f"{target}-{level}.json"
                    runs[target][level] = measure(path, port, pid, duration, level, out)
        body_file = tmp / "hearing.html"
        body_file.write_bytes(bodies["hearing"])
        bare_env = {**env, "BENCH_BODY_FILE": str(body_file)}
        with serve("bench.bare_app:create", bare_env, log, "/") as (port, pid):
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=10).content != bodies["hearing"]:
                raise RuntimeError("bare app does not return the hearing page bytes")
            for level in (1, concurrency):
                out = tmp / f"bare-{level}.json"
                runs["bare"][level] = measure("/", port, pid, duration, level, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    targets = {t: _summary(r[1], r[concurrency]) for t, r in runs.items()}
    hearing_t, home, bare = targets["hearing"], targets["home"], targets["bare"]
    primary = "hearing p50 ms at concurrency 1 (bar: under 100)"
    ratios = {
        primary: hearing_t["p50_ms"],
        "hearing/home server CPU per request": hearing_t["cpu_us_per_req"] / home["cpu_us_per_req"],
        "hearing/bare server CPU per request": hearing_t["cpu_us_per_req"] / bare["cpu_us_per_req"],
        "hearing/home p50 at concurrency 1": hearing_t["p50_ms"] / home["p50_ms"],
        "hearing/bare p50 at concurrency 1": hearing_t["p50_ms"] / bare["p50_ms"],
        "endorsed/hearing server CPU per request": (
            targets["endorsed"]["cpu_us_per_req"] / hearing_t["cpu_us_per_req"]
        ),
    }
    counts = seeded["statements"]
    totals = seeded["totals"]
    warnings = []
    if hearing_t["p50_ms"] >= BAR_MS:
        warnings.append(
            f"hearing page p50 at concurrency 1 is {hearing_t['p50_ms']:.1f} ms "
            f"(bar: under {BAR_MS:.0f} ms)"
        )
    for reader in ("anonymous", "resident"):
        small, large = counts[reader]["small"], counts[reader]["large"]
        if small != large:
            warnings.append(
                f"queries per page ({reader}) grow with the comments: {small} with {SMALL} "
                f"top-level comments, {large} with {totals['top_level']:,}"
            )
    if seeded["items"]["large"] < 20 or seeded["items"]["deep"] < 20:
        warnings.append(f"pages show fewer comments than expected: {seeded['items']}")
    if max(bare["client_cpu_runs"]) > CLIENT_BOUND:
        warnings.append(
            f"client used {max(bare['client_cpu_runs']):.0%} of a core during the bare run: "
            "bare rps is client-bound; trust the CPU-per-request ratios"
        )
    pad = f"{NAME:<20} "
    lines = [
        f"{pad}seeded {totals['top_level']:,} top-level comments, {totals['replies']:,} replies, "
        f"{totals['endorsements']:,} endorsements, {totals['responses']:,} responses, "
        f"{RESIDENTS} residents in {seeded['seconds']:.2f} s (+ migrate {migrated:.2f} s)",
        f"{pad}queries per page: {SMALL} comments → {counts['anonymous']['small']}, "
        f"{totals['top_level']:,} comments → {counts['anonymous']['large']} (anonymous); "
        f"signed-in resident {counts['resident']['small']} → {counts['resident']['large']}; "
        f"sort=endorsed page {DEEP_PAGE}: {counts['endorsed_deep']['large']}",
        f"{pad}p50/p99 above at concurrency 1; rps and srv us/req at concurrency {concurrency}, "
        "where p50/p99 are: "
        + ", ".join(
            f"{t} {v['p50_ms_loaded']:.1f}/{v['p99_ms_loaded']:.1f} ms" for t, v in targets.items()
        ),
        f"{pad}hearing page p50 at concurrency 1: {hearing_t['p50_ms']:.1f} ms "
        f"(bar: under {BAR_MS:.0f} ms), {len(bodies['hearing']):,} bytes",
    ]
    return {
        "targets": targets,
        "lines": lines,
        "ratios": ratios,
        "primary": primary,
        "warnings": warnings,
        "seed_seconds": seeded["seconds"],
        "statements": counts,
        "totals": totals,
        "body_bytes": len(bodies["hearing"]),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"]:
        Path(sys.argv[2]).write_text(json.dumps(asyncio.run(seed())))
    elif sys.argv[1:2] == ["load"]:
        load(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
