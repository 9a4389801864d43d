"""Procurement mutations (采购项目, Art. 9(2)–(3); 分包, Art. 5; rules 3, 4, 5).

The district's implementing agency (实施主体) runs a procurement: it creates a project from lines of an
APPROVED plan, sets the method, publishes the notice, awards each lot to an eligible contractor, and
declares 流标 (then republishes). Resolvers only find rows, check the policy and convert refusals; the
rules live in :mod:`models.procurement`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, TypeVar

import strawberry
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from models import Contractor as ContractorRow
from models import ProcurementLot as LotRow
from models import ProcurementProject as ProjectRow
from models import PurchasePlan as PlanRow
from models import procurement as rules
from models.rules import Actor, RuleViolation, refuse
from policies.principal import Principal
from schema import enums
from schema.base import converter, from_row
from schema.context import Info
from schema.errors import ClientError
from schema.filters import pk_of
from schema.mutation_support import (
    FORBIDDEN_MESSAGE,
    NOT_FOUND_MESSAGE,
    actor_of,
    errors_of,
    may,
    may_in_district,
    payload_of,
    refused,
    run_in_transaction,
    visible_row,
)
from schema.procurement import ProcurementLot, ProcurementProject

T = TypeVar("T")

# ---------------------------------------------------------------------------------------------------------
# Errors


@strawberry.enum(description="Why a procurement change was refused. 采购项目变更错误码。")
class ProcurementErrorCode(StrEnum):
    """Stable codes; each rule's code names its article in the error's `article`."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_STATE = "INVALID_STATE"
    PLAN_NOT_APPROVED = "PLAN_NOT_APPROVED"
    OVER_APPROVED_BUDGET = "OVER_APPROVED_BUDGET"
    LINE_NOT_IN_PLAN = "LINE_NOT_IN_PLAN"
    LOTS_MISMATCH = "LOTS_MISMATCH"
    CODE_TAKEN = "CODE_TAKEN"
    THRESHOLD_MISSING = "THRESHOLD_MISSING"
    TOO_FEW_INVITED = "TOO_FEW_INVITED"
    JUSTIFICATION_REQUIRED = "JUSTIFICATION_REQUIRED"
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
    ABOVE_THRESHOLD = "ABOVE_THRESHOLD"
    METHOD_NOT_SET = "METHOD_NOT_SET"
    AMOUNT_OVER_BUDGET = "AMOUNT_OVER_BUDGET"
    CONTRACTOR_INELIGIBLE = "CONTRACTOR_INELIGIBLE"
    REASON_REQUIRED = "REASON_REQUIRED"


@strawberry.type(description="A refused procurement change. 采购项目变更错误。")
class ProcurementError:
    """Typed error."""

    code: ProcurementErrorCode = strawberry.field(
        description="Stable error code: NOT_FOUND (absent or hidden), FORBIDDEN (your role may not), INVALID "
        "(bad input), INVALID_STATE (wrong state or lost a race), PLAN_NOT_APPROVED, OVER_APPROVED_BUDGET, "
        "LINE_NOT_IN_PLAN (rule 3), LOTS_MISMATCH (Art. 5), THRESHOLD_MISSING, TOO_FEW_INVITED, "
        "JUSTIFICATION_REQUIRED, APPROVAL_REQUIRED, ABOVE_THRESHOLD, METHOD_NOT_SET (rule 5), AMOUNT_OVER_BUDGET, "
        "CONTRACTOR_INELIGIBLE (rule 4, one per failing Art. 6 condition), REASON_REQUIRED, CODE_TAKEN. 错误码。"
    )
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="Input field at fault (camelCase), if any. 出错字段。")
    article: str | None = strawberry.field(
        description="Article of 泰政办发〔2019〕53号 the rule comes from, e.g. 第九条第（三）项. 依据条款。"
    )


def _error(code: ProcurementErrorCode, message: str, field: str | None) -> ProcurementError:
    return ProcurementError(code=code, message=message, field=field, article=None)


