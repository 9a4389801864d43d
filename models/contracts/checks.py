"""Business rules of the contract lifecycle (DOMAIN.md §3, rules 6–8): the pure checks and what they share.

Policy articles, the states each service accepts, the required content and editable terms of a contract,
and checks that return :class:`~models.rules.Problem` lists without touching the database. The services
(drafting, lifecycle, amendments, acceptance, payments) run them inside their transaction; every refusal
is a RuleViolation and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from models.base import money
from models.contracts.records import Contract
from models.enums import ContractStatus, PaymentTrigger
from models.lifecycle import state_conflict
from models.rules import Problem, RuleViolation

#: Rule 6: term at most 1 year normally, up to 3 years with a recorded reason.
NORMAL_TERM_DAYS = 366
MAX_TERM_DAYS = 3 * 366

ACTIVE_STATES = (
    ContractStatus.SIGNED,
    ContractStatus.PUBLISHED,
    ContractStatus.FILED,
    ContractStatus.IN_PERFORMANCE,
    ContractStatus.ACCEPTANCE_FAILED,
)

ART_CONTRACT = "第九条第（四）项"  # contract content, publication (公示) and filing (备案)
ART_PERFORMANCE = "第九条第（五）项"  # 督促合同履行
ART_ACCEPTANCE = "第九条第（六）项"  # 验收, report to finance, disclosure, pay as agreed
ART_PLAN = "第九条第（一）项"  # the plan approved by finance is the money that may be spent
ART_CATALOGUE = "第八条"

MAX_CATALOGUE_ITEMS = 20
MAX_INSTALMENTS = 12

#: Contracts whose money is committed against the plan (rule 3): signed and not terminated.
COMMITTED_STATES = (*ACTIVE_STATES, ContractStatus.ACCEPTED, ContractStatus.CLOSED)
#: Payments may be recorded from signing until the contract is closed; never on a draft or a terminated one.
PAYABLE_STATES = (*ACTIVE_STATES, ContractStatus.ACCEPTED)
#: Inspections and acceptances happen while the service runs or is being rectified (Art. 9(5)–(6)).
PERFORMING_STATES = (ContractStatus.IN_PERFORMANCE, ContractStatus.ACCEPTANCE_FAILED)

#: Rule 6: what a contract must contain before it is signed: model field → (input field, Chinese label).
REQUIRED_CONTENT: dict[str, tuple[str, str]] = {
    "scope": ("scope", "购买服务的范围"),
    "subject": ("subject", "标的"),
    "quantity": ("quantity", "数量"),
    "quality_requirements": ("qualityRequirements", "质量要求"),
    "service_start": ("serviceStart", "服务期限（开始日期）"),
    "service_end": ("serviceEnd", "服务期限（结束日期）"),
    "amount": ("amount", "合同金额"),
    "payment_method": ("paymentMethod", "资金支付方式"),
    "rights_obligations": ("rightsObligations", "双方权利义务"),
    "breach_liability": ("breachLiability", "违约责任"),
}

#: Editable contract terms (draft) and their input names; text limits where the column has one.
TERM_FIELDS: dict[str, str] = {
    "title": "title",
    "scope": "scope",
    "subject": "subject",
    "quantity": "quantity",
    "quality_requirements": "qualityRequirements",
    "service_start": "serviceStart",
    "service_end": "serviceEnd",
    "term_reason": "termReason",
    "amount": "amount",
    "payment_method": "paymentMethod",
    "rights_obligations": "rightsObligations",
    "breach_liability": "breachLiability",
}
TEXT_LIMITS = {"title": 200, "quantity": 100, "code": 40}
DATE_FIELDS = frozenset({"service_start", "service_end"})

#: What an amendment may change (input name → model field). The amount changes through ``amount_delta``.
AMENDABLE: dict[str, str] = {
    "serviceStart": "service_start",
    "serviceEnd": "service_end",
    "termReason": "term_reason",
    "amount": "amount",
    "scope": "scope",
    "subject": "subject",
    "quantity": "quantity",
    "qualityRequirements": "quality_requirements",
    "paymentMethod": "payment_method",
    "rightsObligations": "rights_obligations",
    "breachLiability": "breach_liability",
}


@dataclass(frozen=True, slots=True)
class InstalmentSpec:
    """One instalment of a payment schedule as given by the agency (付款计划)."""

    amount: Decimal
    trigger: PaymentTrigger
    condition: str = ""
    is_final: bool = False


def money_problem(value: Decimal | None, field: str, *, label: str = "金额") -> Problem | None:
    """A money input must be a positive amount in whole fen (at most 2 decimal places)."""
    if value is None:
        return Problem("REQUIRED", f"{label}不能为空。", field)
    if not value.is_finite() or value <= 0:
        return Problem("INVALID", f"{label}必须大于0。", field)
    if value != money(value):
        return Problem("INVALID", f"{label}最多保留两位小数（精确到分）。", field)
    return None


def date_problem(
    day: dt.date, field: str, *, today: dt.date, not_before: dt.date | None = None, label: str = "日期"
) -> Problem | None:
    """A date that has happened (not after today) and not before ``not_before``."""
    if day > today:
        return Problem("INVALID_DATE", f"{label}不能晚于今天（{today.isoformat()}）。", field)
    if not_before is not None and day < not_before:
        return Problem("INVALID_DATE", f"{label}不能早于{not_before.isoformat()}。", field)
    return None


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Decimal):
        return value <= 0
    return False


def content_problems(values: dict[str, Any]) -> list[Problem]:
    """Rule 6 (第九条第（四）项): one MISSING_CONTENT problem per required item that is absent."""
    return [
        Problem(
            "MISSING_CONTENT",
            f"合同缺少“{label}”，不能签订（第九条第（四）项要求明确购买服务的范围、标的、数量、质量要求和服务期限、"
            "资金支付方式、双方权利义务及违约责任）。",
            field,
            ART_CONTRACT,
        )
        for name, (field, label) in REQUIRED_CONTENT.items()
        if _blank(values.get(name))
    ]


def term_days(start: dt.date, end: dt.date) -> int:
    """Length of a service period in days, both ends included."""
    return (end - start).days + 1


def period_problems(start: dt.date | None, end: dt.date | None) -> list[Problem]:
    """The service period ends on or after its start."""
    if start is not None and end is not None and end < start:
        return [Problem("INVALID_PERIOD", "服务期结束日期不能早于开始日期。", "serviceEnd", ART_CONTRACT)]
    return []


def term_problems(start: dt.date | None, end: dt.date | None, reason: str) -> list[Problem]:
    """Rule 6: a term of at most 1 year (366 days), up to 3 years only with a recorded reason."""
    problems = period_problems(start, end)
    if problems or start is None or end is None:
        return problems
    days = term_days(start, end)
    if days > MAX_TERM_DAYS:
        return [
            Problem(
                "TERM_TOO_LONG",
                f"服务期为{days}天，超过3年（{MAX_TERM_DAYS}天）的上限。",
                "serviceEnd",
                ART_CONTRACT,
            )
        ]
    if days > NORMAL_TERM_DAYS and not (reason or "").strip():
        return [
            Problem(
                "TERM_REASON_REQUIRED",
                f"服务期为{days}天，超过1年，须填写理由（最长不超过3年）。",
                "termReason",
                ART_CONTRACT,
            )
        ]
    return []


def text_problems(values: dict[str, Any]) -> list[Problem]:
    """Length limits of the contract's text columns."""
    problems = []
    for name, limit in TEXT_LIMITS.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            field = TERM_FIELDS.get(name, name)
            problems.append(Problem("TOO_LONG", f"最多{limit}个字符。", field))
    return problems


