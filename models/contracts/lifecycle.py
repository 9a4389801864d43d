"""Signing, publication (公示), filing (备案), performance and termination: DRAFT → SIGNED → PUBLISHED → FILED →
IN_PERFORMANCE, and TERMINATED from any active state (DOMAIN.md §3)."""

from __future__ import annotations

import datetime as dt

from tortoise.backends.base.client import BaseDBAsyncClient

from models.contracts.amounts import _plan_budget_problem
from models.contracts.checks import (
    ACTIVE_STATES,
    REQUIRED_CONTENT,
    _raise,
    _require_state,
    content_problems,
    date_problem,
    term_problems,
)
from models.contracts.records import Contract
from models.enums import ContractStatus
from models.lifecycle import create_recorded, transition
from models.rules import Actor, Problem, RuleViolation
from models.timeutil import today

# Plans, procurement and ledgers are imported where used: those modules may come to import this one.


async def sign_contract(
    contract: Contract, *, signed_on: dt.date | None, actor: Actor, conn: BaseDBAsyncClient
) -> Contract:
    """购买主体 signs: DRAFT → SIGNED. Rule 6 (第九条第（四）项): all content present, term ≤ 1 year
    (≤ 3 years with a reason). Two concurrent signatures: the compare-and-set lets exactly one through."""
    from models.procurement import ProcurementLot

    _require_state(contract, (ContractStatus.DRAFT,), "签订合同")

    day = signed_on or today()
    awarded = None
    if contract.lot_id is not None:
        awarded = (await ProcurementLot.get(pk=contract.lot_id).using_db(conn)).awarded_on
    problems = content_problems({name: getattr(contract, name) for name in REQUIRED_CONTENT})
    problems += term_problems(contract.service_start, contract.service_end, contract.term_reason)
    if (p := date_problem(day, "signedOn", today=today(), not_before=awarded, label="签订日期")) is not None:
        problems.append(p)
    _raise(problems)
    if (p := await _plan_budget_problem(contract, contract.amount, conn, counted=False)) is not None:
        raise RuleViolation(p)
    return await transition(
        contract,
        allowed_from=[ContractStatus.DRAFT],
        to=ContractStatus.SIGNED,
        action="签订合同",
        actor=actor,
        conn=conn,
        updates={"signed_on": day},
    )


async def publish_contract(
    contract: Contract, *, published_on: dt.date | None, actor: Actor, conn: BaseDBAsyncClient
) -> Contract:
    """实施主体 publishes the signed contract (公示): SIGNED → PUBLISHED. Late is flagged (rule 7), not refused."""
    _require_state(contract, (ContractStatus.SIGNED,), "公示合同")
    day = published_on or today()
    if (
        p := date_problem(day, "publishedOn", today=today(), not_before=contract.signed_on, label="公示日期")
    ) is not None:
        raise RuleViolation(p)
    return await transition(
        contract,
        allowed_from=[ContractStatus.SIGNED],
        to=ContractStatus.PUBLISHED,
        action="公示合同",
        actor=actor,
        conn=conn,
        updates={"published_on": day},
    )


async def file_contract(
    contract: Contract, *, filed_on: dt.date | None, actor: Actor, conn: BaseDBAsyncClient
) -> Contract:
    """财政 records the filing (备案): PUBLISHED → FILED. Late is flagged (rule 7), not refused."""
    _require_state(contract, (ContractStatus.PUBLISHED,), "合同备案")
    day = filed_on or today()
    if (
        p := date_problem(day, "filedOn", today=today(), not_before=contract.published_on, label="备案日期")
    ) is not None:
        raise RuleViolation(p)
    return await transition(
        contract,
        allowed_from=[ContractStatus.PUBLISHED],
        to=ContractStatus.FILED,
        action="合同备案",
        actor=actor,
        conn=conn,
        updates={"filed_on": day},
    )


async def start_performance(contract: Contract, *, actor: Actor, conn: BaseDBAsyncClient) -> Contract:
    """FILED → IN_PERFORMANCE, and open the contractor's service ledger (台账, Art. 14) if there is none."""
    from models.ledgers import Ledger

    _require_state(contract, (ContractStatus.FILED,), "开始履约")

    contract = await transition(
        contract,
        allowed_from=[ContractStatus.FILED],
        to=ContractStatus.IN_PERFORMANCE,
        action="开始履约",
        actor=actor,
        conn=conn,
    )
    if not await Ledger.filter(contract_id=contract.pk).using_db(conn).exists():
        await create_recorded(
            Ledger,
            actor=actor,
            conn=conn,
            note="开始履约，建立服务台账",
            contract_id=contract.pk,
            district_id=contract.district_id,
            contractor_id=contract.contractor_id,
        )
    return contract


async def terminate_contract(
    contract: Contract, *, reason: str, terminated_on: dt.date | None, actor: Actor, conn: BaseDBAsyncClient
) -> Contract:
    """购买主体 terminates an active contract, with a reason (DOMAIN.md §3)."""
    _require_state(contract, ACTIVE_STATES, "终止合同")
    reason = (reason or "").strip()
    day = terminated_on or today()
    problems = [] if reason else [Problem("REQUIRED", "终止合同必须说明理由。", "reason")]
    if (
        p := date_problem(day, "terminatedOn", today=today(), not_before=contract.signed_on, label="终止日期")
    ) is not None:
        problems.append(p)
    _raise(problems)
    return await transition(
        contract,
        allowed_from=ACTIVE_STATES,
        to=ContractStatus.TERMINATED,
        action="终止合同",
        actor=actor,
        conn=conn,
        updates={"terminated_on": day, "termination_reason": reason},
        note=f"终止合同：{reason}",
    )
