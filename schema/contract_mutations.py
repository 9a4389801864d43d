"""Contract mutations (购买服务合同, Art. 9(4)–(6)): draft, sign, publish (公示), file (备案), perform, amend,
terminate, inspect (Art. 9(5)), accept (Art. 9(6)) and pay (rule 8).

Every resolver is the same few steps (see ``schema/mutation_support.py``): find the row the caller may see
(NOT_FOUND), ask the policy (FORBIDDEN), run the ``models.contracts`` service in one transaction, and turn a
refused rule into typed payload errors — a refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.scalars import JSON
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models import contracts as rules
from models.contracts import Acceptance as AcceptanceRow
from models.contracts import Contract as ContractRow
from models.contracts import ContractAmendment as AmendmentRow
from models.contracts import InstalmentSpec
from models.contracts import PaymentInstalment as InstalmentRow
from models.procurement import ProcurementLot as LotRow
from models.rules import RuleViolation
from policies.principal import Principal
from schema import enums
from schema.base import from_row
from schema.context import Info
from schema.contracts import Acceptance, Amendment, Contract, Inspection, Payment
from schema.errors import ClientError
from schema.filters import pk_of
from schema.mutation_support import (
    FORBIDDEN_MESSAGE,
    NOT_FOUND_MESSAGE,
    actor_of,
    errors_of,
    may,
    may_in_district,
    refused,
    run_in_transaction,
    visible_row,
)

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@strawberry.enum(description="Why a contract change was refused. 合同变更错误码。")
class ContractErrorCode(StrEnum):
    """Stable codes: access, state, and one per rule."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_STATE = "INVALID_STATE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_DATE = "INVALID_DATE"
    NOTHING_TO_CHANGE = "NOTHING_TO_CHANGE"
    CODE_TAKEN = "CODE_TAKEN"
    LOT_NOT_AWARDED = "LOT_NOT_AWARDED"
    LOT_ALREADY_CONTRACTED = "LOT_ALREADY_CONTRACTED"
    AMOUNT_EXCEEDS_AWARD = "AMOUNT_EXCEEDS_AWARD"
    CATALOGUE_ITEM_NOT_IN_PLAN = "CATALOGUE_ITEM_NOT_IN_PLAN"
    INSTALMENTS_MISMATCH = "INSTALMENTS_MISMATCH"
    PLAN_NOT_APPROVED = "PLAN_NOT_APPROVED"
    PLAN_BUDGET_EXCEEDED = "PLAN_BUDGET_EXCEEDED"
    MISSING_CONTENT = "MISSING_CONTENT"
    INVALID_PERIOD = "INVALID_PERIOD"
    TERM_TOO_LONG = "TERM_TOO_LONG"
    TERM_REASON_REQUIRED = "TERM_REASON_REQUIRED"
    AMENDMENT_FIELD_NOT_ALLOWED = "AMENDMENT_FIELD_NOT_ALLOWED"
    AMOUNT_BELOW_PAID = "AMOUNT_BELOW_PAID"
    RECTIFICATION_NOT_INSPECTED = "RECTIFICATION_NOT_INSPECTED"
    ACCEPTANCE_REQUIRED = "ACCEPTANCE_REQUIRED"
    OVERPAID = "OVERPAID"
    INSTALMENT_EXCEEDED = "INSTALMENT_EXCEEDED"


@strawberry.type(description="A refused contract change, with the rule that refused it. 错误。")
class ContractError:
    """Typed error."""

    code: ContractErrorCode = strawberry.field(description="Stable error code.")
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="Input field at fault (camelCase), if any. 出错字段。")
    article: str | None = strawberry.field(
        description="Article of 泰政办发〔2019〕53号 the rule comes from, e.g. 第九条第（四）项. 依据条款。"
    )


# --- Payloads --------------------------------------------------------------------------------------------------


