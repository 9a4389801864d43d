"""Ledger mutations (台账, 第十四条; DOMAIN.md §2, rule 9): a contractor's own users — clerks and its machine
clients (API keys) — add service and fund entries to the ledgers of their own contracts, in bulk or one at a
time, and correct them with new entries (append-only).

Every mutation takes the same path, ``models.ledgers.submit``: all-or-nothing, errors per row and field, an
idempotency key that makes a retry answer with the first result, and the ledger's row lock, so the server
serialises the writers of one ledger itself. Adding entries needs no ``expectedVersion`` (appends commute; one
given is read as "at least"); a correction is based on the entry it names (refused when that entry was corrected
since) and, if given, on the exact version. Resolvers here only find the contract the caller may
see (NOT_FOUND), ask the policy (FORBIDDEN: ``write`` on ``ledger`` in ``contractor:<id>``) and translate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Any, TypeVar

import strawberry
from tortoise.models import Model

from models import Contract as ContractRow
from models import FundEntry as FundEntryRow
from models import Ledger as LedgerRow
from models import ServiceEntry as ServiceEntryRow
from models import ledgers as rules
from models.enums import AssistanceCategory, EntryKind, FundDirection, ServiceUnit
from models.ledgers import Correction, FundRow, RowProblem, ServiceRow, Submission, SubmissionResult
from models.rules import Problem, RuleViolation
from policies.enforcer import allowed
from policies.principal import Principal
from policies.scope import scoped
from schema import enums
from schema.base import from_row
from schema.context import Info
from schema.ledgers import FundEntry, Ledger, ServiceEntry
from schema.mutation_support import NOT_FOUND_MESSAGE, actor_of, refused, visible_row

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@strawberry.enum(description="Why a ledger change was refused. 台账变更错误码。")
class LedgerErrorCode(StrEnum):
    """Stable codes: access, shape, concurrency, and one per rule."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_STATE = "INVALID_STATE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_DATE = "INVALID_DATE"
    INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    NO_ENTRIES = "NO_ENTRIES"
    TOO_MANY_ENTRIES = "TOO_MANY_ENTRIES"
    NOTHING_TO_CHANGE = "NOTHING_TO_CHANGE"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    LEDGER_NOT_OPEN = "LEDGER_NOT_OPEN"
    LEDGER_LOCKED = "LEDGER_LOCKED"
    OUTSIDE_SERVICE_PERIOD = "OUTSIDE_SERVICE_PERIOD"
    ITEM_NOT_IN_CONTRACT = "ITEM_NOT_IN_CONTRACT"
    TOWNSHIP_OUTSIDE_DISTRICT = "TOWNSHIP_OUTSIDE_DISTRICT"
    # One answer for a person who cannot be recorded with the name given (models/beneficiary_matching.py): the
    # two codes below it told a contractor where an arbitrary ID number is registered, and are no longer returned.
    BENEFICIARY_NOT_MATCHED = "BENEFICIARY_NOT_MATCHED"
    BENEFICIARY_OUTSIDE_DISTRICT = "BENEFICIARY_OUTSIDE_DISTRICT"
    BENEFICIARY_MISMATCH = "BENEFICIARY_MISMATCH"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    ALREADY_CORRECTED = "ALREADY_CORRECTED"
    NOT_CORRECTABLE = "NOT_CORRECTABLE"


@strawberry.type(description="A refused ledger change, with the row and field at fault. 台账错误。")
class LedgerError:
    """Typed error."""

    code: LedgerErrorCode = strawberry.field(description="Stable error code. 错误码。")
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(
        description="Input field at fault (camelCase), prefixed by its list in a bulk call, e.g. "
        "`serviceEntries.quantity`; `entry.…` or `changes.…` in single-entry mutations. 出错字段。"
    )
    article: str | None = strawberry.field(
        description="Article of 泰政办发〔2019〕53号 the rule comes from, e.g. 第十四条. 依据条款。"
    )
    row: int | None = strawberry.field(
        default=None,
        description="Position of the entry in its list (`serviceEntries` or `fundEntries`, from 0) in "
        "`submitLedgerEntries`; null otherwise. 出错行（从0起）。",
    )
    current_version: int | None = strawberry.field(
        default=None,
        description="With VERSION_CONFLICT: the ledger's version now (refresh, check, then resubmit). 当前版本。",
    )


