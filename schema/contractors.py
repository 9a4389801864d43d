"""Contractors (承接主体, Art. 5) and their Art. 6 eligibility record."""

from __future__ import annotations

import datetime as dt

import strawberry

from models import Contractor as ContractorRow
from models import ContractorViolation as ViolationRow
from models import EligibilityAttestation as AttestationRow
from models.contractors import condition_article, eligibility_failures
from models.timeutil import today
from policies.scope import NOTHING, visibility
from schema import enums
from schema.base import load_children, model_type
from schema.context import Info
from schema.node import Historied
from schema.pagination import After, Connection, First


@strawberry.type(description="One failing Art. 6 condition and why. 不符合的承接条件。")
class EligibilityProblem:
    """A reason a contractor cannot be awarded (rule 4)."""

    condition: enums.EligibilityCondition = strawberry.field(description="The Art. 6 condition (第六条第N项).")
    reason: str = strawberry.field(description="Why it fails, in Chinese. 原因。")
    article: str = strawberry.field(description="The article and item that fails, e.g. 第六条第（六）项. 依据条款。")


@model_type(ContractorRow)
@strawberry.type(description="A contractor (承接主体, Art. 5): social organisation, public institution or enterprise.")
class Contractor(Historied):
    """承接主体."""

    name: str = strawberry.field(description="Registered name. 名称。")
    credit_code: str = strawberry.field(
        description="Unified social credit code (GB 32100-2015): accepted by `contractor(creditCode:)` and "
        "wherever a contractor's global ID is. 统一社会信用代码。"
    )
    kind: enums.ContractorKind = strawberry.field(description="Type of organisation (Art. 5). 类型。")
    registration_authority: str = strawberry.field(description="Registration authority. 登记管理机关。")
    contact_person: str = strawberry.field(description="Contact person. 联系人。")
    contact_phone: str = strawberry.field(description="Contact phone. 联系电话。")
    address: str = strawberry.field(description="Address. 地址。")
    credit_status: enums.CreditStatus = strawberry.field(description="Credit status. 信用状况。")
    on_abnormal_list: bool = strawberry.field(description="On the abnormal-operations list. 经营异常名录。")
    on_serious_violation_list: bool = strawberry.field(description="On the serious-violation list. 严重违法失信名单。")

    @strawberry.field(description="The Art. 6 attestations, one per condition. 承接条件核实记录。")
    async def attestations(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
    ) -> Connection[Attestation]:
        """Attestations of this contractor."""
        return await load_children(info, Attestation, AttestationRow, "contractor_id", self.row.pk, first, after)

    @strawberry.field(description="Recorded violations. 违法记录。")
    async def violations(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
    ) -> Connection[Violation]:
        """Violations of this contractor."""
        return await load_children(info, Violation, ViolationRow, "contractor_id", self.row.pk, first, after)

    @strawberry.field(
        description="Failing Art. 6 conditions as of today (empty when eligible); computed, never typed in. "
        "Null when you may not read the eligibility record. 不符合的承接条件。"
    )
    async def eligibility_problems(self, info: Info) -> list[EligibilityProblem] | None:
        """Computed eligibility (rule 4)."""
        if visibility(info.context.principal, AttestationRow) is NOTHING:
            return None
        attestations = await info.context.loaders.child_page(AttestationRow, "contractor_id", 100).load(self.row.pk)
        violations = await info.context.loaders.child_page(ViolationRow, "contractor_id", 100).load(self.row.pk)
        return [
            EligibilityProblem(condition=f.condition, reason=f.reason, article=condition_article(f.condition))
            for f in eligibility_failures(self.row, attestations, violations, today())
        ]

    @strawberry.field(
        description="True when no Art. 6 condition fails today; null when you may not read the record. "
        "是否具备承接条件。"
    )
    async def eligible(self, info: Info) -> bool | None:
        """Eligibility (rule 4)."""
        problems = await self.eligibility_problems(info)
        return None if problems is None else not problems


@model_type(AttestationRow)
@strawberry.type(description="Attestation of one Art. 6 condition with its evidence. 承接条件核实。")
class Attestation(Historied):
    """Art. 6 attestation."""

    condition: enums.EligibilityCondition = strawberry.field(description="The Art. 6 condition.")
    attested: bool = strawberry.field(description="True when verified. 已核实。")
    evidence_ref: str = strawberry.field(description="Evidence reference. 证明材料。")
    attested_on: dt.date | None = strawberry.field(description="Date verified. 核实日期。")


@model_type(ViolationRow)
@strawberry.type(description="A recorded violation; a major one within 3 years fails Art. 6(6). 违法记录。")
class Violation(Historied):
    """Violation record."""

    occurred_on: dt.date = strawberry.field(description="When it happened. 发生日期。")
    description: str = strawberry.field(description="What happened. 情况。")
    is_major: bool = strawberry.field(description="Major violation (重大违法行为).")
