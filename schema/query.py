"""The root ``Query``: ``node``, ``me`` and one connection per entity, each scoped by ``policies``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models import ApiKey as ApiKeyRow
from models import Beneficiary as BeneficiaryRow
from models import CatalogueItem as CatalogueItemRow
from models import Contract as ContractRow
from models import Contractor as ContractorRow
from models import District as DistrictRow
from models import FundEntry as FundEntryRow
from models import ProcurementProject as ProjectRow
from models import PurchasePlan as PlanRow
from models import ServiceEntry as ServiceEntryRow
from models import Township as TownshipRow
from models import User as UserRow
from models.codes import code_filter
from models.contracts import disclosure_overdue
from models.timeutil import today
from policies.scope import scoped
from schema import enums
from schema.account_mutations import AccountQuery, account_node, api_key_node
from schema.auth import Me
from schema.base import REGISTRY, converter, from_row, load_one
from schema.catalogue import CatalogueItem
from schema.context import Info
from schema.contractors import Contractor
from schema.contracts import Contract
from schema.dashboards import DashboardQuery
from schema.errors import InvalidArgument
from schema.filters import (
    ContractFilter,
    ContractorFilter,
    PlanFilter,
    ProjectFilter,
    ServiceEntryFilter,
    date_range,
    district_code,
    pk_of,
    valid_credit_code,
    valid_id_number,
    year_span,
)
from schema.finance import FinanceQuery
from schema.geography import District, Township
from schema.ledgers import Beneficiary, FundEntry, LedgerQuery, ServiceEntry
from schema.pagination import After, Before, Connection, First, Last, paginate, parse_pk
from schema.plans import PurchasePlan
from schema.procurement import ProcurementProject
from schema.public import PublicQuery
from schema.relay import Node, decode_id
from schema.staffing import StaffingQuery, township_code
from schema.training import TrainingQuery

T = TypeVar("T")

DistrictArg = Annotated[str | None, strawberry.argument(description="District code, e.g. 321202. 区代码。")]


async def _by_overdue(qs: QuerySet[ContractRow], *, want: bool) -> QuerySet[ContractRow]:
    """Narrow ``qs`` to contracts whose rule-7 disclosure is (or is not) overdue today.

    Working-day deadlines are computed in Python from four columns of the already scoped rows.
    """
    day = today()
    rows = await qs.values_list("id", "signed_on", "published_on", "filed_on")
    late = [pk for pk, signed, published, filed in rows if disclosure_overdue(signed, published, filed, day)]
    return qs.filter(id__in=late) if want else qs.exclude(id__in=late)


#: Most IDs ``nodes(ids:)`` takes at once.
MAX_NODES = 100

#: Node types whose visibility is not ``policies.scope.scoped`` (accounts and keys: who administers them).
SPECIAL_NODES: dict[str, tuple[type[Model], Callable[[Info, Any], Awaitable[Any]]]] = {
    "Account": (UserRow, account_node),
    "ApiKey": (ApiKeyRow, api_key_node),
}


async def resolve_node(info: Info, global_id: strawberry.ID) -> Node | None:
    """The object behind a global ID if the caller may see it (``INVALID_ID`` when malformed)."""
    type_name, raw = decode_id(str(global_id))
    special = SPECIAL_NODES.get(type_name)
    if special is not None:
        model, lookup = special
        key = parse_pk(model, raw)
        return None if key is None else await lookup(info, key)
    entry = REGISTRY.get(type_name)
    if entry is None:
        return None
    cls, model = entry
    key = parse_pk(model, raw)
    if key is None:
        return None
    row = await info.context.loaders.by_id(model).load(key)
    return None if row is None else from_row(cls, row)


async def _one(
    info: Info, cls: type[T], model: type[Model], id: strawberry.ID | None, code: str | None, code_arg: str
) -> T | None:
    """One object of ``cls`` by global ID or human code (``models.codes``), within the caller's scope."""
    if (id is None) == (code is None):
        raise InvalidArgument(f"请提供 id 或 {code_arg} 之一。")
    if id is not None:
        return await load_one(info, cls, model, pk_of(id, cls.__name__))
    where = code_filter(cls.__name__, code or "")
    row = None if where is None else await scoped(info.context.principal, model).get_or_none(**where)
    return None if row is None else from_row(cls, row)


