"""Service ledgers (台账, Art. 14) kept by contractors, and beneficiaries (救助对象)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, ClassVar, TypeVar

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models import beneficiary_matching as matching
from models.base import CENT, MoneyField, Owned, TimestampedModel, money
from models.beneficiary_matching import MatchRefusal, record_failures
from models.crypto import SealedCharField
from models.enums import AssistanceCategory, ChangeAction, ContractStatus, EntryKind, FundDirection, ServiceUnit
from models.geography import is_township_code
from models.history import record_change, snapshot
from models.identifiers import IdentifierError, validate_id_number
from models.rules import Actor, Problem, RuleViolation
from models.timeutil import now, today


class Beneficiary(TimestampedModel, Owned):
    """救助对象: sensitive personal data, ID and phone are masked for all but the district’s agency (§5)."""

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField(
        "models.District", related_name="beneficiaries", on_delete=fields.RESTRICT, db_index=True
    )
    township = fields.ForeignKeyField(
        "models.Township", related_name="beneficiaries", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=50)
    id_number = SealedCharField(
        max_length=64,
        label="beneficiary.id_number",
        unique=True,
        description="居民身份证号 (GB 11643), encrypted at rest (models.crypto)",
    )
    assistance_category = fields.CharEnumField(AssistanceCategory, max_length=16)
    phone = SealedCharField(
        max_length=96, label="beneficiary.phone", null=True, description="联系电话, encrypted at rest"
    )

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "beneficiary"

    @classmethod
    def contractor_q(cls, contractor_id: int) -> Q | None:
        """A contractor sees only the beneficiaries of its own ledger entries (§5)."""
        entries = ServiceEntry.filter(contractor_id=contractor_id, beneficiary_id__isnull=False)
        return Q(id__in=Subquery(entries.values("beneficiary_id")))

    class Meta:
        table = "beneficiary"
        ordering = ("id",)


class Ledger(TimestampedModel, Owned):
    """台账: one per contract, kept by the contractor. ``version`` guards concurrent bulk writes."""

    id = fields.IntField(primary_key=True)
    contract = fields.OneToOneField("models.Contract", related_name="ledger", on_delete=fields.CASCADE)
    district = fields.ForeignKeyField(
        "models.District", related_name="ledgers", on_delete=fields.RESTRICT, db_index=True
    )
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name="ledgers", on_delete=fields.RESTRICT, db_index=True
    )
    version = fields.IntField(default=0)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "ledger"

    class Meta:
        table = "ledger"


class ServiceEntry(Model, Owned):
    """A service delivered: append-only, corrections are new entries pointing at the one they correct."""

    id = fields.BigIntField(primary_key=True)
    ledger = fields.ForeignKeyField(
        "models.Ledger", related_name="service_entries", on_delete=fields.CASCADE, db_index=True
    )
    contract = fields.ForeignKeyField(
        "models.Contract", related_name="service_entries", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    service_date = fields.DateField()
    catalogue_item = fields.ForeignKeyField(
        "models.CatalogueItem", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    beneficiary = fields.ForeignKeyField(
        "models.Beneficiary",
        related_name="service_entries",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    assistance_category = fields.CharEnumField(AssistanceCategory, max_length=16)
    township = fields.ForeignKeyField("models.Township", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    content = fields.TextField()
    quantity = fields.DecimalField(max_digits=10, decimal_places=2)
    unit = fields.CharEnumField(ServiceUnit, max_length=16)
    staff = fields.CharField(max_length=200, description="服务人员")
    outcome = fields.TextField(default="")
    satisfaction = fields.IntField(null=True, description="满意度 1–5")
    evidence_refs = fields.JSONField(default=list)
    kind = fields.CharEnumField(EntryKind, max_length=16, default=EntryKind.ORIGINAL)
    corrects = fields.ForeignKeyField(
        "models.ServiceEntry", related_name="corrections", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    correction_reason = fields.TextField(default="")
    submitted_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    submitted_at = fields.DatetimeField(auto_now_add=True)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "ledger"

    class Meta:
        table = "ledger_service_entry"
        ordering = ("id",)
        # By contract or district and date (ledger views, district dashboards); by date alone for the city-wide
        # partial months of a dashboard date range; by catalogue item and date for the item-filtered counts of
        # people the summaries do not keep (models.dashboards.services).
        indexes = (
            ("contract_id", "service_date"),
            ("district_id", "service_date"),
            ("catalogue_item_id", "service_date"),
            ("service_date",),
        )


def in_effect() -> Q:
    """Service entries that stand: not a reversal, and not reversed by one (红字冲销)."""
    reversed_ids = (
        ServiceEntry.filter(kind=EntryKind.REVERSAL, corrects_id__isnull=False).order_by().values("corrects_id")
    )
    return ~Q(kind=EntryKind.REVERSAL) & ~Q(id__in=Subquery(reversed_ids))


class FundEntry(Model, Owned):
    """A fund movement recorded in the ledger (received from the purchaser / spent)."""

    id = fields.BigIntField(primary_key=True)
    ledger = fields.ForeignKeyField(
        "models.Ledger", related_name="fund_entries", on_delete=fields.CASCADE, db_index=True
    )
    contract = fields.ForeignKeyField(
        "models.Contract", related_name="fund_entries", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    entry_date = fields.DateField()
    amount = MoneyField()
    direction = fields.CharEnumField(FundDirection, max_length=16)
    purpose = fields.TextField()
    voucher_number = fields.CharField(max_length=60, description="凭证号")
    kind = fields.CharEnumField(EntryKind, max_length=16, default=EntryKind.ORIGINAL)
    corrects = fields.ForeignKeyField(
        "models.FundEntry", related_name="corrections", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    correction_reason = fields.TextField(default="")
    submitted_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    submitted_at = fields.DatetimeField(auto_now_add=True)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "fund_entry"

    class Meta:
        table = "ledger_fund_entry"
        ordering = ("id",)
        indexes = (("contract_id", "entry_date"),)


class LedgerSubmission(Model, Owned):
    """A bulk submission, remembered by its idempotency key so a retry returns the first result."""

    id = fields.BigIntField(primary_key=True)
    ledger = fields.ForeignKeyField(
        "models.Ledger", related_name="submissions", on_delete=fields.CASCADE, db_index=True
    )
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    idempotency_key = fields.CharField(max_length=100)
    request_hash = fields.CharField(max_length=64, description="SHA-256 of the canonical request")
    result = fields.JSONField(description="What the first call answered")
    entry_count = fields.IntField(default=0)
    ledger_version = fields.IntField(description="Ledger version after this submission")
    submitted_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    submitted_at = fields.DatetimeField(auto_now_add=True)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "ledger"

    class Meta:
        table = "ledger_submission"
        unique_together = (("contractor", "idempotency_key"),)


# ---------------------------------------------------------------------------------------------------------------
# The ledger's rules (台账, 第十四条; DOMAIN.md §2 and rule 9) and the one write path every entry takes.
#
# Append-only. A submitted entry is never changed. A correction is new entries that point (``corrects``) at the
# entry they correct, with a reason, in the convention of the demo data (红字冲销, then 蓝字更正):
#   - REVERSAL carries the original's figures negated (quantity, or amount) and cancels it;
#   - AMENDMENT carries the corrected figures. Amending writes the REVERSAL *and* the AMENDMENT, so summing every
#     entry of the full history still gives what was delivered (and received/spent).
# An entry is corrected once: to correct again, correct the latest amendment (ALREADY_CORRECTED otherwise).
# The *current view* is the originals and amendments that no correction points at; the *history* is every entry.
#
# Every write — a bulk submission, one entry, one correction, a workbook import — goes through :func:`submit`:
# one transaction that (1) takes the ledger's row lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs one
# transaction at a time), so the server itself serialises the writers of one ledger, (2) answers a retried
# idempotency key with the first result (after the lock: a twin request that committed meanwhile is seen),
# (3) checks what the write is based on (below), (4) checks rule 9 against the contract and every row, reporting
# every problem by row and field, (5) inserts in one statement per table (``models.bulk``; beneficiaries looked
# up in one query per batch), moves the ledger's ``version`` by one, and (6) records history: a CREATE per new
# entry and beneficiary (one statement too) and the ledger's version change with a note of what the submission
# held. Nothing in it reads the ledger's earlier entries, so its cost does not grow with the ledger. A refusal
# writes nothing.
#
# What a write is based on (issue 18: clerks who only add entries must not fight over the version):
#   - an APPEND (new entries) commutes with every other append, so it needs no view of the ledger: the
#     expected version is optional, and when given it is read as "at least": only a version the ledger never
#     reached is refused (VERSION_CONFLICT) — an older one is not, since appends in between do not change what
#     this one means. Retries are made safe by the idempotency key, not by the version;
#   - a CORRECTION names the entry it corrects, and an entry's global ID is its revision (an amendment is a new
#     entry with a new ID): it is refused (ALREADY_CORRECTED) when that entry was reversed or amended since —
#     checked under the ledger lock. Its expected version is optional too and, when given, exact: a caller
#     that names the version it saw is refused when anything was written since.
# ---------------------------------------------------------------------------------------------------------------

ART_LEDGER = "第十四条"  # 建立政府购买社会救助服务台账
ART_CONTRACT = "第九条第（四）项"  # the contract fixes the service period and what is bought

#: Most entries of each kind in one GraphQL call, and in one imported workbook.
MAX_ENTRIES_PER_CALL = 500
MAX_IMPORT_ROWS = 100_000
#: Rows per INSERT batch and per beneficiary lookup.
BATCH = 1000
MAX_EVIDENCE_REFS = 20
MAX_QUANTITY = Decimal("99999999.99")  # the column holds 10 digits, 2 after the point
TEXT_LIMITS: dict[str, int] = {
    "catalogueItemCode": 8,
    "beneficiaryName": 50,
    "content": 2000,
    "staff": 200,
    "outcome": 2000,
    "evidenceRefs": 200,
    "purpose": 2000,
    "voucherNumber": 60,
    "reason": 2000,
    "idempotencyKey": 100,
}

#: Rule 9: entries are added while the contract is performed or rectified (验收不合格后整改).
OPEN_STATES = (ContractStatus.IN_PERFORMANCE, ContractStatus.ACCEPTANCE_FAILED)
#: Fund entries stay open while ACCEPTED: the final payment is only made after acceptance (rule 8), and the
#: contractor's books (第十四条 财务制度) must record it. Closing the contract locks them too.
FUND_OPEN_STATES = (*OPEN_STATES, ContractStatus.ACCEPTED)
LOCKED_STATES = (ContractStatus.ACCEPTED, ContractStatus.CLOSED)
STATUS_LABEL = {
    ContractStatus.DRAFT: "草稿",
    ContractStatus.SIGNED: "已签订",
    ContractStatus.PUBLISHED: "已公示",
    ContractStatus.FILED: "已备案",
    ContractStatus.IN_PERFORMANCE: "履约中",
    ContractStatus.ACCEPTANCE_FAILED: "验收不合格（整改中）",
    ContractStatus.ACCEPTED: "验收合格",
    ContractStatus.CLOSED: "已结清",
    ContractStatus.TERMINATED: "已终止",
}

#: Filter of the current view (for ``filter(**CURRENT)`` and the dataloaders' ``where``).
CURRENT: dict[str, Any] = {
    "kind__in": (EntryKind.ORIGINAL.value, EntryKind.AMENDMENT.value),
    "corrections__id__isnull": True,
}
CURRENT_WHERE: tuple[tuple[str, Any], ...] = tuple(CURRENT.items())

SERVICE = "serviceEntries"
FUNDS = "fundEntries"


@dataclass(frozen=True, slots=True)
class RowProblem(Problem):
    """A :class:`Problem` of one row of a submission: ``section`` names the list (``serviceEntries`` or
    ``fundEntries``), ``row`` the position in it (from 0). VERSION_CONFLICT carries ``current_version``."""

    section: str | None = None
    row: int | None = None
    current_version: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """One service entry as submitted (服务记录). ``None`` where a value is missing or could not be read."""

    service_date: dt.date | None
    catalogue_item_code: str | None
    assistance_category: AssistanceCategory | None
    township: str | None
    content: str | None
    quantity: Decimal | None
    unit: ServiceUnit | None
    staff: str | None
    beneficiary_id_number: str | None = None
    beneficiary_name: str | None = None
    outcome: str | None = ""
    satisfaction: int | None = None
    evidence_refs: tuple[str, ...] = ()

    def canonical(self) -> list[Any]:
        """The row as plain values, for the request hash (equal rows hash equal however they were written)."""
        return [
            _iso(self.service_date),
            _clean(self.catalogue_item_code).upper(),
            _clean(self.beneficiary_id_number).upper(),
            _clean(self.beneficiary_name),
            _value(self.assistance_category),
            _clean(self.township),
            _clean(self.content),
            _decimal(self.quantity),
            _value(self.unit),
            _clean(self.staff),
            _clean(self.outcome),
            self.satisfaction,
            [_clean(r) for r in self.evidence_refs],
        ]


@dataclass(frozen=True, slots=True)
class FundRow:
    """One fund entry as submitted (资金记录)."""

    entry_date: dt.date | None
    amount: Decimal | None
    direction: FundDirection | None
    purpose: str | None
    voucher_number: str | None

    def canonical(self) -> list[Any]:
        """Plain values for the request hash."""
        return [
            _iso(self.entry_date),
            _decimal(self.amount),
            _value(self.direction),
            _clean(self.purpose),
            _clean(self.voucher_number),
        ]


#: Input names (camelCase, as in the API and in errors) of each row attribute.
SERVICE_FIELDS = {
    "service_date": "serviceDate",
    "catalogue_item_code": "catalogueItemCode",
    "beneficiary_id_number": "beneficiaryIdNumber",
    "beneficiary_name": "beneficiaryName",
    "assistance_category": "assistanceCategory",
    "township": "township",
    "content": "content",
    "quantity": "quantity",
    "unit": "unit",
    "staff": "staff",
    "outcome": "outcome",
    "satisfaction": "satisfaction",
    "evidence_refs": "evidenceRefs",
}
FUND_FIELDS = {
    "entry_date": "entryDate",
    "amount": "amount",
    "direction": "direction",
    "purpose": "purpose",
    "voucher_number": "voucherNumber",
}


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction of ``original``: REVERSAL (cancel it) or AMENDMENT (cancel it and record the given row)."""

    original: ServiceEntry | FundEntry
    kind: EntryKind
    reason: str


