"""Procurement projects (采购项目, Art. 9(2)–(3)) and their lots (分包, Art. 5)."""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, Subquery
from tortoise.models import Model

from models.base import CENT, MoneyField, Owned, TimestampedModel, money
from models.contractors import Contractor, ContractorViolation, EligibilityAttestation, eligibility_failures
from models.enums import (
    AwardCriteria,
    EligibilityCondition,
    LotStatus,
    PlanStatus,
    ProcurementMethod,
    ProcurementStatus,
)
from models.lifecycle import create_recorded, state_conflict, transition, update_fields
from models.plans import PlanLine, PurchasePlan
from models.rules import Actor, Problem, RuleViolation, refuse
from models.timeutil import today


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


# ---------------------------------------------------------------------------------------------------------
# The procurement lifecycle (DOMAIN.md §3): PREPARING → PUBLISHED → AWARDED | FAILED (流标) → (republish).
# Every function below runs inside the caller's transaction (``conn``), raises RuleViolation before it writes
# anything, and records every change in history.
#
# How much of a plan a project draws (rule 3):
#   * a project that is not FAILED draws its whole budget;
#   * a FAILED project draws only the budgets of the lots it had already awarded (that money is committed),
#     so 流标 frees the rest and republishing has to find the money again.
# Per plan line: lines are pots of money shared by the projects that select them. A project may be split
# over its lines in any way; the live projects of a plan are within budget when such a split exists that
# keeps every line within its budget. What a new (or republished) project may still draw from its lines is
# therefore the selected lines' budgets minus what the other live projects *must* take from them — the part
# of their budgets that their other lines cannot absorb. ``line_headroom`` computes it exactly (a max-flow of
# projects → lines).

ART_5 = "第五条"
ART_6 = "第六条"
ART_9_2 = "第九条第（二）项"
ART_9_3 = "第九条第（三）项"

MAX_PLAN_LINES = 50
MAX_LOTS = 20
MAX_INVITED = 50
TITLE_LIMIT = 200
CODE_LIMIT = 40
TEXT_LIMIT = 5000
SUPPLIER_LIMIT = 120
APPROVAL_REF_LIMIT = 200

#: The eight conditions of 第六条, as the policy words them (for refusals that name them).
CONDITION_TEXT: dict[EligibilityCondition, tuple[str, str]] = {
    EligibilityCondition.LEGALLY_ESTABLISHED: ("一", "依法设立，具有独立承担民事责任的能力"),
    EligibilityCondition.GOVERNANCE: ("二", "治理结构健全，内部管理和监督制度完善"),
    EligibilityCondition.FINANCIAL_MANAGEMENT: ("三", "具有独立、健全的财务管理、会计核算和资产管理制度"),
    EligibilityCondition.CAPACITY: ("四", "具备提供服务所必需的设施、人员和专业技术能力"),
    EligibilityCondition.TAX_AND_SOCIAL_SECURITY: ("五", "具有依法缴纳税收和社会保险的良好记录"),
    EligibilityCondition.CLEAN_RECORD: (
        "六",
        "前三年内无重大违法行为，信用状况良好，未被列入经营异常名录或者严重违法企业名单",
    ),
    EligibilityCondition.SEPARATION: ("七", "符合政事分开、政社分开、政企分开的要求"),
    EligibilityCondition.OTHER_CONDITIONS: ("八", "购买主体确定的其他条件"),
}

METHOD_NAMES = {
    ProcurementMethod.OPEN_TENDER: "公开招标",
    ProcurementMethod.INVITED_TENDER: "邀请招标",
    ProcurementMethod.COMPETITIVE_NEGOTIATION: "竞争性谈判",
    ProcurementMethod.COMPETITIVE_CONSULTATION: "竞争性磋商",
    ProcurementMethod.SINGLE_SOURCE: "单一来源采购",
    ProcurementMethod.SELF_ORGANISED: "自行采购",
}


@dataclass(frozen=True, slots=True)
class LotDraft:
    """A lot (分包) as requested: title and budget."""

    title: str
    budget: Decimal


