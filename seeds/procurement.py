"""Demo procurement projects (Art. 9(2)–(3)) made from approved plans, with their lots (分包, Art. 5).

``PROJECTS`` says, per approved plan, which projects it was split into, how each was procured, and
for every lot who won it and where the resulting contract now stands. A plan's lines are dealt to its
projects in turn; a project's lots divide the district's townships into contiguous areas. Every
method of rule 5 and every procurement state appears; only eligible contractors win.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from models.codes import project_code
from models.contractors import Contractor
from models.enums import AwardCriteria, ContractStatus, LotStatus, ProcurementMethod, ProcurementStatus
from models.geography import Township
from models.plans import PlanLine, PurchasePlan
from models.procurement import ProcurementLot, ProcurementProject
from seeds.contractors import BY_SLUG
from seeds.helpers import rng_for, workday_on_or_after
from seeds.reference import OPEN_TENDER_THRESHOLD
from seeds.upsert import ensure

CS = ContractStatus
PS = ProcurementStatus
M = ProcurementMethod
QW, LP = AwardCriteria.QUALITY_WEIGHTED, AwardCriteria.LOWEST_PRICE

CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class LotSpec:
    """Who won a lot and the state of its contract; ``late`` is ``"publish"`` or ``"file"`` for overdue disclosure."""

    contractor: str | None = None
    contract: ContractStatus | None = None
    late: str = ""


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """One procurement project of a plan."""

    status: ProcurementStatus
    method: ProcurementMethod
    criteria: AwardCriteria
    lots: tuple[LotSpec, ...]
    published_on: dt.date | None = None  # None: a default date early in the plan year


def P(
    status: ProcurementStatus,
    method: ProcurementMethod,
    criteria: AwardCriteria,
    *lots: LotSpec,
    published_on: dt.date | None = None,
) -> ProjectSpec:
    """Shorthand for a :class:`ProjectSpec`."""
    return ProjectSpec(status, method, criteria, lots or (LotSpec(),), published_on)


def L(contractor: str, contract: ContractStatus, late: str = "") -> LotSpec:
    """Shorthand for an awarded :class:`LotSpec`."""
    return LotSpec(contractor, contract, late)


AW = PS.AWARDED
PROJECTS: dict[tuple[str, int], tuple[ProjectSpec, ...]] = {
    # 2024: everything delivered; 高新区's contract was terminated.
    ("321202", 2024): (P(AW, M.COMPETITIVE_CONSULTATION, QW, L("anhe", CS.CLOSED), L("xinyuan", CS.CLOSED)),),
    ("321203", 2024): (P(AW, M.COMPETITIVE_NEGOTIATION, LP, L("ankang", CS.CLOSED, "publish")),),
    ("321204", 2024): (P(AW, M.COMPETITIVE_CONSULTATION, QW, L("kangning", CS.CLOSED)),),
    ("321271", 2024): (P(AW, M.SELF_ORGANISED, LP, L("ankang", CS.TERMINATED)),),
    ("321281", 2024): (P(AW, M.OPEN_TENDER, QW, L("mingde", CS.CLOSED), L("xinyuan", CS.CLOSED)),),
    ("321282", 2024): (P(AW, M.INVITED_TENDER, QW, L("yangguang", CS.ACCEPTED)),),
    ("321283", 2024): (P(AW, M.COMPETITIVE_CONSULTATION, QW, L("zhongshan", CS.CLOSED)),),
    # 2025: accepted, closed, failed acceptance; two late-year contracts still running.
    ("321202", 2025): (
        P(AW, M.COMPETITIVE_CONSULTATION, QW, L("anhe", CS.ACCEPTED), L("xinyuan", CS.CLOSED)),
        P(AW, M.SINGLE_SOURCE, QW, L("mzfw", CS.CLOSED)),
        P(PS.FAILED, M.COMPETITIVE_NEGOTIATION, LP),
    ),
    ("321203", 2025): (
        P(AW, M.COMPETITIVE_CONSULTATION, QW, L("xinyuan", CS.ACCEPTANCE_FAILED)),
        P(AW, M.COMPETITIVE_NEGOTIATION, LP, L("ankang", CS.IN_PERFORMANCE), published_on=dt.date(2025, 10, 13)),
    ),
    ("321204", 2025): (
        P(AW, M.COMPETITIVE_CONSULTATION, QW, L("kangning", CS.ACCEPTED)),
        P(AW, M.COMPETITIVE_NEGOTIATION, LP, L("xinyuan", CS.IN_PERFORMANCE), published_on=dt.date(2025, 10, 13)),
    ),
    ("321271", 2025): (P(AW, M.SELF_ORGANISED, LP, L("xinyuan", CS.CLOSED)),),
    ("321281", 2025): (
        P(AW, M.OPEN_TENDER, QW, L("mingde", CS.ACCEPTED), L("xinyuan", CS.ACCEPTED), L("ankang", CS.CLOSED)),
    ),
    ("321282", 2025): (P(AW, M.INVITED_TENDER, QW, L("yangguang", CS.CLOSED)),),
    ("321283", 2025): (
        P(AW, M.COMPETITIVE_CONSULTATION, QW, L("zhongshan", CS.CLOSED, "file"), L("ankang", CS.ACCEPTANCE_FAILED)),
    ),
    # 2026: only the approved plans buy; the year's contracts are in their early states.
    ("321202", 2026): (
        P(
            AW,
            M.COMPETITIVE_CONSULTATION,
            QW,
            L("anhe", CS.IN_PERFORMANCE),
            L("xinyuan", CS.IN_PERFORMANCE, "publish"),
            published_on=dt.date(2026, 3, 2),
        ),
        P(PS.PREPARING, M.COMPETITIVE_CONSULTATION, QW),
    ),
    ("321204", 2026): (
        P(AW, M.COMPETITIVE_CONSULTATION, QW, L("kangning", CS.FILED), published_on=dt.date(2026, 10, 9)),
        P(PS.PUBLISHED, M.COMPETITIVE_CONSULTATION, QW, LotSpec(), LotSpec(), published_on=dt.date(2026, 11, 16)),
        P(AW, M.SINGLE_SOURCE, QW, L("xinyuan", CS.PUBLISHED), published_on=dt.date(2026, 10, 12)),
    ),
    ("321281", 2026): (
        P(
            AW,
            M.COMPETITIVE_CONSULTATION,
            QW,
            L("mingde", CS.IN_PERFORMANCE),
            L("xinyuan", CS.IN_PERFORMANCE),
            published_on=dt.date(2026, 3, 9),
        ),
        P(
            AW,
            M.COMPETITIVE_NEGOTIATION,
            LP,
            L("ankang", CS.SIGNED),
            L("xinyuan", CS.DRAFT),
            published_on=dt.date(2026, 10, 26),
        ),
    ),
}

#: Default publication dates: mid-February, a few days apart by district and project.
YEAR_START = {2024: dt.date(2024, 2, 19), 2025: dt.date(2025, 2, 17), 2026: dt.date(2026, 3, 2)}
DISTRICT_ORDER = ("321202", "321203", "321204", "321271", "321281", "321282", "321283")

SINGLE_SOURCE_REASON = (
    "该项目为上一年度服务的延续，需沿用原承接主体已建立的救助对象档案和服务台账，更换承接主体将导致服务中断"
    "并增加个人信息泄露风险；经专家论证并公示5个工作日无异议，采用单一来源方式采购。"
)
ACCEPTANCE_STANDARDS = "按合同约定的服务数量、质量要求和服务台账进行终期验收，绩效评分60分以上为合格。"
GOALS = "提升基层社会救助经办服务能力，救助对象应救尽救、按时足额，服务对象满意度达到90%以上。"
FAILURE_REASON = "提交响应文件的供应商不足三家，依法终止采购活动（流标），拟调整采购需求后重新组织采购。"


@dataclass(slots=True)
class LotRecord:
    """A lot as built, with what its contract needs."""

    lot: ProcurementLot
    spec: LotSpec
    project: ProcurementProject
    plan: PurchasePlan
    lines: list[PlanLine]
    townships: list[Township]
    lot_count: int


def published_on(code: str, year: int, index: int, spec: ProjectSpec) -> dt.date:
    """When project ``index`` of plan (code, year) was published."""
    if spec.published_on is not None:
        return spec.published_on
    offset = 2 * DISTRICT_ORDER.index(code) + 7 * index
    return workday_on_or_after(YEAR_START[year] + dt.timedelta(days=offset))


def awarded_on(published: dt.date) -> dt.date:
    """Award ~3 weeks after publication (the bid-response period)."""
    return workday_on_or_after(published + dt.timedelta(days=20))


def split_townships(townships: list[Township], parts: int, number: int) -> list[Township]:
    """The ``number``-th (from 1) of ``parts`` contiguous shares of ``townships``."""
    size, extra = divmod(len(townships), parts)
    start = (number - 1) * size + min(number - 1, extra)
    return townships[start : start + size + (1 if number <= extra else 0)]


def split_amount(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` shares rounded to 100 yuan, the last taking the remainder."""
    share = (total / parts / 100).quantize(Decimal(1)) * 100
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def _title(short: str, year: int, lines: list[PlanLine], names: dict[int, str]) -> str:
    first = names[lines[0].catalogue_item_id]
    more = f"等{len(lines)}项" if len(lines) > 1 else ""
    return f"{short}{year}年度{first}{more}社会救助服务项目"


