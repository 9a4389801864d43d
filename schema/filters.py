"""Filter inputs shared by the list queries, and their translation to queryset filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from tortoise.models import Model

from models.geography import DISTRICT_CODE_HINT, is_district_code
from models.identifiers import IdentifierError, validate_id_number, validate_uscc
from schema import enums
from schema.base import REGISTRY
from schema.errors import ClientError, InvalidArgument, InvalidId
from schema.pagination import parse_pk
from schema.relay import decode_id


def pk_of(global_id: strawberry.ID | None, type_name: str) -> Any:
    """The primary key inside a global ID of ``type_name``; :class:`InvalidId` otherwise."""
    if global_id is None:
        return None
    name, raw = decode_id(str(global_id))
    entry = REGISTRY.get(name)
    if name != type_name or entry is None:
        raise InvalidId
    pk = parse_pk(entry[1], raw)
    if pk is None:
        raise InvalidId
    return pk


def valid_credit_code(value: str) -> str:
    """A normalised unified social credit code, or a typed error naming what is wrong."""
    try:
        return validate_uscc(value)
    except IdentifierError as exc:
        raise ClientError(exc.code, exc.message) from exc


def valid_id_number(value: str) -> str:
    """A normalised resident ID number, or a typed error naming what is wrong."""
    try:
        return validate_id_number(value)
    except IdentifierError as exc:
        raise ClientError(exc.code, exc.message) from exc


def date_range(field: str, start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    """``field__gte``/``field__lte`` for an inclusive date range."""
    if start and end and start > end:
        raise InvalidArgument("起始日期不能晚于结束日期。")
    out: dict[str, Any] = {}
    if start:
        out[f"{field}__gte"] = start
    if end:
        out[f"{field}__lte"] = end
    return out


#: The budget years a plan can have (dashboards and the finance view refuse others).
BUDGET_YEARS = (2000, 2100)


def check_year(year: int | None, years: tuple[int, int] = (1900, 9999)) -> int | None:
    """``year`` (or ``None``) when within ``years`` (inclusive; by default any four-digit year, so a date can
    hold it), else ``InvalidArgument``."""
    if year is None:
        return None
    first, last = years
    if not first <= year <= last:
        if years == (1900, 9999):
            raise InvalidArgument(f"year 应为四位年份，当前为 {year}。")
        raise InvalidArgument(f"year 应在{first}至{last}之间，当前为 {year}。")
    return year


def year_span(year: int) -> tuple[dt.date, dt.date]:
    """1 January and 31 December of ``year``; ``InvalidArgument`` unless a four-digit year."""
    check_year(year)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def district_code(code: str | None) -> dict[str, Any]:
    """Filter by district code (6 digits)."""
    if code is None:
        return {}
    if not is_district_code(code):
        raise InvalidArgument(DISTRICT_CODE_HINT)
    return {"district_id": code}


def apply(model: type[Model], **conditions: Any) -> dict[str, Any]:
    """Drop unset conditions."""
    return {k: v for k, v in conditions.items() if v is not None}


@strawberry.input(description="Filter for contracts. 合同筛选。All conditions are combined with AND.")
class ContractFilter:
    """Contract filter."""

    district: str | None = strawberry.field(default=None, description="District code, e.g. 321202. 区代码。")
    status: list[enums.ContractStatus] | None = strawberry.field(default=None, description="Any of these states.")
    contractor: strawberry.ID | None = strawberry.field(default=None, description="Contractor global ID. 承接主体。")
    catalogue_item: strawberry.ID | None = strawberry.field(default=None, description="Catalogue item global ID.")
    project: strawberry.ID | None = strawberry.field(default=None, description="Procurement project global ID.")
    signed_from: dt.date | None = strawberry.field(default=None, description="Signed on or after. 签订起。")
    signed_to: dt.date | None = strawberry.field(default=None, description="Signed on or before. 签订止。")
    year: int | None = strawberry.field(default=None, description="Year of the service start. 年度。")
    overdue: bool | None = strawberry.field(
        default=None,
        description="True: only contracts whose publication (2 working days) or filing (7 working days) after "
        "signing is late or past due (rule 7); false: only those on time. 公示/备案逾期。",
    )


@strawberry.input(description="Filter for annual plans. 计划筛选。")
class PlanFilter:
    """Plan filter."""

    district: str | None = strawberry.field(default=None, description="District code. 区代码。")
    year: int | None = strawberry.field(default=None, description="Budget year. 年度。")
    status: list[enums.PlanStatus] | None = strawberry.field(default=None, description="Any of these states.")


@strawberry.input(description="Filter for procurement projects. 采购项目筛选。")
class ProjectFilter:
    """Project filter."""

    district: str | None = strawberry.field(default=None, description="District code. 区代码。")
    year: int | None = strawberry.field(default=None, description="Year of the plan it draws on. 年度。")
    status: list[enums.ProcurementStatus] | None = strawberry.field(default=None, description="Any of these states.")
    method: enums.ProcurementMethod | None = strawberry.field(default=None, description="Procurement method.")
    published_from: dt.date | None = strawberry.field(default=None, description="Published on or after.")
    published_to: dt.date | None = strawberry.field(default=None, description="Published on or before.")


@strawberry.input(description="Filter for ledger service entries. 台账筛选。")
class ServiceEntryFilter:
    """Service entry filter."""

    district: str | None = strawberry.field(default=None, description="District code. 区代码。")
    contract: strawberry.ID | None = strawberry.field(default=None, description="Contract global ID. 合同。")
    contractor: strawberry.ID | None = strawberry.field(default=None, description="Contractor global ID.")
    catalogue_item: strawberry.ID | None = strawberry.field(default=None, description="Catalogue item global ID.")
    township: str | None = strawberry.field(default=None, description="Township code (9 digits). 乡镇代码。")
    assistance_category: enums.AssistanceCategory | None = strawberry.field(default=None, description="救助类别.")
    date_from: dt.date | None = strawberry.field(default=None, description="Service date on or after. 起始日期。")
    date_to: dt.date | None = strawberry.field(default=None, description="Service date on or before. 截止日期。")


@strawberry.input(description="Filter for contractors. 承接主体筛选。")
class ContractorFilter:
    """Contractor filter."""

    kind: enums.ContractorKind | None = strawberry.field(default=None, description="Organisation type.")
    name_contains: str | None = strawberry.field(default=None, description="Part of the name (at most 50 chars).")
    credit_code: str | None = strawberry.field(
        default=None, description="Exact unified social credit code (18 characters, check character verified)."
    )
