"""Dashboards (DOMAIN.md §6): aggregates for chart front ends, each within what the caller may read.

``dashboard { money(filter: …) { rows { … } series { key label points { key label value } } } }``: every
panel gives series of ``{key, label, value}`` points a chart library takes as they are (value is a ``Decimal``
for money and quantities, an ``Int`` for counts), plus typed rows where a table helps. The numbers come from
``models.dashboards`` over ``policies.scope.scoped`` querysets: a district sees itself, finance and the city
see every district, a contractor its own contracts; a panel the caller may not read comes back empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models import dashboards as agg
from models.enums import AssistanceCategory as CategoryValue
from models.enums import ContractStatus as StatusValue
from models.timeutil import today
from policies.principal import Principal
from policies.scope import district_wide, scoped
from schema.context import Info
from schema.filters import BUDGET_YEARS, check_year, date_range, district_code, pk_of
from schema.mutation_support import may_in_district
from schema.relay import encode_id

M = TypeVar("M", bound=Model)
P = TypeVar("P")


@strawberry.input(description="Conditions of a dashboard panel, combined with AND. 看板筛选条件。")
class DashboardFilter:
    """Dashboard filter."""

    year: int | None = strawberry.field(
        default=None,
        description="Budget year (the annual plan a contract draws on) for money, contracts, performance and "
        "concentration; calendar year for services and training; for staffing, the year whose 31 December is "
        "evaluated (today for the current year). 年度。",
    )
    district: str | None = strawberry.field(default=None, description="District code, e.g. 321202. 区代码。")
    catalogue_item: strawberry.ID | None = strawberry.field(
        default=None,
        description="Catalogue item global ID: plan lines of the item, contracts covering it and their payments, "
        "acceptances and inspections, service entries of the item (staffing ignores it). 目录项目。",
    )
    date_from: dt.date | None = strawberry.field(
        default=None,
        description="On or after (each panel's own date: signing for money and contracts, payment date for paid "
        "money, service date, acceptance/inspection date). 起始日期。",
    )
    date_to: dt.date | None = strawberry.field(
        default=None,
        description="On or before (the same dates; for staffing, the date evaluated). 截止日期。",
    )


def _filter(value: DashboardFilter | None) -> agg.DashboardFilter:
    if value is None:
        return agg.DashboardFilter()
    check_year(value.year, BUDGET_YEARS)
    date_range("date", value.date_from, value.date_to)
    return agg.DashboardFilter(
        year=value.year,
        district=district_code(value.district).get("district_id"),
        catalogue_item=pk_of(value.catalogue_item, "CatalogueItem"),
        date_from=value.date_from,
        date_to=value.date_to,
    )


FilterArg = Annotated[
    DashboardFilter | None, strawberry.argument(description="Conditions, combined with AND. 筛选条件。")
]


def _asks_for(info: Info, name: str) -> bool:
    """True when the current field's selection (fragments included) names the sub-field ``name``."""

    def walk(selections: Iterable[Any]) -> bool:
        return any(getattr(s, "name", None) == name or walk(getattr(s, "selections", ())) for s in selections)

    return walk(info.selected_fields[0].selections)