@dataclass(frozen=True, slots=True)
class ProjectDraft:
    """What ``createProcurementProject`` asks for; ``lots=None`` means one lot for the whole budget."""

    plan_line_ids: list[int]
    title: str
    budget: Decimal
    content: str
    acceptance_standards: str
    goals: str
    code: str | None = None
    lots: list[LotDraft] | None = None


@dataclass(frozen=True, slots=True)
class MethodChoice:
    """A procurement method with what rule 5 asks of it."""

    method: ProcurementMethod
    award_criteria: AwardCriteria
    invited_suppliers: list[str] = field(default_factory=list)
    single_source_justification: str = ""
    method_approval_ref: str = ""


def _yuan(amount: Decimal) -> str:
    return f"{money(amount):,}元"


def _amount_problem(value: Decimal, name: str, label: str) -> Problem | None:
    if not value.is_finite() or value <= 0:
        return Problem("INVALID", f"{label}应为大于0的金额。", name)
    if value != value.quantize(CENT):
        return Problem("INVALID", f"{label}最多保留两位小数（分）。", name)
    if value >= Decimal("1e14"):
        return Problem("INVALID", f"{label}超出允许范围。", name)
    return None


def _text_problem(value: str, name: str, label: str, limit: int, *, required: bool = True) -> Problem | None:
    if required and not value.strip():
        return Problem("INVALID", f"请填写{label}。", name)
    if len(value) > limit:
        return Problem("INVALID", f"{label}最多{limit}个字符，当前{len(value)}个。", name)
    return None


def draft_problems(draft: ProjectDraft) -> list[Problem]:
    """Input checks of a new project (lengths, amounts, list caps) and the lots rule of 第五条."""
    checks = [
        _text_problem(draft.title, "title", "项目名称", TITLE_LIMIT),
        _text_problem(draft.content, "content", "主要内容", TEXT_LIMIT),
        _text_problem(draft.acceptance_standards, "acceptanceStandards", "承接标准", TEXT_LIMIT, required=False),
        _text_problem(draft.goals, "goals", "目标要求", TEXT_LIMIT, required=False),
        _amount_problem(draft.budget, "budget", "预算金额"),
    ]
    if draft.code is not None:
        checks.append(_text_problem(draft.code, "code", "项目编号", CODE_LIMIT))
    if not 1 <= len(draft.plan_line_ids) <= MAX_PLAN_LINES:
        checks.append(Problem("INVALID", f"请选择1至{MAX_PLAN_LINES}条计划明细。", "planLines"))
    elif len(set(draft.plan_line_ids)) != len(draft.plan_line_ids):
        checks.append(Problem("INVALID", "计划明细不能重复选择。", "planLines"))
    problems = [p for p in checks if p is not None]
    if draft.lots is not None:
        problems += _lot_problems(draft.lots, draft.budget)
    return problems


def _lot_problems(lots: list[LotDraft], budget: Decimal) -> list[Problem]:
    if not 1 <= len(lots) <= MAX_LOTS:
        return [Problem("INVALID", f"分包数量应为1至{MAX_LOTS}个。", "lots")]
    problems: list[Problem] = []
    for lot in lots:
        for p in (
            _text_problem(lot.title, "lots", "分包名称", TITLE_LIMIT),
            _amount_problem(lot.budget, "lots", "分包预算"),
        ):
            if p is not None:
                problems.append(p)
    if problems:
        return problems
    total = sum((lot.budget for lot in lots), Decimal(0))
    if total != budget:
        problems.append(
            Problem(
                "LOTS_MISMATCH",
                f"各分包预算合计{_yuan(total)}，与项目预算{_yuan(budget)}不一致：大额项目分包后，"
                "各包预算之和应等于项目预算。",
                "lots",
                ART_5,
            )
        )
    return problems


@dataclass(frozen=True, slots=True)
class Draw:
    """What a live project draws on its plan: an amount and the lines it may take it from."""

    amount: Decimal
    line_ids: frozenset[int]


