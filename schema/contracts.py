"""Contracts (购买服务合同, Art. 9(4)) with their schedule, amendments, inspections (Art. 9(5)),
acceptances (Art. 9(6)) and payments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from models import Acceptance as AcceptanceRow
from models import CatalogueItem as CatalogueItemRow
from models import Contract as ContractRow
from models import ContractAmendment as AmendmentRow
from models import Contractor as ContractorRow
from models import District as DistrictRow
from models import Inspection as InspectionRow
from models import Ledger as LedgerRow
from models import Payment as PaymentRow
from models import PaymentInstalment as InstalmentRow
from models import ProcurementLot as LotRow
from models import ProcurementProject as ProjectRow
from models import ServiceEntry as ServiceEntryRow
from models.base import money
from models.contracts import Deadlines, deadlines_of, effective_amount, grade_for
from models.enums import AmendmentStatus
from models.timeutil import today
from policies.enforcer import allowed
from policies.principal import Principal
from policies.scope import scoped
from schema import enums
from schema.base import from_row, load_children, load_one, model_type
from schema.catalogue import CatalogueItem
from schema.context import Info
from schema.contractors import Contractor
from schema.geography import District
from schema.node import Historied
from schema.pagination import After, Before, Connection, First, Last

if TYPE_CHECKING:
    from schema.ledgers import Ledger, ServiceEntry
    from schema.procurement import ProcurementLot, ProcurementProject

LedgerType = Annotated["Ledger", strawberry.lazy("schema.ledgers")]
ServiceEntryType = Annotated["ServiceEntry", strawberry.lazy("schema.ledgers")]
ProjectType = Annotated["ProcurementProject", strawberry.lazy("schema.procurement")]
LotType = Annotated["ProcurementLot", strawberry.lazy("schema.procurement")]


@model_type(ContractRow)
@strawberry.type(description="A purchase-of-service contract (购买服务合同, Art. 9(4)).")
class Contract(Historied):
    """购买服务合同."""

    code: str = strawberry.field(
        description="Contract number, `TZ-<district>-<year>-<nnn>` when generated (e.g. TZ-321202-2024-001): "
        "accepted by `contract(code:)`, `/ledgers/<number>/…` and wherever a contract's global ID is. 合同编号。"
    )
    title: str = strawberry.field(description="Title. 合同名称。")
    scope: str = strawberry.field(description="Scope of the services. 购买服务的范围。")
    subject: str = strawberry.field(description="Subject matter. 标的。")
    quantity: str = strawberry.field(description="Quantity. 数量。")
    quality_requirements: str = strawberry.field(description="Quality requirements. 质量要求。")
    service_start: dt.date | None = strawberry.field(description="First day of the service period. 服务期开始。")
    service_end: dt.date | None = strawberry.field(description="Last day of the service period. 服务期结束。")
    term_reason: str = strawberry.field(description="Reason for a term over 1 year (rule 6). 超过1年的理由。")
    amount: Decimal = strawberry.field(description="Contract amount in yuan, exact. 合同金额（元）。")
    payment_method: str = strawberry.field(description="Payment method. 资金支付方式。")
    rights_obligations: str = strawberry.field(description="Rights and obligations. 双方权利义务。")
    breach_liability: str = strawberry.field(description="Liability for breach. 违约责任。")
    status: enums.ContractStatus = strawberry.field(description="Lifecycle state. 合同状态。")
    signed_on: dt.date | None = strawberry.field(description="Signing date. 签订日期。")
    published_on: dt.date | None = strawberry.field(description="Publication date (公示). 公示日期。")
    filed_on: dt.date | None = strawberry.field(description="Filing date with finance (备案). 备案日期。")
    terminated_on: dt.date | None = strawberry.field(description="Termination date. 终止日期。")
    termination_reason: str = strawberry.field(description="Why it was terminated. 终止理由。")

    def _deadlines(self, info: Info) -> Deadlines | None:
        """Rule 7 deadlines, for the district's own users and finance only (null for others)."""
        if not allowed(info.context.principal, "read", "contract", f"district:{self.row.district_id}"):
            return None
        return deadlines_of(self.row, today())

    @strawberry.field(
        description="Publication (公示) due date: 2 working days after signing (rule 7, Art. 9(4)). Null before "
        "signing or unless you are the district or finance. 公示期限。"
    )
    def publication_due(self, info: Info) -> dt.date | None:
        """公示 deadline."""
        d = self._deadlines(info)
        return None if d is None else d.publication_due

    @strawberry.field(
        description="Filing (备案) due date: 7 working days after signing (rule 7). Null before signing or unless "
        "you are the district or finance. 备案期限。"
    )
    def filing_due(self, info: Info) -> dt.date | None:
        """备案 deadline."""
        d = self._deadlines(info)
        return None if d is None else d.filing_due

    @strawberry.field(
        description="Published after the due date, or not yet published and the due date has passed. Flagged, "
        "never blocked. Null before signing or unless you are the district or finance. 公示逾期。"
    )
    def publication_overdue(self, info: Info) -> bool | None:
        """公示逾期."""
        d = self._deadlines(info)
        return None if d is None else d.publication_overdue

    @strawberry.field(
        description="Filed after the due date, or not yet filed and the due date has passed. Flagged, never "
        "blocked. Null before signing or unless you are the district or finance. 备案逾期。"
    )
    def filing_overdue(self, info: Info) -> bool | None:
        """备案逾期."""
        d = self._deadlines(info)
        return None if d is None else d.filing_overdue

    @strawberry.field(
        description="True when the official holiday calendar (调休) does not yet cover the deadline window, so "
        "the due dates count Monday–Friday only and may move. False before signing. 期限为暂定。"
    )
    def deadlines_provisional(self) -> bool:
        """Deadlines computed without the official calendar."""
        d = deadlines_of(self.row, today())
        return d is not None and d.provisional

    @strawberry.field(
        description="Contract amount plus its signed amendments, in yuan: the ceiling of payments (rule 8). "
        "合同金额（含已签订的变更）。"
    )
    async def effective_amount(self, info: Info) -> Decimal:
        """amount + Σ signed amount_delta."""
        deltas = await info.context.loaders.custom("signed_amendment_deltas", _signed_deltas).load(self.row.pk)
        return effective_amount(self.row.amount, deltas)

    @strawberry.field(description="Total paid so far, in yuan. Null when you may not read payments. 已支付金额。")
    async def paid_amount(self, info: Info) -> Decimal | None:
        """Σ payments."""
        principal = info.context.principal
        if not any(
            allowed(principal, "read", "payment", domain)
            for domain in (f"district:{self.row.district_id}", f"contractor:{self.row.contractor_id}")
        ):
            return None
        load = _paid_totals(principal)
        return await info.context.loaders.custom("paid_totals", load).load(self.row.pk)

    @strawberry.field(description="The purchasing district. 购买主体。")
    async def district(self, info: Info) -> District | None:
        """Purchasing district."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="The contractor. 承接主体。Null when you may not see it.")
    async def contractor(self, info: Info) -> Contractor | None:
        """Contractor."""
        return await load_one(info, Contractor, ContractorRow, self.row.contractor_id)

    @strawberry.field(description="The procurement project it came from. 采购项目。Null when you may not see it.")
    async def project(self, info: Info) -> ProjectType | None:
        """Procurement project."""
        from schema.procurement import ProcurementProject

        return await load_one(info, ProcurementProject, ProjectRow, self.row.project_id)

    @strawberry.field(description="The lot (分包) it was awarded in. 分包。")
    async def lot(self, info: Info) -> LotType | None:
        """Procurement lot."""
        from schema.procurement import ProcurementLot

        return await load_one(info, ProcurementLot, LotRow, self.row.lot_id)

    @strawberry.field(description="Catalogue items the contract buys (ledger entries must use these). 服务项目。")
    async def catalogue_items(self, info: Info) -> list[CatalogueItem]:
        """Catalogue items of the contract."""
        rows = await info.context.loaders.m2m(CatalogueItemRow, "contracts").load(self.row.pk)
        return [from_row(CatalogueItem, r) for r in rows]

    @strawberry.field(description="The contractor's service ledger (台账). Null before filing or when hidden.")
    async def ledger(self, info: Info) -> LedgerType | None:
        """Ledger of the contract."""
        from schema.ledgers import Ledger

        row = await info.context.loaders.by_field(LedgerRow, "contract_id").load(self.row.pk)
        return None if row is None else from_row(Ledger, row)

    @strawberry.field(description="Service entries of the contract's ledger, oldest first. 台账服务记录。")
    async def service_entries(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[ServiceEntryType]:
        """Service entries."""
        from schema.ledgers import ServiceEntry

        return await load_children(
            info, ServiceEntry, ServiceEntryRow, "contract_id", self.row.pk, first, after, last=last, before=before
        )

    @strawberry.field(description="Payment schedule (instalments). 付款计划。")
    async def instalments(self, info: Info, first: First = 20, after: After = None) -> Connection[PaymentInstalment]:
        """Instalments."""
        return await load_children(info, PaymentInstalment, InstalmentRow, "contract_id", self.row.pk, first, after)

    @strawberry.field(description="Amendments (合同变更), each its own record. 合同变更。")
    async def amendments(self, info: Info, first: First = 20, after: After = None) -> Connection[Amendment]:
        """Amendments."""
        return await load_children(info, Amendment, AmendmentRow, "contract_id", self.row.pk, first, after)

    @strawberry.field(description="Progress inspections (督促合同履行, Art. 9(5)). 履约检查。")
    async def inspections(self, info: Info, first: First = 20, after: After = None) -> Connection[Inspection]:
        """Inspections."""
        return await load_children(info, Inspection, InspectionRow, "contract_id", self.row.pk, first, after)

    @strawberry.field(description="Acceptances (验收, Art. 9(6)). 验收。")
    async def acceptances(self, info: Info, first: First = 20, after: After = None) -> Connection[Acceptance]:
        """Acceptances."""
        return await load_children(info, Acceptance, AcceptanceRow, "contract_id", self.row.pk, first, after)

    @strawberry.field(description="Payments made. 付款记录。")
    async def payments(self, info: Info, first: First = 20, after: After = None) -> Connection[Payment]:
        """Payments."""
        return await load_children(info, Payment, PaymentRow, "contract_id", self.row.pk, first, after)


async def _signed_deltas(keys: list[int]) -> list[list[Decimal]]:
    """Signed amendment deltas per contract (the parent contract is visible; its amount is part of it)."""
    rows = await AmendmentRow.filter(contract_id__in=list(keys), status=AmendmentStatus.SIGNED).values_list(
        "contract_id", "amount_delta"
    )
    out: dict[int, list[Decimal]] = {}
    for contract_id, delta in rows:
        out.setdefault(contract_id, []).append(Decimal(delta))
    return [out.get(k, []) for k in keys]


def _paid_totals(principal: Principal) -> Callable[[list[int]], Awaitable[list[Decimal]]]:
    """Loader body: the caller's visible payments summed per contract, exactly (Decimal)."""

    async def load(keys: list[int]) -> list[Decimal]:
        payments = scoped(principal, PaymentRow).filter(contract_id__in=list(keys))
        totals: dict[int, Decimal] = {}
        for contract_id, amount in await payments.values_list("contract_id", "amount"):
            totals[contract_id] = totals.get(contract_id, Decimal("0.00")) + Decimal(amount)
        return [money(totals.get(k, Decimal("0.00"))) for k in keys]

    return load


