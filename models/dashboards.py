"""Dashboard aggregates (DOMAIN.md §6): money against the funding floor (第十一条), contracts by state and the
rule-7 disclosure flags (第九条第（四）项, 第十三条), services delivered (第十四条), contractor performance
(第九条第（六）项), staffing and training (第十六条–第十九条), and how concentrated purchasing is (第五条, 第七条).

Every function takes ``scope``: the caller's readable rows of a model (``policies.scope.scoped`` bound to the
principal), so models never decide who sees what. Aggregation happens in SQL (GROUP BY, SUM, COUNT DISTINCT) in
a fixed number of statements whatever the number of rows. Money and quantities are summed exactly with
:class:`SumCents` (whole fen: numeric on PostgreSQL, integers on SQLite, where a decimal column is text and a
plain SUM would come back as a float).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache, reduce
from operator import or_
from typing import Any, ClassVar, Protocol, TypeVar

from pypika_tortoise.context import SqlContext
from pypika_tortoise.functions import DistinctOptionFunction
from pypika_tortoise.terms import Function as PypikaFunction
from pyroaring import BitMap
from tortoise.expressions import Aggregate, Function, Q, Subquery
from tortoise.functions import Count, Sum
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.base import money
from models.catalogue import CatalogueItem
from models.contractors import Contractor
from models.contracts import (
    COMMITTED_STATES,
    FILING_WORKDAYS,
    PUBLICATION_WORKDAYS,
    Acceptance,
    Contract,
    ContractAmendment,
    Inspection,
    Payment,
    filing_due,
    overdue,
    publication_due,
)
from models.enums import (
    AcceptanceResult,
    AmendmentStatus,
    AssistanceCategory,
    ContractStatus,
    EntryKind,
    PeopleDimension,
    ServiceUnit,
)
from models.geography import District, Township
from models.ledgers import ServiceEntry, in_effect
from models.plans import FundingStatus, PlanLine, PlanStatus, PurchasePlan, funding_floor
from models.service_summary import (
    ServiceCategoryMonth,
    ServicePeopleMonth,
    ServiceTownshipMonth,
    month_of,
    next_month,
    union,
)
from models.staffing import AcceptanceWindow, DistrictStaffing, StaffMember, by_district, township_staffing
from models.training import TrainingAttendance, hours_by

M = TypeVar("M", bound=Model)
ZERO = Decimal("0.00")


class Scope(Protocol):
    """The caller's readable rows of a model: ``policies.scope.scoped`` bound to one principal."""

    def __call__(self, model: type[M]) -> QuerySet[M]:
        """Rows of ``model`` the caller may read."""

    def district_wide(self, model: type[Model]) -> bool:
        """Whether the caller reads ``model`` per district (``policies.scope.district_wide``)."""


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    """Conditions shared by the dashboards (each says which it applies and how).

    ``year`` is the budget year (the annual plan a contract draws on) for money, contracts, performance and
    concentration, and the calendar year for services and training; the date range narrows each dashboard's own
    date (signing, payment, service, acceptance, inspection).
    """

    year: int | None = None
    district: str | None = None
    catalogue_item: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def dates(self, name: str) -> dict[str, dt.date]:
        """``name__gte``/``name__lte`` for the date range (inclusive)."""
        out: dict[str, dt.date] = {}
        if self.date_from is not None:
            out[f"{name}__gte"] = self.date_from
        if self.date_to is not None:
            out[f"{name}__lte"] = self.date_to
        return out

    def calendar_span(self) -> tuple[dt.date | None, dt.date | None]:
        """The date range intersected with the calendar ``year`` (inclusive; ``None``: open)."""
        start, end = self.date_from, self.date_to
        if self.year is not None:
            first, last = dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)
            start = first if start is None else max(start, first)
            end = last if end is None else min(end, last)
        return start, end

    def calendar(self, name: str) -> dict[str, dt.date]:
        """``name__gte``/``name__lte`` for :meth:`calendar_span`."""
        start, end = self.calendar_span()
        return DashboardFilter(date_from=start, date_to=end).dates(name)

    def contracts(self, via: str = "") -> dict[str, Any]:
        """District, budget year and catalogue item of a contract reached through ``via`` (``""``, ``"contract__"``)."""
        out: dict[str, Any] = {}
        if self.district is not None:
            out["district_id"] = self.district
        if self.year is not None:
            out[f"{via}project__plan__year"] = self.year
        if self.catalogue_item is not None:
            out[f"{via}catalogue_items__id"] = self.catalogue_item
        return out


# --- Exact sums and month buckets in SQL ----------------------------------------------------------------------


