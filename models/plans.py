"""Annual purchase plans (年度购买计划, Art. 9(1)) and the funding floor (Art. 11)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient

from models.base import MoneyField, Owned, TimestampedModel, money
from models.enums import ChangeAction, FundingSource, PlanStatus
from models.history import record_change, snapshot
from models.lifecycle import create_recorded, state_conflict, transition, update_fields
from models.rules import Actor, Problem, RuleViolation, refuse
from models.timeutil import now

if TYPE_CHECKING:
    from models.catalogue import CatalogueItem

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


# ---------------------------------------------------------------------------------------------------------
# Rules and service functions: the plan lifecycle of DOMAIN.md §3 (Art. 9(1)) with rules 1 and 2.
# Each function runs inside the caller's transaction (``conn``) and raises RuleViolation, writing nothing.

#: The policy applies from 2020-01-01 (第二十条): no plan of an earlier year.
FIRST_PLAN_YEAR = 2020
LAST_PLAN_YEAR = 2100
#: MoneyField holds up to 10^14 yuan.
MAX_MONEY = Decimal("99999999999999.99")
#: PlanLine.quantity holds up to 10^10.
MAX_QUANTITY = Decimal("9999999999.99")
TEXT_LIMITS = {"content": 2000, "service_standard": 2000, "requirements": 2000, "unit": 20}
COMMENT_LIMIT = 2000
#: The states in which the implementing agency may still edit a plan and its lines.
EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)

ART_8 = "第八条"
ART_9_1 = "第九条第（一）项"
ART_11 = "第十一条"
ART_20 = "第二十条"

_CAMEL = {
    "prev_year_dibao_funds": "prevYearDibaoFunds",
    "prev_year_temporary_funds": "prevYearTemporaryFunds",
    "service_standard": "serviceStandard",
    "funding_source": "fundingSource",
    "catalogue_item": "catalogueItem",
    "approved_budget": "approvedBudget",
}


def camel(name: str) -> str:
    """The GraphQL input name of a model field (``prev_year_dibao_funds`` → ``prevYearDibaoFunds``)."""
    return _CAMEL.get(name, name)


@dataclass(frozen=True, slots=True)
class FundingStatus:
    """Rule 1 (第十一条) for one plan: the floor against the planned total."""

    floor: Decimal
    planned: Decimal

    @property
    def shortfall(self) -> Decimal:
        """What the district finance must top up (第十一条第二款); 0 when the plan clears the floor."""
        return money(max(self.floor - self.planned, Decimal(0)))

    @property
    def compliant(self) -> bool:
        """True when the planned total is at least the floor."""
        return self.planned >= self.floor


def planned_of(budgets: Iterable[Decimal]) -> Decimal:
    """The planned total of a plan: the sum of its lines' budgets (exact, in Python: SQLite has no decimal SUM)."""
    return money(sum(budgets, Decimal(0)))


async def planned_total(plan_id: int, conn: BaseDBAsyncClient) -> Decimal:
    """Sum of the budgets of every line of a plan, however many lines it has."""
    return planned_of(await PlanLine.filter(plan_id=plan_id).using_db(conn).values_list("budget", flat=True))


def check_year(year: int) -> None:
    """A plan year the policy covers (第二十条: from 2020)."""
    if not FIRST_PLAN_YEAR <= year <= LAST_PLAN_YEAR:
        raise refuse(
            "INVALID_YEAR",
            f"年度应在{FIRST_PLAN_YEAR}至{LAST_PLAN_YEAR}之间（本办法自2020年1月1日起施行）。",
            field="year",
            article=ART_20,
        )


def amount_problem(value: Decimal, name: str, *, positive: bool, article: str | None = None) -> Problem | None:
    """A money amount: finite, at most 2 decimals, ≥ 0 (or > 0), within the column's range."""
    field = camel(name)
    if not value.is_finite():
        return Problem("INVALID_AMOUNT", "金额无效。", field, article)
    if value != value.quantize(Decimal("0.01")):
        return Problem("INVALID_AMOUNT", "金额最多保留两位小数（元，精确到分）。", field, article)
    if positive and value <= 0:
        return Problem("INVALID_AMOUNT", "金额必须大于0。", field, article)
    if value < 0:
        return Problem("INVALID_AMOUNT", "金额不能为负数。", field, article)
    if value > MAX_MONEY:
        return Problem("INVALID_AMOUNT", "金额超出允许范围。", field, article)
    return None


def quantity_problem(value: Decimal) -> Problem | None:
    """A line quantity: > 0, at most 2 decimals."""
    if not value.is_finite() or value <= 0:
        return Problem("INVALID_QUANTITY", "数量必须大于0。", "quantity", ART_9_1)
    if value != value.quantize(Decimal("0.01")) or value > MAX_QUANTITY:
        return Problem("INVALID_QUANTITY", "数量最多保留两位小数，且不超过100亿。", "quantity", ART_9_1)
    return None