@strawberry.type
class _OfContract:
    """Mixin: the contract a child row belongs to."""

    row: strawberry.Private[Any]

    @strawberry.field(description="The contract. 所属合同。")
    async def contract(self, info: Info) -> Contract | None:
        """Parent contract."""
        return await load_one(info, Contract, ContractRow, self.row.contract_id)  # type: ignore[attr-defined]


@model_type(InstalmentRow)
@strawberry.type(description="One instalment of the payment schedule. 付款分期。")
class PaymentInstalment(Historied, _OfContract):
    """Instalment."""

    sequence: int = strawberry.field(description="Order in the schedule, from 1. 期次。")
    amount: Decimal = strawberry.field(description="Amount in yuan. 金额（元）。")
    trigger: enums.PaymentTrigger = strawberry.field(description="What it is tied to. 支付节点。")
    condition: str = strawberry.field(description="Due condition. 支付条件。")
    is_final: bool = strawberry.field(description="The final payment (needs an accepted acceptance, rule 8).")


@model_type(AmendmentRow)
@strawberry.type(description="A contract amendment: reason, what changed, signing date. 合同变更。")
class Amendment(Historied, _OfContract):
    """Amendment."""

    reason: str = strawberry.field(description="Why. 变更理由。")
    changes: JSON = strawberry.field(description="Changed fields: {field: {before, after}}. 变更内容。")
    amount_delta: Decimal = strawberry.field(description="Change of the contract amount in yuan. 金额变化。")
    status: enums.AmendmentStatus = strawberry.field(description="Draft or signed. 状态。")
    signed_on: dt.date | None = strawberry.field(description="Signing date. 签订日期。")


