"""Service ledgers (台账, Art. 14) kept by contractors, and beneficiaries (救助对象)."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.expressions import Q, Subquery
from tortoise.models import Model

from models.base import MoneyField, Owned, TimestampedModel
from models.enums import AssistanceCategory, EntryKind, FundDirection, ServiceUnit


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
    id_number = fields.CharField(max_length=18, unique=True, description="居民身份证号 (GB 11643)")
    assistance_category = fields.CharEnumField(AssistanceCategory, max_length=16)
    phone = fields.CharField(max_length=30, null=True)

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
        indexes = (("contract_id", "service_date"), ("district_id", "service_date"))


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
