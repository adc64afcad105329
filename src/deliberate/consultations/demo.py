"""The demo consultations (development only).

1. 「幸福社区老旧小区综合改造方案」: published twelve days ago, with a hearing open for
   comment (a draft in six sections and a revised second version), dozens of comments of
   every stance with replies, endorsements, a flag and a hidden comment, a deleted one,
   the committee's answers, a call for speakers drawn by the public lottery, and the
   closed record of yesterday's in-person session.
2. 「幸福社区停车管理办法（试行）」: published, its hearing opens next week.
3. 「幸福社区口袋公园建设」: a draft only the committee sees.

Everything is written through the real services, with ``now=`` in the past so the
timeline reads as it happened; the actors are in-memory ``Auth`` values (the chair of the
demo committee past the second factor, and about thirty verified demo residents). The
place and the people are fictional.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from deliberate.accounts import services as account_services
from deliberate.accounts.admin_tasks import TaskError, create_user
from deliberate.accounts.auth import Auth
from deliberate.accounts.models import User, UserSession
from deliberate.accounts.services import Context
from deliberate.accounts.tokens import Keys
from deliberate.consultations import forms as consultation_forms
from deliberate.consultations import services as consultation_services
from deliberate.consultations.models import Consultation
from deliberate.db import Database, as_utc
from deliberate.hearings import comments, forms, sessions, speakers
from deliberate.hearings import queries as hearing_queries
from deliberate.hearings import services as hearing_services
from deliberate.hearings.comments import NewComment
from deliberate.hearings.forms import CallInput, HearingInput, SessionInput, StatementInput
from deliberate.hearings.models import Comment, Response, SpeakerApplication
from deliberate.identity.census import VALIDITY
from deliberate.identity.models import Area, Committee, Verification, VerificationMethod

TZ = ZoneInfo("Asia/Shanghai")
HOME = "demo-01-01-001"  # 幸福社区
CHAIR_LOGIN = "chair@demo.invalid"
OFFICER_LOGIN = "officer@demo.invalid"
FOLLOWER_LOGIN = "resident@demo.invalid"
TITLE = "幸福社区老旧小区综合改造方案"
PARKING_TITLE = "幸福社区停车管理办法（试行）"
PARK_TITLE = "幸福社区口袋公园建设"
CONTACT = "社区居委会 张主任 0371-6xxx xxxx（工作日 9:00–17:00）"

# (display name, birth year). resident-NN@demo.invalid; every third (01, 04, 07 …)
# agreed to publish their name, the others appear under a pseudonym.
RESIDENTS: tuple[tuple[str, int], ...] = (
    ("王秀兰", 1948),
    ("李建国", 1955),
    ("张伟", 1982),
    ("刘芳", 1979),
    ("陈志强", 1966),
    ("杨丽娟", 1972),
    ("赵德明", 1945),
    ("黄小燕", 1990),
    ("周国平", 1958),
    ("吴婷婷", 1993),
    ("徐桂英", 1942),
    ("孙浩", 1987),
    ("马玉梅", 1961),
    ("朱军", 1975),
    ("胡晓东", 1984),
    ("郭淑珍", 1950),
    ("何磊", 1996),
    ("高红霞", 1969),
    ("林志华", 1963),
    ("罗敏", 1988),
    ("梁宝山", 1940),
    ("宋佳", 1998),
    ("郑海涛", 1977),
    ("谢秀梅", 1953),
    ("韩冰", 1985),
    ("唐建华", 1960),
    ("冯雪", 1994),
    ("董长顺", 1947),
    ("萧静", 1981),
    ("程立新", 1971),
)
CHAIR = 0  # the author number of the committee chair in the tables below


def resident_login(number: int) -> str:
    return f"resident-{number:02d}@demo.invalid"


# --- consultation 1: the renovation plan ---------------------------------------------------

SUMMARY = (
    "幸福社区 1–12 号楼建成于上世纪八九十年代，普遍存在外墙渗水、屋面漏水、"
    "管网老化、停车难、没有电梯等问题。今年上半年，"
    "居委会通过入户走访和问卷调查（回收有效问卷 392 份）收集了居民的改造需求，"
    "会同河畔区住房和城乡建设局、和平街道办事处和设计单位编制了本改造方案。\n\n"
    "本次征求意见分为三个环节：\n\n"
    "1. **网上听证**：居民对方案逐部分发表意见，居委会逐条答复；\n"
    "2. **现场听证会**：发言人由公开抽签产生，会议记录在本平台公开；\n"
    "3. **居民议事会表决**：根据意见修改后的方案提交居民议事会表决。\n\n"
    "外墙、屋面、管网、道路、"
    "停车和绿化等公共部分的改造费用由中央补助资金和区级配套资金承担，"
    "**居民不出资**；加装电梯按单元自愿实施，"
    "费用如何分摊是本次征求意见的重点之一。\n\n"
    "欢迎每一位居民参与。不方便上网的居民，可以在工作日到党群服务中心一楼，"
    "由社区工作人员协助提交意见。"
)

PREAMBLE = (
    "为改善幸福社区 1–12 号楼的居住条件，补齐小区基础设施短板，"
    "根据《示范市城镇老旧小区改造工作实施方案》，"
    "幸福社区居民委员会会同河畔区住房和城乡建设局、和平街道办事处，"
    "在入户走访和问卷调查的基础上编制本方案。\n\n"
    "本稿为**征求意见稿**。请对照各部分发表意见，"
    "并选择“支持”“反对”“建议”或“疑问”；居委会将逐条答复，"
    "并在现场听证会上集中说明。"
)

SCOPE = (
    "# 一、改造范围\n\n"
    "幸福社区 1–12 号楼建成于 1988—1994 年，均为砖混结构住宅，共 36 个单元、468 "
    "户、约 1,350 人。其中 1–8 号楼为六层，9–12 号楼为七层；60 岁以上居民约占 "
    "38%。\n\n"
    "改造范围包括：\n\n"
    "- 12 栋住宅楼的外墙、屋面、楼道和单元门；\n"
    "- 小区内道路约 6,800 平方米，地下管网约 3.1 公里；\n"
    "- 公共绿地约 4,200 平方米，原锅炉房旧址约 900 平方米；\n"
    "- 自行车棚 3 处，垃圾分类投放点 6 处。\n\n"
    "不在本次范围内的：户内装修和门窗更换（居民可自愿另行委托）；7 "
    "号楼沿街底商的外立面（另行协商）。"
)

WORKS = (
    "# 二、建设内容\n\n"
    "## （一）外墙保温与屋面防水\n\n"
    "外墙加做 70 毫米厚岩棉板保温层（A 级不燃材料），"
    "更换破损的空调外机支架和雨水管。屋面铲除原防水层，重做两道 SBS "
    "改性沥青防水并加设保温层，顶层住户反映的漏水问题一并解决。\n\n"
    "## （二）加装电梯\n\n"
    "在单元住户达成一致意向（同意的户数和所占面积均达到三分之二以上）"
    "的单元加装电梯，目前已有 14 个单元提交意向书。采用“平层入户”方案的单元，"
    "需将北侧阳台改为连廊；采用“半层入户”方案的，电梯停靠在楼梯休息平台。\n\n"
    "## （三）雨污分流与管网更新\n\n"
    "新建雨水管道，与污水管道分开排放；更换老化的供水主管和入户总阀；"
    "化粪池清掏并改造。4 号、8 号楼一楼多次返水的问题列为优先处理。\n\n"
    "## （四）停车与充电\n\n"
    "重新划定停车位，由现有约 150 个增加到 186 个；在 11 "
    "号楼西侧新建非机动车集中充电棚 2 处，共 120 个充电口；预留 40 "
    "个机动车充电桩的电力容量，首批安装 12 个。\n\n"
    "## （五）绿化与公共空间\n\n"
    "保留现有 23 棵大树，补种乔木和灌木；原锅炉房旧址改建为约 900 "
    "平方米的口袋广场，设健身器材、儿童游戏区和带遮阳的休息座椅；"
    "主要出入口和单元门前增设无障碍坡道与扶手。"
)

FUNDING_V1 = (
    "# 三、资金筹措与分摊\n\n"
    "外墙保温、屋面防水、管网更新、道路、停车和绿化等公共部分总投资约 1,280 "
    "万元，由中央补助资金（约 860 万元）和区级配套资金（约 420 万元）承担，"
    "**居民不出资**。\n\n"
    "加装电梯按照“政府补一点、居民出一点”的原则自愿实施：\n\n"
    "- 每部电梯（含土建和连廊）造价约 58 万元，区财政每部补助 20 万元；\n"
    "- 其余约 38 万元由本单元住户按楼层系数分摊：一层 0.2、二层 0.5、三层 0.9、"
    "四层 1.1、五层 1.4、六层 1.6（七层楼单元另行测算）；\n"
    "- 住户可申请提取住房公积金支付分摊款。\n\n"
    "电梯建成后的电费、年检和维保费用，由本单元住户按相同系数分担。"
)

FUNDING_V2 = (
    "# 三、资金筹措与分摊\n\n"
    "外墙保温、屋面防水、管网更新、道路、停车和绿化等公共部分总投资约 1,280 "
    "万元，由中央补助资金（约 860 万元）和区级配套资金（约 420 万元）承担，"
    "**居民不出资**。\n\n"
    "加装电梯按照“政府补一点、居民出一点”的原则自愿实施：\n\n"
    "- 每部电梯（含土建和连廊）造价约 58 万元，区财政每部补助 20 万元；\n"
    "- 其余约 38 万元由本单元二层及以上住户按楼层系数分摊：二层 0.4、三层 0.9、"
    "四层 1.1、五层 1.4、六层 1.7（七层楼单元另行测算）；\n"
    "- **一层住户不分摊建设费用**，也不承担日后的电费和维保费；\n"
    "- 设计单位对每个加装单元出具一层采光遮挡分析，"
    "遮挡明显的调整井道位置或采用玻璃井道；\n"
    "- 住户可申请提取住房公积金支付分摊款，也可分期缴纳。\n\n"
    "电梯建成后的电费、年检和维保费用，由本单元二层及以上住户按相同系数分担。"
)

SITE_V1 = (
    "# 四、施工组织与扰民控制\n\n"
    "- 计划于 {start}开工，分三批实施：第一批 1–4 号楼，第二批 5–8 号楼，第三批 "
    "9–12 号楼，每批工期约 60 天，总工期约 8 个月。\n"
    "- 施工时间：每日 7:00—12:00、13:30—20:00。\n"
    "- 施工期间占用 2 号与 5 号楼之间的停车位约 40 个，"
    "临时停车点设在原锅炉房旧址。\n"
    "- 脚手架外挂密目安全网，底部设防攀爬隔离；施工单位安排夜间巡逻。\n"
    "- 每栋楼开工前 7 天张贴告示，并在单元微信群通知。"
)

SITE_V2 = (
    "# 四、施工组织与扰民控制\n\n"
    "- 计划于 {start}开工，分三批实施：第一批 1–4 号楼，第二批 5–8 号楼，第三批 "
    "9–12 号楼，每批工期约 60 天，总工期约 8 个月。\n"
    "- 施工时间：每日 8:00—12:00、14:00—18:00；周日和法定节假日不进行电钻、"
    "切割等高噪声作业；中考、高考及考前一周全面停止噪声作业。\n"
    "- 施工期间占用 2 号与 5 号楼之间的停车位约 40 个，"
    "临时停车点设在原锅炉房旧址（约 30 个车位）；和平街道文体中心停车场每天 "
    "19:00 至次日 7:30 对本小区登记车辆免费开放。\n"
    "- 脚手架外挂密目安全网，底部设防攀爬隔离；施工单位安排夜间巡逻。\n"
    "- 每栋楼开工前 7 天张贴告示，并在单元微信群通知；"
    "施工单位每周五公布下一周分楼栋的施工计划。"
)

OVERSIGHT = (
    "# 五、居民参与和监督\n\n"
    "- 每栋楼推选 1 名居民代表，组成 12 人的居民监督小组，参与材料进场抽检、"
    "隐蔽工程验收和竣工验收。\n"
    "- 每月 5 日前在社区公告栏和本平台公布工程进度和资金使用情况。\n"
    "- 设立投诉电话和意见箱，居委会在 3 个工作日内答复。\n"
    "- 涉及到户的事项（空调支架移位、电梯连廊等），施工前入户确认并由住户签字。"
)

AFTERCARE = (
    "# 六、后续管理\n\n"
    "- 改造完成后，经居民议事会选聘物业服务企业，提供基础物业服务；"
    "物业费标准拟定为每月每平方米 0.6 元，前两年由和平街道补贴 50%。\n"
    "- 停车位实行登记管理，具体办法另行征求意见；停车收入用于公共设施维护。\n"
    "- 电梯由产权单位委托有资质的单位维保，费用分担见第三部分。\n"
    "- 口袋广场和绿地的日常养护纳入物业服务，鼓励居民认领花池。"
)

CHANGE_NOTE = (
    "根据前六天收到的意见：第三部分调整加装电梯的费用分摊，一层住户不再分摊，二层系数降为 0.4，"
    "并可分期缴纳；第四部分将每日施工时间缩短为 8:00—12:00、14:00—18:00，"
    "增加周日和考试期间停止高噪声作业、夜间临时停车和每周施工计划公示。"
)


def renovation_draft(start: str, *, revised: bool) -> str:
    parts = (
        PREAMBLE,
        SCOPE,
        WORKS,
        FUNDING_V2 if revised else FUNDING_V1,
        (SITE_V2 if revised else SITE_V1).replace("{start}", start),
        OVERSIGHT,
        AFTERCARE,
    )
    return "\n\n".join(parts) + "\n"


@dataclass(frozen=True)
class CommentSpec:
    """A top-level comment: who (resident number), when (days from today, local clock),
    on which section, with which stance; how many neighbours endorse it; and the
    committee's answer, if it has one yet."""

    key: str
    author: int
    day: int
    clock: str
    section: int
    stance: str
    body: str
    likes: int = 0
    verdict: str | None = None
    answer: str = ""