def line_headroom(line_budgets: dict[int, Decimal], others: list[Draw], selected: set[int]) -> Decimal:
    """How much a new project on ``selected`` lines can draw once every other live project is funded.

    Max-flow source → projects (their amounts) → their lines → sink (line budgets): first the others alone,
    then the new project on top. Augmenting paths never take flow back from the source, so the others stay
    funded and the second phase's flow is exactly the new project's headroom.
    """
    infinite = sum(line_budgets.values(), Decimal(0)) + sum((d.amount for d in others), Decimal(0)) + 1
    cap: dict[object, dict[object, Decimal]] = {"s": {}, "t": {}}

    def edge(u: object, v: object, c: Decimal) -> None:
        cap.setdefault(u, {})[v] = cap.setdefault(u, {}).get(v, Decimal(0)) + c
        cap.setdefault(v, {}).setdefault(u, Decimal(0))

    for line_id, budget in line_budgets.items():
        edge(("line", line_id), "t", budget)
    for index, draw in enumerate(others):
        edge("s", ("project", index), draw.amount)
        for line_id in draw.line_ids & line_budgets.keys():
            edge(("project", index), ("line", line_id), infinite)
    _max_flow(cap)
    edge("s", "new", infinite)
    for line_id in selected & line_budgets.keys():
        edge("new", ("line", line_id), infinite)
    return _max_flow(cap)


def _max_flow(cap: dict[object, dict[object, Decimal]]) -> Decimal:
    """Edmonds–Karp on the residual capacities ``cap`` (changed in place); returns the flow added."""
    total = Decimal(0)
    while True:
        parent: dict[object, object] = {"s": "s"}
        queue = deque(["s"])
        while queue and "t" not in parent:
            u = queue.popleft()
            for v, c in cap[u].items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if "t" not in parent:
            return total
        path: list[tuple[object, object]] = []
        v: object = "t"
        while v != "s":
            path.append((parent[v], v))
            v = parent[v]
        bottleneck = min(cap[u][w] for u, w in path)
        for u, w in path:
            cap[u][w] -= bottleneck
            cap[w][u] += bottleneck
        total += bottleneck


async def _draws(plan_id: int, exclude_project_id: int | None, conn: BaseDBAsyncClient) -> list[Draw]:
    """The draws of the plan's other projects (see the module notes on FAILED projects)."""
    projects = ProcurementProject.filter(plan_id=plan_id)
    if exclude_project_id is not None:
        projects = projects.exclude(id=exclude_project_id)
    rows = await projects.using_db(conn).values_list("id", "status", "budget")
    if not rows:
        return []
    ids = [row[0] for row in rows]
    links = await ProcurementProject.filter(id__in=ids).using_db(conn).values_list("id", "plan_lines__id")
    lines: dict[int, set[int]] = {pk: set() for pk in ids}
    for pk, line_id in links:
        if line_id is not None:
            lines[pk].add(line_id)
    failed = [pk for pk, status, _ in rows if status == ProcurementStatus.FAILED]
    committed: dict[int, Decimal] = dict.fromkeys(failed, Decimal(0))
    if failed:
        awarded = await (
            ProcurementLot.filter(project_id__in=failed, status=LotStatus.AWARDED)
            .using_db(conn)
            .values_list("project_id", "budget")
        )
        for pk, budget in awarded:
            committed[pk] += budget
    return [Draw(committed.get(pk, budget), frozenset(lines[pk])) for pk, _, budget in rows]