class _CentsSum(DistinctOptionFunction):
    """``SUM(x)*100`` on PostgreSQL (numeric, exact); on SQLite ``SUM(CAST(ROUND(x*100) AS INTEGER))``: each
    text-stored decimal becomes whole hundredths before an exact integer sum."""

    def __init__(self, term: Any, alias: str | None = None) -> None:
        super().__init__("SUM", term, alias=alias)

    @staticmethod
    def get_arg_sql(arg: Any, ctx: SqlContext) -> str:
        """The argument as summed on each dialect."""
        sql = arg.get_sql(ctx.copy(with_alias=False)) if hasattr(arg, "get_sql") else str(arg)
        if ctx.dialect.value == "postgresql":
            return sql
        return f"CAST(ROUND(({sql})*100) AS INTEGER)"

    def get_function_sql(self, ctx: SqlContext) -> str:
        """Scale once per group on PostgreSQL."""
        sql = super().get_function_sql(ctx)
        return f"({sql})*100" if ctx.dialect.value == "postgresql" else sql


class SumCents(Aggregate):
    """Sum of a 2-place decimal column in hundredths (read it back with :func:`from_cents`)."""

    database_func = _CentsSum


class _DialectFunction(PypikaFunction):
    """A one-argument SQL function spelled per dialect: ``postgres`` and ``sqlite`` are templates of the
    argument's SQL (``{}``)."""

    name: ClassVar[str]
    postgres: ClassVar[str]
    sqlite: ClassVar[str]

    def __init__(self, term: Any, alias: str | None = None) -> None:
        super().__init__(self.name, term, alias=alias)

    def get_function_sql(self, ctx: SqlContext) -> str:
        """The dialect's spelling."""
        template = self.postgres if ctx.dialect.value == "postgresql" else self.sqlite
        return template.format(self.get_arg_sql(self.args[0], ctx))


class _DistinctIds(_DialectFunction):
    """The distinct values of an integer column in a group: a list on PostgreSQL, comma-separated text on
    SQLite; read both with :func:`id_list`."""

    name = "DISTINCT_IDS"
    postgres = "array_agg(DISTINCT {})"
    sqlite = "group_concat(DISTINCT {})"


class DistinctIds(Aggregate):
    """One row per group with its distinct ids, instead of a row per id (:func:`id_list` reads it)."""

    database_func = _DistinctIds


def id_list(value: list[int] | str | None) -> list[int]:
    """A :class:`DistinctIds` result of either dialect as a list of ints."""
    if not value:
        return []
    if isinstance(value, str):
        return [int(v) for v in value.split(",")]
    return [v for v in value if v is not None]


class _YearMonth(_DialectFunction):
    """The month of a date column: its first day as a timestamp on PostgreSQL (``date_trunc`` is cheaper than
    ``to_char``), ``YYYY-MM`` text on SQLite, where dates are ISO text (read both with :func:`month_key`)."""

    name = "YEAR_MONTH"
    postgres = "date_trunc('month',({})::timestamp)"
    sqlite = "substr({},1,7)"


class YearMonth(Function):
    """The month of a date (for GROUP BY); :func:`month_key` turns the result into ``YYYY-MM``."""

    database_func = _YearMonth


def month_key(value: str | dt.date) -> str:
    """``YYYY-MM`` from a :class:`YearMonth` result of either dialect."""
    return value if isinstance(value, str) else value.strftime("%Y-%m")


def from_cents(value: Decimal | int | None) -> Decimal:
    """A :class:`SumCents` result back in units, 2 places (``None``, an empty group, is 0)."""
    if value is None:
        return ZERO
    return money(Decimal(value) / 100)


# --- Labels ------------------------------------------------------------------------------------------------

STATE_LABELS: dict[ContractStatus, str] = {
    ContractStatus.DRAFT: "草稿",
    ContractStatus.SIGNED: "已签订",
    ContractStatus.PUBLISHED: "已公示",
    ContractStatus.FILED: "已备案",
    ContractStatus.IN_PERFORMANCE: "履约中",
    ContractStatus.ACCEPTANCE_FAILED: "验收未通过（整改中）",
    ContractStatus.ACCEPTED: "已验收",
    ContractStatus.CLOSED: "已结清",
    ContractStatus.TERMINATED: "已终止",
}
CATEGORY_LABELS: dict[AssistanceCategory, str] = {
    AssistanceCategory.DIBAO: "低保",
    AssistanceCategory.TEKUN: "特困",
    AssistanceCategory.TEMPORARY: "临时救助",
    AssistanceCategory.MARGINAL: "低保边缘/支出型贫困",
}
#: Acceptance grades (models.contracts.grade_for): name, lowest score, score it stays below.
GRADES: tuple[tuple[str, int | None, int | None], ...] = (
    ("优", 90, None),
    ("良", 80, 90),
    ("中", 60, 80),
    ("差", None, 60),
)