@strawberry.type(description="Result of a contract mutation. 合同变更结果。")
class ContractPayload:
    """The contract after the change, or errors."""

    contract: Contract | None = strawberry.field(description="The contract after the change; null when refused.")
    errors: list[ContractError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `proposeAmendment` / `signAmendment`. 合同变更（补充协议）结果。")
class AmendmentPayload:
    """The amendment after the change, or errors."""

    amendment: Amendment | None = strawberry.field(description="The amendment; null when refused.")
    errors: list[ContractError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `recordInspection`. 履约检查结果。")
class InspectionPayload:
    """The inspection recorded, or errors."""

    inspection: Inspection | None = strawberry.field(description="The inspection; null when refused.")
    errors: list[ContractError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of an acceptance mutation. 验收结果。")
class AcceptancePayload:
    """The acceptance (and its contract) after the change, or errors."""

    acceptance: Acceptance | None = strawberry.field(description="The acceptance; null when refused.")
    contract: Contract | None = strawberry.field(description="Its contract after the change; null when refused.")
    errors: list[ContractError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `recordPayment`. 付款结果。")
class PaymentPayload:
    """The payment (and its contract, CLOSED when now fully paid) or errors."""

    payment: Payment | None = strawberry.field(description="The payment; null when refused.")
    contract: Contract | None = strawberry.field(description="Its contract after the payment; null when refused.")
    errors: list[ContractError] = strawberry.field(description="Why it was refused; empty on success.")


# --- Inputs ----------------------------------------------------------------------------------------------------


@strawberry.input(description="One instalment of the payment schedule. 付款分期。")
class ContractInstalmentInput:
    """Instalment."""

    amount: Decimal = strawberry.field(description="Amount in yuan, > 0, at most 2 decimals. 金额（元）。")
    trigger: enums.PaymentTrigger = strawberry.field(description="What it is tied to. 支付节点。")
    condition: str = strawberry.field(default="", description="Due condition. 支付条件。")
    is_final: bool = strawberry.field(
        default=False, description="The final payment (尾款): at most one, the last; needs an accepted acceptance."
    )


@strawberry.input(description="A new contract for an awarded lot; content may be completed before signing.")
class DraftContractInput:
    """Draft contract."""

    lot: strawberry.ID = strawberry.field(description="Global ID of the awarded lot (分包). 分包ID。")
    code: str | None = strawberry.field(
        default=None, description="Contract number, at most 40; generated (TZ-<district>-<year>-NNN) when omitted."
    )
    title: str = strawberry.field(description="Title, at most 200. 合同名称。")
    scope: str | None = strawberry.field(default=None, description="Scope of the services. 购买服务的范围。")
    subject: str | None = strawberry.field(default=None, description="Subject matter. 标的。")
    quantity: str | None = strawberry.field(default=None, description="Quantity, at most 100. 数量。")
    quality_requirements: str | None = strawberry.field(default=None, description="Quality requirements. 质量要求。")
    service_start: dt.date | None = strawberry.field(default=None, description="First day of service. 服务期开始。")
    service_end: dt.date | None = strawberry.field(default=None, description="Last day of service. 服务期结束。")
    term_reason: str | None = strawberry.field(
        default=None, description="Reason for a term over 1 year (at most 3 years). 服务期超过1年的理由。"
    )
    amount: Decimal = strawberry.field(description="Amount in yuan, at most the award amount. 合同金额（元）。")
    payment_method: str | None = strawberry.field(default=None, description="Payment method. 资金支付方式。")
    rights_obligations: str | None = strawberry.field(default=None, description="Rights and obligations. 权利义务。")
    breach_liability: str | None = strawberry.field(default=None, description="Liability for breach. 违约责任。")
    catalogue_items: list[strawberry.ID] = strawberry.field(
        description="Catalogue items bought, 1 to 20, each bought by the project's plan lines. 服务项目（1至20项）。"
    )
    instalments: list[ContractInstalmentInput] = strawberry.field(
        description="Payment schedule, 1 to 12 instalments adding up to the amount. 付款计划（1至12期）。"
    )


@strawberry.input(description="Changes to a DRAFT contract; omitted fields stay as they are.")
class UpdateContractInput:
    """Edit draft."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the draft contract. 合同ID。")
    code: str | None = strawberry.field(default=None, description="Contract number, at most 40. 合同编号。")
    title: str | None = strawberry.field(default=None, description="Title, at most 200. 合同名称。")
    scope: str | None = strawberry.field(default=None, description="Scope of the services. 购买服务的范围。")
    subject: str | None = strawberry.field(default=None, description="Subject matter. 标的。")
    quantity: str | None = strawberry.field(default=None, description="Quantity, at most 100. 数量。")
    quality_requirements: str | None = strawberry.field(default=None, description="Quality requirements. 质量要求。")
    service_start: dt.date | None = strawberry.field(default=None, description="First day of service. 服务期开始。")
    service_end: dt.date | None = strawberry.field(default=None, description="Last day of service. 服务期结束。")
    term_reason: str | None = strawberry.field(default=None, description="Reason for a term over 1 year. 理由。")
    amount: Decimal | None = strawberry.field(default=None, description="Amount in yuan. 合同金额（元）。")
    payment_method: str | None = strawberry.field(default=None, description="Payment method. 资金支付方式。")
    rights_obligations: str | None = strawberry.field(default=None, description="Rights and obligations. 权利义务。")
    breach_liability: str | None = strawberry.field(default=None, description="Liability for breach. 违约责任。")
    catalogue_items: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces the catalogue items: 1 to 20. 服务项目（1至20项）。"
    )
    instalments: list[ContractInstalmentInput] | None = strawberry.field(
        default=None, description="Replaces the payment schedule: 1 to 12 instalments. 付款计划（1至12期）。"
    )


@strawberry.input(description="Sign a draft contract (purchasing entity). 签订合同。")
class SignContractInput:
    """Sign."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the draft contract. 合同ID。")
    signed_on: dt.date | None = strawberry.field(
        default=None, description="Signing date; today when omitted. 签订日期。"
    )


@strawberry.input(description="Record the publication (公示) of a signed contract. 合同公示。")
class PublishContractInput:
    """Publish."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the signed contract. 合同ID。")
    published_on: dt.date | None = strawberry.field(
        default=None, description="Publication date; today when omitted. 公示日期。"
    )


@strawberry.input(description="Record the filing (备案) of a published contract with finance. 合同备案。")
class FileContractInput:
    """File."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the published contract. 合同ID。")
    filed_on: dt.date | None = strawberry.field(default=None, description="Filing date; today when omitted. 备案日期。")


@strawberry.input(description="Start the performance of a filed contract. 开始履约。")
class StartPerformanceInput:
    """Start."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the filed contract. 合同ID。")


@strawberry.input(description="Terminate an active contract, with a reason. 终止合同。")
class TerminateContractInput:
    """Terminate."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the contract. 合同ID。")
    reason: str = strawberry.field(description="Why (required). 终止理由。")
    terminated_on: dt.date | None = strawberry.field(
        default=None, description="Termination date; today when omitted. 终止日期。"
    )


@strawberry.input(description="Propose an amendment (合同变更) of a signed contract.")
class ProposeAmendmentInput:
    """Amendment."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the contract. 合同ID。")
    reason: str = strawberry.field(description="Why (required). 变更理由。")
    changes: JSON | None = strawberry.field(
        default=None,
        description="New values by field: serviceStart, serviceEnd (YYYY-MM-DD), termReason, amount, scope, subject, "
        "quantity, qualityRequirements, paymentMethod, rightsObligations, breachLiability. 变更内容。",
    )
    amount_delta: Decimal | None = strawberry.field(
        default=None, description="Change of the amount in yuan (derived when `changes.amount` is given). 金额变化。"
    )


@strawberry.input(description="Sign a draft amendment (purchasing entity). 签订合同变更。")
class SignAmendmentInput:
    """Sign amendment."""

    amendment: strawberry.ID = strawberry.field(description="Global ID of the draft amendment. 变更ID。")
    signed_on: dt.date | None = strawberry.field(
        default=None, description="Signing date; today when omitted. 签订日期。"
    )


@strawberry.input(description="A progress inspection (督促合同履行, Art. 9(5)). 履约检查。")
class RecordInspectionInput:
    """Inspection."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the contract in performance. 合同ID。")
    inspected_on: dt.date = strawberry.field(description="Date, not in the future. 检查日期。")
    inspector: str = strawberry.field(description="Inspector(s), at most 100. 检查人。")
    findings: str = strawberry.field(default="", description="Findings. 检查情况。")
    progress_percent: int = strawberry.field(description="Progress, 0 to 100. 进度（%）。")
    rectification_required: bool = strawberry.field(default=False, description="Rectification required. 需整改。")
    rectification_due: dt.date | None = strawberry.field(
        default=None, description="Rectification due date (required when rectification is). 整改期限。"
    )