# --- Inputs ------------------------------------------------------------------------------------------------------


@strawberry.input(description="A service delivered (服务记录). 服务记录。")
class ServiceEntryInput:
    """One service entry."""

    service_date: dt.date = strawberry.field(
        description="Date of service, inside the contract's service period and not after today. 服务日期。"
    )
    catalogue_item_code: str = strawberry.field(
        description="Code of one of the contract's catalogue items, e.g. S06 (at most 8). 服务项目编码。"
    )
    assistance_category: enums.AssistanceCategory = strawberry.field(
        description="The beneficiary's assistance category at the time of service. 救助类别。"
    )
    township: str = strawberry.field(
        description="Code (9 digits) of a township of the contract's district where it was delivered. 乡镇代码。"
    )
    content: str = strawberry.field(description="What was done, at most 2000 characters. 服务内容。")
    quantity: Decimal = strawberry.field(description="Quantity in `unit`, > 0, at most 2 decimals. 数量。")
    unit: enums.ServiceUnit = strawberry.field(description="Unit: hours, visits, persons. 单位。")
    staff: str = strawberry.field(description="Staff who served, at most 200 characters. 服务人员。")
    beneficiary_id_number: str | None = strawberry.field(
        default=None,
        description="Resident ID number (18 characters, GB 11643) of the person served, if one person was served: "
        "found by exact number, else registered in the contract's district. Needs `beneficiaryName`. "
        "服务对象身份证号。",
    )
    beneficiary_name: str | None = strawberry.field(
        default=None,
        description="Name of the person served (at most 50); must match the registered name of a known number. "
        "服务对象姓名。",
    )
    outcome: str = strawberry.field(default="", description="Outcome, at most 2000 characters. 服务成效。")
    satisfaction: int | None = strawberry.field(default=None, description="Satisfaction 1–5. 满意度。")
    evidence_refs: list[str] = strawberry.field(
        default_factory=list,
        description="References to evidence (photos, signed sheets), at most 20 of at most 200 characters. 佐证材料。",
    )


@strawberry.input(description="A fund movement (资金记录). 资金记录。")
class FundEntryInput:
    """One fund entry."""

    entry_date: dt.date = strawberry.field(
        description="Date, not before the contract's signing and not after today. 日期。"
    )
    amount: Decimal = strawberry.field(description="Amount in yuan, > 0, at most 2 decimals. 金额（元）。")
    direction: enums.FundDirection = strawberry.field(description="Received or spent. 收支方向。")
    purpose: str = strawberry.field(description="Purpose, at most 2000 characters. 用途。")
    voucher_number: str = strawberry.field(description="Voucher number, at most 60 characters. 凭证号。")


APPEND_VERSION_DESCRIPTION = (
    "Optional: adding entries needs no version, since the server serialises the writers of a ledger and appends "
    "do not conflict (retry with the same `idempotencyKey` instead). When given it means 'at least': only a "
    "version the ledger never reached is refused with VERSION_CONFLICT (and the current version); an older one "
    "is accepted. 期望版本号（追加记录可不填）。"
)
CORRECTION_VERSION_DESCRIPTION = (
    "Optional: a correction is based on the entry it names (refused with ALREADY_CORRECTED when that entry was "
    "reversed or amended since). When given, the exact ledger `version` you saw: refused with VERSION_CONFLICT "
    "(and the current version) when anything was written since. 期望版本号（可选，须与当前版本一致）。"
)
KEY_DESCRIPTION = (
    "Idempotency key, unique per contractor (1–100 printable ASCII characters, e.g. a UUID): retrying with the same "
    "key and content returns the first result and writes nothing twice; the same key with other content is "
    "refused (IDEMPOTENCY_KEY_REUSED). A refused submission is not remembered. 幂等键。"
)


