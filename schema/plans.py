"""Annual purchase plans (年度购买计划, Art. 9(1)) with the Art. 11 funding floor."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader

from models import CatalogueItem as CatalogueItemRow
from models import District as DistrictRow
from models import PlanLine as PlanLineRow
from models import PurchasePlan as PlanRow
from models.codes import plan_code
from models.plans import FundingStatus, planned_of
from policies.scope import scoped
from schema import enums
from schema.base import load_children, load_one, model_type
from schema.catalogue import CatalogueItem
from schema.context import Info
from schema.geography import District
from schema.node import Historied
from schema.pagination import After, Connection, First


@strawberry.type(description="The Art. 11 funding floor against the plan. 经费保障（第十一条）。")
class FundingFloor:
    """Floor, planned, shortfall, compliant (rule 1) — over every line of the plan, however many."""

    floor: Decimal = strawberry.field(description="2% of last year's 低保 + 临时救助 funds, yuan. 最低标准。")
    planned: Decimal = strawberry.field(description="Sum of the budgets of all the plan's lines, yuan. 计划金额。")
    shortfall: Decimal = strawberry.field(
        description="Floor minus planned when positive, else 0: the top-up the "
        "district finance must arrange (Art. 11 ¶2). 差额。"
    )
    compliant: bool = strawberry.field(description="True when planned ≥ floor. 是否达标。")
    approved: Decimal | None = strawberry.field(
        description="Budget approved by finance, yuan; null until approved. 审核预算。"
    )
    approved_shortfall: Decimal | None = strawberry.field(
        description="Floor minus the approved budget when positive, else 0; null until approved. 审核后差额。"
    )


def _planned_totals(info: Info) -> DataLoader[int, Decimal]:
    """Planned total per plan: every visible line's budget, one statement for all plans of the request."""
    principal = info.context.principal

    async def load(keys: Sequence[int]) -> list[Decimal]:
        rows = await scoped(principal, PlanLineRow).filter(plan_id__in=list(keys)).values_list("plan_id", "budget")
        budgets: dict[int, list[Decimal]] = defaultdict(list)
        for plan_id, budget in rows:
            budgets[plan_id].append(budget)
        return [planned_of(budgets.get(k, [])) for k in keys]

    return info.context.loaders.custom("plan_planned_total", load)


@model_type(PlanRow)
@strawberry.type(description="A district's annual purchase plan (年度购买社会救助服务项目预算计划, Art. 9(1)).")
class PurchasePlan(Historied):
    """年度购买计划."""

    year: int = strawberry.field(description="Budget year. 年度。")
    status: enums.PlanStatus = strawberry.field(description="Lifecycle state. 状态。")
    prev_year_dibao_funds: Decimal = strawberry.field(description="Previous year's 低保资金, yuan. 上年度低保资金。")
    prev_year_temporary_funds: Decimal = strawberry.field(
        description="Previous year's 临时救助资金, yuan. 上年度临时救助资金。"
    )
    approved_budget: Decimal | None = strawberry.field(description="Budget approved by finance, yuan. 审核预算。")
    submitted_at: dt.datetime | None = strawberry.field(description="When submitted to finance. 报送时间。")
    decided_at: dt.datetime | None = strawberry.field(description="When finance approved or returned it.")
    finance_comment: str = strawberry.field(description="Finance's comment on return or approval. 财政意见。")

    @strawberry.field(
        description="Plan code `JH-<district>-<year>` (e.g. JH-321202-2024; a district has one plan a year): "
        "accepted by `purchasePlan(code:)` and wherever a plan's global ID is. 计划编号。"
    )
    def code(self) -> str:
        """Derived from district and year."""
        return plan_code(self.row.district_id, self.row.year)

    @strawberry.field(description="The purchasing district. 购买主体。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="Plan lines. 计划明细。")
    async def lines(self, info: Info, first: First = 20, after: After = None) -> Connection[PlanLine]:
        """Lines."""
        return await load_children(info, PlanLine, PlanLineRow, "plan_id", self.row.pk, first, after)

    @strawberry.field(description="Funding floor (Art. 11) against the planned total. 经费保障。")
    async def funding(self, info: Info) -> FundingFloor:
        """Rule 1 over all the plan's lines (not only a first page)."""
        status = FundingStatus(self.row.floor, await _planned_totals(info).load(self.row.pk))
        approved = self.row.approved_budget
        return FundingFloor(
            floor=status.floor,
            planned=status.planned,
            shortfall=status.shortfall,
            compliant=status.compliant,
            approved=approved,
            approved_shortfall=None if approved is None else FundingStatus(status.floor, approved).shortfall,
        )


@model_type(PlanLineRow)
@strawberry.type(description="One catalogue item bought in a plan (rule 2). 计划明细。")
class PlanLine(Historied):
    """Plan line."""

    content: str = strawberry.field(description="Service content. 服务内容。")
    service_standard: str = strawberry.field(description="Service standard. 服务标准。")
    requirements: str = strawberry.field(description="Requirements. 相关要求。")
    quantity: Decimal = strawberry.field(description="Quantity. 数量。")
    unit: str = strawberry.field(description="Unit. 单位。")
    budget: Decimal = strawberry.field(description="Budget in yuan. 预算金额（元）。")
    funding_source: enums.FundingSource = strawberry.field(description="Funding source (Art. 11). 资金来源。")

    @strawberry.field(description="The plan. 所属计划。")
    async def plan(self, info: Info) -> PurchasePlan | None:
        """Plan."""
        return await load_one(info, PurchasePlan, PlanRow, self.row.plan_id)

    @strawberry.field(description="Catalogue item bought. 目录项目。")
    async def catalogue_item(self, info: Info) -> CatalogueItem | None:
        """Catalogue item."""
        return await load_one(info, CatalogueItem, CatalogueItemRow, self.row.catalogue_item_id)