def C(
    meta: tuple[str, int, int, str, int, str, int, str | None], body: str, answer: str = ""
) -> CommentSpec:
    """(key, author, day, clock, section, stance, likes, verdict), the text, the answer."""
    key, author, day, clock, section, stance, likes, verdict = meta
    return CommentSpec(key, author, day, clock, section, stance, body, likes, verdict, answer)


# Version 2 is published at (-4, "10:00"): comments before it are on version 1.
V2_AT = (-4, "10:00")

COMMENTS: tuple[CommentSpec, ...] = (
    C(
        ("lift-6f", 1, -10, "09:40", 2, "support", 8, "noted"),
        (
            "我住3号楼1单元六楼，今年七十八了，膝盖不好，每次下楼买菜都要在楼梯上歇三回。"
            "盼加装电梯盼了好几年，这个方案我举双手赞成，希望我们单元能排进第一批。"
        ),
        (
            "感谢您的支持。3 号楼 1 单元已提交加装意向书，同意户数达到 11 户（共 12 "
            "户），符合条件，已列入首批 14 个单元的名单。设计单位近期会上门确认连廊方案。"
        ),
    ),
    C(
        ("parking-where", 3, -10, "10:15", 2, "question", 5, "adopted"),
        (
            "方案说车位从约150个增加到186个，多出来的36个车位具体在哪里？"
            "会不会占用现在的绿地？能不能公布一张车位规划图？"
        ),
        (
            "新增车位主要来自三处：拆除 6 号楼北侧废弃的自行车棚（14 个），"
            "规整沿路乱停区域（15 个），9 号楼东侧闲置空地（7 个），都不占用现有绿地。"
            "车位规划图已张贴在党群服务中心一楼公告栏，也会附在下一次的方案说明中。"
        ),
    ),
    C(
        ("ground-floor", 2, -10, "11:02", 3, "oppose", 10, "partly"),
        (
            "我家在5号楼2单元一楼。加装电梯我们一楼一点用都没有，反而挡光、有噪音，"
            "楼前还要动土，凭什么还要按0.2的系数出钱？这不公平。一楼不但不该出钱，"
            "还应该给点补偿。"
        ),
        (
            "一层住户不分摊的意见已采纳：第二版方案将一层系数调整为 0，"
            "一层住户也不承担日后的电费和维保费。关于现金补偿：电梯由单元自愿加装，"
            "不能使用公共资金给予补偿；设计单位将对每个加装单元出具一层采光遮挡分析，"
            "遮挡明显的调整井道位置或采用玻璃井道。"
        ),
    ),
    C(
        ("insulation", 5, -10, "14:20", 2, "question", 4, "noted"),
        (
            "外墙用70毫米岩棉板，这个厚度是怎么算的？我们这种砖混老楼的外墙能不能承受？"
            "岩棉板吸了水保温性能会下降，施工时防水怎么处理？"
        ),
        (
            "设计单位答复：70 "
            "毫米的厚度是按本市居住建筑节能设计标准中外墙传热系数的限值计算的；"
            "保温系统采用锚栓加粘结的固定方式，每平方米自重约 12 千克，"
            "原墙体经检测可以承受。岩棉板外侧做抗裂砂浆和耐碱网格布，雨天不施工。"
            "计算书可以到居委会查阅。"
        ),
    ),
    C(
        ("hours-exam", 4, -10, "20:45", 4, "oppose", 9, "adopted"),
        (
            "施工时间从早上7点到晚上8点，太长了！我孩子明年中考，晚上要写作业，"
            "早上7点就开始打钻谁受得了？小区里还有不少人上夜班，白天要睡觉。"
        ),
        (
            "已采纳。第二版将施工时间调整为 8:00—12:00、14:00—18:00，"
            "周日和法定节假日不进行电钻、切割等高噪声作业，中考、"
            "高考及考前一周全面停止噪声作业。"
        ),
    ),
    C(
        ("seventh-floor", 7, -9, "08:30", 3, "question", 5, "noted"),
        (
            "我住10号楼七楼。方案说七层楼单元另行测算，什么时候能出结果？"
            "七楼的系数要是比六楼还高，我们靠退休金过日子的负担不起。"
        ),
        (
            "七层楼单元的分摊方案将在现场听证会后，与 9—12 号楼的居民代表单独座谈确定。"
            "原则是七层系数不高于 1.8，并可提取公积金或分期缴纳。"
        ),
    ),
    C(
        ("square-dance", 6, -9, "09:10", 2, "support", 4, "partly"),
        (
            "锅炉房旧址改成口袋广场太好了！现在那里堆满杂物，晚上黑乎乎的。"
            "建议广场留出一块平整的硬地，方便我们跳广场舞、打太极。"
        ),
        (
            "口袋广场将留出约 200 平方米的硬质铺装场地。广场离 10 号楼较近，"
            "晚间活动需要控制音量和时间，具体的使用公约请居民议事会讨论制定。"
        ),
    ),
    C(
        ("light-1f", 11, -9, "10:05", 2, "oppose", 3, "noted"),
        (
            "我住4号楼1单元一楼，屋里本来就暗。电梯井要是建在北边阳台外面，"
            "我家厨房就彻底见不着光了。我不同意我们单元装电梯。"
        ),
        (
            "理解您的顾虑。4 号楼 1 单元目前尚未达到三分之二同意，不在首批名单中；"
            "以后即使申请，也必须先出具采光分析并当面征求一层住户的意见。"
            "第二版已明确一层住户不分摊任何费用。"
        ),
    ),
    C(
        ("ebike", 12, -9, "12:30", 2, "suggestion", 7, "partly"),
        (
            "非机动车充电棚只有120个充电口不够。我们小区的电动车少说也有300辆，"
            "很多人现在从楼上拉线充电，很危险。建议充电口增加到200个，"
            "并且装上充满自动断电和烟感。"
        ),
        (
            "充电口将增加到 160 个（受现有配电容量限制），"
            "全部采用充满自动断电的智能充电桩，充电棚设烟感和喷淋。"
            "配电增容后再视需要增加。"
        ),
    ),
    C(
        ("oversight", 9, -9, "15:40", 5, "suggestion", 7, "adopted"),
        (
            "监督小组不能光挂个名。建议：\n\n"
            "1. 监督小组的名单和联系方式公开；\n"
            "2. 每批材料进场都要通知监督小组，抽检结果上墙；\n"
            "3. 每月公布资金时要细到每个单项。"
        ),
        (
            "已采纳：监督小组组建后公布名单和联系方式；材料进场提前一天通知监督小组，"
            "抽检报告张贴在施工公告栏；每月的资金公示按单项列出。"
        ),
    ),
    C(
        ("ramps", 8, -9, "19:20", 2, "suggestion", 4, "adopted"),
        (
            "单元门口台阶太高，推婴儿车每次都要抬上抬下。无障碍坡道能不能每个单元门都装？"
            "坡度别太陡。"
        ),
        (
            "已采纳：36 个单元门全部增设无障碍坡道和扶手，坡度不大于 1:12，"
            "场地受限的单元采用折返式坡道。"
        ),
    ),
    C(
        ("temp-parking", 14, -9, "21:05", 4, "question", 6, "partly"),
        (
            "施工时占用2号和5号楼之间约40个车位，临时停车点在锅炉房旧址，那里能停多少辆？"
            "不够的车停哪里？要占多长时间？"
        ),
        (
            "锅炉房旧址可临时停放约 30 辆车。第二版方案增加了一条："
            "和平街道文体中心停车场每天 19:00 至次日 7:30 对本小区登记车辆免费开放。2 "
            "号与 5 号楼之间的车位约占用 60 天，随第一批施工结束恢复。"
        ),
    ),
    C(
        ("online", 10, -8, "08:50", 5, "question", 2, "adopted"),
        (
            "上班族白天去不了居委会，晚上开会也经常赶不上。除了这个平台，"
            "还有没有别的途径提意见？听证会能不能直播？"
        ),
        (
            "现场听证会将在社区微信群直播并录像，会议记录在本平台公开。"
            "意见也可以投进意见箱，或在每周二、周四 18:00—20:00 到居委会当面提出。"
        ),
    ),
    C(
        ("backflow", 19, -8, "09:30", 2, "support", 5, None),
        (
            "雨污分流早该做了！我家在8号楼一楼，去年夏天下暴雨，卫生间地漏往上冒污水，"
            "屋里泡了两天。列为优先处理非常对。"
        ),
    ),
    C(
        ("second-floor", 13, -8, "10:40", 3, "oppose", 4, "partly"),
        (
            "二楼系数0.5也太高了。我们二楼平时根本不用坐电梯，上下就十几级台阶，"
            "凭什么跟一楼差这么多？建议二楼也不出钱，或者象征性出一点。"
        ),
        (
            "第二版已将二层系数从 0.5 降为 0.4。二层住户今后同样可以使用电梯，"
            "年纪大了或行动不便时受益明显，因此仍分摊少量费用。"
        ),
    ),
    C(("mistake", 17, -8, "16:00", 3, "question", 0, None), "一楼的系数是0吗？我好像看错了。"),
    C(
        ("fee", 15, -8, "13:15", 6, "oppose", 5, "partly"),
        (
            "不同意改造完就引入收费物业。我们小区住的多是退休老人，0.6元一平方米，"
            "一年也要五六百块；街道补贴两年，两年以后谁管？会不会涨价？"
            "能不能先由社区组织居民自管试一试？"
        ),
        (
            "物业服务的选聘方案将另行征求意见，"
            "其中会同时提出“专业物业”和“社区组织居民自管”两种方式，由居民议事会选择。"
            "补贴期满后的收费标准须经居民议事会表决，合同期内不得单方面涨价。"
        ),
    ),
    C(
        ("scaffold", 23, -8, "20:10", 4, "question", 8, "partly"),
        (
            "外墙搭了脚手架，小偷顺着架子爬上来怎么办？以前别的小区改造就出过入室盗窃。"
            "出了事施工方能不能担责任？"
        ),
        (
            "脚手架底部 2 米范围全封闭并设防攀爬隔离，"
            "施工单位夜间巡逻并在每栋楼装临时监控；一、二层窗户外加装临时防护网。"
            "因脚手架导致的盗窃，由施工单位依合同承担相应责任。也请大家施工期间关好窗户。"
        ),
    ),
    C(
        ("canteen", 16, -8, "21:30", 2, "suggestion", 6, "not_adopted"),
        (
            "口袋广场旁边能不能盖个小房子，做老年活动室或者老年食堂？"
            "我们老人中午做饭不方便，街道的食堂太远了。"
        ),
        (
            "本次改造资金不能用于新建房屋，锅炉房旧址也不具备新建建筑的规划条件，"
            "所以这一条没有采纳。我们正在和和平街道商量，在 1 "
            "号楼底层闲置用房开设老年助餐点，有进展会及时公布。"
        ),
    ),
    C(
        ("playground", 20, -7, "09:00", 2, "suggestion", 3, None),
        ("儿童游戏区请用软质地面（塑胶或者沙地），器材离开道路远一点，旁边放几张给家长坐的椅子。"),
    ),
    C(
        ("colours", 25, -7, "10:25", 2, "suggestion", 5, "adopted"),
        (
            "外墙颜色请不要刷成大红大黄。建议用浅灰、米白搭配，"
            "每栋楼单元口用不同颜色的门头，方便老人找楼。"
            "能不能出两三个配色方案让居民投票？"
        ),
        (
            "设计单位将提供三套配色方案，听证会后由居民投票确定；单元门头采用不同颜色，"
            "并加大楼号字体。"
        ),
    ),
    C(
        ("shops", 17, -7, "12:40", 1, "question", 2, None),
        (
            "7号楼底商为什么不在改造范围内？它们的空调外机和招牌很乱，跟整栋楼连在一起，"
            "外墙改造能不能一起弄？"
        ),
    ),
    C(
        ("pets", 22, -7, "18:55", 2, "suggestion", 1, None),
        ("很多邻居养狗，建议在绿地角落设一处宠物便便箱和取袋器，广场上的儿童区和遛狗的地方分开。"),
    ),
    C(
        ("drying", 24, -7, "19:30", 2, "question", 4, None),
        "楼下的晾衣架改造以后还能保留吗？我们老年人都习惯把被子拿到楼下晒。",
    ),
    C(
        ("attack", 26, -7, "22:10", 5, "oppose", 0, None),
        (
            "监督小组就是个摆设！3号楼那个姓周的天天往居委会跑，"
            "一看就是收了施工队的好处，整天装模作样，这种人也配当代表？真不要脸。"
        ),
    ),
    C(
        ("wheelchair", 21, -6, "09:20", 2, "support", 7, "adopted"),
        (
            "我坐轮椅七年了，住在11号楼三楼，一年下不了几次楼。"
            "电梯和坡道是我们残疾人最需要的，感谢居委会。希望电梯轿厢能放得下轮椅。"
        ),
        ("加装的电梯统一采用能容纳轮椅的轿厢（净深不小于 1.4 米），设低位按钮和盲文按钮。"),
    ),
    C(
        ("schedule", 27, -6, "11:45", 4, "question", 2, "noted"),
        "总工期8个月，从什么时候开始算？第三批9–12号楼要等到什么时候？",
        (
            "开工时间以区住建局的批复为准，目前计划 {start}开工；第三批预计在开工后第 5 "
            "个月开始。每批的具体日期提前一个月公布。"
        ),
    ),
    C(
        ("roof", 28, -6, "15:30", 1, "support", 3, None),
        (
            "范围定得实在，屋面防水、地下管网这些看不见的地方都包括了。"
            "我家12号楼顶层漏水十几年了，终于有盼头了。"
        ),
    ),
    C(
        ("weekly-plan", 29, -6, "20:00", 4, "suggestion", 5, "adopted"),
        (
            "建议每周把下一周的施工计划（哪栋楼、哪几天有高噪声作业）提前贴在单元门口、"
            "发到群里，家里有病人、有考生的可以提前安排。"
        ),
        (
            "已采纳，写入第二版：施工单位每周五公布下一周分楼栋的施工计划，"
            "高噪声作业标明日期和时段。"
        ),
    ),
    C(
        ("overrun", 30, -6, "21:15", 3, "question", 6, "noted"),
        (
            "中央补助约860万、区级配套约420万，加起来1280万。要是实际造价超了，"
            "超出的部分谁出？会不会最后摊到居民头上？"
        ),
        (
            "公共部分按中标价包干，超出概算的须报区住建局审核，由财政资金解决，"
            "不向居民摊派。结算审计报告将在本平台公开。"
        ),
    ),
    C(
        ("chargers", 3, -5, "08:40", 2, "suggestion", 4, "partly"),
        (
            "机动车充电桩首批只装12个太少了。建议按车位的20%安装，至少先装30个，"
            "可以由充电运营商投资，不花改造资金。"
        ),
        ("首批安装数量增加到 20 个，由充电运营企业投资建设和运营；其余车位预留管线，按需增加。"),
    ),
    C(
        ("management", 18, -5, "09:50", 6, "support", 2, None),
        (
            "改造完引入物业我支持。现在楼道灯坏了没人修，垃圾也没人管。"
            "前两年街道补贴一半，大家可以先试试。"
        ),
    ),
    C(
        ("instalments", 5, -5, "14:10", 3, "suggestion", 5, "partly"),
        (
            "建议电梯分摊款允许分期缴纳，比如分三年。很多老人一次拿出四五万有困难。"
            "另外公积金提取的手续能不能由居委会统一代办？"
        ),
        (
            "分期缴纳已写入第二版，经与电梯建设单位协商，最长可分 24 期。"
            "公积金提取须本人授权，不能代办；居委会将请公积金中心到社区集中办理一次。"
        ),
    ),
    C(
        ("parking-fees", 12, -5, "19:40", 6, "question", 4, "noted"),
        "停车位登记管理以后收不收费？外来车辆怎么管？",
        (
            "停车收费和外来车辆管理将在《幸福社区停车管理办法（试行）》中单独征求意见，"
            "草案正在起草，近期公布。"
        ),
    ),
    C(
        ("lawn", 14, -5, "20:30", 2, "oppose", 4, "not_adopted"),
        (
            "不同意为了绿化再减少停车位。现在晚上回来根本找不到车位，"
            "5号楼前那片草坪明明可以改成车位，为什么还要保留？"
        ),
        (
            "5 号楼前的草坪下有供热和燃气管线，不能改建为车位；小区绿地率也不能低于现状。"
            "新增的 36 个车位都不占用绿地。"
        ),
    ),
    C(
        ("video-calls", 10, -5, "22:00", 4, "oppose", 5, "adopted"),
        "晚上8点还在施工，我在家办公，开视频会议根本没法开。建议下午6点前收工。",
        "已采纳，第二版的施工时间为 8:00—12:00、14:00—18:00。",
    ),
    C(
        ("sign-off", 24, -4, "07:30", 5, "support", 2, None),
        ("涉及到户的事情都要入户签字确认，这条好。我家空调外机移位的事，一定要先跟我们商量。"),
    ),
    C(
        ("survey", 27, -4, "08:20", 0, "question", 1, None),
        "问卷回收392份，是468户里的392户吗？问卷结果能不能公开？",
    ),
    # Version 2 from here.
    C(
        ("v2-thanks", 2, -4, "14:30", 3, "support", 7, "adopted"),
        (
            "第二版一楼不出钱了，这个改得好，说明居委会是真听意见的。"
            "我们单元我愿意签同意书了。不过采光分析希望开工前能送到每一户手里。"
        ),
        ("采光分析报告将在设计定稿后、开工前送达每个加装单元的一层住户，并由设计人员当面讲解。"),
    ),
    C(
        ("v2-top-floor", 20, -4, "16:10", 3, "oppose", 2, "not_adopted"),
        (
            "我家住六楼。一楼不出钱可以理解，可六楼的系数从1.6涨到了1.7，"
            "等于把一楼的钱摊到了高层头上。建议高层多出的部分由补贴来消化。"
        ),
        (
            "区财政对每部电梯的补助标准为 20 万元，本方案无法提高。一层不分摊后，"
            "其余楼层的系数相应调整，这是多数加装单元的住户协商后的结果。"
            "六层住户同样可以分期缴纳。"
        ),
    ),
    C(
        ("v2-exams", 29, -4, "19:00", 4, "support", 6, None),
        ("考试期间全面停止噪声作业写进方案了，点赞。希望施工单位真正做到，监督小组也要盯着。"),
    ),
    C(
        ("v2-seventh", 7, -3, "09:15", 3, "question", 3, "noted"),
        "第二版还是写着七层楼另行测算。听证会之前能不能先给个大概的数？",
        (
            "设计单位在现场听证会上介绍了七层楼单元的初步测算：七层系数约 1.8，按 38 "
            "万元分摊，每户约 5.6 万元，可分期缴纳。正式方案在座谈后公布。"
        ),
    ),
    C(
        ("v2-saturday", 15, -3, "11:30", 4, "question", 4, "partly"),
        "周日不进行高噪声作业，那周六呢？周六很多人也在家休息。",
        (
            "与施工单位商定：周六上午 8:00—12:00 可以进行高噪声作业，"
            "下午只进行低噪声作业。这一条将写入施工合同。"
        ),
    ),
    C(
        ("v2-boundary", 18, -3, "14:00", 1, "suggestion", 2, "not_adopted"),
        "建议把社区北门外那段人行道也纳入改造范围，现在坑坑洼洼的，老人经常绊倒。",
        (
            "北门外的人行道属于市政道路，由区市政部门负责，不能纳入本次改造。"
            "居委会已将问题转交和平街道，列入今年的市政维修计划。"
        ),
    ),
    C(
        ("v2-night-shift", 23, -3, "20:40", 4, "suggestion", 3, "partly"),
        ("夜间文体中心停车场免费很好，但早上7:30就要把车开走，上夜班的人怎么办？建议延长到8:30。"),
        (
            "已与文体中心商定延长到 8:00（8:00 以后是文体中心职工停车时间）；"
            "上夜班的居民可以登记，优先安排锅炉房旧址的临时车位。"
        ),
    ),
    C(
        ("v2-lift-help", 8, -2, "09:10", 6, "suggestion", 2, None),
        (
            "后续管理里建议加一条：电梯出了故障，应急联系人是谁、"
            "困人以后多长时间内到场救援，都要在电梯里贴出来。"
        ),
    ),
    C(
        ("v2-corridor", 25, -2, "11:00", 2, "oppose", 1, None),
        (
            "我们单元不同意平层入户。北阳台是我家唯一能放洗衣机、晾衣服的地方，"
            "改成连廊以后就没地方放了。建议统一采用半层入户，哪怕多走半层楼梯。"
        ),
    ),
    C(
        ("v2-handrails", 16, -2, "15:20", 2, "support", 2, None),
        ("看了第二版，坡道、扶手都有了。希望每个单元的楼梯也加装扶手，老人爬楼时能扶着。"),
    ),
    C(
        ("v2-publicity", 30, -2, "20:15", 5, "suggestion", 1, None),
        (
            "每月的资金公示只贴在公告栏，在外地的子女看不到。建议在这个平台上也发一份，"
            "最好能下载明细。"
        ),
    ),
    C(
        ("v2-hearing", 9, -1, "20:10", 5, "support", 4, None),
        (
            "今天下午的听证会开得不错，发言的人是抽签抽出来的，过程公开，大家服气。"
            "希望会上提的意见也都能逐条答复。"
        ),
    ),
    C(
        ("v2-lights", 22, -1, "21:00", 6, "question", 1, None),
        "口袋广场晚上几点关灯？灯光会不会照进10号楼的卧室？",
    ),
)