def _not_found(field: str) -> ProcurementError:
    return _error(ProcurementErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, field)


def _forbidden(field: str) -> ProcurementError:
    return _error(ProcurementErrorCode.FORBIDDEN, FORBIDDEN_MESSAGE, field)


# ---------------------------------------------------------------------------------------------------------
# Inputs


@strawberry.input(description="One lot (分包) of a new project. 分包。")
class ProcurementLotInput:
    """New lot."""

    title: str = strawberry.field(description="Lot title, at most 200 characters. 分包名称。")
    budget: Decimal = strawberry.field(description="Lot budget, yuan, > 0, 2 decimals. 分包预算（元）。")


@strawberry.input(
    description="A new procurement project drawing on lines of one APPROVED plan (rule 3), created PREPARING. "
    "新建采购项目。"
)
class CreateProcurementProjectInput:
    """New project."""

    plan: strawberry.ID = strawberry.field(description="Global ID of an APPROVED plan of your district. 计划ID。")
    plan_lines: list[strawberry.ID] = strawberry.field(
        description="Global IDs of the plan lines bought, 1 to 50, all of that one plan. 计划明细ID（1–50条）。"
    )
    code: str | None = strawberry.field(
        default=None,
        description="Project number, at most 40 characters, unique; omitted: CG-<district>-<year>-<seq>. 项目编号。",
    )
    title: str = strawberry.field(description="Title, at most 200 characters. 项目名称。")
    budget: Decimal = strawberry.field(
        description="Budget, yuan, > 0, 2 decimals; within the plan's approved budget and the selected lines. "
        "预算金额（元）。"
    )
    content: str = strawberry.field(description="Main content, at most 5000 characters. 主要内容。")
    acceptance_standards: str = strawberry.field(
        description="Standards the contractor must meet, at most 5000 characters. 承接标准。"
    )
    goals: str = strawberry.field(description="Goals, at most 5000 characters. 目标要求。")
    lots: list[ProcurementLotInput] | None = strawberry.field(
        default=None,
        description="Lots (分包, Art. 5), 1 to 20, budgets summing to the project budget; omitted: one lot for "
        "the whole budget. 分包（1–20个）。",
    )


@strawberry.input(
    description="The procurement method of a PREPARING (or FAILED, before republishing) project (rule 5, "
    "Art. 9(3)). 确定采购方式。"
)
class SetProcurementMethodInput:
    """Method choice."""

    project: strawberry.ID = strawberry.field(description="Global ID of the project. 项目ID。")
    method: enums.ProcurementMethod = strawberry.field(
        description="Procurement method; SELF_ORGANISED (自行采购) only below the decentralised-procurement "
        "threshold of the plan's year. 采购方式。"
    )
    award_criteria: enums.AwardCriteria = strawberry.field(description="Award criteria. 评审方法。")
    invited_suppliers: list[str] = strawberry.field(
        default_factory=list,
        description="Invited suppliers' names, at most 50 (each at most 120 characters); INVITED_TENDER needs "
        "at least 3 different ones. 邀请供应商名单（最多50家）。",
    )
    single_source_justification: str = strawberry.field(
        default="",
        description="Written justification, required for SINGLE_SOURCE, at most 5000 characters. 单一来源采购理由。",
    )
    method_approval_ref: str = strawberry.field(
        default="",
        description="Reference of the approval to use a method other than open tender at or above the open-tender "
        "threshold, at most 200 characters. 非公开招标审批文号。",
    )


@strawberry.input(description="A PREPARING project to publish (its method set). 发布采购公告。")
class PublishProcurementProjectInput:
    """Project to publish."""

    project: strawberry.ID = strawberry.field(description="Global ID of the project. 项目ID。")


