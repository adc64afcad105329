"""The demo polls (development only), all in consultation 1 「幸福社区老旧小区综合改造方案」.

On a fresh database they get ids 1 to 6, in this order (the browser page registry visits
them by id):

1. closed, single choice: which facade insulation material;
2. closed, approval (at most three): which public-space projects first;
3. closed, ranked: how to share the cost of the new elevators (plurality, instant-runoff
   and Schulze name three different winners: a centre squeeze);
4. closed, score: the three contractors' bids, 0 to 5 stars;
5. closed, participatory budget of 500,000 yuan (the Method of Equal Shares funds a
   project of the older residents that the greedy rule leaves out);
6. open, approval: which trees to plant; a few votes in, ``resident@demo.invalid`` has
   not voted, so they can try it.

Voters are the thirty demo residents of consultations/demo.py, the chair, and fourteen more
verified residents ``voter-NN@demo.invalid``, so turnout reads like a real community's.
Everything goes through the real services (create, freeze, cast, cast_paper, close) with
``now=`` in the past: the closed polls ran during the last twelve days, some older
residents voted on paper at the booth, entered by the demo officer. The ballots follow
fixed profiles and a seeded shuffle, so every load gives the same results (up to the
tie-break seed, which no result here depends on). The place and the people are fictional.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from deliberate.accounts.admin_tasks import TaskError, create_user
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.consultations import demo as consultation_demo
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.identity.models import Area
from deliberate.polls import ballots, services
from deliberate.polls.ballots import Choice
from deliberate.polls.forms import OptionInput, PollInput
from deliberate.polls.models import Poll, PollOption, Tally

TZ = consultation_demo.TZ
_at = consultation_demo._at

# (display name, birth year) of voter-NN@demo.invalid: more verified residents of 幸福社区.
VOTERS: tuple[tuple[str, int], ...] = (
    ("钱永福", 1952),
    ("孔令华", 1974),
    ("曹玉兰", 1946),
    ("严俊", 1989),
    ("华明亮", 1967),
    ("金晓红", 1983),
    ("魏国庆", 1959),
    ("陶然", 1995),
    ("姜春梅", 1970),
    ("邹桂芳", 1949),
    ("喻文杰", 1986),
    ("施根生", 1944),
    ("章雨婷", 1997),
    ("潘大伟", 1976),
)
PAPER_BORN_BY = 1950  # residents born by then tend to vote at the booth, on paper


def voter_login(number: int) -> str:
    return f"voter-{number:02d}@demo.invalid"


@dataclass(frozen=True)
class DemoPoll:
    """A demo poll as the committee set it up: when it was made and frozen, its window
    (days from today, local clock), and how many of the eligible residents voted (for
    the closed ones; the open one has ``turnout`` votes so far)."""

    title: str
    question: str
    description: str
    method: str
    options: tuple[OptionInput, ...]
    created: tuple[int, str]
    frozen: tuple[int, str]
    opens: tuple[int, str]
    closes: tuple[int, str]
    turnout: int
    paper: int
    max_choices: int | None = None
    budget: int | None = None

    @property
    def closed(self) -> bool:
        return self.closes[0] < 0


def _o(label: str, description: str = "", cost: int = 0) -> OptionInput:
    return OptionInput(label=label, cost=cost, description=description)


INSULATION = DemoPoll(
    title="外墙保温材料选用哪一种？",
    question="幸福社区 1–12 号楼外墙保温层，您倾向于选用哪一种材料？",
    description=(
        "改造方案第二部分“外墙保温与屋面防水”拟在外墙加做保温层。设计单位提出了四种"
        "材料，造价都在中央补助资金和区级配套资金范围内，**居民不出资**；"
        "选哪一种，请大家投票决定。\n\n"
        "| 材料 | 防火等级 | 厚度 | 使用年限 |\n"
        "|---|---|---|---|\n"
        "| 岩棉板 | A 级不燃 | 70 毫米 | 约 25 年 |\n"
        "| 石墨聚苯板 | B1 级难燃 | 60 毫米 | 约 25 年 |\n"
        "| 真空绝热板 | A 级不燃 | 20 毫米 | 约 15 年，破损后保温性能下降 |\n"
        "| 发泡陶瓷保温板 | A 级不燃 | 80 毫米 | 与建筑同寿命，自重较大 |\n\n"
        "- 投票人：幸福社区经核实的居民，年满 18 周岁，每人一票；\n"
        "- 结果在投票结束后公布，得票最多的材料写入修改后的方案；\n"
        "- 不方便上网的居民，可到党群服务中心一楼投票点填写纸质选票。\n\n"
        "材料样品在党群服务中心一楼展示，欢迎现场查看。"
    ),
    method="single",
    options=(
        _o("岩棉板", "A 级不燃，保温效果好；施工时需做好防水，粉尘较大"),
        _o("石墨聚苯板", "B1 级难燃，重量轻、造价低；需设置防火隔离带"),
        _o("真空绝热板", "A 级不燃，厚度最薄；不能现场裁切，破损后性能下降"),
        _o("发泡陶瓷保温板", "A 级不燃，耐久性好；自重大，锚固要求高"),
    ),
    created=(-12, "14:00"),
    frozen=(-11, "08:30"),
    opens=(-11, "09:00"),
    closes=(-5, "20:00"),
    turnout=34,
    paper=3,
)

PUBLIC_SPACE = DemoPoll(
    title="公共空间改造优先做哪些项目？",
    question="原锅炉房旧址和楼间空地改造，您希望优先做哪些项目？（最多选 3 项）",
    description=(
        "原锅炉房旧址（约 900 平方米）和楼间空地将改造为公共空间。"
        "受场地和资金限制，**第一批只能实施其中三到四项**，其余列入后续计划。\n\n"
        "请选择您最希望优先实施的项目，**最多选 3 项**。"
        "得票多的项目优先进入施工图设计，具体位置在设计稿公示时再征求意见。\n\n"
        "> 晾晒区和垃圾分类亭的位置会影响相邻楼栋，居委会将另行征求相邻住户意见。"
    ),
    method="approval",
    max_choices=3,
    options=(
        _o("儿童游乐区", "软质铺地，适合 3–12 岁儿童的游乐设施"),
        _o("老年活动角", "棋牌桌、健身器材和带靠背的座椅"),
        _o("晾晒区", "集中晾晒架和晾被杆"),
        _o("非机动车棚", "带充电口和消防设施的电动自行车棚"),
        _o("健身步道", "沿小区环路约 600 米的塑胶步道"),
        _o("垃圾分类亭", "带洗手池和除臭设备的分类投放亭"),
        _o("遮阳休息廊架", "带遮阳顶棚的休息廊架"),
    ),
    created=(-12, "14:20"),
    frozen=(-11, "08:35"),
    opens=(-11, "09:00"),
    closes=(-5, "20:00"),
    turnout=31,
    paper=2,
)

ELEVATOR = DemoPoll(
    title="加装电梯费用分摊方案排序",
    question="加装电梯建设费用在单元住户之间如何分摊？请按您的意愿排序。",
    description=(
        "每部电梯造价约 58 万元，区财政每部补助 20 万元，其余约 38 万元由本单元住户分摊。"
        "征求意见稿第一版按楼层系数分摊（一层 0.2、二层 0.5 …… 六层 1.6），"
        "网上听证中意见较多，现列出五种方案，请大家**按意愿排序**。\n\n"
        "- 把最希望采用的方案排在第 1 位，依次往下；\n"
        "- 可以只排您能接受的几种，不必全部排完；\n"
        "- 结果按**即时决选（IRV）**计算：得票最少的方案依次淘汰，"
        "其选票转给下一顺位，直到某方案过半；同时列出 Schulze 两两比较的结果供参考。\n\n"
        "投票结果将作为修改方案第三部分“资金筹措与分摊”的依据。"
    ),
    method="ranked",
    options=(
        _o("按楼层系数分摊，一层不出资", "二层 0.4 至六层 1.7，一层不分摊建设和维保费用"),
        _o("按楼层系数分摊，一层少量出资", "征求意见稿第一版：一层 0.2、二层 0.5 至六层 1.6"),
        _o("按楼层系数和住房面积综合分摊", "楼层系数与套内面积各占一半"),
        _o("各户平均分摊", "本单元每户出资相同，一层也分摊"),
        _o("四层及以上住户分摊", "一至三层不出资，四层及以上按面积分摊"),
    ),
    created=(-12, "15:00"),
    frozen=(-11, "08:40"),
    opens=(-11, "09:00"),
    closes=(-5, "20:00"),
    turnout=33,
    paper=2,
)

CONTRACTORS = DemoPoll(
    title="对施工单位三个候选方案打分",
    question="请对三家候选施工单位的施工组织方案打分（0–5 星）。",
    description=(
        "区住建局公开招标后，评标委员会推荐了三家候选施工单位。"
        "按照方案第五部分“居民参与和监督”，施工组织方案请居民打分，"
        "**平均分**作为定标的参考（占 20%），中位数一并公布。\n\n"
        "| 候选单位 | 报价 | 工期 | 主要特点 |\n"
        "|---|---|---|---|\n"
        "| 示范城建集团 | 1,238 万元 | 8 个月 | 分三批施工，每批设居民联络员 |\n"
        "| 河畔建设工程有限公司 | 1,196 万元 | 7 个月 | 工期最短，同时开工楼栋较多 |\n"
        "| 和平建筑安装公司 | 1,152 万元 | 9 个月 | 报价最低，本区同类项目经验较少 |\n\n"
        "三家单位的完整方案可在党群服务中心查阅。每个方案都要打分，0 星表示完全不认可。"
    ),
    method="score",
    options=(
        _o("示范城建集团", "报价 1,238 万元，工期 8 个月"),
        _o("河畔建设工程有限公司", "报价 1,196 万元，工期 7 个月"),
        _o("和平建筑安装公司", "报价 1,152 万元，工期 9 个月"),
    ),
    created=(-12, "15:30"),
    frozen=(-9, "08:30"),
    opens=(-9, "09:00"),
    closes=(-3, "20:00"),
    turnout=28,
    paper=2,
)

BUDGET_TOTAL = 500_000
MICRO = DemoPoll(
    title="社区微更新项目参与式预算（预算 50 万元）",
    question="和平街道安排幸福社区微更新资金 50 万元，您支持哪些项目？",
    description=(
        "和平街道今年安排幸福社区**微更新资金 50 万元**，由居民投票决定用在哪些项目上。"
        "九个候选项目由居民提议、居委会和设计单位核算造价。\n\n"
        "**怎么投**：勾选您支持的项目，所选项目的总造价不超过 50 万元。\n\n"
        "**怎么算**：采用**平等份额法**（Method of Equal Shares）——预算平均分给每一位"
        "投票的居民，一个项目由支持它的居民用各自的份额共同“出资”。这样，"
        "人数较少的群体也能用自己的份额办成一件事，而不是所有资金都流向多数人支持的项目。"
        "结果页同时列出“按票数从高到低、放得下就做”的结果，供大家比较。\n\n"
        "未入选的项目列入明年的候选名单。"
    ),
    method="budget",
    budget=BUDGET_TOTAL,
    options=(
        _o("单元门禁与楼道照明", "36 个单元更换门禁，楼道改为感应灯", 180_000),
        _o("口袋广场遮阳廊架", "原锅炉房旧址的遮阳廊架和座椅", 150_000),
        _o("儿童游乐设施更新", "更换老旧滑梯和秋千，铺设软质地面", 120_000),
        _o("老年助餐点厨房改造", "党群服务中心一楼厨房改造，每天供应午餐", 200_000),
        _o("无障碍坡道与扶手", "主要出入口和单元门前的坡道、扶手", 130_000),
        _o("社区图书角", "党群服务中心二楼阅览和自习空间", 120_000),
        _o("雨水花园", "11 号楼西侧低洼处改建雨水花园", 160_000),
        _o("非机动车充电棚扩建", "新增 60 个充电口和喷淋设施", 250_000),
        _o("宠物友好活动区", "围合的宠物活动场地和拾便设施", 120_000),
    ),
    created=(-12, "16:00"),
    frozen=(-9, "08:40"),
    opens=(-9, "09:00"),
    closes=(-2, "20:00"),
    turnout=33,
    paper=3,
)

TREES = DemoPoll(
    title="绿化提升选哪些树种？",
    question="小区绿化提升补种乔木，您希望选哪些树种？（最多选 3 项）",
    description=(
        "改造方案第二部分“绿化与公共空间”计划保留现有 23 棵大树，并在道路两侧和口袋广场"
        "补种乔木约 60 棵。园林设计单位推荐了七个适合本地气候的树种，请大家选出"
        "**最多 3 种**。\n\n"
        "- 得票最多的三到四个树种将写入绿化施工图；\n"
        "- 靠近住宅窗户的位置只种落叶树种，不影响冬季采光；\n"
        "- 有花粉过敏顾虑的，可在本咨询的网上听证中留言。"
    ),
    method="approval",
    max_choices=3,
    options=(
        _o("国槐", "本地乡土树种，耐旱，夏季遮阴好"),
        _o("银杏", "秋季叶色金黄；只种雄株，不结果"),
        _o("桂花", "常绿，秋季开花有香味"),
        _o("樱花", "春季开花，观赏性强"),
        _o("紫薇", "花期长，树形较小，适合楼间"),
        _o("玉兰", "早春开花，树形挺拔"),
        _o("海棠", "春季开花，秋季结果，可招引鸟类"),
    ),
    created=(-3, "16:00"),
    frozen=(-2, "08:30"),
    opens=(-2, "09:00"),
    closes=(10, "20:00"),
    turnout=8,
    paper=1,
)

POLLS: tuple[DemoPoll, ...] = (INSULATION, PUBLIC_SPACE, ELEVATOR, CONTRACTORS, MICRO, TREES)
FIRST_TITLE = POLLS[0].title

# --- the ballots, by option position (1-based) --------------------------------------------

# Single choice: (position, votes); 34 in all.
INSULATION_VOTES = ((1, 15), (2, 9), (4, 7), (3, 3))

# Approval: how much each option is wanted (weighted draws, without replacement).
PUBLIC_SPACE_APPEAL = (0.8, 1.0, 0.45, 0.7, 0.6, 0.2, 0.5)

# Ranked: a centre squeeze. Plurality picks 4 (an equal share, the upper floors' choice),
# instant-runoff picks 1 (the revised plan) once the low-floor voters' second choices come
# in, and 3 (the compromise) beats every other option head to head (Schulze's winner).
# Some voters ranked only the options they can accept.
ELEVATOR_PROFILE: tuple[tuple[int, tuple[int, ...]], ...] = (
    (8, (4, 3, 2, 1, 5)),
    (3, (4, 3)),
    (1, (4,)),
    (5, (1, 3, 5, 2, 4)),
    (2, (1, 3)),
    (1, (1, 5, 3)),
    (4, (3, 1, 2, 4, 5)),
    (2, (3, 4, 1)),
    (3, (5, 1, 3)),
    (1, (5, 1)),
    (2, (2, 3, 1, 4)),
    (1, (2, 3)),
)

# Score: the chance of 0 … 5 stars for each contractor.
CONTRACTOR_STARS = (
    (1, 1, 3, 8, 14, 9),  # 示范城建集团: trusted, phased
    (4, 3, 7, 10, 7, 5),  # 河畔建设: fast, divisive
    (6, 8, 11, 8, 4, 2),  # 和平建筑: cheapest, little experience
)

# Budget: (ballots, approved projects); every set fits in the 500,000 budget. The young
# families' projects (3, 2, 6) lead the votes, so greedy funds them and stops; with equal
# shares the older residents' share buys 5 (ramps and handrails) instead of 6.
MICRO_PROFILE: tuple[tuple[int, tuple[int, ...]], ...] = (
    (6, (2, 3, 6)),
    (3, (2, 3, 9)),
    (3, (3, 6)),
    (2, (2, 3, 7)),
    (1, (3, 6, 9)),
    (1, (2, 6)),
    (4, (4, 5)),
    (3, (1, 4)),
    (2, (4, 5, 9)),
    (1, (1, 5)),
    (3, (1, 8)),
    (2, (7, 8)),
    (1, (5, 7)),
    (1, (2, 8)),
)

TREE_APPEAL = (0.9, 0.8, 1.0, 0.7, 0.5, 0.45, 0.35)


def _expand(profile: Sequence[tuple[int, tuple[int, ...]]]) -> list[list[int]]:
    return [list(ranking) for count, ranking in profile for _ in range(count)]


def _approvals(rng: random.Random, appeal: Sequence[float], count: int, most: int) -> list:
    found = []
    for _ in range(count):
        size = rng.choices((1, 2, 3), weights=(2, 7, 11))[0]
        pool = list(range(1, len(appeal) + 1))
        weights = list(appeal)
        chosen = []
        for _pick in range(min(size, most)):
            pick = rng.choices(range(len(pool)), weights=weights)[0]
            chosen.append(pool.pop(pick))
            weights.pop(pick)
        found.append(sorted(chosen))
    return found


def profiles(rng: random.Random) -> dict[str, list]:
    """Every demo poll's ballots in option positions, by title (shuffled later)."""
    stars = range(6)
    return {
        INSULATION.title: [p for p, n in INSULATION_VOTES for _ in range(n)],
        PUBLIC_SPACE.title: _approvals(rng, PUBLIC_SPACE_APPEAL, PUBLIC_SPACE.turnout, 3),
        ELEVATOR.title: _expand(ELEVATOR_PROFILE),
        CONTRACTORS.title: [
            {p: rng.choices(stars, weights=w)[0] for p, w in enumerate(CONTRACTOR_STARS, 1)}
            for _ in range(CONTRACTORS.turnout)
        ],
        MICRO.title: _expand(MICRO_PROFILE),
        TREES.title: _approvals(rng, TREE_APPEAL, TREES.turnout, 3),
    }


