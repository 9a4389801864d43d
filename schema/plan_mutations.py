"""Annual plan mutations (年度购买计划, Art. 9(1), rules 1–2) and the contractors' Art. 6 record.

Plans: the district's implementing agency creates, edits and submits; the finance bureau of the same
level approves or returns (DOMAIN.md §3, §5). The Art. 6 record (attestations, violations) is written by
a district agency or the city civil affairs bureau; eligibility itself stays computed on ``Contractor``.
Both live here because the root ``Mutation`` merges this module's ``Mutation`` (see ``schema/mutation.py``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import strawberry
from tortoise.exceptions import IntegrityError

from models import CatalogueItem as CatalogueItemRow
from models import Contractor as ContractorRow
from models import District as DistrictRow
from models import PlanLine as PlanLineRow
from models import PurchasePlan as PlanRow
from models import contractors as contractor_rules
from models import plans as plan_rules
from models.geography import DISTRICT_CODE_HINT, is_district_code
from models.rules import RuleViolation
from models.timeutil import today
from policies.principal import Principal
from policies.violations import may_record_violation
from schema import enums
from schema.base import converter, from_row
from schema.context import Info
from schema.contractors import Attestation, Contractor, Violation
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
from schema.plans import PlanLine, PurchasePlan

# ---------------------------------------------------------------------------------------------------------
# Errors


@strawberry.enum(description="Why a plan change was refused. 年度购买计划变更错误码。")
class PlanErrorCode(StrEnum):
    """Stable codes; each rule's code names its article in the error's `article`."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_STATE = "INVALID_STATE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOTHING_TO_CHANGE = "NOTHING_TO_CHANGE"
    INVALID_YEAR = "INVALID_YEAR"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    PLAN_EXISTS = "PLAN_EXISTS"
    CATALOGUE_ITEM_INACTIVE = "CATALOGUE_ITEM_INACTIVE"
    NO_LINES = "NO_LINES"
    COMMENT_REQUIRED = "COMMENT_REQUIRED"
    BUDGET_ABOVE_PLAN = "BUDGET_ABOVE_PLAN"


@strawberry.type(description="A refused plan change. 计划变更错误。")
class PlanError:
    """Typed error."""

    code: PlanErrorCode = strawberry.field(description="Stable error code. 错误码。")
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="Input field at fault (camelCase), if any. 出错字段。")
    article: str | None = strawberry.field(
        description="Article of 泰政办发〔2019〕53号 the rule comes from, e.g. 第十一条. 依据条款。"
    )


def _plan_error(code: PlanErrorCode, message: str, field: str | None) -> PlanError:
    return PlanError(code=code, message=message, field=field, article=None)


# ---------------------------------------------------------------------------------------------------------
# Inputs


@strawberry.input(description="A new annual purchase plan (Art. 9(1)), created as DRAFT. 编制年度购买计划。")
class CreatePurchasePlanInput:
    """New plan."""

    district: str = strawberry.field(description="District code (6 digits, e.g. 321202), one of yours. 区代码。")
    year: int = strawberry.field(description="Budget year, 2020–2100; one plan per district and year. 年度。")
    prev_year_dibao_funds: Decimal = strawberry.field(
        description="Previous year's 低保资金 (minimum-living-guarantee funds), yuan, ≥ 0, 2 decimals. 上年度低保资金。"
    )
    prev_year_temporary_funds: Decimal = strawberry.field(
        description="Previous year's 临时救助资金 (temporary-assistance funds), yuan, ≥ 0, 2 decimals. "
        "上年度临时救助资金。"
    )


@strawberry.input(description="Changes to a DRAFT or RETURNED plan; omitted fields stay. 修改年度购买计划。")
class UpdatePurchasePlanInput:
    """Plan changes."""

    plan: strawberry.ID = strawberry.field(description="Global ID of the plan. 计划ID。")
    prev_year_dibao_funds: Decimal | None = strawberry.field(
        default=None, description="Previous year's 低保资金, yuan, ≥ 0. 上年度低保资金。"
    )
    prev_year_temporary_funds: Decimal | None = strawberry.field(
        default=None, description="Previous year's 临时救助资金, yuan, ≥ 0. 上年度临时救助资金。"
    )


