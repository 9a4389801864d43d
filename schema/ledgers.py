"""Service ledgers (台账, Art. 14) and beneficiaries (救助对象, with masking per DOMAIN.md §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from models import Beneficiary as BeneficiaryRow
from models import CatalogueItem as CatalogueItemRow
from models import Contract as ContractRow
from models import Contractor as ContractorRow
from models import District as DistrictRow
from models import FundEntry as FundEntryRow
from models import Ledger as LedgerRow
from models import ServiceEntry as ServiceEntryRow
from models import Township as TownshipRow
from models.identifiers import mask_id_number, mask_phone
from policies.enforcer import allowed
from schema import enums
from schema.base import load_children, load_one, model_type
from schema.catalogue import CatalogueItem
from schema.context import Info
from schema.contractors import Contractor
from schema.contracts import Contract
from schema.geography import District, Township
from schema.node import Node
from schema.pagination import After, Connection, First


def _sees_pii(info: Info, district_id: str) -> bool:
    """Only the implementing agency of the beneficiary's district reads ID and phone in clear (§5)."""
    return allowed(info.context.principal, "read_pii", "beneficiary", f"district:{district_id}")


@model_type(BeneficiaryRow)
@strawberry.type(
    description="A beneficiary (救助对象). Sensitive: ID and phone are masked for every role except the "
    "implementing agency of the beneficiary's district."
)
class Beneficiary(Node):
    """救助对象."""

    name: str = strawberry.field(description="Name. 姓名。")
    assistance_category: enums.AssistanceCategory = strawberry.field(description="Assistance category. 救助类别。")

    @strawberry.field(
        description="Resident ID number (GB 11643), masked like 3212**********123X unless you are "
        "the district's implementing agency. 身份证号。"
    )
    def id_number(self, info: Info) -> str:
        """ID number, masked per §5."""
        value: str = self.row.id_number
        return value if _sees_pii(info, self.row.district_id) else mask_id_number(value)

    @strawberry.field(description="Phone, masked like 139****5678 unless you are the district's agency. 电话。")
    def phone(self, info: Info) -> str | None:
        """Phone, masked per §5."""
        value: str | None = self.row.phone
        return value if _sees_pii(info, self.row.district_id) else mask_phone(value)

    @strawberry.field(description="District. 所属区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="Township. 所属乡镇。")
    async def township(self, info: Info) -> Township | None:
        """Township."""
        return await load_one(info, Township, TownshipRow, self.row.township_id)


@strawberry.type
class _LedgerRow:
    """Mixin: contract, contractor and district of a ledger row."""

    row: strawberry.Private[Any]

    @strawberry.field(description="The contract. 所属合同。")
    async def contract(self, info: Info) -> Contract | None:
        """Contract."""
        return await load_one(info, Contract, ContractRow, self.row.contract_id)  # type: ignore[attr-defined]

    @strawberry.field(description="The contractor keeping the ledger. 承接主体。")
    async def contractor(self, info: Info) -> Contractor | None:
        """Contractor."""
        return await load_one(info, Contractor, ContractorRow, self.row.contractor_id)  # type: ignore[attr-defined]

    @strawberry.field(description="The purchasing district. 所属区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)  # type: ignore[attr-defined]


@model_type(LedgerRow)
@strawberry.type(description="A contractor's service ledger (台账, Art. 14), one per contract.")
class Ledger(Node, _LedgerRow):
    """台账."""

    version: int = strawberry.field(description="Increases with every submission (optimistic concurrency). 版本。")

    @strawberry.field(description="Service entries, oldest first (full history incl. corrections). 服务记录。")
    async def service_entries(self, info: Info, first: First = 20, after: After = None) -> Connection[ServiceEntry]:
        """Service entries."""
        return await load_children(info, ServiceEntry, ServiceEntryRow, "ledger_id", self.row.pk, first, after)

    @strawberry.field(description="Fund entries, oldest first. 资金记录。")
    async def fund_entries(self, info: Info, first: First = 20, after: After = None) -> Connection[FundEntry]:
        """Fund entries."""
        return await load_children(info, FundEntry, FundEntryRow, "ledger_id", self.row.pk, first, after)


@model_type(ServiceEntryRow)
@strawberry.type(description="A service delivered, recorded in the ledger. Never edited: corrections are new entries.")
class ServiceEntry(Node, _LedgerRow):
    """台账服务记录."""

    service_date: dt.date = strawberry.field(description="Date of service. 服务日期。")
    assistance_category: enums.AssistanceCategory = strawberry.field(description="Beneficiary's category. 救助类别。")
    content: str = strawberry.field(description="What was done. 服务内容。")
    quantity: Decimal = strawberry.field(description="Quantity in `unit`. 数量。")
    unit: enums.ServiceUnit = strawberry.field(description="Unit: hours, visits, persons. 单位。")
    staff: str = strawberry.field(description="Staff who served. 服务人员。")
    outcome: str = strawberry.field(description="Outcome. 服务成效。")
    satisfaction: int | None = strawberry.field(description="Satisfaction 1–5. 满意度。")
    evidence_refs: JSON = strawberry.field(description="Evidence references (list). 佐证材料。")
    kind: enums.EntryKind = strawberry.field(description="Original, reversal or amendment. 记录类型。")
    correction_reason: str = strawberry.field(description="Why this corrects an earlier entry. 更正理由。")
    submitted_at: dt.datetime = strawberry.field(description="When it was submitted. 提交时间。")

    @strawberry.field(description="The beneficiary served (masked per your role). Null when hidden. 服务对象。")
    async def beneficiary(self, info: Info) -> Beneficiary | None:
        """Beneficiary."""
        return await load_one(info, Beneficiary, BeneficiaryRow, self.row.beneficiary_id)

    @strawberry.field(description="Catalogue item delivered. 服务项目。")
    async def catalogue_item(self, info: Info) -> CatalogueItem | None:
        """Catalogue item."""
        return await load_one(info, CatalogueItem, CatalogueItemRow, self.row.catalogue_item_id)

    @strawberry.field(description="Township where it was delivered. 服务乡镇。")
    async def township(self, info: Info) -> Township | None:
        """Township."""
        return await load_one(info, Township, TownshipRow, self.row.township_id)

    @strawberry.field(description="The entry this one corrects (reversal/amendment). 被更正的记录。")
    async def corrects(self, info: Info) -> ServiceEntry | None:
        """Corrected entry."""
        return await load_one(info, ServiceEntry, ServiceEntryRow, self.row.corrects_id)


@model_type(FundEntryRow)
@strawberry.type(description="A fund movement in the ledger. 台账资金记录。")
class FundEntry(Node, _LedgerRow):
    """台账资金记录."""

    entry_date: dt.date = strawberry.field(description="Date. 日期。")
    amount: Decimal = strawberry.field(description="Amount in yuan. 金额（元）。")
    direction: enums.FundDirection = strawberry.field(description="Received or spent. 收/支。")
    purpose: str = strawberry.field(description="Purpose. 用途。")
    voucher_number: str = strawberry.field(description="Voucher number. 凭证号。")
    kind: enums.EntryKind = strawberry.field(description="Original, reversal or amendment. 记录类型。")
    correction_reason: str = strawberry.field(description="Why this corrects an earlier entry. 更正理由。")
    submitted_at: dt.datetime = strawberry.field(description="When it was submitted. 提交时间。")

    @strawberry.field(description="The entry this one corrects. 被更正的记录。")
    async def corrects(self, info: Info) -> FundEntry | None:
        """Corrected entry."""
        return await load_one(info, FundEntry, FundEntryRow, self.row.corrects_id)
