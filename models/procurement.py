"""Procurement projects (采购项目, Art. 9(2)–(3)) and their lots (分包, Art. 5)."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.expressions import Q, Subquery
from tortoise.models import Model

from models.base import MoneyField, Owned, TimestampedModel
from models.enums import AwardCriteria, LotStatus, ProcurementMethod, ProcurementStatus


class ProcurementThreshold(Model):
    """Per-year procurement thresholds (rule 5): configuration, not code."""

    year = fields.IntField(primary_key=True)
    decentralised_threshold = MoneyField(description="分散采购限额标准")
    open_tender_threshold = MoneyField(description="公开招标数额标准（服务类）")

    class Meta:
        table = "procurement_threshold"


class ProcurementProject(TimestampedModel, Owned):
    """A procurement made from lines of one approved plan."""

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField(
        "models.District", related_name="procurement_projects", on_delete=fields.RESTRICT, db_index=True
    )
    plan = fields.ForeignKeyField(
        "models.PurchasePlan", related_name="projects", on_delete=fields.RESTRICT, db_index=True
    )
    plan_lines = fields.ManyToManyField("models.PlanLine", related_name="projects", through="procurement_project_line")
    code = fields.CharField(max_length=40, unique=True, description="项目编号")
    title = fields.CharField(max_length=200)
    budget = MoneyField(description="预算金额")
    content = fields.TextField(description="主要内容")
    acceptance_standards = fields.TextField(default="", description="承接标准/验收标准")
    goals = fields.TextField(default="", description="目标要求")
    status = fields.CharEnumField(ProcurementStatus, max_length=16, default=ProcurementStatus.PREPARING)
    method = fields.CharEnumField(ProcurementMethod, max_length=32, null=True)
    award_criteria = fields.CharEnumField(AwardCriteria, max_length=32, null=True)
    invited_suppliers = fields.JSONField(default=list, description="邀请招标的供应商名单")
    single_source_justification = fields.TextField(default="")
    method_approval_ref = fields.CharField(max_length=200, default="", description="未公开招标的审批文号")
    published_on = fields.DateField(null=True)
    failure_reason = fields.TextField(default="")

    lots: fields.ReverseRelation[ProcurementLot]

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "procurement"

    @classmethod
    def contractor_q(cls, contractor_id: int) -> Q | None:
        """A contractor sees the projects in which it won a lot."""
        lots = ProcurementLot.filter(awarded_contractor_id=contractor_id)
        return Q(id__in=Subquery(lots.values("project_id")))

    @classmethod
    def public_q(cls) -> Q:
        """Published notices and their outcome are public (Art. 9(2), Art. 13)."""
        return Q(status__in=[ProcurementStatus.PUBLISHED, ProcurementStatus.AWARDED, ProcurementStatus.FAILED])

    class Meta:
        table = "procurement_project"
        ordering = ("-id",)


class ProcurementLot(TimestampedModel, Owned):
    """分包: one separately awarded part of a project (a project has at least one)."""

    id = fields.IntField(primary_key=True)
    project = fields.ForeignKeyField(
        "models.ProcurementProject", related_name="lots", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField(
        "models.District", related_name="procurement_lots", on_delete=fields.RESTRICT, db_index=True
    )
    number = fields.IntField(description="包号, from 1")
    title = fields.CharField(max_length=200)
    budget = MoneyField()
    status = fields.CharEnumField(LotStatus, max_length=16, default=LotStatus.OPEN)
    awarded_contractor = fields.ForeignKeyField(
        "models.Contractor", related_name="awarded_lots", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    award_amount = MoneyField(null=True)
    awarded_on = fields.DateField(null=True)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "awarded_contractor_id"
    policy_object: ClassVar[str] = "procurement"

    @classmethod
    def public_q(cls) -> Q:
        """Lots of a public project are public."""
        return Q(
            project__status__in=[
                ProcurementStatus.PUBLISHED,
                ProcurementStatus.AWARDED,
                ProcurementStatus.FAILED,
            ]
        )

    class Meta:
        table = "procurement_lot"
        unique_together = (("project", "number"),)
        ordering = ("project_id", "number")
