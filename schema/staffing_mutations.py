"""Grassroots capacity mutations (Art. 15–17): township staff incl. dispatched personnel (派遣人员),
coordinators (协理员), mutual-aid associations (互助会) and their subsidies, and one-window acceptance points
(一门受理). Training (培训, Art. 19) is in ``schema/training_mutations.py``.

Every resolver is the same few steps (see ``schema/mutation_support.py``): find the row the caller may see
(NOT_FOUND; townships are public reference data, so a township of another district is FORBIDDEN), ask the
policy (FORBIDDEN), run the ``models.staffing`` service in one transaction, and turn a
refused rule into typed payload errors — a refusal writes nothing. Nothing here deletes: people leave with
an end date, so who was on staff on any date stays answerable.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import strawberry
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from models import AssociationMember as MemberRow
from models import Community as CommunityRow
from models import Contract as ContractRow
from models import Coordinator as CoordinatorRow
from models import MutualAidAssociation as AssociationRow
from models import StaffMember as StaffMemberRow
from models import Township as TownshipRow
from models import staffing as staffing_rules
from models.enums import SocialWorkQualification
from models.geography import TOWNSHIP_CODE_HINT, is_township_code
from models.rules import RuleViolation
from models.timeutil import today
from policies.principal import Principal
from schema import enums
from schema.base import converter, from_row
from schema.context import Info
from schema.mutation_support import (
    FORBIDDEN_MESSAGE,
    NOT_FOUND_MESSAGE,
    actor_of,
    errors_of,
    may,
    may_in_district,
    payload_of,
    refused,
    run_in_transaction,
    visible_row,
)
from schema.staffing import (
    AcceptanceWindow,
    AssociationMember,
    Coordinator,
    MutualAidAssociation,
    MutualAidSubsidy,
    StaffMember,
)

M = TypeVar("M", bound=Model)

# ---------------------------------------------------------------------------------------------------------
# Errors


@strawberry.enum(description="Why a staffing change was refused. 基层经办能力变更错误码。")
class StaffingErrorCode(StrEnum):
    """Stable codes: access, input, and one per rule (each names its article in `article`)."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_STATE = "INVALID_STATE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_DATE = "INVALID_DATE"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_YEAR = "INVALID_YEAR"
    INVALID_PROMISED_DAYS = "INVALID_PROMISED_DAYS"
    NOTHING_TO_CHANGE = "NOTHING_TO_CHANGE"
    DISPATCH_CONTRACT_REQUIRED = "DISPATCH_CONTRACT_REQUIRED"
    DISPATCH_CONTRACT_INVALID = "DISPATCH_CONTRACT_INVALID"
    DISPATCH_OUTSIDE_SERVICE_PERIOD = "DISPATCH_OUTSIDE_SERVICE_PERIOD"
    ALREADY_ENDED = "ALREADY_ENDED"
    TOWNSHIP_MISMATCH = "TOWNSHIP_MISMATCH"


@strawberry.type(description="A refused staffing change, with the rule that refused it. 错误。")
class StaffingError:
    """Typed error."""

    code: StaffingErrorCode = strawberry.field(description="Stable error code. 错误码。")
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="Input field at fault (camelCase), if any. 出错字段。")
    article: str | None = strawberry.field(
        description="Article of 泰政办发〔2019〕53号 the rule comes from, e.g. 第十六条. 依据条款。"
    )


def _error(code: StaffingErrorCode, message: str, field: str | None, article: str | None = None) -> StaffingError:
    return StaffingError(code=code, message=message, field=field, article=article)


# ---------------------------------------------------------------------------------------------------------
# Inputs

_TOWNSHIP = "Township code (9 digits, e.g. 321202001) of your district. 乡镇（街道）代码。"