def month_label(key: str) -> str:
    """``2025-03`` → ``2025年3月``."""
    year, _, month = key.partition("-")
    return f"{year}年{int(month)}月"


async def district_names(scope: Scope) -> dict[str, str]:
    """Code → name of every district (reference data)."""
    return dict(await scope(District).values_list("code", "name"))


# --- Money per district and year (第十一条, 第十二条) ----------------------------------------------------------


@dataclass(slots=True)
class DistrictMoney:
    """One district's money in one budget year: the floor against planned, approved, contracted and paid."""

    district_code: str
    year: int
    floor: Decimal | None = None
    plan_total: Decimal | None = None
    planned: Decimal | None = None
    approved: Decimal | None = None
    contracted: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def funding(self) -> FundingStatus | None:
        """Rule 1 on the whole plan (``None`` when no plan is visible)."""
        if self.floor is None or self.plan_total is None:
            return None
        return FundingStatus(self.floor, self.plan_total)


async def money_by_district_year(scope: Scope, f: DashboardFilter) -> list[DistrictMoney]:
    """Per district and budget year: the Art. 11 floor, planned (plan lines; of the catalogue item when
    filtered; ``None`` like the floor when the caller cannot see the plan), approved budget, contracted
    (signed, not terminated contracts' amounts plus signed amendments, signed in the date range) and paid
    (payments in the date range). Five statements."""
    rows: dict[tuple[str, int], DistrictMoney] = {}

    def row(district: str, year: int) -> DistrictMoney:
        return rows.setdefault((district, year), DistrictMoney(district, year))

    where = {"district_id": f.district} if f.district is not None else {}
    plans = scope(PurchasePlan).filter(**where)
    if f.year is not None:
        plans = plans.filter(year=f.year)
    plan_of: dict[int, DistrictMoney] = {}
    for pk, district, year, status, dibao, temporary, approved in await plans.values_list(
        "id", "district_id", "year", "status", "prev_year_dibao_funds", "prev_year_temporary_funds", "approved_budget"
    ):
        item = row(district, year)
        item.floor = funding_floor(dibao, temporary)
        item.plan_total = item.planned = ZERO
        item.approved = approved if status == PlanStatus.APPROVED and approved is not None else None
        plan_of[pk] = item

    lines = scope(PlanLine).filter(**where)
    if f.year is not None:
        lines = lines.filter(plan__year=f.year)
    for plan_id, item_id, cents in await (
        lines.annotate(total=SumCents("budget"))
        .group_by("plan_id", "catalogue_item_id")
        .values_list("plan_id", "catalogue_item_id", "total")
    ):
        target = plan_of.get(plan_id)
        if target is None:
            continue
        amount = from_cents(cents)
        target.plan_total = (target.plan_total or ZERO) + amount
        if f.catalogue_item is None or item_id == f.catalogue_item:
            target.planned = (target.planned or ZERO) + amount

    for (district, year), value in (await contract_values(scope, f, ("district_id", "project__plan__year"))).items():
        row(district, year).contracted += value

    payments = scope(Payment).filter(**f.contracts("contract__"), **f.dates("paid_on"))
    for district, year, cents in await (
        payments.annotate(total=SumCents("amount"))
        .group_by("district_id", "contract__project__plan__year")
        .values_list("district_id", "contract__project__plan__year", "total")
    ):
        row(district, year).paid += from_cents(cents)
    return sorted(rows.values(), key=lambda r: (r.year, r.district_code))


async def contract_values(scope: Scope, f: DashboardFilter, group: tuple[str, ...]) -> dict[tuple[Any, ...], Decimal]:
    """Effective value (amount plus signed amendments, rule 8) of the signed, not terminated contracts matching
    ``f`` (signed in the date range), per value of the contract fields ``group``: two grouped statements."""
    contracts = scope(Contract).filter(status__in=list(COMMITTED_STATES), **f.contracts(), **f.dates("signed_on"))
    out: dict[tuple[Any, ...], Decimal] = defaultdict(lambda: ZERO)
    for *key, cents in await contracts.annotate(total=SumCents("amount")).group_by(*group).values_list(*group, "total"):
        out[tuple(key)] += from_cents(cents)
    amendments = scope(ContractAmendment).filter(
        status=AmendmentStatus.SIGNED, contract_id__in=Subquery(contracts.values("id"))
    )
    via = tuple(name if name in ("district_id", "contractor_id") else f"contract__{name}" for name in group)
    for *key, cents in (
        await amendments.annotate(total=SumCents("amount_delta")).group_by(*via).values_list(*via, "total")
    ):
        out[tuple(key)] += from_cents(cents)
    return dict(out)