def _choice(method: str, ballot: object, ids: Sequence[int]) -> Choice:
    """A ballot in option positions as the option ids the form carries."""
    if method == "single":
        return ids[ballot - 1]  # type: ignore[operator]
    if method == "score":
        return {str(ids[p - 1]): s for p, s in ballot.items()}  # type: ignore[attr-defined]
    return [ids[p - 1] for p in ballot]  # type: ignore[attr-defined]


# --- the people ----------------------------------------------------------------------------


@dataclass
class _Voter:
    auth: Auth
    birth_year: int


@dataclass
class _Cast:
    chair: Auth
    officer: Auth | None
    voters: list[_Voter] = field(default_factory=list)


def _officer_auth(user: User, now: datetime) -> Auth:
    """The demo officer at the booth, past the second factor."""
    session = UserSession(
        token_hash=secrets.token_hex(32),
        user_id=user.id,  # type: ignore[arg-type]
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=8),
        second_factor_at=now,
    )
    return Auth(user=user, session=session, committee_member=False, officer=True)


async def _people(database: Database, area_id: int, moment: datetime, today: date) -> _Cast:
    chair = await consultation_demo._user(database, consultation_demo.CHAIR_LOGIN)
    if chair is None:
        raise RuntimeError("the demo chair is missing: the demo accounts come first")
    officer = await consultation_demo._user(database, consultation_demo.OFFICER_LOGIN)
    officer_id = officer.id if officer else None
    cast = _Cast(
        chair=consultation_demo._auth(chair, moment, committee=True),
        officer=_officer_auth(officer, moment) if officer else None,
    )
    for number, (_name, born) in enumerate(consultation_demo.RESIDENTS, start=1):
        user = await consultation_demo._user(database, consultation_demo.resident_login(number))
        if user is not None:
            cast.voters.append(_Voter(consultation_demo._auth(user, moment, committee=False), born))
    for number, (name, born) in enumerate(VOTERS, start=1):
        login = voter_login(number)
        try:
            user = await create_user(
                database,
                login=login,
                password=secrets.token_urlsafe(18),  # never printed: nobody signs in as them
                role="resident",
                display_name=name,
            )
        except TaskError:
            user = await consultation_demo._user(database, login)  # type: ignore[assignment]
            assert user is not None
        verified = _at(today, -40 - 7 * number, "10:00")  # at the counter, over the past year
        await consultation_demo._verify(database, user, area_id, born, verified, officer_id)
        cast.voters.append(_Voter(consultation_demo._auth(user, moment, committee=False), born))
    cast.voters.append(_Voter(cast.chair, 1971))  # the chair lives here too
    return cast


