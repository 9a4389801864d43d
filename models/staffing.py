"""Grassroots capacity (Art. 15–17): township staff incl. dispatched personnel, coordinators,
mutual-aid associations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.base import CENT, MoneyField, Owned, TimestampedModel, money
from models.contracts import ACTIVE_STATES, Contract
from models.enums import ChangeAction, ContractStatus, CoordinatorKind, Education, SocialWorkQualification, StaffKind
from models.geography import Community, Township
from models.history import record_change, snapshot
from models.lifecycle import create_recorded, update_fields
from models.rules import Actor, Problem, RuleViolation, refuse
from models.timeutil import now

M = TypeVar("M", bound=Model)

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


# ---------------------------------------------------------------------------------------------------------
# Rules and service functions (Art. 15–17). Each runs inside the caller's transaction (``conn``), raises
# RuleViolation and then writes nothing; every change is recorded in history. Nothing is ever deleted:
# people leave (an end date), so "who was on staff on a date" stays answerable.

ART_15 = "第十五条"
ART_16 = "第十六条"
ART_16_DISPATCH = "第十六条第二款"
ART_17_COORDINATOR = "第十七条第（一）项"
ART_17_GRID = "第十七条第（二）项"
ART_17_ASSOCIATION = "第十七条第（三）项"
ART_20 = "第二十条"

#: Dates before this are typing mistakes, not history.
EARLIEST_DATE = dt.date(1950, 1, 1)
#: How far ahead a start (or end) may be recorded: a year, for planned arrivals and departures.
MAX_DAYS_AHEAD = 366
#: Subsidies are paid under the policy, in force from 2020-01-01 (第二十条).
FIRST_SUBSIDY_YEAR = 2020
MAX_MONEY = Decimal("99999999999999.99")
MAX_MEMBER_COUNT = 100_000
PROMISED_DAYS = (1, 30)
TEXT_LIMITS = {
    "name": 50,
    "position": 50,
    "grid": 100,
    "association_name": 100,
    "role": 50,
    "workload": 2000,
    "location": 200,
    "first_responsible_officer": 50,
    "phone": 30,
}
_CAMEL = {
    "association_name": "name",
    "first_responsible_officer": "firstResponsibleOfficer",
    "social_work_background": "socialWorkBackground",
    "start_date": "startDate",
    "end_date": "endDate",
    "joined_on": "joinedOn",
    "left_on": "leftOn",
    "established_on": "establishedOn",
    "paid_on": "paidOn",
    "held_on": "heldOn",
    "promised_days": "promisedDays",
    "member_count": "memberCount",
}
_PHONE = re.compile(r"(1[3-9]\d{9})|(0\d{2,3}-?\d{7,8}(-\d{1,6})?)")
#: Characters no name or text may hold (PostgreSQL refuses NUL in text; the rest is never meant).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BELOW_ASSOCIATE = tuple(e for e in Education if not e.associate_or_above)
_CONTRACT_STATE_NAMES = {
    ContractStatus.DRAFT: "草稿",
    ContractStatus.SIGNED: "已签订",
    ContractStatus.PUBLISHED: "已公示",
    ContractStatus.FILED: "已备案",
    ContractStatus.IN_PERFORMANCE: "履约中",
    ContractStatus.ACCEPTANCE_FAILED: "验收未通过（整改中）",
    ContractStatus.ACCEPTED: "已验收",
    ContractStatus.CLOSED: "已结清",
    ContractStatus.TERMINATED: "已终止",
}


def camel(name: str) -> str:
    """The GraphQL input name of a model field (``start_date`` → ``startDate``)."""
    return _CAMEL.get(name, name)


def serving_on(day: dt.date) -> Q:
    """Rows whose ``start_date``/``end_date`` span ``day`` (an open end means still serving)."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def text_problem(name: str, value: str, *, required: bool, limit: int | None = None) -> Problem | None:
    """A free-text field: required ones not blank, none over its limit, no control characters."""
    limit = TEXT_LIMITS[name] if limit is None else limit
    if required and not value.strip():
        return Problem("REQUIRED", "该项不能为空。", camel(name))
    if len(value) > limit:
        return Problem("TOO_LONG", f"最多{limit}个字符，当前{len(value)}个。", camel(name))
    if _CONTROL.search(value):
        return Problem("INVALID", "不能包含控制字符。", camel(name))
    return None


