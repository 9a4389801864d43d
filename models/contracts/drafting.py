"""Draft and edit a contract (DRAFT): terms, contract number, catalogue items and payment schedule.

The content may still be incomplete here; rule 6 (第九条第（四）项) is checked at signing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from models.base import money
from models.catalogue import CatalogueItem
from models.contracts.amounts import lock_contract
from models.contracts.checks import (
    ART_CATALOGUE,
    ART_CONTRACT,
    MAX_CATALOGUE_ITEMS,
    InstalmentSpec,
    _owned_by,
    _raise,
    _require_state,
    instalment_problems,
    money_problem,
    period_problems,
    text_problems,
)
from models.contracts.records import Contract, PaymentInstalment
from models.enums import ChangeAction, ContractStatus, LotStatus
from models.history import record_change, snapshot
from models.lifecycle import create_recorded, update_fields
from models.rules import Actor, Problem, refuse

if TYPE_CHECKING:
    from models.procurement import ProcurementLot

# Plans, procurement and ledgers are imported where used: those modules may come to import this one.


def _exceeds_award(award: Decimal) -> Problem:
    return Problem("AMOUNT_EXCEEDS_AWARD", f"合同金额不能超过成交金额{award}元。", "amount", ART_CONTRACT)


async def _catalogue_problems(project_id: int, item_ids: list[int], conn: BaseDBAsyncClient) -> list[Problem]:
    """1–20 catalogue items, each bought by the project's plan lines (rule 2, 第八条)."""
    from models.plans import PlanLine

    if not 1 <= len(item_ids) <= MAX_CATALOGUE_ITEMS:
        return [Problem("INVALID", f"服务项目应有1至{MAX_CATALOGUE_ITEMS}项。", "catalogueItems")]

    allowed = set(
        await PlanLine.filter(projects__id=project_id).using_db(conn).values_list("catalogue_item_id", flat=True)
    )
    outside = [i for i in item_ids if i not in allowed]
    if outside:
        return [
            Problem(
                "CATALOGUE_ITEM_NOT_IN_PLAN",
                "服务项目必须是该采购项目所依据计划明细中的目录项目。",
                "catalogueItems",
                ART_CATALOGUE,
            )
        ]
    return []


async def _code_for(
    lot: ProcurementLot | Contract, code: str | None, conn: BaseDBAsyncClient, *, exclude: int | None = None
) -> str:
    """The contract number: the one given (must be unused) or the next ``TZ-<district>-<year>-NNN``."""
    from models.plans import PurchasePlan
    from models.procurement import ProcurementProject

    taken = Contract.filter().using_db(conn)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if code is not None:
        if await taken.filter(code=code).exists():
            raise refuse("CODE_TAKEN", f"合同编号“{code}”已被使用。", field="code")
        return code

    project = await ProcurementProject.get(pk=lot.project_id, using_db=conn)
    plan = await PurchasePlan.get(pk=project.plan_id, using_db=conn)
    prefix = f"TZ-{lot.district_id}-{plan.year}-"
    used = set(await taken.filter(code__startswith=prefix).values_list("code", flat=True))
    n = len(used) + 1
    while f"{prefix}{n:03d}" in used:
        n += 1
    return f"{prefix}{n:03d}"


async def _replace_instalments(
    contract: Contract, specs: list[InstalmentSpec], *, actor: Actor, conn: BaseDBAsyncClient
) -> None:
    old = await PaymentInstalment.filter(contract_id=contract.pk).using_db(conn)
    for row in old:
        await record_change(
            row, ChangeAction.DELETE, actor_id=actor.user_id, actor_name=actor.name, before=snapshot(row), using_db=conn
        )
    await PaymentInstalment.filter(contract_id=contract.pk).using_db(conn).delete()
    for n, spec in enumerate(specs, start=1):
        await create_recorded(
            PaymentInstalment,
            actor=actor,
            conn=conn,
            **_owned_by(contract),
            sequence=n,
            amount=money(spec.amount),
            trigger=spec.trigger,
            condition=spec.condition.strip(),
            is_final=spec.is_final,
        )


def _clean_terms(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}