# --- the timeline --------------------------------------------------------------------------


def _online_times(
    rng: random.Random, opens: datetime, closes: datetime, count: int, latest: datetime
) -> list[datetime]:
    """Votes come in the evening more than by day, and fewer as the days pass."""
    end = min(closes, latest)
    found: list[datetime] = []
    while len(found) < count:
        at = opens + (end - opens) * rng.betavariate(1.0, 1.6)
        local = at.astimezone(TZ)
        hour = rng.choices(range(7, 23), weights=(2, 3, 2, 2, 2, 3, 3, 2, 2, 2, 3, 5, 7, 8, 6, 3))
        at = local.replace(hour=hour[0], minute=rng.randrange(60), second=rng.randrange(60))
        if opens < at < end:
            found.append(at.astimezone(UTC))
    return found


def _booth_times(
    rng: random.Random, opens: datetime, closes: datetime, count: int, latest: datetime
) -> list[datetime]:
    """The booth in the community service centre, mornings from Monday to Saturday."""
    end = min(closes, latest)
    found: list[datetime] = []
    while len(found) < count:
        day = (opens + (end - opens) * rng.random()).astimezone(TZ)
        at = day.replace(hour=rng.choice((9, 10, 11)), minute=rng.randrange(0, 60, 5), second=0)
        if day.weekday() < 6 and opens < at < end:  # Monday to Saturday
            found.append(at.astimezone(UTC))
    return found


