"""Relay-style connections with ``first``/``after`` (at most 100), keyset cursors and ``totalCount``."""

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

First = Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)]
After = Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)]


@strawberry.type(description="Where a page stands in the whole list. 分页信息。")
class PageInfo:
    """Relay page info."""

    has_next_page: bool = strawberry.field(description="True when more items follow this page.")
    has_previous_page: bool = strawberry.field(description="True when this page was asked for with `after`.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of this page.")
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
    queryset: QuerySet[Any], first: int | None, after: str | None, convert: Callable[[Any], T]
) -> Connection[T]:
    """One page of ``queryset`` in primary-key order (keyset: ``pk > after``)."""
    limit = check_first(first)
    after_pk = decode_cursor(after, queryset.model)
    page_qs = queryset if after_pk is None else queryset.filter(pk__gt=after_pk)
    rows = await page_qs.order_by(queryset.model._meta.pk_attr).limit(limit + 1)
    return build_connection(rows, limit, after_pk, convert, queryset.count)
