"""Training mutations (培训, Art. 19): sessions held by the city civil affairs bureau or a district agency, and
the township staff who attended them.

Same steps as ``schema/staffing_mutations.py``: find the row the caller may see (NOT_FOUND), ask the policy
(FORBIDDEN: ``write`` on ``training`` in the district, ``*`` for a city-level session), run the
``models.training`` service in one transaction, and turn a refused rule into typed payload errors.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import strawberry

from models import District as DistrictRow
from models import StaffMember as StaffMemberRow
from models import TrainingSession as SessionRow
from models import training as training_rules
from models.geography import DISTRICT_CODE_HINT, is_district_code
from models.rules import RuleViolation
from models.timeutil import today
from policies.enforcer import allowed
from schema import enums
from schema.base import converter
from schema.context import Info
from schema.mutation_support import (
    FORBIDDEN_MESSAGE,
    NOT_FOUND_MESSAGE,
    actor_of,
    errors_of,
    may_in_district,
    payload_of,
    refused,
    run_in_transaction,
    visible_row,
)
from schema.training import TrainingAttendance, TrainingSession

# ---------------------------------------------------------------------------------------------------------
# Errors


@strawberry.enum(description="Why a training change was refused. 培训变更错误码。")
class TrainingErrorCode(StrEnum):
    """Stable codes: access, input, and one per rule."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_STATE = "INVALID_STATE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_DATE = "INVALID_DATE"
    INVALID_HOURS = "INVALID_HOURS"
    SESSION_NOT_HELD = "SESSION_NOT_HELD"
    ATTENDEE_OUTSIDE_DISTRICT = "ATTENDEE_OUTSIDE_DISTRICT"
    STAFF_NOT_SERVING = "STAFF_NOT_SERVING"
    ALREADY_RECORDED = "ALREADY_RECORDED"


@strawberry.type(description="A refused training change. 培训变更错误。")
class TrainingError:
    """Typed error."""

    code: TrainingErrorCode = strawberry.field(description="Stable error code. 错误码。")
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="Input field at fault (camelCase), if any. 出错字段。")
    article: str | None = strawberry.field(description="Article the rule comes from, e.g. 第十九条. 依据条款。")


def _training_error(code: TrainingErrorCode, message: str, field: str | None) -> TrainingError:
    return TrainingError(code=code, message=message, field=field, article=None)


def _training_errors(exc: RuleViolation) -> list[TrainingError]:
    return errors_of(exc, TrainingError, TrainingErrorCode)


# ---------------------------------------------------------------------------------------------------------
# Inputs


@strawberry.input(description="A training session (Art. 19). 登记培训。")
class CreateTrainingSessionInput:
    """New session."""

    district: str | None = strawberry.field(
        default=None,
        description="Organising district code (6 digits) for a district-level session; omitted for a city-level "
        "session of the city civil affairs bureau. 组织区代码。",
    )
    held_on: dt.date = strawberry.field(description="Date held (at most a year ahead). 培训日期。")
    form: enums.TrainingForm = strawberry.field(description="政策解读/专家授课/经验介绍/案例分析/互动参与. 培训形式。")
    topic: str = strawberry.field(description="Topic, at most 200. 培训主题。")
    hours: Decimal = strawberry.field(description="Length in hours, > 0, at most 60, one decimal. 培训学时。")


@strawberry.input(description="A staff member's attendance at a held session (Art. 19). 登记参训。")
class RecordAttendanceInput:
    """Attendance."""

    session: strawberry.ID = strawberry.field(description="Global ID of the session. 培训ID。")
    staff_member: strawberry.ID = strawberry.field(
        description="Global ID of the staff member: of the session's district for a district session, of any "
        "district for a city session; on staff on the session date; once per session. 参训人员ID。"
    )


# ---------------------------------------------------------------------------------------------------------
# Payloads