@strawberry.input(description="An acceptance (验收, Art. 9(6)): PASS → ACCEPTED, FAIL → ACCEPTANCE_FAILED.")
class RecordAcceptanceInput:
    """Acceptance."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the contract. 合同ID。")
    accepted_on: dt.date = strawberry.field(description="Date, not in the future. 验收日期。")
    panel: str = strawberry.field(description="Panel members. 验收小组成员。")
    result: enums.AcceptanceResult = strawberry.field(description="Pass or fail. 验收结论。")
    score: Decimal = strawberry.field(description="Performance score 0 to 100 (优 ≥90, 良 ≥80, 中 ≥60). 绩效评分。")
    findings: str = strawberry.field(default="", description="Findings. 验收意见。")


@strawberry.input(description="Record that the acceptance report went to finance. 验收材料报送财政。")
class ReportAcceptanceInput:
    """Report."""

    acceptance: strawberry.ID = strawberry.field(description="Global ID of the acceptance. 验收ID。")
    sent_on: dt.date | None = strawberry.field(default=None, description="Date sent; today when omitted. 报送日期。")


@strawberry.input(description="Publish an acceptance result (then the public reads it). 公开验收结果。")
class PublishAcceptanceInput:
    """Publish acceptance."""

    acceptance: strawberry.ID = strawberry.field(description="Global ID of the acceptance. 验收ID。")
    published_on: dt.date | None = strawberry.field(
        default=None, description="Publication date; today when omitted. 公开日期。"
    )


@strawberry.input(description="A payment to the contractor (rule 8). 付款。")
class RecordPaymentInput:
    """Payment."""

    contract: strawberry.ID = strawberry.field(description="Global ID of the contract. 合同ID。")
    instalment: strawberry.ID | None = strawberry.field(
        default=None, description="Global ID of the instalment it pays, if any. 对应分期。"
    )
    amount: Decimal = strawberry.field(description="Amount in yuan, > 0, at most 2 decimals. 金额（元）。")
    paid_on: dt.date = strawberry.field(description="Date paid, not in the future. 支付日期。")
    trigger: enums.PaymentTrigger = strawberry.field(description="What it is tied to. 支付节点。")
    is_final: bool = strawberry.field(
        default=False, description="The final payment (尾款); needs the contract ACCEPTED. 是否尾款。"
    )


# --- Shared steps ------------------------------------------------------------------------------------------------


class Refused(Exception):
    """Internal: stop a resolver with these errors."""

    def __init__(self, *errors: ContractError) -> None:
        super().__init__(errors[0].message if errors else "")
        self.errors = list(errors)


def _error(code: ContractErrorCode, message: str, field: str | None = None) -> ContractError:
    return ContractError(code=code, message=message, field=field, article=None)


async def _find(principal: Principal, model: type[M], global_id: Any, type_name: str, field: str) -> M:
    """The row behind ``global_id`` if the caller may see it; NOT_FOUND otherwise (hidden = absent)."""
    row = await visible_row(principal, model, global_id, type_name)
    if row is None:
        raise Refused(_error(ContractErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, field))
    return row


def _allow(permitted: bool, field: str, message: str = FORBIDDEN_MESSAGE) -> None:
    if not permitted:
        raise Refused(_error(ContractErrorCode.FORBIDDEN, message, field))


async def _apply(work: Callable[[BaseDBAsyncClient], Awaitable[T]]) -> T:
    """Run a ``models.contracts`` service in one transaction; a refused rule rolls everything back."""
    result = await run_in_transaction(work)
    if isinstance(result, RuleViolation):
        raise Refused(*errors_of(result, ContractError, ContractErrorCode)) from result
    return result


def _capped(ids: list[strawberry.ID], cap: int, field: str, type_name: str) -> list[int]:
    """Decode a capped list of global IDs (``INVALID`` beyond the cap or for a foreign ID)."""
    if len(ids) > cap:
        raise Refused(_error(ContractErrorCode.INVALID, f"最多{cap}项。", field))
    out: list[int] = []
    for gid in ids:
        try:
            pk = pk_of(gid, type_name)
        except ClientError:
            pk = None
        if not isinstance(pk, int):
            raise Refused(_error(ContractErrorCode.INVALID, "对象编号（ID）无效。", field))
        if pk not in out:
            out.append(pk)
    return out


def _specs(items: list[ContractInstalmentInput]) -> list[InstalmentSpec]:
    if len(items) > rules.MAX_INSTALMENTS:
        raise Refused(_error(ContractErrorCode.INVALID, f"付款计划最多{rules.MAX_INSTALMENTS}期。", "instalments"))
    return [InstalmentSpec(i.amount, i.trigger, i.condition, i.is_final) for i in items]


def _terms(input: DraftContractInput | UpdateContractInput) -> dict[str, Any]:
    """The given contract terms by model field name."""
    return {name: getattr(input, name) for name in rules.TERM_FIELDS if getattr(input, name) is not None}


def _contract(row: ContractRow) -> Contract:
    return from_row(Contract, row)


async def _contract_step(
    info: Info,
    global_id: strawberry.ID,
    action: str,
    forbidden: str,
    work: Callable[[ContractRow, BaseDBAsyncClient], Awaitable[ContractRow]],
) -> ContractPayload:
    """find → may(action) → work, for the mutations that move one contract."""
    principal = info.context.principal
    try:
        row = await _find(principal, ContractRow, global_id, "Contract", "contract")
        _allow(may(principal, action, row), "contract", forbidden)
        result = await _apply(lambda conn: work(row, conn))
    except Refused as stop:
        return refused(ContractPayload, *stop.errors)
    return ContractPayload(contract=_contract(result), errors=[])


# --- Resolvers ---------------------------------------------------------------------------------------------------

InputArg = strawberry.argument(description="The input. 输入。")


async def draft_contract(info: Info, input: Annotated[DraftContractInput, InputArg]) -> ContractPayload:
    """Draft the contract of an awarded lot (agency)."""
    principal = info.context.principal
    try:
        lot = await _find(principal, LotRow, input.lot, "ProcurementLot", "lot")
        _allow(may_in_district(principal, "draft", "contract", lot.district_id), "lot", "只有实施主体可以起草合同。")
        items = _capped(input.catalogue_items, rules.MAX_CATALOGUE_ITEMS, "catalogueItems", "CatalogueItem")
        specs = _specs(input.instalments)
        actor = actor_of(principal)
        row = await _apply(
            lambda conn: rules.draft_contract(
                lot, terms=_terms(input), code=input.code, item_ids=items, instalments=specs, actor=actor, conn=conn
            )
        )
    except Refused as stop:
        return refused(ContractPayload, *stop.errors)
    return ContractPayload(contract=_contract(row), errors=[])


async def update_contract(info: Info, input: Annotated[UpdateContractInput, InputArg]) -> ContractPayload:
    """Edit a draft contract (agency)."""
    principal = info.context.principal
    try:
        row = await _find(principal, ContractRow, input.contract, "Contract", "contract")
        _allow(may(principal, "draft", row), "contract", "只有实施主体可以修改合同草稿。")
        items = (
            None
            if input.catalogue_items is None
            else _capped(input.catalogue_items, rules.MAX_CATALOGUE_ITEMS, "catalogueItems", "CatalogueItem")
        )
        specs = None if input.instalments is None else _specs(input.instalments)
        actor = actor_of(principal)
        row = await _apply(
            lambda conn: rules.update_contract(
                row, terms=_terms(input), code=input.code, item_ids=items, instalments=specs, actor=actor, conn=conn
            )
        )
    except Refused as stop:
        return refused(ContractPayload, *stop.errors)
    return ContractPayload(contract=_contract(row), errors=[])


async def sign_contract(info: Info, input: Annotated[SignContractInput, InputArg]) -> ContractPayload:
    """Sign (purchasing entity)."""
    actor = actor_of(info.context.principal)
    return await _contract_step(
        info,
        input.contract,
        "sign",
        "只有购买主体可以签订合同。",
        lambda row, conn: rules.sign_contract(row, signed_on=input.signed_on, actor=actor, conn=conn),
    )


async def publish_contract(info: Info, input: Annotated[PublishContractInput, InputArg]) -> ContractPayload:
    """Publish (agency)."""
    actor = actor_of(info.context.principal)
    return await _contract_step(
        info,
        input.contract,
        "publish",
        "只有实施主体可以公示合同。",
        lambda row, conn: rules.publish_contract(row, published_on=input.published_on, actor=actor, conn=conn),
    )


async def file_contract(info: Info, input: Annotated[FileContractInput, InputArg]) -> ContractPayload:
    """File (finance)."""
    actor = actor_of(info.context.principal)
    return await _contract_step(
        info,
        input.contract,
        "file",
        "只有财政部门可以登记合同备案。",
        lambda row, conn: rules.file_contract(row, filed_on=input.filed_on, actor=actor, conn=conn),
    )


async def start_performance(info: Info, input: Annotated[StartPerformanceInput, InputArg]) -> ContractPayload:
    """Start performance (agency)."""
    actor = actor_of(info.context.principal)
    return await _contract_step(
        info,
        input.contract,
        "start",
        "只有实施主体可以启动合同履约。",
        lambda row, conn: rules.start_performance(row, actor=actor, conn=conn),
    )


async def terminate_contract(info: Info, input: Annotated[TerminateContractInput, InputArg]) -> ContractPayload:
    """Terminate (purchasing entity)."""
    actor = actor_of(info.context.principal)
    return await _contract_step(
        info,
        input.contract,
        "terminate",
        "只有购买主体可以终止合同。",
        lambda row, conn: rules.terminate_contract(
            row, reason=input.reason, terminated_on=input.terminated_on, actor=actor, conn=conn
        ),
    )


async def propose_amendment(info: Info, input: Annotated[ProposeAmendmentInput, InputArg]) -> AmendmentPayload:
    """Propose an amendment (agency)."""
    principal = info.context.principal
    try:
        row = await _find(principal, ContractRow, input.contract, "Contract", "contract")
        _allow(may(principal, "amend", row), "contract", "只有实施主体可以提出合同变更。")
        actor = actor_of(principal)
        amendment = await _apply(
            lambda conn: rules.propose_amendment(
                row, reason=input.reason, changes=input.changes, amount_delta=input.amount_delta, actor=actor, conn=conn
            )
        )
    except Refused as stop:
        return refused(AmendmentPayload, *stop.errors)
    return AmendmentPayload(amendment=from_row(Amendment, amendment), errors=[])


async def sign_amendment(info: Info, input: Annotated[SignAmendmentInput, InputArg]) -> AmendmentPayload:
    """Sign an amendment (purchasing entity)."""
    principal = info.context.principal
    try:
        row = await _find(principal, AmendmentRow, input.amendment, "Amendment", "amendment")
        _allow(may(principal, "sign_amendment", row), "amendment", "只有购买主体可以签订合同变更。")
        actor = actor_of(principal)
        amendment = await _apply(
            lambda conn: rules.sign_amendment(row, signed_on=input.signed_on, actor=actor, conn=conn)
        )
    except Refused as stop:
        return refused(AmendmentPayload, *stop.errors)
    return AmendmentPayload(amendment=from_row(Amendment, amendment), errors=[])


async def record_inspection(info: Info, input: Annotated[RecordInspectionInput, InputArg]) -> InspectionPayload:
    """Record an inspection (agency)."""
    principal = info.context.principal
    try:
        row = await _find(principal, ContractRow, input.contract, "Contract", "contract")
        _allow(
            may_in_district(principal, "create", "inspection", row.district_id),
            "contract",
            "只有实施主体可以记录履约检查。",
        )
        actor = actor_of(principal)
        inspection = await _apply(
            lambda conn: rules.record_inspection(
                row,
                inspected_on=input.inspected_on,
                inspector=input.inspector,
                findings=input.findings,
                progress_percent=input.progress_percent,
                rectification_required=input.rectification_required,
                rectification_due=input.rectification_due,
                actor=actor,
                conn=conn,
            )
        )
    except Refused as stop:
        return refused(InspectionPayload, *stop.errors)
    return InspectionPayload(inspection=from_row(Inspection, inspection), errors=[])


async def record_acceptance(info: Info, input: Annotated[RecordAcceptanceInput, InputArg]) -> AcceptancePayload:
    """Record an acceptance (agency)."""
    principal = info.context.principal
    try:
        row = await _find(principal, ContractRow, input.contract, "Contract", "contract")
        _allow(
            may_in_district(principal, "create", "acceptance", row.district_id),
            "contract",
            "只有实施主体可以组织验收。",
        )
        actor = actor_of(principal)
        acceptance, contract = await _apply(
            lambda conn: rules.record_acceptance(
                row,
                accepted_on=input.accepted_on,
                panel=input.panel,
                result=input.result,
                score=input.score,
                findings=input.findings,
                actor=actor,
                conn=conn,
            )
        )
    except Refused as stop:
        return refused(AcceptancePayload, *stop.errors)
    return AcceptancePayload(acceptance=from_row(Acceptance, acceptance), contract=_contract(contract), errors=[])


async def _acceptance_step(
    info: Info,
    global_id: strawberry.ID,
    action: str,
    forbidden: str,
    work: Callable[[AcceptanceRow, BaseDBAsyncClient], Awaitable[AcceptanceRow]],
) -> AcceptancePayload:
    principal = info.context.principal
    try:
        row = await _find(principal, AcceptanceRow, global_id, "Acceptance", "acceptance")
        _allow(may(principal, action, row), "acceptance", forbidden)
        acceptance = await _apply(lambda conn: work(row, conn))
        contract = await ContractRow.get(pk=acceptance.contract_id)
    except Refused as stop:
        return refused(AcceptancePayload, *stop.errors)
    return AcceptancePayload(acceptance=from_row(Acceptance, acceptance), contract=_contract(contract), errors=[])


async def report_acceptance_to_finance(
    info: Info, input: Annotated[ReportAcceptanceInput, InputArg]
) -> AcceptancePayload:
    """Record the report to finance (agency)."""
    actor = actor_of(info.context.principal)
    return await _acceptance_step(
        info,
        input.acceptance,
        "report",
        "只有实施主体可以报送验收材料。",
        lambda row, conn: rules.report_acceptance(row, sent_on=input.sent_on, actor=actor, conn=conn),
    )


async def publish_acceptance(info: Info, input: Annotated[PublishAcceptanceInput, InputArg]) -> AcceptancePayload:
    """Publish the acceptance result (agency)."""
    actor = actor_of(info.context.principal)
    return await _acceptance_step(
        info,
        input.acceptance,
        "publish",
        "只有实施主体可以公开验收结果。",
        lambda row, conn: rules.publish_acceptance(row, published_on=input.published_on, actor=actor, conn=conn),
    )


async def record_payment(info: Info, input: Annotated[RecordPaymentInput, InputArg]) -> PaymentPayload:
    """Record a payment (agency)."""
    principal = info.context.principal
    try:
        row = await _find(principal, ContractRow, input.contract, "Contract", "contract")
        _allow(
            may_in_district(principal, "create", "payment", row.district_id),
            "contract",
            "只有实施主体可以登记付款。",
        )
        instalment = None
        if input.instalment is not None:
            instalment = await visible_row(principal, InstalmentRow, input.instalment, "PaymentInstalment")
            if instalment is None or instalment.contract_id != row.pk:
                raise Refused(_error(ContractErrorCode.INVALID, "付款分期不属于该合同。", "instalment"))
        actor = actor_of(principal)
        payment, contract = await _apply(
            lambda conn: rules.record_payment(
                row,
                instalment=instalment,
                amount=input.amount,
                paid_on=input.paid_on,
                trigger=input.trigger,
                is_final=input.is_final,
                actor=actor,
                conn=conn,
            )
        )
    except Refused as stop:
        return refused(PaymentPayload, *stop.errors)
    return PaymentPayload(payment=from_row(Payment, payment), contract=_contract(contract), errors=[])


@strawberry.type(description="Contract mutations (Art. 9(4)–(6)). 合同管理。")
class Mutation:
    """Merged into the root ``Mutation``."""

    draft_contract: ContractPayload = strawberry.mutation(
        resolver=draft_contract,
        description="Draft the contract of an awarded lot: contractor and amount cap from the award; content "
        "may be completed until signing (agency). 起草购买服务合同（第九条第（四）项）。",
    )
    update_contract: ContractPayload = strawberry.mutation(
        resolver=update_contract, description="Edit a DRAFT contract (agency). 修改合同草稿。"
    )
    sign_contract: ContractPayload = strawberry.mutation(
        resolver=sign_contract,
        description="DRAFT → SIGNED (purchasing entity). Refused without the content of Art. 9(4) "
        "(MISSING_CONTENT, one per item) or with a term over 1 year without reason / over 3 years. 签订合同。",
    )
    publish_contract: ContractPayload = strawberry.mutation(
        resolver=publish_contract,
        description="SIGNED → PUBLISHED (公示, agency). Due 2 working days after signing; late is flagged. 合同公示。",
    )
    file_contract: ContractPayload = strawberry.mutation(
        resolver=file_contract,
        description="PUBLISHED → FILED (备案, finance). Due 7 working days after signing; late is flagged. 合同备案。",
    )
    start_performance: ContractPayload = strawberry.mutation(
        resolver=start_performance,
        description="FILED → IN_PERFORMANCE, opening the contractor's ledger (台账) (agency). 开始履约。",
    )
    terminate_contract: ContractPayload = strawberry.mutation(
        resolver=terminate_contract,
        description="Any active state → TERMINATED, with a reason (purchasing entity). 终止合同。",
    )
    propose_amendment: AmendmentPayload = strawberry.mutation(
        resolver=propose_amendment,
        description="Draft an amendment of a signed contract: reason, changed fields, amount change (agency). "
        "提出合同变更。",
    )
    sign_amendment: AmendmentPayload = strawberry.mutation(
        resolver=sign_amendment,
        description="Sign an amendment (purchasing entity); the contract's effectiveAmount includes it. 签订合同变更。",
    )
    record_inspection: InspectionPayload = strawberry.mutation(
        resolver=record_inspection,
        description="Record a progress inspection while the service runs or is rectified (agency). "
        "督促合同履行（第九条第（五）项）。",
    )
    record_acceptance: AcceptancePayload = strawberry.mutation(
        resolver=record_acceptance,
        description="Record an acceptance: PASS → ACCEPTED, FAIL → ACCEPTANCE_FAILED; after a failure only once a "
        "rectification inspection followed it (agency). 履约验收（第九条第（六）项）。",
    )
    report_acceptance_to_finance: AcceptancePayload = strawberry.mutation(
        resolver=report_acceptance_to_finance,
        description="Record that the acceptance report went to finance (agency). "
        "验收材料报送财政（第九条第（六）项）。",
    )
    publish_acceptance: AcceptancePayload = strawberry.mutation(
        resolver=publish_acceptance,
        description="Publish an acceptance result; the public reads it from then on (agency). 公开验收结果。",
    )
    record_payment: PaymentPayload = strawberry.mutation(
        resolver=record_payment,
        description="Record a payment (agency): never over the effective amount (OVERPAID); the final one needs "
        "the contract ACCEPTED (ACCEPTANCE_REQUIRED); a fully paid accepted contract closes. 付款（规则8）。",
    )