class _PrincipalScope:
    """``agg.Scope`` for one principal: its readable rows (``policies.scope``)."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    def __call__(self, model: type[M]) -> QuerySet[M]:
        return scoped(self.principal, model)

    def district_wide(self, model: type[Model]) -> bool:
        return district_wide(self.principal, model)


def _scope(principal: Principal) -> agg.Scope:
    return _PrincipalScope(principal)


# --- Chart shapes ----------------------------------------------------------------------------------------------


@strawberry.type(description="One point of a chart series with a decimal value (money in yuan, quantities). 数据点。")
class DecimalPoint:
    """{key, label, value} with a Decimal value."""

    key: str = strawberry.field(description="Stable key (district code, YYYY-MM, global ID …). 键。")
    label: str = strawberry.field(description="Display label in Chinese. 标签。")
    value: Decimal = strawberry.field(description="The value, exact (2 places). 数值。")


@strawberry.type(description="One point of a chart series with a count. 数据点（计数）。")
class CountPoint:
    """{key, label, value} with an Int value."""

    key: str = strawberry.field(description="Stable key (state, district code …). 键。")
    label: str = strawberry.field(description="Display label in Chinese. 标签。")
    value: int = strawberry.field(description="The count. 数量。")


@strawberry.type(description="A named series of decimal points (one line or bar group of a chart). 数据系列。")
class DecimalSeries:
    """A series of DecimalPoint."""

    key: str = strawberry.field(description="Stable key of the measure. 指标键。")
    label: str = strawberry.field(description="Display label of the measure. 指标名称。")
    points: list[DecimalPoint] = strawberry.field(description="The points, in the panel's order. 数据点。")


@strawberry.type(description="A named series of count points. 数据系列（计数）。")
class CountSeries:
    """A series of CountPoint."""

    key: str = strawberry.field(description="Stable key of the measure. 指标键。")
    label: str = strawberry.field(description="Display label of the measure. 指标名称。")
    points: list[CountPoint] = strawberry.field(description="The points, in the panel's order. 数据点。")


def _points(
    point: Callable[..., P],
    items: Iterable[Any],
    key: Callable[[Any], str],
    label: Callable[[Any], str],
    value: Callable[[Any], Any],
) -> list[P]:
    return [point(key=key(i), label=label(i), value=value(i)) for i in items]


# --- Money (第十一条, 第十二条) -----------------------------------------------------------------------------------


@strawberry.type(
    description="One district's money in one budget year: the Art. 11 funding floor against planned, approved, "
    "contracted and paid. 区年度资金情况。"
)
class DistrictMoney:
    """Money of one district and year."""

    data: strawberry.Private[agg.DistrictMoney]
    district_name: str = strawberry.field(description="District name. 区名称。")

    @strawberry.field(description="`<district code>:<year>`. 键。")
    def key(self) -> str:
        """Key."""
        return f"{self.data.district_code}:{self.data.year}"

    @strawberry.field(description="`<district name> <year>年`. 标签。")
    def label(self) -> str:
        """Label."""
        return f"{self.district_name} {self.data.year}年"

    @strawberry.field(description="District code. 区代码。")
    def district_code(self) -> str:
        """District code."""
        return self.data.district_code

    @strawberry.field(description="Budget year. 年度。")
    def year(self) -> int:
        """Year."""
        return self.data.year

    @strawberry.field(
        description="Funding floor (第十一条): 2% of last year's 低保 + 临时救助 funds, in yuan. Null when you "
        "cannot see the plan. 资金下限。"
    )
    def floor(self) -> Decimal | None:
        """Floor."""
        return self.data.floor

    @strawberry.field(
        description="Planned: the plan lines' budgets (only the catalogue item's lines when filtered by one); null "
        "when you cannot see the plan. 计划金额。"
    )
    def planned(self) -> Decimal | None:
        """Planned."""
        return self.data.planned

    @strawberry.field(description="The whole plan's total, on which floor compliance is judged. 计划总额。")
    def plan_total(self) -> Decimal | None:
        """Plan total."""
        return self.data.plan_total

    @strawberry.field(description="Budget approved by finance; null until the plan is approved. 财政审核预算。")
    def approved(self) -> Decimal | None:
        """Approved."""
        return self.data.approved

    @strawberry.field(
        description="Contracted: signed, not terminated contracts of the year's plan, amounts plus signed "
        "amendments. 已签合同金额（含变更）。"
    )
    def contracted(self) -> Decimal:
        """Contracted."""
        return self.data.contracted

    @strawberry.field(description="Paid on the year's contracts (payments in the date range). 已支付金额。")
    def paid(self) -> Decimal:
        """Paid."""
        return self.data.paid

    @strawberry.field(
        description="What the district finance must top up to reach the floor; null without a plan. 缺口。"
    )
    def shortfall(self) -> Decimal | None:
        """Shortfall."""
        funding = self.data.funding
        return None if funding is None else funding.shortfall

    @strawberry.field(
        description="True when the plan total reaches the floor (rule 1); null without a plan. 是否达标。"
    )
    def floor_compliant(self) -> bool | None:
        """Compliant."""
        funding = self.data.funding
        return None if funding is None else funding.compliant


MONEY_MEASURES: tuple[tuple[str, str, Callable[[DistrictMoney], Decimal | None]], ...] = (
    ("floor", "资金下限", lambda r: r.floor()),
    ("planned", "计划金额", lambda r: r.planned()),
    ("approved", "财政审核预算", lambda r: r.approved()),
    ("contracted", "已签合同金额", lambda r: r.contracted()),
    ("paid", "已支付金额", lambda r: r.paid()),
    ("shortfall", "下限缺口", lambda r: r.shortfall()),
)


@strawberry.type(description="Money per district and budget year (Art. 11, 12). 资金看板。")
class MoneyDashboard:
    """Money panel."""

    rows: list[DistrictMoney] = strawberry.field(description="One row per district and year, by year then district.")

    @strawberry.field(
        description="One series per measure (floor, planned, approved, contracted, paid, shortfall), points keyed "
        "`<district>:<year>`; a point is left out where the measure is unknown (no visible plan). 数据系列。"
    )
    def series(self) -> list[DecimalSeries]:
        """Series."""
        out = []
        for key, label, measure in MONEY_MEASURES:
            points = [
                DecimalPoint(key=r.key(), label=r.label(), value=v) for r in self.rows if (v := measure(r)) is not None
            ]
            out.append(DecimalSeries(key=key, label=label, points=points))
        return out

    @strawberry.field(description="Rows whose plan reaches the floor, and those short of it. 达标情况。")
    def floor_compliance(self) -> list[CountPoint]:
        """Compliance counts."""
        flags = [r.floor_compliant() for r in self.rows]
        return [
            CountPoint(key="compliant", label="达标", value=sum(1 for f in flags if f is True)),
            CountPoint(key="short", label="未达标", value=sum(1 for f in flags if f is False)),
        ]


# --- Contracts by state, rule 7 ----------------------------------------------------------------------------------


@strawberry.type(description="Rule 7 flags: disclosure late or past due (never blocking). 逾期情况。")
class OverdueFigures:
    """Overdue counts."""

    publication: int = strawberry.field(description="Signed contracts published (公示) late or past due. 公示逾期。")
    filing: int = strawberry.field(description="Signed contracts filed (备案) late or past due. 备案逾期。")
    either: int = strawberry.field(description="Signed contracts with either flag. 公示或备案逾期。")
    acceptance_unpublished: int = strawberry.field(
        description="Acceptances whose result is not yet published (Art. 9(6)). 验收结果未公开。"
    )


@strawberry.type(description="Contracts by state and the rule-7 disclosure flags (Art. 9(4), 13). 合同看板。")
class ContractDashboard:
    """Contracts panel."""

    by_state: list[CountPoint] = strawberry.field(
        description="Contracts per state, every state in lifecycle order (zeros included). 各状态合同数。"
    )
    by_district: list[CountPoint] = strawberry.field(description="Contracts per district. 各区合同数。")
    overdue: OverdueFigures | None = strawberry.field(
        description="Rule 7 flags as of today; null unless you are a district user, finance or the city bureau "
        "(the deadlines are theirs to watch). 逾期统计。"
    )
    overdue_by_district: list[CountSeries] = strawberry.field(
        description="Series `publication`, `filing`, `acceptanceUnpublished` per district (empty when `overdue` "
        "is null). 各区逾期数。"
    )


# --- Services (第十四条) --------------------------------------------------------------------------------------------


@strawberry.type(description="Services delivered in total. 服务总量。")
class ServiceTotals:
    """Totals of the service panel."""

    entries: int = strawberry.field(
        description="Service entries net of corrections (a reversal counts −1). 服务记录数。"
    )
    hours: Decimal = strawberry.field(description="Hours delivered (entries in hours). 服务时长（小时）。")
    visits: Decimal = strawberry.field(description="Visits delivered (entries in visits). 服务次数。")
    persons: Decimal = strawberry.field(description="Persons served (entries counted in persons). 服务人次。")
    beneficiaries: int = strawberry.field(
        description="Distinct beneficiaries of the entries that stand (a count, never who). 服务对象人数。"
    )


@strawberry.type(description="Services broken down by one dimension, one series per measure. 服务分布。")
class ServiceBreakdown:
    """Series per measure over one dimension."""

    groups: strawberry.Private[list[agg.ServiceFigures]]

    @strawberry.field(description="Entries net of corrections per group. 服务记录数。")
    def entries(self) -> list[CountPoint]:
        """Entries."""
        return _points(CountPoint, self.groups, lambda g: g.key, lambda g: g.label, lambda g: g.entries)

    @strawberry.field(description="Hours per group. 服务时长（小时）。")
    def hours(self) -> list[DecimalPoint]:
        """Hours."""
        return _points(DecimalPoint, self.groups, lambda g: g.key, lambda g: g.label, lambda g: g.hours)

    @strawberry.field(description="Visits per group. 服务次数。")
    def visits(self) -> list[DecimalPoint]:
        """Visits."""
        return _points(DecimalPoint, self.groups, lambda g: g.key, lambda g: g.label, lambda g: g.visits)

    @strawberry.field(description="Persons served per group. 服务人次。")
    def persons(self) -> list[DecimalPoint]:
        """Persons."""
        return _points(DecimalPoint, self.groups, lambda g: g.key, lambda g: g.label, lambda g: g.persons)

    @strawberry.field(description="Distinct beneficiaries per group (counts only). 服务对象人数。")
    def beneficiaries(self) -> list[CountPoint]:
        """Beneficiaries."""
        return _points(CountPoint, self.groups, lambda g: g.key, lambda g: g.label, lambda g: g.beneficiaries)


@strawberry.type(
    description="Services delivered from the ledgers (Art. 14): each breakdown is computed only when asked for, "
    "from monthly summaries kept in step with every ledger write (district and city readers) or from the entries "
    "themselves (a contractor's own). Corrections are netted (a reversal carries the negated quantity, an "
    "amendment the corrected one). Distinct beneficiaries are counted once per group however often served. "
    "服务看板。"
)
class ServiceDashboard:
    """Services panel."""

    scope: strawberry.Private[agg.Scope]
    conditions: strawberry.Private[agg.DashboardFilter]

    async def _by(self, info: Info, by: agg.ServiceDimension) -> ServiceBreakdown:
        people = _asks_for(info, "beneficiaries")
        return ServiceBreakdown(groups=await agg.services(self.scope, self.conditions, by, people=people))

    @strawberry.field(description="Totals over the filtered entries. 合计。")
    async def totals(self, info: Info) -> ServiceTotals:
        """Totals."""
        rows = await agg.services(self.scope, self.conditions, None, people=_asks_for(info, "beneficiaries"))
        t = rows[0] if rows else agg.ServiceFigures("total", "合计")
        return ServiceTotals(
            entries=t.entries, hours=t.hours, visits=t.visits, persons=t.persons, beneficiaries=t.beneficiaries
        )

    @strawberry.field(description="Per month of the service date, keys `YYYY-MM`, oldest first. 按月。")
    async def by_month(self, info: Info) -> ServiceBreakdown:
        """By month."""
        return await self._by(info, agg.ServiceDimension.MONTH)

    @strawberry.field(description="Per township, keys the 9-digit township codes. 按乡镇（街道）。")
    async def by_township(self, info: Info) -> ServiceBreakdown:
        """By township."""
        return await self._by(info, agg.ServiceDimension.TOWNSHIP)

    @strawberry.field(description="Per catalogue item, keys the item's global ID, by item code. 按目录项目。")
    async def by_catalogue_item(self, info: Info) -> ServiceBreakdown:
        """By catalogue item."""
        result = await self._by(info, agg.ServiceDimension.CATALOGUE_ITEM)
        for g in result.groups:
            g.key = encode_id("CatalogueItem", g.key)
        return result

    @strawberry.field(
        description="Per assistance category of the beneficiary (keys DIBAO, TEKUN, TEMPORARY, MARGINAL, in that "
        "order). 按救助类别。"
    )
    async def by_assistance_category(self, info: Info) -> ServiceBreakdown:
        """By category."""
        result = await self._by(info, agg.ServiceDimension.ASSISTANCE_CATEGORY)
        for g in result.groups:
            g.key = CategoryValue(g.key).name
        return result


# --- Contractor performance -------------------------------------------------------------------------------------


@strawberry.type(description="One contractor's acceptances and inspections (Art. 9(5), 9(6)). 承接主体履约表现。")
class ContractorPerformance:
    """Performance of one contractor."""

    data: strawberry.Private[agg.ContractorPerformance]

    @strawberry.field(description="The contractor's global ID. 键。")
    def key(self) -> str:
        """Key."""
        return encode_id("Contractor", self.data.contractor_id)

    @strawberry.field(description="The contractor's name. 名称。")
    def label(self) -> str:
        """Label."""
        return self.data.name

    @strawberry.field(description="Acceptances held. 验收次数。")
    def acceptances(self) -> int:
        """Acceptances."""
        return self.data.acceptances

    @strawberry.field(description="Acceptances passed. 验收通过次数。")
    def passed(self) -> int:
        """Passed."""
        return self.data.passed

    @strawberry.field(description="Acceptances failed (验收未通过). 验收未通过次数。")
    def failed(self) -> int:
        """Failed."""
        return self.data.failed

    @strawberry.field(description="Mean acceptance score, 2 places; null without acceptances. 平均绩效评分。")
    def average_score(self) -> Decimal | None:
        """Mean score."""
        return self.data.average_score

    @strawberry.field(description="Acceptances per grade: 优 ≥90, 良 80–89, 中 60–79, 差 <60. 各等次次数。")
    def grades(self) -> list[CountPoint]:
        """Grades."""
        return [CountPoint(key=g, label=g, value=n) for g, n in self.data.grades.items()]

    @strawberry.field(description="Progress inspections (督促履约检查). 检查次数。")
    def inspections(self) -> int:
        """Inspections."""
        return self.data.inspections

    @strawberry.field(description="Inspections that required rectification. 要求整改次数。")
    def rectifications(self) -> int:
        """Rectifications."""
        return self.data.rectifications


@strawberry.type(description="Contractor performance (Art. 9(5)-(6), 13). 承接主体绩效看板。")
class PerformanceDashboard:
    """Performance panel."""

    contractors: list[ContractorPerformance] = strawberry.field(description="One row per contractor, by name.")

    @strawberry.field(description="Mean acceptance score per contractor (those with acceptances). 平均评分。")
    def average_score(self) -> list[DecimalPoint]:
        """Scores."""
        return [
            DecimalPoint(key=c.key(), label=c.label(), value=s)
            for c in self.contractors
            if (s := c.average_score()) is not None
        ]

    @strawberry.field(description="Failed acceptances per contractor. 验收未通过次数。")
    def failed(self) -> list[CountPoint]:
        """Failures."""
        return [CountPoint(key=c.key(), label=c.label(), value=c.failed()) for c in self.contractors]

    @strawberry.field(description="Inspections requiring rectification per contractor. 整改次数。")
    def rectifications(self) -> list[CountPoint]:
        """Rectifications."""
        return [CountPoint(key=c.key(), label=c.label(), value=c.rectifications()) for c in self.contractors]

    @strawberry.field(description="Acceptances per grade over all contractors (优, 良, 中, 差). 等次分布。")
    def grades(self) -> list[CountPoint]:
        """Grade distribution."""
        totals = {g: 0 for g, _, _ in agg.GRADES}
        for c in self.contractors:
            for g, n in c.data.grades.items():
                totals[g] += n
        return [CountPoint(key=g, label=g, value=n) for g, n in totals.items()]


# --- Staffing and training ---------------------------------------------------------------------------------------


@strawberry.type(
    description="Staffing (rule 10, Art. 16) and training (Art. 19) for chart front ends; the per-township table "
    "with its flags is `staffingCompliance`. 人员配备与培训看板。"
)
class StaffingDashboard:
    """Staffing panel."""

    data: strawberry.Private[agg.Staffing]
    on: dt.date = strawberry.field(description="The date evaluated. 统计日期。")
    training_year: int = strawberry.field(description="Calendar year of the training figures. 培训统计年度。")

    def _districts(self, value: Callable[[Any], int]) -> list[CountPoint]:
        return [
            CountPoint(key=d.district_code, label=self.data.names.get(d.district_code, d.district_code), value=value(d))
            for d in self.data.districts
        ]

    @strawberry.field(description="Staff required per district (3 or 4 per township by population). 应配人数。")
    def required(self) -> list[CountPoint]:
        """Required."""
        return self._districts(lambda d: sum(t.required for t in d.townships))

    @strawberry.field(description="Active own + dispatched staff per district on the date. 实配人数。")
    def actual(self) -> list[CountPoint]:
        """Actual."""
        return self._districts(lambda d: sum(t.actual for t in d.townships))

    @strawberry.field(description="Staff missing per district (sum over its townships). 缺额。")
    def shortfall(self) -> list[CountPoint]:
        """Shortfall."""
        return self._districts(lambda d: d.shortfall)

    @strawberry.field(description="Townships meeting the floor per district. 达标乡镇（街道）数。")
    def compliant_townships(self) -> list[CountPoint]:
        """Compliant townships."""
        return self._districts(lambda d: len(d.townships) - d.short)

    @strawberry.field(description="Townships below the floor per district. 未达标乡镇（街道）数。")
    def short_townships(self) -> list[CountPoint]:
        """Short townships."""
        return self._districts(lambda d: d.short)

    @strawberry.field(
        description="Staff missing per township below the floor (compliant townships left out), keys township "
        "codes. 各乡镇（街道）缺额。"
    )
    def township_shortfall(self) -> list[CountPoint]:
        """Township shortfalls."""
        names = self.data.township_names
        return [
            CountPoint(key=t.township_code, label=names.get(t.township_code, t.township_code), value=t.shortfall)
            for d in self.data.districts
            for t in d.townships
            if t.shortfall
        ]

    @strawberry.field(description="Training person-hours per district in the training year. 参训学时（人·学时）。")
    def training_hours(self) -> list[DecimalPoint]:
        """Training hours."""
        return [
            DecimalPoint(key=code, label=self.data.names.get(code, code), value=hours)
            for code, (hours, _) in sorted(self.data.training.items())
        ]

    @strawberry.field(description="Distinct staff trained per district in the training year. 参训人数。")
    def trained_staff(self) -> list[CountPoint]:
        """People trained."""
        return [
            CountPoint(key=code, label=self.data.names.get(code, code), value=people)
            for code, (_, people) in sorted(self.data.training.items())
        ]


# --- Concentration (第五条, 第七条) ---------------------------------------------------------------------------------


@strawberry.type(description="One contractor's part of the contract value. 承接主体份额。")
class ContractorShare:
    """A share."""

    key: str = strawberry.field(description="The contractor's global ID. 键。")
    label: str = strawberry.field(description="The contractor's name. 名称。")
    value: Decimal = strawberry.field(description="Contract value in yuan (amounts plus signed amendments). 合同金额。")
    share: Decimal = strawberry.field(description="Share of the total, 0–1 with 4 places. 份额。")


def _shares(shares: list[agg.Share]) -> list[ContractorShare]:
    return [
        ContractorShare(key=encode_id("Contractor", s.contractor_id), label=s.name, value=s.value, share=s.share)
        for s in shares
    ]


@strawberry.type(description="Concentration within one district. 区内集中度。")
class DistrictConcentration:
    """One district's market."""

    key: str = strawberry.field(description="District code. 区代码。")
    label: str = strawberry.field(description="District name. 区名称。")
    total: Decimal = strawberry.field(description="Contract value in yuan. 合同总额。")
    hhi: int = strawberry.field(description="Herfindahl–Hirschman index, 0–10,000. 赫芬达尔指数。")
    shares: list[ContractorShare] = strawberry.field(description="Shares, largest first. 各承接主体份额。")


