"""Payments (rule 8: pay for performance, 第九条第（六）项): never more than the effective amount, the final
payment only after acceptance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from models.base import money
from models.contracts.acceptance import _close_if_paid
from models.contracts.amounts import effective_amount, lock_contract, paid_total, signed_deltas
from models.contracts.checks import (
    ART_ACCEPTANCE,
    PAYABLE_STATES,
    _owned_by,
    _raise,
    _require_state,
    date_problem,
    money_problem,
)
from models.contracts.records import Contract, Payment, PaymentInstalment
from models.enums import ContractStatus, PaymentTrigger
from models.lifecycle import create_recorded
from models.rules import Actor, Problem, refuse
from models.timeutil import today


async def record_payment(
    contract: Contract,
    *,
    instalment: PaymentInstalment | None,
    amount: Decimal,
    paid_on: dt.date,
    trigger: PaymentTrigger,
    is_final: bool,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> tuple[Payment, Contract]:
    """A payment to the contractor (rule 8, 第九条第（六）项 "按照约定向承接主体支付服务费用").

    - allowed from signing until closed; never on a draft, a closed or a TERMINATED contract (the
      settlement of a terminated contract is outside this system and is refused here);
    - the final payment — flagged final, paying an instalment marked final, or the one that completes the
      effective amount — needs the contract ACCEPTED (ACCEPTANCE_REQUIRED);
    - the total never exceeds the effective amount (OVERPAID). The contract row is locked first, so two
      concurrent payments cannot both pass this check;
    - an ACCEPTED contract that is now fully paid moves to CLOSED in the same transaction.
    """
    contract = await lock_contract(contract, conn)
    _require_state(contract, PAYABLE_STATES, "支付")
    problems: list[Problem] = []
    if (p := money_problem(amount, "amount", label="支付金额")) is not None:
        problems.append(p)
    if p := date_problem(paid_on, "paidOn", today=today(), not_before=contract.signed_on, label="支付日期"):
        problems.append(p)
    if instalment is not None and instalment.contract_id != contract.pk:
        problems.append(Problem("INVALID", "付款分期不属于该合同。", "instalment"))
    _raise(problems)
    final = is_final or (instalment is not None and instalment.is_final)
    paid = await paid_total(contract.pk, conn)
    ceiling = effective_amount(contract.amount, await signed_deltas(contract.pk, conn))
    if paid + amount > ceiling:
        raise refuse(
            "OVERPAID",
            f"已支付{paid}元，本次{money(amount)}元，合计将超过合同金额（含已签订的变更）{ceiling}元。",
            field="amount",
            article=ART_ACCEPTANCE,
        )
    if instalment is not None:
        on_instalment = await paid_total_of_instalment(instalment.pk, conn)
        if on_instalment + amount > instalment.amount:
            raise refuse(
                "INSTALMENT_EXCEEDED",
                f"第{instalment.sequence}期应付{instalment.amount}元，已付{on_instalment}元，本次支付超出该期金额。",
                field="amount",
            )
    final = final or paid + amount == ceiling
    if final and contract.status != ContractStatus.ACCEPTED:
        raise refuse(
            "ACCEPTANCE_REQUIRED",
            "尾款（最后一笔付款）须在验收合格后支付。",
            field="isFinal",
            article=ART_ACCEPTANCE,
        )
    payment = await create_recorded(
        Payment,
        actor=actor,
        conn=conn,
        note="支付",
        **_owned_by(contract),
        instalment_id=instalment.pk if instalment is not None else None,
        amount=money(amount),
        paid_on=paid_on,
        trigger=trigger,
        is_final=final,
    )
    contract = await _close_if_paid(contract, actor=actor, conn=conn)
    return payment, contract


async def paid_total_of_instalment(instalment_id: int, conn: BaseDBAsyncClient) -> Decimal:
    """What has been paid against one instalment."""
    amounts = await Payment.filter(instalment_id=instalment_id).using_db(conn).values_list("amount", flat=True)
    return money(sum((Decimal(a) for a in amounts), Decimal("0.00")))