# ((key, parent key, author (CHAIR for the committee chair), day, clock), text)
REPLIES: tuple[tuple[tuple[str, str, int, int, str], str], ...] = (
    (("r-plan-map", "parking-where", 14, -10, "11:00"), "对，规划图一定要公开，不然说不清楚。"),
    (
        ("r-lao-li", "ground-floor", 1, -10, "12:30"),
        (
            "老李，我理解你。不过电梯装好了，你们一楼以后年纪大了推个轮椅、"
            "搬个东西也方便。一楼出多少可以商量，别一口回绝。"
        ),
    ),
    (
        ("r-not-against", "r-lao-li", 2, -10, "13:10"),
        "王姐，我不是反对装电梯，是反对让一楼出钱。钱出了，还得受挡光的罪。",
    ),
    (("r-too-late", "hours-exam", 10, -10, "21:30"), "同意！晚上8点太晚了，建议6点收工。"),
    (
        ("r-winter", "hours-exam", 23, -9, "07:50"),
        ("工期本来就8个月，每天的施工时间再缩短，会不会拖到冬天？外墙保温冬天是不能干的吧。"),
    ),
    (
        ("r-crews", "r-winter", 5, -9, "08:40"),
        ("确实，岩棉板粘贴要求气温在5度以上。可以考虑多上几个班组，而不是拉长每天的施工时间。"),
    ),
    (
        ("r-chair-ground", "ground-floor", CHAIR, -9, "09:00"),
        (
            "李师傅您好，这个意见很有代表性，我们已经转给设计单位和区住建局，"
            "正在重新测算一层的分摊方式，结果会在这里正式答复。"
        ),
    ),
    (("r-flying-wires", "ebike", 17, -9, "13:20"), "+1，我们楼道里天天有人飞线充电，太吓人了。"),
    (
        ("r-measured", "temp-parking", 3, -9, "22:00"),
        "锅炉房那块地我量过，满打满算也就停二十五六辆。",
    ),
    (
        ("r-chair-parking", "temp-parking", CHAIR, -8, "09:10"),
        ("两位的提醒很及时。我们正在和和平街道文体中心联系夜间停车的事，有结果第一时间告诉大家。"),
    ),
    (
        ("r-first-floor", "scaffold", 11, -8, "21:00"),
        "我家就在一楼，最怕这个。能不能给一楼装临时的防盗栏？",
    ),
    (
        ("r-chair-nets", "r-first-floor", CHAIR, -7, "08:45"),
        "徐阿姨，施工期间一、二层的窗户外都会加装临时防护网，施工单位会提前上门确认。",
    ),
    (("r-canteen", "canteen", 21, -8, "22:15"), "支持，老年助餐点太需要了。"),
    (("r-vote", "colours", 6, -7, "11:00"), "赞成投票选颜色，别弄得跟别的小区一模一样。"),
    (("r-stretcher", "wheelchair", 8, -6, "10:30"), "轿厢大一点好，婴儿车、担架也都能进。"),
    (("r-audit", "overrun", 9, -6, "22:00"), "问得好。结算审计报告一定要公开。"),
    (("r-sign-now", "v2-thanks", 19, -4, "15:00"), "老李这回可以签字了。我们8号楼也在凑同意书。"),
    (
        ("r-accept", "v2-top-floor", 1, -4, "17:00"),
        "我也住六楼，多出那一点我认了，早点装上比什么都强。",
    ),
    (("r-instalments", "r-accept", 20, -4, "18:20"), "王阿姨说得也对，只要能分期就好办。"),
    (
        ("r-chair-saturday", "v2-saturday", CHAIR, -3, "12:10"),
        (
            "周六的安排我们正在和施工单位商量，初步想法是上午可以施工、"
            "下午停止高噪声作业，定下来以后写进正式答复。"
        ),
    ),
    (("r-night-shift", "v2-night-shift", 12, -3, "21:10"), "同感，上夜班的早上八点多才到家。"),
    (("r-stream", "v2-hearing", 25, -1, "20:40"), "直播我也看了，设计院讲连廊的那一段挺清楚。"),
)

