"""The contract records (Tortoise models): the contract (购买服务合同, Art. 9(4)) and what hangs off it —
payment schedule, amendments, inspections (Art. 9(5)), acceptance (Art. 9(6)) and payments.

Also the acceptance grade (:func:`grade_for`), which :attr:`Acceptance.grade` reads.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from tortoise import fields
from tortoise.expressions import Q

from models.base import MoneyField, Owned, TimestampedModel
from models.enums import AcceptanceResult, AmendmentStatus, ContractStatus, PaymentTrigger


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