# --- Contracts by state, rule 7 flags (第九条第（四）、（六）项, 第十三条) ------------------------------------------


@dataclass(slots=True)
class DistrictContracts:
    """One district's contracts by state and its rule-7 flags as of ``today``."""

    district_code: str
    by_state: Counter[ContractStatus] = field(default_factory=Counter)
    publication_overdue: int = 0
    filing_overdue: int = 0
    overdue: int = 0
    acceptance_unpublished: int = 0


@lru_cache(maxsize=8192)
def _due_dates(signed: dt.date) -> tuple[dt.date, dt.date]:
    """Publication and filing due dates of a signing date (the holiday calendar is fixed per process)."""
    return publication_due(signed), filing_due(signed)


def disclosure_flags(
    signed: dt.date, published: dt.date | None, filed: dt.date | None, today: dt.date
) -> tuple[bool, bool]:
    """Rule 7 for one signed contract: (publication late or past due, filing late or past due).

    N working days are never fewer than N calendar days, so a step done within N days of signing is on time
    without consulting the working-day calendar (the slow part, for thousands of contracts)."""
    published_in_time = published is not None and published <= signed + dt.timedelta(days=PUBLICATION_WORKDAYS)
    filed_in_time = filed is not None and filed <= signed + dt.timedelta(days=FILING_WORKDAYS)
    if published_in_time and filed_in_time:
        return False, False
    publication, filing = _due_dates(signed)
    return (
        not published_in_time and overdue(publication, published, today),
        not filed_in_time and overdue(filing, filed, today),
    )


async def contracts_by_district(
    scope: Scope, f: DashboardFilter, today: dt.date, *, flags_for: set[str]
) -> list[DistrictContracts]:
    """Contracts by state (signed in the date range when one is given) and, for the districts ``flags_for``
    (whose deadlines the caller watches), the signed contracts whose publication (2 working days) or filing
    (7 working days) is late or past due, and acceptances whose result is not yet published. Three statements
    at most; the working-day deadlines are computed in Python from four date columns."""
    out: dict[str, DistrictContracts] = {}

    def of(district: str) -> DistrictContracts:
        return out.setdefault(district, DistrictContracts(district))

    contracts = scope(Contract).filter(**f.contracts(), **f.dates("signed_on"))
    for district, status, n in await (
        contracts.annotate(n=Count("id")).group_by("district_id", "status").values_list("district_id", "status", "n")
    ):
        of(district).by_state[ContractStatus(status)] += n
    if flags_for:
        signed = contracts.filter(signed_on__isnull=False, district_id__in=sorted(flags_for))
        for district, signed_on, published, filed in await signed.values_list(
            "district_id", "signed_on", "published_on", "filed_on"
        ):
            item = of(district)
            late_publication, late_filing = disclosure_flags(signed_on, published, filed, today)
            item.publication_overdue += late_publication
            item.filing_overdue += late_filing
            item.overdue += late_publication or late_filing
        acceptances = scope(Acceptance).filter(
            published_on__isnull=True,
            district_id__in=sorted(flags_for),
            **f.contracts("contract__"),
            **f.dates("accepted_on"),
        )
        for district, n in await (
            acceptances.annotate(n=Count("id")).group_by("district_id").values_list("district_id", "n")
        ):
            of(district).acceptance_unpublished += n
    return sorted(out.values(), key=lambda d: d.district_code)


# --- Services delivered (第十四条) ---------------------------------------------------------------------------


class ServiceDimension(StrEnum):
    """How services are broken down."""

    MONTH = "month"
    TOWNSHIP = "township"
    CATALOGUE_ITEM = "catalogue_item"
    ASSISTANCE_CATEGORY = "assistance_category"


_GROUP: dict[ServiceDimension, str] = {
    ServiceDimension.MONTH: "month",
    ServiceDimension.TOWNSHIP: "township_id",
    ServiceDimension.CATALOGUE_ITEM: "catalogue_item_id",
    ServiceDimension.ASSISTANCE_CATEGORY: "assistance_category",
}


@dataclass(slots=True)
class ServiceFigures:
    """What was delivered in one group: entries net of corrections, quantities per unit, distinct people."""

    key: str
    label: str
    entries: int = 0
    hours: Decimal = ZERO
    visits: Decimal = ZERO
    persons: Decimal = ZERO
    beneficiaries: int = 0


