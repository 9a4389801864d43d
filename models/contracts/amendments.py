"""Amendments (合同变更): their own records of the reason and what changes, never silent edits. A signed
amendment leaves the contract row untouched; the effective terms are the contract plus its signed amendments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.base import money
from models.contracts.amounts import _plan_budget_problem, effective_amount, lock_contract, paid_total
from models.contracts.checks import (
    ACTIVE_STATES,
    AMENDABLE,
    ART_ACCEPTANCE,
    DATE_FIELDS,
    TEXT_LIMITS,
    _owned_by,
    _raise,
    _require_state,
    date_problem,
    money_problem,
    term_problems,
)
from models.contracts.records import Contract, ContractAmendment
from models.enums import AmendmentStatus
from models.inputs import INVALID_AMOUNT, decimal_problem
from models.lifecycle import create_recorded, state_conflict, transition
from models.rules import Actor, Problem, RuleViolation, refuse
from models.timeutil import today


def _parse_change(key: str, value: Any) -> Any:
    name = AMENDABLE[key]
    if name in DATE_FIELDS:
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise refuse("INVALID", f"“{key}”应为日期（YYYY-MM-DD）。", field="changes") from None
    if name == "amount":
        try:
            amount = Decimal(str(value))
        except (ArithmeticError, ValueError):
            raise refuse("INVALID", "“amount”应为金额（元）。", field="changes") from None
        if (problem := decimal_problem(amount)) is not None:  # NaN, 1E+30: before rounding, which would fail
            raise refuse(INVALID_AMOUNT, f"“amount”：{problem}", field="changes")
        if (p := money_problem(amount, "changes", label="变更后的合同金额")) is not None:
            raise RuleViolation(p)
        return amount
    if not isinstance(value, str) or not value.strip():
        raise refuse("INVALID", f"“{key}”应为非空文本。", field="changes")
    value = value.strip()
    if len(value) > TEXT_LIMITS.get(name, 10_000):
        raise refuse("TOO_LONG", f"“{key}”最多{TEXT_LIMITS.get(name, 10_000)}个字符。", field="changes")
    return value


async def effective_terms(contract: Contract, conn: BaseDBAsyncClient) -> dict[str, Any]:
    """The contract's amendable terms with its signed amendments applied in signing order."""
    terms: dict[str, Any] = {name: getattr(contract, name) for name in AMENDABLE.values()}
    signed = await ContractAmendment.filter(contract_id=contract.pk, status=AmendmentStatus.SIGNED).using_db(conn)
    for amendment in sorted(signed, key=lambda a: (a.signed_on or dt.date.min, a.pk)):
        for name, change in (amendment.changes or {}).items():
            if name in terms and name != "amount" and isinstance(change, dict) and "after" in change:
                after = change["after"]
                terms[name] = dt.date.fromisoformat(after) if name in DATE_FIELDS and after else after
    terms["amount"] = effective_amount(contract.amount, [a.amount_delta for a in signed])
    return terms


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(money(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def _amendment_problems(
    contract: Contract, terms: dict[str, Any], after: dict[str, Any], delta: Decimal, conn: BaseDBAsyncClient
) -> list[Problem]:
    """An amended contract still keeps rule 6's term and never falls below what has been paid."""
    merged = {**terms, **after}
    problems = term_problems(merged["service_start"], merged["service_end"], merged["term_reason"])
    new_amount = money(terms["amount"] + delta)
    paid = await paid_total(contract.pk, conn)
    if new_amount <= 0 or new_amount < paid:
        problems.append(
            Problem(
                "AMOUNT_BELOW_PAID",
                f"变更后的合同金额{new_amount}元不能低于已支付金额{paid}元，且必须大于0。",
                "amountDelta",
                ART_ACCEPTANCE,
            )
        )
    return problems


async def propose_amendment(
    contract: Contract,
    *,
    reason: str,
    changes: Any,
    amount_delta: Decimal | None,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> ContractAmendment:
    """实施主体 drafts a 合同变更: its own record of the reason and what changes ({field: {before, after}})."""
    contract = await lock_contract(contract, conn)
    _require_state(contract, ACTIVE_STATES, "提出合同变更")
    reason = (reason or "").strip()
    if not reason:
        raise refuse("REQUIRED", "合同变更必须说明理由。", field="reason")
    if changes is None:
        changes = {}
    if not isinstance(changes, dict):
        raise refuse("INVALID", "changes 应为对象：{字段: 新值}。", field="changes")
    unknown = sorted(k for k in changes if k not in AMENDABLE)
    if unknown:
        raise refuse(
            "AMENDMENT_FIELD_NOT_ALLOWED",
            f"不能通过合同变更修改：{'、'.join(map(str, unknown))}。可变更：{'、'.join(AMENDABLE)}。",
            field="changes",
        )
    if amount_delta is not None and (not amount_delta.is_finite() or amount_delta != money(amount_delta)):
        raise refuse("INVALID", "金额变化最多保留两位小数。", field="amountDelta")
    terms = await effective_terms(contract, conn)
    after = {AMENDABLE[k]: _parse_change(k, v) for k, v in changes.items()}
    if "amount" in after:
        derived = money(after.pop("amount") - terms["amount"])
        if amount_delta is not None and amount_delta != derived:
            raise refuse("INVALID", f"amountDelta 与变更后的金额不一致（应为{derived}元）。", field="amountDelta")
        delta = derived
    else:
        delta = money(amount_delta or Decimal("0"))
    after = {k: v for k, v in after.items() if terms[k] != v}
    if not after and delta == 0:
        raise refuse("NOTHING_TO_CHANGE", "变更内容与现行合同相同。", field="changes")
    _raise(await _amendment_problems(contract, terms, after, delta, conn))
    recorded = {k: {"before": _json(terms[k]), "after": _json(v)} for k, v in after.items()}
    if delta != 0:
        recorded["amount"] = {"before": _json(terms["amount"]), "after": _json(terms["amount"] + delta)}
    return await create_recorded(
        ContractAmendment,
        actor=actor,
        conn=conn,
        note=f"提出合同变更：{reason}",
        **_owned_by(contract),
        reason=reason,
        changes=recorded,
        amount_delta=delta,
        status=AmendmentStatus.DRAFT,
    )


async def sign_amendment(
    amendment: ContractAmendment, *, signed_on: dt.date | None, actor: Actor, conn: BaseDBAsyncClient
) -> ContractAmendment:
    """购买主体 signs an amendment: DRAFT → SIGNED. The contract row is untouched; its effective amount
    becomes amount + Σ signed amount_delta. Re-checked under the contract lock against payments made."""
    contract = await lock_contract(await Contract.get(pk=amendment.contract_id).using_db(conn), conn)
    if amendment.status != AmendmentStatus.DRAFT:
        raise state_conflict(amendment.status, "签订合同变更")
    _require_state(contract, ACTIVE_STATES, "签订合同变更")
    day = signed_on or today()
    problems = []
    if (p := date_problem(day, "signedOn", today=today(), not_before=contract.signed_on, label="签订日期")) is not None:
        problems.append(p)
    terms = await effective_terms(contract, conn)
    after = {}
    for name, change in (amendment.changes or {}).items():
        if name != "amount" and name in terms and isinstance(change, dict):
            value = change.get("after")
            after[name] = dt.date.fromisoformat(value) if name in DATE_FIELDS and value else value
    problems += await _amendment_problems(contract, terms, after, amendment.amount_delta, conn)
    _raise(problems)
    if amendment.amount_delta > 0 and (
        p := await _plan_budget_problem(contract, amendment.amount_delta, conn, counted=True)
    ):
        raise RuleViolation(p)
    return await transition(
        amendment,
        allowed_from=[AmendmentStatus.DRAFT],
        to=AmendmentStatus.SIGNED,
        action="签订合同变更",
        actor=actor,
        conn=conn,
        updates={"signed_on": day},
    )