EDITED = (
    "ramps",
    6,
    (
        "单元门口台阶太高，推婴儿车每次都要抬上抬下。无障碍坡道能不能每个单元门都装？"
        "坡度别太陡。另外，单元门能不能换成带缓冲闭门器的轻便门？"
    ),
)
DELETED = ("mistake", 3)  # (key, minutes after posting)
FLAG = ("attack", 9, -7, "22:40", "人身攻击，点名影射邻居收受好处，没有任何依据。")
HIDE = ("attack", -6, "08:15", "人身攻击")
FOLLOWERS = (1, 3, 9, 13, 20)
# Replies the committee answers formally too (every visible comment can have an answer).
REPLY_ANSWERS: dict[str, tuple[str, str]] = {
    "r-winter": (
        "noted",
        "外墙保温施工要求日平均气温在 5℃ 以上，三批施工都安排在 3 月至 10 月之间。"
        "每日施工时间缩短后，施工单位将增加班组，总工期不变。",
    ),
    "r-measured": (
        "noted",
        "经设计单位现场复核，锅炉房旧址按小型车位标准划线后可停放约 30 辆车。",
    ),
    "r-first-floor": (
        "adopted",
        "已采纳：施工期间一、二层窗户外加装临时防护网，施工单位进场前逐户上门确认。",
    ),
}
# When the committee answers, in batches: in the first batch at least eight hours after
# the comment (after version 2 when the answer speaks of it; after the in-person session
# for these).
AFTER_SESSION = frozenset({"v2-seventh"})
ANSWER_BATCHES = (
    (-8, "20:30"),
    (-6, "21:00"),
    (-4, "11:30"),
    (-3, "20:00"),
    (-2, "20:30"),
    (-1, "21:30"),
)