async def services(
    scope: Scope, f: DashboardFilter, by: ServiceDimension | None, *, people: bool = True
) -> list[ServiceFigures]:
    """Services delivered (service date in the year and date range), grouped ``by`` one dimension (``None``:
    one total row). Corrections follow the ledger's convention (seeds/ledgers.py): a REVERSAL carries the
    negated quantity and an AMENDMENT the corrected figure, so sums over every entry are what was delivered;
    ``entries`` counts each reversal as −1; ``beneficiaries`` counts distinct people of the entries that stand
    (never who they are; left at 0 unless ``people``).

    Callers who read the ledgers per district (district users, the city bureau) are answered from the monthly
    summaries (``models.service_summary``): whole months from the summary rows, the partial months at either end
    of a date range from the entries. A contractor's own figures come from its entries (a few of the city's).
    The distinct beneficiaries of a township or category breakdown filtered by catalogue item are counted on the
    entries too (the people bitmaps are kept per item, township or category, not per pair). A fixed number of
    statements whatever the number of rows: at most four, plus one for the labels."""
    span = f.calendar_span()
    if scope.district_wide(ServiceEntry):
        whole, edges = split_months(*span)
        groups = await _summary_figures(scope, f, whole, by) if whole is not None else {}
        if edges:
            _merge(groups, await _entry_figures(scope, f, edges, by, people=False))
        if people:
            if by in _PEOPLE_BY_ENTRY and f.catalogue_item is not None:
                counts = await _entry_people(scope, f, [span], by)
            else:
                counts = await _summary_people(scope, f, whole, by) if whole is not None else {}
                if edges:
                    for key, persons in (await _entry_people(scope, f, edges, by)).items():
                        counts[key] = counts.get(key, BitMap()) | persons
            for key, persons in counts.items():
                if persons or key in groups:
                    groups.setdefault(key, _Sums()).people = len(persons)
    else:
        groups = await _entry_figures(scope, f, [span], by, people=people)
    if by is None:
        groups = {"total": groups.get("total", _Sums())} if groups else {}
    labels = await _service_labels(scope, by, list(groups)) if by is not None else {"total": "合计"}
    result = [
        ServiceFigures(
            key=key,
            label=labels.get(key, key),
            entries=sums.entries,
            hours=from_cents(sums.hours),
            visits=from_cents(sums.visits),
            persons=from_cents(sums.persons),
            beneficiaries=sums.people,
        )
        for key, sums in groups.items()
    ]
    order = {c.value: i for i, c in enumerate(AssistanceCategory)}
    if by is ServiceDimension.CATALOGUE_ITEM:
        result.sort(key=lambda g: g.label)  # "<code> <name>": by catalogue code
    elif by is ServiceDimension.ASSISTANCE_CATEGORY:
        result.sort(key=lambda g: order.get(g.key, len(order)))
    elif by is not None:
        result.sort(key=lambda g: g.key)
    return result


#: Breakdowns whose people bitmaps are not kept per catalogue item.
_PEOPLE_BY_ENTRY = (ServiceDimension.TOWNSHIP, ServiceDimension.ASSISTANCE_CATEGORY)

Span = tuple[dt.date | None, dt.date | None]
#: Whole months: first month and the month after the last (``None``: open), as first days.
Months = tuple[dt.date | None, dt.date | None]


@dataclass(slots=True)
class _Sums:
    """One group's running figures: entries, quantities in fen, distinct people."""

    entries: int = 0
    hours: int = 0
    visits: int = 0
    persons: int = 0
    people: int = 0


def split_months(start: dt.date | None, end: dt.date | None) -> tuple[Months | None, list[Span]]:
    """Split the inclusive day range ``start``–``end`` (either open) into the whole months it covers and the
    day ranges left at either end: ``(None, [(start, end)])`` when it covers no whole month."""
    last_month = dt.date.max.replace(day=1)
    if start is not None and start > last_month:  # inside December 9999: no whole month follows
        return None, [(start, end)]
    first = None if start is None else (start if start.day == 1 else next_month(month_of(start)))
    stop = None if end is None or end == dt.date.max else month_of(end + dt.timedelta(days=1))
    if first is not None and stop is not None and first >= stop:
        return None, [(start, end)]
    edges: list[Span] = []
    if start is not None and first is not None and start < first:
        edges.append((start, first - dt.timedelta(days=1)))
    if end is not None and stop is not None and stop <= end:
        edges.append((stop, end))
    return (first, stop), edges


def _merge(into: dict[str, _Sums], more: dict[str, _Sums]) -> None:
    for key, sums in more.items():
        total = into.setdefault(key, _Sums())
        total.entries += sums.entries
        total.hours += sums.hours
        total.visits += sums.visits
        total.persons += sums.persons