async def check_plan_budget(
    plan: PurchasePlan,
    budget: Decimal,
    line_ids: set[int],
    *,
    exclude_project_id: int | None,
    conn: BaseDBAsyncClient,
) -> None:
    """Rule 3 (第九条第（二）项): an APPROVED plan, and ``budget`` fits both the plan and the selected lines.

    Call with the plan row locked (``SELECT … FOR UPDATE``) so that two projects cannot both take the
    last of the money.
    """
    if plan.status != PlanStatus.APPROVED or plan.approved_budget is None:
        raise refuse(
            "PLAN_NOT_APPROVED",
            f"{plan.year}年度购买计划尚未经同级财政部门审核同意，不能据此组织采购。",
            field="plan",
            article=ART_9_2,
        )
    draws = await _draws(plan.pk, exclude_project_id, conn)
    problems: list[Problem] = []
    drawn = money(sum((d.amount for d in draws), Decimal(0)))
    if drawn + budget > plan.approved_budget:
        problems.append(
            Problem(
                "OVER_APPROVED_BUDGET",
                f"计划经财政审核同意的预算为{_yuan(plan.approved_budget)}，其他未流标的采购项目已占用"
                f"{_yuan(drawn)}，尚余{_yuan(max(plan.approved_budget - drawn, Decimal(0)))}，"
                f"本项目预算{_yuan(budget)}超出审核预算。",
                "budget",
                ART_9_2,
            )
        )
    line_rows = await PlanLine.filter(plan_id=plan.pk).using_db(conn).values_list("id", "budget")
    line_budgets = dict(line_rows)
    headroom = money(line_headroom(line_budgets, draws, line_ids))
    if budget > headroom:
        selected = money(sum((line_budgets[i] for i in line_ids if i in line_budgets), Decimal(0)))
        problems.append(
            Problem(
                "OVER_APPROVED_BUDGET",
                f"所选计划明细预算合计{_yuan(selected)}，扣除其他未流标项目必须由这些明细承担的部分后，"
                f"还可用于本项目的为{_yuan(headroom)}，本项目预算{_yuan(budget)}超出明细预算。",
                "planLines",
                ART_9_2,
            )
        )
    if problems:
        raise RuleViolation(*problems)


async def _code_for(plan: PurchasePlan, requested: str | None, conn: BaseDBAsyncClient) -> str:
    if requested is not None:
        code = requested.strip()
        if await ProcurementProject.filter(code=code).using_db(conn).exists():
            raise refuse("CODE_TAKEN", f"项目编号“{code}”已被使用。", field="code")
        return code
    prefix = f"CG-{plan.district_id}-{plan.year}-"
    taken = set(await ProcurementProject.filter(code__startswith=prefix).using_db(conn).values_list("code", flat=True))
    seq = len(taken) + 1
    while f"{prefix}{seq:03d}" in taken:
        seq += 1
    return f"{prefix}{seq:03d}"


async def create_project(
    plan: PurchasePlan, draft: ProjectDraft, *, actor: Actor, conn: BaseDBAsyncClient
) -> ProcurementProject:
    """采购项目 from lines of one approved plan (rule 3, 第九条第（二）项), split into lots (第五条); PREPARING.

    The code defaults to ``CG-<district>-<year>-<seq>``.
    """
    problems = draft_problems(draft)
    if problems:
        raise RuleViolation(*problems)
    plan = await PurchasePlan.select_for_update().using_db(conn).get(pk=plan.pk)
    line_ids = set(draft.plan_line_ids)
    found = await PlanLine.filter(id__in=line_ids, plan_id=plan.pk).using_db(conn).values_list("id", flat=True)
    if set(found) != line_ids:
        raise refuse(
            "LINE_NOT_IN_PLAN",
            "所选计划明细必须都属于所选的同一份年度购买计划。",
            field="planLines",
            article=ART_9_2,
        )
    await check_plan_budget(plan, draft.budget, line_ids, exclude_project_id=None, conn=conn)
    code = await _code_for(plan, draft.code, conn)
    project = await create_recorded(
        ProcurementProject,
        actor=actor,
        conn=conn,
        note="新建采购项目",
        district_id=plan.district_id,
        plan_id=plan.pk,
        code=code,
        title=draft.title.strip(),
        budget=draft.budget,
        content=draft.content.strip(),
        acceptance_standards=draft.acceptance_standards.strip(),
        goals=draft.goals.strip(),
        status=ProcurementStatus.PREPARING,
    )
    lines = await PlanLine.filter(id__in=line_ids).using_db(conn)
    await project.plan_lines.add(*lines, using_db=conn)
    lots = draft.lots or [LotDraft(f"第一包：{project.title}"[:TITLE_LIMIT], draft.budget)]
    for number, lot in enumerate(lots, start=1):
        await create_recorded(
            ProcurementLot,
            actor=actor,
            conn=conn,
            note="新建分包",
            project_id=project.pk,
            district_id=plan.district_id,
            number=number,
            title=lot.title.strip(),
            budget=lot.budget,
            status=LotStatus.OPEN,
        )
    return project