# --- the call for speakers and the session -------------------------------------------------

SEATS = 6
QUOTAS = {"oppose": 2, "support": 2}
PUBLIC_VALUE = "03 07 12 19 26 31 + 09"
PLACE = "幸福社区党群服务中心二楼会议室"

# ((resident, day, clock, stance), what they want to say, what they said if drawn)
APPLICANTS: tuple[tuple[tuple[int, int, str, str], str, str], ...] = (
    (
        (2, -9, "10:20", "oppose"),
        "一楼住户为什么不应分摊加装电梯的费用，以及采光受影响的问题。",
        (
            "肯定第二版一层住户不分摊的修改，表示本单元愿意签署加装同意书。"
            "要求采光遮挡分析在开工前逐户送达并当面讲解；建议井道尽量采用玻璃材质，"
            "连廊不遮挡一楼窗户。"
        ),
    ),
    (
        (1, -9, "11:05", "support"),
        "作为住在六楼的老人，讲讲上下楼的难处，希望尽快加装电梯。",
        (
            "讲述自己和单元里几位高龄老人上下楼的困难，有邻居因为下不了楼半年没出过门。"
            "支持方案，希望首批 14 个单元尽快开工，"
            "并请施工单位把电梯井道的施工时间避开冬季。"
        ),
    ),
    (
        (4, -8, "20:30", "oppose"),
        "施工时间和噪声对学生、上夜班的居民的影响。",
        (
            "认可第二版缩短施工时间、考试期间停止噪声作业的修改，但认为“考前一周”不够，"
            "建议中考前一个月内的晚间和周末一律不施工；要求在施工合同中写明违约处罚，"
            "并公开施工单位负责人的电话。"
        ),
    ),
    (
        (9, -8, "21:40", "suggestion"),
        "居民监督小组怎么组成、怎么真正发挥作用。",
        (
            "建议监督小组成员由各楼栋居民推选，不由居委会指定；"
            "每批材料进场抽检时至少两名组员在场并签字；每月资金公示按单项列出，"
            "监督小组有权查阅合同和签证单。"
        ),
    ),
    (
        (12, -7, "09:30", "suggestion"),
        "电动自行车充电棚的数量和消防安全。",
        (
            "介绍小区电动车约 300 辆、飞线充电普遍的情况，建议充电口分两期建到 200 个，"
            "充电棚设烟感、喷淋和监控，同时在每个单元门口张贴禁止电动车上楼的提示，"
            "由物业负责劝导。"
        ),
    ),
    (
        (14, -7, "19:10", "oppose"),
        "停车位不足，以及施工期间的临时停车安排。",
        (
            "认为施工期间临时车位仍有缺口，要求在开工前公布各批次占用车位的数量和时间表；"
            "建议文体中心停车场夜间开放延长到早上 8:30，并为上夜班、"
            "接送病人的车辆预留车位。"
        ),
    ),
    (
        (21, -6, "10:00", "support"),
        "残疾人和轮椅使用者对电梯、坡道的需求。",
        (
            "以自己坐轮椅出行的经历说明无障碍改造的必要性，支持方案；"
            "希望坡道扶手两侧都装、单元门改为自动或轻便门，"
            "并请设计人员邀请轮椅使用者参与坡道验收。"
        ),
    ),
    (
        (30, -6, "21:30", "question"),
        "资金来源、超出概算怎么办、结算审计是否公开。",
        (
            "询问中央补助和区级配套资金的到位时间、超概算的审批程序，"
            "以及施工单位的招标是否公开。要求结算审计报告在平台全文公开，"
            "并请区住建局在会上明确不向居民摊派。"
        ),
    ),
    (
        (16, -5, "09:00", "suggestion"),
        "老年助餐点和口袋广场的适老化设计。",
        (
            "建议口袋广场多设带靠背和扶手的座椅、增加遮阳和夜间照明，"
            "健身器材选适合老年人的；希望居委会尽快落实 1 号楼底层的老年助餐点，"
            "并公布进度。"
        ),
    ),
    (
        (11, -5, "15:30", "oppose"),
        "一楼住户的采光和施工期间的安全问题。",
        (
            "担心电梯井道挡住一楼厨房的采光，要求本单元加装前必须征得一楼住户同意；"
            "施工期间希望一楼窗外的临时防护网尽早安装，夜间巡逻覆盖到单元背面。"
        ),
    ),
    (
        (28, -4, "16:40", "support"),
        "顶层漏水和屋面防水改造的必要性。",
        (
            "介绍 12 号楼顶层住户十几年来的漏水情况，支持屋面防水和保温改造；"
            "建议屋面施工避开雨季，完工后做闭水试验并请顶层住户到场见证。"
        ),
    ),
    (
        (15, -4, "20:00", "question"),
        "改造后的物业费标准和补贴到期后的安排。",
        (
            "询问物业服务的内容、0.6 元的测算依据和补贴到期后的收费，建议先试行一年、"
            "由居民评议后再续签，并把物业服务标准和收费公示在单元门口。"
        ),
    ),
    ((27, -5, "12:00", "question"), "各批次的开工时间和总工期。", ""),
)
WITHDRAWN = (27, -4, "09:00")  # had to travel for work

