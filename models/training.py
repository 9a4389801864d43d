"""Training of grassroots staff (Art. 19)."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model

from models.base import Owned, TimestampedModel
from models.enums import OrganiserLevel, TrainingForm


class TrainingSession(TimestampedModel, Owned):
    """A training session by the city or a district (政策解读/专家授课/经验介绍/案例分析/互动参与)."""

    id = fields.IntField(primary_key=True)
    level = fields.CharEnumField(OrganiserLevel, max_length=16)
    district = fields.ForeignKeyField(
        "models.District",
        related_name="training_sessions",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    held_on = fields.DateField()
    form = fields.CharEnumField(TrainingForm, max_length=24)
    topic = fields.CharField(max_length=200)
    hours = fields.DecimalField(max_digits=5, decimal_places=1)

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "training"

    @classmethod
    def district_q(cls, district_code: str | None) -> Q | None:
        """A district sees its own sessions and the city's (Art. 19: 市、市（区）民政部门 both train)."""
        if district_code is None:
            return Q()
        return Q(district_id=district_code) | Q(district_id__isnull=True)

    class Meta:
        table = "training_session"
        ordering = ("-held_on", "id")


class TrainingAttendance(Model, Owned):
    """Attendance of one staff member (or a named attendee) at a session."""

    id = fields.IntField(primary_key=True)
    session = fields.ForeignKeyField(
        "models.TrainingSession", related_name="attendance", on_delete=fields.CASCADE, db_index=True
    )
    staff = fields.ForeignKeyField(
        "models.StaffMember", related_name="training", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT, db_index=True)
    attendee_name = fields.CharField(max_length=50)

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "training"

    class Meta:
        table = "training_attendance"
        unique_together = (("session", "staff"),)