@dataclass(frozen=True, slots=True)
class Submission:
    """What a caller asks :func:`submit` to write, and how it is checked.

    ``expected_version`` is optional and always moves by one: for an append it is "at least" (refused only
    above the current version), for a correction exact (see the comment above :data:`ART_LEDGER`).
    ``prior_problems`` are problems found before (e.g. unreadable cells of a workbook), reported together
    with the rest. For a correction, ``service_rows``/``fund_rows`` hold the amended row (none for a reversal).
    """

    service_rows: Sequence[ServiceRow] = ()
    fund_rows: Sequence[FundRow] = ()
    expected_version: int | None = None
    idempotency_key: str | None = None
    may_create_beneficiaries: bool = False
    max_rows: int = MAX_ENTRIES_PER_CALL
    prior_problems: Sequence[RowProblem] = ()
    correction: Correction | None = None
    origin: str = "api"  # "api" or "import", for the ledger's history note


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    """What a submission wrote (the same on a replay): the ledger version after it and the new entries, in
    the order submitted (a correction: the reversal, then the amendment)."""

    version: int
    service_entry_ids: list[int]
    fund_entry_ids: list[int]
    beneficiaries_created: int = 0
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        """Stored with the idempotency key (ids as runs: a 100,000-row import stays small)."""
        return {
            "version": self.version,
            "service": _runs(self.service_entry_ids),
            "fund": _runs(self.fund_entry_ids),
            "beneficiariesCreated": self.beneficiaries_created,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        """The stored first result, as replayed."""
        return cls(
            version=int(data["version"]),
            service_entry_ids=_expand(data.get("service", [])),
            fund_entry_ids=_expand(data.get("fund", [])),
            beneficiaries_created=int(data.get("beneficiariesCreated", 0)),
            replayed=True,
        )


# --- small pure helpers ------------------------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def _decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    try:
        return str(value.quantize(CENT)) if value.is_finite() else str(value)
    except ArithmeticError:
        return str(value)


def _runs(ids: Sequence[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for pk in ids:
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return runs


def _expand(runs: Sequence[Sequence[int]]) -> list[int]:
    return [pk for start, end in runs for pk in range(int(start), int(end) + 1)]


def _problem(code: str, message: str, field: str | None, section: str | None, row: int | None, **kw: Any) -> RowProblem:
    return RowProblem(code, message, field, kw.pop("article", None), section=section, row=row, **kw)


def request_hash(contract_id: int, submission: Submission) -> str:
    """SHA-256 of the request's content (not of its key or expected version): a retry with the same key must
    carry the same content. Fed row by row, so a 100,000-row import is never one big string."""
    digest = hashlib.sha256()
    correction = submission.correction
    head = [contract_id, None if correction is None else [type(correction.original).__name__, correction.original.pk]]
    if correction is not None:
        head.append([correction.kind.value, _clean(correction.reason)])
    digest.update(json.dumps(head, ensure_ascii=False).encode())
    for section, rows in ((SERVICE, submission.service_rows), (FUNDS, submission.fund_rows)):
        digest.update(section.encode())
        for row in rows:
            digest.update(json.dumps(row.canonical(), ensure_ascii=False, separators=(",", ":")).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def valid_idempotency_key(key: str | None) -> bool:
    """1–100 printable ASCII characters without spaces (a UUID is a good key)."""
    return (
        key is not None
        and 1 <= len(key) <= TEXT_LIMITS["idempotencyKey"]
        and key.isascii()
        and key.isprintable()
        and " " not in key
    )


def _text(value: str | None, field: str, label: str, section: str, row: int, *, required: bool) -> list[RowProblem]:
    text = _clean(value)
    if not text:
        return [_problem("REQUIRED", f"{label}不能为空。", field, section, row)] if required else []
    limit = TEXT_LIMITS.get(field)
    if limit is not None and len(text) > limit:
        return [_problem("TOO_LONG", f"{label}最多{limit}个字符，当前{len(text)}个。", field, section, row)]
    return []


def _positive(value: Decimal | None, field: str, label: str, code: str, section: str, row: int) -> list[RowProblem]:
    if value is None:
        return [_problem("REQUIRED", f"{label}不能为空。", field, section, row)]
    if not value.is_finite() or value <= 0:
        return [_problem(code, f"{label}必须大于0。", field, section, row)]
    if value != value.quantize(CENT):
        return [_problem(code, f"{label}最多保留两位小数。", field, section, row)]
    if value > MAX_QUANTITY:
        return [_problem(code, f"{label}过大（上限{MAX_QUANTITY}）。", field, section, row)]
    return []


def _dated(value: dt.date | None, field: str, label: str, section: str, row: int, today: dt.date) -> list[RowProblem]:
    if value is None:
        return [_problem("REQUIRED", f"{label}不能为空。", field, section, row)]
    if value > today:
        return [_problem("INVALID_DATE", f"{label}不能晚于今天（{today.isoformat()}）。", field, section, row)]
    return []


@lru_cache(maxsize=4096)
def _id_problem(number: str) -> tuple[str, str] | None:
    """(code, message) when ``number`` is not a valid ID number; memoised: a month's rows name few people."""
    try:
        validate_id_number(number)
    except IdentifierError as exc:
        return exc.code, exc.message
    return None


def service_row_problems(row: ServiceRow, index: int, *, today: dt.date) -> list[RowProblem]:
    """What is wrong with one service entry on its own (no database): required values, lengths, a positive
    quantity in hundredths, satisfaction 1–5, a valid GB 11643 ID number with a name."""
    s = SERVICE
    problems = _dated(row.service_date, "serviceDate", "服务日期", s, index, today)
    problems += _text(row.catalogue_item_code, "catalogueItemCode", "服务项目编码", s, index, required=True)
    if row.assistance_category is None:
        problems.append(_problem("REQUIRED", "救助类别不能为空。", "assistanceCategory", s, index))
    township = _clean(row.township)
    if not township:
        problems.append(_problem("REQUIRED", "乡镇代码不能为空。", "township", s, index))
    elif not is_township_code(township):
        problems.append(_problem("INVALID", "乡镇代码应为9位数字，例如321202001。", "township", s, index))
    problems += _text(row.content, "content", "服务内容", s, index, required=True)
    problems += _positive(row.quantity, "quantity", "数量", "INVALID_QUANTITY", s, index)
    if row.unit is None:
        problems.append(_problem("REQUIRED", "单位不能为空（小时、次或人）。", "unit", s, index))
    problems += _text(row.staff, "staff", "服务人员", s, index, required=True)
    problems += _text(row.outcome, "outcome", "服务成效", s, index, required=False)
    if row.satisfaction is not None and not 1 <= row.satisfaction <= 5:
        problems.append(_problem("INVALID", "满意度应为1至5的整数。", "satisfaction", s, index))
    if len(row.evidence_refs) > MAX_EVIDENCE_REFS:
        problems.append(_problem("INVALID", f"佐证材料最多{MAX_EVIDENCE_REFS}项。", "evidenceRefs", s, index))
    elif any(len(_clean(r)) > TEXT_LIMITS["evidenceRefs"] for r in row.evidence_refs):
        problems.append(_problem("TOO_LONG", "每项佐证材料最多200个字符。", "evidenceRefs", s, index))
    number, name = _clean(row.beneficiary_id_number), _clean(row.beneficiary_name)
    if number:
        if (wrong := _id_problem(number)) is not None:
            problems.append(_problem(*wrong, "beneficiaryIdNumber", s, index))
        problems += _text(name, "beneficiaryName", "服务对象姓名", s, index, required=True)
    elif name:
        problems.append(
            _problem("REQUIRED", "填写了服务对象姓名，还须填写其身份证号。", "beneficiaryIdNumber", s, index)
        )
    return problems


def fund_row_problems(row: FundRow, index: int, *, today: dt.date) -> list[RowProblem]:
    """What is wrong with one fund entry on its own: a positive amount in fen, a date, a purpose, a voucher."""
    f = FUNDS
    problems = _dated(row.entry_date, "entryDate", "日期", f, index, today)
    problems += _positive(row.amount, "amount", "金额", "INVALID_AMOUNT", f, index)
    if row.direction is None:
        problems.append(_problem("REQUIRED", "收支方向不能为空（收入或支出）。", "direction", f, index))
    problems += _text(row.purpose, "purpose", "用途", f, index, required=True)
    problems += _text(row.voucher_number, "voucherNumber", "凭证号", f, index, required=True)
    return problems


def window_problem(status: ContractStatus, *, funds_only: bool) -> RowProblem | None:
    """Rule 9: service entries only while the contract is IN_PERFORMANCE or ACCEPTANCE_FAILED (rectification);
    locked after ACCEPTED. Fund entries also while ACCEPTED (the final payment comes after acceptance)."""
    if status in (FUND_OPEN_STATES if funds_only else OPEN_STATES):
        return None
    label = STATUS_LABEL.get(status, str(status))
    if status in LOCKED_STATES:
        what = "台账已锁定" if status == ContractStatus.CLOSED or not funds_only else "服务记录已锁定"
        return RowProblem(
            "LEDGER_LOCKED",
            f"合同状态为“{label}”：{what}，不能再添加或更正记录（验收合格后台账锁定）。",
            "contract",
            ART_LEDGER,
        )
    return RowProblem(
        "LEDGER_NOT_OPEN",
        f"合同当前状态为“{label}”：只有履约中或验收不合格整改期间可以记录台账。",
        "contract",
        ART_LEDGER,
    )


def shape_problems(submission: Submission) -> list[RowProblem]:
    """Problems of the request as a whole: too many or no entries, a malformed idempotency key or version."""
    problems: list[RowProblem] = []
    cap = submission.max_rows
    for section, rows, label in (
        (SERVICE, submission.service_rows, "服务记录"),
        (FUNDS, submission.fund_rows, "资金记录"),
    ):
        if len(rows) > cap:
            problems.append(RowProblem("TOO_MANY_ENTRIES", f"一次最多提交{cap}条{label}，当前{len(rows)}条。", section))
    if submission.correction is None and not submission.service_rows and not submission.fund_rows:
        problems.append(RowProblem("NO_ENTRIES", "没有要提交的记录。", SERVICE))
    if submission.idempotency_key is not None and not valid_idempotency_key(submission.idempotency_key):
        problems.append(
            RowProblem("INVALID", "幂等键应为1至100个可打印ASCII字符（不含空格），例如UUID。", "idempotencyKey")
        )
    if submission.expected_version is not None and submission.expected_version < 0:
        problems.append(RowProblem("INVALID", "期望版本号不能为负数。", "expectedVersion"))
    correction = submission.correction
    if correction is not None and not _clean(correction.reason):
        problems.append(RowProblem("REQUIRED", "更正或冲销必须说明理由。", "reason", ART_LEDGER))
    elif correction is not None and len(_clean(correction.reason)) > TEXT_LIMITS["reason"]:
        problems.append(RowProblem("TOO_LONG", "理由最多2000个字符。", "reason"))
    return problems


# --- the write path ----------------------------------------------------------------------------------------------


async def submit(ledger: Ledger, submission: Submission, *, actor: Actor) -> SubmissionResult:
    """Write a submission to ``ledger`` all-or-nothing, or raise :class:`RuleViolation` (nothing written).

    This function owns its transaction (unlike most services, which take the resolver's ``conn``): a unique
    index can still refuse an insert when two requests race — two clerks creating the same beneficiary, or a
    retry arriving while its first attempt commits — and on PostgreSQL that aborts the transaction, so the
    whole attempt is run again in a new one (where the replay or the beneficiary is then found).
    """
    if problems := shape_problems(submission):
        raise RuleViolation(*problems)
    digest = request_hash(ledger.contract_id, submission)
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            async with in_transaction() as conn:
                return await _submit(ledger, submission, digest, actor=actor, conn=conn)
        except MatchRefusal as refusal:
            # Counted after the rollback, in the database: every worker sees the same budget.
            await record_failures(actor.account or actor.name, ledger.contractor_id, refusal.failed_matches)
            raise
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _submit(
    ledger: Ledger, sub: Submission, digest: str, *, actor: Actor, conn: BaseDBAsyncClient
) -> SubmissionResult:
    key = sub.idempotency_key
    locked = await Ledger.select_for_update().using_db(conn).get(pk=ledger.pk)
    if key is not None and (replay := await _replay(ledger, key, digest, conn)) is not None:
        return replay
    _check_version(sub, locked.version)
    from models.contracts import Contract

    contract = await Contract.select_for_update().using_db(conn).get(pk=ledger.contract_id)
    correction = sub.correction
    funds_only = not sub.service_rows and (correction is None or isinstance(correction.original, FundEntry))
    if (window := window_problem(contract.status, funds_only=funds_only)) is not None:
        raise RuleViolation(window)
    if correction is not None:
        await _check_correctable(correction, ledger, conn)
    context = await _Context.load(contract, sub, conn)
    await context.guard(actor, conn)
    problems = _merge(sub.prior_problems, context.problems(sub))
    if problems:
        raise context.refusal(problems)
    stamp = now()
    beneficiaries = await context.create_beneficiaries(actor=actor, stamp=stamp, conn=conn)
    service, funds = context.entries(ledger, sub, actor=actor, stamp=stamp)
    if correction is not None:
        _require_change(correction, service or funds)
        reversal = _reversal(correction, actor=actor, stamp=stamp)
        service, funds = (
            ([reversal, *service], funds) if isinstance(reversal, ServiceEntry) else (service, [reversal, *funds])
        )
    await _insert(ServiceEntry, service, conn)
    await _insert(FundEntry, funds, conn)
    fresh = await _bump_version(locked, stamp, conn)
    from models.service_summary import record as summarise

    await summarise(service, conn)
    note = _entry_note(sub)
    await _record_created([*service, *funds], note=note, actor=actor, stamp=stamp, conn=conn)
    result = SubmissionResult(
        version=fresh.version,
        service_entry_ids=[e.pk for e in service],
        fund_entry_ids=[e.pk for e in funds],
        beneficiaries_created=beneficiaries,
    )
    if key is not None:
        await LedgerSubmission.create(
            using_db=conn,
            ledger_id=ledger.pk,
            contractor_id=ledger.contractor_id,
            district_id=ledger.district_id,
            idempotency_key=key,
            request_hash=digest,
            result=result.to_json(),
            entry_count=len(service) + len(funds),
            ledger_version=fresh.version,
            submitted_by_id=actor.user_id,
        )
    await record_change(
        fresh,
        ChangeAction.UPDATE,
        actor_id=actor.user_id,
        actor_name=actor.name,
        before={**snapshot(fresh), "version": fresh.version - 1},
        note=f"{note}：服务记录{len(service)}条，资金记录{len(funds)}条，新建救助对象{beneficiaries}人"
        + (f"（幂等键 {key}）" if key else ""),
        using_db=conn,
    )
    return result


async def _replay(ledger: Ledger, key: str, digest: str, conn: BaseDBAsyncClient) -> SubmissionResult | None:
    """The first result for ``key`` of this contractor, or IDEMPOTENCY_KEY_REUSED when the content differs."""
    prior = (
        await LedgerSubmission.filter(contractor_id=ledger.contractor_id, idempotency_key=key).using_db(conn).first()
    )
    if prior is None:
        return None
    if prior.request_hash != digest or prior.ledger_id != ledger.pk:
        raise RuleViolation(
            RowProblem(
                "IDEMPOTENCY_KEY_REUSED",
                "该幂等键已用于另一份内容不同的提交；重试请使用原内容，新的提交请使用新的幂等键。",
                "idempotencyKey",
            )
        )
    return SubmissionResult.from_json(prior.result)


def _check_version(sub: Submission, current: int) -> None:
    """What the write is based on, against the locked ledger's ``current`` version: an append's expected version
    is "at least" (only one the ledger never reached is refused), a correction's is exact."""
    expected = sub.expected_version
    if expected is None or expected == current:
        return
    if sub.correction is None and expected < current:
        return
    if sub.correction is None:
        message = (
            f"台账当前版本为{current}，本次提交基于版本{expected}，该版本尚不存在。"
            "请刷新台账后重新提交（仅追加记录时可不填期望版本号）。"
        )
    else:
        message = (
            f"台账已被他人更新：当前版本为{current}，本次更正基于版本{expected}。"
            "请刷新台账、核对被更正的记录后重新提交。"
        )
    raise RuleViolation(RowProblem("VERSION_CONFLICT", message, "expectedVersion", ART_LEDGER, current_version=current))


async def _bump_version(locked: Ledger, stamp: dt.datetime, conn: BaseDBAsyncClient) -> Ledger:
    """Move the locked ledger's version by one (its row lock, held since the start, serialises the writers)."""
    locked.version += 1
    locked.updated_at = stamp
    await Ledger.filter(pk=locked.pk).using_db(conn).update(version=locked.version, updated_at=stamp)
    return locked


async def _check_correctable(correction: Correction, ledger: Ledger, conn: BaseDBAsyncClient) -> None:
    original = correction.original
    model = type(original)
    if original.ledger_id != ledger.pk:
        raise RuleViolation(RowProblem("INVALID", "被更正的记录不属于该台账。", "entry"))
    if original.kind == EntryKind.REVERSAL:
        raise RuleViolation(
            RowProblem("NOT_CORRECTABLE", "冲销记录不能再更正；请更正原记录的最新更正记录。", "entry", ART_LEDGER)
        )
    if correction.kind not in (EntryKind.REVERSAL, EntryKind.AMENDMENT):
        raise RuleViolation(RowProblem("INVALID", "更正类型应为冲销（REVERSAL）或更正（AMENDMENT）。", "kind"))
    if await model.filter(corrects_id=original.pk).using_db(conn).exists():
        raise RuleViolation(
            RowProblem(
                "ALREADY_CORRECTED",
                "该记录已被更正或冲销过，每条记录只能更正一次；如需再次更正，请更正其最新的更正记录。",
                "entry",
                ART_LEDGER,
            )
        )


def _require_change(correction: Correction, amended: Sequence[ServiceEntry | FundEntry]) -> None:
    if correction.kind != EntryKind.AMENDMENT:
        return
    fields = _SERVICE_VALUES if isinstance(correction.original, ServiceEntry) else _FUND_VALUES
    new = amended[0]
    if all(_same(getattr(new, f), getattr(correction.original, f)) for f in fields):
        raise RuleViolation(RowProblem("NOTHING_TO_CHANGE", "更正后的内容与原记录相同。", "changes"))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(str(a)) == Decimal(str(b))
    return _value(a) == _value(b)


_SERVICE_VALUES = (
    "service_date",
    "catalogue_item_id",
    "beneficiary_id",
    "assistance_category",
    "township_id",
    "content",
    "quantity",
    "unit",
    "staff",
    "outcome",
    "satisfaction",
    "evidence_refs",
)
_FUND_VALUES = ("entry_date", "amount", "direction", "purpose", "voucher_number")


def _reversal(correction: Correction, *, actor: Actor, stamp: dt.datetime) -> ServiceEntry | FundEntry:
    """红字冲销: the original's values with its quantity (or amount) negated."""
    original = correction.original
    common = {
        "ledger_id": original.ledger_id,
        "contract_id": original.contract_id,
        "district_id": original.district_id,
        "contractor_id": original.contractor_id,
        "kind": EntryKind.REVERSAL,
        "corrects_id": original.pk,
        "correction_reason": _clean(correction.reason),
        "submitted_by_id": actor.user_id,
        "submitted_at": stamp,
    }
    if isinstance(original, ServiceEntry):
        values = {f: getattr(original, f) for f in _SERVICE_VALUES}
        values["quantity"] = -Decimal(str(original.quantity))
        return _build(ServiceEntry, {**values, **common})
    values = {f: getattr(original, f) for f in _FUND_VALUES}
    values["amount"] = -Decimal(str(original.amount))
    return _build(FundEntry, {**values, **common})


def _entry_note(sub: Submission) -> str:
    correction = sub.correction
    if correction is None:
        return "导入台账文件" if sub.origin == "import" else "提交台账记录"
    what = "冲销" if correction.kind == EntryKind.REVERSAL else "更正"
    return f"{what}第{correction.original.pk}号记录：{_clean(correction.reason)}"


def _merge(*groups: Sequence[RowProblem]) -> list[RowProblem]:
    """All problems, at most one per (list, row, field): a cell that could not be read is not also 'required'."""
    seen: set[tuple[str | None, int | None, str | None]] = set()
    out: list[RowProblem] = []
    for group in groups:
        for p in group:
            key = (p.section, p.row, p.field)
            if p.row is not None and key in seen:
                continue
            seen.add(key)
            out.append(p)
    out.sort(key=lambda p: (p.section != SERVICE, p.row if p.row is not None else -1))
    return out


class _Context:
    """What the rows are checked against, read once per submission (one query per kind, per batch)."""

    def __init__(self, contract: Any, sub: Submission) -> None:
        self.contract = contract
        self.sub = sub
        self.start: dt.date | None = contract.service_start
        self.end: dt.date | None = contract.service_end
        self.items: dict[str, int] = {}
        self.townships: dict[str, str] = {}
        self.known: dict[str, tuple[int, str, str]] = {}  # id number → (id, district, name)
        self.served: set[int] = set()  # ids of known people this contract's contractor has served before
        self.budget = matching.MAX_PER_ACCOUNT  # failed matches still allowed (models.beneficiary_matching)
        self.all_served = False  # every person named was served by this contractor before
        self.new: dict[str, ServiceRow] = {}  # id numbers to create → first row naming them
        self.today = today()

    @classmethod
    async def load(cls, contract: Any, sub: Submission, conn: BaseDBAsyncClient) -> _Context:
        from models.catalogue import CatalogueItem
        from models.contracts import effective_terms
        from models.geography import Township

        self = cls(contract, sub)
        terms = await effective_terms(contract, conn)
        self.start, self.end = terms["service_start"], terms["service_end"]
        if sub.service_rows:
            pairs = await CatalogueItem.filter(contracts__id=contract.pk).using_db(conn).values_list("code", "id")
            self.items = {str(code).upper(): int(pk) for code, pk in pairs}
            codes = sorted({_clean(r.township) for r in sub.service_rows if _clean(r.township)})
            for chunk in _chunks(codes):
                found = await Township.filter(code__in=chunk).using_db(conn).values_list("code", "district_id")
                self.townships.update({str(c): str(d) for c, d in found})
            numbers = sorted({n for r in sub.service_rows if (n := _clean(r.beneficiary_id_number).upper())})
            for chunk in _chunks(numbers):
                found = (
                    await Beneficiary.filter(id_number__in=chunk)
                    .using_db(conn)
                    .values_list("id_number", "id", "district_id", "name")
                )
                self.known.update({str(n): (int(pk), str(d), str(name)) for n, pk, d, name in found})
            ids = sorted({pk for pk, _, _ in self.known.values()})
            for chunk in _chunks(ids):
                served = await (
                    ServiceEntry.filter(contractor_id=contract.contractor_id, beneficiary_id__in=chunk)
                    .using_db(conn)
                    .order_by("beneficiary_id")  # not the model's ordering: PostgreSQL's DISTINCT needs it selected
                    .distinct()
                    .values_list("beneficiary_id", flat=True)
                )
                self.served.update(int(pk) for pk in served)
        return self

    async def guard(self, actor: Actor, conn: BaseDBAsyncClient) -> None:
        """While the account (or its contractor) is over its failed-match budget, refuse — before anything about
        the rows is revealed — a submission naming anyone the contractor has not served yet."""
        numbers = {n for r in self.sub.service_rows if (n := _clean(r.beneficiary_id_number).upper())}
        if all(n in self.known and self.known[n][0] in self.served for n in numbers):
            self.all_served = True  # a wrong name for its own people tells the contractor nothing new
            return
        self.budget, until = await matching.budget(actor.account or actor.name, self.contract.contractor_id, conn)
        if self.budget <= 0:
            raise MatchRefusal(matching.too_many(until), failed_matches=0)

    def refusal(self, problems: list[RowProblem]) -> RuleViolation:
        """The refusal of a submission with ``problems``, carrying its failed matches; more of them than the
        budget left: ``TOO_MANY_ATTEMPTS`` alone (no per-row answers beyond the budget)."""
        failed = 0 if self.all_served else sum(p.code == matching.NOT_MATCHED for p in problems)
        if failed > self.budget:
            return MatchRefusal(matching.too_many(None), failed_matches=failed)
        return MatchRefusal(*problems, failed_matches=failed)

    def problems(self, sub: Submission) -> list[RowProblem]:
        out: list[RowProblem] = []
        for index, row in enumerate(sub.service_rows):
            own = service_row_problems(row, index, today=self.today)
            bad = {p.field for p in own}
            out += own + self._service_context(row, index, bad)
        for index, frow in enumerate(sub.fund_rows):
            own = fund_row_problems(frow, index, today=self.today)
            out += own
            signed = self.contract.signed_on
            if "entryDate" not in {p.field for p in own} and signed and frow.entry_date and frow.entry_date < signed:
                out.append(
                    _problem(
                        "INVALID_DATE",
                        f"日期不能早于合同签订日期（{signed.isoformat()}）。",
                        "entryDate",
                        FUNDS,
                        index,
                    )
                )
        return out

    def _service_context(self, row: ServiceRow, index: int, bad: set[str | None]) -> list[RowProblem]:
        s, out = SERVICE, []
        day = row.service_date
        outside = day is not None and (
            (self.start is not None and day < self.start) or (self.end is not None and day > self.end)
        )
        if "serviceDate" not in bad and day is not None and outside:
            period = f"{_iso(self.start) or '?'}至{_iso(self.end) or '?'}"
            out.append(
                _problem(
                    "OUTSIDE_SERVICE_PERIOD",
                    f"服务日期{day.isoformat()}不在合同服务期（{period}）内。",
                    "serviceDate",
                    s,
                    index,
                    article=ART_CONTRACT,
                )
            )
        code = _clean(row.catalogue_item_code).upper()
        if "catalogueItemCode" not in bad and code not in self.items:
            listed = "、".join(sorted(self.items)) or "无"
            out.append(
                _problem(
                    "ITEM_NOT_IN_CONTRACT",
                    f"服务项目“{code}”不是本合同购买的服务项目（本合同：{listed}）。",
                    "catalogueItemCode",
                    s,
                    index,
                    article=ART_CONTRACT,
                )
            )
        township = _clean(row.township)
        if "township" not in bad and self.townships.get(township) != self.contract.district_id:
            out.append(
                _problem(
                    "TOWNSHIP_OUTSIDE_DISTRICT",
                    f"乡镇代码{township}不是本合同所在区（{self.contract.district_id}）的乡镇（街道）。",
                    "township",
                    s,
                    index,
                )
            )
        number = _clean(row.beneficiary_id_number).upper()
        if number and "beneficiaryIdNumber" not in bad and "beneficiaryName" not in bad:
            out += self._beneficiary(row, number, index)
        return out

    def _beneficiary(self, row: ServiceRow, number: str, index: int) -> list[RowProblem]:
        """One answer for every number that cannot be used with this name — registered in another district,
        registered here under another name, named otherwise by an earlier row — so that a contractor learns
        nothing about people it has not served (models.beneficiary_matching)."""
        name = _normal_name(row.beneficiary_name)
        known = self.known.get(number)
        if known is not None:
            _, district, registered = known
            if district != self.contract.district_id or _normal_name(registered) != name:
                return [_not_matched(index)]
            return []
        first = self.new.get(number)
        if first is not None:
            return [] if _normal_name(first.beneficiary_name) == name else [_not_matched(index)]
        if not self.sub.may_create_beneficiaries:
            return [_not_matched(index)]  # unknown, and this caller may not register: the same answer
        self.new[number] = row
        return []

    async def create_beneficiaries(self, *, actor: Actor, stamp: dt.datetime, conn: BaseDBAsyncClient) -> int:
        """Create the beneficiaries first named in this submission (in the contract's district), recorded."""
        if not self.new:
            return 0
        rows = [
            Beneficiary(
                district_id=self.contract.district_id,
                township_id=_clean(row.township),
                name=_clean(row.beneficiary_name),
                id_number=number,
                assistance_category=row.assistance_category,
                created_at=stamp,
                updated_at=stamp,
            )
            for number, row in self.new.items()
        ]
        from models import bulk

        await bulk.insert(Beneficiary, rows, conn)  # one statement, ids given (nothing read back)
        for number, b in zip(self.new, rows, strict=True):
            self.known[number] = (int(b.pk), self.contract.district_id, _clean(self.new[number].beneficiary_name))
        await _record_created(rows, note="登记台账服务对象", actor=actor, stamp=stamp, conn=conn)
        return len(rows)

    def entries(
        self, ledger: Ledger, sub: Submission, *, actor: Actor, stamp: dt.datetime
    ) -> tuple[list[ServiceEntry], list[FundEntry]]:
        correction = sub.correction
        kind = EntryKind.ORIGINAL if correction is None else EntryKind.AMENDMENT
        extra = {
            "ledger_id": ledger.pk,
            "contract_id": ledger.contract_id,
            "district_id": ledger.district_id,
            "contractor_id": ledger.contractor_id,
            "kind": kind,
            "corrects_id": None if correction is None else correction.original.pk,
            "correction_reason": "" if correction is None else _clean(correction.reason),
            "submitted_by_id": actor.user_id,
            "submitted_at": stamp,
        }
        service = [
            _build(
                ServiceEntry,
                {
                    "service_date": r.service_date,
                    "catalogue_item_id": self.items[_clean(r.catalogue_item_code).upper()],
                    "beneficiary_id": self.known[n][0] if (n := _clean(r.beneficiary_id_number).upper()) else None,
                    "assistance_category": r.assistance_category,
                    "township_id": _clean(r.township),
                    "content": _clean(r.content),
                    "quantity": Decimal(r.quantity or 0).quantize(CENT),
                    "unit": r.unit,
                    "staff": _clean(r.staff),
                    "outcome": _clean(r.outcome),
                    "satisfaction": r.satisfaction,
                    "evidence_refs": [_clean(x) for x in r.evidence_refs if _clean(x)],
                    **extra,
                },
            )
            for r in sub.service_rows
        ]
        funds = [
            _build(
                FundEntry,
                {
                    "entry_date": r.entry_date,
                    "amount": money(r.amount or 0),
                    "direction": r.direction,
                    "purpose": _clean(r.purpose),
                    "voucher_number": _clean(r.voucher_number),
                    **extra,
                },
            )
            for r in sub.fund_rows
        ]
        return service, funds


def _normal_name(name: str | None) -> str:
    return "".join(_clean(name).split())


def _not_matched(index: int) -> RowProblem:
    return _problem(matching.NOT_MATCHED, matching.NOT_MATCHED_MESSAGE, matching.NOT_MATCHED_FIELD, SERVICE, index)


def _chunks(values: Sequence[Any], size: int = BATCH) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _build(model: type[_M], values: dict[str, Any]) -> _M:
    """A new, unsaved row of ``model`` from column values (``ledger_id``, not ``ledger``), already checked.

    Tortoise's ``Model.__init__`` re-validates every field and costs about three times as much; at 100,000
    rows (and their history) that was the largest cost of an import. ``_init_from_db`` is private API (as in
    ``schema/loaders.py``); the primary key is left to the database.
    """
    row = model._init_from_db(**{column: values.get(column) for column in _columns(model)})
    object.__setattr__(row, "_saved_in_db", False)
    return row


_M = TypeVar("_M", bound=Model)


@cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    meta = model._meta
    return tuple(
        key for group in (meta.db_native_fields, meta.db_default_fields, meta.db_complex_fields) for key, _, _ in group
    )


async def _insert(model: type[ServiceEntry] | type[FundEntry], rows: Sequence[Any], conn: BaseDBAsyncClient) -> None:
    """Insert the rows with their ids, in order, in one statement (``models.bulk``): nothing is read back and no
    query looks at the ledger's earlier entries, so the cost does not grow with the ledger."""
    from models import bulk

    await bulk.insert(model, rows, conn)


async def _record_created(
    rows: Sequence[Model], *, note: str, actor: Actor, stamp: dt.datetime, conn: BaseDBAsyncClient
) -> None:
    """One CREATE history row per new row, written in one statement (PII masked by :func:`snapshot`)."""
    from models import bulk
    from models.history import ChangeRecord

    records = [
        _build(
            ChangeRecord,
            {
                "entity_type": type(row).__name__,
                "entity_id": str(row.pk),
                "district_id": getattr(row, "district_id", None),
                "contractor_id": getattr(row, "contractor_id", None),
                "action": ChangeAction.CREATE,
                "actor_id": actor.user_id,
                "actor_name": actor.name,
                "at": stamp,
                "before": None,
                "after": snapshot(row),
                "note": note,
            },
        )
        for row in rows
    ]
    await bulk.insert(ChangeRecord, records, conn, ids=False)


async def service_row_of(entry: ServiceEntry, conn: BaseDBAsyncClient | None = None) -> ServiceRow:
    """An entry as a submitted row (codes and the beneficiary's number), to build an amendment from."""
    from models.catalogue import CatalogueItem

    code = await CatalogueItem.filter(pk=entry.catalogue_item_id).using_db(conn).values_list("code", flat=True)
    person = None
    if entry.beneficiary_id is not None:
        person = await Beneficiary.filter(pk=entry.beneficiary_id).using_db(conn).values_list("id_number", "name")
    return ServiceRow(
        service_date=entry.service_date,
        catalogue_item_code=str(code[0]) if code else None,
        assistance_category=AssistanceCategory(entry.assistance_category),
        township=entry.township_id,
        content=entry.content,
        quantity=Decimal(str(entry.quantity)),
        unit=ServiceUnit(entry.unit),
        staff=entry.staff,
        beneficiary_id_number=str(person[0][0]) if person else None,
        beneficiary_name=str(person[0][1]) if person else None,
        outcome=entry.outcome,
        satisfaction=entry.satisfaction,
        evidence_refs=tuple(entry.evidence_refs or ()),
    )


def fund_row_of(entry: FundEntry) -> FundRow:
    """A fund entry as a submitted row."""
    return FundRow(
        entry_date=entry.entry_date,
        amount=Decimal(str(entry.amount)),
        direction=FundDirection(entry.direction),
        purpose=entry.purpose,
        voucher_number=entry.voucher_number,
    )


# --- aggregates ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerFigures:
    """What a ledger adds up to in its current view: entries, distinct beneficiaries, quantities per unit,
    money received and spent. Counts only — no person in them (what finance and the public may see)."""

    service_entries: int = 0
    beneficiaries: int = 0
    quantities: dict[str, Decimal] = field(default_factory=dict)
    received: Decimal = Decimal("0.00")
    spent: Decimal = Decimal("0.00")


async def ledger_figures(contract_ids: Sequence[int]) -> dict[int, LedgerFigures]:
    """Figures per contract in a few grouped statements (sums exact: numeric on PostgreSQL; on SQLite, which
    stores decimals as text, summed as ``Decimal`` in Python)."""
    from tortoise import connections
    from tortoise.functions import Count, Sum

    ids = list(contract_ids)
    if not ids:
        return {}
    exact = connections.get("default").capabilities.dialect == "postgres"
    current = ServiceEntry.filter(contract_id__in=ids, **CURRENT)
    counts = (
        await current.annotate(n=Count("id"), b=Count("beneficiary_id", distinct=True))
        .group_by("contract_id")
        .values("contract_id", "n", "b")
    )
    quantities: dict[int, dict[str, Decimal]] = {}
    money_by: dict[tuple[int, str], Decimal] = {}
    if exact:
        for r in (
            await current.annotate(q=Sum("quantity")).group_by("contract_id", "unit").values("contract_id", "unit", "q")
        ):
            quantities.setdefault(r["contract_id"], {})[_value(r["unit"])] = Decimal(r["q"] or 0).quantize(CENT)
        funds = FundEntry.filter(contract_id__in=ids, **CURRENT)
        for r in (
            await funds.annotate(s=Sum("amount"))
            .group_by("contract_id", "direction")
            .values("contract_id", "direction", "s")
        ):
            money_by[(r["contract_id"], _value(r["direction"]))] = money(r["s"] or 0)
    else:
        for contract_id, unit, q in await current.values_list("contract_id", "unit", "quantity"):
            bucket = quantities.setdefault(contract_id, {})
            bucket[_value(unit)] = bucket.get(_value(unit), Decimal("0.00")) + Decimal(str(q))
        rows = await FundEntry.filter(contract_id__in=ids, **CURRENT).values_list("contract_id", "direction", "amount")
        for contract_id, direction, amount in rows:
            slot = (contract_id, _value(direction))
            money_by[slot] = money_by.get(slot, Decimal("0.00")) + Decimal(str(amount))
    by_contract = {r["contract_id"]: r for r in counts}
    out: dict[int, LedgerFigures] = {}
    for pk in ids:
        c = by_contract.get(pk, {})
        out[pk] = LedgerFigures(
            service_entries=int(c.get("n") or 0),
            beneficiaries=int(c.get("b") or 0),
            quantities={u: q.quantize(CENT) for u, q in sorted(quantities.get(pk, {}).items())},
            received=money(money_by.get((pk, FundDirection.RECEIVED.value), 0)),
            spent=money(money_by.get((pk, FundDirection.SPENT.value), 0)),
        )
    return out