@strawberry.input(description="A new line of a DRAFT or RETURNED plan: one active catalogue item. 增加计划明细。")
class AddPlanLineInput:
    """New plan line."""

    plan: strawberry.ID = strawberry.field(description="Global ID of the plan. 计划ID。")
    catalogue_item: strawberry.ID = strawberry.field(
        description="Global ID of an active catalogue item (Art. 8). 目录项目ID。"
    )
    content: str = strawberry.field(description="Service content, at most 2000 characters. 服务内容。")
    service_standard: str = strawberry.field(default="", description="Service standard, at most 2000. 服务标准。")
    requirements: str = strawberry.field(default="", description="Requirements, at most 2000. 相关要求。")
    quantity: Decimal = strawberry.field(description="Quantity, > 0, 2 decimals. 数量。")
    unit: str = strawberry.field(description="Unit of the quantity, at most 20 characters. 单位。")
    budget: Decimal = strawberry.field(description="Budget, yuan, > 0, 2 decimals. 预算金额（元）。")
    funding_source: enums.FundingSource = strawberry.field(
        description="Where the money comes from (Art. 11). 资金来源。"
    )


@strawberry.input(description="Changes to a line of a DRAFT or RETURNED plan; omitted fields stay. 修改计划明细。")
class UpdatePlanLineInput:
    """Plan line changes."""

    line: strawberry.ID = strawberry.field(description="Global ID of the plan line. 明细ID。")
    catalogue_item: strawberry.ID | None = strawberry.field(
        default=None, description="Global ID of an active catalogue item (Art. 8). 目录项目ID。"
    )
    content: str | None = strawberry.field(default=None, description="Service content, at most 2000. 服务内容。")
    service_standard: str | None = strawberry.field(default=None, description="Service standard, at most 2000.")
    requirements: str | None = strawberry.field(default=None, description="Requirements, at most 2000. 相关要求。")
    quantity: Decimal | None = strawberry.field(default=None, description="Quantity, > 0, 2 decimals. 数量。")
    unit: str | None = strawberry.field(default=None, description="Unit, at most 20 characters. 单位。")
    budget: Decimal | None = strawberry.field(default=None, description="Budget, yuan, > 0. 预算金额（元）。")
    funding_source: enums.FundingSource | None = strawberry.field(
        default=None, description="Funding source. 资金来源。"
    )


@strawberry.input(description="The line to remove from a DRAFT or RETURNED plan. 删除计划明细。")
class RemovePlanLineInput:
    """Line to remove."""

    line: strawberry.ID = strawberry.field(description="Global ID of the plan line. 明细ID。")


@strawberry.input(description="The plan to submit to finance (DRAFT or RETURNED, ≥ 1 line). 报送财政审核。")
class SubmitPurchasePlanInput:
    """Plan to submit."""

    plan: strawberry.ID = strawberry.field(description="Global ID of the plan. 计划ID。")


@strawberry.input(description="Finance approves a SUBMITTED plan. 财政审核同意。")
class ApprovePurchasePlanInput:
    """Approval."""

    plan: strawberry.ID = strawberry.field(description="Global ID of the plan. 计划ID。")
    approved_budget: Decimal | None = strawberry.field(
        default=None,
        description="Approved budget, yuan, > 0 and at most the planned total; omitted: the planned total. 审核预算。",
    )
    comment: str = strawberry.field(default="", description="Finance's comment, at most 2000 characters. 审核意见。")


@strawberry.input(description="Finance returns a SUBMITTED plan for changes. 财政退回修改。")
class ReturnPurchasePlanInput:
    """Return."""

    plan: strawberry.ID = strawberry.field(description="Global ID of the plan. 计划ID。")
    comment: str = strawberry.field(description="Why it is returned (required), at most 2000 characters. 退回理由。")


# ---------------------------------------------------------------------------------------------------------
# Payloads