AGENDA = (
    "1. 14:30 主持人（居委会主任）介绍议程和发言规则\n"
    "2. 设计单位介绍改造方案及第二版的修改内容\n"
    "3. 河畔区住建局说明资金政策\n"
    "4. 抽签产生的 6 位居民依次发言（每人不超过 8 分钟）\n"
    "5. 现场问答\n"
    "6. 主持人总结，说明意见答复和居民议事会表决的安排\n\n"
    "会议在社区微信群同步直播并录像。请参会居民提前 10 分钟签到。"
)

DESIGNER = "示范市建筑设计研究院 项目负责人"
BUREAU = "河畔区住房和城乡建设局 城市更新科"
DESIGNER_SAYS = (
    "介绍方案的总体思路和第二版的修改：一层住户不再分摊加装电梯费用，"
    "二层系数降为 0.4，可分期缴纳；每日施工时间缩短为 8:00—12:00、14:00—18:00。"
    "七层楼单元的初步测算：七层系数约 1.8，每户约 5.6 万元。"
    "外墙配色将提供三套方案由居民投票。"
)
BUREAU_SAYS = (
    "说明资金政策：公共部分的中央补助资金和区级配套资金已列入年度计划；"
    "公共部分按中标价包干，超出概算的由财政资金解决，不向居民摊派；"
    "加装电梯每部补助 20 万元。结算审计报告将在平台公开，"
    "施工单位通过公开招标确定。"
)
ATTENDANCE = 63
ATTENDANCE_NOTE = (
    "现场签到居民 57 人；河畔区住建局、和平街道办事处、设计单位代表 6 人列席。"
    "另有约 40 人通过社区微信群直播旁听（未计入）。"
)

# --- consultations 2 and 3 -----------------------------------------------------------------

PARKING_SUMMARY = (
    "小区改造完成后，停车位将由约 150 个增加到 186 个，但仍少于居民的车辆数。"
    "为规范停车秩序、保障消防通道畅通，居委会起草了本办法，试行一年。\n\n"
    "网上听证下周开始，欢迎车主和不开车的居民都来发表意见。"
)

PARKING_DRAFT = (
    "本办法适用于幸福社区 1–12 号楼小区内的机动车停放。为规范停车秩序，"
    "保障消防通道畅通，结合老旧小区改造后新增车位的情况，制定本办法。\n\n"
    "# 一、车位与适用范围\n\n"
    "小区内划定的机动车停车位共 186 个，其中无障碍车位 4 个、充电车位 20 个。"
    "消防通道、单元门前和绿地内禁止停车。\n\n"
    "# 二、车位分配与登记\n\n"
    "- 车位不固定、不出售，先到先停；\n"
    "- 本小区居民每户限登记一辆车，凭登记卡进出；\n"
    "- 家中有行动不便者的住户，可申请优先使用无障碍车位。\n\n"
    "# 三、收费与收益使用\n\n"
    "登记车辆每月收取停车管理费 100 元，按季度缴纳；收入单独列账，用于车位维护、"
    "照明和消防设施，每季度公示收支。\n\n"
    "# 四、外来车辆与消防通道\n\n"
    "外来车辆临时停放 2 小时内免费，超过 2 小时每小时 2 元，夜间 22:00 "
    "后不得进入；占用消防通道的，由物业劝离，拒不驶离的报告公安交管部门处理。\n"
)

PARK_SUMMARY = (
    "拟在幸福社区北门西侧约 600 平方米的闲置空地建设口袋公园，设置林荫步道、"
    "休息座椅和儿童游乐设施。\n\n"
    "本稿为内部讨论稿，尚未公开。"
)


@dataclass
class _Cast:
    chair: Auth
    residents: dict[int, Auth]
    area_id: int
    committee_id: int


def _at(today: date, day: int, clock: str) -> datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(today + timedelta(days=day), time(hour, minute), TZ).astimezone(UTC)


def _auth(user: User, now: datetime, *, committee: bool) -> Auth:
    """What a request would carry: a session (not stored) past the second factor for the
    committee, a plain one for residents."""
    session = UserSession(
        token_hash=secrets.token_hex(32),
        user_id=user.id,  # type: ignore[arg-type]
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=8),
        second_factor_at=now if committee else None,
    )
    return Auth(user=user, session=session, committee_member=committee, officer=False)


async def _user(database: Database, login: str) -> User | None:
    async with database.read() as session:
        return (await session.exec(select(User).where(User.email == login))).first()


async def _verify(
    database: Database, user: User, area_id: int, birth_year: int, at: datetime, by: int | None
) -> None:
    """A current in-person verification in the area, made at ``at`` (unless there is one)."""
    async with database.write() as session:
        existing = (
            await session.exec(
                select(Verification).where(
                    Verification.user_id == user.id,
                    Verification.area_id == area_id,
                    col(Verification.revoked_at).is_(None),
                )
            )
        ).first()
        if existing is not None and as_utc(existing.verified_at) <= at:
            return
        session.add(
            Verification(
                user_id=user.id,  # type: ignore[arg-type]
                area_id=area_id,
                method=VerificationMethod.in_person.value,
                birth_year=birth_year,
                verified_by=by,
                verified_at=at,
                valid_until=at.date() + VALIDITY,
            )
        )


async def _cast(database: Database, committee: Committee, now: datetime, today: date) -> _Cast:
    """The chair (verified in 幸福社区 too, so they can reply in threads) and the demo
    residents, created and verified as needed."""
    async with database.read() as session:
        area = (await session.exec(select(Area).where(Area.code == HOME))).one()
    chair_user = await _user(database, CHAIR_LOGIN)
    if chair_user is None:
        raise RuntimeError(f"{CHAIR_LOGIN} is missing: the demo accounts come first")
    officer = await _user(database, OFFICER_LOGIN)
    officer_id = officer.id if officer else None
    await _verify(database, chair_user, area.id, 1971, _at(today, -200, "10:00"), officer_id)  # type: ignore[arg-type]
    residents: dict[int, Auth] = {}
    for number, (name, birth_year) in enumerate(RESIDENTS, start=1):
        login = resident_login(number)
        try:
            user = await create_user(
                database,
                login=login,
                password=secrets.token_urlsafe(18),  # never printed: nobody signs in as them
                role="resident",
                display_name=name,
            )
        except TaskError:
            user = await _user(database, login)  # type: ignore[assignment]
            assert user is not None
        auth = _auth(user, now, committee=False)
        if number % 3 == 1 and not user.publish_name:
            await account_services.update_settings(
                database, auth, display_name=name, locale=user.locale, publish_name=True
            )
        verified = _at(today, -30 - 9 * number, "09:30")  # at the counter, over the past year
        await _verify(database, user, area.id, birth_year, verified, officer_id)  # type: ignore[arg-type]
        residents[number] = auth
    return _Cast(
        chair=_auth(chair_user, now, committee=True),
        residents=residents,
        area_id=area.id,  # type: ignore[arg-type]
        committee_id=committee.id,  # type: ignore[arg-type]
    )