def text_problem(name: str, value: str, *, required: bool) -> Problem | None:
    """A free-text field: required ones not blank, none over its limit."""
    limit = TEXT_LIMITS[name]
    if required and not value.strip():
        return Problem("REQUIRED", "该项不能为空。", camel(name), ART_9_1)
    if len(value) > limit:
        return Problem("TOO_LONG", f"最多{limit}个字符，当前{len(value)}个。", camel(name))
    return None


def check_catalogue_item(item: CatalogueItem) -> None:
    """Rule 2 (第八条): only active catalogue items may be bought."""
    if not item.is_active:
        raise refuse(
            "CATALOGUE_ITEM_INACTIVE",
            f"目录项目“{item.code} {item.name}”已停用，不能列入购买计划：只能购买指导性目录内的服务项目。",
            field="catalogueItem",
            article=ART_8,
        )


def _raise_all(problems: Iterable[Problem | None]) -> None:
    found = [p for p in problems if p is not None]
    if found:
        raise RuleViolation(*found)


def check_funds(changes: dict[str, Decimal]) -> None:
    """The previous year's 低保 / 临时救助 funds (第十一条第三款): decimals ≥ 0."""
    _raise_all(amount_problem(v, k, positive=False, article=ART_11) for k, v in changes.items())


def check_line(values: dict[str, Any], *, creating: bool) -> None:
    """Plan line content (第九条第（一）项: items, content, standard, requirements): all problems at once."""
    problems: list[Problem | None] = []
    for name in TEXT_LIMITS:
        if name in values:
            problems.append(text_problem(name, values[name], required=name in ("content", "unit")))
    if "quantity" in values:
        problems.append(quantity_problem(values["quantity"]))
    if "budget" in values:
        problems.append(amount_problem(values["budget"], "budget", positive=True, article=ART_9_1))
    if creating:
        for name in ("content", "unit", "quantity", "budget", "funding_source"):
            if values.get(name) is None:
                problems.append(Problem("REQUIRED", "该项不能为空。", camel(name)))
    _raise_all(problems)


async def _hold(plan_id: int, states: tuple[PlanStatus, ...], action: str, conn: BaseDBAsyncClient) -> PurchasePlan:
    """Lock the plan while it is in ``states`` (a compare-and-set touch), and return it fresh.

    A line edit racing a submission either lands before it (and is submitted) or sees SUBMITTED and is
    refused: the UPDATE takes the row lock on PostgreSQL, and SQLite runs one writer at a time.
    """
    touched = await (
        PurchasePlan.filter(pk=plan_id, status__in=[s.value for s in states]).using_db(conn).update(updated_at=now())
    )
    if touched != 1:
        current = await PurchasePlan.filter(pk=plan_id).using_db(conn).values_list("status", flat=True)
        raise state_conflict(current[0] if current else "?", action)
    return await PurchasePlan.get(pk=plan_id).using_db(conn)


