"""Procurement projects (采购项目, Art. 9(2)–(3)) and lots (分包, Art. 5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from models import Contractor as ContractorRow
from models import District as DistrictRow
from models import PlanLine as PlanLineRow
from models import ProcurementLot as LotRow
from models import ProcurementProject as ProjectRow
from models import PurchasePlan as PlanRow
from schema import enums
from schema.base import from_row, load_children, load_one, model_type
from schema.context import Info
from schema.contractors import Contractor
from schema.geography import District
from schema.node import Historied
from schema.pagination import After, Connection, First
from schema.plans import PlanLine, PurchasePlan


@model_type(ProjectRow)
@strawberry.type(description="A procurement project (采购项目) made from approved plan lines. Public once published.")
class ProcurementProject(Historied):
    """采购项目."""

    code: str = strawberry.field(
        description="Project number, `CG-<district>-<year>-<nnn>` when generated (e.g. CG-321203-2026-001; "
        "<year> is the plan's budget year): accepted by `procurementProject(code:)` and wherever a project's "
        "global ID is. 项目编号。"
    )
    title: str = strawberry.field(description="Title. 项目名称。")
    budget: Decimal = strawberry.field(description="Budget in yuan. 预算金额（元）。")
    content: str = strawberry.field(description="Main content. 主要内容。")
    acceptance_standards: str = strawberry.field(description="Standards the contractor must meet. 承接标准。")
    goals: str = strawberry.field(description="Goals. 目标要求。")
    status: enums.ProcurementStatus = strawberry.field(description="Lifecycle state. 状态。")
    method: enums.ProcurementMethod | None = strawberry.field(description="Procurement method. 采购方式。")
    award_criteria: enums.AwardCriteria | None = strawberry.field(description="Award criteria. 评审方法。")
    invited_suppliers: JSON = strawberry.field(description="Invited suppliers (invited tender, ≥3). 邀请供应商。")
    single_source_justification: str = strawberry.field(description="Single-source justification. 单一来源理由。")
    method_approval_ref: str = strawberry.field(description="Approval for not using open tender. 审批文号。")
    published_on: dt.date | None = strawberry.field(description="Publication date. 公告日期。")
    failure_reason: str = strawberry.field(description="Why the procurement failed (流标). 流标原因。")

    @strawberry.field(description="The purchasing district. 购买主体。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="The approved plan it draws on. 所属计划。Null when hidden.")
    async def plan(self, info: Info) -> PurchasePlan | None:
        """Plan."""
        return await load_one(info, PurchasePlan, PlanRow, self.row.plan_id)

    @strawberry.field(description="Plan lines it buys. 对应计划明细。")
    async def plan_lines(self, info: Info) -> list[PlanLine]:
        """Plan lines."""
        rows = await info.context.loaders.m2m(PlanLineRow, "projects").load(self.row.pk)
        return [from_row(PlanLine, r) for r in rows]

    @strawberry.field(description="Lots (分包), each awarded on its own. 分包。")
    async def lots(self, info: Info, first: First = 20, after: After = None) -> Connection[ProcurementLot]:
        """Lots."""
        return await load_children(info, ProcurementLot, LotRow, "project_id", self.row.pk, first, after)


@model_type(LotRow)
@strawberry.type(description="A lot (分包) of a procurement project (Art. 5). 分包。")
class ProcurementLot(Historied):
    """分包."""

    number: int = strawberry.field(description="Lot number, from 1. 包号。")
    title: str = strawberry.field(description="Title. 名称。")
    budget: Decimal = strawberry.field(description="Budget in yuan. 预算（元）。")
    status: enums.LotStatus = strawberry.field(description="Open, awarded or failed. 状态。")
    award_amount: Decimal | None = strawberry.field(description="Awarded amount in yuan. 中标金额。")
    awarded_on: dt.date | None = strawberry.field(description="Award date. 成交日期。")

    @strawberry.field(description="The project. 所属项目。")
    async def project(self, info: Info) -> ProcurementProject | None:
        """Project."""
        return await load_one(info, ProcurementProject, ProjectRow, self.row.project_id)

    @strawberry.field(description="The contractor it was awarded to. 成交供应商。")
    async def awarded_contractor(self, info: Info) -> Contractor | None:
        """Awarded contractor."""
        return await load_one(info, Contractor, ContractorRow, self.row.awarded_contractor_id)