def _month(day: date) -> str:
    return f"{day.year} 年 {day.month} 月"


def _day(day: date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


Step = Callable[[datetime], Awaitable[object]]


class _Renovation:
    """Consultation 1 and its hearing: created first, then every later event replayed in
    time order (so comments before version 2 are on version 1, and so on)."""

    def __init__(self, database: Database, ctx: Context, cast: _Cast, today: date) -> None:
        self.database, self.ctx, self.cast, self.today = database, ctx, cast, today
        self.start = _month(today + timedelta(days=120))
        self.consultation_id = 0
        self.hearing_id = 0
        self.session_id = 0
        self.sections: dict[int, int] = {}  # section number → id, in the current version
        self.comments: dict[str, int] = {}  # key → comment id
        self.steps: list[tuple[datetime, int, Step]] = []

    def at(self, day: int, clock: str) -> datetime:
        return _at(self.today, day, clock)

    def who(self, number: int) -> Auth:
        return self.cast.chair if number == CHAIR else self.cast.residents[number]

    def text(self, value: str) -> str:
        return value.replace("{start}", self.start)

    def step(self, moment: datetime, work: Step) -> None:
        self.steps.append((moment, len(self.steps), work))

    async def run(self) -> None:
        for moment, _order, work in sorted(self.steps, key=lambda s: (s[0], s[1])):
            await work(moment)

    async def create(self) -> None:
        """The consultation and its hearing first, so they get ids 1 on a fresh database."""
        chair = self.cast.chair
        milestones = (
            (-10, "网上听证开始，居民可逐部分发表意见"),
            (-1, "现场听证会（幸福社区党群服务中心二楼会议室）"),
            (20, "网上听证截止"),
            (35, "公布意见采纳情况，修改后的方案提交居民议事会表决"),
            (120, "计划开工（以区住建局批复为准）"),
        )
        data = _consultation_input(
            self.cast,
            self.today,
            title=TITLE,
            summary=SUMMARY,
            budget="约 1,280 万元（中央补助资金与区级配套）",
            buildings="1–12 号楼，共 468 户",
            milestones=milestones,
        )
        item = await consultation_services.create(
            self.database, chair, data, now=self.at(-14, "16:00")
        )
        self.consultation_id = item.id  # type: ignore[assignment]
        hearing = await hearing_services.create(
            self.database,
            chair,
            self.consultation_id,
            HearingInput(
                title="《幸福社区老旧小区综合改造方案》征求意见稿",
                opens_at=self.at(-10, "09:00"),
                closes_at=self.at(20, "18:00"),
                rule_area_id=self.cast.area_id,
                min_age=None,
            ),
            forms.parse_draft(
                {"body": renovation_draft(self.start, revised=False)}, note_required=False
            ),
            now=self.at(-13, "10:30"),
        )
        self.hearing_id = hearing.id  # type: ignore[assignment]
        await self._load_sections()
        await consultation_services.advance(
            self.database, self.ctx, chair, self.consultation_id, "draft", now=self.at(-12, "09:00")
        )
        for number in FOLLOWERS:
            await consultation_services.follow(
                self.database, self.who(number), self.consultation_id
            )
        follower = await _user(self.database, FOLLOWER_LOGIN)
        if follower is not None:
            auth = _auth(follower, datetime.now(UTC), committee=False)
            await consultation_services.follow(self.database, auth, self.consultation_id)

    async def _load_sections(self) -> None:
        async with self.database.read() as session:
            version = await hearing_queries.current_version(session, self.hearing_id)
            assert version is not None
            rows = await hearing_queries.sections_of(session, version.id)  # type: ignore[arg-type]
        self.sections = {s.number: s.id for s in rows}  # type: ignore[misc]

    def plan(self) -> None:
        self.step(self.at(*V2_AT), self._revise)
        self._plan_comments()
        self._plan_moderation()
        self._plan_speakers()
        self._plan_session()

    async def _revise(self, now: datetime) -> None:
        draft = forms.parse_draft(
            {"body": renovation_draft(self.start, revised=True), "change_note": CHANGE_NOTE},
            note_required=True,
        )
        await hearing_services.publish_version(
            self.database, self.ctx, self.cast.chair, self.hearing_id, draft, now=now
        )
        await self._load_sections()

    # comments, endorsements and answers ------------------------------------------------

    def _plan_comments(self) -> None:
        rng = random.Random(20261125)  # noqa: S311 (the same endorsements on every load)
        last = self.at(-1, "22:40")
        v2 = self.at(*V2_AT)
        batches = [self.at(day, clock) for day, clock in ANSWER_BATCHES]
        for spec in COMMENTS:
            posted = self.at(spec.day, spec.clock)
            self.step(posted, self._post(spec))
            others = [n for n in self.cast.residents if n != spec.author]
            for number in rng.sample(others, spec.likes):
                moment = min(posted + timedelta(minutes=rng.randint(20, 2 * 24 * 60)), last)
                self.step(moment, self._endorse(spec.key, number))
            if spec.verdict:
                earliest = posted + timedelta(hours=8)
                if "第二版" in spec.answer:
                    earliest = max(earliest, v2 + timedelta(minutes=30))
                if spec.key in AFTER_SESSION:
                    earliest = max(earliest, self.at(-1, "18:30"))
                answer = self._respond(spec.key, spec.verdict, spec.answer)
                self.step(next(b for b in batches if b >= earliest), answer)
        for (key, parent, author, day, clock), body in REPLIES:
            posted = self.at(day, clock)
            self.step(posted, self._reply(key, parent, author, body))
            if key in REPLY_ANSWERS:
                answer = self._respond(key, *REPLY_ANSWERS[key])
                self.step(next(b for b in batches if b >= posted + timedelta(hours=8)), answer)

    def _post(self, spec: CommentSpec) -> Step:
        async def work(now: datetime) -> None:
            data = NewComment(
                self.sections[spec.section],
                forms.stance(spec.stance).value,
                forms.comment_text(self.text(spec.body)),
                None,
            )
            made = await comments.post(
                self.database, self.who(spec.author), self.hearing_id, data, now=now
            )
            self.comments[spec.key] = made.id  # type: ignore[assignment]

        return work

    def _reply(self, key: str, parent: str, author: int, body: str) -> Step:
        async def work(now: datetime) -> None:
            data = NewComment(None, None, forms.comment_text(body), self.comments[parent])
            made = await comments.post(
                self.database, self.who(author), self.hearing_id, data, now=now
            )
            self.comments[key] = made.id  # type: ignore[assignment]

        return work

    def _endorse(self, key: str, number: int) -> Step:
        async def work(now: datetime) -> None:
            await comments.endorse(self.database, self.who(number), self.comments[key], now=now)

        return work

    def _respond(self, key: str, verdict: str, answer: str) -> Step:
        async def work(now: datetime) -> None:
            await comments.respond(
                self.database,
                self.cast.chair,
                self.comments[key],
                forms.verdict(verdict).value,
                forms.explanation_text(self.text(answer)),
                now=now,
            )

        return work

    def _plan_moderation(self) -> None:
        database = self.database

        def posted(key: str) -> datetime:
            spec = next(s for s in COMMENTS if s.key == key)
            return self.at(spec.day, spec.clock)

        key, minutes, body = EDITED
        author = next(s.author for s in COMMENTS if s.key == key)

        async def edit(now: datetime) -> None:
            text = forms.comment_text(body)
            await comments.edit(database, self.who(author), self.comments[key], text, now=now)

        self.step(posted(key) + timedelta(minutes=minutes), edit)

        gone, after = DELETED
        gone_by = next(s.author for s in COMMENTS if s.key == gone)

        async def delete(now: datetime) -> None:
            await comments.delete(database, self.who(gone_by), self.comments[gone], now=now)

        self.step(posted(gone) + timedelta(minutes=after), delete)

        flagged, flagger, day, clock, why = FLAG

        async def flag(now: datetime) -> None:
            reason = forms.reason_text(why)
            await comments.flag(
                database, self.who(flagger), self.comments[flagged], reason, now=now
            )

        self.step(self.at(day, clock), flag)

        hidden, day, clock, public_reason = HIDE

        async def hide(now: datetime) -> None:
            reason = forms.reason_text(public_reason)
            await comments.hide(database, self.cast.chair, self.comments[hidden], reason, now=now)

        self.step(self.at(day, clock), hide)

    # the call for speakers and the session -----------------------------------------------

    def _plan_speakers(self) -> None:
        database, chair, hearing = self.database, self.cast.chair, lambda: self.hearing_id
        drawing_day = self.today - timedelta(days=2)
        source = (
            f"{_day(drawing_day)}中国福利彩票“双色球”开奖号码"
            "（6 个红球号码从小到大排列，加号后为蓝球号码）"
        )
        closes = self.at(-3, "18:00")

        async def open_call(now: datetime) -> None:
            data = CallInput(SEATS, dict(QUOTAS), closes, forms.public_value(source))
            await speakers.open_call(database, chair, hearing(), data, now=now)

        self.step(self.at(-9, "09:30"), open_call)
        for (number, day, clock, stance), summary, _said in APPLICANTS:
            self.step(self.at(day, clock), self._apply(number, stance, summary))
        number, day, clock = WITHDRAWN

        async def withdraw(now: datetime) -> None:
            await speakers.withdraw(database, self.who(number), hearing(), now=now)

        self.step(self.at(day, clock), withdraw)

        async def publish(now: datetime) -> None:
            await speakers.publish_list(database, chair, hearing(), now=now)

        self.step(self.at(-2, "10:00"), publish)

        async def draw(now: datetime) -> None:
            value = forms.public_value(PUBLIC_VALUE)
            await speakers.draw(database, self.ctx, chair, hearing(), value, now=now)

        self.step(self.at(-1, "09:30"), draw)

    def _apply(self, number: int, stance: str, summary: str) -> Step:
        async def work(now: datetime) -> None:
            text = forms.application_summary(summary)
            await speakers.apply(
                self.database, self.who(number), self.hearing_id, stance, text, now=now
            )

        return work

    def _plan_session(self) -> None:
        database, chair = self.database, self.cast.chair
        starts = self.at(-1, "14:30")

        async def schedule(now: datetime) -> None:
            data = SessionInput(starts, PLACE, AGENDA)
            sitting = await sessions.schedule(database, chair, self.hearing_id, data, now=now)
            self.session_id = sitting.id  # type: ignore[assignment]

        self.step(self.at(-6, "09:00"), schedule)
        self.step(starts + timedelta(minutes=16), self._statement(DESIGNER, DESIGNER_SAYS, 10))
        self.step(starts + timedelta(minutes=34), self._statement(BUREAU, BUREAU_SAYS, 28))
        for seat in range(1, SEATS + 1):
            spoken = 40 + 9 * (seat - 1)
            self.step(starts + timedelta(minutes=spoken + 7), self._drawn_statement(seat, spoken))

        async def attendance(now: datetime) -> None:
            await sessions.set_attendance(
                database, chair, self.session_id, ATTENDANCE, ATTENDANCE_NOTE, now=now
            )

        self.step(self.at(-1, "17:40"), attendance)

        async def close(now: datetime) -> None:
            await sessions.close_record(database, self.ctx, chair, self.session_id, now=now)

        self.step(self.at(-1, "18:30"), close)

    def _statement(self, speaker: str, summary: str, minutes: int) -> Step:
        async def work(now: datetime) -> None:
            spoken = self.at(-1, "14:30") + timedelta(minutes=minutes)
            data = StatementInput(speaker, None, spoken, summary)
            await sessions.add_statement(
                self.database, self.cast.chair, self.session_id, data, now=now
            )

        return work

    def _drawn_statement(self, seat: int, minutes: int) -> Step:
        """What the speaker drawn for ``seat`` said (whoever the lottery picked)."""

        async def work(now: datetime) -> None:
            async with self.database.read() as session:
                call = await speakers.call_of(session, self.hearing_id)
                assert call is not None
                application = (
                    await session.exec(
                        select(SpeakerApplication).where(
                            SpeakerApplication.call_id == call.id,
                            SpeakerApplication.seat == seat,
                        )
                    )
                ).first()
            if application is None:  # fewer applicants than seats
                return
            number = next(
                n for n, a in self.cast.residents.items() if a.user.id == application.user_id
            )
            said = next(said for (n, *_when), _wants, said in APPLICANTS if n == number)
            spoken = self.at(-1, "14:30") + timedelta(minutes=minutes)
            data = StatementInput("", application.id, spoken, said)
            await sessions.add_statement(
                self.database, self.cast.chair, self.session_id, data, now=now
            )

        return work


def _consultation_input(
    cast: _Cast,
    today: date,
    *,
    title: str,
    summary: str,
    budget: str,
    buildings: str,
    milestones: tuple[tuple[int, str], ...],
    area_id: int | None = None,
) -> consultation_forms.ConsultationInput:
    return consultation_forms.parse_consultation(
        {
            "committee": str(cast.committee_id),
            "area": str(area_id or cast.area_id),
            "title": title,
            "summary": summary,
            "budget": budget,
            "buildings": buildings,
            "contact": CONTACT,
            "milestones": "\n".join(
                f"{(today + timedelta(days=d)).isoformat()} {label}" for d, label in milestones
            ),
        }
    )


async def _parking(database: Database, ctx: Context, cast: _Cast, today: date) -> tuple[int, int]:
    """Consultation 2, published, with a hearing that opens in a week."""
    chair = cast.chair
    data = _consultation_input(
        cast,
        today,
        title=PARKING_TITLE,
        summary=PARKING_SUMMARY,
        budget="不涉及财政资金",
        buildings="1–12 号楼全体住户及在小区内停放车辆的单位",
        milestones=(
            (-2, "公布办法草案"),
            (7, "网上听证开始"),
            (21, "网上听证截止"),
            (35, "居民议事会表决"),
            (60, "开始试行，为期一年"),
        ),
    )
    item = await consultation_services.create(database, chair, data, now=_at(today, -3, "15:00"))
    hearing = await hearing_services.create(
        database,
        chair,
        item.id,  # type: ignore[arg-type]
        HearingInput(
            title="《幸福社区停车管理办法（试行）》征求意见稿",
            opens_at=_at(today, 7, "09:00"),
            closes_at=_at(today, 21, "18:00"),
            rule_area_id=cast.area_id,
            min_age=None,
        ),
        forms.parse_draft({"body": PARKING_DRAFT}, note_required=False),
        now=_at(today, -2, "08:40"),
    )
    await consultation_services.advance(
        database,
        ctx,
        chair,
        item.id,
        "draft",
        now=_at(today, -2, "09:00"),  # type: ignore[arg-type]
    )
    return item.id, hearing.id  # type: ignore[return-value]


async def _park(database: Database, cast: _Cast, today: date) -> int:
    """Consultation 3: a draft, seen only by the committee."""
    data = _consultation_input(
        cast,
        today,
        title=PARK_TITLE,
        summary=PARK_SUMMARY,
        budget="约 85 万元（拟申请区级城市更新资金）",
        buildings="北门西侧闲置空地，约 600 平方米",
        milestones=((30, "方案公示并征求意见"), (90, "计划开工")),
    )
    item = await consultation_services.create(
        database, cast.chair, data, now=_at(today, -5, "17:00")
    )
    return item.id  # type: ignore[return-value]


async def _count(database: Database, model: type, *conditions: object) -> int:
    async with database.read() as session:
        return (
            await session.exec(select(func.count()).select_from(model).where(*conditions))
        ).one()  # type: ignore[arg-type]


async def load(
    database: Database,
    committee: Committee,
    *,
    site_url: str = "http://127.0.0.1:8000",
    now: datetime | None = None,
) -> list[str]:
    """Create the demo consultations once; report lines for ``deliberate demo``."""
    async with database.read() as session:
        existing = (
            await session.exec(select(Consultation.id).where(Consultation.title == TITLE))
        ).first()
    if existing is not None:
        return [f"consultation {existing}: 「{TITLE}」 exists; demo consultations unchanged"]
    moment = now or datetime.now(UTC)
    today = moment.astimezone(TZ).date()
    # The services use the context only for links and the outbox (no keys are needed).
    ctx = Context(keys=Keys(secrets.token_hex(32)), development=True, site_url=site_url)
    cast = await _cast(database, committee, moment, today)
    renovation = _Renovation(database, ctx, cast, today)
    await renovation.create()
    renovation.plan()
    await renovation.run()
    parking_id, parking_hearing = await _parking(database, ctx, cast, today)
    park_id = await _park(database, cast, today)

    hearing_id = renovation.hearing_id
    top = (Comment.hearing_id == hearing_id, col(Comment.parent_id).is_(None))
    total = await _count(database, Comment, *top)
    replies = await _count(
        database, Comment, Comment.hearing_id == hearing_id, col(Comment.parent_id).is_not(None)
    )
    answered = await _count(
        database, Response, col(Response.comment_id).in_(list(renovation.comments.values()))
    )
    applied = len(APPLICANTS) - 1
    return [
        f"{len(RESIDENTS)} demo residents resident-01 … resident-{len(RESIDENTS):02d}@demo.invalid,"
        " verified in 幸福社区 (passwords not printed; a third publish their names)",
        f"consultation {renovation.consultation_id}: 「{TITLE}」 (open), hearing {hearing_id} open"
        f" until {_day(today + timedelta(days=20))}: version 2, {total} comments and {replies}"
        f" replies, {answered} answered, one hidden, one deleted",
        f"hearing {hearing_id}: {SEATS} speakers drawn from {applied} applicants;"
        f" session {renovation.session_id} held yesterday, record closed",
        f"consultation {parking_id}: 「{PARKING_TITLE}」 (open), hearing {parking_hearing} opens"
        f" {_day(today + timedelta(days=7))}",
        f"consultation {park_id}: 「{PARK_TITLE}」 (draft, only the committee sees it)",
    ]