def date_problem(value: dt.date, name: str, *, today: dt.date, future: bool = True) -> Problem | None:
    """A plausible date: not before 1950, and at most a year ahead (or not in the future at all)."""
    latest = today + dt.timedelta(days=MAX_DAYS_AHEAD) if future else today
    if value < EARLIEST_DATE:
        return Problem("INVALID_DATE", f"日期不能早于{EARLIEST_DATE.isoformat()}。", camel(name))
    if value > latest:
        what = f"不能晚于{latest.isoformat()}（最多提前一年登记）" if future else "不能晚于今天"
        return Problem("INVALID_DATE", f"日期{what}。", camel(name))
    return None


def phone_problem(value: str) -> Problem | None:
    """An optional phone: a mobile number or a landline with its area code."""
    text = value.strip()
    if text and not _PHONE.fullmatch(text):
        return Problem("INVALID_PHONE", "联系电话格式不正确，应为手机号或带区号的固定电话。", "phone", ART_15)
    return None


def raise_all(problems: Iterable[Problem | None]) -> None:
    """Refuse with every problem found at once (none: do nothing)."""
    found = [p for p in problems if p is not None]
    if found:
        raise RuleViolation(*found)


def end_problem(start: dt.date, end: dt.date, name: str, *, today: dt.date) -> Problem | None:
    """An end date: not before the start, at most a year ahead."""
    if end < start:
        return Problem("INVALID_DATE", f"结束日期不能早于开始日期{start.isoformat()}。", camel(name))
    return date_problem(end, name, today=today)


# --- Township staff (Art. 16) ----------------------------------------------------------------------------


def check_dispatch(kind: StaffKind, contract: Contract | None, township: Township, start_date: dt.date) -> None:
    """第十六条第二款: dispatched personnel come from a contractor under a purchase contract of the same
    district that is in force (signed and not yet accepted, closed or terminated), and start within its
    service period; own staff have no contract."""
    if kind == StaffKind.OWN:
        if contract is not None:
            raise refuse("INVALID", "自有人员不关联派遣合同；派遣人员请选择“派遣”类别。", field="contract")
        return
    if contract is None:
        raise refuse(
            "DISPATCH_CONTRACT_REQUIRED",
            "派遣人员须注明派遣所依据的购买服务合同（由承接主体派遣工作人员）。",
            field="contract",
            article=ART_16_DISPATCH,
        )
    if contract.district_id != township.district_id:
        raise refuse(
            "DISPATCH_CONTRACT_INVALID",
            "派遣合同须为本乡镇（街道）所在市（区）的购买服务合同。",
            field="contract",
            article=ART_16_DISPATCH,
        )
    if contract.status not in ACTIVE_STATES or contract.contractor_id is None:
        state = _CONTRACT_STATE_NAMES.get(ContractStatus(contract.status), str(contract.status))
        raise refuse(
            "DISPATCH_CONTRACT_INVALID",
            f"合同“{contract.code}”当前状态为“{state}”，不在履行期内，不能据此派遣人员。",
            field="contract",
            article=ART_16_DISPATCH,
        )
    start, end = contract.service_start, contract.service_end
    if (start is not None and start_date < start) or (end is not None and start_date > end):
        period = f"{start.isoformat() if start else '…'}至{end.isoformat() if end else '…'}"
        raise refuse(
            "DISPATCH_OUTSIDE_SERVICE_PERIOD",
            f"到岗日期{start_date.isoformat()}不在合同“{contract.code}”的服务期（{period}）内。",
            field="startDate",
            article=ART_16_DISPATCH,
        )