@strawberry.type(description="Result of `createPurchasePlan`.")
class CreatePurchasePlanPayload:
    """New plan or errors."""

    plan: PurchasePlan | None = strawberry.field(description="The new plan; null when refused. 计划。")
    errors: list[PlanError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `updatePurchasePlan`.")
class UpdatePurchasePlanPayload:
    """Changed plan or errors."""

    plan: PurchasePlan | None = strawberry.field(description="The plan after the change; null when refused. 计划。")
    errors: list[PlanError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `addPlanLine`.")
class AddPlanLinePayload:
    """New line or errors."""

    line: PlanLine | None = strawberry.field(description="The new line (its `plan` shows the new totals). 明细。")
    errors: list[PlanError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `updatePlanLine`.")
class UpdatePlanLinePayload:
    """Changed line or errors."""

    line: PlanLine | None = strawberry.field(description="The line after the change; null when refused. 明细。")
    errors: list[PlanError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `removePlanLine`.")
class RemovePlanLinePayload:
    """Plan without the line, or errors."""

    plan: PurchasePlan | None = strawberry.field(description="The plan after the removal; null when refused. 计划。")
    removed_line_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the removed line. 已删除明细ID。"
    )
    errors: list[PlanError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `submitPurchasePlan`; `plan.funding` shows any Art. 11 shortfall.")
class SubmitPurchasePlanPayload:
    """Submitted plan or errors."""

    plan: PurchasePlan | None = strawberry.field(description="The submitted plan; null when refused. 计划。")
    errors: list[PlanError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `approvePurchasePlan`.")
class ApprovePurchasePlanPayload:
    """Approved plan or errors."""

    plan: PurchasePlan | None = strawberry.field(description="The approved plan; null when refused. 计划。")
    errors: list[PlanError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `returnPurchasePlan`.")
class ReturnPurchasePlanPayload:
    """Returned plan or errors."""

    plan: PurchasePlan | None = strawberry.field(description="The returned plan; null when refused. 计划。")
    errors: list[PlanError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


# ---------------------------------------------------------------------------------------------------------
# Plan resolvers: find the row (NOT_FOUND), check the policy (FORBIDDEN), run the models function.

_NOT_FOUND = PlanErrorCode.NOT_FOUND
_FORBIDDEN = PlanErrorCode.FORBIDDEN


async def _plan(principal: Principal, global_id: strawberry.ID, action: str) -> PlanRow | PlanError:
    """The plan if visible (else NOT_FOUND) and if ``action`` is allowed on it (else FORBIDDEN)."""
    plan = await visible_row(principal, PlanRow, global_id, "PurchasePlan")
    if plan is None:
        return _plan_error(_NOT_FOUND, NOT_FOUND_MESSAGE, "plan")
    if not may(principal, action, plan):
        return _plan_error(_FORBIDDEN, FORBIDDEN_MESSAGE, "plan")
    return plan


async def _line(principal: Principal, global_id: strawberry.ID) -> PlanLineRow | PlanError:
    """A plan line the caller may edit (policy action ``edit`` on ``plan``)."""
    line = await visible_row(principal, PlanLineRow, global_id, "PlanLine")
    if line is None:
        return _plan_error(_NOT_FOUND, NOT_FOUND_MESSAGE, "line")
    if not may(principal, "edit", line):
        return _plan_error(_FORBIDDEN, FORBIDDEN_MESSAGE, "line")
    return line


async def _catalogue_item(principal: Principal, global_id: strawberry.ID) -> CatalogueItemRow | PlanError:
    item = await visible_row(principal, CatalogueItemRow, global_id, "CatalogueItem")
    if item is None:
        return PlanError(code=_NOT_FOUND, message="目录项目不存在。", field="catalogueItem", article="第八条")
    return item


def _errors(exc: RuleViolation) -> list[PlanError]:
    return errors_of(exc, PlanError, PlanErrorCode)


async def create_purchase_plan(
    info: Info, input: Annotated[CreatePurchasePlanInput, strawberry.argument(description="The new plan. 新计划。")]
) -> CreatePurchasePlanPayload:
    """The implementing agency drafts its district's plan for a year (第九条第（一）项)."""
    principal = info.context.principal
    code = input.district.strip()
    if not is_district_code(code):
        error = _plan_error(PlanErrorCode.INVALID, DISTRICT_CODE_HINT, "district")
        return refused(CreatePurchasePlanPayload, error)
    if not await DistrictRow.filter(code=code).exists():
        return refused(CreatePurchasePlanPayload, _plan_error(_NOT_FOUND, "区不存在。", "district"))
    if not may_in_district(principal, "create", "plan", code):
        return refused(CreatePurchasePlanPayload, _plan_error(_FORBIDDEN, FORBIDDEN_MESSAGE, "district"))
    try:
        result = await run_in_transaction(
            lambda conn: plan_rules.create_plan(
                code,
                input.year,
                input.prev_year_dibao_funds,
                input.prev_year_temporary_funds,
                actor=actor_of(principal),
                conn=conn,
            )
        )
    except IntegrityError:  # a concurrent request created the same district+year first
        result = plan_rules.plan_exists(input.year)
    return payload_of(CreatePurchasePlanPayload, result, _errors, plan=converter(PurchasePlan))


async def update_purchase_plan(
    info: Info, input: Annotated[UpdatePurchasePlanInput, strawberry.argument(description="The changes. 变更内容。")]
) -> UpdatePurchasePlanPayload:
    """The agency corrects last year's funds of a DRAFT or RETURNED plan."""
    principal = info.context.principal
    plan = await _plan(principal, input.plan, "edit")
    if isinstance(plan, PlanError):
        return refused(UpdatePurchasePlanPayload, plan)
    changes = {
        name: getattr(input, name)
        for name in ("prev_year_dibao_funds", "prev_year_temporary_funds")
        if getattr(input, name) is not None
    }
    result = await run_in_transaction(
        lambda conn: plan_rules.update_plan(plan, changes, actor=actor_of(principal), conn=conn)
    )
    return payload_of(UpdatePurchasePlanPayload, result, _errors, plan=converter(PurchasePlan))


_LINE_FIELDS = ("content", "service_standard", "requirements", "quantity", "unit", "budget", "funding_source")


def _line_values(input: AddPlanLineInput | UpdatePlanLineInput) -> dict[str, Any]:
    values = {name: getattr(input, name) for name in _LINE_FIELDS if getattr(input, name) is not None}
    for name in ("content", "service_standard", "requirements", "unit"):
        if name in values:
            values[name] = values[name].strip()
    return values


async def add_plan_line(
    info: Info, input: Annotated[AddPlanLineInput, strawberry.argument(description="The new line. 新明细。")]
) -> AddPlanLinePayload:
    """The agency adds a catalogue item to a DRAFT or RETURNED plan (rule 2, 第八条)."""
    principal = info.context.principal
    plan = await _plan(principal, input.plan, "edit")
    if isinstance(plan, PlanError):
        return refused(AddPlanLinePayload, plan)
    item = await _catalogue_item(principal, input.catalogue_item)
    if isinstance(item, PlanError):
        return refused(AddPlanLinePayload, item)
    values = _line_values(input)
    result = await run_in_transaction(
        lambda conn: plan_rules.add_line(plan, item, values, actor=actor_of(principal), conn=conn)
    )
    return payload_of(AddPlanLinePayload, result, _errors, line=converter(PlanLine))


async def update_plan_line(
    info: Info, input: Annotated[UpdatePlanLineInput, strawberry.argument(description="The changes. 变更内容。")]
) -> UpdatePlanLinePayload:
    """The agency changes a line of a DRAFT or RETURNED plan."""
    principal = info.context.principal
    line = await _line(principal, input.line)
    if isinstance(line, PlanError):
        return refused(UpdatePlanLinePayload, line)
    item = None
    if input.catalogue_item is not None:
        item = await _catalogue_item(principal, input.catalogue_item)
        if isinstance(item, PlanError):
            return refused(UpdatePlanLinePayload, item)
    values = _line_values(input)
    result = await run_in_transaction(
        lambda conn: plan_rules.update_line(line, item, values, actor=actor_of(principal), conn=conn)
    )
    return payload_of(UpdatePlanLinePayload, result, _errors, line=converter(PlanLine))


async def remove_plan_line(
    info: Info, input: Annotated[RemovePlanLineInput, strawberry.argument(description="The line. 明细。")]
) -> RemovePlanLinePayload:
    """The agency removes a line of a DRAFT or RETURNED plan (the deletion is kept in history)."""
    principal = info.context.principal
    line = await _line(principal, input.line)
    if isinstance(line, PlanError):
        return refused(RemovePlanLinePayload, line)
    result = await run_in_transaction(lambda conn: plan_rules.remove_line(line, actor=actor_of(principal), conn=conn))
    if isinstance(result, RuleViolation):
        return refused(RemovePlanLinePayload, *_errors(result))
    return RemovePlanLinePayload(
        plan=from_row(PurchasePlan, result), removed_line_id=strawberry.ID(str(input.line)), errors=[]
    )


async def submit_purchase_plan(
    info: Info, input: Annotated[SubmitPurchasePlanInput, strawberry.argument(description="The plan. 计划。")]
) -> SubmitPurchasePlanPayload:
    """The agency submits the plan to the finance bureau (第九条第（一）项); a shortfall does not block it."""
    principal = info.context.principal
    plan = await _plan(principal, input.plan, "submit")
    if isinstance(plan, PlanError):
        return refused(SubmitPurchasePlanPayload, plan)
    result = await run_in_transaction(lambda conn: plan_rules.submit_plan(plan, actor=actor_of(principal), conn=conn))
    return payload_of(SubmitPurchasePlanPayload, result, _errors, plan=converter(PurchasePlan))


async def approve_purchase_plan(
    info: Info, input: Annotated[ApprovePurchasePlanInput, strawberry.argument(description="The approval. 审核。")]
) -> ApprovePurchasePlanPayload:
    """Finance approves a submitted plan, fixing its approved budget."""
    principal = info.context.principal
    plan = await _plan(principal, input.plan, "approve")
    if isinstance(plan, PlanError):
        return refused(ApprovePurchasePlanPayload, plan)
    result = await run_in_transaction(
        lambda conn: plan_rules.approve_plan(
            plan, input.approved_budget, input.comment, actor=actor_of(principal), conn=conn
        )
    )
    return payload_of(ApprovePurchasePlanPayload, result, _errors, plan=converter(PurchasePlan))


async def return_purchase_plan(
    info: Info, input: Annotated[ReturnPurchasePlanInput, strawberry.argument(description="The return. 退回。")]
) -> ReturnPurchasePlanPayload:
    """Finance returns a submitted plan with its reasons."""
    principal = info.context.principal
    plan = await _plan(principal, input.plan, "return")
    if isinstance(plan, PlanError):
        return refused(ReturnPurchasePlanPayload, plan)
    result = await run_in_transaction(
        lambda conn: plan_rules.return_plan(plan, input.comment, actor=actor_of(principal), conn=conn)
    )
    return payload_of(ReturnPurchasePlanPayload, result, _errors, plan=converter(PurchasePlan))


# ---------------------------------------------------------------------------------------------------------
# The contractors' Art. 6 record (第五条、第六条)


@strawberry.enum(description="Why a change to a contractor's Art. 6 record was refused. 承接条件记录错误码。")
class ContractorRecordErrorCode(StrEnum):
    """Stable codes."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_TEXT = "INVALID_TEXT"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_DATE = "INVALID_DATE"
    EVIDENCE_REQUIRED = "EVIDENCE_REQUIRED"


@strawberry.type(description="A refused change to a contractor's Art. 6 record. 承接条件记录错误。")
class ContractorRecordError:
    """Typed error."""

    code: ContractorRecordErrorCode = strawberry.field(description="Stable error code. 错误码。")
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="Input field at fault (camelCase), if any. 出错字段。")
    article: str | None = strawberry.field(description="Article the rule comes from, e.g. 第六条. 依据条款。")


@strawberry.input(description="Attest (or withdraw) one Art. 6 condition of a contractor. 核实承接条件。")
class RecordEligibilityAttestationInput:
    """One condition's attestation; recording it again replaces the current one (history keeps the old)."""

    contractor: strawberry.ID = strawberry.field(description="Global ID of the contractor. 承接主体ID。")
    condition: enums.EligibilityCondition = strawberry.field(description="The Art. 6 condition. 第六条条件。")
    attested: bool = strawberry.field(
        description="True: the condition is verified; false: not (the contractor becomes ineligible). 是否符合。"
    )
    evidence_ref: str = strawberry.field(
        default="", description="Evidence number or location, required when attested, at most 200. 证明材料。"
    )
    attested_on: dt.date = strawberry.field(description="Date of the verification, not in the future. 核实日期。")


@strawberry.input(description="Record a violation of a contractor. 记录违法行为。")
class RecordContractorViolationInput:
    """A violation; a major one within three years fails Art. 6(6)."""

    contractor: strawberry.ID = strawberry.field(description="Global ID of the contractor. 承接主体ID。")
    occurred_on: dt.date = strawberry.field(description="When it happened, not in the future. 发生日期。")
    description: str = strawberry.field(description="What happened, at most 2000 characters. 情况。")
    is_major: bool = strawberry.field(default=False, description="A major violation (重大违法行为), Art. 6(6).")


@strawberry.type(description="Result of `recordEligibilityAttestation`.")
class RecordEligibilityAttestationPayload:
    """Attestation or errors."""

    attestation: Attestation | None = strawberry.field(description="The attestation now on record; null when refused.")
    contractor: Contractor | None = strawberry.field(
        description="The contractor, with its recomputed eligibility; null when refused. 承接主体。"
    )
    errors: list[ContractorRecordError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `recordContractorViolation`.")
class RecordContractorViolationPayload:
    """Violation or errors."""

    violation: Violation | None = strawberry.field(description="The recorded violation; null when refused. 违法记录。")
    contractor: Contractor | None = strawberry.field(
        description="The contractor, with its recomputed eligibility; null when refused. 承接主体。"
    )
    errors: list[ContractorRecordError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


def _record_error(code: ContractorRecordErrorCode, message: str) -> ContractorRecordError:
    return ContractorRecordError(code=code, message=message, field="contractor", article=None)


def _record_errors(exc: RuleViolation) -> list[ContractorRecordError]:
    return errors_of(exc, ContractorRecordError, ContractorRecordErrorCode)


async def _attestable(principal: Principal, global_id: strawberry.ID) -> ContractorRow | ContractorRecordError:
    """The contractor if visible (else NOT_FOUND) and the caller may write its Art. 6 record (else FORBIDDEN)."""
    row = await visible_row(principal, ContractorRow, global_id, "Contractor")
    if row is None:
        return _record_error(ContractorRecordErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE)
    if not may(principal, "attest", row):
        return _record_error(
            ContractorRecordErrorCode.FORBIDDEN, "只有区民政局或市民政局可以记录承接主体的第六条条件核实情况。"
        )
    return row


async def record_eligibility_attestation(
    info: Info,
    input: Annotated[RecordEligibilityAttestationInput, strawberry.argument(description="The attestation. 核实。")],
) -> RecordEligibilityAttestationPayload:
    """A district agency or the city civil affairs bureau records one Art. 6 condition (upsert, with history)."""
    principal = info.context.principal
    row = await _attestable(principal, input.contractor)
    if isinstance(row, ContractorRecordError):
        return refused(RecordEligibilityAttestationPayload, row)
    result = await run_in_transaction(
        lambda conn: contractor_rules.record_attestation(
            row,
            input.condition,
            attested=input.attested,
            evidence_ref=input.evidence_ref,
            attested_on=input.attested_on,
            today=today(),
            actor=actor_of(principal),
            conn=conn,
        )
    )
    if isinstance(result, RuleViolation):
        return refused(RecordEligibilityAttestationPayload, *_record_errors(result))
    return RecordEligibilityAttestationPayload(
        attestation=from_row(Attestation, result), contractor=from_row(Contractor, row), errors=[]
    )


async def record_contractor_violation(
    info: Info,
    input: Annotated[RecordContractorViolationInput, strawberry.argument(description="The violation. 违法行为。")],
) -> RecordContractorViolationPayload:
    """The city civil affairs bureau, or a district agency whose district signed a contract with the contractor,
    records a violation (Art. 6(6)); see ``policies/violations.py``."""
    principal = info.context.principal
    row = await visible_row(principal, ContractorRow, input.contractor, "Contractor")
    if row is None:
        return refused(
            RecordContractorViolationPayload, _record_error(ContractorRecordErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE)
        )
    if not await may_record_violation(principal, row.pk):
        return refused(
            RecordContractorViolationPayload,
            _record_error(
                ContractorRecordErrorCode.FORBIDDEN,
                "违法行为由市民政局记录；区民政局只能记录本区合同中发现的、与本区签订过合同的承接主体的违法行为。",
            ),
        )
    result = await run_in_transaction(
        lambda conn: contractor_rules.record_violation(
            row,
            occurred_on=input.occurred_on,
            description=input.description,
            is_major=input.is_major,
            today=today(),
            actor=actor_of(principal),
            conn=conn,
        )
    )
    if isinstance(result, RuleViolation):
        return refused(RecordContractorViolationPayload, *_record_errors(result))
    return RecordContractorViolationPayload(
        violation=from_row(Violation, result), contractor=from_row(Contractor, row), errors=[]
    )


# ---------------------------------------------------------------------------------------------------------


@strawberry.type(description="Annual plan and contractor-record mutations (merged into the root Mutation).")
class Mutation:
    """Merged into ``schema.mutation.Mutation``."""

    create_purchase_plan: CreatePurchasePlanPayload = strawberry.mutation(
        resolver=create_purchase_plan,
        description="The implementing agency drafts its district's annual purchase plan (Art. 9(1)). "
        "编制年度购买计划。",
    )
    update_purchase_plan: UpdatePurchasePlanPayload = strawberry.mutation(
        resolver=update_purchase_plan,
        description="The agency corrects a DRAFT or RETURNED plan's previous-year funds (Art. 11). 修改年度购买计划。",
    )
    add_plan_line: AddPlanLinePayload = strawberry.mutation(
        resolver=add_plan_line,
        description="The agency adds an active catalogue item to a DRAFT or RETURNED plan (Art. 8). 增加计划明细。",
    )
    update_plan_line: UpdatePlanLinePayload = strawberry.mutation(
        resolver=update_plan_line,
        description="The agency changes a line of a DRAFT or RETURNED plan (Art. 8, 9(1)). 修改计划明细。",
    )
    remove_plan_line: RemovePlanLinePayload = strawberry.mutation(
        resolver=remove_plan_line,
        description="The agency removes a line of a DRAFT or RETURNED plan. 删除计划明细。",
    )
    submit_purchase_plan: SubmitPurchasePlanPayload = strawberry.mutation(
        resolver=submit_purchase_plan,
        description="The agency submits the plan to finance (Art. 9(1)); below the Art. 11 floor is allowed, "
        "the shortfall shows on the plan. 报送财政审核。",
    )
    approve_purchase_plan: ApprovePurchasePlanPayload = strawberry.mutation(
        resolver=approve_purchase_plan,
        description="Finance approves a SUBMITTED plan and fixes its budget (Art. 9(1)). 财政审核同意。",
    )
    return_purchase_plan: ReturnPurchasePlanPayload = strawberry.mutation(
        resolver=return_purchase_plan,
        description="Finance returns a SUBMITTED plan with a required comment (Art. 9(1)). 财政退回修改。",
    )
    record_eligibility_attestation: RecordEligibilityAttestationPayload = strawberry.mutation(
        resolver=record_eligibility_attestation,
        description="A district agency or the city civil affairs bureau attests one Art. 6 condition of a "
        "contractor (one record per condition, history kept). 核实承接条件。",
    )
    record_contractor_violation: RecordContractorViolationPayload = strawberry.mutation(
        resolver=record_contractor_violation,
        description="The city civil affairs bureau (any contractor, city-wide finding), or a district agency for a "
        "contractor that signed a contract of its district, records a contractor's violation; a major one within "
        "three years fails Art. 6(6) in every district. 记录违法行为。",
    )