def _key(by: ServiceDimension | None, row: dict[str, Any]) -> str:
    if by is None:
        return "total"
    value = row[_GROUP[by]]
    return month_key(value) if by is ServiceDimension.MONTH else str(value)


def _months(months: Months) -> dict[str, dt.date]:
    first, stop = months
    out: dict[str, dt.date] = {}
    if first is not None:
        out["month__gte"] = first
    if stop is not None:
        out["month__lt"] = stop
    return out


async def _summary_figures(
    scope: Scope, f: DashboardFilter, months: Months, by: ServiceDimension | None
) -> dict[str, _Sums]:
    """Whole months' figures from the summary rows (the township table for a township breakdown)."""
    model: type[ServiceTownshipMonth] | type[ServiceCategoryMonth] = (
        ServiceTownshipMonth if by is ServiceDimension.TOWNSHIP else ServiceCategoryMonth
    )
    rows = scope(model).filter(**_months(months))
    if f.district is not None:
        rows = rows.filter(district_id=f.district)
    if f.catalogue_item is not None:
        rows = rows.filter(catalogue_item_id=f.catalogue_item)
    measures = {name: Sum(name) for name in ("entries", "hours_cents", "visits_cents", "persons_cents")}
    group = () if by is None else (_GROUP[by],)
    found = await rows.annotate(**measures).group_by(*group).values(*group, *measures)
    return {
        _key(by, r): _Sums(
            entries=int(r["entries"] or 0),
            hours=int(r["hours_cents"] or 0),
            visits=int(r["visits_cents"] or 0),
            persons=int(r["persons_cents"] or 0),
        )
        for r in found
        if r["entries"] is not None
    }


_PEOPLE_DIMENSION: dict[ServiceDimension | None, PeopleDimension] = {
    None: PeopleDimension.CATALOGUE_ITEM,
    ServiceDimension.MONTH: PeopleDimension.CATALOGUE_ITEM,
    ServiceDimension.CATALOGUE_ITEM: PeopleDimension.CATALOGUE_ITEM,
    ServiceDimension.TOWNSHIP: PeopleDimension.TOWNSHIP,
    ServiceDimension.ASSISTANCE_CATEGORY: PeopleDimension.ASSISTANCE_CATEGORY,
}


async def _summary_people(
    scope: Scope, f: DashboardFilter, months: Months, by: ServiceDimension | None
) -> dict[str, BitMap]:
    """Whole months' beneficiaries per group: the union of the months' bitmaps."""
    dimension = _PEOPLE_DIMENSION[by]
    rows = scope(ServicePeopleMonth).filter(dimension=dimension, **_months(months))
    if f.district is not None:
        rows = rows.filter(district_id=f.district)
    if f.catalogue_item is not None:  # only reached for the item-keyed bitmaps
        rows = rows.filter(value=str(f.catalogue_item))
    maps: dict[str, list[bytes]] = defaultdict(list)
    for month, value, data in await rows.values_list("month", "value", "people"):
        if by is None:
            key = "total"
        elif by is ServiceDimension.MONTH:
            key = month_key(month)
        else:
            key = value
        maps[key].append(data)
    return {key: union(data) for key, data in maps.items()}


def _entries_in(scope: Scope, f: DashboardFilter, spans: Sequence[Span]) -> QuerySet[ServiceEntry]:
    """The caller's entries dated in any of ``spans`` (inclusive day ranges, either end open), filtered."""
    within = [Q(**DashboardFilter(date_from=start, date_to=end).dates("service_date")) for start, end in spans]
    entries = scope(ServiceEntry).filter(reduce(or_, within))
    if f.district is not None:
        entries = entries.filter(district_id=f.district)
    if f.catalogue_item is not None:
        entries = entries.filter(catalogue_item_id=f.catalogue_item)
    return entries


