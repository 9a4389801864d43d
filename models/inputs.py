"""What every text and decimal input must be, wherever it arrives (GraphQL arguments, ledger imports): the one
list of multi-line fields, the characters no text may hold, and the range and wire format of decimals.

Text: no C0 control character (U+0000–U+001F), no DEL (U+007F) and no lone surrogate (U+D800–U+DFFF), in any
field. NUL cannot be stored by PostgreSQL at all, and the others break the XLSX exports of a whole district.
Tab, line feed and carriage return are allowed only in the fields of :data:`MULTILINE_FIELDS` (free prose such
as service content, findings, reasons).

Decimals (money in yuan, quantities, scores, hours): a JSON string of plain decimal digits (``"463400.00"``),
finite, within ±:data:`MAX_DECIMAL` — the widest decimal column (``MoneyField``: 16 digits, 2 decimal places),
so that rounding to fen can never fail. How many places a field allows is the field's own rule (money and
quantities 2, training hours 1), checked where that field is, with that field's error.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

INVALID_TEXT = "INVALID_TEXT"
INVALID_AMOUNT = "INVALID_AMOUNT"

#: Input fields (GraphQL camelCase names; also the keys of a contract amendment's ``changes``) whose text may
#: span lines: tab, line feed and carriage return are allowed there and nowhere else.
MULTILINE_FIELDS = frozenset(
    {
        # ledgers (第十四条)
        "content",
        "outcome",
        "purpose",
        "reason",
        # plans and procurement
        "requirements",
        "serviceStandard",
        "goals",
        "acceptanceStandards",
        "singleSourceJustification",
        "comment",
        # contracts
        "scope",
        "quantity",
        "qualityRequirements",
        "paymentMethod",
        "rightsObligations",
        "breachLiability",
        "termReason",
        "condition",
        "findings",
        # contractors, staffing
        "description",
        "workload",
    }
)

_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_FORBIDDEN_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str, field: str, label: str) -> str | None:
    """Why ``value`` may not be stored in input field ``field`` (named ``label`` to the user), or ``None``."""
    pattern = _FORBIDDEN_MULTILINE if field in MULTILINE_FIELDS else _FORBIDDEN
    found = pattern.search(value)
    if found is None:
        return None
    char = found.group()
    point = f"U+{ord(char):04X}"
    if char in "\t\n\r":
        return f"{label}是单行文本，不能包含换行符或制表符（{point}）。"
    if "\ud800" <= char <= "\udfff":
        return f"{label}含有无效的Unicode字符（孤立的代理项 {point}），请重新输入。"
    return f"{label}含有不可见的控制字符（{point}），请删除后重试。"


#: The largest magnitude a decimal input may have: the widest decimal column (16 digits, 2 decimal places).
MAX_DECIMAL = Decimal("99999999999999.99")
#: A decimal as clients send it: optional minus, digits, optional fraction (no exponent, no spaces).
DECIMAL_PATTERN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
MAX_DECIMAL_CHARS = 40
DECIMAL_RULE = '以字符串写出的十进制数（如 "463400.00"），绝对值不超过99,999,999,999,999.99；金额与数量最多两位小数'


class DecimalInputError(ValueError):
    """A decimal input refused before any rule sees it; ``code`` is ``INVALID_AMOUNT``."""

    code = INVALID_AMOUNT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def decimal_problem(value: Decimal) -> str | None:
    """Why ``value`` is not a decimal any field can hold (NaN, infinite, too large), or ``None``."""
    if not value.is_finite():
        return f"“{value}”不是有限的数：应为{DECIMAL_RULE}。"
    if abs(value) > MAX_DECIMAL:
        return f"数值超出允许范围：应为{DECIMAL_RULE}。"
    return None


def checked_decimal(value: Decimal) -> Decimal:
    """``value`` when :func:`decimal_problem` finds nothing, else :class:`DecimalInputError`."""
    problem = decimal_problem(value)
    if problem is not None:
        raise DecimalInputError(problem)
    return value


def parse_decimal(value: object) -> Decimal:
    """A decimal in its wire format (a string such as ``"463400.00"``); :class:`DecimalInputError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, str):
        shown = str(value)[:MAX_DECIMAL_CHARS]
        raise DecimalInputError(f"金额与数量须以JSON字符串传送（收到数字 {shown}）：应为{DECIMAL_RULE}。")
    if len(value) > MAX_DECIMAL_CHARS or DECIMAL_PATTERN.fullmatch(value) is None:
        shown = value[:MAX_DECIMAL_CHARS].encode("unicode_escape").decode("ascii")
        raise DecimalInputError(f"“{shown}”不是十进制数：应为{DECIMAL_RULE}。")
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise DecimalInputError(f"不是十进制数：应为{DECIMAL_RULE}。") from None
    return checked_decimal(number)