async def threshold_for(year: int, conn: BaseDBAsyncClient) -> ProcurementThreshold:
    """The thresholds of ``year``, else of the latest earlier year configured (rule 5); refuses when none."""
    row = await ProcurementThreshold.filter(year__lte=year).using_db(conn).order_by("-year").first()
    if row is None:
        raise refuse(
            "THRESHOLD_MISSING",
            f"尚未配置{year}年度（及以前年度）的采购限额标准和公开招标数额标准，无法确定采购方式。",
            field="method",
            article=ART_9_3,
        )
    return row


def method_problems(budget: Decimal, choice: MethodChoice, threshold: ProcurementThreshold) -> list[Problem]:
    """Rule 5 (第九条第（三）项): what the chosen method needs at this budget and these thresholds."""
    problems: list[Problem] = []
    name = METHOD_NAMES[choice.method]
    for text, field_name, label, limit in (
        (choice.single_source_justification, "singleSourceJustification", "单一来源采购理由", TEXT_LIMIT),
        (choice.method_approval_ref, "methodApprovalRef", "审批文号", APPROVAL_REF_LIMIT),
    ):
        if (p := _text_problem(text, field_name, label, limit, required=False)) is not None:
            problems.append(p)
    if len(choice.invited_suppliers) > MAX_INVITED:
        problems.append(Problem("INVALID", f"邀请供应商最多{MAX_INVITED}家。", "invitedSuppliers"))
    elif any(len(s) > SUPPLIER_LIMIT for s in choice.invited_suppliers):
        problems.append(Problem("INVALID", f"供应商名称最多{SUPPLIER_LIMIT}个字符。", "invitedSuppliers"))
    invited = {s.strip() for s in choice.invited_suppliers if s.strip()}
    if choice.method == ProcurementMethod.INVITED_TENDER and len(invited) < 3:
        problems.append(
            Problem(
                "TOO_FEW_INVITED",
                f"邀请招标应邀请不少于3家供应商，当前{len(invited)}家。",
                "invitedSuppliers",
                ART_9_3,
            )
        )
    if choice.method == ProcurementMethod.SINGLE_SOURCE and not choice.single_source_justification.strip():
        problems.append(
            Problem(
                "JUSTIFICATION_REQUIRED",
                "采用单一来源采购须提供书面理由。",
                "singleSourceJustification",
                ART_9_3,
            )
        )
    if choice.method == ProcurementMethod.SELF_ORGANISED and budget >= threshold.decentralised_threshold:
        problems.append(
            Problem(
                "ABOVE_THRESHOLD",
                f"预算{_yuan(budget)}达到{threshold.year}年度采购限额标准{_yuan(threshold.decentralised_threshold)}，"
                "应按照政府采购有关规定确定承接主体，不能自行组织采购。",
                "method",
                ART_9_3,
            )
        )
    if (
        choice.method != ProcurementMethod.OPEN_TENDER
        and budget >= threshold.open_tender_threshold
        and not choice.method_approval_ref.strip()
    ):
        problems.append(
            Problem(
                "APPROVAL_REQUIRED",
                f"预算{_yuan(budget)}达到{threshold.year}年度公开招标数额标准{_yuan(threshold.open_tender_threshold)}，"
                f"采用{name}须经批准，请填写审批文号。",
                "methodApprovalRef",
                ART_9_3,
            )
        )
    return problems


async def _check_method(project: ProcurementProject, choice: MethodChoice, conn: BaseDBAsyncClient) -> None:
    year = await PurchasePlan.filter(pk=project.plan_id).using_db(conn).values_list("year", flat=True)
    threshold = await threshold_for(year[0], conn)
    problems = method_problems(project.budget, choice, threshold)
    if problems:
        raise RuleViolation(*problems)


def _stored_choice(project: ProcurementProject) -> MethodChoice:
    if project.method is None or project.award_criteria is None:
        raise refuse("METHOD_NOT_SET", "请先确定采购方式和评审方法。", field="method", article=ART_9_3)
    return MethodChoice(
        method=ProcurementMethod(project.method),
        award_criteria=AwardCriteria(project.award_criteria),
        invited_suppliers=list(project.invited_suppliers or []),
        single_source_justification=project.single_source_justification,
        method_approval_ref=project.method_approval_ref,
    )


