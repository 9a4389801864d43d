"""Demo contractors (承接主体, Art. 5) with their Art. 6 eligibility records.

Eight are eligible; three are not, each for a different Art. 6 reason: one on the abnormal-operations
list, one with a major violation within three years, one with a condition nobody has attested.
The credit codes are fixed (``demo_accounts.csv`` names contractors by them) and valid per
GB 32100-2015: ``stdnum.cn.uscc`` computed the check characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from models.contractors import Contractor, ContractorViolation, EligibilityAttestation
from models.enums import ContractorKind, CreditStatus, EligibilityCondition
from models.identifiers import validate_uscc
from seeds.upsert import ensure

C = EligibilityCondition


@dataclass(frozen=True, slots=True)
class Violation:
    """A recorded violation of a demo contractor."""

    occurred_on: dt.date
    description: str
    is_major: bool


@dataclass(frozen=True, slots=True)
class ContractorSpec:
    """One demo contractor; ``slug`` names its clerk account (``<slug>_clerk``)."""

    slug: str
    name: str
    credit_code: str
    kind: ContractorKind
    registration_authority: str
    contact_person: str
    contact_phone: str
    address: str
    credit_status: CreditStatus = CreditStatus.GOOD
    on_abnormal_list: bool = False
    unattested: frozenset[EligibilityCondition] = frozenset()
    violations: tuple[Violation, ...] = field(default_factory=tuple)
    attested_on: dt.date = dt.date(2024, 1, 12)


SO = ContractorKind.SOCIAL_ORGANISATION
PI = ContractorKind.PUBLIC_INSTITUTION
EN = ContractorKind.ENTERPRISE

CONTRACTORS: tuple[ContractorSpec, ...] = (
    ContractorSpec(
        "xinyuan",
        "泰州市心缘社会工作服务中心",
        "52321200MJ5083166C",
        SO,
        "泰州市民政局",
        "沈雅琴",
        "0523-86236518",
        "泰州市海陵区青年南路118号",
    ),
    ContractorSpec(
        "anhe",
        "海陵区安和社会工作服务社",
        "52321202MJ5120473G",
        SO,
        "海陵区民政局",
        "陆文斌",
        "0523-86590327",
        "泰州市海陵区鼓楼南路66号",
    ),
    ContractorSpec(
        "mingde",
        "兴化市明德社会工作服务中心",
        "52321281MJ4937254C",
        SO,
        "兴化市民政局",
        "顾晓红",
        "0523-83241876",
        "兴化市昭阳街道英武北路25号",
    ),
    ContractorSpec(
        "yangguang",
        "靖江市阳光社会工作服务中心",
        "52321282MJ52618071",
        SO,
        "靖江市民政局",
        "刘德华",
        "0523-84812639",
        "靖江市靖城街道人民南路87号",
        attested_on=dt.date(2024, 1, 16),
    ),
    ContractorSpec(
        "zhongshan",
        "泰兴市众善社会工作服务中心",
        "52321283MJ537764X2",
        SO,
        "泰兴市民政局",
        "丁雪梅",
        "0523-87651204",
        "泰兴市济川街道国庆东路203号",
        attested_on=dt.date(2024, 1, 18),
    ),
    ContractorSpec(
        "mzfw",
        "海陵区民政事务服务中心",
        "1232120246617052XQ",
        PI,
        "海陵区事业单位登记管理局",
        "钱国平",
        "0523-86881025",
        "泰州市海陵区东进东路9号",
    ),
    ContractorSpec(
        "ankang",
        "江苏安康护理服务有限公司",
        "91321200MA1MB7Q382",
        EN,
        "泰州市市场监督管理局",
        "周海涛",
        "0523-86053371",
        "泰州市医药高新区药城大道1号",
        violations=(
            Violation(dt.date(2023, 6, 12), "未按期报送2022年度企业年度报告，已于当月补报并移出经营异常名录。", False),
        ),
    ),
    ContractorSpec(
        "kangning",
        "姜堰区康宁居家养老服务有限公司",
        "91321204MA1NE26K3C",
        EN,
        "泰州市姜堰区市场监督管理局",
        "缪建新",
        "0523-88271450",
        "泰州市姜堰区三水街道人民中路58号",
    ),
    # --- not eligible (Art. 6) ---
    ContractorSpec(
        "huimin",
        "泰州市惠民家政服务有限公司",
        "91321202MA1P4H8T83",
        EN,
        "泰州市海陵区市场监督管理局",
        "吴立军",
        "0523-86120948",
        "泰州市海陵区春晖路31号",
        credit_status=CreditStatus.WARNING,
        on_abnormal_list=True,
    ),
    ContractorSpec(
        "tongxin",
        "高港区同心社会工作服务社",
        "52321203MJ5185920F",
        SO,
        "泰州市高港区民政局",
        "季红霞",
        "0523-86931672",
        "泰州市高港区口岸街道通江路12号",
        violations=(
            Violation(
                dt.date(2025, 3, 18),
                "虚报服务人次、套取政府购买服务资金，被泰州市高港区民政局行政处罚（泰高民罚决字〔2025〕3号）。",
                True,
            ),
        ),
    ),
    ContractorSpec(
        "qihang",
        "泰州市启航社会工作服务中心",
        "52321200MJ54190376",
        SO,
        "泰州市民政局",
        "徐志伟",
        "0523-86367725",
        "泰州市医药高新区寺巷街道口泰路201号",
        unattested=frozenset({C.CAPACITY}),
        attested_on=dt.date(2026, 9, 8),
    ),
)

BY_SLUG = {spec.slug: spec for spec in CONTRACTORS}

#: What the evidence of each Art. 6 condition is, for the attestation record.
EVIDENCE = {
    C.LEGALLY_ESTABLISHED: "法人登记证书（统一社会信用代码{code}）",
    C.GOVERNANCE: "章程、理事会（董事会）决议及内部监督制度汇编",
    C.FINANCIAL_MANAGEMENT: "财务管理制度及{year}年度财务审计报告",
    C.CAPACITY: "专职社工花名册、职业资格证书及服务场地租赁合同",
    C.TAX_AND_SOCIAL_SECURITY: "{year}年度完税证明及社会保险缴费记录",
    C.CLEAN_RECORD: "“信用中国”及国家企业信用信息公示系统查询记录（{date}）",
    C.SEPARATION: "与行政机关无隶属关系、人财物独立承诺书",
    C.OTHER_CONDITIONS: "购买主体资格审查表（{date}）",
}


async def load_contractors() -> dict[str, Contractor]:
    """Create the demo contractors with their attestations and violations; returns them by slug."""
    result: dict[str, Contractor] = {}
    for spec in CONTRACTORS:
        code = validate_uscc(spec.credit_code)
        contractor, created = await ensure(
            Contractor,
            {"credit_code": code},
            {
                "name": spec.name,
                "kind": spec.kind,
                "registration_authority": spec.registration_authority,
                "contact_person": spec.contact_person,
                "contact_phone": spec.contact_phone,
                "address": spec.address,
                "credit_status": spec.credit_status,
                "on_abnormal_list": spec.on_abnormal_list,
            },
        )
        result[spec.slug] = contractor
        if not created:
            continue
        await EligibilityAttestation.bulk_create(
            [
                EligibilityAttestation(
                    contractor=contractor,
                    condition=condition,
                    attested=condition not in spec.unattested,
                    evidence_ref=""
                    if condition in spec.unattested
                    else EVIDENCE[condition].format(
                        code=code, year=spec.attested_on.year - 1, date=spec.attested_on.isoformat()
                    ),
                    attested_on=None if condition in spec.unattested else spec.attested_on,
                )
                for condition in EligibilityCondition
            ]
        )
        for violation in spec.violations:
            await ContractorViolation.create(
                contractor=contractor,
                occurred_on=violation.occurred_on,
                description=violation.description,
                is_major=violation.is_major,
            )
    return result
