"""The finance bureau's view across districts (财政局, DOMAIN.md §1, §5): contract filings (备案, Art. 9(4)),
acceptance reports (验收报告, Art. 9(6)) and payments, with filters, sorting, pagination and totals.

Filings belong to districts: the view reads through the caller's district roles only (finance: the whole city
or its district; the city civil affairs bureau: all; a district's users: their own), so a contractor, whose
roles are held on its organisation, sees nothing here. Rows come from ``policies.scope.scoped``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from tortoise.expressions import Case, Q, RawSQL, Subquery, When
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models import Acceptance as AcceptanceRow
from models import Contract as ContractRow
from models import ContractAmendment as AmendmentRow
from models import Payment as PaymentRow
from models.dashboards import ZERO, SumCents, disclosure_flags, from_cents
from models.enums import AcceptanceResult, AmendmentStatus
from models.timeutil import today
from policies.principal import Principal
from policies.scope import scoped
from schema import enums
from schema.base import converter
from schema.context import Info
from schema.contracts import Acceptance, Contract, Payment
from schema.errors import InvalidArgument, InvalidCursor
from schema.filters import BUDGET_YEARS, check_year, date_range, district_code, pk_of
from schema.pagination import FIRST_DESCRIPTION, PageInfo, check_first

T = TypeVar("T")
C = TypeVar("C")

MAX_STATES = len(enums.ContractStatus)


@strawberry.input(description="Conditions of a finance list, combined with AND. 财政查询筛选条件。")
class FilingFilter:
    """Finance filter."""

    district: str | None = strawberry.field(default=None, description="District code, e.g. 321202. 区代码。")
    year: int | None = strawberry.field(
        default=None, description="Budget year: the annual plan the contract draws on. 年度。"
    )
    date_from: dt.date | None = strawberry.field(
        default=None,
        description="On or after — the contract's signing date for filings (the filing duty starts then), the "
        "acceptance date for acceptance reports, the payment date for payments. 起始日期。",
    )
    date_to: dt.date | None = strawberry.field(default=None, description="On or before (the same dates). 截止日期。")
    contractor: strawberry.ID | None = strawberry.field(default=None, description="Contractor global ID. 承接主体。")
    state: list[enums.ContractStatus] | None = strawberry.field(
        default=None, description=f"The contract is in any of these states (at most {MAX_STATES}). 合同状态。"
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="Contract filings: true = only those filed late or not filed past the due date (7 working "
        "days after signing, rule 7), false = only the others. Acceptance reports: true = result not yet reported "
        "to finance (the policy sets no deadline, so each unreported one counts). Ignored for payments. 逾期。",
    )


@strawberry.enum(description="What a finance list is sorted by. 排序字段。")
class FilingSortField(Enum):
    """Sort keys."""

    DATE = "date"
    SIGNED = "signed"
    AMOUNT = "amount"
    DISTRICT = "district"


@strawberry.enum(description="Sort direction. 排序方向。")
class SortDirection(Enum):
    """ASC or DESC."""

    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="Sorting of a finance list; ties are broken by record id. 排序。")
class FilingOrder:
    """Sort order."""

    by: FilingSortField = strawberry.field(
        default=FilingSortField.DATE,
        description="DATE: the record's date (filing date, report date, payment date; records without one come "
        "last); SIGNED: the contract's signing date; AMOUNT: contract amount (payments: the payment); DISTRICT: "
        "district code. 排序字段。",
    )
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="ASC or DESC. 方向。")
    overdue_first: bool = strawberry.field(
        default=False,
        description="Put overdue records first (the `overdue` meaning of the filter), each group sorted as "
        "asked. 逾期优先。",
    )


FilterArg = Annotated[FilingFilter | None, strawberry.argument(description="Conditions, AND-combined. 筛选条件。")]
OrderArg = Annotated[FilingOrder | None, strawberry.argument(description="Sort order (default: DATE DESC). 排序。")]
First = Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)]
After = Annotated[
    str | None,
    strawberry.argument(description="Return the items after this cursor (`pageInfo.endCursor`). 游标。"),
]


# --- Offset pagination -------------------------------------------------------------------------------------------


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"o:{position}".encode()).decode().rstrip("=")


def _position(cursor: str | None) -> int:
    """The 0-based position after which the page starts (``-1``: from the beginning)."""
    if cursor is None:
        return -1
    if not isinstance(cursor, str) or len(cursor) > 40:
        raise InvalidCursor
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidCursor from exc
    prefix, _, value = raw.partition(":")
    if prefix != "o" or not value.isdigit() or len(value) > 9:
        raise InvalidCursor
    return int(value)


@strawberry.type(description="One item of a finance list with its cursor.")
class FilingEdge(Generic[T]):
    """Edge."""

    cursor: str = strawberry.field(description="Opaque cursor of this item.")
    node: T = strawberry.field(description="The item.")


# --- Totals ---------------------------------------------------------------------------------------------------------


@strawberry.type(description="Totals of the filtered contract filings (all pages). 备案合计。")
class ContractFilingTotals:
    """Totals."""

    count: int = strawberry.field(description="Signed contracts. 合同数。")
    amount: Decimal = strawberry.field(description="Their amounts plus signed amendments, in yuan. 合同金额合计。")
    filed: int = strawberry.field(description="Filed with finance. 已备案。")
    overdue: int = strawberry.field(description="Filed late, or not filed past the due date. 备案逾期。")


@strawberry.type(description="Totals of the filtered acceptance reports (all pages). 验收合计。")
class AcceptanceReportTotals:
    """Totals."""

    count: int = strawberry.field(description="Acceptances. 验收次数。")
    passed: int = strawberry.field(description="Passed. 通过。")
    failed: int = strawberry.field(description="Failed. 未通过。")
    reported: int = strawberry.field(description="Report sent to finance. 已报送财政。")
    contract_amount: Decimal = strawberry.field(
        description="Amounts of the contracts accepted, in yuan. 合同金额合计。"
    )


@strawberry.type(description="Totals of the filtered payments (all pages). 付款合计。")
class PaymentTotals:
    """Totals."""

    count: int = strawberry.field(description="Payments. 笔数。")
    amount: Decimal = strawberry.field(description="Amount paid, in yuan. 支付金额合计。")


TotalsT = TypeVar("TotalsT")


@strawberry.type(description="A contract filing with its cursor.")
class ContractFilingEdge(FilingEdge[Contract]):
    """Edge."""


@strawberry.type(description="An acceptance report with its cursor.")
class AcceptanceReportEdge(FilingEdge[Acceptance]):
    """Edge."""


@strawberry.type(description="A payment with its cursor.")
class PaymentRecordEdge(FilingEdge[Payment]):
    """Edge."""


E = TypeVar("E", bound=FilingEdge[Any])


@strawberry.type(description="A page of a finance list, with the totals of the whole filtered list.")
class FilingConnection(Generic[E, T, TotalsT]):
    """Connection with totals."""

    edges: list[E] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Pagination state.")
    totals_fn: strawberry.Private[Callable[[], Awaitable[Any]]]

    @strawberry.field(description="The items of this page without cursors.")
    def nodes(self) -> list[T]:
        """Nodes."""
        return [edge.node for edge in self.edges]  # type: ignore[attr-defined]

    @strawberry.field(description="Number of items in the whole filtered list. 总数。")
    async def total_count(self) -> int:
        """Total count."""
        return (await self.totals_fn()).count

    @strawberry.field(description="Sums over the whole filtered list. 合计。")
    async def totals(self) -> TotalsT:
        """Totals."""
        return await self.totals_fn()


# --- Querying ---------------------------------------------------------------------------------------------------------


def district_roles(principal: Principal) -> Principal:
    """``principal`` with only the roles it holds in districts: filings are district records."""
    kept = tuple(a for a in principal.assignments if a.kind == "district")
    return dataclasses.replace(principal, assignments=kept, _cache={})


@dataclasses.dataclass(frozen=True, slots=True)
class _Spec:
    """How one list maps the shared filter and sort onto its model."""

    model: type[Model]
    via: str  # path from the row to its contract ("" for contracts)
    date: str  # the record's own date (sort DATE)
    window: str  # the date the range applies to
    amount: str


CONTRACT_FILINGS = _Spec(ContractRow, "", "filed_on", "signed_on", "amount")
ACCEPTANCE_REPORTS = _Spec(AcceptanceRow, "contract__", "report_sent_on", "accepted_on", "contract__amount")
PAYMENTS = _Spec(PaymentRow, "contract__", "paid_on", "paid_on", "amount")


def _filtered(principal: Principal, spec: _Spec, f: FilingFilter | None) -> QuerySet[Any]:
    qs = scoped(district_roles(principal), spec.model)
    if spec is CONTRACT_FILINGS:
        qs = qs.filter(signed_on__isnull=False)
    if f is None:
        return qs
    qs = qs.filter(**district_code(f.district))
    if check_year(f.year, BUDGET_YEARS) is not None:
        qs = qs.filter(**{f"{spec.via}project__plan__year": f.year})
    qs = qs.filter(**date_range(spec.window, f.date_from, f.date_to))
    if f.contractor is not None:
        qs = qs.filter(contractor_id=pk_of(f.contractor, "Contractor"))
    if f.state:
        if len(f.state) > MAX_STATES:
            raise InvalidArgument(f"state 最多{MAX_STATES}项。")
        qs = qs.filter(**{f"{spec.via}status__in": [s.value for s in f.state]})
    return qs


async def _late_filings(qs: QuerySet[Any]) -> list[int]:
    """Ids of contracts whose filing (7 working days after signing) is late or past due today (rule 7)."""
    day = today()
    rows = await qs.values_list("id", "signed_on", "published_on", "filed_on")
    return [pk for pk, signed, published, filed in rows if disclosure_flags(signed, published, filed, day)[1]]


async def _page(
    qs: QuerySet[Any],
    spec: _Spec,
    order: FilingOrder,
    late: Q | None,
    first: int | None,
    after: str | None,
    convert: Callable[[Any], T],
    edge: Callable[..., E],
) -> tuple[list[E], PageInfo]:
    limit = check_first(first)
    start = _position(after) + 1
    sort = {
        FilingSortField.DATE: spec.date,
        FilingSortField.SIGNED: f"{spec.via}signed_on",
        FilingSortField.AMOUNT: spec.amount,
        FilingSortField.DISTRICT: "district_id",
    }[order.by]
    sign = "-" if order.direction is SortDirection.DESC else ""
    keys = ["sort_missing", f"{sign}{sort}", f"{sign}id"]
    # Literal 0/1 (not parameters: asyncpg would have to guess their type).
    one, zero = RawSQL("1"), RawSQL("0")
    qs = qs.annotate(sort_missing=Case(When(**{f"{sort}__isnull": True}, then=one), default=zero))  # type: ignore[arg-type]
    if late is not None:
        qs = qs.annotate(sort_late=Case(When(late, then=zero), default=one))  # type: ignore[arg-type]
        keys.insert(0, "sort_late")
    rows = await qs.order_by(*keys).offset(start).limit(limit + 1)
    edges = [edge(cursor=_cursor(start + i), node=convert(row)) for i, row in enumerate(rows[:limit])]
    info = PageInfo(
        has_next_page=len(rows) > limit,
        has_previous_page=start > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return edges, info


def _once(fn: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    """``fn`` awaited at most once (``totalCount`` and ``totals`` share one statement)."""
    result: list[T] = []

    async def run() -> T:
        if not result:
            result.append(await fn())
        return result[0]

    return run


async def _list(
    info: Info,
    spec: _Spec,
    f: FilingFilter | None,
    order: FilingOrder | None,
    first: int | None,
    after: str | None,
    convert: Callable[[Any], T],
    totals: Callable[[QuerySet[Any]], Awaitable[Any]],
    edge: Callable[..., Any],
    connection: Callable[..., C],
) -> C:
    """One page of a finance list: the filtered rows (overdue ones first when asked), totals on demand."""
    order = order or FilingOrder()
    qs = _filtered(info.context.principal, spec, f)
    wants_overdue = f is not None and f.overdue is not None and spec is not PAYMENTS
    overdue_first = order.overdue_first and spec is not PAYMENTS
    late_q: Q | None = None
    if wants_overdue or overdue_first:
        late_q = Q(id__in=await _late_filings(qs)) if spec is CONTRACT_FILINGS else Q(report_sent_on__isnull=True)
    if wants_overdue and late_q is not None:
        qs = qs.filter(late_q if f.overdue else ~late_q)  # type: ignore[union-attr]
    edges, page_info = await _page(qs, spec, order, late_q if overdue_first else None, first, after, convert, edge)
    filtered = qs
    return connection(edges=edges, page_info=page_info, totals_fn=_once(lambda: totals(filtered)))


def _flat(qs: QuerySet[Any]) -> QuerySet[Any]:
    """The rows of ``qs`` without its joins: Tortoise groups an aggregate over a joined queryset by every column,
    so totals select from ``id IN (subquery)`` instead."""
    return qs.model.filter(id__in=Subquery(qs.values("id")))


async def _filing_totals(qs: QuerySet[Any]) -> ContractFilingTotals:
    """Count, filed, overdue and the amounts plus signed amendments: three statements."""
    row = (
        await _flat(qs)
        .annotate(n=Count("id"), filed=Count("id", _filter=Q(filed_on__isnull=False)), cents=SumCents("amount"))
        .values("n", "filed", "cents")
    )[0]
    deltas = await (
        AmendmentRow.filter(status=AmendmentStatus.SIGNED, contract_id__in=Subquery(qs.values("id")))
        .annotate(cents=SumCents("amount_delta"))
        .values("cents")
    )
    return ContractFilingTotals(
        count=row["n"],
        amount=from_cents(row["cents"]) + (from_cents(deltas[0]["cents"]) if deltas else ZERO),
        filed=row["filed"],
        overdue=len(await _late_filings(qs)) if row["n"] else 0,
    )


async def _acceptance_totals(qs: QuerySet[Any]) -> AcceptanceReportTotals:
    """Counts by result and report, and the amounts of the contracts accepted (each once): two statements."""
    row = (
        await _flat(qs)
        .annotate(
            n=Count("id"),
            passed=Count("id", _filter=Q(result=AcceptanceResult.PASS)),
            failed=Count("id", _filter=Q(result=AcceptanceResult.FAIL)),
            reported=Count("id", _filter=Q(report_sent_on__isnull=False)),
        )
        .values("n", "passed", "failed", "reported")
    )[0]
    amounts = await (
        ContractRow.filter(id__in=Subquery(qs.values("contract_id"))).annotate(cents=SumCents("amount")).values("cents")
    )
    return AcceptanceReportTotals(
        count=row["n"],
        passed=row["passed"],
        failed=row["failed"],
        reported=row["reported"],
        contract_amount=from_cents(amounts[0]["cents"]) if amounts else ZERO,
    )


async def _payment_totals(qs: QuerySet[Any]) -> PaymentTotals:
    """Count and amount: one statement."""
    row = (await _flat(qs).annotate(n=Count("id"), cents=SumCents("amount")).values("n", "cents"))[0]
    return PaymentTotals(count=row["n"], amount=from_cents(row["cents"]))


@strawberry.type(description="A page of contract filings with the totals of the whole filtered list. 合同备案分页。")
class ContractFilingConnection(FilingConnection[ContractFilingEdge, Contract, ContractFilingTotals]):
    """Contract filings."""


@strawberry.type(description="A page of acceptance reports with the totals of the whole filtered list. 验收分页。")
class AcceptanceReportConnection(FilingConnection[AcceptanceReportEdge, Acceptance, AcceptanceReportTotals]):
    """Acceptance reports."""


@strawberry.type(description="A page of payments with the totals of the whole filtered list. 付款分页。")
class PaymentRecordConnection(FilingConnection[PaymentRecordEdge, Payment, PaymentTotals]):
    """Payments."""


@strawberry.type(
    description="Filings across districts for the finance bureau (财政局): contract filings, acceptance reports, "
    "payments. District users see their own district; contractors nothing. 财政备案查询。"
)
class FinanceView:
    """The finance lists."""

    @strawberry.field(
        description="Signed contracts and their filing with finance (备案, due 7 working days after signing, "
        "rule 7): `filedOn`, `filingDue`, `filingOverdue` on each contract. 合同备案。"
    )
    async def contract_filings(
        self, info: Info, filter: FilterArg = None, order_by: OrderArg = None, first: First = 20, after: After = None
    ) -> ContractFilingConnection:
        """Contract filings."""
        return await _list(
            info,
            CONTRACT_FILINGS,
            filter,
            order_by,
            first,
            after,
            converter(Contract),
            _filing_totals,
            ContractFilingEdge,
            ContractFilingConnection,
        )

    @strawberry.field(
        description="Acceptances and their report to finance (验收材料报送财政, Art. 9(6)): `reportSentOn`, result, "
        "score, grade. 验收报告。"
    )
    async def acceptance_reports(
        self, info: Info, filter: FilterArg = None, order_by: OrderArg = None, first: First = 20, after: After = None
    ) -> AcceptanceReportConnection:
        """Acceptance reports."""
        return await _list(
            info,
            ACCEPTANCE_REPORTS,
            filter,
            order_by,
            first,
            after,
            converter(Acceptance),
            _acceptance_totals,
            AcceptanceReportEdge,
            AcceptanceReportConnection,
        )

    @strawberry.field(description="Payments to contractors (rule 8). 付款。")
    async def payments(
        self, info: Info, filter: FilterArg = None, order_by: OrderArg = None, first: First = 20, after: After = None
    ) -> PaymentRecordConnection:
        """Payments."""
        return await _list(
            info,
            PAYMENTS,
            filter,
            order_by,
            first,
            after,
            converter(Payment),
            _payment_totals,
            PaymentRecordEdge,
            PaymentRecordConnection,
        )


@strawberry.type(description="The finance bureau's cross-district view. 财政查询。")
class FinanceQuery:
    """Root field for the finance view; merged into ``Query``."""

    @strawberry.field(
        description="Filings across districts: finance (city: all districts; a district's finance: its own) and "
        "the city bureau; district users their own district; contractors nothing. 财政备案查询。"
    )
    def finance(self) -> FinanceView:
        """The finance lists."""
        return FinanceView()