@strawberry.input(description="Entries to add to a ledger at once: all are written or none. 批量提交台账记录。")
class SubmitLedgerEntriesInput:
    """Bulk submission."""

    contract: strawberry.ID = strawberry.field(description="Global ID of your contract. 合同ID。")
    expected_version: int | None = strawberry.field(default=None, description=APPEND_VERSION_DESCRIPTION)
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    service_entries: list[ServiceEntryInput] = strawberry.field(
        default_factory=list, description=f"Service entries, at most {rules.MAX_ENTRIES_PER_CALL}. 服务记录。"
    )
    fund_entries: list[FundEntryInput] = strawberry.field(
        default_factory=list, description=f"Fund entries, at most {rules.MAX_ENTRIES_PER_CALL}. 资金记录。"
    )


@strawberry.input(description="One service entry to add to a ledger. 添加服务记录。")
class AddServiceEntryInput:
    """One new service entry."""

    contract: strawberry.ID = strawberry.field(description="Global ID of your contract. 合同ID。")
    entry: ServiceEntryInput = strawberry.field(description="The entry. 服务记录。")
    expected_version: int | None = strawberry.field(default=None, description=APPEND_VERSION_DESCRIPTION)
    idempotency_key: str | None = strawberry.field(default=None, description=f"Optional here. {KEY_DESCRIPTION}")


@strawberry.input(description="One fund entry to add to a ledger. 添加资金记录。")
class AddFundEntryInput:
    """One new fund entry."""

    contract: strawberry.ID = strawberry.field(description="Global ID of your contract. 合同ID。")
    entry: FundEntryInput = strawberry.field(description="The entry. 资金记录。")
    expected_version: int | None = strawberry.field(default=None, description=APPEND_VERSION_DESCRIPTION)
    idempotency_key: str | None = strawberry.field(default=None, description=f"Optional here. {KEY_DESCRIPTION}")


@strawberry.enum(description="How an entry is corrected. 更正方式。")
class CorrectionKind(Enum):
    """Reverse or amend."""

    REVERSAL = strawberry.enum_value(
        "reversal", description="Cancel the entry: a REVERSAL entry with its figures negated. 冲销（红字）。"
    )
    AMENDMENT = strawberry.enum_value(
        "amendment",
        description="Replace the entry: a REVERSAL of it, then an AMENDMENT with the corrected figures. 更正。",
    )


@strawberry.input(
    description="What changes in an amended service entry; omitted fields keep the corrected entry's values. 更正内容。"
)
class ServiceEntryChangesInput:
    """Changed values (all optional)."""

    service_date: dt.date | None = strawberry.field(default=strawberry.UNSET, description="Date of service. 服务日期。")
    catalogue_item_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="Catalogue item code of the contract. 服务项目编码。"
    )
    assistance_category: enums.AssistanceCategory | None = strawberry.field(
        default=strawberry.UNSET, description="Assistance category. 救助类别。"
    )
    township: str | None = strawberry.field(default=strawberry.UNSET, description="Township code. 乡镇代码。")
    content: str | None = strawberry.field(default=strawberry.UNSET, description="Service content. 服务内容。")
    quantity: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Quantity, > 0. 数量。")
    unit: enums.ServiceUnit | None = strawberry.field(default=strawberry.UNSET, description="Unit. 单位。")
    staff: str | None = strawberry.field(default=strawberry.UNSET, description="Staff who served. 服务人员。")
    beneficiary_id_number: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Resident ID number of the person served; null with `beneficiaryName: null` for none. 身份证号。",
    )
    beneficiary_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Name of the person served. 服务对象姓名。"
    )
    outcome: str | None = strawberry.field(default=strawberry.UNSET, description="Outcome. 服务成效。")
    satisfaction: int | None = strawberry.field(default=strawberry.UNSET, description="Satisfaction 1–5. 满意度。")
    evidence_refs: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Evidence references, at most 20. 佐证材料。"
    )


@strawberry.input(
    description="What changes in an amended fund entry; omitted fields keep the corrected entry's values. 更正内容。"
)
class FundEntryChangesInput:
    """Changed values (all optional)."""

    entry_date: dt.date | None = strawberry.field(default=strawberry.UNSET, description="Date. 日期。")
    amount: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Amount, > 0. 金额（元）。")
    direction: enums.FundDirection | None = strawberry.field(default=strawberry.UNSET, description="Direction. 收支。")
    purpose: str | None = strawberry.field(default=strawberry.UNSET, description="Purpose. 用途。")
    voucher_number: str | None = strawberry.field(default=strawberry.UNSET, description="Voucher number. 凭证号。")


