"""Annual purchase plans (年度购买计划, Art. 9(1)) and the funding floor (Art. 11)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from tortoise import fields

from models.base import MoneyField, Owned, TimestampedModel, money
from models.enums import FundingSource, PlanStatus

#: Art. 11: "按照不低于上年度民政社会救助资金的2%标准确定".
FUNDING_FLOOR_RATE = Decimal("0.02")


def funding_floor(prev_dibao_funds: Decimal, prev_temporary_funds: Decimal) -> Decimal:
    """Art. 11: 2% of last year's 低保资金 + 临时救助资金 (the 民政社会救助资金 of Art. 11 ¶3)."""
    return money((prev_dibao_funds + prev_temporary_funds) * FUNDING_FLOOR_RATE)


class PurchasePlan(TimestampedModel, Owned):
    """年度购买社会救助服务项目预算计划 of one district for one year."""

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name="plans", on_delete=fields.RESTRICT, db_index=True)
    year = fields.IntField()
    status = fields.CharEnumField(PlanStatus, max_length=16, default=PlanStatus.DRAFT)
    prev_year_dibao_funds = MoneyField(description="上年度最低生活保障资金")
    prev_year_temporary_funds = MoneyField(description="上年度临时救助资金")
    approved_budget = MoneyField(null=True, description="财政审核同意的预算")
    submitted_at = fields.DatetimeField(null=True)
    decided_at = fields.DatetimeField(null=True)
    finance_comment = fields.TextField(default="")

    lines: fields.ReverseRelation[PlanLine]

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "plan"

    class Meta:
        table = "purchase_plan"
        unique_together = (("district", "year"),)
        ordering = ("-year", "district_id")

    @property
    def floor(self) -> Decimal:
        """The Art. 11 funding floor for this plan's year."""
        return funding_floor(self.prev_year_dibao_funds, self.prev_year_temporary_funds)


class PlanLine(TimestampedModel, Owned):
    """One catalogue item bought in a plan (rule 2: catalogue only)."""

    id = fields.IntField(primary_key=True)
    plan = fields.ForeignKeyField("models.PurchasePlan", related_name="lines", on_delete=fields.CASCADE, db_index=True)
    district = fields.ForeignKeyField(
        "models.District", related_name="plan_lines", on_delete=fields.RESTRICT, db_index=True
    )
    catalogue_item = fields.ForeignKeyField(
        "models.CatalogueItem", related_name="plan_lines", on_delete=fields.RESTRICT, db_index=True
    )
    content = fields.TextField(description="服务内容")
    service_standard = fields.TextField(default="", description="服务标准")
    requirements = fields.TextField(default="", description="相关要求")
    quantity = fields.DecimalField(max_digits=12, decimal_places=2)
    unit = fields.CharField(max_length=20)
    budget = MoneyField()
    funding_source = fields.CharEnumField(FundingSource, max_length=32)

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "plan"

    class Meta:
        table = "plan_line"
        ordering = ("id",)
