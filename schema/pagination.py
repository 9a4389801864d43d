"""Relay-style connections with ``first``/``after`` (at most 100), keyset cursors and ``totalCount``.

Lists that dashboards page backwards through also take ``last``/``before``: ``last`` alone is the last N items,
read by reversing the order in SQL (``ORDER BY pk DESC LIMIT N+1``) and reversing the page, never by loading the
whole list; ``first`` and ``last`` together are refused (``INVALID_ARGUMENT``).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from tortoise.models import Model
from tortoise.queryset import QuerySet

from schema.errors import InvalidArgument, InvalidCursor

T = TypeVar("T")

MAX_PAGE = 100
DEFAULT_PAGE = 20
FIRST_DESCRIPTION = f"How many to return, 1 to {MAX_PAGE} (default {DEFAULT_PAGE}). 每页条数，最多{MAX_PAGE}。"
AFTER_DESCRIPTION = "Return the items after this cursor (`pageInfo.endCursor` of the previous page). 游标。"

LAST_DESCRIPTION = (
    f"How many to return from the end (or from just before `before`), 1 to {MAX_PAGE}, in the list's own order; "
    "not together with `first`. 从末尾取的条数。"
)
BEFORE_DESCRIPTION = "Return the items before this cursor (`pageInfo.startCursor` of the next page). 向前翻页游标。"

First = Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)]
After = Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)]
Last = Annotated[int | None, strawberry.argument(description=LAST_DESCRIPTION)]
Before = Annotated[str | None, strawberry.argument(description=BEFORE_DESCRIPTION)]


@strawberry.type(description="Where a page stands in the whole list. 分页信息。")
class PageInfo:
    """Relay page info."""

    has_next_page: bool = strawberry.field(
        description="True when more items follow this page (with `last`: when it was asked for with `before`)."
    )
    has_previous_page: bool = strawberry.field(
        description="True when items precede this page (with `first`: when it was asked for with `after`)."
    )
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first item of this page; pass it as `before` to page backwards."
    )
    end_cursor: str | None = strawberry.field(description="Cursor of the last item; pass it as `after`.")


@strawberry.type(description="One item of a page with its cursor.")
class Edge(Generic[T]):
    """Relay edge."""

    cursor: str = strawberry.field(description="Opaque cursor of this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list. 分页列表。")
class Connection(Generic[T]):
    """Relay connection; ``totalCount`` is computed only when asked for."""

    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Pagination state.")
    count_fn: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list (all pages), within what you may see.")
    async def total_count(self) -> int:
        """Total over all pages."""
        return await self.count_fn()

    @strawberry.field(description="The items of this page without cursors (shortcut for `edges { node }`).")
    def nodes(self) -> list[T]:
        """Nodes of this page."""
        return [edge.node for edge in self.edges]


def encode_cursor(pk: object) -> str:
    """Opaque keyset cursor for a primary key."""
    return base64.urlsafe_b64encode(f"k:{pk}".encode()).decode().rstrip("=")


INT_MAX = {"IntField": 2**31 - 1, "BigIntField": 2**63 - 1, "SmallIntField": 2**15 - 1}


def parse_pk(model: type[Model], raw: str) -> Any:
    """``raw`` as a primary key of ``model``, or ``None`` when it cannot be one (wrong type, out of the
    column's range, too long). Untrusted input never reaches the database in a form it would reject."""
    pk = model._meta.pk
    kind = type(pk).__name__
    if kind in INT_MAX:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
            return None
        value = int(raw)
        return value if 1 <= value <= INT_MAX[kind] else None
    if kind == "UUIDField":
        try:
            return uuid.UUID(raw)
        except ValueError:
            return None
    max_length = getattr(pk, "max_length", None)
    if not raw or "\x00" in raw or (max_length is not None and len(raw) > max_length):
        return None
    return raw


def decode_cursor(cursor: str | None, model: type[Model]) -> Any:
    """The primary key in ``cursor``; :class:`InvalidCursor` for anything we did not issue."""
    if cursor is None:
        return None
    if not isinstance(cursor, str) or len(cursor) > 100:
        raise InvalidCursor
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidCursor from exc
    prefix, _, value = raw.partition(":")
    if prefix != "k" or not value:
        raise InvalidCursor
    pk = parse_pk(model, value)
    if pk is None:
        raise InvalidCursor
    return pk


def check_first(first: int | None) -> int:
    """Validate ``first`` (1..100)."""
    if first is None:
        return DEFAULT_PAGE
    if first < 1 or first > MAX_PAGE:
        raise InvalidArgument(f"first 必须在 1 到 {MAX_PAGE} 之间，当前为 {first}。")
    return first


def check_window(first: int | None, last: int | None) -> tuple[int, bool]:
    """The page size and whether the page is read backwards (``last``); ``first`` and ``last`` are exclusive."""
    if first is not None and last is not None:
        raise InvalidArgument("first 与 last 不能同时使用：向后翻页用 first/after，向前翻页用 last/before。")
    if last is None:
        return check_first(first), False
    if last < 1 or last > MAX_PAGE:
        raise InvalidArgument(f"last 必须在 1 到 {MAX_PAGE} 之间，当前为 {last}。")
    return last, True


def build_connection(
    rows: Sequence[Any], first: int, after: object, convert: Callable[[Any], T], count: Callable[[], Awaitable[int]]
) -> Connection[T]:
    """A connection from ``first + 1`` fetched rows (the extra one tells ``hasNextPage``)."""
    page = list(rows[:first])
    edges = [Edge(cursor=encode_cursor(row.pk), node=convert(row)) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_fn=count,
    )


async def paginate(
    queryset: QuerySet[Any],
    first: int | None,
    after: str | None,
    convert: Callable[[Any], T],
    *,
    last: int | None = None,
    before: str | None = None,
) -> Connection[T]:
    """One page of ``queryset`` in primary-key order (keyset: ``after < pk < before``).

    Forwards (``first``): the first N after ``after``. Backwards (``last``): the last N before ``before`` (or of the
    whole list), fetched newest first with one extra row to tell ``hasPreviousPage``, then put back in order.
    ``totalCount`` is always the whole list's.
    """
    limit, backward = check_window(first, last)
    model = queryset.model
    after_pk = decode_cursor(after, model)
    before_pk = decode_cursor(before, model)
    page_qs = queryset
    if after_pk is not None:
        page_qs = page_qs.filter(pk__gt=after_pk)
    if before_pk is not None:
        page_qs = page_qs.filter(pk__lt=before_pk)
    pk = model._meta.pk_attr
    rows = await page_qs.order_by(f"-{pk}" if backward else pk).limit(limit + 1)
    return build_window(rows, limit, backward, after_pk, before_pk, convert, queryset.count)


def build_window(
    rows: Sequence[Any],
    limit: int,
    backward: bool,
    after: object,
    before: object,
    convert: Callable[[Any], T],
    count: Callable[[], Awaitable[int]],
) -> Connection[T]:
    """A connection from ``limit + 1`` fetched rows: in list order when forwards, newest first when backwards
    (then the extra row tells ``hasPreviousPage`` and the page is put back in list order)."""
    if not backward:
        return build_connection(rows, limit, after, convert, count)
    page = list(reversed(rows[:limit]))
    edges = [Edge(cursor=encode_cursor(row.pk), node=convert(row)) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=before is not None,
            has_previous_page=len(rows) > limit,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_fn=count,
    )