def _lot_title(townships: list[Township], parts: int, number: int, whole: str) -> str:
    if parts == 1:
        return f"第一包：{whole}全域"
    area = f"{townships[0].name}等{len(townships)}个镇（街道）" if len(townships) > 1 else townships[0].name
    return f"第{CHINESE_NUMERALS[number - 1]}包：{area}"


async def load_procurement(
    plans: dict[tuple[str, int], tuple[PurchasePlan, list[PlanLine]]],
    contractors: dict[str, Contractor],
    short_names: dict[str, str],
    item_names: dict[int, str],
) -> list[LotRecord]:
    """Create the missing projects and lots; returns every lot that has (or will have) a contract."""
    records: list[LotRecord] = []
    for (code, year), specs in PROJECTS.items():
        plan, plan_lines = plans[(code, year)]
        townships = await Township.filter(district_id=code).order_by("code")
        for index, spec in enumerate(specs):
            lines = plan_lines[index :: len(specs)]
            budget = sum((line.budget for line in lines), Decimal("0.00"))
            published = published_on(code, year, index, spec)
            suppliers = []
            if spec.method == M.INVITED_TENDER:
                winner = spec.lots[0].contractor or "xinyuan"
                suppliers = [BY_SLUG[s].name for s in dict.fromkeys([winner, "xinyuan", "zhongshan", "mingde"])][:3]
            number = project_code(code, year, index + 1)
            legacy = f"{code}-{year}-CG{index + 1:02d}"  # the demo set's numbers before they followed the generator
            if not await ProcurementProject.exists(code=number):
                await ProcurementProject.filter(code=legacy).update(code=number)
            project, created = await ensure(
                ProcurementProject,
                {"code": number},
                {
                    "district_id": code,
                    "plan": plan,
                    "title": _title(short_names[code], year, lines, item_names),
                    "budget": budget,
                    "content": "；".join(line.content for line in lines),
                    "acceptance_standards": ACCEPTANCE_STANDARDS,
                    "goals": GOALS,
                    "status": spec.status,
                    "method": spec.method,
                    "award_criteria": spec.criteria,
                    "invited_suppliers": suppliers,
                    "single_source_justification": SINGLE_SOURCE_REASON if spec.method == M.SINGLE_SOURCE else "",
                    "method_approval_ref": f"泰财购〔{year}〕{int(code[-2:])}号"
                    if budget >= OPEN_TENDER_THRESHOLD and spec.method != M.OPEN_TENDER
                    else "",
                    "published_on": None if spec.status == PS.PREPARING else published,
                    "failure_reason": FAILURE_REASON if spec.status == PS.FAILED else "",
                },
            )
            if created:
                await project.plan_lines.add(*lines)
            lot_budgets = split_amount(budget, len(spec.lots))
            for number, (lot_spec, lot_budget) in enumerate(zip(spec.lots, lot_budgets, strict=True), start=1):
                area = split_townships(townships, len(spec.lots), number)
                won = lot_spec.contractor is not None
                rng = rng_for("award", code, year, index, number)
                amount = (lot_budget * Decimal(str(round(rng.uniform(0.93, 0.99), 3))) / 100).quantize(Decimal(1)) * 100
                lot, _ = await ensure(
                    ProcurementLot,
                    {"project": project, "number": number},
                    {
                        "district_id": code,
                        "title": _lot_title(area, len(spec.lots), number, short_names[code]),
                        "budget": lot_budget,
                        "status": LotStatus.AWARDED
                        if won
                        else (LotStatus.FAILED if spec.status == PS.FAILED else LotStatus.OPEN),
                        "awarded_contractor": contractors[lot_spec.contractor] if won else None,
                        "award_amount": amount.quantize(Decimal("0.01")) if won else None,
                        "awarded_on": awarded_on(published) if won else None,
                    },
                )
                if won:
                    records.append(LotRecord(lot, lot_spec, project, plan, lines, area, len(spec.lots)))
    return records