CORRECTION_NOTE = (
    "An entry is corrected once; to correct it again, correct its latest amendment (ALREADY_CORRECTED otherwise)."
)


@strawberry.input(description=f"Reverse or amend a service entry (append-only). {CORRECTION_NOTE} 更正服务记录。")
class CorrectServiceEntryInput:
    """A correction of a service entry."""

    entry: strawberry.ID = strawberry.field(description="Global ID of the service entry to correct. 被更正的记录。")
    kind: CorrectionKind = strawberry.field(description="REVERSAL or AMENDMENT. 更正方式。")
    reason: str = strawberry.field(description="Why (required), at most 2000 characters. 更正理由。")
    changes: ServiceEntryChangesInput | None = strawberry.field(
        default=None, description="For AMENDMENT: what changes (at least one value). 更正内容。"
    )
    expected_version: int | None = strawberry.field(default=None, description=CORRECTION_VERSION_DESCRIPTION)
    idempotency_key: str | None = strawberry.field(default=None, description=f"Optional here. {KEY_DESCRIPTION}")


@strawberry.input(description=f"Reverse or amend a fund entry (append-only). {CORRECTION_NOTE} 更正资金记录。")
class CorrectFundEntryInput:
    """A correction of a fund entry."""

    entry: strawberry.ID = strawberry.field(description="Global ID of the fund entry to correct. 被更正的记录。")
    kind: CorrectionKind = strawberry.field(description="REVERSAL or AMENDMENT. 更正方式。")
    reason: str = strawberry.field(description="Why (required), at most 2000 characters. 更正理由。")
    changes: FundEntryChangesInput | None = strawberry.field(
        default=None, description="For AMENDMENT: what changes (at least one value). 更正内容。"
    )
    expected_version: int | None = strawberry.field(default=None, description=CORRECTION_VERSION_DESCRIPTION)
    idempotency_key: str | None = strawberry.field(default=None, description=f"Optional here. {KEY_DESCRIPTION}")


# --- Payloads ----------------------------------------------------------------------------------------------------


@strawberry.type(description="Result of `submitLedgerEntries`; a retry with the same key answers the same. 提交结果。")
class SubmitLedgerEntriesPayload:
    """What was written, or why nothing was."""

    version: int | None = strawberry.field(description="The ledger version this submission produced. 提交后的版本。")
    beneficiaries_created: int = strawberry.field(description="Beneficiaries registered by this submission.")
    errors: list[LedgerError] = strawberry.field(description="Why it was refused, per row and field; empty on success.")
    #: What was written (read back only when the caller selects it: a syncing client asks for the version).
    written: strawberry.Private[tuple[LedgerRow, SubmissionResult] | None] = None

    @strawberry.field(description="The ledger now; null when refused.")
    async def ledger(self, info: Info) -> Ledger | None:
        """Read when selected."""
        return None if self.written is None else await _ledger(info, self.written[0])

    @strawberry.field(description="The new service entries, in input order.")
    async def service_entries(self, info: Info) -> list[ServiceEntry]:
        """Read when selected."""
        ids = [] if self.written is None else self.written[1].service_entry_ids
        return await _visible(info, ServiceEntryRow, ServiceEntry, ids)

    @strawberry.field(description="The new fund entries, in input order.")
    async def fund_entries(self, info: Info) -> list[FundEntry]:
        """Read when selected."""
        ids = [] if self.written is None else self.written[1].fund_entry_ids
        return await _visible(info, FundEntryRow, FundEntry, ids)