@strawberry.input(description="A township civil-affairs staff member to record (Art. 16). 登记民政工作人员。")
class AddStaffMemberInput:
    """New staff member."""

    township: str = strawberry.field(description=_TOWNSHIP)
    name: str = strawberry.field(description="Name, at most 50 characters. 姓名。")
    kind: enums.StaffKind = strawberry.field(description="Own staff or dispatched personnel. 人员类别。")
    contract: strawberry.ID | None = strawberry.field(
        default=None,
        description="DISPATCHED only (required then, omitted for OWN): global ID of the purchase contract under "
        "which the contractor dispatches the person — of the same district, in force (SIGNED to IN_PERFORMANCE "
        "or ACCEPTANCE_FAILED), the start date inside its service period. The contractor is taken from it. "
        "派遣依据的合同。",
    )
    position: str = strawberry.field(default="", description="Position or duties, at most 50. 岗位。")
    education: enums.Education = strawberry.field(
        description="Highest education; dispatched staff below 大专 are accepted but flagged. 学历。"
    )
    social_work_background: bool = strawberry.field(
        default=False, description="Has a social-work education background. 社会工作教育背景。"
    )
    qualification: enums.SocialWorkQualification = strawberry.field(
        default=SocialWorkQualification.NONE, description="Social-worker qualification (NONE when none). 职业资格。"
    )
    start_date: dt.date = strawberry.field(
        description="First day on staff, from 1950 to at most a year ahead. 到岗日期。"
    )


@strawberry.input(description="Changes to a staff member's details; omitted fields stay. 更新人员信息。")
class UpdateStaffMemberInput:
    """Staff member changes."""

    staff_member: strawberry.ID = strawberry.field(description="Global ID of the staff member. 人员ID。")
    position: str | None = strawberry.field(default=None, description="Position or duties, at most 50. 岗位。")
    education: enums.Education | None = strawberry.field(default=None, description="Highest education. 学历。")
    social_work_background: bool | None = strawberry.field(
        default=None, description="Has a social-work education background. 社会工作教育背景。"
    )
    qualification: enums.SocialWorkQualification | None = strawberry.field(
        default=None, description="Social-worker qualification. 职业资格。"
    )


@strawberry.input(description="The last day a staff member is on staff; the record is kept. 人员离岗。")
class EndStaffAssignmentInput:
    """End of an assignment."""

    staff_member: strawberry.ID = strawberry.field(description="Global ID of the staff member. 人员ID。")
    end_date: dt.date = strawberry.field(
        description="Last day on staff (inclusive), not before the start date, at most a year ahead. 离岗日期。"
    )


@strawberry.input(description="A social-assistance coordinator of a village/community (Art. 17). 聘任协理员。")
class AddCoordinatorInput:
    """New coordinator."""

    community: strawberry.ID = strawberry.field(description="Global ID of the village/community. 村（社区）ID。")
    name: str = strawberry.field(description="Name, at most 50. 姓名。")
    kind: enums.CoordinatorKind = strawberry.field(
        description="A full-time hire, or a village/residents' committee member serving concurrently. 专职/兼任。"
    )
    grid: str = strawberry.field(default="", description="Grid (网格) of responsibility, at most 100. 网格责任。")
    start_date: dt.date = strawberry.field(description="First day in the role, at most a year ahead. 任职日期。")


@strawberry.input(description="A coordinator's last day in the role; the record is kept. 协理员离任。")
class EndCoordinatorInput:
    """End of a coordinator's term."""

    coordinator: strawberry.ID = strawberry.field(description="Global ID of the coordinator. 协理员ID。")
    end_date: dt.date = strawberry.field(
        description="Last day in the role, not before the start, at most a year ahead. 离任日期。"
    )


@strawberry.input(description="A new social-assistance mutual-aid association (Art. 17(3)). 成立互助会。")
class AddAssociationInput:
    """New association."""

    township: str = strawberry.field(description=_TOWNSHIP)
    community: strawberry.ID | None = strawberry.field(
        default=None,
        description="Global ID of its village/community (of that township); omitted for a township-wide one. "
        "所在村（社区）。",
    )
    name: str = strawberry.field(description="Name, at most 100. 名称。")
    established_on: dt.date = strawberry.field(description="Date established, not in the future. 成立日期。")
    member_count: int = strawberry.field(
        default=0,
        description="Members at establishment, 0 to 100000; registered members joining or leaving move it. 会员人数。",
    )


@strawberry.input(description="A member joining a mutual-aid association. 会员入会。")
class AddAssociationMemberInput:
    """New member."""

    association: strawberry.ID = strawberry.field(description="Global ID of the association. 互助会ID。")
    name: str = strawberry.field(description="Name, at most 50. 姓名。")
    role: str = strawberry.field(default="", description="Role, e.g. 会长, at most 50. 职务。")
    joined_on: dt.date = strawberry.field(
        description="Date joined, not before the association was established, not in the future. 入会日期。"
    )