async def draft_contract(
    lot: ProcurementLot,
    *,
    terms: dict[str, Any],
    code: str | None,
    item_ids: list[int],
    instalments: list[InstalmentSpec],
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> Contract:
    """Draft the contract of an awarded lot (Art. 9(4): "承接主体确定后…签订购买服务合同").

    The contractor is the lot's awarded contractor and the amount at most the award; a lot has at most one
    contract that is not terminated. The content may still be incomplete: rule 6 is checked at signing.
    """
    from models.procurement import ProcurementLot

    lot = await ProcurementLot.select_for_update().using_db(conn).get(pk=lot.pk)
    if lot.status != LotStatus.AWARDED or lot.awarded_contractor_id is None or lot.award_amount is None:
        raise refuse("LOT_NOT_AWARDED", "该分包尚未确定承接主体，不能起草合同。", field="lot", article=ART_CONTRACT)
    live = Contract.filter(lot_id=lot.pk).exclude(status=ContractStatus.TERMINATED).using_db(conn)
    if await live.exists():
        raise refuse("LOT_ALREADY_CONTRACTED", "该分包已有未终止的合同。", field="lot")
    values = _clean_terms(terms)
    code = code.strip() if code is not None else None
    problems = text_problems({**values, "code": code})
    if not (values.get("title") or ""):
        problems.append(Problem("REQUIRED", "合同名称不能为空。", "title"))
    if code == "":
        problems.append(Problem("REQUIRED", "合同编号不能为空（不填则自动生成）。", "code"))
    amount = values.get("amount")
    amount_problem = money_problem(amount, "amount", label="合同金额")
    if amount_problem is not None:
        problems.append(amount_problem)
    elif amount > lot.award_amount:
        problems.append(_exceeds_award(lot.award_amount))
    problems += period_problems(values.get("service_start"), values.get("service_end"))
    problems += instalment_problems(None if amount_problem else amount, instalments)
    problems += await _catalogue_problems(lot.project_id, item_ids, conn)
    _raise(problems)
    code = await _code_for(lot, code, conn)
    try:
        contract = await create_recorded(
            Contract,
            actor=actor,
            conn=conn,
            note="起草合同",
            district_id=lot.district_id,
            contractor_id=lot.awarded_contractor_id,
            project_id=lot.project_id,
            lot_id=lot.pk,
            code=code,
            status=ContractStatus.DRAFT,
            **{k: v for k, v in values.items() if v is not None},
        )
    except IntegrityError as exc:
        raise refuse("CODE_TAKEN", f"合同编号“{code}”已被使用，请重试。", field="code") from exc
    await _set_items(contract, item_ids, conn)
    await _replace_instalments(contract, instalments, actor=actor, conn=conn)
    return contract


async def _set_items(contract: Contract, item_ids: list[int], conn: BaseDBAsyncClient) -> None:

    await contract.catalogue_items.clear(using_db=conn)
    items = await CatalogueItem.filter(pk__in=item_ids).using_db(conn)
    await contract.catalogue_items.add(*items, using_db=conn)


async def update_contract(
    contract: Contract,
    *,
    terms: dict[str, Any],
    code: str | None,
    item_ids: list[int] | None,
    instalments: list[InstalmentSpec] | None,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> Contract:
    """Edit a DRAFT contract; given fields replace the old ones (catalogue items and schedule as a whole)."""
    from models.procurement import ProcurementLot

    contract = await lock_contract(contract, conn)
    _require_state(contract, (ContractStatus.DRAFT,), "修改合同")
    values = _clean_terms(terms)
    changes = {k: v for k, v in values.items() if getattr(contract, k) != v}
    code = code.strip() if code is not None else None
    if code is not None and code != contract.code:
        changes["code"] = code
    if not changes and item_ids is None and instalments is None:
        raise refuse("NOTHING_TO_CHANGE", "没有需要修改的内容。")
    problems = text_problems({**values, "code": code})
    if "title" in values and not values["title"]:
        problems.append(Problem("REQUIRED", "合同名称不能为空。", "title"))
    if code == "":
        problems.append(Problem("REQUIRED", "合同编号不能为空。", "code"))
    amount = values.get("amount", contract.amount)
    if "amount" in values:
        lot = await ProcurementLot.get_or_none(pk=contract.lot_id, using_db=conn) if contract.lot_id else None
        if (p := money_problem(amount, "amount", label="合同金额")) is not None:
            problems.append(p)
        elif lot is not None and lot.award_amount is not None and amount > lot.award_amount:
            problems.append(_exceeds_award(lot.award_amount))
    start = values.get("service_start", contract.service_start)
    end = values.get("service_end", contract.service_end)
    problems += period_problems(start, end)
    if instalments is None:
        stored = await PaymentInstalment.filter(contract_id=contract.pk).using_db(conn)
        specs = [InstalmentSpec(i.amount, i.trigger, i.condition, i.is_final) for i in stored]
    else:
        specs = instalments
    if not any(p.field == "amount" for p in problems):
        problems += instalment_problems(amount, specs)
    if item_ids is not None:
        problems += await _catalogue_problems(contract.project_id, item_ids, conn)
    _raise(problems)
    if "code" in changes:
        await _code_for(contract, changes["code"], conn, exclude=contract.pk)
    if changes:
        try:
            contract = await update_fields(contract, changes, actor=actor, conn=conn, note="修改合同草稿")
        except IntegrityError as exc:
            raise refuse("CODE_TAKEN", "合同编号已被使用。", field="code") from exc
    else:
        await record_change(
            contract,
            ChangeAction.UPDATE,
            actor_id=actor.user_id,
            actor_name=actor.name,
            before=snapshot(contract),
            note="修改合同草稿（服务项目/付款计划）",
            using_db=conn,
        )
    if item_ids is not None:
        await _set_items(contract, item_ids, conn)
    if instalments is not None:
        await _replace_instalments(contract, instalments, actor=actor, conn=conn)
    return contract