async def _entry_figures(
    scope: Scope, f: DashboardFilter, spans: Sequence[Span], by: ServiceDimension | None, *, people: bool
) -> dict[str, _Sums]:
    """Figures straight from the entries of ``spans`` (one grouped statement)."""
    entries = _entries_in(scope, f, spans)
    # Counting ``kind`` (never null) rather than ``id`` lets PostgreSQL answer from a covering index.
    measures: dict[str, Aggregate] = {
        "n": Count("kind", _filter=~Q(kind=EntryKind.REVERSAL)),
        "reversals": Count("kind", _filter=Q(kind=EntryKind.REVERSAL)),
        "hours": SumCents("quantity", _filter=Q(unit=ServiceUnit.HOURS)),
        "visits": SumCents("quantity", _filter=Q(unit=ServiceUnit.VISITS)),
        "persons": SumCents("quantity", _filter=Q(unit=ServiceUnit.PERSONS)),
    }
    if people:
        measures["people"] = Count("beneficiary_id", distinct=True, _filter=in_effect())
    group: tuple[str, ...] = () if by is None else (_GROUP[by],)
    if by is ServiceDimension.MONTH:
        entries = entries.annotate(month=YearMonth("service_date"))
    found = await entries.annotate(**measures).group_by(*group).values(*group, *measures)
    return {
        _key(by, r): _Sums(
            entries=r["n"] - r["reversals"],
            hours=int(r["hours"] or 0),
            visits=int(r["visits"] or 0),
            persons=int(r["persons"] or 0),
            people=r.get("people") or 0,
        )
        for r in found
        if r["n"] or r["reversals"]
    }


async def _entry_people(
    scope: Scope, f: DashboardFilter, spans: Sequence[Span], by: ServiceDimension | None
) -> dict[str, BitMap]:
    """The beneficiaries of the standing entries of ``spans`` per group, from the entries (one statement)."""
    entries = _entries_in(scope, f, spans).filter(in_effect(), beneficiary_id__isnull=False)
    group: tuple[str, ...] = () if by is None else (_GROUP[by],)
    if by is ServiceDimension.MONTH:
        entries = entries.annotate(month=YearMonth("service_date"))
    found = await entries.annotate(ids=DistinctIds("beneficiary_id")).group_by(*group).values(*group, "ids")
    return {_key(by, r): BitMap(id_list(r["ids"])) for r in found if r["ids"]}


async def _service_labels(scope: Scope, by: ServiceDimension, keys: list[Any]) -> dict[str, str]:
    if by is ServiceDimension.MONTH:
        return {k: month_label(k) for k in keys}
    if by is ServiceDimension.ASSISTANCE_CATEGORY:
        return {c.value: label for c, label in CATEGORY_LABELS.items()}
    if not keys:
        return {}
    if by is ServiceDimension.TOWNSHIP:
        return {code: name for code, name in await scope(Township).filter(code__in=keys).values_list("code", "name")}
    items = await scope(CatalogueItem).filter(id__in=keys).values_list("id", "code", "name")
    return {str(pk): f"{code} {name}" for pk, code, name in items}


# --- Contractor performance (第九条第（五）、（六）项) -----------------------------------------------------------


@dataclass(slots=True)
class ContractorPerformance:
    """Acceptances (scores, grades, failures) and inspections (rectifications) of one contractor."""

    contractor_id: int
    name: str = ""
    acceptances: int = 0
    passed: int = 0
    failed: int = 0
    score_total: Decimal = ZERO
    grades: dict[str, int] = field(default_factory=lambda: {grade: 0 for grade, _, _ in GRADES})
    inspections: int = 0
    rectifications: int = 0

    @property
    def average_score(self) -> Decimal | None:
        """Mean acceptance score, 2 places (``None`` before any acceptance)."""
        if not self.acceptances:
            return None
        return money(self.score_total / self.acceptances)


def _grade_q(low: int | None, below: int | None) -> Q:
    bounds = {"score__gte": low, "score__lt": below}
    return Q(**{k: v for k, v in bounds.items() if v is not None})


async def performance(scope: Scope, f: DashboardFilter) -> list[ContractorPerformance]:
    """Per contractor: acceptances (accepted in the date range) with passes, failures, mean score and grades
    (优 ≥ 90, 良 80–89, 中 60–79, 差 < 60), and inspections (in the date range) with those that required
    rectification. Three statements."""
    out: dict[int, ContractorPerformance] = {}

    def of(pk: int) -> ContractorPerformance:
        return out.setdefault(pk, ContractorPerformance(pk))

    grade_counts = {f"g{i}": Count("id", _filter=_grade_q(low, below)) for i, (_, low, below) in enumerate(GRADES)}
    acceptances = scope(Acceptance).filter(**f.contracts("contract__"), **f.dates("accepted_on"))
    for r in await (
        acceptances.annotate(
            n=Count("id"),
            passed=Count("id", _filter=Q(result=AcceptanceResult.PASS)),
            failed=Count("id", _filter=Q(result=AcceptanceResult.FAIL)),
            score_cents=SumCents("score"),
            **grade_counts,
        )
        .group_by("contractor_id")
        .values("contractor_id", "n", "passed", "failed", "score_cents", *grade_counts)
    ):
        item = of(r["contractor_id"])
        item.acceptances, item.passed, item.failed = r["n"], r["passed"], r["failed"]
        item.score_total = from_cents(r["score_cents"])
        item.grades = {grade: r[f"g{i}"] for i, (grade, _, _) in enumerate(GRADES)}
    inspections = scope(Inspection).filter(**f.contracts("contract__"), **f.dates("inspected_on"))
    for pk, n, rectify in await (
        inspections.annotate(n=Count("id"), rectify=Count("id", _filter=Q(rectification_required=True)))
        .group_by("contractor_id")
        .values_list("contractor_id", "n", "rectify")
    ):
        item = of(pk)
        item.inspections, item.rectifications = n, rectify
    if out:
        for pk, name in await scope(Contractor).filter(id__in=list(out)).values_list("id", "name"):
            out[pk].name = name
    return sorted(out.values(), key=lambda p: (p.name, p.contractor_id))


