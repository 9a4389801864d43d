"""Performance (督促合同履行, Art. 9(5)) and acceptance (验收, Art. 9(6)): inspections, acceptances, the report
to finance and public disclosure of the result; an accepted contract that is fully paid closes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from models.base import CENT
from models.contracts.amounts import effective_amount, lock_contract, paid_total, signed_deltas
from models.contracts.checks import ART_PERFORMANCE, PERFORMING_STATES, _owned_by, _raise, _require_state, date_problem
from models.contracts.records import Acceptance, Contract, Inspection
from models.enums import AcceptanceResult, ContractStatus
from models.lifecycle import create_recorded, transition, update_fields
from models.rules import Actor, Problem, RuleViolation, refuse
from models.timeutil import today


async def record_inspection(
    contract: Contract,
    *,
    inspected_on: dt.date,
    inspector: str,
    findings: str,
    progress_percent: int,
    rectification_required: bool,
    rectification_due: dt.date | None,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> Inspection:
    """督促合同履行 (第九条第（五）项): a progress inspection while the service runs or is being rectified."""
    contract = await lock_contract(contract, conn)
    _require_state(contract, PERFORMING_STATES, "记录履约检查")
    inspector = (inspector or "").strip()
    problems: list[Problem] = []
    if not inspector:
        problems.append(Problem("REQUIRED", "检查人不能为空。", "inspector"))
    elif len(inspector) > 100:
        problems.append(Problem("TOO_LONG", "检查人最多100个字符。", "inspector"))
    if not 0 <= progress_percent <= 100:
        problems.append(Problem("INVALID", "进度应在0至100之间。", "progressPercent"))
    label = "检查日期"
    if p := date_problem(inspected_on, "inspectedOn", today=today(), not_before=contract.signed_on, label=label):
        problems.append(p)
    if rectification_required and rectification_due is None:
        problems.append(Problem("REQUIRED", "要求整改时须填写整改期限。", "rectificationDue", ART_PERFORMANCE))
    elif rectification_required and rectification_due is not None and rectification_due < inspected_on:
        problems.append(Problem("INVALID_DATE", "整改期限不能早于检查日期。", "rectificationDue"))
    elif not rectification_required and rectification_due is not None:
        problems.append(Problem("INVALID", "未要求整改时不应填写整改期限。", "rectificationDue"))
    _raise(problems)
    return await create_recorded(
        Inspection,
        actor=actor,
        conn=conn,
        note="履约检查",
        **_owned_by(contract),
        inspected_on=inspected_on,
        inspector=inspector,
        findings=(findings or "").strip(),
        progress_percent=progress_percent,
        rectification_required=rectification_required,
        rectification_due=rectification_due,
    )


async def record_acceptance(
    contract: Contract,
    *,
    accepted_on: dt.date,
    panel: str,
    result: AcceptanceResult,
    score: Decimal,
    findings: str,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> tuple[Acceptance, Contract]:
    """验收 (第九条第（六）项): PASS → ACCEPTED, FAIL → ACCEPTANCE_FAILED (rectify, re-inspect, re-accept).

    After a failed acceptance a new one needs an inspection dated after it (RECTIFICATION_NOT_INSPECTED).
    """
    contract = await lock_contract(contract, conn)
    _require_state(contract, PERFORMING_STATES, "记录验收")
    panel = (panel or "").strip()
    problems: list[Problem] = []
    if not panel:
        problems.append(Problem("REQUIRED", "验收小组成员不能为空。", "panel"))
    if not score.is_finite() or not 0 <= score <= 100 or score != score.quantize(CENT):
        problems.append(Problem("INVALID", "绩效评分应在0至100之间，最多两位小数。", "score"))
    previous = await Acceptance.filter(contract_id=contract.pk).using_db(conn).order_by("-accepted_on", "-id").first()
    not_before = previous.accepted_on if previous is not None else contract.signed_on
    if p := date_problem(accepted_on, "acceptedOn", today=today(), not_before=not_before, label="验收日期"):
        problems.append(p)
    _raise(problems)
    if contract.status == ContractStatus.ACCEPTANCE_FAILED and previous is not None:
        rechecked = Inspection.filter(
            contract_id=contract.pk, inspected_on__gt=previous.accepted_on, inspected_on__lte=accepted_on
        ).using_db(conn)
        if not await rechecked.exists():
            raise refuse(
                "RECTIFICATION_NOT_INSPECTED",
                f"上次验收（{previous.accepted_on.isoformat()}）未通过，须在其后对整改情况进行检查，方可重新验收。",
                field="contract",
                article=ART_PERFORMANCE,
            )
    acceptance = await create_recorded(
        Acceptance,
        actor=actor,
        conn=conn,
        note="验收",
        **_owned_by(contract),
        accepted_on=accepted_on,
        panel=panel,
        result=result,
        score=score,
        findings=(findings or "").strip(),
    )
    passed = result == AcceptanceResult.PASS
    contract = await transition(
        contract,
        allowed_from=PERFORMING_STATES,
        to=ContractStatus.ACCEPTED if passed else ContractStatus.ACCEPTANCE_FAILED,
        action="验收通过" if passed else "验收不合格",
        actor=actor,
        conn=conn,
    )
    if passed:
        contract = await _close_if_paid(contract, actor=actor, conn=conn)
    return acceptance, contract


async def _close_if_paid(contract: Contract, *, actor: Actor, conn: BaseDBAsyncClient) -> Contract:
    """ACCEPTED → CLOSED once the effective amount is fully paid (same transaction)."""
    if contract.status != ContractStatus.ACCEPTED:
        return contract
    ceiling = effective_amount(contract.amount, await signed_deltas(contract.pk, conn))
    if await paid_total(contract.pk, conn) < ceiling:
        return contract
    return await transition(
        contract,
        allowed_from=[ContractStatus.ACCEPTED],
        to=ContractStatus.CLOSED,
        action="全额支付，合同关闭",
        actor=actor,
        conn=conn,
    )


async def _lock_acceptance(acceptance: Acceptance, conn: BaseDBAsyncClient) -> Acceptance:
    return await Acceptance.select_for_update().using_db(conn).get(pk=acceptance.pk)


async def report_acceptance(
    acceptance: Acceptance, *, sent_on: dt.date | None, actor: Actor, conn: BaseDBAsyncClient
) -> Acceptance:
    """验收完毕应当将验收材料报同级财政部门 (第九条第（六）项): record the date, once."""
    acceptance = await _lock_acceptance(acceptance, conn)
    if acceptance.report_sent_on is not None:
        raise refuse("INVALID_STATE", "该验收材料已报送财政部门。", field="acceptance")
    day = sent_on or today()
    label = "报送日期"
    if (p := date_problem(day, "sentOn", today=today(), not_before=acceptance.accepted_on, label=label)) is not None:
        raise RuleViolation(p)
    return await update_fields(acceptance, {"report_sent_on": day}, actor=actor, conn=conn, note="验收材料报送财政")


async def publish_acceptance(
    acceptance: Acceptance, *, published_on: dt.date | None, actor: Actor, conn: BaseDBAsyncClient
) -> Acceptance:
    """验收结果向社会公开 (第九条第（六）项): once published, the public reads it."""
    acceptance = await _lock_acceptance(acceptance, conn)
    if acceptance.published_on is not None:
        raise refuse("INVALID_STATE", "该验收结果已公开。", field="acceptance")
    day = published_on or today()
    label = "公开日期"
    if p := date_problem(day, "publishedOn", today=today(), not_before=acceptance.accepted_on, label=label):
        raise RuleViolation(p)
    return await update_fields(acceptance, {"published_on": day}, actor=actor, conn=conn, note="公开验收结果")