@model_type(InspectionRow)
@strawberry.type(description="A progress inspection (督促合同履行, Art. 9(5)). 履约检查。")
class Inspection(Historied, _OfContract):
    """Inspection."""

    inspected_on: dt.date = strawberry.field(description="Date. 检查日期。")
    inspector: str = strawberry.field(description="Inspector. 检查人。")
    findings: str = strawberry.field(description="Findings. 检查情况。")
    progress_percent: int = strawberry.field(description="Progress, 0–100. 进度（%）。")
    rectification_required: bool = strawberry.field(description="Rectification required. 需整改。")
    rectification_due: dt.date | None = strawberry.field(description="Rectification due date. 整改期限。")


@model_type(AcceptanceRow)
@strawberry.type(description="An acceptance (验收, Art. 9(6)): result, score and grade. Public once published.")
class Acceptance(Historied, _OfContract):
    """Acceptance."""

    accepted_on: dt.date = strawberry.field(description="Date. 验收日期。")
    panel: str = strawberry.field(description="Panel members. 验收小组。")
    result: enums.AcceptanceResult = strawberry.field(description="Pass or fail. 验收结论。")
    score: Decimal = strawberry.field(description="Performance score 0–100. 绩效评分。")
    findings: str = strawberry.field(description="Findings. 验收意见。")
    report_sent_on: dt.date | None = strawberry.field(description="Report sent to finance. 报送财政日期。")
    published_on: dt.date | None = strawberry.field(description="Publication date. 公开日期。")

    @strawberry.field(description="Grade from the score: 优 ≥90, 良 80–89, 中 60–79, 差 <60. 等次。")
    def grade(self) -> str:
        """优/良/中/差."""
        return grade_for(self.row.score)


@model_type(PaymentRow)
@strawberry.type(description="A payment to the contractor (rule 8). 付款。")
class Payment(Historied, _OfContract):
    """Payment."""

    amount: Decimal = strawberry.field(description="Amount in yuan. 金额（元）。")
    paid_on: dt.date = strawberry.field(description="Date paid. 支付日期。")
    trigger: enums.PaymentTrigger = strawberry.field(description="What it is tied to. 支付节点。")
    is_final: bool = strawberry.field(description="Final payment. 尾款。")

    @strawberry.field(description="The scheduled instalment it pays. 对应分期。")
    async def instalment(self, info: Info) -> PaymentInstalment | None:
        """Instalment."""
        return await load_one(info, PaymentInstalment, InstalmentRow, self.row.instalment_id)
