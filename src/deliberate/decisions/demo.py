"""The demo decision (development only) on consultation 1 「幸福社区老旧小区综合改造方案」,
made through the real services with ``now=`` in the past: the committee's decision
citing the published demo minutes, the chair's vote (the demo committee's only member),
and four implementation items with dated progress: facade insulation under way, the
storm and sewage separation delayed and overdue, the elevators still planned, the roof
repair done.

A decision cites published minutes. When the demo has none for the consultation (the
minutes demo signs them only when the environment configures the database), the decision
is skipped with a report line: no minutes are made up here. The place and the people are
fictional; the dates are relative to today, so the decision reads as adopted six weeks
ago even though the demo minutes are signed when the demo is loaded.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import Context
from deliberate.accounts.tokens import Keys
from deliberate.consultations import demo as consultation_demo
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.decisions import queries, services
from deliberate.decisions.forms import DecisionInput, ItemInput, UpdateInput
from deliberate.decisions.models import Decision

ADOPTED_DAY = -45
TEXT = """\
经幸福社区居民委员会会议讨论表决，决定如下：

1. **通过**《幸福社区老旧小区综合改造方案》（征求意见稿第二版），并按居民意见作以下调整：
   - 外墙保温施工前逐栋检测空鼓，空鼓严重的墙面先行修补；
   - 雨污分流管道坡度提高到不小于 4‰，并增设检查井；
   - 施工期间保留每栋楼一条无障碍通道，高龄独居老人由网格员每日走访。
2. 加装电梯按“一楼一议”推进，由各单元居民协商费用分摊，社区提供协调服务。
3. 改造进度每月在社区公告栏和本平台公布，居民可随时查看和反映问题。
"""

# (title, responsible unit, deadline day, [(day, status, note)]) relative to today.
ITEMS: tuple[tuple[str, str, int, tuple[tuple[int, str, str], ...]], ...] = (
    (
        "外墙保温改造（1–6 号楼）",
        "和平街道城建科；施工单位：示范建工集团",
        75,
        (
            (-40, "planned", "完成 1–6 号楼外墙空鼓检测，3 号楼东山墙需先行修补。"),
            (-30, "in_progress", "脚手架搭设完毕，1 号楼、2 号楼开始铺贴岩棉板。"),
            (-8, "in_progress", "1 号楼、2 号楼完工，3 号楼修补墙面后施工。"),
        ),
    ),
    (
        "雨污分流管网改造",
        "示范市水务集团",
        -5,
        (
            (-35, "in_progress", "开始开挖中心道路，新建 DN300 污水管。"),
            (-12, "delayed", "管材到货推迟约三周，已要求供货商出具书面说明。"),
        ),
    ),
    (
        "加装电梯（3 号楼 2 单元、5 号楼 1 单元）",
        "幸福社区居委会；示范电梯工程有限公司",
        150,
        ((-20, "planned", "两个单元已完成居民意见征询，正在商议费用分摊协议。"),),
    ),
    (
        "屋面防水维修",
        "幸福社区物业服务中心",
        -10,
        (
            (-38, "in_progress", "开始拆除旧防水层，改为倒置式屋面。"),
            (-14, "done", "全部屋面完工，经闭水试验验收合格。"),
        ),
    ),
)


async def load(
    database: Database, *, now: datetime | None = None, site_url: str = "http://127.0.0.1:8000"
) -> list[str]:
    """Create the demo decision once (after the demo minutes); report lines."""
    moment = now or datetime.now(UTC)
    today = moment.astimezone(consultation_demo.TZ).date()
    async with database.read() as session:
        item = (
            await session.exec(
                select(Consultation).where(Consultation.title == consultation_demo.TITLE)
            )
        ).first()
        if item is None:
            return ["demo decision skipped: the demo consultation is missing"]
        existing = (
            await session.exec(
                select(Decision.id)
                .where(Decision.consultation_id == item.id)
                .order_by(col(Decision.id))
            )
        ).first()
        minutes = await queries.published_minutes(session, item.id)  # type: ignore[arg-type]
    if existing is not None:
        return [f"decision {existing}: on 「{consultation_demo.TITLE}」 exists; demo unchanged"]
    if not minutes:
        return [f"demo decision skipped: consultation {item.id} has no published minutes to cite"]
    chair_user = await consultation_demo._user(database, consultation_demo.CHAIR_LOGIN)
    if chair_user is None:
        return ["demo decision skipped: the demo chair is missing"]

    def at(day: int, clock: str = "10:00") -> datetime:
        return consultation_demo._at(today, day, clock)

    def chair(when: datetime) -> Auth:
        return consultation_demo._auth(chair_user, when, committee=True)

    # Messages go to the outbox like any other (not to the console: there are many).
    ctx = Context(keys=Keys(secrets.token_hex(32)), development=False, site_url=site_url)
    adopted = at(ADOPTED_DAY, "16:00")
    decision = await services.adopt(
        database,
        ctx,
        chair(adopted),
        item.id,  # type: ignore[arg-type]
        DecisionInput(
            minutes_id=minutes[0].id,  # type: ignore[arg-type]
            text=TEXT,
            adopted_on=today + timedelta(days=ADOPTED_DAY),
            votes=((chair_user.id, "for"),),  # type: ignore[arg-type]
        ),
        now=adopted,
    )
    did: int = decision.id  # type: ignore[assignment]
    overdue = []
    for title, unit, deadline, updates in ITEMS:
        created = at(ADOPTED_DAY + 1)
        made = await services.add_item(
            database,
            chair(created),
            did,
            ItemInput(title, unit, today + timedelta(days=deadline)),
            now=created,
        )
        for day, status, note in updates:
            when = at(day, "17:30")
            await services.add_update(
                database,
                ctx,
                chair(when),
                did,
                made.id,  # type: ignore[arg-type]
                UpdateInput(today + timedelta(days=day), status, note),
                now=when,
            )
        if deadline < 0 and updates[-1][1] not in ("done", "dropped"):
            overdue.append(title)
    return [
        f"decision {did}: on 「{consultation_demo.TITLE}」 citing minutes version"
        f" {minutes[0].version}, {len(ITEMS)} implementation items"
        f" ({len(overdue)} overdue: {', '.join(overdue)})",
    ]