async def create_plan(
    district_code: str,
    year: int,
    prev_year_dibao_funds: Decimal,
    prev_year_temporary_funds: Decimal,
    *,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> PurchasePlan:
    """实施主体编制年度购买计划 (第九条第（一）项): one plan per district and year, starting as DRAFT."""
    check_year(year)
    check_funds(
        {"prev_year_dibao_funds": prev_year_dibao_funds, "prev_year_temporary_funds": prev_year_temporary_funds}
    )
    if await PurchasePlan.filter(district_id=district_code, year=year).using_db(conn).exists():
        raise plan_exists(year)
    return await create_recorded(
        PurchasePlan,
        actor=actor,
        conn=conn,
        note="编制年度购买计划",
        district_id=district_code,
        year=year,
        status=PlanStatus.DRAFT,
        prev_year_dibao_funds=prev_year_dibao_funds,
        prev_year_temporary_funds=prev_year_temporary_funds,
    )


def plan_exists(year: int) -> RuleViolation:
    """The refusal for a second plan of the same district and year."""
    return refuse(
        "PLAN_EXISTS", f"本区{year}年度购买计划已存在，每区每年只编制一份计划。", field="year", article=ART_9_1
    )


async def update_plan(
    plan: PurchasePlan, changes: dict[str, Decimal], *, actor: Actor, conn: BaseDBAsyncClient
) -> PurchasePlan:
    """Change the previous year's funds of a DRAFT or RETURNED plan (the floor follows, 第十一条)."""
    if not changes:
        raise refuse("NOTHING_TO_CHANGE", "没有需要修改的内容。")
    check_funds(changes)
    fresh = await _hold(plan.pk, EDITABLE, "修改计划", conn)
    return await update_fields(fresh, changes, actor=actor, conn=conn, note="修改计划")


async def add_line(
    plan: PurchasePlan, item: CatalogueItem, values: dict[str, Any], *, actor: Actor, conn: BaseDBAsyncClient
) -> PlanLine:
    """Add a line buying a catalogue item (rule 2, 第八条) to a DRAFT or RETURNED plan."""
    check_catalogue_item(item)
    check_line(values, creating=True)
    fresh = await _hold(plan.pk, EDITABLE, "增加计划明细", conn)
    return await create_recorded(
        PlanLine,
        actor=actor,
        conn=conn,
        note="增加计划明细",
        plan_id=fresh.pk,
        district_id=fresh.district_id,
        catalogue_item_id=item.pk,
        **values,
    )


async def update_line(
    line: PlanLine,
    item: CatalogueItem | None,
    changes: dict[str, Any],
    *,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> PlanLine:
    """Change a line of a DRAFT or RETURNED plan; a new catalogue item must be active (第八条)."""
    if item is not None:
        check_catalogue_item(item)
        changes = {**changes, "catalogue_item_id": item.pk}
    if not changes:
        raise refuse("NOTHING_TO_CHANGE", "没有需要修改的内容。")
    check_line(changes, creating=False)
    await _hold(line.plan_id, EDITABLE, "修改计划明细", conn)
    fresh = await PlanLine.get(pk=line.pk).using_db(conn)
    return await update_fields(fresh, changes, actor=actor, conn=conn, note="修改计划明细")


async def remove_line(line: PlanLine, *, actor: Actor, conn: BaseDBAsyncClient) -> PurchasePlan:
    """Remove a line from a DRAFT or RETURNED plan; the deletion (with the line as it was) is recorded."""
    plan = await _hold(line.plan_id, EDITABLE, "删除计划明细", conn)
    fresh = await PlanLine.get(pk=line.pk).using_db(conn)
    await record_change(
        fresh,
        ChangeAction.DELETE,
        actor_id=actor.user_id,
        actor_name=actor.name,
        before=snapshot(fresh),
        note="删除计划明细",
        using_db=conn,
    )
    await fresh.delete(using_db=conn)
    return plan


async def submit_plan(plan: PurchasePlan, *, actor: Actor, conn: BaseDBAsyncClient) -> PurchasePlan:
    """报同级财政部门审核 (第九条第（一）项): DRAFT or RETURNED → SUBMITTED, with at least one line.

    A plan below the Art. 11 floor may be submitted: the shortfall is shown on the plan and written
    in the history note, for the district finance to top up (第十一条第二款).
    """
    fresh = await _hold(plan.pk, EDITABLE, "报送财政审核", conn)
    budgets = await PlanLine.filter(plan_id=fresh.pk).using_db(conn).values_list("budget", flat=True)
    if not budgets:
        raise refuse("NO_LINES", "计划没有任何明细，不能报送：请至少列入一个购买项目。", field="plan", article=ART_9_1)
    status = FundingStatus(fresh.floor, planned_of(budgets))
    note = "报送财政审核"
    if not status.compliant:
        note += (
            f"；计划金额{status.planned}元低于第十一条最低标准{status.floor}元，"
            f"差额{status.shortfall}元需由市（区）财政予以安排"
        )
    return await transition(
        fresh,
        allowed_from=EDITABLE,
        to=PlanStatus.SUBMITTED,
        action="报送财政审核",
        actor=actor,
        conn=conn,
        updates={"submitted_at": now()},
        note=note,
    )


def check_comment(comment: str, *, required: bool) -> str:
    """Finance's comment: required on return, at most 2000 characters."""
    text = comment.strip()
    if required and not text:
        raise refuse("COMMENT_REQUIRED", "退回计划必须写明退回理由。", field="comment", article=ART_9_1)
    if len(text) > COMMENT_LIMIT:
        raise refuse("TOO_LONG", f"意见最多{COMMENT_LIMIT}个字符，当前{len(text)}个。", field="comment")
    return text


async def approve_plan(
    plan: PurchasePlan,
    approved_budget: Decimal | None,
    comment: str,
    *,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> PurchasePlan:
    """财政部门审核同意 (第九条第（一）项): SUBMITTED → APPROVED.

    The approved budget is the planned total, or a smaller amount finance names; never more than planned.
    """
    text = check_comment(comment, required=False)
    if approved_budget is not None:
        _raise_all([amount_problem(approved_budget, "approved_budget", positive=True, article=ART_9_1)])
    fresh = await _hold(plan.pk, (PlanStatus.SUBMITTED,), "审核同意", conn)
    planned = await planned_total(fresh.pk, conn)
    budget = planned if approved_budget is None else approved_budget
    if budget > planned:
        raise refuse(
            "BUDGET_ABOVE_PLAN",
            f"审核预算{budget}元超过计划金额{planned}元：只能核定不超过计划金额的预算。",
            field="approvedBudget",
            article=ART_9_1,
        )
    return await transition(
        fresh,
        allowed_from=(PlanStatus.SUBMITTED,),
        to=PlanStatus.APPROVED,
        action="审核同意",
        actor=actor,
        conn=conn,
        updates={"approved_budget": money(budget), "decided_at": now(), "finance_comment": text},
        note=text or "审核同意",
    )


async def return_plan(plan: PurchasePlan, comment: str, *, actor: Actor, conn: BaseDBAsyncClient) -> PurchasePlan:
    """财政部门退回修改: SUBMITTED → RETURNED, with the reason (the agency edits and submits again)."""
    text = check_comment(comment, required=True)
    return await transition(
        plan,
        allowed_from=(PlanStatus.SUBMITTED,),
        to=PlanStatus.RETURNED,
        action="退回修改",
        actor=actor,
        conn=conn,
        updates={"decided_at": now(), "finance_comment": text},
        note=text,
    )