@strawberry.type(description="Result of `createTrainingSession`. 登记培训结果。")
class TrainingSessionPayload:
    """Session or errors."""

    session: TrainingSession | None = strawberry.field(description="The session; null when refused. 培训。")
    errors: list[TrainingError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `recordAttendance`. 登记参训结果。")
class TrainingAttendancePayload:
    """Attendance or errors."""

    attendance: TrainingAttendance | None = strawberry.field(
        description="The attendance; null when refused. 参训记录。"
    )
    errors: list[TrainingError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


# ---------------------------------------------------------------------------------------------------------
# Resolvers


async def create_training_session(
    info: Info, input: Annotated[CreateTrainingSessionInput, strawberry.argument(description="The session. 培训。")]
) -> TrainingSessionPayload:
    """The city civil affairs bureau records a city-level session; a district agency its district's (第十九条)."""
    principal = info.context.principal
    code = None if input.district is None else input.district.strip()
    if code is None:
        if not allowed(principal, "write", "training", "*"):
            error = _training_error(
                TrainingErrorCode.FORBIDDEN, "市级培训由市民政局登记；区级培训请注明组织区。", "district"
            )
            return refused(TrainingSessionPayload, error)
    else:
        if not is_district_code(code):
            error = _training_error(TrainingErrorCode.INVALID, DISTRICT_CODE_HINT, "district")
            return refused(TrainingSessionPayload, error)
        if not await DistrictRow.filter(code=code).exists():
            error = _training_error(TrainingErrorCode.NOT_FOUND, "区不存在。", "district")
            return refused(TrainingSessionPayload, error)
        if not may_in_district(principal, "write", "training", code):
            error = _training_error(TrainingErrorCode.FORBIDDEN, FORBIDDEN_MESSAGE, "district")
            return refused(TrainingSessionPayload, error)
    result = await run_in_transaction(
        lambda conn: training_rules.create_session(
            code,
            held_on=input.held_on,
            form=input.form,
            topic=input.topic,
            hours=input.hours,
            today=today(),
            actor=actor_of(principal),
            conn=conn,
        )
    )
    return payload_of(TrainingSessionPayload, result, _training_errors, session=converter(TrainingSession))


async def record_attendance(
    info: Info, input: Annotated[RecordAttendanceInput, strawberry.argument(description="The attendance. 参训。")]
) -> TrainingAttendancePayload:
    """The agency records its staff at its own or the city's sessions; the city bureau anyone's (第十九条)."""
    principal = info.context.principal
    session = await visible_row(principal, SessionRow, input.session, "TrainingSession")
    if session is None:
        error = _training_error(TrainingErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, "session")
        return refused(TrainingAttendancePayload, error)
    staff = await visible_row(principal, StaffMemberRow, input.staff_member, "StaffMember")
    if staff is None:
        error = _training_error(TrainingErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, "staffMember")
        return refused(TrainingAttendancePayload, error)
    if not may_in_district(principal, "write", "training", staff.district_id):
        error = _training_error(TrainingErrorCode.FORBIDDEN, FORBIDDEN_MESSAGE, "staffMember")
        return refused(TrainingAttendancePayload, error)
    result = await run_in_transaction(
        lambda conn: training_rules.record_attendance(
            session, staff, today=today(), actor=actor_of(principal), conn=conn
        )
    )
    return payload_of(TrainingAttendancePayload, result, _training_errors, attendance=converter(TrainingAttendance))


# ---------------------------------------------------------------------------------------------------------


@strawberry.type(description="Training mutations (merged into the root Mutation).")
class Mutation:
    """Merged into ``schema.mutation.Mutation``."""

    create_training_session: TrainingSessionPayload = strawberry.mutation(
        resolver=create_training_session,
        description="The city civil affairs bureau records a city-level session (no district); a district agency "
        "a session of its district (Art. 19). 登记培训。",
    )
    record_attendance: TrainingAttendancePayload = strawberry.mutation(
        resolver=record_attendance,
        description="Records a staff member's attendance at a held session: a district agency its own staff (at "
        "its own or city sessions), the city bureau anyone's (Art. 19). 登记参训。",
    )
