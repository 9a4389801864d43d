"""The custom scalars, with their wire formats stated and enforced: ``Date`` and ``DateTime`` (RFC 3339) and
``Decimal`` (a JSON string, see ``docs/scalars/decimal.md``). They replace Strawberry's built-in definitions
through ``StrawberryConfig.scalar_map`` (see :func:`schema.build_schema`), so every argument and input field of
these types passes here: a JSON number for a ``Decimal``, ``NaN``, ``1e400`` or ``1E+30`` is refused before any
resolver runs, with ``extensions.code`` ``INVALID_AMOUNT`` and a Chinese message stating the format and range."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import dateutil.parser
from graphql import GraphQLError, ValueNode, value_from_ast_untyped
from strawberry.types.scalar import ScalarDefinition, scalar

from models.inputs import DecimalInputError, parse_decimal
from schema.errors import ClientError

RFC_3339 = "https://datatracker.ietf.org/doc/html/rfc3339"
#: The Decimal scalar's specification: a page of this repository, by its path from the README (the project has
#: no public web address of its own; the page ships with the source).
DECIMAL_SPEC = "docs/scalars/decimal.md"

T = TypeVar("T")

_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _shown(value: object) -> str:
    return str(value)[:40].encode("unicode_escape").decode("ascii")


def parse_date(value: object) -> dt.date:
    """An RFC 3339 ``full-date`` (``YYYY-MM-DD``) sent as a string."""
    if isinstance(value, str) and _FULL_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ClientError("INVALID_DATE", f'“{_shown(value)}”不是有效日期：应为 YYYY-MM-DD 格式的字符串，如 "2026-03-01"。')


def parse_datetime(value: object) -> dt.datetime:
    """An RFC 3339 ``date-time`` sent as a string (without an offset: China Standard Time, UTC+8)."""
    if isinstance(value, str) and len(value) <= 40:
        try:
            return dateutil.parser.isoparse(value)
        except (ValueError, OverflowError):
            pass
    raise ClientError(
        "INVALID_DATE",
        f'“{_shown(value)}”不是有效时间：应为 RFC 3339 格式的字符串，如 "2026-03-01T08:30:00+08:00"。',
    )


def parse_decimal_input(value: object) -> Decimal:
    """A ``Decimal`` argument: see :func:`models.inputs.parse_decimal`."""
    try:
        return parse_decimal(value)
    except DecimalInputError as exc:
        raise ClientError(exc.code, exc.message) from None


def _isoformat(value: Any) -> str:
    return value.isoformat()


def _literal(parse: Callable[[object], T]) -> Callable[..., T]:
    """``parse`` for a value written in the document, its error located at the literal."""

    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> T:
        try:
            return parse(value_from_ast_untyped(node, variables))
        except ClientError as exc:
            raise GraphQLError(exc.message, node, extensions=exc.extensions) from None

    return parse_literal


DateScalar: ScalarDefinition = scalar(
    name="Date",
    description='A calendar date, RFC 3339 `full-date`, as a JSON string: `"2026-03-01"`. 日期。',
    specified_by_url=RFC_3339,
    serialize=_isoformat,
    parse_value=parse_date,
    parse_literal=_literal(parse_date),
)

DateTimeScalar: ScalarDefinition = scalar(
    name="DateTime",
    description="An instant, RFC 3339 `date-time` with its UTC offset, as a JSON string: "
    '`"2026-03-01T08:30:00+08:00"` (input without an offset is read as China Standard Time, UTC+8). 时间。',
    specified_by_url=RFC_3339,
    serialize=_isoformat,
    parse_value=parse_datetime,
    parse_literal=_literal(parse_datetime),
)

DecimalScalar: ScalarDefinition = scalar(
    name="Decimal",
    description='An exact decimal number as a JSON string, never a JSON number: `"463400.00"`. Money is in yuan '
    "with 2 decimal places; quantities have at most 2, training hours 1. Plain digits with an optional leading "
    "`-` and fraction (no exponent), magnitude at most 99999999999999.99; anything else is refused with "
    "`INVALID_AMOUNT`. 十进制数（字符串）。",
    specified_by_url=DECIMAL_SPEC,
    serialize=str,
    parse_value=parse_decimal_input,
    parse_literal=_literal(parse_decimal_input),
)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    dt.date: DateScalar,
    dt.datetime: DateTimeScalar,
    Decimal: DecimalScalar,
}
