"""Training of grassroots staff (Art. 19): sessions by the city or a district, and who attended."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import strawberry

from models import District as DistrictRow
from models import StaffMember as StaffMemberRow
from models import TrainingAttendance as AttendanceRow
from models import TrainingSession as SessionRow
from policies.scope import scoped
from schema import enums
from schema.base import converter, load_children, load_one, model_type
from schema.context import Info
from schema.filters import check_year, district_code
from schema.geography import District
from schema.node import Historied
from schema.pagination import After, Connection, First, paginate
from schema.staffing import DistrictArg, StaffMember, YearArg


@model_type(SessionRow)
@strawberry.type(
    description="A training session for grassroots social-assistance staff (培训, Art. 19), organised by the city "
    "or a district."
)
class TrainingSession(Historied):
    """培训."""

    level: enums.OrganiserLevel = strawberry.field(description="City- or district-level. 组织层级（市级/区级）。")
    held_on: dt.date = strawberry.field(description="Date held. 培训日期。")
    form: enums.TrainingForm = strawberry.field(
        description="Form: policy briefing, expert lecture, experience sharing, case study, interactive. "
        "培训形式（政策解读/专家授课/经验介绍/案例分析/互动参与）。"
    )
    topic: str = strawberry.field(description="Topic. 培训主题。")
    hours: Decimal = strawberry.field(description="Length in hours (one decimal). 培训学时。")

    @strawberry.field(description="The organising district; null for a city-level session. 组织区。")
    async def district(self, info: Info) -> District | None:
        """Organising district."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="Who attended, within what you may see (your district's attendees). 参训人员。")
    async def attendance(self, info: Info, first: First = 20, after: After = None) -> Connection[TrainingAttendance]:
        """Attendance rows."""
        return await load_children(info, TrainingAttendance, AttendanceRow, "session_id", self.row.pk, first, after)


@model_type(AttendanceRow)
@strawberry.type(description="One person's attendance at a training session. 参训记录。")
class TrainingAttendance(Historied):
    """参训记录."""

    attendee_name: str = strawberry.field(description="Name of the attendee. 参训人姓名。")

    @strawberry.field(description="The session. 培训场次。")
    async def session(self, info: Info) -> TrainingSession | None:
        """Session."""
        return await load_one(info, TrainingSession, SessionRow, self.row.session_id)

    @strawberry.field(
        description="The staff member who attended; null for a named attendee who is not on the staff register "
        "or when you may not see them. 参训的民政工作人员。"
    )
    async def staff(self, info: Info) -> StaffMember | None:
        """Staff member."""
        return await load_one(info, StaffMember, StaffMemberRow, self.row.staff_id)

    @strawberry.field(description="The attendee's district. 参训人所属区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)


@strawberry.type(description="Training reads (Art. 19). 培训查询。")
class TrainingQuery:
    """Root fields for training; merged into ``Query``."""

    @strawberry.field(
        description="Training sessions in your scope (district roles: their district's sessions; city roles: all, "
        "including city-level ones), in the order they were recorded. 培训场次。"
    )
    async def training_sessions(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        district: DistrictArg = None,
        year: YearArg = None,
        form: Annotated[
            enums.TrainingForm | None, strawberry.argument(description="Only this form. 培训形式。")
        ] = None,
        level: Annotated[
            enums.OrganiserLevel | None, strawberry.argument(description="Only city- or district-level. 组织层级。")
        ] = None,
    ) -> Connection[TrainingSession]:
        """Training sessions."""
        qs = scoped(info.context.principal, SessionRow).filter(**district_code(district))
        if (y := check_year(year)) is not None:
            qs = qs.filter(held_on__gte=dt.date(y, 1, 1), held_on__lte=dt.date(y, 12, 31))
        if form is not None:
            qs = qs.filter(form=form)
        if level is not None:
            qs = qs.filter(level=level)
        return await paginate(qs, first, after, converter(TrainingSession))