@strawberry.type(description="Result of `addServiceEntry`. 添加服务记录结果。")
class AddServiceEntryPayload:
    """The new entry, or errors."""

    service_entry: ServiceEntry | None = strawberry.field(description="The new entry; null when refused.")
    ledger: Ledger | None = strawberry.field(description="The ledger now (its new version); null when refused.")
    errors: list[LedgerError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `addFundEntry`. 添加资金记录结果。")
class AddFundEntryPayload:
    """The new entry, or errors."""

    fund_entry: FundEntry | None = strawberry.field(description="The new entry; null when refused.")
    ledger: Ledger | None = strawberry.field(description="The ledger now (its new version); null when refused.")
    errors: list[LedgerError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `correctServiceEntry`. 更正服务记录结果。")
class CorrectServiceEntryPayload:
    """The correcting entries, or errors."""

    reversal: ServiceEntry | None = strawberry.field(description="The REVERSAL entry written; null when refused.")
    amendment: ServiceEntry | None = strawberry.field(description="The AMENDMENT entry (amending only).")
    ledger: Ledger | None = strawberry.field(description="The ledger now; null when refused.")
    errors: list[LedgerError] = strawberry.field(description="Why it was refused; empty on success.")


@strawberry.type(description="Result of `correctFundEntry`. 更正资金记录结果。")
class CorrectFundEntryPayload:
    """The correcting entries, or errors."""

    reversal: FundEntry | None = strawberry.field(description="The REVERSAL entry written; null when refused.")
    amendment: FundEntry | None = strawberry.field(description="The AMENDMENT entry (amending only).")
    ledger: Ledger | None = strawberry.field(description="The ledger now; null when refused.")
    errors: list[LedgerError] = strawberry.field(description="Why it was refused; empty on success.")


# --- Shared steps (also used by the workbook routes in api/ledger_files.py) -------------------------------------


def in_contractor_domains(principal: Principal, action: str, obj: str, row: Any) -> bool:
    """May ``principal`` do ``action`` on ``obj`` in the domains of ``row`` (its district and contractor)?"""
    return any(
        allowed(principal, action, obj, domain)
        for domain in (f"contractor:{row.contractor_id}", f"district:{row.district_id}")
    )


async def writable_ledger(principal: Principal, contract_id: Any) -> tuple[LedgerRow, bool] | Problem:
    """The ledger of a contract ``principal`` may write, and whether it may register beneficiaries; else the
    refusal: NOT_FOUND (hidden contract), FORBIDDEN (policy ``write`` on ``ledger``), LEDGER_NOT_OPEN (no ledger:
    the contract is not in performance yet)."""
    contract = await visible_row(principal, ContractRow, contract_id, "Contract")
    if contract is None:
        return Problem("NOT_FOUND", NOT_FOUND_MESSAGE, "contract")
    if not in_contractor_domains(principal, "write", "ledger", contract):
        return Problem("FORBIDDEN", "只有承接该合同的承接主体可以记录其台账。", "contract", rules.ART_LEDGER)
    ledger = await LedgerRow.get_or_none(contract_id=contract.pk)
    if ledger is None:
        window = rules.window_problem(contract.status, funds_only=False)
        return window or Problem("LEDGER_NOT_OPEN", "该合同尚未开始履约，台账未建立。", "contract", rules.ART_LEDGER)
    return ledger, in_contractor_domains(principal, "create", "beneficiary", contract)


def _field(problem: Problem, prefix: str | None) -> str | None:
    section = getattr(problem, "section", None)
    if section is None or problem.field is None:
        return problem.field
    if getattr(problem, "row", None) is None:
        return problem.field if problem.field == section else f"{section}.{problem.field}"
    return f"{prefix or section}.{problem.field}"


def ledger_errors(exc: RuleViolation | Problem, *, prefix: str | None = None, rows: bool = True) -> list[LedgerError]:
    """Payload errors; ``prefix`` replaces the list name in ``field`` (``entry``, ``changes``) for single entries."""
    problems = exc.problems if isinstance(exc, RuleViolation) else [exc]
    out = []
    for p in problems:
        try:
            code = LedgerErrorCode(p.code)
        except ValueError:
            code = LedgerErrorCode.INVALID
        out.append(
            LedgerError(
                code=code,
                message=p.message,
                field=_field(p, prefix),
                article=p.article,
                row=p.row if rows and isinstance(p, RowProblem) else None,
                current_version=p.current_version if isinstance(p, RowProblem) else None,
            )
        )
    return out


def service_row(entry: ServiceEntryInput) -> ServiceRow:
    """A models row from the GraphQL input."""
    return ServiceRow(
        service_date=entry.service_date,
        catalogue_item_code=entry.catalogue_item_code,
        assistance_category=AssistanceCategory(entry.assistance_category.value),
        township=entry.township,
        content=entry.content,
        quantity=entry.quantity,
        unit=ServiceUnit(entry.unit.value),
        staff=entry.staff,
        beneficiary_id_number=entry.beneficiary_id_number,
        beneficiary_name=entry.beneficiary_name,
        outcome=entry.outcome,
        satisfaction=entry.satisfaction,
        evidence_refs=tuple(entry.evidence_refs),
    )


def fund_row(entry: FundEntryInput) -> FundRow:
    """A models row from the GraphQL input."""
    return FundRow(
        entry_date=entry.entry_date,
        amount=entry.amount,
        direction=FundDirection(entry.direction.value),
        purpose=entry.purpose,
        voucher_number=entry.voucher_number,
    )


async def _visible(info: Info, model: type[M], cls: type[T], ids: list[int]) -> list[T]:
    if not ids:
        return []
    rows = {r.pk: r for r in await scoped(info.context.principal, model).filter(id__in=ids)}
    return [from_row(cls, rows[pk]) for pk in ids if pk in rows]


async def _ledger(info: Info, ledger: LedgerRow) -> Ledger | None:
    row = await scoped(info.context.principal, LedgerRow).get_or_none(pk=ledger.pk)
    return None if row is None else from_row(Ledger, row)


async def _write(info: Info, contract: Any, submission: Submission) -> tuple[LedgerRow, SubmissionResult] | Problem:
    """Find the ledger, check the policy, then submit (errors come back as a Problem or a RuleViolation)."""
    principal = info.context.principal
    found = await writable_ledger(principal, contract)
    if isinstance(found, Problem):
        return found
    ledger, may_create = found
    submission = replace(submission, may_create_beneficiaries=may_create)
    return ledger, await rules.submit(ledger, submission, actor=actor_of(principal))


# --- Resolvers -----------------------------------------------------------------------------------------------


async def submit_ledger_entries(
    info: Info,
    input: Annotated[SubmitLedgerEntriesInput, strawberry.argument(description="The entries. 台账记录。")],
) -> SubmitLedgerEntriesPayload:
    """Bulk submission, all-or-nothing (第十四条, rule 9)."""
    submission = Submission(
        service_rows=[service_row(e) for e in input.service_entries],
        fund_rows=[fund_row(e) for e in input.fund_entries],
        expected_version=input.expected_version,
        idempotency_key=input.idempotency_key,
    )
    refused = SubmitLedgerEntriesPayload(version=None, beneficiaries_created=0, errors=[])
    try:
        outcome = await _write(info, input.contract, submission)
    except RuleViolation as exc:
        refused.errors = ledger_errors(exc)
        return refused
    if isinstance(outcome, Problem):
        refused.errors = ledger_errors(outcome)
        return refused
    ledger, result = outcome
    return SubmitLedgerEntriesPayload(
        version=result.version,
        beneficiaries_created=result.beneficiaries_created,
        errors=[],
        written=(ledger, result),
    )


async def add_service_entry(
    info: Info, input: Annotated[AddServiceEntryInput, strawberry.argument(description="The entry. 服务记录。")]
) -> AddServiceEntryPayload:
    """One service entry (same path as the bulk submission)."""
    submission = Submission(
        service_rows=[service_row(input.entry)],
        expected_version=input.expected_version,
        idempotency_key=input.idempotency_key,
    )
    try:
        outcome = await _write(info, input.contract, submission)
    except RuleViolation as exc:
        return refused(AddServiceEntryPayload, *ledger_errors(exc, prefix="entry", rows=False))
    if isinstance(outcome, Problem):
        return refused(AddServiceEntryPayload, *ledger_errors(outcome))
    ledger, result = outcome
    entries = await _visible(info, ServiceEntryRow, ServiceEntry, result.service_entry_ids)
    return AddServiceEntryPayload(service_entry=entries[0], ledger=await _ledger(info, ledger), errors=[])


async def add_fund_entry(
    info: Info, input: Annotated[AddFundEntryInput, strawberry.argument(description="The entry. 资金记录。")]
) -> AddFundEntryPayload:
    """One fund entry (same path as the bulk submission)."""
    submission = Submission(
        fund_rows=[fund_row(input.entry)],
        expected_version=input.expected_version,
        idempotency_key=input.idempotency_key,
    )
    try:
        outcome = await _write(info, input.contract, submission)
    except RuleViolation as exc:
        return refused(AddFundEntryPayload, *ledger_errors(exc, prefix="entry", rows=False))
    if isinstance(outcome, Problem):
        return refused(AddFundEntryPayload, *ledger_errors(outcome))
    ledger, result = outcome
    entries = await _visible(info, FundEntryRow, FundEntry, result.fund_entry_ids)
    return AddFundEntryPayload(fund_entry=entries[0], ledger=await _ledger(info, ledger), errors=[])


def _changed(changes: Any) -> dict[str, Any]:
    """The fields given in a changes input (UNSET ones are not), enums as domain values."""
    if changes is None:
        return {}
    out: dict[str, Any] = {}
    for name in changes.__dataclass_fields__:
        value = getattr(changes, name)
        if value is strawberry.UNSET:
            continue
        if isinstance(value, Enum):
            value = value.value
        out[name] = value
    return out


async def _correctable(info: Info, model: type[M], global_id: Any, type_name: str) -> M | LedgerError:
    row = await visible_row(info.context.principal, model, global_id, type_name)
    if row is None:
        return LedgerError(code=LedgerErrorCode.NOT_FOUND, message=NOT_FOUND_MESSAGE, field="entry", article=None)
    return row


def _correction_rows(kind: CorrectionKind, changes: dict[str, Any]) -> LedgerError | None:
    if kind == CorrectionKind.AMENDMENT and not changes:
        return LedgerError(
            code=LedgerErrorCode.NOTHING_TO_CHANGE,
            message="更正须给出至少一项更正内容。",
            field="changes",
            article=None,
        )
    if kind == CorrectionKind.REVERSAL and changes:
        return LedgerError(
            code=LedgerErrorCode.INVALID,
            message="冲销不带更正内容；如需改正数值请使用更正。",
            field="changes",
            article=None,
        )
    return None


async def correct_service_entry(
    info: Info,
    input: Annotated[CorrectServiceEntryInput, strawberry.argument(description="The correction. 更正。")],
) -> CorrectServiceEntryPayload:
    """Reverse or amend a service entry: new entries, never an edit (第十四条)."""
    original = await _correctable(info, ServiceEntryRow, input.entry, "ServiceEntry")
    if isinstance(original, LedgerError):
        return refused(CorrectServiceEntryPayload, original)
    changes = _changed(input.changes)
    if (problem := _correction_rows(input.kind, changes)) is not None:
        return refused(CorrectServiceEntryPayload, problem)
    rows: list[ServiceRow] = []
    if input.kind == CorrectionKind.AMENDMENT:
        base = await rules.service_row_of(original)
        converted = {
            k: (AssistanceCategory(v) if k == "assistance_category" and v is not None else v)
            for k, v in changes.items()
        }
        converted = {k: (ServiceUnit(v) if k == "unit" and v is not None else v) for k, v in converted.items()}
        if "evidence_refs" in converted:
            converted["evidence_refs"] = tuple(converted["evidence_refs"] or ())
        rows = [replace(base, **converted)]
    submission = Submission(
        service_rows=rows,
        expected_version=input.expected_version,
        idempotency_key=input.idempotency_key,
        correction=Correction(original=original, kind=EntryKind(input.kind.value), reason=input.reason),
    )
    contract_id = _contract_global_id(original)
    try:
        outcome = await _write(info, contract_id, submission)
    except RuleViolation as exc:
        return refused(CorrectServiceEntryPayload, *ledger_errors(exc, prefix="changes", rows=False))
    if isinstance(outcome, Problem):
        return refused(CorrectServiceEntryPayload, *ledger_errors(outcome))
    ledger, result = outcome
    entries = await _visible(info, ServiceEntryRow, ServiceEntry, result.service_entry_ids)
    return CorrectServiceEntryPayload(
        reversal=entries[0] if entries else None,
        amendment=entries[1] if len(entries) > 1 else None,
        ledger=await _ledger(info, ledger),
        errors=[],
    )


async def correct_fund_entry(
    info: Info,
    input: Annotated[CorrectFundEntryInput, strawberry.argument(description="The correction. 更正。")],
) -> CorrectFundEntryPayload:
    """Reverse or amend a fund entry: new entries, never an edit (第十四条)."""
    original = await _correctable(info, FundEntryRow, input.entry, "FundEntry")
    if isinstance(original, LedgerError):
        return refused(CorrectFundEntryPayload, original)
    changes = _changed(input.changes)
    if (problem := _correction_rows(input.kind, changes)) is not None:
        return refused(CorrectFundEntryPayload, problem)
    rows: list[FundRow] = []
    if input.kind == CorrectionKind.AMENDMENT:
        converted = {k: (FundDirection(v) if k == "direction" and v is not None else v) for k, v in changes.items()}
        rows = [replace(rules.fund_row_of(original), **converted)]
    submission = Submission(
        fund_rows=rows,
        expected_version=input.expected_version,
        idempotency_key=input.idempotency_key,
        correction=Correction(original=original, kind=EntryKind(input.kind.value), reason=input.reason),
    )
    try:
        outcome = await _write(info, _contract_global_id(original), submission)
    except RuleViolation as exc:
        return refused(CorrectFundEntryPayload, *ledger_errors(exc, prefix="changes", rows=False))
    if isinstance(outcome, Problem):
        return refused(CorrectFundEntryPayload, *ledger_errors(outcome))
    ledger, result = outcome
    entries = await _visible(info, FundEntryRow, FundEntry, result.fund_entry_ids)
    return CorrectFundEntryPayload(
        reversal=entries[0] if entries else None,
        amendment=entries[1] if len(entries) > 1 else None,
        ledger=await _ledger(info, ledger),
        errors=[],
    )


def _contract_global_id(entry: Any) -> str:
    from schema.relay import encode_id

    return encode_id("Contract", entry.contract_id)


@strawberry.type
class Mutation:
    """Ledger mutations, merged into the root ``Mutation`` (see ``schema/mutation.py``)."""

    submit_ledger_entries: SubmitLedgerEntriesPayload = strawberry.mutation(
        resolver=submit_ledger_entries,
        description=f"A contractor adds up to {rules.MAX_ENTRIES_PER_CALL} service and "
        f"{rules.MAX_ENTRIES_PER_CALL} fund entries to its ledger at once, all or none (第十四条; rule 9: inside the "
        "service period, for the contract's catalogue items, while in performance or rectification). Idempotent by "
        "key. Needs no `expectedVersion`: concurrent submissions to one ledger are serialised by the server and all "
        "go in; the payload's `version` is the one this submission produced. 批量提交台账记录。",
    )
    add_service_entry: AddServiceEntryPayload = strawberry.mutation(
        resolver=add_service_entry,
        description="A contractor adds one service entry to its ledger (第十四条, rule 9); needs no version. "
        "添加服务记录。",
    )
    add_fund_entry: AddFundEntryPayload = strawberry.mutation(
        resolver=add_fund_entry,
        description="A contractor adds one fund entry to its ledger (第十四条); open until the contract is closed; "
        "needs no version. 添加资金记录。",
    )
    correct_service_entry: CorrectServiceEntryPayload = strawberry.mutation(
        resolver=correct_service_entry,
        description="A contractor reverses or amends a service entry with new entries and a reason; the entry itself "
        "never changes (第十四条). Based on the entry named (refused when it was corrected since) and, optionally, "
        "the exact ledger version. 更正或冲销服务记录。",
    )
    correct_fund_entry: CorrectFundEntryPayload = strawberry.mutation(
        resolver=correct_fund_entry,
        description="A contractor reverses or amends a fund entry with new entries and a reason (第十四条). Based on "
        "the entry named (refused when it was corrected since) and, optionally, the exact ledger version. "
        "更正或冲销资金记录。",
    )
