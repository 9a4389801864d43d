"""What each catalogue item means in practice: plan units and prices, and ledger entry wording.

Used by the demo plans (quantities from budgets) and ledgers (service entries). Keyed by catalogue code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from models.enums import ServiceUnit


@dataclass(frozen=True, slots=True)
class ItemText:
    """Plan unit and indicative unit price, plan content, and how a delivered service is recorded."""

    plan_unit: str
    unit_price: Decimal
    plan_content: str
    entry_content: str
    entry_unit: ServiceUnit
    #: whether a delivered service names a beneficiary (work for the bureau itself does not)
    personal: bool = True


H, V, P = ServiceUnit.HOURS, ServiceUnit.VISITS, ServiceUnit.PERSONS

ITEM_TEXT: dict[str, ItemText] = {
    "A01": ItemText(
        "户次",
        Decimal(60),
        "对辖区困难群众开展入户走访排查，发现符合条件的潜在救助对象，及时告知政策并协助提出申请",
        "入户走访排查家庭困难情况，告知社会救助政策",
        V,
    ),
    "A02": ItemText(
        "户次",
        Decimal(150),
        "对社会救助申请家庭开展入户调查，核实家庭人口、收入、财产和生活状况，形成调查报告",
        "入户开展家境调查，核实家庭收入和财产状况",
        V,
    ),
    "A03": ItemText(
        "人次",
        Decimal(200),
        "按照特困人员生活自理能力评估标准，对申请及在册特困人员开展自理能力评估",
        "对特困人员开展生活自理能力评估",
        V,
    ),
    "A04": ItemText(
        "户次",
        Decimal(80),
        "协助开展救助申请家庭经济状况信息比对核对，整理核对报告",
        "协助完成家庭经济状况信息比对核对",
        V,
    ),
    "A05": ItemText(
        "件",
        Decimal(400),
        "为社会救助对象家庭财产状况出具公证或协助办理相关证明",
        "协助办理家庭财产状况公证材料",
        V,
    ),
    "A06": ItemText(
        "项",
        Decimal(80000),
        "对辖区社会救助工作及政府购买服务项目开展第三方绩效评价",
        "开展社会救助绩效评价资料核查和实地抽查",
        V,
        personal=False,
    ),
    "A07": ItemText(
        "项",
        Decimal(120000),
        "社会救助信息管理和家庭经济状况核对系统日常运行维护、数据治理",
        "社会救助信息系统巡检、故障处理与数据治理",
        H,
        personal=False,
    ),
    "A08": ItemText(
        "项",
        Decimal(60000),
        "围绕低保边缘和支出型贫困家庭认定开展专题研究",
        "开展课题调研座谈，收集基层意见",
        P,
        personal=False,
    ),
    "A09": ItemText(
        "条",
        Decimal(6),
        "社会救助对象档案信息采集、录入和动态更新",
        "采集、录入并更新救助对象档案信息",
        H,
    ),
    "A10": ItemText(
        "场次",
        Decimal(3000),
        "进村入户、进社区开展社会救助政策宣传，发放政策明白纸",
        "开展社会救助政策宣传活动，发放政策明白纸",
        P,
        personal=False,
    ),
    "A11": ItemText(
        "场次",
        Decimal(8000),
        "对镇（街道）、村（社区）社会救助经办人员开展业务培训",
        "组织村（社区）经办人员业务培训",
        P,
        personal=False,
    ),
    "S01": ItemText(
        "人次",
        Decimal(300),
        "组织社会救助对象参加社区活动和志愿服务，促进社会融入",
        "组织救助对象参加社区融入活动",
        P,
        personal=False,
    ),
    "S02": ItemText(
        "人次",
        Decimal(500),
        "为有劳动能力的救助对象提供就业指导和技能培训",
        "开展就业指导和技能培训",
        H,
    ),
    "S03": ItemText(
        "人次",
        Decimal(400),
        "为有需要的救助对象提供心理评估、心理疏导和情绪支持",
        "上门开展心理疏导和情绪支持",
        H,
    ),
    "S04": ItemText(
        "户次",
        Decimal(200),
        "组织志愿者、互助会成员开展结对关爱和邻里互助",
        "开展结对关爱探访",
        V,
    ),
    "S05": ItemText(
        "户次",
        Decimal(250),
        "链接慈善、医疗、教育等社会资源，为救助对象提供帮扶",
        "链接慈善资源，协助申请医疗、教育帮扶",
        V,
    ),
    "S06": ItemText(
        "小时",
        Decimal(45),
        "为分散供养特困人员提供生活照料、助餐助浴等护理服务",
        "上门提供助餐、助浴、居室清洁等照料护理",
        H,
    ),
    "S07": ItemText(
        "小时",
        Decimal(80),
        "为低保家庭中的残疾人提供上门康复训练指导",
        "上门开展肢体康复训练指导",
        H,
    ),
    "S08": ItemText(
        "次",
        Decimal(150),
        "为特殊困难的救助对象提供送医、就医陪护服务",
        "陪同就医，协助挂号、取药和办理住院手续",
        V,
    ),
    "S09": ItemText(
        "户次",
        Decimal(100),
        "对支出型贫困家庭开展定期跟踪巡访，动态掌握困难情况",
        "对支出型贫困家庭开展跟踪巡访，更新困难情况",
        V,
    ),
}

SERVICE_STANDARD = "服务人员持证上岗，服务过程留存影像及签字记录，服务对象满意度不低于90%。"
REQUIREMENTS = "承接主体应建立服务台账（第十四条），按月报送服务情况，严格保护救助对象个人信息。"
