"""Identifiers a person can type, one pattern per type, and how to find a row by one.

=====================  ===============================  =========================================================
type                   pattern                          where it comes from
=====================  ===============================  =========================================================
purchase plan          ``JH-<district>-<year>``         derived: a district has one plan per budget year
procurement project    ``CG-<district>-<year>-<nnn>``   generated when none is given (``models.procurement``)
contract               ``TZ-<district>-<year>-<nnn>``   generated when none is given (``models.contracts``)
contractor             18-character credit code         统一社会信用代码 (GB 32100-2015), checked
=====================  ===============================  =========================================================

``<district>`` is the six-digit division code, ``<year>`` the budget year of the plan the project buys from,
``<nnn>`` the sequence within that district and year (001, 002, …). A project or contract given a number of its
own at creation keeps it (unique per type). Lookups by code never bypass scoping: callers apply them to an
already scoped queryset, so another tenant's code finds nothing, exactly like a code that does not exist.
"""

from __future__ import annotations

import re
from typing import Any

from models.identifiers import IdentifierError, validate_uscc

PLAN_PATTERN = "JH-<district>-<year>"
PROJECT_PATTERN = "CG-<district>-<year>-<nnn>"
CONTRACT_PATTERN = "TZ-<district>-<year>-<nnn>"

#: Longest code stored (``code`` columns are 40 characters).
MAX_CODE = 40

_PLAN_CODE = re.compile(r"^JH-(\d{6})-(\d{4})$")


def plan_code(district_id: str, year: int) -> str:
    """``JH-321202-2024``: the human code of a district's plan for ``year``."""
    return f"JH-{district_id}-{year}"


def project_code(district_id: str, year: int, sequence: int) -> str:
    """``CG-321202-2024-001``: the generated number of a procurement project."""
    return f"CG-{district_id}-{year}-{sequence:03d}"


def contract_code(district_id: str, year: int, sequence: int) -> str:
    """``TZ-321202-2024-001``: the generated number of a contract."""
    return f"TZ-{district_id}-{year}-{sequence:03d}"


def code_filter(type_name: str, value: str) -> dict[str, Any] | None:
    """Queryset filter finding the ``type_name`` row with human code ``value``; ``None`` when the type has no
    human code or ``value`` cannot be one (so the caller answers "not found" without a query)."""
    if not isinstance(value, str):
        return None
    code = value.strip()
    if not code or len(code) > MAX_CODE or "\x00" in code:
        return None
    if type_name in ("Contract", "ProcurementProject"):
        return {"code": code}
    if type_name == "Contractor":
        try:
            return {"credit_code": validate_uscc(code)}
        except IdentifierError:
            return None
    if type_name == "PurchasePlan":
        match = _PLAN_CODE.match(code.upper())
        return None if match is None else {"district_id": match[1], "year": int(match[2])}
    return None