@strawberry.input(description="The award of one OPEN lot of a PUBLISHED project (rule 4). 确定成交供应商。")
class AwardProcurementLotInput:
    """Award."""

    lot: strawberry.ID = strawberry.field(description="Global ID of the lot. 分包ID。")
    contractor: strawberry.ID = strawberry.field(
        description="Global ID of the contractor; it must meet every condition of Art. 6. 承接主体ID。"
    )
    amount: Decimal = strawberry.field(
        description="Awarded amount, yuan, > 0, 2 decimals, at most the lot's budget. 成交金额（元）。"
    )
    awarded_on: dt.date | None = strawberry.field(
        default=None,
        description="Award date, not before publication nor after today; omitted: today. 成交日期。",
    )


@strawberry.input(description="Declare a PUBLISHED project failed (流标); its open lots fail. 流标。")
class FailProcurementInput:
    """Failure."""

    project: strawberry.ID = strawberry.field(description="Global ID of the project. 项目ID。")
    reason: str = strawberry.field(description="Why it failed (required), at most 5000 characters. 流标原因。")


@strawberry.input(description="A FAILED project to publish again; its failed lots reopen. 重新发布采购公告。")
class RepublishProcurementProjectInput:
    """Project to republish."""

    project: strawberry.ID = strawberry.field(description="Global ID of the project. 项目ID。")


# ---------------------------------------------------------------------------------------------------------
# Payloads


