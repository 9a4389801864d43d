"""Contracts (购买服务合同, Art. 9(4)) and what hangs off them: payment schedule, amendments,
inspections (Art. 9(5)), acceptance (Art. 9(6)) and payments.

The second half of the module holds the lifecycle (DOMAIN.md §3: DRAFT → SIGNED → PUBLISHED → FILED →
IN_PERFORMANCE → ACCEPTED | ACCEPTANCE_FAILED → … → CLOSED, TERMINATED) and rules 6–8: pure checks that
return :class:`~models.rules.Problem` lists, then the services the mutations call inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.base import CENT, MoneyField, Owned, TimestampedModel, money
from models.catalogue import CatalogueItem
from models.enums import (
    AcceptanceResult,
    AmendmentStatus,
    ChangeAction,
    ContractStatus,
    LotStatus,
    PaymentTrigger,
)
from models.history import record_change, snapshot
from models.lifecycle import create_recorded, state_conflict, transition, update_fields
from models.rules import Actor, Problem, RuleViolation, refuse
from models.timeutil import today
from models.workdays import add_workdays, calendar_covers

if TYPE_CHECKING:
    from models.procurement import ProcurementLot

# Plans, procurement and ledgers are imported where used: those modules may come to import this one.

#: Rule 6: term at most 1 year normally, up to 3 years with a recorded reason.
NORMAL_TERM_DAYS = 366
MAX_TERM_DAYS = 3 * 366

ACTIVE_STATES = (
    ContractStatus.SIGNED,
    ContractStatus.PUBLISHED,
    ContractStatus.FILED,
    ContractStatus.IN_PERFORMANCE,
    ContractStatus.ACCEPTANCE_FAILED,
)


def grade_for(score: Decimal) -> str:
    """Acceptance grade: 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60."""
    if score >= 90:
        return "优"
    if score >= 80:
        return "良"
    if score >= 60:
        return "中"
    return "差"


class Contract(TimestampedModel, Owned):
    """A purchase-of-service contract between the district and one contractor."""

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField(
        "models.District", related_name="contracts", on_delete=fields.RESTRICT, db_index=True
    )
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name="contracts", on_delete=fields.RESTRICT, db_index=True
    )
    project = fields.ForeignKeyField(
        "models.ProcurementProject", related_name="contracts", on_delete=fields.RESTRICT, db_index=True
    )
    lot = fields.ForeignKeyField(
        "models.ProcurementLot", related_name="contracts", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    catalogue_items = fields.ManyToManyField(
        "models.CatalogueItem", related_name="contracts", through="contract_catalogue_item"
    )
    code = fields.CharField(max_length=40, unique=True, description="合同编号")
    title = fields.CharField(max_length=200)
    scope = fields.TextField(default="", description="购买服务的范围")
    subject = fields.TextField(default="", description="标的")
    quantity = fields.CharField(max_length=100, default="", description="数量")
    quality_requirements = fields.TextField(default="", description="质量要求")
    service_start = fields.DateField(null=True)
    service_end = fields.DateField(null=True)
    term_reason = fields.TextField(default="", description="服务期超过1年的理由")
    amount = MoneyField(description="合同金额")
    payment_method = fields.TextField(default="", description="资金支付方式")
    rights_obligations = fields.TextField(default="", description="双方权利义务")
    breach_liability = fields.TextField(default="", description="违约责任")
    status = fields.CharEnumField(ContractStatus, max_length=20, default=ContractStatus.DRAFT)
    signed_on = fields.DateField(null=True)
    published_on = fields.DateField(null=True, description="公示日期")
    filed_on = fields.DateField(null=True, description="财政备案日期")
    terminated_on = fields.DateField(null=True)
    termination_reason = fields.TextField(default="")

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "contract"

    @classmethod
    def public_q(cls) -> Q:
        """Published contracts' public fields (Art. 9(4), Art. 13); never drafts."""
        return Q(published_on__isnull=False)

    class Meta:
        table = "contract"
        ordering = ("-id",)
        indexes = (("district_id", "status"), ("contractor_id", "status"))