@strawberry.input(description="A member leaving a mutual-aid association; the record is kept. 会员退会。")
class EndAssociationMemberInput:
    """Member leaves."""

    member: strawberry.ID = strawberry.field(description="Global ID of the member. 会员ID。")
    left_on: dt.date = strawberry.field(description="Last day as a member, not before joining. 退会日期。")


@strawberry.input(description="A subsidy the district pays an association by its workload (Art. 17(3)). 互助会补贴。")
class RecordSubsidyInput:
    """New subsidy."""

    association: strawberry.ID = strawberry.field(description="Global ID of the association. 互助会ID。")
    year: int = strawberry.field(
        description="Year it is for: from 2020 (and the association's founding year) to next year. 年度。"
    )
    amount: Decimal = strawberry.field(description="Amount in yuan, > 0, at most 2 decimals. 补贴金额（元）。")
    workload: str = strawberry.field(description="The workload it is based on, at most 2000. 工作量依据。")
    paid_on: dt.date | None = strawberry.field(
        default=None, description="Date paid, not in the future; omitted while unpaid. 发放日期。"
    )


@strawberry.input(description="Set up or update a township's one-window acceptance point (Art. 15). 设置一门受理窗口。")
class SetAcceptanceWindowInput:
    """Window (one per township: setting it again updates it)."""

    township: str = strawberry.field(description=_TOWNSHIP)
    location: str = strawberry.field(description="Where the window is, at most 200. 窗口位置（政务大厅等）。")
    first_responsible_officer: str = strawberry.field(
        description="First-responsible officer (首问负责), at most 50. 首问负责人。"
    )
    phone: str = strawberry.field(default="", description="Mobile or landline with area code, or empty. 联系电话。")
    promised_days: int = strawberry.field(
        description="Promised processing time (限时办理), 1 to 30 working days. 承诺办理时限（工作日）。"
    )
    established_on: dt.date = strawberry.field(description="Date set up, not in the future. 设立日期。")


# ---------------------------------------------------------------------------------------------------------
# Payloads


