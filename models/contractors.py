"""Contractors (承接主体, Art. 5) and their eligibility record (Art. 6)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import ClassVar

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, Subquery
from tortoise.models import Model

from models.base import Owned, TimestampedModel
from models.enums import ContractorKind, CreditStatus, EligibilityCondition
from models.lifecycle import create_recorded, update_fields
from models.rules import Actor, Problem, RuleViolation

#: Art. 6(6): no major violation "在参与政府购买服务前三年内".
VIOLATION_LOOKBACK_YEARS = 3


class Contractor(TimestampedModel, Owned):
    """承接主体: a social organisation, class-II public institution or enterprise (Art. 5)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120)
    credit_code = fields.CharField(max_length=18, unique=True, description="统一社会信用代码 (GB 32100-2015)")
    kind = fields.CharEnumField(ContractorKind, max_length=32)
    registration_authority = fields.CharField(max_length=120, description="登记管理机关")
    contact_person = fields.CharField(max_length=50)
    contact_phone = fields.CharField(max_length=30)
    address = fields.CharField(max_length=200, default="")
    credit_status = fields.CharEnumField(CreditStatus, max_length=16, default=CreditStatus.GOOD)
    on_abnormal_list = fields.BooleanField(default=False, description="列入经营异常名录")
    on_serious_violation_list = fields.BooleanField(default=False, description="列入严重违法失信名单")

    attestations: fields.ReverseRelation[EligibilityAttestation]
    violations: fields.ReverseRelation[ContractorViolation]

    contractor_path: ClassVar[str | None] = "id"
    policy_object: ClassVar[str] = "contractor"

    @classmethod
    def public_q(cls) -> Q | None:
        """The public sees the contractors named in published contracts."""
        from models.contracts import Contract

        published = Contract.filter(published_on__isnull=False)
        return Q(id__in=Subquery(published.values("contractor_id")))

    class Meta:
        table = "contractor"
        ordering = ("id",)


class EligibilityAttestation(Model, Owned):
    """One Art. 6 condition, attested (or not) with evidence by the agency or city civil affairs."""

    id = fields.IntField(primary_key=True)
    contractor: fields.ForeignKeyRelation[Contractor] = fields.ForeignKeyField(
        "models.Contractor", related_name="attestations", on_delete=fields.CASCADE, db_index=True
    )
    condition = fields.CharEnumField(EligibilityCondition, max_length=32)
    attested = fields.BooleanField(default=False)
    evidence_ref = fields.CharField(max_length=200, default="", description="证明材料编号/位置")
    attested_on = fields.DateField(null=True)

    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "contractor"

    class Meta:
        table = "contractor_attestation"
        unique_together = (("contractor", "condition"),)


class ContractorViolation(Model, Owned):
    """A recorded violation (违法行为), major ones within 3 years fail Art. 6(6)."""

    id = fields.IntField(primary_key=True)
    contractor: fields.ForeignKeyRelation[Contractor] = fields.ForeignKeyField(
        "models.Contractor", related_name="violations", on_delete=fields.CASCADE, db_index=True
    )
    occurred_on = fields.DateField()
    description = fields.TextField()
    is_major = fields.BooleanField(default=False, description="重大违法行为")

    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "contractor"

    class Meta:
        table = "contractor_violation"


@dataclass(frozen=True, slots=True)
class EligibilityFailure:
    """Why a contractor is not eligible: the Art. 6 condition and the reason in Chinese."""

    condition: EligibilityCondition
    reason: str


def eligibility_failures(
    contractor: Contractor,
    attestations: list[EligibilityAttestation],
    violations: list[ContractorViolation],
    on: dt.date,
) -> list[EligibilityFailure]:
    """Art. 5–6 eligibility, computed (never typed in): the list of failing conditions, empty when eligible."""
    failures: list[EligibilityFailure] = []
    attested = {a.condition for a in attestations if a.attested}
    for condition in EligibilityCondition:
        if condition not in attested:
            failures.append(EligibilityFailure(condition, "第六条该项条件未经核实确认"))
    cutoff = (
        on.replace(year=on.year - VIOLATION_LOOKBACK_YEARS)
        if not (on.month == 2 and on.day == 29)
        else (on.replace(year=on.year - VIOLATION_LOOKBACK_YEARS, day=28))
    )
    clean = EligibilityCondition.CLEAN_RECORD
    if contractor.on_abnormal_list:
        failures.append(EligibilityFailure(clean, "已被列入经营异常名录"))
    if contractor.on_serious_violation_list:
        failures.append(EligibilityFailure(clean, "已被列入严重违法失信名单"))
    if contractor.credit_status == "bad":
        failures.append(EligibilityFailure(clean, "信用状况不良"))
    if any(v.is_major and v.occurred_on >= cutoff for v in violations):
        failures.append(EligibilityFailure(clean, "前三年内有重大违法行为"))
    return failures