# --- Staffing (第十六条) and training (第十九条) -----------------------------------------------------------------


@dataclass(slots=True)
class Staffing:
    """Rule 10 per district (with its townships) on a date, and training in a year per district."""

    districts: list[DistrictStaffing]
    names: dict[str, str]
    township_names: dict[str, str]
    training: dict[str, tuple[Decimal, int]]


async def staffing(
    scope: Scope, staffing_districts: list[str], training_districts: list[str], on: dt.date, year: int
) -> Staffing:
    """Rule 10 (3 staff below 50,000 people, 4 from 50,000: ``models.staffing.required_staff``) for every
    township of ``staffing_districts`` on ``on`` (active own + dispatched staff), and training person-hours and
    people trained in ``year`` for ``training_districts`` — both lists decided by the caller's policy. Five
    statements at most."""
    names = await district_names(scope)
    townships: list[tuple[str, str, int, str]] = []
    if staffing_districts:
        townships = (
            await scope(Township)
            .filter(district_id__in=staffing_districts)
            .values_list("code", "district_id", "population", "name")
        )
    result = await township_staffing(
        [(code, district, population) for code, district, population, _ in townships],
        scope(StaffMember),
        scope(AcceptanceWindow),
        on,
    )
    districts = by_district(result.values(), staffing_districts, on)
    for d in districts:
        d.townships.sort(key=lambda t: t.township_code)
    training = await hours_by(scope(TrainingAttendance), "district_id", list(training_districts), year)
    return Staffing(
        districts=districts,
        names=names,
        township_names={code: name for code, _, _, name in townships},
        training={str(k): v for k, v in training.items()},
    )


# --- Concentration (第五条, 第七条) -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Share:
    """One contractor's part of the contract value."""

    contractor_id: int
    name: str
    value: Decimal
    share: Decimal


@dataclass(slots=True)
class Concentration:
    """Shares of contract value per contractor, overall and per district, with the HHI."""

    total: Decimal
    shares: list[Share]
    hhi: int
    by_district: dict[str, tuple[Decimal, list[Share]]]


def shares_of(values: dict[int, Decimal], names: dict[int, str]) -> list[Share]:
    """Shares (0–1, 4 places) of ``values``, largest first."""
    total = sum(values.values(), ZERO)
    out = [
        Share(pk, names.get(pk, ""), value, (value / total).quantize(Decimal("0.0001")) if total else Decimal(0))
        for pk, value in values.items()
    ]
    return sorted(out, key=lambda s: (-s.value, s.name, s.contractor_id))


def hhi(values: Iterable[Decimal]) -> int:
    """Herfindahl–Hirschman index of a market (0–10,000: sum of squared percentage shares)."""
    values = [v for v in values if v > 0]
    total = sum(values, ZERO)
    if not total:
        return 0
    return int(sum(((v * 100 / total) ** 2 for v in values), Decimal(0)).quantize(Decimal(1)))


async def concentration(scope: Scope, f: DashboardFilter) -> Concentration:
    """Value of signed, not terminated contracts (plus signed amendments) per contractor, overall and per
    district — Art. 5 and 7 ask for several providers competing on equal terms. Three statements."""
    values = await contract_values(scope, f, ("district_id", "contractor_id"))
    overall: dict[int, Decimal] = defaultdict(lambda: ZERO)
    per_district: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for (district, contractor), value in values.items():
        overall[contractor] += value
        per_district[district][contractor] = value
    names: dict[int, str] = {}
    if overall:
        names = dict(await scope(Contractor).filter(id__in=list(overall)).values_list("id", "name"))
    shares = shares_of(dict(overall), names)
    return Concentration(
        total=sum(overall.values(), ZERO),
        shares=shares,
        hhi=hhi(overall.values()),
        by_district={code: (sum(v.values(), ZERO), shares_of(v, names)) for code, v in sorted(per_district.items())},
    )