@strawberry.type(
    description="How concentrated purchasing is: share of contract value per contractor (Art. 5, 7 ask for "
    "several providers on equal terms), counting signed, not terminated contracts. 集中度看板。"
)
class ConcentrationDashboard:
    """Concentration panel."""

    total: Decimal = strawberry.field(description="Contract value in yuan. 合同总额。")
    hhi: int = strawberry.field(
        description="Herfindahl–Hirschman index over all contracts in view, 0–10,000 (above 2,500: highly "
        "concentrated). 赫芬达尔指数。"
    )
    shares: list[ContractorShare] = strawberry.field(description="Shares, largest first. 各承接主体份额。")
    by_district: list[DistrictConcentration] = strawberry.field(description="Per district, by code. 各区集中度。")

    @strawberry.field(description="HHI per district. 各区赫芬达尔指数。")
    def hhi_by_district(self) -> list[CountPoint]:
        """HHI series."""
        return [CountPoint(key=d.key, label=d.label, value=d.hhi) for d in self.by_district]


# --- The panels ---------------------------------------------------------------------------------------------------


def _flag_districts(principal: Principal, codes: Iterable[str], obj: str) -> list[str]:
    """Districts in which ``principal`` reads ``obj`` as a district role (policies decide)."""
    return [code for code in codes if may_in_district(principal, "read", obj, code)]


