"""Public disclosure (信息公开, 第九条第（二）、（四）、（六）项, 第十三条): ``Query.public``.

Everything here reads through :func:`policies.scope.public_rows` — the rows the anonymous public may read — for
every caller, signed in or not, so the public view is the same for all: published procurement notices, the
public fields of published contracts, published acceptance results, the catalogue, a change feed and the OCDS
export. Never a draft, a plan, a beneficiary, a ledger entry or a payment. The types are dedicated ``Public*``
types (no ``history``, no internal fields), not the internal ones, so nothing nested can widen what is shown.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from tortoise.models import Model

from models import Acceptance as AcceptanceRow
from models import CatalogueItem as CatalogueItemRow
from models import Contract as ContractRow
from models import Contractor as ContractorRow
from models import District as DistrictRow
from models import ProcurementLot as LotRow
from models import ProcurementProject as ProjectRow
from models.contracts import grade_for
from models.enums import ContractStatus
from models.history import ChangeRecord
from models.ocds import build_releases, load_processes, ocid_of, record_package, release_package
from models.ocds import jsonable as ocds_jsonable
from models.procurement import METHOD_NAMES
from models.public import public_changes
from policies.scope import public_rows
from schema import enums
from schema.context import Info
from schema.errors import InvalidArgument
from schema.filters import date_range, district_code, pk_of, valid_credit_code, year_span
from schema.node import ChangeActionEnum
from schema.pagination import After, Before, Connection, First, Last, encode_cursor, paginate
from schema.relay import encode_id

DistrictArg = Annotated[
    str | None, strawberry.argument(description="Only this district (6-digit code, e.g. 321202). 区代码。")
]
FromArg = Annotated[dt.date | None, strawberry.argument(description="Published on or after. 公开日期起。")]
ToArg = Annotated[dt.date | None, strawberry.argument(description="Published on or before. 公开日期止。")]

#: Paths of the OCDS routes (api/ocds.py serves them; the packages name themselves by these URLs).
RELEASES_PATH = "ocds/releases/{code}.json"
RECORDS_PATH = "ocds/records/{code}.json"


def _year(year: int | None) -> tuple[dt.date, dt.date] | None:
    return None if year is None else year_span(year)


# --- per-request loaders over the public rows -------------------------------------------------------------------


def _loader(info: Info, key: Hashable, load: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader[Any, Any]:
    return info.context.loaders.custom(("public", key), load)


def _by_pk(info: Info, model: type[Model]) -> DataLoader[Any, Any]:
    """Public rows of ``model`` by primary key (``None`` when absent or not public)."""

    async def load(keys: list[Any]) -> list[Any]:
        found = {row.pk: row for row in await public_rows(model).filter(pk__in=keys)}
        return [found.get(k) for k in keys]

    return _loader(info, ("by_pk", model.__name__), load)


def _grouped(info: Info, model: type[Model], parent: str, order: Sequence[str]) -> DataLoader[Any, Any]:
    """Public rows of ``model`` per value of its ``parent`` column, in ``order``."""

    async def load(keys: list[Any]) -> list[list[Any]]:
        groups: dict[Any, list[Any]] = defaultdict(list)
        for row in await public_rows(model).filter(**{f"{parent}__in": keys}).order_by(*order):
            groups[getattr(row, parent)].append(row)
        return [groups.get(k, []) for k in keys]

    return _loader(info, ("grouped", model.__name__, parent), load)


async def _district(info: Info, code: str) -> PublicDistrict | None:
    row = await _by_pk(info, DistrictRow).load(code)
    return None if row is None else PublicDistrict.of(row)


async def _supplier(info: Info, contractor_id: int | None) -> PublicSupplier | None:
    if contractor_id is None:
        return None
    row = await _by_pk(info, ContractorRow).load(contractor_id)
    return None if row is None else PublicSupplier(name=row.name, credit_code=row.credit_code)


# --- types ------------------------------------------------------------------------------------------------------


@strawberry.type(description="A district's purchasing entity (购买主体) and implementing agency (实施主体), Art. 4.")
class PublicDistrict:
    """购买主体与实施主体."""

    code: str = strawberry.field(description="Statistical division code, e.g. 321202. 行政区划代码。")
    name: str = strawberry.field(description="District name, e.g. 海陵区. 名称。")
    purchaser: str = strawberry.field(description="The purchasing entity, e.g. 海陵区人民政府. 购买主体。")
    implementing_agency: str = strawberry.field(description="The implementing agency, e.g. 海陵区民政局. 实施主体。")

    @classmethod
    def of(cls, row: DistrictRow) -> PublicDistrict:
        """From a district row."""
        return cls(code=row.code, name=row.name, purchaser=row.purchaser_name, implementing_agency=row.agency_name)


@strawberry.type(description="A contractor as disclosed: name and unified social credit code. 承接主体。")
class PublicSupplier:
    """承接主体 (public fields only)."""

    name: str = strawberry.field(description="Registered name. 名称。")
    credit_code: str = strawberry.field(description="Unified social credit code (GB 32100-2015). 统一社会信用代码。")


@strawberry.type(description="An item of the service catalogue (附件, Art. 8). 服务目录项目。")
class PublicCatalogueItem:
    """目录项目."""

    id: strawberry.ID = strawberry.field(description="Global ID of the catalogue item. 全局ID。")
    code: str = strawberry.field(description="A01–A11 administrative, S01–S09 service. 编号。")
    category: enums.CatalogueCategory = strawberry.field(description="事务性工作 or 服务性工作. 类别。")
    name: str = strawberry.field(description="Item name. 项目名称。")
    target_groups: str = strawberry.field(description="Who the service is for. 服务对象。")
    is_active: bool = strawberry.field(description="Inactive items can no longer be bought. 是否启用。")

    @classmethod
    def of(cls, row: CatalogueItemRow) -> PublicCatalogueItem:
        """From a catalogue row."""
        return cls(
            id=strawberry.ID(encode_id("CatalogueItem", row.pk)),
            code=row.code,
            category=row.category,
            name=row.name,
            target_groups=row.target_groups,
            is_active=row.is_active,
        )


@strawberry.type(description="A lot (分包, Art. 5) of a procurement notice and its award. 分包及成交结果。")
class PublicLot:
    """分包."""

    row: strawberry.Private[LotRow]
    number: int = strawberry.field(description="Lot number, from 1. 包号。")
    title: str = strawberry.field(description="Title. 名称。")
    budget: Decimal = strawberry.field(description="Budget in yuan, exact. 预算（元）。")
    status: enums.LotStatus = strawberry.field(description="Open, awarded or failed (流标). 状态。")
    award_amount: Decimal | None = strawberry.field(description="Awarded amount in yuan. 成交金额（元）。")
    awarded_on: dt.date | None = strawberry.field(description="Award date. 成交日期。")

    @classmethod
    def of(cls, row: LotRow) -> PublicLot:
        """From a lot row."""
        return cls(
            row=row,
            number=row.number,
            title=row.title,
            budget=row.budget,
            status=row.status,
            award_amount=row.award_amount,
            awarded_on=row.awarded_on,
        )

    @strawberry.field(description="The contractor it was awarded to; null when none or not disclosed. 成交供应商。")
    async def supplier(self, info: Info) -> PublicSupplier | None:
        """Awarded contractor."""
        return await _supplier(info, self.row.awarded_contractor_id)


@strawberry.type(
    description="A published procurement notice (采购公告, 第九条第（二）、（三）项) with its lots, awards and "
    "outcome. Published, awarded or failed (流标) projects only, never one in preparation."
)
class PublicProcurementNotice:
    """采购公告."""

    row: strawberry.Private[ProjectRow]
    id: strawberry.ID = strawberry.field(description="Global ID of the procurement project. 全局ID。")
    code: str = strawberry.field(description="Project number. 项目编号。")
    ocid: str = strawberry.field(description="Open Contracting ID of the project in the OCDS export. OCDS 编号。")
    title: str = strawberry.field(description="Title. 项目名称。")
    budget: Decimal = strawberry.field(description="Budget in yuan, exact. 预算金额（元）。")
    content: str = strawberry.field(description="Main content. 主要内容。")
    acceptance_standards: str = strawberry.field(description="Standards the contractor must meet. 承接标准。")
    goals: str = strawberry.field(description="Goals. 目标要求。")
    status: enums.ProcurementStatus = strawberry.field(description="Published, awarded, or failed (流标). 状态。")
    method: enums.ProcurementMethod | None = strawberry.field(description="Procurement method. 采购方式。")
    method_name: str | None = strawberry.field(description="The method's Chinese name, e.g. 公开招标. 采购方式名称。")
    award_criteria: enums.AwardCriteria | None = strawberry.field(description="Award criteria. 评审方法。")
    single_source_justification: str = strawberry.field(description="Why single source (单一来源理由); empty if not.")
    method_approval_ref: str = strawberry.field(description="Approval for not using open tender. 审批文号。")
    published_on: dt.date | None = strawberry.field(description="Publication date. 公告日期。")
    failure_reason: str = strawberry.field(description="Why the procurement failed (流标原因); empty otherwise.")

    @classmethod
    def of(cls, row: ProjectRow) -> PublicProcurementNotice:
        """From a (public) project row."""
        return cls(
            row=row,
            id=strawberry.ID(encode_id("ProcurementProject", row.pk)),
            code=row.code,
            ocid=ocid_of(row.code),
            title=row.title,
            budget=row.budget,
            content=row.content,
            acceptance_standards=row.acceptance_standards,
            goals=row.goals,
            status=row.status,
            method=row.method,
            method_name=METHOD_NAMES.get(row.method) if row.method else None,
            award_criteria=row.award_criteria,
            single_source_justification=row.single_source_justification,
            method_approval_ref=row.method_approval_ref,
            published_on=row.published_on,
            failure_reason=row.failure_reason,
        )

    @strawberry.field(description="The purchasing entity and implementing agency. 购买主体与实施主体。")
    async def district(self, info: Info) -> PublicDistrict | None:
        """District."""
        return await _district(info, self.row.district_id)

    @strawberry.field(description="Its lots (分包), at most 20, by number, each with its award. 分包。")
    async def lots(self, info: Info) -> list[PublicLot]:
        """Lots of the notice."""
        rows = await _grouped(info, LotRow, "project_id", ("number",)).load(self.row.pk)
        return [PublicLot.of(r) for r in rows]

    @strawberry.field(
        description="The OCDS 1.1 release package of this contracting process: planning, tender, awards, contracts "
        "and their implementation, as at GET /ocds/releases/{code}.json (amounts as JSON numbers). OCDS 发布包。"
    )
    async def ocds_release_package(self, info: Info) -> JSON | None:
        """OCDS release package."""
        releases = await _releases(info, self.row.pk)
        if releases is None:
            return None
        uri = _url(info, RELEASES_PATH, self.row.code)
        return ocds_jsonable(release_package(releases, uri=uri))

    @strawberry.field(
        description="The OCDS 1.1 record package of this contracting process: every release and the compiled "
        "release (newest value of each field), as at GET /ocds/records/{code}.json. OCDS 记录包。"
    )
    async def ocds_record_package(self, info: Info) -> JSON | None:
        """OCDS record package."""
        releases = await _releases(info, self.row.pk)
        if releases is None:
            return None
        uri = _url(info, RECORDS_PATH, self.row.code)
        package = record_package(releases, uri=uri, release_package_uri=_url(info, RELEASES_PATH, self.row.code))
        return ocds_jsonable(package)


def _url(info: Info, path: str, code: str) -> str:
    request = info.context.request
    base = str(request.base_url) if request is not None else "http://localhost/"
    return base + path.format(code=code)


async def _releases(info: Info, project_id: int) -> list[dict[str, Any]] | None:
    async def load(keys: list[int]) -> list[list[dict[str, Any]] | None]:
        processes = await load_processes(keys, public_rows)
        return [build_releases(processes[k]) if k in processes else None for k in keys]

    return await _loader(info, "ocds_releases", load).load(project_id)


@strawberry.enum(description="Where a published contract stands, as disclosed. 合同履行状态（公开）。")
class PublicContractState(enum.Enum):
    """Coarse state: the internal lifecycle is not disclosed step by step."""

    ACTIVE = strawberry.enum_value("active", description="Signed and in force (performing, under acceptance). 履行中。")
    CLOSED = strawberry.enum_value("closed", description="Accepted and fully paid. 已履行完毕。")
    TERMINATED = strawberry.enum_value("terminated", description="Ended early. 已终止。")


@strawberry.type(
    description="The public fields of a published contract (合同公示, 第九条第（四）项): no payment schedule, no "
    "internal comments. 合同公示信息。"
)
class PublicContract:
    """购买服务合同 (public fields)."""

    row: strawberry.Private[ContractRow]
    id: strawberry.ID = strawberry.field(description="Global ID of the contract. 全局ID。")
    code: str = strawberry.field(description="Contract number. 合同编号。")
    title: str = strawberry.field(description="Title. 合同名称。")
    scope: str = strawberry.field(description="Scope of the services. 购买服务的范围。")
    subject: str = strawberry.field(description="Subject matter. 标的。")
    quantity: str = strawberry.field(description="Quantity. 数量。")
    amount: Decimal = strawberry.field(description="Contract amount in yuan as signed, exact. 合同金额（元）。")
    service_start: dt.date | None = strawberry.field(description="First day of the service period. 服务期开始。")
    service_end: dt.date | None = strawberry.field(description="Last day of the service period. 服务期结束。")
    signed_on: dt.date | None = strawberry.field(description="Signing date. 签订日期。")
    published_on: dt.date | None = strawberry.field(description="Publication date (公示). 公示日期。")
    state: PublicContractState = strawberry.field(description="Active, closed or terminated. 履行状态。")
    terminated_on: dt.date | None = strawberry.field(description="Date it ended early, if it did. 终止日期。")

    @classmethod
    def of(cls, row: ContractRow) -> PublicContract:
        """From a (published) contract row."""
        state = {
            ContractStatus.CLOSED: PublicContractState.CLOSED,
            ContractStatus.TERMINATED: PublicContractState.TERMINATED,
        }.get(ContractStatus(row.status), PublicContractState.ACTIVE)
        return cls(
            row=row,
            id=strawberry.ID(encode_id("Contract", row.pk)),
            code=row.code,
            title=row.title,
            scope=row.scope,
            subject=row.subject,
            quantity=row.quantity,
            amount=row.amount,
            service_start=row.service_start,
            service_end=row.service_end,
            signed_on=row.signed_on,
            published_on=row.published_on,
            state=state,
            terminated_on=row.terminated_on,
        )

    @strawberry.field(description="The purchasing entity (购买主体) and implementing agency. 购买主体。")
    async def district(self, info: Info) -> PublicDistrict | None:
        """District."""
        return await _district(info, self.row.district_id)

    @strawberry.field(description="The contractor: name and credit code. 承接主体。")
    async def contractor(self, info: Info) -> PublicSupplier | None:
        """Contractor."""
        return await _supplier(info, self.row.contractor_id)

    @strawberry.field(description="The procurement notice it was awarded under. 采购公告。")
    async def notice(self, info: Info) -> PublicProcurementNotice | None:
        """Procurement notice."""
        row = await _by_pk(info, ProjectRow).load(self.row.project_id)
        return None if row is None else PublicProcurementNotice.of(row)

    @strawberry.field(description="Catalogue items it buys (at most 20). 服务项目。")
    async def catalogue_items(self, info: Info) -> list[PublicCatalogueItem]:
        """Catalogue items of the contract."""

        async def load(keys: list[int]) -> list[list[CatalogueItemRow]]:
            pairs = (
                await public_rows(CatalogueItemRow).filter(contracts__id__in=keys).values_list("contracts__id", "id")
            )
            ids = sorted({pk for _, pk in pairs})
            rows = {r.pk: r for r in await public_rows(CatalogueItemRow).filter(id__in=ids)} if ids else {}
            groups: dict[int, list[CatalogueItemRow]] = defaultdict(list)
            for contract_id, pk in pairs:
                groups[contract_id].append(rows[pk])
            return [sorted(groups.get(k, []), key=lambda r: r.code) for k in keys]

        rows = await _loader(info, "contract_catalogue", load).load(self.row.pk)
        return [PublicCatalogueItem.of(r) for r in rows]


@strawberry.type(description="A published acceptance result (验收结果公开, 第九条第（六）项). 验收结果。")
class PublicAcceptanceResult:
    """验收结果 (public fields: no panel members, no findings)."""

    row: strawberry.Private[AcceptanceRow]
    id: strawberry.ID = strawberry.field(description="Global ID of the acceptance. 全局ID。")
    accepted_on: dt.date = strawberry.field(description="Acceptance date. 验收日期。")
    result: enums.AcceptanceResult = strawberry.field(description="Pass or fail. 验收结论。")
    score: Decimal = strawberry.field(description="Performance score 0–100. 绩效评分。")
    grade: str = strawberry.field(description="Grade from the score: 优 ≥90, 良 80–89, 中 60–79, 差 <60. 等次。")
    published_on: dt.date | None = strawberry.field(description="Publication date. 公开日期。")

    @classmethod
    def of(cls, row: AcceptanceRow) -> PublicAcceptanceResult:
        """From a (published) acceptance row."""
        return cls(
            row=row,
            id=strawberry.ID(encode_id("Acceptance", row.pk)),
            accepted_on=row.accepted_on,
            result=row.result,
            score=row.score,
            grade=grade_for(row.score),
            published_on=row.published_on,
        )

    @strawberry.field(description="The contract accepted. 所属合同。")
    async def contract(self, info: Info) -> PublicContract | None:
        """Contract."""
        row = await _by_pk(info, ContractRow).load(self.row.contract_id)
        return None if row is None else PublicContract.of(row)

    @strawberry.field(description="The contractor. 承接主体。")
    async def contractor(self, info: Info) -> PublicSupplier | None:
        """Contractor."""
        return await _supplier(info, self.row.contractor_id)

    @strawberry.field(description="The purchasing entity and implementing agency. 购买主体与实施主体。")
    async def district(self, info: Info) -> PublicDistrict | None:
        """District."""
        return await _district(info, self.row.district_id)


@strawberry.enum(description="Kinds of public record in the change feed. 公开信息类型。")
class PublicEntityType(enum.Enum):
    """Entity types of the change feed (``ChangeRecord.entity_type``)."""

    PROCUREMENT_PROJECT = strawberry.enum_value("ProcurementProject", description="A procurement notice. 采购公告。")
    PROCUREMENT_LOT = strawberry.enum_value("ProcurementLot", description="A lot of a notice. 分包。")
    CONTRACT = strawberry.enum_value("Contract", description="A published contract. 合同公示。")
    ACCEPTANCE = strawberry.enum_value("Acceptance", description="A published acceptance result. 验收结果。")
    CATALOGUE_ITEM = strawberry.enum_value("CatalogueItem", description="A catalogue item. 服务目录项目。")


PublicObject = Annotated[
    PublicProcurementNotice | PublicContract | PublicAcceptanceResult | PublicCatalogueItem,
    strawberry.union("PublicObject", description="A public record as it is now. 公开信息。"),
]


@strawberry.type(description="One change of a public record (see `PublicView.changes`). 公开信息变更。")
class PublicChange:
    """A change-feed entry: which object changed, how and when — never the changed values themselves."""

    row: strawberry.Private[ChangeRecord]
    entity_type: PublicEntityType = strawberry.field(description="What kind of record changed. 信息类型。")
    object_id: strawberry.ID = strawberry.field(description="Global ID of the changed object. 对象全局ID。")
    action: ChangeActionEnum = strawberry.field(description="Create, update or transition. 变更类型。")  # type: ignore[valid-type]
    changed_at: dt.datetime = strawberry.field(description="When it changed. 变更时间。")

    @classmethod
    def of(cls, row: ChangeRecord) -> PublicChange:
        """From a change-history row (only its type, object id, action and time)."""
        return cls(
            row=row,
            entity_type=PublicEntityType(row.entity_type),
            object_id=strawberry.ID(encode_id(row.entity_type, row.entity_id)),
            action=row.action,
            changed_at=row.at,
        )

    @strawberry.field(
        description="The record as it is now (a lot's change gives its notice); null if it is no longer public. "
        "当前公开信息。"
    )
    async def object(self, info: Info) -> PublicObject | None:
        """The current public object."""
        kind = self.entity_type
        pk = int(self.row.entity_id)
        if kind == PublicEntityType.PROCUREMENT_LOT:
            lot = await _by_pk(info, LotRow).load(pk)
            if lot is None:
                return None
            kind, pk = PublicEntityType.PROCUREMENT_PROJECT, lot.project_id
        model, convert = _CONVERTERS[kind]
        row = await _by_pk(info, model).load(pk)
        return None if row is None else convert(row)


_CONVERTERS: dict[PublicEntityType, tuple[type[Model], Callable[[Any], Any]]] = {
    PublicEntityType.PROCUREMENT_PROJECT: (ProjectRow, PublicProcurementNotice.of),
    PublicEntityType.CONTRACT: (ContractRow, PublicContract.of),
    PublicEntityType.ACCEPTANCE: (AcceptanceRow, PublicAcceptanceResult.of),
    PublicEntityType.CATALOGUE_ITEM: (CatalogueItemRow, PublicCatalogueItem.of),
}


# --- the public view ------------------------------------------------------------------------------------------


@strawberry.type(
    description="What is disclosed to everyone, without signing in (第九条第（二）、（四）、（六）项, 第十三条); "
    "signed-in callers see exactly the same. 信息公开。"
)
class PublicView:
    """The public namespace."""

    @strawberry.field(description="Published procurement notices, oldest first. 采购公告。")
    async def procurement_notices(
        self,
        first: First = 20,
        after: After = None,
        district: DistrictArg = None,
        year: Annotated[int | None, strawberry.argument(description="Budget year of the plan it buys. 年度。")] = None,
        status: Annotated[
            list[enums.ProcurementStatus] | None,
            strawberry.argument(description="Any of these states (published, awarded, failed). 状态。"),
        ] = None,
        published_from: FromArg = None,
        published_to: ToArg = None,
    ) -> Connection[PublicProcurementNotice]:
        """Procurement notices."""
        qs = public_rows(ProjectRow).filter(**district_code(district))
        if _year(year) is not None:
            qs = qs.filter(plan__year=year)
        if status:
            qs = qs.filter(status__in=status)
        qs = qs.filter(**date_range("published_on", published_from, published_to))
        return await paginate(qs, first, after, PublicProcurementNotice.of)

    @strawberry.field(description="One published procurement notice by its project number or global ID. 采购公告。")
    async def procurement_notice(
        self,
        code: Annotated[str | None, strawberry.argument(description="Project number (at most 40). 项目编号。")] = None,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global ID. 全局ID。")] = None,
    ) -> PublicProcurementNotice | None:
        """A notice, or null when there is none or it is not public."""
        if (code is None) == (id is None):
            raise InvalidArgument("请提供 code 或 id 之一。")
        if code is not None:
            if len(code) > 40:
                return None
            row = await public_rows(ProjectRow).filter(code=code).first()
        else:
            row = await public_rows(ProjectRow).filter(pk=pk_of(id, "ProcurementProject")).first()
        return None if row is None else PublicProcurementNotice.of(row)

    @strawberry.field(description="Published contracts' public fields, oldest first. 合同公示。")
    async def contracts(
        self,
        first: First = 20,
        after: After = None,
        district: DistrictArg = None,
        year: Annotated[int | None, strawberry.argument(description="Year of signing. 签订年度。")] = None,
        published_from: FromArg = None,
        published_to: ToArg = None,
        notice: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only those of this notice (global ID). 采购公告。")
        ] = None,
        contractor_credit_code: Annotated[
            str | None,
            strawberry.argument(description="Only this contractor's (18-character credit code). 统一社会信用代码。"),
        ] = None,
    ) -> Connection[PublicContract]:
        """Published contracts."""
        qs = public_rows(ContractRow).filter(**district_code(district))
        if (span := _year(year)) is not None:
            qs = qs.filter(signed_on__gte=span[0], signed_on__lte=span[1])
        qs = qs.filter(**date_range("published_on", published_from, published_to))
        if notice is not None:
            qs = qs.filter(project_id=pk_of(notice, "ProcurementProject"))
        if contractor_credit_code is not None:
            qs = qs.filter(contractor__credit_code=valid_credit_code(contractor_credit_code))
        return await paginate(qs, first, after, PublicContract.of)

    @strawberry.field(description="Published acceptance results, oldest first. 验收结果公开。")
    async def acceptance_results(
        self,
        first: First = 20,
        after: After = None,
        district: DistrictArg = None,
        year: Annotated[int | None, strawberry.argument(description="Year of acceptance. 验收年度。")] = None,
        result: Annotated[
            enums.AcceptanceResult | None, strawberry.argument(description="Only passed or failed. 验收结论。")
        ] = None,
        published_from: FromArg = None,
        published_to: ToArg = None,
    ) -> Connection[PublicAcceptanceResult]:
        """Published acceptance results."""
        qs = public_rows(AcceptanceRow).filter(**district_code(district))
        if (span := _year(year)) is not None:
            qs = qs.filter(accepted_on__gte=span[0], accepted_on__lte=span[1])
        if result is not None:
            qs = qs.filter(result=result)
        qs = qs.filter(**date_range("published_on", published_from, published_to))
        return await paginate(qs, first, after, PublicAcceptanceResult.of)

    @strawberry.field(description="The service catalogue (附件, Art. 8). 服务目录。")
    async def catalogue(
        self,
        first: First = 20,
        after: After = None,
        category: Annotated[
            enums.CatalogueCategory | None, strawberry.argument(description="Only this category. 类别。")
        ] = None,
        active: Annotated[bool | None, strawberry.argument(description="Only active (true) or inactive.")] = None,
    ) -> Connection[PublicCatalogueItem]:
        """Catalogue items."""
        qs = public_rows(CatalogueItemRow)
        if category is not None:
            qs = qs.filter(category=category)
        if active is not None:
            qs = qs.filter(is_active=active)
        return await paginate(qs, first, after, PublicCatalogueItem.of)

    @strawberry.field(
        description="Change feed for re-publishers: changes of public records (notices and lots, contracts, "
        "acceptance results, catalogue items) after the cursor, oldest first. Lists a change only while its "
        "record is public now, and gives the record as it is now, never the changed values. Changes made before "
        "a record became public are listed once it is. Keep the last `endCursor` and ask again with it; re-read "
        "with a little overlap, since a late commit can land below a cursor already given. 公开信息变更。"
    )
    async def changes(
        self, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[PublicChange]:
        """Public change feed (semantics in models/public.py)."""
        return await paginate(public_changes(public_rows), first, after, PublicChange.of, last=last, before=before)

    @strawberry.field(
        description="Cursor of the newest public change now: start following `changes(after:)` from here after "
        "a full read of the lists. Null when nothing has changed yet. 最新变更游标。"
    )
    async def latest_change_cursor(self) -> str | None:
        """Head of the change feed."""
        newest = await public_changes(public_rows).order_by("-id").limit(1).values_list("id", flat=True)
        return encode_cursor(newest[0]) if newest else None


@strawberry.type(description="Root fields of public disclosure. 信息公开。")
class PublicQuery:
    """Adds ``public`` to the root ``Query``."""

    @strawberry.field(
        description="Public disclosure, readable without signing in and the same for everyone: procurement "
        "notices, contracts, acceptance results, the catalogue, a change feed and the OCDS export. 信息公开。"
    )
    def public(self) -> PublicView:
        """The public view."""
        return PublicView()
