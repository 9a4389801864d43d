"""Service ledgers (台账, Art. 14) and beneficiaries (救助对象, with masking per DOMAIN.md §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from tortoise.expressions import Subquery

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
from models.ledgers import CURRENT_WHERE, OPEN_STATES, LedgerFigures, ledger_figures
from policies.enforcer import allowed
from policies.principal import Principal
from policies.scope import scoped
from schema import enums
from schema.base import from_row, load_children, load_one, model_type
from schema.catalogue import CatalogueItem
from schema.context import Info
from schema.contractors import Contractor
from schema.contracts import Contract
from schema.errors import ClientError
from schema.filters import district_code, pk_of
from schema.geography import District, Township
from schema.node import Historied
from schema.pagination import After, Before, Connection, First, Last, paginate


def sees_pii(principal: Principal, district_id: str) -> bool:
    """Only the implementing agency of the beneficiary's district reads ID and phone in clear (§5).

    The one test of who reads personal numbers in clear: the API fields below and the ledger exports
    (``api/ledger_files.py``) both ask it.
    """
    return allowed(principal, "read_pii", "beneficiary", f"district:{district_id}")


def _sees_pii(info: Info, district_id: str) -> bool:
    return sees_pii(info.context.principal, district_id)


@strawberry.enum(description="Which entries of a ledger to list. 台账视图。")
class LedgerView(Enum):
    """Current view or full history (entries are append-only: corrections are new entries)."""

    CURRENT = strawberry.enum_value(
        "current",
        description="What stands now: originals and amendments that no later entry reverses or amends. 当前有效记录。",
    )
    HISTORY = strawberry.enum_value(
        "history",
        description="Every entry ever submitted, corrections and reversals included, oldest first. 全部历史记录。",
    )


ViewArg = Annotated[
    LedgerView,
    strawberry.argument(description="CURRENT (what stands now) or HISTORY (every entry; the default). 视图。"),
]


def _view_where(view: LedgerView) -> tuple[tuple[str, Any], ...]:
    return CURRENT_WHERE if view == LedgerView.CURRENT else ()


async def _figures(info: Info, contract_id: int) -> LedgerFigures:
    """Ledger figures of a contract the caller may see, batched for the request (one set of grouped statements).

    Aggregates are counted over every entry of the contract, whoever may read the entries: they name no one,
    and they are what finance and the public may see (§5). The contract itself went through the scope.
    """

    async def load(keys: list[int]) -> list[LedgerFigures]:
        found = await ledger_figures(keys)
        return [found[k] for k in keys]

    return await info.context.loaders.custom("ledger_figures", load).load(contract_id)


@model_type(BeneficiaryRow)
@strawberry.type(
    description="A beneficiary (救助对象). Sensitive: ID and phone are masked for every role except the "
    "implementing agency of the beneficiary's district."
)
class Beneficiary(Historied):
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


@strawberry.type(description="Quantity delivered in one unit (current view). 服务数量合计。")
class ServiceQuantity:
    """Sum of quantities in one unit."""

    unit: enums.ServiceUnit = strawberry.field(description="Unit: hours, visits, persons. 单位。")
    quantity: Decimal = strawberry.field(description="Total in that unit. 合计数量。")


@strawberry.type(
    description="What a contract's ledger adds up to (current view): counts and, for those who may read fund "
    "entries, money. Names no one: this is what finance and the public see of a ledger. 台账汇总。"
)
class LedgerSummary:
    """Aggregates of one ledger."""

    contract_row: strawberry.Private[Any]

    @strawberry.field(description="The contract. 合同。")
    def contract(self) -> Contract:
        """The contract (already visible to the caller)."""
        return from_row(Contract, self.contract_row)

    @strawberry.field(description="Service entries in the current view. 有效服务记录数。")
    async def service_entry_count(self, info: Info) -> int:
        """Count of current service entries."""
        return (await _figures(info, self.contract_row.pk)).service_entries

    @strawberry.field(description="Distinct beneficiaries served (current view). 服务对象人数。")
    async def beneficiary_count(self, info: Info) -> int:
        """Distinct beneficiaries."""
        return (await _figures(info, self.contract_row.pk)).beneficiaries

    @strawberry.field(description="Quantities delivered per unit (current view). 服务数量。")
    async def quantities(self, info: Info) -> list[ServiceQuantity]:
        """Quantities per unit."""
        figures = await _figures(info, self.contract_row.pk)
        return [
            ServiceQuantity(unit=enums.ServiceUnit(unit), quantity=q)  # type: ignore[call-arg]
            for unit, q in figures.quantities.items()
        ]

    def _money(self, info: Info) -> bool:
        row = self.contract_row
        principal = info.context.principal
        return any(
            allowed(principal, "read", "fund_entry", domain)
            for domain in (f"district:{row.district_id}", f"contractor:{row.contractor_id}")
        )

    @strawberry.field(description="Money received (current view); null unless you may read fund entries. 收入合计。")
    async def funds_received(self, info: Info) -> Decimal | None:
        """Received."""
        return (await _figures(info, self.contract_row.pk)).received if self._money(info) else None

    @strawberry.field(description="Money spent (current view); null unless you may read fund entries. 支出合计。")
    async def funds_spent(self, info: Info) -> Decimal | None:
        """Spent."""
        return (await _figures(info, self.contract_row.pk)).spent if self._money(info) else None

    @strawberry.field(description="Received minus spent; null unless you may read fund entries. 结余。")
    async def funds_balance(self, info: Info) -> Decimal | None:
        """Balance."""
        if not self._money(info):
            return None
        figures = await _figures(info, self.contract_row.pk)
        return figures.received - figures.spent


@model_type(LedgerRow)
@strawberry.type(description="A contractor's service ledger (台账, Art. 14), one per contract.")
class Ledger(Historied, _LedgerRow):
    """台账."""

    version: int = strawberry.field(
        description="Increases by one with every write (a submission, an entry, a correction). Adding entries "
        "needs no version (the server serialises a ledger's writers); a correction may pass it as `expectedVersion` "
        "to be refused when anything was written since. 版本。"
    )

    @strawberry.field(
        description="Service entries, oldest first: the full history (default) or the current view. 服务记录。"
    )
    async def service_entries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        view: ViewArg = LedgerView.HISTORY,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ServiceEntry]:
        """Service entries."""
        where = _view_where(view)
        return await load_children(
            info, ServiceEntry, ServiceEntryRow, "ledger_id", self.row.pk, first, after, where, last=last, before=before
        )

    @strawberry.field(
        description="Fund entries, oldest first: the full history (default) or the current view. 资金记录。"
    )
    async def fund_entries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        view: ViewArg = LedgerView.HISTORY,
        last: Last = None,
        before: Before = None,
    ) -> Connection[FundEntry]:
        """Fund entries."""
        where = _view_where(view)
        return await load_children(
            info, FundEntry, FundEntryRow, "ledger_id", self.row.pk, first, after, where, last=last, before=before
        )

    @strawberry.field(description="Distinct beneficiaries served (current view). 服务对象人数。")
    async def beneficiary_count(self, info: Info) -> int:
        """Distinct beneficiaries."""
        return (await _figures(info, self.row.contract_id)).beneficiaries

    @strawberry.field(description="Counts, quantities and money of the current view. 台账汇总。")
    async def summary(self, info: Info) -> LedgerSummary | None:
        """Aggregates."""
        contract = await info.context.loaders.by_id(ContractRow).load(self.row.contract_id)
        return None if contract is None else LedgerSummary(contract_row=contract)

    @strawberry.field(
        description="True while service entries may be added (contract IN_PERFORMANCE or ACCEPTANCE_FAILED, rule 9). "
        "可以记录台账。"
    )
    async def accepts_entries(self, info: Info) -> bool:
        """Rule 9 window."""
        contract = await info.context.loaders.by_id(ContractRow).load(self.row.contract_id)
        return contract is not None and contract.status in OPEN_STATES


@model_type(ServiceEntryRow)
@strawberry.type(description="A service delivered, recorded in the ledger. Never edited: corrections are new entries.")
class ServiceEntry(Historied, _LedgerRow):
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
class FundEntry(Historied, _LedgerRow):
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


ContractArg = Annotated[strawberry.ID, strawberry.argument(description="Global ID of the contract. 合同ID。")]


def _contract_pk(global_id: strawberry.ID) -> int | None:
    try:
        pk = pk_of(global_id, "Contract")
    except ClientError:
        return None
    return pk if isinstance(pk, int) else None


@strawberry.type(description="Ledger aggregates for every role that may see the contract. 台账汇总查询。")
class LedgerQuery:
    """Root query fields of the ledger domain (merged into ``Query``)."""

    @strawberry.field(
        description="The ledger figures of a contract you may see (the public: published contracts); counts for "
        "everyone, money only for those who read fund entries. Null when hidden or without a ledger. 台账汇总。"
    )
    async def ledger_summary(self, info: Info, contract: ContractArg) -> LedgerSummary | None:
        """One contract's figures."""
        pk = _contract_pk(contract)
        if pk is None:
            return None
        ledgers = LedgerRow.filter(contract_id=pk).values("contract_id")
        row = await scoped(info.context.principal, ContractRow).filter(pk=pk, id__in=Subquery(ledgers)).first()
        return None if row is None else LedgerSummary(contract_row=row)

    @strawberry.field(
        description="Ledger figures of the contracts you may see that have a ledger, by contract. 台账汇总列表。"
    )
    async def ledger_summaries(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        district: Annotated[str | None, strawberry.argument(description="District code, e.g. 321202. 区代码。")] = None,
    ) -> Connection[LedgerSummary]:
        """Figures per contract."""
        ledgers = LedgerRow.all().values("contract_id")
        qs = scoped(info.context.principal, ContractRow).filter(id__in=Subquery(ledgers), **district_code(district))
        return await paginate(qs, first, after, lambda row: LedgerSummary(contract_row=row))