@dataclass(frozen=True)
class _Made:
    spec: DemoPoll
    poll_id: int
    option_ids: tuple[int, ...]


async def _create(
    database: Database, cast: _Cast, consultation_id: int, area_id: int, today: date
) -> list[_Made]:
    made = []
    for spec in POLLS:
        data = PollInput(
            title=spec.title,
            question=spec.question,
            description=spec.description,
            method=spec.method,
            max_choices=spec.max_choices,
            budget=spec.budget,
            opens_at=_at(today, *spec.opens),
            closes_at=_at(today, *spec.closes),
            rule_area_id=area_id,
            min_age=18,
            options=spec.options,
        )
        poll = await services.create(
            database, cast.chair, consultation_id, data, now=_at(today, *spec.created)
        )
        async with database.read() as session:
            ids = (
                await session.exec(
                    select(PollOption.id)
                    .where(PollOption.poll_id == poll.id)
                    .order_by(PollOption.position)  # type: ignore[arg-type]
                )
            ).all()
        made.append(_Made(spec, poll.id, tuple(ids)))  # type: ignore[arg-type]
    return made


async def _run(
    database: Database,
    cast: _Cast,
    made: _Made,
    ballots_by_position: list,
    rng: random.Random,
    today: date,
    moment: datetime,
) -> tuple[int, int]:
    """Freeze, vote (online and at the booth) and, once its time is up, close one poll.
    Returns (online, paper) ballots."""
    spec, poll_id = made.spec, made.poll_id
    opens, closes = _at(today, *spec.opens), _at(today, *spec.closes)
    latest = _at(today, 0, "00:00") if not spec.closed else closes  # the open poll: till today
    await services.freeze(database, cast.chair, poll_id, now=_at(today, *spec.frozen))
    chosen = list(ballots_by_position)
    rng.shuffle(chosen)
    # A few older residents vote at the booth (if the demo officer is there), the rest
    # online; nobody twice.
    older = [v for v in cast.voters if v.birth_year <= PAPER_BORN_BY]
    paper_ones = rng.sample(older, min(spec.paper, len(older))) if cast.officer else []
    others = [v for v in cast.voters if not any(v is one for one in paper_ones)]
    voters = paper_ones + rng.sample(others, len(chosen) - len(paper_ones))
    online_times = iter(_online_times(rng, opens, closes, len(voters) - len(paper_ones), latest))
    booth_times = iter(_booth_times(rng, opens, closes, len(paper_ones), latest))
    steps = []
    for voter, ballot in zip(voters, chosen, strict=True):
        paper = any(voter is one for one in paper_ones)
        at = next(booth_times) if paper else next(online_times)
        steps.append((at, paper, voter, _choice(spec.method, ballot, made.option_ids)))
    steps.sort(key=lambda step: step[0])
    for at, paper, voter, choice in steps:
        form = ballots.to_form(spec.method, choice)
        if paper:
            assert cast.officer is not None and voter.auth.user.id is not None
            await services.cast_paper(
                database, cast.officer, poll_id, voter.auth.user.id, form, now=at
            )
        else:
            await services.cast(database, voter.auth, poll_id, form, now=at)
    if spec.closed:
        # The server closes a poll by itself a minute after its closing time.
        await services.close(database, None, poll_id, now=closes + timedelta(minutes=1))
    return len(steps) - len(paper_ones), len(paper_ones)