async def add_staff_member(
    township: Township,
    contract: Contract | None,
    *,
    name: str,
    kind: StaffKind,
    position: str,
    education: Education,
    social_work_background: bool,
    qualification: SocialWorkQualification,
    start_date: dt.date,
    today: dt.date,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> StaffMember:
    """Record a township civil-affairs staff member (第十六条): own staff, or dispatched by the contractor of
    a contract in force, linked to both. Below 大专 is allowed but flagged (the policy says 原则上)."""
    name, position = name.strip(), position.strip()
    raise_all(
        [
            text_problem("name", name, required=True),
            text_problem("position", position, required=False),
            date_problem(start_date, "start_date", today=today),
        ]
    )
    if contract is not None:
        # Read the contract again inside the transaction (and lock it on PostgreSQL) so that it cannot be
        # terminated between the check and the insert.
        contract = await Contract.select_for_update().using_db(conn).get(pk=contract.pk)
    check_dispatch(kind, contract, township, start_date)
    return await create_recorded(
        StaffMember,
        actor=actor,
        conn=conn,
        note="登记民政工作人员"
        if kind == StaffKind.OWN
        else f"登记派遣人员（合同{contract.code if contract else ''}）",
        district_id=township.district_id,
        township_id=township.code,
        name=name,
        kind=kind,
        contract_id=None if contract is None else contract.pk,
        contractor_id=None if contract is None else contract.contractor_id,
        position=position,
        education=education,
        social_work_background=social_work_background,
        qualification=qualification,
        start_date=start_date,
    )


#: What ``updateStaffMember`` may change; who, where and since when are facts, corrected by ending and adding.
STAFF_DETAILS = ("position", "education", "social_work_background", "qualification")


async def update_staff_member(
    member: StaffMember, changes: dict[str, Any], *, actor: Actor, conn: BaseDBAsyncClient
) -> StaffMember:
    """Update a staff member's position, education or social-work background/qualification (第十六条);
    the previous values stay in history."""
    if "position" in changes:
        changes = {**changes, "position": changes["position"].strip()}
        raise_all([text_problem("position", changes["position"], required=False)])
    fresh = await StaffMember.select_for_update().using_db(conn).get(pk=member.pk)
    changed = {k: v for k, v in changes.items() if k in STAFF_DETAILS and getattr(fresh, k) != v}
    if not changed:
        raise refuse("NOTHING_TO_CHANGE", "没有需要修改的内容。")
    return await update_fields(fresh, changed, actor=actor, conn=conn, note="更新人员信息")


async def _end(row: M, end: dt.date, *, end_field: str, note: str, actor: Actor, conn: BaseDBAsyncClient) -> M:
    """Set ``end_field`` once (compare-and-set on it being empty) and record the change."""
    model = type(row)
    before = snapshot(await model.get(pk=row.pk).using_db(conn))
    changed = await (
        model.filter(pk=row.pk, **{f"{end_field}__isnull": True})
        .using_db(conn)
        .update(**{end_field: end, "updated_at": now()})
    )
    if changed != 1:
        current = await model.filter(pk=row.pk).using_db(conn).values_list(end_field, flat=True)
        ended = current[0] if current else None
        raise refuse(
            "ALREADY_ENDED",
            f"已于{ended.isoformat() if ended else '此前'}结束，不能再次结束。",
            field=camel(end_field),
        )
    fresh = await model.get(pk=row.pk).using_db(conn)
    await record_change(
        fresh,
        ChangeAction.UPDATE,
        actor_id=actor.user_id,
        actor_name=actor.name,
        before=before,
        note=note,
        using_db=conn,
    )
    return fresh


async def end_staff_assignment(
    member: StaffMember, end_date: dt.date, *, today: dt.date, actor: Actor, conn: BaseDBAsyncClient
) -> StaffMember:
    """Record the last day on staff (离岗). The row stays: on later dates the person no longer counts."""
    raise_all([end_problem(member.start_date, end_date, "end_date", today=today)])
    return await _end(member, end_date, end_field="end_date", note="离岗", actor=actor, conn=conn)


# --- Villages and communities (Art. 17) ------------------------------------------------------------------


async def add_coordinator(
    community: Community,
    *,
    name: str,
    kind: CoordinatorKind,
    grid: str,
    start_date: dt.date,
    today: dt.date,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> Coordinator:
    """聘任社区社会救助协理员 (第十七条第（一）项): a full-time hire or a committee member serving
    concurrently, with the grid (网格) it is responsible for (第十七条第（二）项)."""
    name, grid = name.strip(), grid.strip()
    raise_all(
        [
            text_problem("name", name, required=True),
            text_problem("grid", grid, required=False),
            date_problem(start_date, "start_date", today=today),
        ]
    )
    return await create_recorded(
        Coordinator,
        actor=actor,
        conn=conn,
        note="聘任社会救助协理员",
        district_id=community.district_id,
        township_id=community.township_id,
        community_id=community.pk,
        name=name,
        kind=kind,
        grid=grid,
        start_date=start_date,
    )


async def end_coordinator(
    coordinator: Coordinator, end_date: dt.date, *, today: dt.date, actor: Actor, conn: BaseDBAsyncClient
) -> Coordinator:
    """Record a coordinator's last day (离任); the row stays for the history of the community."""
    raise_all([end_problem(coordinator.start_date, end_date, "end_date", today=today)])
    return await _end(coordinator, end_date, end_field="end_date", note="离任", actor=actor, conn=conn)


async def add_association(
    township: Township,
    community: Community | None,
    *,
    name: str,
    established_on: dt.date,
    member_count: int,
    today: dt.date,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> MutualAidAssociation:
    """成立社会救助互助会 (第十七条第（三）项), by village/community or township-wide."""
    name = name.strip()
    problems = [
        text_problem("association_name", name, required=True),
        date_problem(established_on, "established_on", today=today, future=False),
    ]
    if not 0 <= member_count <= MAX_MEMBER_COUNT:
        problems.append(
            Problem("INVALID", f"会员人数应在0至{MAX_MEMBER_COUNT}之间。", camel("member_count"), ART_17_ASSOCIATION)
        )
    if community is not None and community.township_id != township.code:
        problems.append(Problem("TOWNSHIP_MISMATCH", "所选村（社区）不属于该乡镇（街道）。", "community"))
    raise_all(problems)
    return await create_recorded(
        MutualAidAssociation,
        actor=actor,
        conn=conn,
        note="成立社会救助互助会",
        district_id=township.district_id,
        township_id=township.code,
        community_id=None if community is None else community.pk,
        name=name,
        established_on=established_on,
        member_count=member_count,
    )


async def _count_members(
    association_id: int, delta: int, note: str, *, actor: Actor, conn: BaseDBAsyncClient
) -> MutualAidAssociation:
    """Move the association's member count by ``delta`` in one statement (never below 0), recorded."""
    before = snapshot(await MutualAidAssociation.get(pk=association_id).using_db(conn))
    qs = MutualAidAssociation.filter(pk=association_id)
    if delta < 0:
        qs = qs.filter(member_count__gte=-delta)  # a count already at 0 stays there
    moved = await qs.using_db(conn).update(member_count=F("member_count") + delta, updated_at=now())
    fresh = await MutualAidAssociation.get(pk=association_id).using_db(conn)
    if moved:
        await record_change(
            fresh,
            ChangeAction.UPDATE,
            actor_id=actor.user_id,
            actor_name=actor.name,
            before=before,
            note=note,
            using_db=conn,
        )
    return fresh


async def add_association_member(
    association: MutualAidAssociation,
    *,
    name: str,
    role: str,
    joined_on: dt.date,
    today: dt.date,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> AssociationMember:
    """A member joins a mutual-aid association (乡贤: 老干部、老教师、老党员…, 第十七条第（三）项);
    the association's member count goes up by one."""
    name, role = name.strip(), role.strip()
    problems = [
        text_problem("name", name, required=True),
        text_problem("role", role, required=False),
        date_problem(joined_on, "joined_on", today=today, future=False),
    ]
    if joined_on < association.established_on:
        problems.append(
            Problem(
                "INVALID_DATE",
                f"入会日期不能早于互助会成立日期{association.established_on.isoformat()}。",
                camel("joined_on"),
            )
        )
    raise_all(problems)
    member = await create_recorded(
        AssociationMember,
        actor=actor,
        conn=conn,
        note="会员入会",
        association_id=association.pk,
        district_id=association.district_id,
        name=name,
        role=role,
        joined_on=joined_on,
    )
    await _count_members(association.pk, 1, f"会员{name}入会", actor=actor, conn=conn)
    return member


async def end_association_member(
    member: AssociationMember, left_on: dt.date, *, today: dt.date, actor: Actor, conn: BaseDBAsyncClient
) -> AssociationMember:
    """A member leaves (退会): the row stays with its last day; the member count goes down by one."""
    raise_all([end_problem(member.joined_on, left_on, "left_on", today=today)])
    fresh = await _end(member, left_on, end_field="left_on", note="会员退会", actor=actor, conn=conn)
    await _count_members(member.association_id, -1, f"会员{member.name}退会", actor=actor, conn=conn)
    return fresh


def amount_problem(value: Decimal) -> Problem | None:
    """A subsidy amount: yuan, > 0, at most 2 decimals."""
    if not value.is_finite() or value <= 0:
        return Problem("INVALID_AMOUNT", "补贴金额必须大于0。", "amount", ART_17_ASSOCIATION)
    # the range first: quantizing an enormous value raises instead of answering
    if value > MAX_MONEY or value != value.quantize(CENT):
        return Problem("INVALID_AMOUNT", "补贴金额最多保留两位小数（元，精确到分），且在允许范围内。", "amount")
    return None


async def record_subsidy(
    association: MutualAidAssociation,
    *,
    year: int,
    amount: Decimal,
    workload: str,
    paid_on: dt.date | None,
    today: dt.date,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> MutualAidSubsidy:
    """市（区）民政部门根据工作量给予适当补贴 (第十七条第（三）项): the amount and the workload it rests on."""
    workload = workload.strip()
    problems = [amount_problem(amount), text_problem("workload", workload, required=True)]
    if not max(FIRST_SUBSIDY_YEAR, association.established_on.year) <= year <= today.year + 1:
        problems.append(
            Problem(
                "INVALID_YEAR",
                f"补贴年度应在{max(FIRST_SUBSIDY_YEAR, association.established_on.year)}至{today.year + 1}之间"
                "（本办法自2020年1月1日起施行，且不早于互助会成立）。",
                "year",
                ART_20,
            )
        )
    if paid_on is not None:
        problems.append(date_problem(paid_on, "paid_on", today=today, future=False))
        if paid_on < association.established_on:
            problems.append(Problem("INVALID_DATE", "发放日期不能早于互助会成立日期。", camel("paid_on")))
    raise_all(problems)
    return await create_recorded(
        MutualAidSubsidy,
        actor=actor,
        conn=conn,
        note=f"{year}年度互助会补贴",
        association_id=association.pk,
        district_id=association.district_id,
        year=year,
        amount=money(amount),
        workload=workload,
        paid_on=paid_on,
    )


# --- One-window acceptance (Art. 15) ---------------------------------------------------------------------

WINDOW_FIELDS = ("location", "first_responsible_officer", "phone", "promised_days", "established_on")


async def set_acceptance_window(
    township: Township, values: dict[str, Any], *, today: dt.date, actor: Actor, conn: BaseDBAsyncClient
) -> AcceptanceWindow:
    """设立“一门受理、协同办理”窗口 (第十五条): one per township, with its 首问负责 officer and the
    限时办理 promise; setting it again updates it (the old values stay in history)."""
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    low, high = PROMISED_DAYS
    problems = [
        text_problem("location", values["location"], required=True),
        text_problem("first_responsible_officer", values["first_responsible_officer"], required=True),
        text_problem("phone", values["phone"], required=False),
        phone_problem(values["phone"]),
        date_problem(values["established_on"], "established_on", today=today, future=False),
    ]
    if not low <= values["promised_days"] <= high:
        problems.append(
            Problem(
                "INVALID_PROMISED_DAYS",
                f"限时办理时限应为{low}至{high}个工作日。",
                camel("promised_days"),
                ART_15,
            )
        )
    raise_all(problems)
    current = await AcceptanceWindow.select_for_update().using_db(conn).get_or_none(township_id=township.code)
    if current is None:
        return await create_recorded(
            AcceptanceWindow,
            actor=actor,
            conn=conn,
            note="设立一门受理窗口",
            district_id=township.district_id,
            township_id=township.code,
            **values,
        )
    changed = {k: v for k, v in values.items() if getattr(current, k) != v}
    if not changed:
        raise refuse("NOTHING_TO_CHANGE", "窗口信息没有变化。")
    return await update_fields(current, changed, actor=actor, conn=conn, note="更新一门受理窗口")


# --- Compliance (rule 10) --------------------------------------------------------------------------------


@dataclass(slots=True)
class TownshipStaffing:
    """Rule 10 (第十六条) for one township on one date: required against actual (own + dispatched)."""

    township_code: str
    district_code: str
    population: int
    on: dt.date
    own: int = 0
    dispatched: int = 0
    below_associate: int = 0
    contract_ids: list[int] = field(default_factory=list)
    has_window: bool = False

    @property
    def required(self) -> int:
        """3 below 50,000 people, 4 at 50,000 or more."""
        return required_staff(self.population)

    @property
    def actual(self) -> int:
        """Own plus dispatched staff on the date."""
        return self.own + self.dispatched

    @property
    def shortfall(self) -> int:
        """How many are missing (0 when compliant)."""
        return max(self.required - self.actual, 0)

    @property
    def compliant(self) -> bool:
        """True when the township meets the floor."""
        return self.actual >= self.required


@dataclass(slots=True)
class DistrictStaffing:
    """Rule 10 summed over a district's townships on one date."""

    district_code: str
    on: dt.date
    townships: list[TownshipStaffing] = field(default_factory=list)

    @property
    def short(self) -> int:
        """Number of townships below the floor."""
        return sum(1 for t in self.townships if not t.compliant)

    @property
    def shortfall(self) -> int:
        """Staff missing over all townships."""
        return sum(t.shortfall for t in self.townships)

    @property
    def without_window(self) -> int:
        """Townships without a one-window acceptance point (第十五条)."""
        return sum(1 for t in self.townships if not t.has_window)


async def township_staffing(
    townships: Iterable[tuple[str, str, int]],
    staff: QuerySet[StaffMember],
    windows: QuerySet[AcceptanceWindow],
    on: dt.date,
) -> dict[str, TownshipStaffing]:
    """Rule 10 for ``townships`` (code, district, population) on ``on``, in two grouped statements whatever
    their number. ``staff`` and ``windows`` are the caller's querysets (already scoped by the caller)."""
    result = {code: TownshipStaffing(code, district, population, on) for code, district, population in townships}
    if not result:
        return result
    codes = list(result)
    rows = await (
        staff.filter(serving_on(on), township_id__in=codes)
        .annotate(n=Count("id"))
        .group_by("township_id", "kind", "education", "contract_id")
        .values("township_id", "kind", "education", "contract_id", "n")
    )
    for row in rows:
        item = result[row["township_id"]]
        if StaffKind(row["kind"]) == StaffKind.OWN:
            item.own += row["n"]
            continue
        item.dispatched += row["n"]
        if not Education(row["education"]).associate_or_above:
            item.below_associate += row["n"]
        if row["contract_id"] is not None and row["contract_id"] not in item.contract_ids:
            item.contract_ids.append(row["contract_id"])
    for code in await windows.filter(township_id__in=codes).values_list("township_id", flat=True):
        result[code].has_window = True
    for item in result.values():
        item.contract_ids.sort()
    return result


def by_district(staffing: Iterable[TownshipStaffing], districts: Iterable[str], on: dt.date) -> list[DistrictStaffing]:
    """Group township results by district (every district in ``districts``, in that order)."""
    out = {code: DistrictStaffing(code, on) for code in districts}
    for item in staffing:
        if item.district_code in out:
            out[item.district_code].townships.append(item)
    return list(out.values())


def below_associate_q(on: dt.date) -> Q:
    """Dispatched staff on ``on`` below 大专 (第十六条第二款 asks for 大专以上 原则上): the flag list."""
    return serving_on(on) & Q(kind=StaffKind.DISPATCHED, education__in=[e.value for e in _BELOW_ASSOCIATE])