@strawberry.type(description="Result of `createProcurementProject`.")
class CreateProcurementProjectPayload:
    """New project or errors."""

    project: ProcurementProject | None = strawberry.field(description="The new project; null when refused.")
    errors: list[ProcurementError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `setProcurementMethod`.")
class SetProcurementMethodPayload:
    """Changed project or errors."""

    project: ProcurementProject | None = strawberry.field(description="The project after; null when refused.")
    errors: list[ProcurementError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `publishProcurementProject`.")
class PublishProcurementProjectPayload:
    """Published project or errors."""

    project: ProcurementProject | None = strawberry.field(description="The project after; null when refused.")
    errors: list[ProcurementError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `awardProcurementLot`.")
class AwardProcurementLotPayload:
    """Awarded lot or errors."""

    lot: ProcurementLot | None = strawberry.field(description="The lot after the award; null when refused.")
    project: ProcurementProject | None = strawberry.field(
        description="Its project after the award (AWARDED once every lot is decided); null when refused."
    )
    errors: list[ProcurementError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `failProcurement`.")
class FailProcurementPayload:
    """Failed project or errors."""

    project: ProcurementProject | None = strawberry.field(description="The project after; null when refused.")
    errors: list[ProcurementError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `republishProcurementProject`.")
class RepublishProcurementProjectPayload:
    """Republished project or errors."""

    project: ProcurementProject | None = strawberry.field(description="The project after; null when refused.")
    errors: list[ProcurementError] = strawberry.field(description="Why it was refused; empty on success.")


# ---------------------------------------------------------------------------------------------------------
# Resolvers

Change = Callable[[Actor, BaseDBAsyncClient], Awaitable[T]]


async def _run(principal: Principal, change: Change[T], *, unique_code: bool = False) -> T | RuleViolation:
    """Run ``change`` in one transaction; a rule refusal rolls everything back and is returned.

    With ``unique_code``, losing the race for a project number to a concurrent request is CODE_TAKEN.
    """
    try:
        return await run_in_transaction(lambda conn: change(actor_of(principal), conn))
    except IntegrityError:
        if not unique_code:
            raise
        return refuse("CODE_TAKEN", "项目编号已被使用，请换一个编号。", field="code")


def _errors(exc: RuleViolation) -> list[ProcurementError]:
    return errors_of(exc, ProcurementError, ProcurementErrorCode)


async def _project_for(principal: Principal, global_id: strawberry.ID, action: str) -> ProjectRow | ProcurementError:
    """The project behind ``global_id`` when visible (NOT_FOUND) and ``action`` is allowed (FORBIDDEN)."""
    row = await visible_row(principal, ProjectRow, global_id, "ProcurementProject")
    if row is None:
        return _not_found("project")
    if not may(principal, action, row):
        return _forbidden("project")
    return row


async def create_procurement_project(
    info: Info,
    input: Annotated[CreateProcurementProjectInput, strawberry.argument(description="The new project. 新项目。")],
) -> CreateProcurementProjectPayload:
    """The agency creates a project from lines of one APPROVED plan of its district (rule 3, 第九条第（二）项)."""
    principal = info.context.principal
    plan = await visible_row(principal, PlanRow, input.plan, "PurchasePlan")
    if plan is None:
        return refused(CreateProcurementProjectPayload, _not_found("plan"))
    if not may_in_district(principal, "create", "procurement", plan.district_id):
        return refused(CreateProcurementProjectPayload, _forbidden("plan"))
    if not 1 <= len(input.plan_lines) <= rules.MAX_PLAN_LINES:
        error = _error(ProcurementErrorCode.INVALID, f"请选择1至{rules.MAX_PLAN_LINES}条计划明细。", "planLines")
        return refused(CreateProcurementProjectPayload, error)
    try:
        line_ids = [pk_of(line, "PlanLine") for line in input.plan_lines]
    except ClientError:
        line_ids = []
    if not line_ids or not all(isinstance(pk, int) for pk in line_ids):
        error = _error(ProcurementErrorCode.LINE_NOT_IN_PLAN, "计划明细ID无效。", "planLines")
        return refused(CreateProcurementProjectPayload, error)
    lots = None if input.lots is None else [rules.LotDraft(lot.title, lot.budget) for lot in input.lots]
    draft = rules.ProjectDraft(
        plan_line_ids=line_ids,
        title=input.title,
        budget=input.budget,
        content=input.content,
        acceptance_standards=input.acceptance_standards,
        goals=input.goals,
        code=input.code,
        lots=lots,
    )
    result = await _run(
        principal, lambda actor, conn: rules.create_project(plan, draft, actor=actor, conn=conn), unique_code=True
    )
    return payload_of(CreateProcurementProjectPayload, result, _errors, project=converter(ProcurementProject))


async def set_procurement_method(
    info: Info,
    input: Annotated[SetProcurementMethodInput, strawberry.argument(description="The method. 采购方式。")],
) -> SetProcurementMethodPayload:
    """The agency sets the method of a PREPARING or FAILED project (rule 5, 第九条第（三）项)."""
    principal = info.context.principal
    row = await _project_for(principal, input.project, "edit")
    if isinstance(row, ProcurementError):
        return refused(SetProcurementMethodPayload, row)
    choice = rules.MethodChoice(
        method=input.method,
        award_criteria=input.award_criteria,
        invited_suppliers=list(input.invited_suppliers),
        single_source_justification=input.single_source_justification,
        method_approval_ref=input.method_approval_ref,
    )
    result = await _run(principal, lambda actor, conn: rules.set_method(row, choice, actor=actor, conn=conn))
    return payload_of(SetProcurementMethodPayload, result, _errors, project=converter(ProcurementProject))


async def publish_procurement_project(
    info: Info,
    input: Annotated[PublishProcurementProjectInput, strawberry.argument(description="The project. 项目。")],
) -> PublishProcurementProjectPayload:
    """The agency publishes the notice (第九条第（二）项): PREPARING → PUBLISHED, visible to the public."""
    principal = info.context.principal
    row = await _project_for(principal, input.project, "publish")
    if isinstance(row, ProcurementError):
        return refused(PublishProcurementProjectPayload, row)
    result = await _run(principal, lambda actor, conn: rules.publish_project(row, actor=actor, conn=conn))
    return payload_of(PublishProcurementProjectPayload, result, _errors, project=converter(ProcurementProject))


async def award_procurement_lot(
    info: Info,
    input: Annotated[AwardProcurementLotInput, strawberry.argument(description="The award. 成交结果。")],
) -> AwardProcurementLotPayload:
    """The agency awards an OPEN lot to an eligible contractor (rule 4, 第六条; 第九条第（三）项)."""
    principal = info.context.principal
    lot = await visible_row(principal, LotRow, input.lot, "ProcurementLot")
    if lot is None:
        return refused(AwardProcurementLotPayload, _not_found("lot"))
    if not may(principal, "award", lot):
        return refused(AwardProcurementLotPayload, _forbidden("lot"))
    contractor = await visible_row(principal, ContractorRow, input.contractor, "Contractor")
    if contractor is None:
        return refused(AwardProcurementLotPayload, _not_found("contractor"))
    result = await _run(
        principal,
        lambda actor, conn: rules.award_lot(lot, contractor, input.amount, input.awarded_on, actor=actor, conn=conn),
    )
    if isinstance(result, RuleViolation):
        return refused(AwardProcurementLotPayload, *_errors(result))
    awarded, project = result
    return AwardProcurementLotPayload(
        lot=from_row(ProcurementLot, awarded), project=from_row(ProcurementProject, project), errors=[]
    )


async def fail_procurement(
    info: Info,
    input: Annotated[FailProcurementInput, strawberry.argument(description="The failure. 流标。")],
) -> FailProcurementPayload:
    """The agency declares 流标: PUBLISHED → FAILED with a reason; open lots fail."""
    principal = info.context.principal
    row = await _project_for(principal, input.project, "fail")
    if isinstance(row, ProcurementError):
        return refused(FailProcurementPayload, row)
    result = await _run(principal, lambda actor, conn: rules.fail_project(row, input.reason, actor=actor, conn=conn))
    return payload_of(FailProcurementPayload, result, _errors, project=converter(ProcurementProject))


async def republish_procurement_project(
    info: Info,
    input: Annotated[RepublishProcurementProjectInput, strawberry.argument(description="The project. 项目。")],
) -> RepublishProcurementProjectPayload:
    """The agency publishes a FAILED project again (rules 3 and 5 re-checked); failed lots reopen."""
    principal = info.context.principal
    row = await _project_for(principal, input.project, "publish")
    if isinstance(row, ProcurementError):
        return refused(RepublishProcurementProjectPayload, row)
    result = await _run(principal, lambda actor, conn: rules.republish_project(row, actor=actor, conn=conn))
    return payload_of(RepublishProcurementProjectPayload, result, _errors, project=converter(ProcurementProject))


@strawberry.type(description="Procurement mutations (merged into the root Mutation). 采购项目变更。")
class Mutation:
    """Procurement: create, set method, publish, award, fail, republish."""

    create_procurement_project: CreateProcurementProjectPayload = strawberry.mutation(
        resolver=create_procurement_project,
        description="Create a procurement project from lines of one APPROVED plan, split into lots; PREPARING "
        "(rule 3, Art. 9(2), Art. 5). Implementing agency of the plan's district. 新建采购项目。",
    )
    set_procurement_method: SetProcurementMethodPayload = strawberry.mutation(
        resolver=set_procurement_method,
        description="Set the procurement method of a PREPARING or FAILED project (rule 5, Art. 9(3)). "
        "Implementing agency. 确定采购方式。",
    )
    publish_procurement_project: PublishProcurementProjectPayload = strawberry.mutation(
        resolver=publish_procurement_project,
        description="Publish the notice of a PREPARING project whose method is set: PUBLISHED today, visible to "
        "the public (Art. 9(2)). Implementing agency. 发布采购公告。",
    )
    award_procurement_lot: AwardProcurementLotPayload = strawberry.mutation(
        resolver=award_procurement_lot,
        description="Award an OPEN lot of a PUBLISHED project to a contractor meeting every Art. 6 condition "
        "(rule 4); the project becomes AWARDED when every lot is decided. Implementing agency. 确定成交供应商。",
    )
    fail_procurement: FailProcurementPayload = strawberry.mutation(
        resolver=fail_procurement,
        description="Declare a PUBLISHED project failed (流标) with a reason; its open lots fail. "
        "Implementing agency. 流标。",
    )
    republish_procurement_project: RepublishProcurementProjectPayload = strawberry.mutation(
        resolver=republish_procurement_project,
        description="Publish a FAILED project again (rules 3 and 5 re-checked); its failed lots reopen. "
        "Implementing agency. 重新发布采购公告。",
    )