#: Fields a contractor may change in its own profile (Art. 5: it keeps its own record).
PROFILE_FIELDS = ("contact_person", "contact_phone", "address")
PROFILE_LIMITS = {"contact_person": 50, "contact_phone": 30, "address": 200}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A refused value: the field, a stable code and a Chinese explanation."""

    field: str
    code: str
    message: str


def profile_problems(changes: dict[str, str]) -> list[FieldProblem]:
    """Check a contractor's own profile changes; empty when acceptable."""
    problems: list[FieldProblem] = []
    for name, value in changes.items():
        limit = PROFILE_LIMITS[name]
        if name != "address" and not value.strip():
            problems.append(FieldProblem(name, "REQUIRED", "该项不能为空。"))
        elif len(value) > limit:
            problems.append(FieldProblem(name, "TOO_LONG", f"最多{limit}个字符，当前{len(value)}个。"))
    phone = changes.get("contact_phone")
    if phone and phone.strip() and not _PHONE.fullmatch(phone.strip()):
        problems.append(
            FieldProblem("contact_phone", "INVALID_PHONE", "联系电话格式不正确，应为手机号或带区号的固定电话。")
        )
    return problems


_PHONE = re.compile(r"(1[3-9]\d{9})|(0\d{2,3}-?\d{7,8}(-\d{1,6})?)")


# ---------------------------------------------------------------------------------------------------------
# Recording the Art. 6 record: attestations (upserted per condition) and violations. Eligibility itself
# stays computed by :func:`eligibility_failures`; these only write its inputs, each change in history.

ART_6 = "第六条"
_ITEM_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八")
EVIDENCE_LIMIT = 200
DESCRIPTION_LIMIT = 2000


def condition_article(condition: EligibilityCondition) -> str:
    """The article and item of an Art. 6 condition, e.g. ``第六条第（六）项``."""
    index = list(EligibilityCondition).index(condition)
    return f"{ART_6}第（{_ITEM_NUMERALS[index]}）项"


def attestation_problems(attested: bool, evidence_ref: str, attested_on: dt.date, today: dt.date) -> list[Problem]:
    """An attestation needs its evidence when it confirms a condition, and a date that is not in the future."""
    problems: list[Problem] = []
    if attested and not evidence_ref.strip():
        problems.append(
            Problem("EVIDENCE_REQUIRED", "确认符合第六条条件须注明证明材料编号或存放位置。", "evidenceRef", ART_6)
        )
    elif len(evidence_ref) > EVIDENCE_LIMIT:
        problems.append(Problem("TOO_LONG", f"最多{EVIDENCE_LIMIT}个字符，当前{len(evidence_ref)}个。", "evidenceRef"))
    if attested_on > today:
        problems.append(Problem("INVALID_DATE", "核实日期不能晚于今天。", "attestedOn"))
    return problems


async def record_attestation(
    contractor: Contractor,
    condition: EligibilityCondition,
    *,
    attested: bool,
    evidence_ref: str,
    attested_on: dt.date,
    today: dt.date,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> EligibilityAttestation:
    """Record (or re-record) one Art. 6 condition of a contractor: one row per condition, every change kept.

    Withdrawing an attestation (``attested=False``) makes the contractor ineligible on that condition.
    """
    problems = attestation_problems(attested, evidence_ref, attested_on, today)
    if problems:
        raise RuleViolation(*problems)
    values = {"attested": attested, "evidence_ref": evidence_ref.strip(), "attested_on": attested_on}
    # Lock the contractor so two first attestations of one condition cannot both insert.
    await Contractor.select_for_update().using_db(conn).get(pk=contractor.pk)
    row = await EligibilityAttestation.filter(contractor_id=contractor.pk, condition=condition).using_db(conn).first()
    note = f"核实{condition_article(condition)}"
    if row is None:
        return await create_recorded(
            EligibilityAttestation,
            actor=actor,
            conn=conn,
            note=note,
            contractor_id=contractor.pk,
            condition=condition,
            **values,
        )
    return await update_fields(row, values, actor=actor, conn=conn, note=note)


def violation_problems(occurred_on: dt.date, description: str, today: dt.date) -> list[Problem]:
    """A violation needs a description and a date that is not in the future."""
    problems: list[Problem] = []
    if not description.strip():
        problems.append(Problem("REQUIRED", "请填写违法行为的情况。", "description"))
    elif len(description) > DESCRIPTION_LIMIT:
        problems.append(
            Problem("TOO_LONG", f"最多{DESCRIPTION_LIMIT}个字符，当前{len(description)}个。", "description")
        )
    if occurred_on > today:
        problems.append(Problem("INVALID_DATE", "发生日期不能晚于今天。", "occurredOn"))
    return problems


async def record_violation(
    contractor: Contractor,
    *,
    occurred_on: dt.date,
    description: str,
    is_major: bool,
    today: dt.date,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> ContractorViolation:
    """Record a violation; a major one within three years fails 第六条第（六）项 (computed, not stored)."""
    problems = violation_problems(occurred_on, description, today)
    if problems:
        raise RuleViolation(*problems)
    return await create_recorded(
        ContractorViolation,
        actor=actor,
        conn=conn,
        note="记录重大违法行为" if is_major else "记录违法行为",
        contractor_id=contractor.pk,
        occurred_on=occurred_on,
        description=description.strip(),
        is_major=is_major,
    )