@strawberry.type(description="Read access to everything the caller may see. 查询。")
class Query(StaffingQuery, TrainingQuery, PublicQuery, DashboardQuery, FinanceQuery, AccountQuery, LedgerQuery):
    """Root query."""

    @strawberry.field(description="Any object by its global ID; null when it does not exist or you may not see it.")
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global ID. 全局ID。")]
    ) -> Node | None:
        """Relay node lookup, through the same scope as every list."""
        return await resolve_node(info, id)

    @strawberry.field(
        description=f"Several objects by global ID (at most {MAX_NODES}), in the order asked: each through the same "
        "scope as `node(id:)`; null in its position when it does not exist or you may not see it (a malformed ID "
        "is also an INVALID_ID error with that position in its path). 按全局ID批量查询。"
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description=f"Global IDs, at most {MAX_NODES}. 全局ID列表。")
        ],
    ) -> list[Node | None]:
        """Relay ``nodes``: one awaitable per position, so one bad ID nulls only its own position."""
        if len(ids) > MAX_NODES:
            raise InvalidArgument(f"ids 最多{MAX_NODES}个，当前为{len(ids)}个。")
        return [resolve_node(info, global_id) for global_id in ids]  # type: ignore[return-value]

    @strawberry.field(
        description="One contract in your scope by global ID or contract number (`TZ-<district>-<year>-<nnn>`, "
        "e.g. TZ-321202-2024-001); null when there is none or you may not see it. Give exactly one. 合同。"
    )
    async def contract(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global ID. 全局ID。")] = None,
        code: Annotated[
            str | None, strawberry.argument(description="Contract number, at most 40 characters. 合同编号。")
        ] = None,
    ) -> Contract | None:
        """A contract by ID or number."""
        return await _one(info, Contract, ContractRow, id, code, "code")

    @strawberry.field(
        description="One procurement project in your scope by global ID or project number "
        "(`CG-<district>-<year>-<nnn>`, e.g. CG-321203-2026-001); null when there is none or you may not see it. "
        "Give exactly one. 采购项目。"
    )
    async def procurement_project(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global ID. 全局ID。")] = None,
        code: Annotated[
            str | None, strawberry.argument(description="Project number, at most 40 characters. 项目编号。")
        ] = None,
    ) -> ProcurementProject | None:
        """A project by ID or number."""
        return await _one(info, ProcurementProject, ProjectRow, id, code, "code")

    @strawberry.field(
        description="One purchase plan in your scope by global ID or plan code (`JH-<district>-<year>`, e.g. "
        "JH-321202-2024: a district has one plan a year); null when there is none or you may not see it. Give "
        "exactly one. 年度购买计划。"
    )
    async def purchase_plan(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global ID. 全局ID。")] = None,
        code: Annotated[
            str | None, strawberry.argument(description="Plan code, JH-<district>-<year>. 计划编号。")
        ] = None,
    ) -> PurchasePlan | None:
        """A plan by ID or code."""
        return await _one(info, PurchasePlan, PlanRow, id, code, "code")

    @strawberry.field(
        description="One contractor you may see by global ID or unified social credit code (18 characters, check "
        "character verified per GB 32100-2015); null when there is none or you may not see it. Give exactly one. "
        "承接主体。"
    )
    async def contractor(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global ID. 全局ID。")] = None,
        credit_code: Annotated[
            str | None, strawberry.argument(description="Unified social credit code. 统一社会信用代码。")
        ] = None,
    ) -> Contractor | None:
        """A contractor by ID or credit code."""
        if credit_code is not None:
            credit_code = valid_credit_code(credit_code)
        return await _one(info, Contractor, ContractorRow, id, credit_code, "creditCode")

    @strawberry.field(description="Who is calling; null when not signed in. 当前用户。")
    def me(self, info: Info) -> Me | None:
        """The caller."""
        principal = info.context.principal
        return Me.of(principal) if principal.authenticated else None

    @strawberry.field(description="Districts (purchasing entities). Public. 区（购买主体）。")
    async def districts(self, info: Info, first: First = 20, after: After = None) -> Connection[District]:
        """Districts."""
        return await paginate(scoped(info.context.principal, DistrictRow), first, after, converter(District))

    @strawberry.field(description="Townships and streets. Public. 乡镇（街道）。")
    async def townships(
        self, info: Info, first: First = 20, after: After = None, district: DistrictArg = None
    ) -> Connection[Township]:
        """Townships."""
        qs = scoped(info.context.principal, TownshipRow).filter(**district_code(district))
        return await paginate(qs, first, after, converter(Township))

    @strawberry.field(description="The service catalogue (附件). Public. 服务目录。")
    async def catalogue_items(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        category: Annotated[
            enums.CatalogueCategory | None, strawberry.argument(description="Only this category.")
        ] = None,
        active: Annotated[bool | None, strawberry.argument(description="Only active (true) or inactive.")] = None,
    ) -> Connection[CatalogueItem]:
        """Catalogue items."""
        qs = scoped(info.context.principal, CatalogueItemRow)
        if category is not None:
            qs = qs.filter(category=category)
        if active is not None:
            qs = qs.filter(is_active=active)
        return await paginate(qs, first, after, converter(CatalogueItem))

    @strawberry.field(description="Contractors you may see (all for government roles; yourself for a contractor).")
    async def contractors(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: Annotated[
            ContractorFilter | None, strawberry.argument(description="Conditions, combined with AND. 筛选条件。")
        ] = None,
    ) -> Connection[Contractor]:
        """Contractors."""
        qs = scoped(info.context.principal, ContractorRow)
        if filter is not None:
            if filter.kind is not None:
                qs = qs.filter(kind=filter.kind)
            if filter.name_contains:
                if len(filter.name_contains) > 50:
                    raise InvalidArgument("nameContains 最多50个字符。")
                qs = qs.filter(name__icontains=filter.name_contains)
            if filter.credit_code:
                qs = qs.filter(credit_code=valid_credit_code(filter.credit_code))
        return await paginate(qs, first, after, converter(Contractor))

    @strawberry.field(description="Annual purchase plans in your scope. 年度购买计划。")
    async def purchase_plans(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: Annotated[
            PlanFilter | None, strawberry.argument(description="Conditions, combined with AND. 筛选条件。")
        ] = None,
    ) -> Connection[PurchasePlan]:
        """Plans."""
        qs = scoped(info.context.principal, PlanRow)
        if filter is not None:
            qs = qs.filter(**district_code(filter.district))
            if filter.year is not None:
                qs = qs.filter(year=filter.year)
            if filter.status:
                qs = qs.filter(status__in=filter.status)
        return await paginate(qs, first, after, converter(PurchasePlan))

    @strawberry.field(description="Procurement projects in your scope; the public sees published ones. 采购项目。")
    async def procurement_projects(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: Annotated[
            ProjectFilter | None, strawberry.argument(description="Conditions, combined with AND. 筛选条件。")
        ] = None,
    ) -> Connection[ProcurementProject]:
        """Projects."""
        qs = scoped(info.context.principal, ProjectRow)
        if filter is not None:
            qs = qs.filter(**district_code(filter.district))
            if filter.year is not None:
                qs = qs.filter(plan__year=filter.year)
            if filter.status:
                qs = qs.filter(status__in=filter.status)
            if filter.method is not None:
                qs = qs.filter(method=filter.method)
            qs = qs.filter(**date_range("published_on", filter.published_from, filter.published_to))
        return await paginate(qs, first, after, converter(ProcurementProject))

    @strawberry.field(description="Contracts in your scope; the public sees published ones. 购买服务合同。")
    async def contracts(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ContractFilter | None, strawberry.argument(description="Conditions, combined with AND. 筛选条件。")
        ] = None,
    ) -> Connection[Contract]:
        """Contracts."""
        qs = scoped(info.context.principal, ContractRow)
        if filter is not None:
            qs = qs.filter(**district_code(filter.district))
            if filter.status:
                qs = qs.filter(status__in=filter.status)
            if filter.contractor is not None:
                qs = qs.filter(contractor_id=pk_of(filter.contractor, "Contractor"))
            if filter.project is not None:
                qs = qs.filter(project_id=pk_of(filter.project, "ProcurementProject"))
            if filter.catalogue_item is not None:
                qs = qs.filter(catalogue_items__id=pk_of(filter.catalogue_item, "CatalogueItem"))
            qs = qs.filter(**date_range("signed_on", filter.signed_from, filter.signed_to))
            if filter.year is not None:
                # Not ``first``: that name is the page size, read by ``paginate`` below.
                year_start, year_end = year_span(filter.year)
                qs = qs.filter(service_start__gte=year_start, service_start__lte=year_end)
            if filter.overdue is not None:
                qs = await _by_overdue(qs, want=filter.overdue)
        return await paginate(qs, first, after, converter(Contract), last=last, before=before)

    @strawberry.field(
        description="Beneficiaries in your scope (masked per your role; contractors see only those they served). "
        "救助对象。"
    )
    async def beneficiaries(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        district: DistrictArg = None,
        assistance_category: Annotated[
            enums.AssistanceCategory | None, strawberry.argument(description="Only this category. 救助类别。")
        ] = None,
        id_number: Annotated[
            str | None,
            strawberry.argument(
                description="Find by resident ID number (18 characters, check digit verified per GB 11643). "
                "身份证号精确查找。"
            ),
        ] = None,
    ) -> Connection[Beneficiary]:
        """Beneficiaries."""
        qs = scoped(info.context.principal, BeneficiaryRow).filter(**district_code(district))
        if assistance_category is not None:
            qs = qs.filter(assistance_category=assistance_category)
        if id_number is not None:
            qs = qs.filter(id_number=valid_id_number(id_number))
        return await paginate(qs, first, after, converter(Beneficiary))

    @strawberry.field(description="Ledger service entries in your scope, oldest first. 台账服务记录。")
    async def service_entries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ServiceEntryFilter | None, strawberry.argument(description="Conditions, combined with AND. 筛选条件。")
        ] = None,
    ) -> Connection[ServiceEntry]:
        """Service entries."""
        qs = scoped(info.context.principal, ServiceEntryRow)
        if filter is not None:
            qs = qs.filter(**district_code(filter.district))
            if filter.contract is not None:
                qs = qs.filter(contract_id=pk_of(filter.contract, "Contract"))
            if filter.contractor is not None:
                qs = qs.filter(contractor_id=pk_of(filter.contractor, "Contractor"))
            if filter.catalogue_item is not None:
                qs = qs.filter(catalogue_item_id=pk_of(filter.catalogue_item, "CatalogueItem"))
            if filter.township is not None:
                qs = qs.filter(**township_code(filter.township))
            if filter.assistance_category is not None:
                qs = qs.filter(assistance_category=filter.assistance_category)
            qs = qs.filter(**date_range("service_date", filter.date_from, filter.date_to))
        return await paginate(qs, first, after, converter(ServiceEntry), last=last, before=before)

    @strawberry.field(description="Ledger fund entries in your scope, oldest first. 台账资金记录。")
    async def fund_entries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        district: DistrictArg = None,
        contract: Annotated[strawberry.ID | None, strawberry.argument(description="Contract global ID.")] = None,
        date_from: Annotated[dt.date | None, strawberry.argument(description="On or after. 起始日期。")] = None,
        date_to: Annotated[dt.date | None, strawberry.argument(description="On or before. 截止日期。")] = None,
    ) -> Connection[FundEntry]:
        """Fund entries."""
        qs = scoped(info.context.principal, FundEntryRow).filter(**district_code(district))
        if contract is not None:
            qs = qs.filter(contract_id=pk_of(contract, "Contract"))
        qs = qs.filter(**date_range("entry_date", date_from, date_to))
        return await paginate(qs, first, after, converter(FundEntry), last=last, before=before)