@strawberry.type(description="Result of a staff-member mutation. 民政工作人员变更结果。")
class StaffMemberPayload:
    """Staff member or errors."""

    staff_member: StaffMember | None = strawberry.field(
        description="The staff member after the change; null when refused. 人员。"
    )
    errors: list[StaffingError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of a coordinator mutation. 协理员变更结果。")
class CoordinatorPayload:
    """Coordinator or errors."""

    coordinator: Coordinator | None = strawberry.field(description="The coordinator; null when refused. 协理员。")
    errors: list[StaffingError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `addAssociation`. 成立互助会结果。")
class AssociationPayload:
    """Association or errors."""

    association: MutualAidAssociation | None = strawberry.field(
        description="The association; null when refused. 互助会。"
    )
    errors: list[StaffingError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of a membership mutation. 会员变更结果。")
class AssociationMemberPayload:
    """Member (and its association's new count) or errors."""

    member: AssociationMember | None = strawberry.field(description="The member; null when refused. 会员。")
    association: MutualAidAssociation | None = strawberry.field(
        description="The association with its member count after the change; null when refused. 互助会。"
    )
    errors: list[StaffingError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `recordSubsidy`. 互助会补贴结果。")
class SubsidyPayload:
    """Subsidy or errors."""

    subsidy: MutualAidSubsidy | None = strawberry.field(description="The subsidy; null when refused. 补贴。")
    errors: list[StaffingError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `setAcceptanceWindow`. 一门受理窗口设置结果。")
class AcceptanceWindowPayload:
    """Window or errors."""

    window: AcceptanceWindow | None = strawberry.field(description="The window now on record; null when refused.")
    errors: list[StaffingError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


# ---------------------------------------------------------------------------------------------------------
# Shared steps


def _staffing_errors(exc: RuleViolation) -> list[StaffingError]:
    return errors_of(exc, StaffingError, StaffingErrorCode)


async def _township(principal: Principal, code: str, obj: str = "staffing") -> TownshipRow | StaffingError:
    """A township the caller may write ``obj`` of: INVALID code, NOT_FOUND, or FORBIDDEN (another district's)."""
    code = code.strip()
    if not is_township_code(code):
        return _error(StaffingErrorCode.INVALID, TOWNSHIP_CODE_HINT, "township")
    township = await TownshipRow.get_or_none(code=code)
    if township is None:
        return _error(StaffingErrorCode.NOT_FOUND, "乡镇（街道）不存在。", "township")
    if not may_in_district(principal, "write", obj, township.district_id):
        return _error(StaffingErrorCode.FORBIDDEN, "只能登记本区乡镇（街道）的基层经办力量。", "township")
    return township


async def _writable(
    principal: Principal, model: type[M], global_id: strawberry.ID, type_name: str, field: str, obj: str = "staffing"
) -> M | StaffingError:
    """A row the caller sees (else NOT_FOUND) and may write as ``obj`` (else FORBIDDEN)."""
    row = await visible_row(principal, model, global_id, type_name)
    if row is None:
        return _error(StaffingErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, field)
    if not may(principal, "write", row, obj):
        return _error(StaffingErrorCode.FORBIDDEN, FORBIDDEN_MESSAGE, field)
    return row


# ---------------------------------------------------------------------------------------------------------
# Township staff (Art. 16)


async def add_staff_member(
    info: Info, input: Annotated[AddStaffMemberInput, strawberry.argument(description="The person. 人员。")]
) -> StaffMemberPayload:
    """The district agency records an own or dispatched staff member of one of its townships (第十六条)."""
    principal = info.context.principal
    township = await _township(principal, input.township)
    if isinstance(township, StaffingError):
        return refused(StaffMemberPayload, township)
    contract = None
    if input.contract is not None:
        contract = await visible_row(principal, ContractRow, input.contract, "Contract")
        if contract is None:
            error = _error(StaffingErrorCode.NOT_FOUND, "合同不存在或无权访问。", "contract")
            return refused(StaffMemberPayload, error)
    result = await run_in_transaction(
        lambda conn: staffing_rules.add_staff_member(
            township,
            contract,
            name=input.name,
            kind=input.kind,
            position=input.position,
            education=input.education,
            social_work_background=input.social_work_background,
            qualification=input.qualification,
            start_date=input.start_date,
            today=today(),
            actor=actor_of(principal),
            conn=conn,
        )
    )
    return payload_of(StaffMemberPayload, result, _staffing_errors, staff_member=converter(StaffMember))


async def update_staff_member(
    info: Info, input: Annotated[UpdateStaffMemberInput, strawberry.argument(description="The changes. 变更内容。")]
) -> StaffMemberPayload:
    """The agency updates a staff member's position, education or social-work background; history keeps the old."""
    principal = info.context.principal
    member = await _writable(principal, StaffMemberRow, input.staff_member, "StaffMember", "staffMember")
    if isinstance(member, StaffingError):
        return refused(StaffMemberPayload, member)
    changes: dict[str, Any] = {
        name: getattr(input, name) for name in staffing_rules.STAFF_DETAILS if getattr(input, name) is not None
    }
    result = await run_in_transaction(
        lambda conn: staffing_rules.update_staff_member(member, changes, actor=actor_of(principal), conn=conn)
    )
    return payload_of(StaffMemberPayload, result, _staffing_errors, staff_member=converter(StaffMember))


async def end_staff_assignment(
    info: Info, input: Annotated[EndStaffAssignmentInput, strawberry.argument(description="The end. 离岗。")]
) -> StaffMemberPayload:
    """The agency records a staff member's last day; the row stays so earlier dates still count them."""
    principal = info.context.principal
    member = await _writable(principal, StaffMemberRow, input.staff_member, "StaffMember", "staffMember")
    if isinstance(member, StaffingError):
        return refused(StaffMemberPayload, member)
    result = await run_in_transaction(
        lambda conn: staffing_rules.end_staff_assignment(
            member, input.end_date, today=today(), actor=actor_of(principal), conn=conn
        )
    )
    return payload_of(StaffMemberPayload, result, _staffing_errors, staff_member=converter(StaffMember))


# ---------------------------------------------------------------------------------------------------------
# Villages and communities (Art. 17)


async def add_coordinator(
    info: Info, input: Annotated[AddCoordinatorInput, strawberry.argument(description="The coordinator. 协理员。")]
) -> CoordinatorPayload:
    """The agency appoints a coordinator of one of its villages/communities (第十七条第（一）、（二）项)."""
    principal = info.context.principal
    community = await _writable(principal, CommunityRow, input.community, "Community", "community")
    if isinstance(community, StaffingError):
        return refused(CoordinatorPayload, community)
    result = await run_in_transaction(
        lambda conn: staffing_rules.add_coordinator(
            community,
            name=input.name,
            kind=input.kind,
            grid=input.grid,
            start_date=input.start_date,
            today=today(),
            actor=actor_of(principal),
            conn=conn,
        )
    )
    return payload_of(CoordinatorPayload, result, _staffing_errors, coordinator=converter(Coordinator))


async def end_coordinator(
    info: Info, input: Annotated[EndCoordinatorInput, strawberry.argument(description="The end. 离任。")]
) -> CoordinatorPayload:
    """The agency records a coordinator's last day; the record stays."""
    principal = info.context.principal
    coordinator = await _writable(principal, CoordinatorRow, input.coordinator, "Coordinator", "coordinator")
    if isinstance(coordinator, StaffingError):
        return refused(CoordinatorPayload, coordinator)
    result = await run_in_transaction(
        lambda conn: staffing_rules.end_coordinator(
            coordinator, input.end_date, today=today(), actor=actor_of(principal), conn=conn
        )
    )
    return payload_of(CoordinatorPayload, result, _staffing_errors, coordinator=converter(Coordinator))


async def add_association(
    info: Info, input: Annotated[AddAssociationInput, strawberry.argument(description="The association. 互助会。")]
) -> AssociationPayload:
    """The agency records a mutual-aid association of one of its townships (第十七条第（三）项)."""
    principal = info.context.principal
    township = await _township(principal, input.township)
    if isinstance(township, StaffingError):
        return refused(AssociationPayload, township)
    community = None
    if input.community is not None:
        community = await visible_row(principal, CommunityRow, input.community, "Community")
        if community is None:
            return refused(AssociationPayload, _error(StaffingErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, "community"))
    result = await run_in_transaction(
        lambda conn: staffing_rules.add_association(
            township,
            community,
            name=input.name,
            established_on=input.established_on,
            member_count=input.member_count,
            today=today(),
            actor=actor_of(principal),
            conn=conn,
        )
    )
    return payload_of(AssociationPayload, result, _staffing_errors, association=converter(MutualAidAssociation))


async def add_association_member(
    info: Info, input: Annotated[AddAssociationMemberInput, strawberry.argument(description="The member. 会员。")]
) -> AssociationMemberPayload:
    """The agency registers a member joining an association; its member count goes up."""
    principal = info.context.principal
    association = await _writable(principal, AssociationRow, input.association, "MutualAidAssociation", "association")
    if isinstance(association, StaffingError):
        return refused(AssociationMemberPayload, association)

    async def work(conn: BaseDBAsyncClient) -> tuple[MemberRow, AssociationRow]:
        member = await staffing_rules.add_association_member(
            association,
            name=input.name,
            role=input.role,
            joined_on=input.joined_on,
            today=today(),
            actor=actor_of(principal),
            conn=conn,
        )
        return member, await AssociationRow.get(pk=association.pk).using_db(conn)

    result = await run_in_transaction(work)
    if isinstance(result, RuleViolation):
        return refused(AssociationMemberPayload, *_staffing_errors(result))
    member, fresh = result
    return AssociationMemberPayload(
        member=from_row(AssociationMember, member), association=from_row(MutualAidAssociation, fresh), errors=[]
    )


async def end_association_member(
    info: Info, input: Annotated[EndAssociationMemberInput, strawberry.argument(description="The end. 退会。")]
) -> AssociationMemberPayload:
    """The agency records a member leaving; the record stays and the member count goes down."""
    principal = info.context.principal
    member = await _writable(principal, MemberRow, input.member, "AssociationMember", "member")
    if isinstance(member, StaffingError):
        return refused(AssociationMemberPayload, member)

    async def work(conn: BaseDBAsyncClient) -> tuple[MemberRow, AssociationRow]:
        ended = await staffing_rules.end_association_member(
            member, input.left_on, today=today(), actor=actor_of(principal), conn=conn
        )
        return ended, await AssociationRow.get(pk=member.association_id).using_db(conn)

    result = await run_in_transaction(work)
    if isinstance(result, RuleViolation):
        return refused(AssociationMemberPayload, *_staffing_errors(result))
    ended, fresh = result
    return AssociationMemberPayload(
        member=from_row(AssociationMember, ended), association=from_row(MutualAidAssociation, fresh), errors=[]
    )


async def record_subsidy(
    info: Info, input: Annotated[RecordSubsidyInput, strawberry.argument(description="The subsidy. 补贴。")]
) -> SubsidyPayload:
    """The agency records a subsidy paid to an association by its workload (第十七条第（三）项)."""
    principal = info.context.principal
    association = await _writable(
        principal, AssociationRow, input.association, "MutualAidAssociation", "association", obj="subsidy"
    )
    if isinstance(association, StaffingError):
        return refused(SubsidyPayload, association)
    result = await run_in_transaction(
        lambda conn: staffing_rules.record_subsidy(
            association,
            year=input.year,
            amount=input.amount,
            workload=input.workload,
            paid_on=input.paid_on,
            today=today(),
            actor=actor_of(principal),
            conn=conn,
        )
    )
    return payload_of(SubsidyPayload, result, _staffing_errors, subsidy=converter(MutualAidSubsidy))


# ---------------------------------------------------------------------------------------------------------
# One-window acceptance (Art. 15)


async def set_acceptance_window(
    info: Info, input: Annotated[SetAcceptanceWindowInput, strawberry.argument(description="The window. 窗口。")]
) -> AcceptanceWindowPayload:
    """The agency sets up (or updates) a township's one-window acceptance point (第十五条)."""
    principal = info.context.principal
    township = await _township(principal, input.township)
    if isinstance(township, StaffingError):
        return refused(AcceptanceWindowPayload, township)
    values = {name: getattr(input, name) for name in staffing_rules.WINDOW_FIELDS}

    async def work(conn: BaseDBAsyncClient) -> Any:
        return await staffing_rules.set_acceptance_window(
            township, values, today=today(), actor=actor_of(principal), conn=conn
        )

    try:
        result = await run_in_transaction(work)
    except IntegrityError:  # a concurrent request set the window up first: this one becomes an update
        result = await run_in_transaction(work)
    return payload_of(AcceptanceWindowPayload, result, _staffing_errors, window=converter(AcceptanceWindow))


# ---------------------------------------------------------------------------------------------------------


@strawberry.type(description="Grassroots capacity mutations (merged into the root Mutation).")
class Mutation:
    """Merged into ``schema.mutation.Mutation``."""

    add_staff_member: StaffMemberPayload = strawberry.mutation(
        resolver=add_staff_member,
        description="The district agency records a township's own or dispatched civil-affairs staff member "
        "(Art. 16); a dispatched one is linked to its contract and contractor. 登记乡镇（街道）民政工作人员。",
    )
    update_staff_member: StaffMemberPayload = strawberry.mutation(
        resolver=update_staff_member,
        description="The district agency updates a staff member's position, education or social-work background/"
        "qualification (Art. 16); history keeps the previous values. 更新人员信息。",
    )
    end_staff_assignment: StaffMemberPayload = strawberry.mutation(
        resolver=end_staff_assignment,
        description="The district agency records a staff member's last day; never deleted, so compliance on "
        "earlier dates still counts them (rule 10). 人员离岗。",
    )
    add_coordinator: CoordinatorPayload = strawberry.mutation(
        resolver=add_coordinator,
        description="The district agency appoints a village/community social-assistance coordinator, full-time or "
        "a committee member serving concurrently, with a grid (Art. 17(1),(2)). 聘任社会救助协理员。",
    )
    end_coordinator: CoordinatorPayload = strawberry.mutation(
        resolver=end_coordinator,
        description="The district agency records a coordinator's last day; the record stays. 协理员离任。",
    )
    add_association: AssociationPayload = strawberry.mutation(
        resolver=add_association,
        description="The district agency records a social-assistance mutual-aid association (Art. 17(3)). "
        "成立社会救助互助会。",
    )
    add_association_member: AssociationMemberPayload = strawberry.mutation(
        resolver=add_association_member,
        description="The district agency registers a member joining an association (member count +1). 会员入会。",
    )
    end_association_member: AssociationMemberPayload = strawberry.mutation(
        resolver=end_association_member,
        description="The district agency records a member leaving (member count −1); the record stays. 会员退会。",
    )
    record_subsidy: SubsidyPayload = strawberry.mutation(
        resolver=record_subsidy,
        description="The district agency records a subsidy paid to an association by its workload (Art. 17(3)); "
        "finance reads subsidies. 登记互助会补贴。",
    )
    set_acceptance_window: AcceptanceWindowPayload = strawberry.mutation(
        resolver=set_acceptance_window,
        description="The district agency sets up or updates a township's one-window acceptance point with its "
        "first-responsible officer and promised time (Art. 15). 设置一门受理、协同办理窗口。",
    )
