"""Grassroots capacity (Art. 15–17): township staff incl. dispatched personnel, coordinators,
mutual-aid associations."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields

from models.base import MoneyField, Owned, TimestampedModel
from models.enums import CoordinatorKind, Education, SocialWorkQualification, StaffKind

#: Art. 16: "人口不足5万人 … 不少于3名；人口超过5万人 … 不少于4名" — exactly 50,000 takes the stricter 4.
POPULATION_THRESHOLD = 50_000


def required_staff(population: int) -> int:
    """Rule 10 (Art. 16): 3 below 50,000 people, 4 at 50,000 or more."""
    return 4 if population >= POPULATION_THRESHOLD else 3


class StaffMember(TimestampedModel, Owned):
    """乡镇（街道）民政工作管理服务人员: own staff, or dispatched (派遣) by a contractor under a contract.

    Kept over time: ``start_date``/``end_date`` say who was on staff on a given date.
    """

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name="staff", on_delete=fields.RESTRICT, db_index=True)
    township = fields.ForeignKeyField("models.Township", related_name="staff", on_delete=fields.RESTRICT, db_index=True)
    name = fields.CharField(max_length=50)
    kind = fields.CharEnumField(StaffKind, max_length=16)
    contract = fields.ForeignKeyField(
        "models.Contract",
        related_name="dispatched_staff",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    contractor = fields.ForeignKeyField(
        "models.Contractor",
        related_name="dispatched_staff",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    position = fields.CharField(max_length=50, default="")
    education = fields.CharEnumField(Education, max_length=20)
    social_work_background = fields.BooleanField(default=False, description="社会工作教育背景")
    qualification = fields.CharEnumField(SocialWorkQualification, max_length=20, default=SocialWorkQualification.NONE)
    start_date = fields.DateField()
    end_date = fields.DateField(null=True)

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "staffing"

    class Meta:
        table = "staff_member"
        ordering = ("township_id", "id")
        indexes = (("township_id", "start_date"),)


class Coordinator(TimestampedModel, Owned):
    """社会救助协理员 of a village/community (Art. 17): full-time, or a committee member serving concurrently."""

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField(
        "models.District", related_name="coordinators", on_delete=fields.RESTRICT, db_index=True
    )
    township = fields.ForeignKeyField(
        "models.Township", related_name="coordinators", on_delete=fields.RESTRICT, db_index=True
    )
    community = fields.ForeignKeyField(
        "models.Community", related_name="coordinators", on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=50)
    kind = fields.CharEnumField(CoordinatorKind, max_length=16)
    grid = fields.CharField(max_length=100, default="", description="网格责任")
    start_date = fields.DateField()
    end_date = fields.DateField(null=True)

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "staffing"

    class Meta:
        table = "coordinator"
        ordering = ("id",)


class MutualAidAssociation(TimestampedModel, Owned):
    """社会救助互助会 of a village/community."""

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField(
        "models.District", related_name="associations", on_delete=fields.RESTRICT, db_index=True
    )
    township = fields.ForeignKeyField(
        "models.Township", related_name="associations", on_delete=fields.RESTRICT, db_index=True
    )
    community = fields.ForeignKeyField(
        "models.Community", related_name="associations", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=100)
    established_on = fields.DateField()
    member_count = fields.IntField(default=0)

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "staffing"

    class Meta:
        table = "mutual_aid_association"
        ordering = ("id",)


class MutualAidSubsidy(TimestampedModel, Owned):
    """A subsidy the district pays an association, by workload."""

    id = fields.IntField(primary_key=True)
    association = fields.ForeignKeyField(
        "models.MutualAidAssociation", related_name="subsidies", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    year = fields.IntField()
    amount = MoneyField()
    workload = fields.TextField(default="", description="工作量依据")
    paid_on = fields.DateField(null=True)

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "subsidy"

    class Meta:
        table = "mutual_aid_subsidy"
        ordering = ("association_id", "year")


class AcceptanceWindow(TimestampedModel, Owned):
    """一门受理、协同办理 window of a township (Art. 15): first-responsible officer and promised time."""

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField(
        "models.District", related_name="windows", on_delete=fields.RESTRICT, db_index=True
    )
    township = fields.OneToOneField("models.Township", related_name="window", on_delete=fields.RESTRICT)
    location = fields.CharField(max_length=200, description="政务大厅/综合服务窗口 where it sits")
    first_responsible_officer = fields.CharField(max_length=50, description="首问负责人")
    phone = fields.CharField(max_length=30, default="")
    promised_days = fields.IntField(description="限时办理: promised processing time in working days")
    established_on = fields.DateField()

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "staffing"

    class Meta:
        table = "acceptance_window"


class AssociationMember(TimestampedModel, Owned):
    """A member of a mutual-aid association (社会救助互助会)."""

    id = fields.IntField(primary_key=True)
    association = fields.ForeignKeyField(
        "models.MutualAidAssociation", related_name="members", on_delete=fields.CASCADE, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    name = fields.CharField(max_length=50)
    role = fields.CharField(max_length=50, default="", description="会长/成员 …")
    joined_on = fields.DateField()
    left_on = fields.DateField(null=True)

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "staffing"

    class Meta:
        table = "association_member"
