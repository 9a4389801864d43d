"""Training of grassroots staff (Art. 19)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from decimal import Decimal
from typing import ClassVar

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.base import Owned, TimestampedModel
from models.enums import OrganiserLevel, TrainingForm
from models.lifecycle import create_recorded
from models.rules import Actor, Problem, RuleViolation, refuse
from models.staffing import StaffMember, date_problem, raise_all, text_problem


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


# ---------------------------------------------------------------------------------------------------------
# Rules and service functions (Art. 19): sessions by the city (市民政部门) or a district (市（区）民政部门),
# and who attended. Each runs inside the caller's transaction and writes nothing when it refuses.

ART_19 = "第十九条"
TOPIC_LIMIT = 200
#: Hours of one session: one decimal, more than 0, at most a week of full days.
MAX_HOURS = Decimal("60.0")
HOUR = Decimal("0.1")


def hours_of(value: Decimal | float | int | str | None) -> Decimal:
    """Training hours as an exact one-decimal number (a database SUM may come back as a float on SQLite)."""
    if value is None:
        return Decimal("0.0")
    return Decimal(str(value)).quantize(HOUR)


def _year_q(year: int) -> Q:
    return Q(session__held_on__gte=dt.date(year, 1, 1), session__held_on__lte=dt.date(year, 12, 31))


async def create_session(
    district_code: str | None,
    *,
    held_on: dt.date,
    form: TrainingForm,
    topic: str,
    hours: Decimal,
    today: dt.date,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> TrainingSession:
    """A training session (第十九条: 政策解读、专家授课、经验介绍、案例分析、互动参与): city-level when
    ``district_code`` is ``None``, else organised by that district."""
    topic = topic.strip()
    problems: list[Problem | None] = [date_problem(held_on, "held_on", today=today)]
    problems.append(text_problem("topic", topic, required=True, limit=TOPIC_LIMIT))
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS or hours != hours.quantize(HOUR):
        problems.append(
            Problem("INVALID_HOURS", f"培训学时应大于0、不超过{MAX_HOURS}，最多一位小数。", "hours", ART_19)
        )
    raise_all(problems)
    return await create_recorded(
        TrainingSession,
        actor=actor,
        conn=conn,
        note="登记培训",
        level=OrganiserLevel.CITY if district_code is None else OrganiserLevel.DISTRICT,
        district_id=district_code,
        held_on=held_on,
        form=form,
        topic=topic,
        hours=hours,
    )


def already_recorded() -> RuleViolation:
    """The refusal for a second attendance of the same person at the same session."""
    return refuse("ALREADY_RECORDED", "该人员的本场参训记录已存在。", field="staffMember")


async def record_attendance(
    session: TrainingSession, staff: StaffMember, *, today: dt.date, actor: Actor, conn: BaseDBAsyncClient
) -> TrainingAttendance:
    """A staff member attended a session: a district's session trains that district's staff, a city session
    anyone's; the person was on staff that day; once per session and person."""
    if session.held_on > today:
        raise refuse("SESSION_NOT_HELD", "培训尚未举行，不能登记参训。", field="session", article=ART_19)
    if session.district_id is not None and session.district_id != staff.district_id:
        raise refuse(
            "ATTENDEE_OUTSIDE_DISTRICT",
            "区级培训只能登记本区的民政工作人员；市级培训可登记各区人员。",
            field="staffMember",
            article=ART_19,
        )
    if staff.start_date > session.held_on or (staff.end_date is not None and staff.end_date < session.held_on):
        raise refuse(
            "STAFF_NOT_SERVING",
            f"{staff.name}在培训日期{session.held_on.isoformat()}不在岗，不能登记参训。",
            field="staffMember",
        )
    if await TrainingAttendance.filter(session_id=session.pk, staff_id=staff.pk).using_db(conn).exists():
        raise already_recorded()
    try:
        return await create_recorded(
            TrainingAttendance,
            actor=actor,
            conn=conn,
            note="登记参训",
            session_id=session.pk,
            staff_id=staff.pk,
            district_id=staff.district_id,
            attendee_name=staff.name,
        )
    except IntegrityError as exc:  # a concurrent request recorded the same person first
        raise already_recorded() from exc


async def hours_by(
    attendance: QuerySet[TrainingAttendance], group: str, keys: list[Hashable], year: int
) -> dict[Hashable, tuple[Decimal, int]]:
    """Training hours in ``year`` and the number of distinct people, per value of ``group`` (``staff_id``,
    ``district_id``) for ``keys``: one grouped statement. ``attendance`` is the caller's (scoped) queryset."""
    if not keys:
        return {}
    rows = await (
        attendance.filter(_year_q(year), **{f"{group}__in": keys})
        .annotate(hours=Sum("session__hours"), people=Count("staff_id", distinct=True))
        .group_by(group)
        .values(group, "hours", "people")
    )
    return {row[group]: (hours_of(row["hours"]), row["people"]) for row in rows}