def _label(made: _Made, option_id: int) -> str:
    return made.spec.options[made.option_ids.index(option_id)].label


def _summary(
    made: _Made, tally: Tally | None, eligible: int, online: int, paper: int, today: date
) -> str:
    spec = made.spec
    total = online + paper
    head = (
        f"poll {made.poll_id}: 「{spec.title}」 ({spec.method}, "
        f"{'closed' if spec.closed else 'open'}): {total} of {eligible} eligible voted"
        f" ({100 * total / eligible:.0f}%), {paper} on paper"
    )
    if tally is None:
        return head + f"; open until {_at(today, *spec.closes).astimezone(TZ):%Y-%m-%d}"
    result = json.loads(tally.result)
    winners = [_label(made, w) for w in result["winners"]]
    if spec.method == "ranked":
        first = result["details"]["rounds"][0]["counts"]
        leader = max(first, key=lambda o: first[o])
        schulze = result["details"]["schulze"]["winner"]
        return head + (
            f"; IRV {winners[0]}, plurality {_label(made, int(leader))},"
            f" Schulze {_label(made, schulze)}"
        )
    if spec.method == "budget":
        greedy = [_label(made, p) for p in result["details"]["greedy"]["funded"]]
        return head + f"; MES funds {'、'.join(winners)}; greedy {'、'.join(greedy)}"
    return head + f"; winner {'、'.join(winners)}"