async def _locked(project: ProcurementProject, conn: BaseDBAsyncClient) -> ProcurementProject:
    return await ProcurementProject.select_for_update().using_db(conn).get(pk=project.pk)


def _expect(project: ProcurementProject, states: tuple[ProcurementStatus, ...], action: str) -> None:
    if project.status not in states:
        raise state_conflict(project.status, action)


async def set_method(
    project: ProcurementProject, choice: MethodChoice, *, actor: Actor, conn: BaseDBAsyncClient
) -> ProcurementProject:
    """确定采购方式 (rule 5, 第九条第（三）项) while PREPARING, or FAILED before it is republished."""
    project = await _locked(project, conn)
    _expect(project, (ProcurementStatus.PREPARING, ProcurementStatus.FAILED), "确定采购方式")
    await _check_method(project, choice, conn)
    invited = list(dict.fromkeys(s.strip() for s in choice.invited_suppliers if s.strip()))
    changes = {
        "method": choice.method,
        "award_criteria": choice.award_criteria,
        "invited_suppliers": invited,
        "single_source_justification": choice.single_source_justification.strip(),
        "method_approval_ref": choice.method_approval_ref.strip(),
    }
    return await update_fields(project, changes, actor=actor, conn=conn, note="确定采购方式")


async def publish_project(project: ProcurementProject, *, actor: Actor, conn: BaseDBAsyncClient) -> ProcurementProject:
    """公布购买信息 (第九条第（二）项): PREPARING → PUBLISHED today; the method must be set and still valid."""
    project = await _locked(project, conn)
    _expect(project, (ProcurementStatus.PREPARING,), "发布采购公告")
    await _check_method(project, _stored_choice(project), conn)
    return await transition(
        project,
        allowed_from=[ProcurementStatus.PREPARING],
        to=ProcurementStatus.PUBLISHED,
        action="发布采购公告",
        actor=actor,
        conn=conn,
        updates={"published_on": today()},
    )


def award_problems(
    lot: ProcurementLot, amount: Decimal, awarded_on: dt.date, published_on: dt.date | None, on: dt.date
) -> list[Problem]:
    """The amount (within the lot's budget) and the award date (after publication, not in the future)."""
    problems: list[Problem] = []
    if (p := _amount_problem(amount, "amount", "成交金额")) is not None:
        problems.append(p)
    elif amount > lot.budget:
        problems.append(
            Problem(
                "AMOUNT_OVER_BUDGET",
                f"成交金额{_yuan(amount)}超过本包预算{_yuan(lot.budget)}。",
                "amount",
                ART_9_2,
            )
        )
    if awarded_on > on:
        problems.append(Problem("INVALID", "成交日期不能晚于今天。", "awardedOn"))
    elif published_on is not None and awarded_on < published_on:
        problems.append(Problem("INVALID", f"成交日期不能早于公告日期{published_on.isoformat()}。", "awardedOn"))
    return problems


async def ineligibility(contractor: Contractor, on: dt.date, conn: BaseDBAsyncClient) -> list[Problem]:
    """Rule 4 (第五条、第六条): one CONTRACTOR_INELIGIBLE problem per failing Art. 6 condition."""
    attestations = await EligibilityAttestation.filter(contractor_id=contractor.pk).using_db(conn)
    violations = await ContractorViolation.filter(contractor_id=contractor.pk).using_db(conn)
    problems = []
    for failure in eligibility_failures(contractor, attestations, violations, on):
        item, text = CONDITION_TEXT[failure.condition]
        problems.append(
            Problem(
                "CONTRACTOR_INELIGIBLE",
                f"“{contractor.name}”不符合第六条第（{item}）项“{text}”：{failure.reason}。",
                "contractor",
                ART_6,
            )
        )
    return problems