@strawberry.type(description="Dashboard panels, each within what you may see. 数据看板。")
class Dashboard:
    """The panels; each takes its own filter and costs a fixed number of SQL statements."""

    @strawberry.field(description="Money per district and budget year against the funding floor (Art. 11). 资金。")
    async def money(self, info: Info, filter: FilterArg = None) -> MoneyDashboard:
        """Money."""
        scope = _scope(info.context.principal)
        conditions = _filter(filter)
        rows = await agg.money_by_district_year(scope, conditions)
        names = await agg.district_names(scope)
        return MoneyDashboard(
            rows=[DistrictMoney(data=r, district_name=names.get(r.district_code, r.district_code)) for r in rows]
        )

    @strawberry.field(description="Contracts by state; overdue publications and filings (rule 7). 合同。")
    async def contracts(self, info: Info, filter: FilterArg = None) -> ContractDashboard:
        """Contracts."""
        principal = info.context.principal
        scope = _scope(principal)
        conditions = _filter(filter)
        names = await agg.district_names(scope)
        flagged = set(_flag_districts(principal, names, "contract"))
        rows = await agg.contracts_by_district(scope, conditions, today(), flags_for=flagged)
        states = {s: sum(r.by_state[s] for r in rows) for s in StatusValue}
        watched = [r for r in rows if r.district_code in flagged]
        overdue = None
        series: list[CountSeries] = []
        if flagged:
            overdue = OverdueFigures(
                publication=sum(r.publication_overdue for r in watched),
                filing=sum(r.filing_overdue for r in watched),
                either=sum(r.overdue for r in watched),
                acceptance_unpublished=sum(r.acceptance_unpublished for r in watched),
            )
            for key, label, value in (
                ("publication", "公示逾期", lambda r: r.publication_overdue),
                ("filing", "备案逾期", lambda r: r.filing_overdue),
                ("acceptanceUnpublished", "验收结果未公开", lambda r: r.acceptance_unpublished),
            ):
                series.append(
                    CountSeries(
                        key=key,
                        label=label,
                        points=_points(
                            CountPoint,
                            watched,
                            lambda r: r.district_code,
                            lambda r: names.get(r.district_code, r.district_code),
                            value,
                        ),
                    )
                )
        return ContractDashboard(
            by_state=[CountPoint(key=s.name, label=agg.STATE_LABELS[s], value=n) for s, n in states.items()],
            by_district=[
                CountPoint(
                    key=r.district_code,
                    label=names.get(r.district_code, r.district_code),
                    value=sum(r.by_state.values()),
                )
                for r in rows
            ],
            overdue=overdue,
            overdue_by_district=series,
        )

    @strawberry.field(description="Services delivered (Art. 14), from the ledgers you may read. 服务。")
    def services(self, info: Info, filter: FilterArg = None) -> ServiceDashboard:
        """Services."""
        return ServiceDashboard(scope=_scope(info.context.principal), conditions=_filter(filter))

    @strawberry.field(description="Contractor performance: scores, grades, failures, rectifications. 绩效。")
    async def performance(self, info: Info, filter: FilterArg = None) -> PerformanceDashboard:
        """Performance."""
        rows = await agg.performance(_scope(info.context.principal), _filter(filter))
        return PerformanceDashboard(contractors=[ContractorPerformance(data=r) for r in rows])

    @strawberry.field(
        description="Staffing compliance per district and township (rule 10) and training hours (Art. 19), for "
        "the districts whose staffing you may read. 人员配备与培训。"
    )
    async def staffing(self, info: Info, filter: FilterArg = None) -> StaffingDashboard:
        """Staffing."""
        principal = info.context.principal
        conditions = _filter(filter)
        now = today()
        on = conditions.date_to or (
            dt.date(conditions.year, 12, 31) if conditions.year is not None and conditions.year < now.year else now
        )
        year = conditions.year or on.year
        scope = _scope(principal)
        codes = sorted(await agg.district_names(scope))
        if conditions.district is not None:
            codes = [c for c in codes if c == conditions.district]
        data = await agg.staffing(
            scope,
            _flag_districts(principal, codes, "staffing"),
            _flag_districts(principal, codes, "training"),
            on,
            year,
        )
        return StaffingDashboard(data=data, on=on, training_year=year)

    @strawberry.field(description="Share of contract value per contractor, and the HHI (Art. 5, 7). 集中度。")
    async def concentration(self, info: Info, filter: FilterArg = None) -> ConcentrationDashboard:
        """Concentration."""
        scope = _scope(info.context.principal)
        result = await agg.concentration(scope, _filter(filter))
        names = await agg.district_names(scope)
        return ConcentrationDashboard(
            total=result.total,
            hhi=result.hhi,
            shares=_shares(result.shares),
            by_district=[
                DistrictConcentration(
                    key=code,
                    label=names.get(code, code),
                    total=total,
                    hhi=agg.hhi(s.value for s in shares),
                    shares=_shares(shares),
                )
                for code, (total, shares) in result.by_district.items()
            ],
        )


@strawberry.type(description="Dashboards. 数据看板。")
class DashboardQuery:
    """Root field for the dashboards; merged into ``Query``."""

    @strawberry.field(
        description="Aggregates for dashboard front ends (DOMAIN.md §6), each panel within what you may see. 数据看板。"
    )
    def dashboard(self) -> Dashboard:
        """The panels."""
        return Dashboard()