async def load(database: Database, *, now: datetime | None = None) -> list[str]:
    """Create the demo polls once (after the demo consultations); report lines."""
    async with database.read() as session:
        existing = (await session.exec(select(Poll.id).where(Poll.title == FIRST_TITLE))).first()
        consultation = (
            await session.exec(
                select(Consultation).where(Consultation.title == consultation_demo.TITLE)
            )
        ).first()
        area = (await session.exec(select(Area).where(Area.code == consultation_demo.HOME))).first()
    if existing is not None:
        return [f"poll {existing}: 「{FIRST_TITLE}」 exists; demo polls unchanged"]
    if consultation is None or area is None:
        return ["demo polls skipped: the demo consultation is missing"]
    moment = now or datetime.now(UTC)
    today = moment.astimezone(TZ).date()
    rng = random.Random(20261128)  # noqa: S311 (the same ballots on every load)
    cast = await _people(database, area.id, moment, today)  # type: ignore[arg-type]
    made = await _create(database, cast, consultation.id, area.id, today)  # type: ignore[arg-type]
    ballots_of = profiles(rng)
    lines = [
        f"{len(VOTERS)} more demo residents voter-01 … voter-{len(VOTERS):02d}@demo.invalid,"
        " verified in 幸福社区 (passwords not printed)"
    ]
    for item in made:
        online, paper = await _run(
            database, cast, item, ballots_of[item.spec.title], rng, today, moment
        )
        async with database.read() as session:
            tally = await session.get(Tally, item.poll_id)
        # Eligible then: the residents verified before the poll; the open poll also has
        # the demo resident, verified today.
        eligible = len(cast.voters) + (0 if item.spec.closed else 1)
        lines.append(_summary(item, tally, eligible, online, paper, today))
    return lines