def instalment_problems(amount: Decimal | None, specs: list[InstalmentSpec]) -> list[Problem]:
    """A schedule of 1–12 positive instalments that add up to the contract amount; at most one final, last."""
    if not 1 <= len(specs) <= MAX_INSTALMENTS:
        return [Problem("INVALID", f"付款计划应有1至{MAX_INSTALMENTS}期。", "instalments")]
    problems = [
        Problem("INVALID", f"第{n}期{p.message}", "instalments")
        for n, spec in enumerate(specs, start=1)
        if (p := money_problem(spec.amount, "instalments")) is not None
    ]
    if problems:
        return problems
    finals = [n for n, spec in enumerate(specs, start=1) if spec.is_final]
    if len(finals) > 1 or (finals and finals[0] != len(specs)):
        problems.append(Problem("INVALID", "付款计划最多一期尾款，且应为最后一期。", "instalments"))
    total = sum((s.amount for s in specs), Decimal("0.00"))
    if amount is not None and total != amount:
        problems.append(
            Problem(
                "INSTALMENTS_MISMATCH",
                f"各期金额合计{money(total)}元，与合同金额{money(amount)}元不一致。",
                "instalments",
                ART_CONTRACT,
            )
        )
    return problems


def _require_state(contract: Contract, allowed: tuple[ContractStatus, ...], action: str) -> None:
    if contract.status not in allowed:
        raise state_conflict(contract.status, action)


def _owned_by(contract: Contract) -> dict[str, Any]:
    return {"contract_id": contract.pk, "district_id": contract.district_id, "contractor_id": contract.contractor_id}


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise RuleViolation(*problems)
