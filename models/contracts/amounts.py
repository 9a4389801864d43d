"""Amounts: a contract's effective amount (amount + signed amendments, rule 8's ceiling), what has been paid,
the contract row lock that payments and amendment signatures take first, and the plan budget (rule 3)."""

from __future__ import annotations

from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from models.base import money
from models.contracts.checks import ART_PLAN, COMMITTED_STATES
from models.contracts.records import Contract, ContractAmendment, Payment
from models.enums import AmendmentStatus
from models.rules import Problem

# Plans, procurement and ledgers are imported where used: those modules may come to import this one.


def effective_amount(amount: Decimal, signed_deltas: list[Decimal]) -> Decimal:
    """The contract amount plus its signed amendments (rule 8's ceiling)."""
    return money(amount + sum(signed_deltas, Decimal("0.00")))


async def signed_deltas(contract_id: int, conn: BaseDBAsyncClient) -> list[Decimal]:
    """Amount changes of the signed amendments of a contract."""
    rows = await ContractAmendment.filter(contract_id=contract_id, status=AmendmentStatus.SIGNED).using_db(conn)
    return [r.amount_delta for r in rows]


async def paid_total(contract_id: int, conn: BaseDBAsyncClient) -> Decimal:
    """What has been paid on a contract (summed exactly in Python, never as a float)."""
    amounts = await Payment.filter(contract_id=contract_id).using_db(conn).values_list("amount", flat=True)
    return money(sum((Decimal(a) for a in amounts), Decimal("0.00")))


async def lock_contract(contract: Contract, conn: BaseDBAsyncClient) -> Contract:
    """The contract re-read under a row lock (PostgreSQL ``FOR UPDATE``; SQLite transactions are serial).

    Payments and amendment signatures take this lock first, so two of them can never both read the same
    "paid so far" and together overpay.
    """
    return await Contract.select_for_update().using_db(conn).get(pk=contract.pk)


# --- Plan budget (rule 3): signed contracts never exceed the approved plan -----------------------------------


async def committed_amount(plan_id: int, conn: BaseDBAsyncClient, *, exclude: int | None = None) -> Decimal:
    """Effective amounts of the plan's signed, not terminated contracts (rule 3)."""
    contracts = Contract.filter(project__plan_id=plan_id, status__in=list(COMMITTED_STATES)).using_db(conn)
    if exclude is not None:
        contracts = contracts.exclude(pk=exclude)
    rows = await contracts.values_list("id", "amount")
    if not rows:
        return Decimal("0.00")
    deltas = await (
        ContractAmendment.filter(contract_id__in=[r[0] for r in rows], status=AmendmentStatus.SIGNED)
        .using_db(conn)
        .values_list("amount_delta", flat=True)
    )
    return money(sum((Decimal(a) for _, a in rows), Decimal("0.00")) + sum((Decimal(d) for d in deltas), Decimal(0)))


async def _plan_budget_problem(
    contract: Contract, extra: Decimal, conn: BaseDBAsyncClient, *, counted: bool
) -> Problem | None:
    """Rule 3: the plan's contracts never exceed its approved budget. ``counted``: ``contract`` is already
    committed (an amendment); otherwise it is being signed. The plan row is locked so signatures serialise."""
    from models.plans import PurchasePlan
    from models.procurement import ProcurementProject

    project = await ProcurementProject.get(pk=contract.project_id).using_db(conn)
    plan = await PurchasePlan.select_for_update().using_db(conn).get(pk=project.plan_id)
    if plan.approved_budget is None:
        return Problem("PLAN_NOT_APPROVED", "所依据的年度计划尚未经财政审核同意。", None, ART_PLAN)
    committed = await committed_amount(plan.pk, conn, exclude=None if counted else contract.pk)
    if committed + extra > plan.approved_budget:
        return Problem(
            "PLAN_BUDGET_EXCEEDED",
            f"该计划已签订合同{committed}元，再增加{money(extra)}元将超过财政审核同意的预算{plan.approved_budget}元。",
            "amount",
            ART_PLAN,
        )
    return None