class PaymentInstalment(Owned, TimestampedModel):
    """One instalment of a contract’s payment schedule."""

    id = fields.IntField(primary_key=True)
    contract = fields.ForeignKeyField(
        "models.Contract", related_name="instalments", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    sequence = fields.IntField()
    amount = MoneyField()
    trigger = fields.CharEnumField(PaymentTrigger, max_length=16)
    condition = fields.TextField(default="", description="支付条件")
    is_final = fields.BooleanField(default=False)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "payment"

    class Meta:
        table = "payment_instalment"
        unique_together = (("contract", "sequence"),)
        ordering = ("contract_id", "sequence")


class ContractAmendment(Owned, TimestampedModel):
    """合同变更: its own record (reason, what changed, signing date), never a silent edit."""

    id = fields.IntField(primary_key=True)
    contract = fields.ForeignKeyField(
        "models.Contract", related_name="amendments", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    reason = fields.TextField()
    changes = fields.JSONField(default=dict, description="field → {before, after}")
    amount_delta = MoneyField(default=Decimal("0.00"))
    status = fields.CharEnumField(AmendmentStatus, max_length=16, default=AmendmentStatus.DRAFT)
    signed_on = fields.DateField(null=True)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "contract"

    class Meta:
        table = "contract_amendment"
        ordering = ("contract_id", "id")


class Inspection(Owned, TimestampedModel):
    """督促合同履行: a progress inspection (Art. 9(5))."""

    id = fields.IntField(primary_key=True)
    contract = fields.ForeignKeyField(
        "models.Contract", related_name="inspections", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    inspected_on = fields.DateField()
    inspector = fields.CharField(max_length=100)
    findings = fields.TextField(default="")
    progress_percent = fields.IntField()
    rectification_required = fields.BooleanField(default=False)
    rectification_due = fields.DateField(null=True)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "inspection"

    class Meta:
        table = "inspection"
        ordering = ("contract_id", "inspected_on", "id")


class Acceptance(Owned, TimestampedModel):
    """验收 (Art. 9(6)): result, score and grade, report to finance, published."""

    id = fields.IntField(primary_key=True)
    contract = fields.ForeignKeyField(
        "models.Contract", related_name="acceptances", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    accepted_on = fields.DateField()
    panel = fields.TextField(description="验收小组成员")
    result = fields.CharEnumField(AcceptanceResult, max_length=8)
    score = fields.DecimalField(max_digits=5, decimal_places=2)
    findings = fields.TextField(default="")
    report_sent_on = fields.DateField(null=True, description="验收材料报送财政日期")
    published_on = fields.DateField(null=True)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "acceptance"

    @classmethod
    def public_q(cls) -> Q:
        """Acceptance results are public once published (Art. 9(6))."""
        return Q(published_on__isnull=False)

    @property
    def grade(self) -> str:
        """优/良/中/差 from the score."""
        return grade_for(self.score)

    class Meta:
        table = "acceptance"
        ordering = ("contract_id", "accepted_on", "id")


class Payment(Owned, TimestampedModel):
    """A payment made to the contractor (rule 8: pay for performance)."""

    id = fields.IntField(primary_key=True)
    contract = fields.ForeignKeyField(
        "models.Contract", related_name="payments", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    contractor = fields.ForeignKeyField(
        "models.Contractor", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    instalment = fields.ForeignKeyField(
        "models.PaymentInstalment",
        related_name="payments",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    amount = MoneyField()
    paid_on = fields.DateField()
    trigger = fields.CharEnumField(PaymentTrigger, max_length=16)
    is_final = fields.BooleanField(default=False)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "payment"

    class Meta:
        table = "payment"
        ordering = ("contract_id", "paid_on", "id")


# ---------------------------------------------------------------------------------------------------------------
# Business rules of the contract lifecycle (DOMAIN.md §3, rules 6–8). Pure checks first, then the services the
# mutations call inside their transaction. Every refusal is a RuleViolation and writes nothing.
# ---------------------------------------------------------------------------------------------------------------

ART_CONTRACT = "第九条第（四）项"  # contract content, publication (公示) and filing (备案)
ART_PERFORMANCE = "第九条第（五）项"  # 督促合同履行
ART_ACCEPTANCE = "第九条第（六）项"  # 验收, report to finance, disclosure, pay as agreed
ART_PLAN = "第九条第（一）项"  # the plan approved by finance is the money that may be spent
ART_CATALOGUE = "第八条"

#: Rule 7: publication within 2 working days of signing, filing with finance within 7 (Art. 9(4), Art. 13).
PUBLICATION_WORKDAYS = 2
FILING_WORKDAYS = 7
MAX_CATALOGUE_ITEMS = 20
MAX_INSTALMENTS = 12

#: Contracts whose money is committed against the plan (rule 3): signed and not terminated.
COMMITTED_STATES = (*ACTIVE_STATES, ContractStatus.ACCEPTED, ContractStatus.CLOSED)
#: Payments may be recorded from signing until the contract is closed; never on a draft or a terminated one.
PAYABLE_STATES = (*ACTIVE_STATES, ContractStatus.ACCEPTED)
#: Inspections and acceptances happen while the service runs or is being rectified (Art. 9(5)–(6)).
PERFORMING_STATES = (ContractStatus.IN_PERFORMANCE, ContractStatus.ACCEPTANCE_FAILED)

#: Rule 6: what a contract must contain before it is signed: model field → (input field, Chinese label).
REQUIRED_CONTENT: dict[str, tuple[str, str]] = {
    "scope": ("scope", "购买服务的范围"),
    "subject": ("subject", "标的"),
    "quantity": ("quantity", "数量"),
    "quality_requirements": ("qualityRequirements", "质量要求"),
    "service_start": ("serviceStart", "服务期限（开始日期）"),
    "service_end": ("serviceEnd", "服务期限（结束日期）"),
    "amount": ("amount", "合同金额"),
    "payment_method": ("paymentMethod", "资金支付方式"),
    "rights_obligations": ("rightsObligations", "双方权利义务"),
    "breach_liability": ("breachLiability", "违约责任"),
}

#: Editable contract terms (draft) and their input names; text limits where the column has one.
TERM_FIELDS: dict[str, str] = {
    "title": "title",
    "scope": "scope",
    "subject": "subject",
    "quantity": "quantity",
    "quality_requirements": "qualityRequirements",
    "service_start": "serviceStart",
    "service_end": "serviceEnd",
    "term_reason": "termReason",
    "amount": "amount",
    "payment_method": "paymentMethod",
    "rights_obligations": "rightsObligations",
    "breach_liability": "breachLiability",
}
TEXT_LIMITS = {"title": 200, "quantity": 100, "code": 40}
DATE_FIELDS = frozenset({"service_start", "service_end"})

#: What an amendment may change (input name → model field). The amount changes through ``amount_delta``.
AMENDABLE: dict[str, str] = {
    "serviceStart": "service_start",
    "serviceEnd": "service_end",
    "termReason": "term_reason",
    "amount": "amount",
    "scope": "scope",
    "subject": "subject",
    "quantity": "quantity",
    "qualityRequirements": "quality_requirements",
    "paymentMethod": "payment_method",
    "rightsObligations": "rights_obligations",
    "breachLiability": "breach_liability",
}


@dataclass(frozen=True, slots=True)
class InstalmentSpec:
    """One instalment of a payment schedule as given by the agency (付款计划)."""

    amount: Decimal
    trigger: PaymentTrigger
    condition: str = ""
    is_final: bool = False


def money_problem(value: Decimal | None, field: str, *, label: str = "金额") -> Problem | None:
    """A money input must be a positive amount in whole fen (at most 2 decimal places)."""
    if value is None:
        return Problem("REQUIRED", f"{label}不能为空。", field)
    if not value.is_finite() or value <= 0:
        return Problem("INVALID", f"{label}必须大于0。", field)
    if value != money(value):
        return Problem("INVALID", f"{label}最多保留两位小数（精确到分）。", field)
    return None


def date_problem(
    day: dt.date, field: str, *, today: dt.date, not_before: dt.date | None = None, label: str = "日期"
) -> Problem | None:
    """A date that has happened (not after today) and not before ``not_before``."""
    if day > today:
        return Problem("INVALID_DATE", f"{label}不能晚于今天（{today.isoformat()}）。", field)
    if not_before is not None and day < not_before:
        return Problem("INVALID_DATE", f"{label}不能早于{not_before.isoformat()}。", field)
    return None


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Decimal):
        return value <= 0
    return False


def content_problems(values: dict[str, Any]) -> list[Problem]:
    """Rule 6 (第九条第（四）项): one MISSING_CONTENT problem per required item that is absent."""
    return [
        Problem(
            "MISSING_CONTENT",
            f"合同缺少“{label}”，不能签订（第九条第（四）项要求明确购买服务的范围、标的、数量、质量要求和服务期限、"
            "资金支付方式、双方权利义务及违约责任）。",
            field,
            ART_CONTRACT,
        )
        for name, (field, label) in REQUIRED_CONTENT.items()
        if _blank(values.get(name))
    ]


def term_days(start: dt.date, end: dt.date) -> int:
    """Length of a service period in days, both ends included."""
    return (end - start).days + 1


def period_problems(start: dt.date | None, end: dt.date | None) -> list[Problem]:
    """The service period ends on or after its start."""
    if start is not None and end is not None and end < start:
        return [Problem("INVALID_PERIOD", "服务期结束日期不能早于开始日期。", "serviceEnd", ART_CONTRACT)]
    return []


def term_problems(start: dt.date | None, end: dt.date | None, reason: str) -> list[Problem]:
    """Rule 6: a term of at most 1 year (366 days), up to 3 years only with a recorded reason."""
    problems = period_problems(start, end)
    if problems or start is None or end is None:
        return problems
    days = term_days(start, end)
    if days > MAX_TERM_DAYS:
        return [
            Problem(
                "TERM_TOO_LONG",
                f"服务期为{days}天，超过3年（{MAX_TERM_DAYS}天）的上限。",
                "serviceEnd",
                ART_CONTRACT,
            )
        ]
    if days > NORMAL_TERM_DAYS and not (reason or "").strip():
        return [
            Problem(
                "TERM_REASON_REQUIRED",
                f"服务期为{days}天，超过1年，须填写理由（最长不超过3年）。",
                "termReason",
                ART_CONTRACT,
            )
        ]
    return []


def text_problems(values: dict[str, Any]) -> list[Problem]:
    """Length limits of the contract's text columns."""
    problems = []
    for name, limit in TEXT_LIMITS.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            field = TERM_FIELDS.get(name, name)
            problems.append(Problem("TOO_LONG", f"最多{limit}个字符。", field))
    return problems


def instalment_problems(amount: Decimal | None, specs: list[InstalmentSpec]) -> list[Problem]:
    """A schedule of 1–12 positive instalments that add up to the contract amount; at most one final, last."""
    if not 1 <= len(specs) <= MAX_INSTALMENTS:
        return [Problem("INVALID", f"付款计划应有1至{MAX_INSTALMENTS}期。", "instalments")]
    problems = [
        Problem("INVALID", f"第{n}期{p.message}", "instalments")
        for n, spec in enumerate(specs, start=1)
        if (p := money_problem(spec.amount, "instalments")) is not None
    ]
    if problems:
        return problems
    finals = [n for n, spec in enumerate(specs, start=1) if spec.is_final]
    if len(finals) > 1 or (finals and finals[0] != len(specs)):
        problems.append(Problem("INVALID", "付款计划最多一期尾款，且应为最后一期。", "instalments"))
    total = sum((s.amount for s in specs), Decimal("0.00"))
    if amount is not None and total != amount:
        problems.append(
            Problem(
                "INSTALMENTS_MISMATCH",
                f"各期金额合计{money(total)}元，与合同金额{money(amount)}元不一致。",
                "instalments",
                ART_CONTRACT,
            )
        )
    return problems


# --- Rule 7: disclosure deadlines (flagged, never blocking) -----------------------------------------------------


def publication_due(signed_on: dt.date) -> dt.date:
    """公示 deadline: 2 working days after signing (Art. 9(4), Art. 13)."""
    return add_workdays(signed_on, PUBLICATION_WORKDAYS)


def filing_due(signed_on: dt.date) -> dt.date:
    """备案 deadline: 7 working days after signing (Art. 9(4))."""
    return add_workdays(signed_on, FILING_WORKDAYS)


def overdue(due: dt.date, done_on: dt.date | None, today: dt.date) -> bool:
    """Not done by the due date: done after it, or still not done and the due date has passed."""
    return done_on > due if done_on is not None else today > due


def disclosure_overdue(
    signed_on: dt.date | None, published_on: dt.date | None, filed_on: dt.date | None, today: dt.date
) -> bool:
    """Rule 7: publication (2 working days) or filing (7 working days) late, or not done and past due."""
    if signed_on is None:
        return False
    return overdue(publication_due(signed_on), published_on, today) or overdue(filing_due(signed_on), filed_on, today)


def deadlines_provisional(signed_on: dt.date) -> bool:
    """True when the official holiday calendar does not cover the deadline window (Mon–Fri fallback used)."""
    return not (calendar_covers(signed_on) and calendar_covers(filing_due(signed_on)))


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Rule 7 deadlines of one signed contract."""

    publication_due: dt.date
    filing_due: dt.date
    publication_overdue: bool
    filing_overdue: bool
    provisional: bool


def deadlines_of(contract: Contract, today: dt.date) -> Deadlines | None:
    """The deadlines of ``contract`` as of ``today``; ``None`` before it is signed."""
    if contract.signed_on is None:
        return None
    pub, fil = publication_due(contract.signed_on), filing_due(contract.signed_on)
    return Deadlines(
        publication_due=pub,
        filing_due=fil,
        publication_overdue=overdue(pub, contract.published_on, today),
        filing_overdue=overdue(fil, contract.filed_on, today),
        provisional=deadlines_provisional(contract.signed_on),
    )


# --- Amounts -------------------------------------------------------------------------------------------------------


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


def _require_state(contract: Contract, allowed: tuple[ContractStatus, ...], action: str) -> None:
    if contract.status not in allowed:
        raise state_conflict(contract.status, action)


def _owned_by(contract: Contract) -> dict[str, Any]:
    return {"contract_id": contract.pk, "district_id": contract.district_id, "contractor_id": contract.contractor_id}


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise RuleViolation(*problems)


def _dated(day: dt.date, field: str, not_before: dt.date | None, label: str) -> list[Problem]:
    p = date_problem(day, field, today=today(), not_before=not_before, label=label)
    return [] if p is None else [p]


def _exceeds_award(award: Decimal) -> Problem:
    return Problem("AMOUNT_EXCEEDS_AWARD", f"合同金额不能超过成交金额{award}元。", "amount", ART_CONTRACT)


# --- Draft and edit (DRAFT) ----------------------------------------------------------------------------------------


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


# --- Signing, publication, filing, performance, termination ----------------------------------------------------


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


# --- Amendments (合同变更): own records, never silent edits ----------------------------------------------------


def _parse_change(key: str, value: Any) -> Any:
    name = AMENDABLE[key]
    if name in DATE_FIELDS:
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise refuse("INVALID", f"“{key}”应为日期（YYYY-MM-DD）。", field="changes") from None
    if name == "amount":
        try:
            amount = Decimal(str(value))
        except (ArithmeticError, ValueError):
            raise refuse("INVALID", "“amount”应为金额（元）。", field="changes") from None
        if (p := money_problem(amount, "changes", label="变更后的合同金额")) is not None:
            raise RuleViolation(p)
        return amount
    if not isinstance(value, str) or not value.strip():
        raise refuse("INVALID", f"“{key}”应为非空文本。", field="changes")
    value = value.strip()
    if len(value) > TEXT_LIMITS.get(name, 10_000):
        raise refuse("TOO_LONG", f"“{key}”最多{TEXT_LIMITS.get(name, 10_000)}个字符。", field="changes")
    return value


async def effective_terms(contract: Contract, conn: BaseDBAsyncClient) -> dict[str, Any]:
    """The contract's amendable terms with its signed amendments applied in signing order."""
    terms: dict[str, Any] = {name: getattr(contract, name) for name in AMENDABLE.values()}
    signed = await ContractAmendment.filter(contract_id=contract.pk, status=AmendmentStatus.SIGNED).using_db(conn)
    for amendment in sorted(signed, key=lambda a: (a.signed_on or dt.date.min, a.pk)):
        for name, change in (amendment.changes or {}).items():
            if name in terms and name != "amount" and isinstance(change, dict) and "after" in change:
                after = change["after"]
                terms[name] = dt.date.fromisoformat(after) if name in DATE_FIELDS and after else after
    terms["amount"] = effective_amount(contract.amount, [a.amount_delta for a in signed])
    return terms


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(money(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def _amendment_problems(
    contract: Contract, terms: dict[str, Any], after: dict[str, Any], delta: Decimal, conn: BaseDBAsyncClient
) -> list[Problem]:
    """An amended contract still keeps rule 6's term and never falls below what has been paid."""
    merged = {**terms, **after}
    problems = term_problems(merged["service_start"], merged["service_end"], merged["term_reason"])
    new_amount = money(terms["amount"] + delta)
    paid = await paid_total(contract.pk, conn)
    if new_amount <= 0 or new_amount < paid:
        problems.append(
            Problem(
                "AMOUNT_BELOW_PAID",
                f"变更后的合同金额{new_amount}元不能低于已支付金额{paid}元，且必须大于0。",
                "amountDelta",
                ART_ACCEPTANCE,
            )
        )
    return problems


async def propose_amendment(
    contract: Contract,
    *,
    reason: str,
    changes: Any,
    amount_delta: Decimal | None,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> ContractAmendment:
    """实施主体 drafts a 合同变更: its own record of the reason and what changes ({field: {before, after}})."""
    contract = await lock_contract(contract, conn)
    _require_state(contract, ACTIVE_STATES, "提出合同变更")
    reason = (reason or "").strip()
    if not reason:
        raise refuse("REQUIRED", "合同变更必须说明理由。", field="reason")
    if changes is None:
        changes = {}
    if not isinstance(changes, dict):
        raise refuse("INVALID", "changes 应为对象：{字段: 新值}。", field="changes")
    unknown = sorted(k for k in changes if k not in AMENDABLE)
    if unknown:
        raise refuse(
            "AMENDMENT_FIELD_NOT_ALLOWED",
            f"不能通过合同变更修改：{'、'.join(map(str, unknown))}。可变更：{'、'.join(AMENDABLE)}。",
            field="changes",
        )
    if amount_delta is not None and (not amount_delta.is_finite() or amount_delta != money(amount_delta)):
        raise refuse("INVALID", "金额变化最多保留两位小数。", field="amountDelta")
    terms = await effective_terms(contract, conn)
    after = {AMENDABLE[k]: _parse_change(k, v) for k, v in changes.items()}
    if "amount" in after:
        derived = money(after.pop("amount") - terms["amount"])
        if amount_delta is not None and amount_delta != derived:
            raise refuse("INVALID", f"amountDelta 与变更后的金额不一致（应为{derived}元）。", field="amountDelta")
        delta = derived
    else:
        delta = money(amount_delta or Decimal("0"))
    after = {k: v for k, v in after.items() if terms[k] != v}
    if not after and delta == 0:
        raise refuse("NOTHING_TO_CHANGE", "变更内容与现行合同相同。", field="changes")
    _raise(await _amendment_problems(contract, terms, after, delta, conn))
    recorded = {k: {"before": _json(terms[k]), "after": _json(v)} for k, v in after.items()}
    if delta != 0:
        recorded["amount"] = {"before": _json(terms["amount"]), "after": _json(terms["amount"] + delta)}
    return await create_recorded(
        ContractAmendment,
        actor=actor,
        conn=conn,
        note=f"提出合同变更：{reason}",
        **_owned_by(contract),
        reason=reason,
        changes=recorded,
        amount_delta=delta,
        status=AmendmentStatus.DRAFT,
    )


async def sign_amendment(
    amendment: ContractAmendment, *, signed_on: dt.date | None, actor: Actor, conn: BaseDBAsyncClient
) -> ContractAmendment:
    """购买主体 signs an amendment: DRAFT → SIGNED. The contract row is untouched; its effective amount
    becomes amount + Σ signed amount_delta. Re-checked under the contract lock against payments made."""
    contract = await lock_contract(await Contract.get(pk=amendment.contract_id).using_db(conn), conn)
    if amendment.status != AmendmentStatus.DRAFT:
        raise state_conflict(amendment.status, "签订合同变更")
    _require_state(contract, ACTIVE_STATES, "签订合同变更")
    day = signed_on or today()
    problems = []
    if (p := date_problem(day, "signedOn", today=today(), not_before=contract.signed_on, label="签订日期")) is not None:
        problems.append(p)
    terms = await effective_terms(contract, conn)
    after = {}
    for name, change in (amendment.changes or {}).items():
        if name != "amount" and name in terms and isinstance(change, dict):
            value = change.get("after")
            after[name] = dt.date.fromisoformat(value) if name in DATE_FIELDS and value else value
    problems += await _amendment_problems(contract, terms, after, amendment.amount_delta, conn)
    _raise(problems)
    if amendment.amount_delta > 0 and (
        p := await _plan_budget_problem(contract, amendment.amount_delta, conn, counted=True)
    ):
        raise RuleViolation(p)
    return await transition(
        amendment,
        allowed_from=[AmendmentStatus.DRAFT],
        to=AmendmentStatus.SIGNED,
        action="签订合同变更",
        actor=actor,
        conn=conn,
        updates={"signed_on": day},
    )


# --- Performance (Art. 9(5)) and acceptance (Art. 9(6)) --------------------------------------------------------


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


# --- Payments (rule 8: pay for performance) ------------------------------------------------------------------


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