async def award_lot(
    lot: ProcurementLot,
    contractor: Contractor,
    amount: Decimal,
    awarded_on: dt.date | None,
    *,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> tuple[ProcurementLot, ProcurementProject]:
    """确定承接主体 for one lot (第九条第（三）项) — only an eligible contractor (rule 4, 第六条).

    The project row is locked first, so awards of the lots of one project are serialised and the last one
    sees every other lot decided; the lot itself changes by compare-and-set (OPEN → AWARDED), so of two
    awards of the same lot exactly one wins. When every lot is decided and one at least is awarded, the
    project becomes AWARDED.
    """
    on = today()
    awarded_on = awarded_on or on
    project = await ProcurementProject.select_for_update().using_db(conn).get(pk=lot.project_id)
    _expect(project, (ProcurementStatus.PUBLISHED,), "确定成交供应商")
    lot = await ProcurementLot.get(pk=lot.pk).using_db(conn)
    if lot.status != LotStatus.OPEN:
        raise state_conflict(lot.status, "确定成交供应商")
    problems = award_problems(lot, amount, awarded_on, project.published_on, on)
    problems += await ineligibility(contractor, awarded_on, conn)
    if problems:
        raise RuleViolation(*problems)
    lot = await transition(
        lot,
        allowed_from=[LotStatus.OPEN],
        to=LotStatus.AWARDED,
        action="确定成交供应商",
        actor=actor,
        conn=conn,
        updates={"awarded_contractor_id": contractor.pk, "award_amount": amount, "awarded_on": awarded_on},
    )
    statuses = await ProcurementLot.filter(project_id=project.pk).using_db(conn).values_list("status", flat=True)
    if all(s in (LotStatus.AWARDED, LotStatus.FAILED) for s in statuses) and LotStatus.AWARDED in statuses:
        project = await transition(
            project,
            allowed_from=[ProcurementStatus.PUBLISHED],
            to=ProcurementStatus.AWARDED,
            action="采购完成",
            actor=actor,
            conn=conn,
        )
    return lot, project


async def fail_project(
    project: ProcurementProject, reason: str, *, actor: Actor, conn: BaseDBAsyncClient
) -> ProcurementProject:
    """流标: PUBLISHED → FAILED with a reason; every lot still open fails with it, awarded lots stay awarded."""
    if not reason.strip():
        raise refuse("REASON_REQUIRED", "流标须说明原因。", field="reason", article=ART_9_3)
    if (problem := _text_problem(reason, "reason", "流标原因", TEXT_LIMIT)) is not None:
        raise RuleViolation(problem)
    project = await transition(
        project,
        allowed_from=[ProcurementStatus.PUBLISHED],
        to=ProcurementStatus.FAILED,
        action="流标",
        actor=actor,
        conn=conn,
        updates={"failure_reason": reason.strip()},
        note=f"流标：{reason.strip()}",
    )
    for lot in await ProcurementLot.filter(project_id=project.pk, status=LotStatus.OPEN).using_db(conn):
        await transition(lot, allowed_from=[LotStatus.OPEN], to=LotStatus.FAILED, action="流标", actor=actor, conn=conn)
    return project


async def republish_project(
    project: ProcurementProject, *, actor: Actor, conn: BaseDBAsyncClient
) -> ProcurementProject:
    """重新组织采购: FAILED → PUBLISHED today, failed lots open again.

    The money freed by 流标 must still be there (rule 3 is checked again, the plan locked), and the method
    (possibly changed while FAILED) must still satisfy rule 5.
    """
    plan = await PurchasePlan.select_for_update().using_db(conn).get(pk=project.plan_id)
    project = await _locked(project, conn)
    _expect(project, (ProcurementStatus.FAILED,), "重新发布采购公告")
    await _check_method(project, _stored_choice(project), conn)
    line_ids = set(
        await ProcurementProject.filter(pk=project.pk).using_db(conn).values_list("plan_lines__id", flat=True)
    )
    await check_plan_budget(plan, project.budget, line_ids - {None}, exclude_project_id=project.pk, conn=conn)
    project = await transition(
        project,
        allowed_from=[ProcurementStatus.FAILED],
        to=ProcurementStatus.PUBLISHED,
        action="重新发布采购公告",
        actor=actor,
        conn=conn,
        updates={"published_on": today(), "failure_reason": ""},
    )
    for lot in await ProcurementLot.filter(project_id=project.pk, status=LotStatus.FAILED).using_db(conn):
        await transition(
            lot, allowed_from=[LotStatus.FAILED], to=LotStatus.OPEN, action="重新发布采购公告", actor=actor, conn=conn
        )
    return project
