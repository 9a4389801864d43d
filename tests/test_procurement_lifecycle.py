"""The procurement lifecycle through the API (Art. 9(2)–(3), Art. 5–6; rules 3, 4, 5):
create → set method → publish → award lots (流标 and republish in between) → AWARDED; each rule's refusal
is typed and writes nothing; only the district's implementing agency may act; the public sees published
notices only; two concurrent awards of one lot → exactly one wins.

The plans are made directly in the database (APPROVED, years 2040–2049 only, in 海陵区 unless said), with
two contractors of our own (one eligible, one failing several Art. 6 conditions); all are removed at the end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import stdnum.cn.uscc as uscc
from tortoise.transactions import in_transaction

from models import (
    CatalogueItem,
    ChangeRecord,
    Contractor,
    ContractorViolation,
    EligibilityAttestation,
    PlanLine,
    ProcurementLot,
    ProcurementProject,
    ProcurementThreshold,
    PurchasePlan,
)
from models.enums import ContractorKind, CreditStatus, EligibilityCondition, FundingSource, PlanStatus
from models.procurement import threshold_for
from models.rules import RuleViolation
from models.timeutil import today
from schema.relay import decode_id, encode_id
from tests.helpers import Api

HAILING = "321202"
GAOGANG = "321203"
AGENCY = "hailing_agency"

PROJECT_FIELDS = """
  id code status budget method awardCriteria invitedSuppliers singleSourceJustification methodApprovalRef
  publishedOn failureReason planLines { id }
  lots { totalCount nodes { id number title status budget awardAmount awardedOn awardedContractor { name } } }
"""
ERRORS = "errors { code message field article }"

CREATE = f"""
mutation($input: CreateProcurementProjectInput!) {{
  createProcurementProject(input: $input) {{ project {{ {PROJECT_FIELDS} }} {ERRORS} }}
}}"""
SET_METHOD = f"""
mutation($input: SetProcurementMethodInput!) {{
  setProcurementMethod(input: $input) {{ project {{ {PROJECT_FIELDS} }} {ERRORS} }}
}}"""
PUBLISH = f"""
mutation($id: ID!) {{
  publishProcurementProject(input: {{project: $id}}) {{ project {{ {PROJECT_FIELDS} }} {ERRORS} }}
}}"""
AWARD = f"""
mutation($input: AwardProcurementLotInput!) {{
  awardProcurementLot(input: $input) {{
    lot {{ id status awardAmount awardedOn }} project {{ {PROJECT_FIELDS} }} {ERRORS}
  }}
}}"""
FAIL = f"""
mutation($id: ID!, $reason: String!) {{
  failProcurement(input: {{project: $id, reason: $reason}}) {{ project {{ {PROJECT_FIELDS} }} {ERRORS} }}
}}"""
REPUBLISH = f"""
mutation($id: ID!) {{
  republishProcurementProject(input: {{project: $id}}) {{ project {{ {PROJECT_FIELDS} }} {ERRORS} }}
}}"""
NODE = "query($id: ID!) { node(id: $id) { ... on ProcurementProject { code status failureReason } } }"
HISTORY = "query($id: ID!) { node(id: $id) { ... on ProcurementProject { history { totalCount } } } }"
PUBLIC_LIST = """
query($year: Int!) { procurementProjects(first: 100, filter: {year: $year}) { nodes { code status } } }
"""


# ---------------------------------------------------------------------------------------------------------
# Our own data


@dataclass
class Plan:
    """A plan made for these tests: its row and the global IDs of its lines."""

    row: PurchasePlan
    lines: list[str]

    @property
    def id(self) -> str:
        return encode_id("PurchasePlan", self.row.pk)


@dataclass
class World:
    """What the module fixture made."""

    plans: dict[tuple[str, int], Plan]
    eligible: str
    ineligible: str

    def plan(self, year: int, district: str = HAILING) -> Plan:
        return self.plans[(district, year)]


#: (district, year) → (status, approved budget, line budgets).
PLANS: dict[tuple[str, int], tuple[PlanStatus, str | None, tuple[str, ...]]] = {
    (HAILING, 2040): (PlanStatus.APPROVED, "1000000.00", ("600000.00", "400000.00")),  # the whole path
    (HAILING, 2041): (PlanStatus.SUBMITTED, None, ("300000.00",)),  # not approved yet
    (HAILING, 2042): (PlanStatus.APPROVED, "5000000.00", ("2500000.00", "1500000.00", "1000000.00")),  # rule 5
    (HAILING, 2043): (PlanStatus.APPROVED, "450000.00", ("300000.00", "200000.00")),  # rule 3 budgets
    (HAILING, 2044): (PlanStatus.APPROVED, "500000.00", ("500000.00",)),  # thresholds of 2027 (fallback)
    (HAILING, 2046): (PlanStatus.APPROVED, "500000.00", ("500000.00",)),  # thresholds of 2045 (fallback)
    (HAILING, 2047): (PlanStatus.APPROVED, "900000.00", ("900000.00",)),  # races
    (HAILING, 2048): (PlanStatus.APPROVED, "900000.00", ("900000.00",)),  # roles, award refusals
    (GAOGANG, 2040): (PlanStatus.APPROVED, "800000.00", ("800000.00",)),  # another district
}
#: Our per-year thresholds: 2046 has none and falls back to 2045, 2044 falls back to the seeded 2027.
THRESHOLD_YEAR = 2045
THRESHOLD_2045 = (Decimal("100000.00"), Decimal("200000.00"))


def _credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


@pytest.fixture(scope="module")
async def world(api: Api) -> AsyncIterator[World]:
    item = await CatalogueItem.filter(is_active=True).order_by("code").first()
    assert item is not None
    plans: dict[tuple[str, int], Plan] = {}
    for (district, year), (status, approved, budgets) in PLANS.items():
        row = await PurchasePlan.create(
            district_id=district,
            year=year,
            status=status,
            prev_year_dibao_funds=Decimal("20000000.00"),
            prev_year_temporary_funds=Decimal("3000000.00"),
            approved_budget=None if approved is None else Decimal(approved),
        )
        lines = []
        for budget in budgets:
            line = await PlanLine.create(
                plan=row,
                district_id=district,
                catalogue_item=item,
                content=f"{year}年测试服务",
                quantity=Decimal("1.00"),
                unit="项",
                budget=Decimal(budget),
                funding_source=FundingSource.WORK_FUNDS,
            )
            lines.append(encode_id("PlanLine", line.pk))
        plans[(district, year)] = Plan(row, lines)
    await ProcurementThreshold.create(
        year=THRESHOLD_YEAR, decentralised_threshold=THRESHOLD_2045[0], open_tender_threshold=THRESHOLD_2045[1]
    )
    common = {
        "kind": ContractorKind.SOCIAL_ORGANISATION,
        "registration_authority": "泰州市民政局",
        "contact_person": "测试",
        "contact_phone": "0523-86000000",
    }
    good = await Contractor.create(
        name="测试合格社会工作服务中心", credit_code=_credit_code("52321200MJ000001"), **common
    )
    bad = await Contractor.create(
        name="测试不合格服务有限公司",
        credit_code=_credit_code("91321200MA0000002"[:17]),
        credit_status=CreditStatus.BAD,
        on_abnormal_list=True,
        **common,
    )
    for contractor, missing in ((good, set()), (bad, {EligibilityCondition.GOVERNANCE})):
        await EligibilityAttestation.bulk_create(
            [
                EligibilityAttestation(
                    contractor=contractor,
                    condition=condition,
                    attested=condition not in missing,
                    attested_on=dt.date(2026, 1, 5),
                )
                for condition in EligibilityCondition
            ]
        )
    await ContractorViolation.create(
        contractor=bad, occurred_on=today() - dt.timedelta(days=400), description="虚报服务人次", is_major=True
    )
    try:
        yield World(plans, encode_id("Contractor", good.pk), encode_id("Contractor", bad.pk))
    finally:
        plan_ids = [p.row.pk for p in plans.values()]
        await ProcurementProject.filter(plan_id__in=plan_ids).delete()
        await PurchasePlan.filter(id__in=plan_ids).delete()
        await Contractor.filter(id__in=[good.pk, bad.pk]).delete()
        await ProcurementThreshold.filter(year=THRESHOLD_YEAR).delete()


# ---------------------------------------------------------------------------------------------------------
# Helpers


def pk(global_id: str) -> int:
    return int(decode_id(global_id)[1])


def project_input(plan: Plan, budget: str, *, lines: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "plan": plan.id,
        "planLines": lines if lines is not None else plan.lines,
        "title": f"{plan.row.year}年度测试社会救助服务项目",
        "budget": budget,
        "content": "对象排查、家境调查",
        "acceptanceStandards": "按合同约定验收",
        "goals": "应救尽救",
        **extra,
    }


async def create(api: Api, variables: dict[str, Any], user: str = AGENCY) -> dict[str, Any]:
    return (await api.data(CREATE, {"input": variables}, as_user=user))["createProcurementProject"]


async def created(api: Api, variables: dict[str, Any]) -> dict[str, Any]:
    payload = await create(api, variables)
    assert payload["errors"] == [], payload["errors"]
    return payload["project"]


async def set_method(api: Api, project: str, method: str, user: str = AGENCY, **extra: Any) -> dict[str, Any]:
    variables = {"project": project, "method": method, "awardCriteria": "QUALITY_WEIGHTED", **extra}
    return (await api.data(SET_METHOD, {"input": variables}, as_user=user))["setProcurementMethod"]


async def published(api: Api, variables: dict[str, Any], method: str = "OPEN_TENDER") -> dict[str, Any]:
    project = await created(api, variables)
    assert (await set_method(api, project["id"], method))["errors"] == []
    payload = (await api.data(PUBLISH, {"id": project["id"]}, as_user=AGENCY))["publishProcurementProject"]
    assert payload["errors"] == [], payload["errors"]
    return payload["project"]


async def award(api: Api, lot: str, contractor: str, amount: str, user: str = AGENCY, **extra: Any) -> dict[str, Any]:
    variables = {"lot": lot, "contractor": contractor, "amount": amount, **extra}
    return (await api.data(AWARD, {"input": variables}, as_user=user))["awardProcurementLot"]


async def state(plan: Plan) -> tuple[Any, ...]:
    """Everything a refusal must leave alone: the plan's projects, their lots and lines, and all history."""
    projects = await ProcurementProject.filter(plan_id=plan.row.pk).order_by("id").values()
    lots = await ProcurementLot.filter(project__plan_id=plan.row.pk).order_by("id").values()
    links = await ProcurementProject.filter(plan_id=plan.row.pk).order_by("id").values_list("id", "plan_lines__id")
    return projects, lots, sorted(links), await ChangeRecord.all().count()


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def refused(payload: dict[str, Any], *expected: tuple[str, str | None], article: str | None = None) -> None:
    """The payload carries exactly ``expected`` errors (code, field), with messages and no object."""
    assert sorted(codes(payload), key=str) == sorted(expected, key=str), payload["errors"]
    assert all(e["message"] for e in payload["errors"])
    assert all(v is None for k, v in payload.items() if k != "errors")
    if article is not None:
        assert {e["article"] for e in payload["errors"]} == {article}, payload["errors"]


# ---------------------------------------------------------------------------------------------------------
# The whole path


async def test_whole_path_with_failure_and_republish(api: Api, world: World) -> None:
    plan = world.plan(2040)
    lots = [{"title": "第一包：城区", "budget": "500000.00"}, {"title": "第二包：乡镇", "budget": "400000.00"}]
    project = await created(api, project_input(plan, "900000.00", lots=lots))
    assert project["status"] == "PREPARING"
    assert project["code"] == f"CG-{HAILING}-2040-001"
    assert [(n["number"], n["status"], n["budget"]) for n in project["lots"]["nodes"]] == [
        (1, "OPEN", "500000.00"),
        (2, "OPEN", "400000.00"),
    ]
    assert sorted(line["id"] for line in project["planLines"]) == sorted(plan.lines)
    # The public does not see a notice in preparation.
    assert (await api.data(NODE, {"id": project["id"]}))["node"] is None
    assert (await api.data(PUBLIC_LIST, {"year": 2040}))["procurementProjects"]["nodes"] == []

    chosen = await set_method(api, project["id"], "COMPETITIVE_CONSULTATION")
    assert chosen["errors"] == []
    assert chosen["project"]["method"] == "COMPETITIVE_CONSULTATION"
    assert chosen["project"]["awardCriteria"] == "QUALITY_WEIGHTED"

    notice = (await api.data(PUBLISH, {"id": project["id"]}, as_user=AGENCY))["publishProcurementProject"]
    assert notice["errors"] == []
    assert notice["project"]["status"] == "PUBLISHED"
    assert notice["project"]["publishedOn"] == today().isoformat()
    public = (await api.data(NODE, {"id": project["id"]}))["node"]
    assert public == {"code": project["code"], "status": "PUBLISHED", "failureReason": ""}
    assert (await api.data(PUBLIC_LIST, {"year": 2040}))["procurementProjects"]["nodes"] == [
        {"code": project["code"], "status": "PUBLISHED"}
    ]

    lot1, lot2 = (n["id"] for n in project["lots"]["nodes"])
    first = await award(api, lot1, world.eligible, "480000.00")
    assert first["errors"] == []
    assert first["lot"] == {
        "id": lot1,
        "status": "AWARDED",
        "awardAmount": "480000.00",
        "awardedOn": today().isoformat(),
    }
    assert first["project"]["status"] == "PUBLISHED"  # lot 2 still open

    reason = "第二包提交响应文件的供应商不足三家，依法终止（流标）。"
    failed = (await api.data(FAIL, {"id": project["id"], "reason": reason}, as_user=AGENCY))["failProcurement"]
    assert failed["errors"] == []
    assert failed["project"]["status"] == "FAILED"
    assert failed["project"]["failureReason"] == reason
    assert [n["status"] for n in failed["project"]["lots"]["nodes"]] == ["AWARDED", "FAILED"]
    assert (await api.data(NODE, {"id": project["id"]}))["node"]["status"] == "FAILED"  # the outcome is public

    again = (await api.data(REPUBLISH, {"id": project["id"]}, as_user=AGENCY))["republishProcurementProject"]
    assert again["errors"] == []
    assert again["project"]["status"] == "PUBLISHED"
    assert again["project"]["failureReason"] == ""
    assert [n["status"] for n in again["project"]["lots"]["nodes"]] == ["AWARDED", "OPEN"]

    second = await award(api, lot2, world.eligible, "395000.50")
    assert second["errors"] == []
    assert second["project"]["status"] == "AWARDED"
    assert [(n["status"], n["awardAmount"]) for n in second["project"]["lots"]["nodes"]] == [
        ("AWARDED", "480000.00"),
        ("AWARDED", "395000.50"),
    ]
    assert (await api.data(NODE, {"id": project["id"]}))["node"]["status"] == "AWARDED"

    # Every step is in the history, with who did it.
    records = await ChangeRecord.filter(entity_type="ProcurementProject", entity_id=str(pk(project["id"]))).order_by(
        "id"
    )
    assert [(r.action, (r.after or {}).get("status")) for r in records] == [
        ("create", "preparing"),
        ("update", None),
        ("transition", "published"),
        ("transition", "failed"),
        ("transition", "published"),
        ("transition", "awarded"),
    ]
    assert all("hailing_agency" in r.actor_name for r in records)
    history = await api.data(HISTORY, {"id": project["id"]}, as_user=AGENCY)
    assert history["node"]["history"]["totalCount"] == len(records)
    lot_records = await ChangeRecord.filter(entity_type="ProcurementLot", entity_id=str(pk(lot2))).order_by("id")
    assert [(r.after or {}).get("status") for r in lot_records] == ["open", "failed", "open", "awarded"]


# ---------------------------------------------------------------------------------------------------------
# Rule 3: only approved money is spent


async def test_create_refusals_change_nothing(api: Api, world: World) -> None:
    plan = world.plan(2043)
    other = world.plan(2042)
    before = await state(plan)
    unapproved = world.plan(2041)
    cases: list[tuple[Plan, dict[str, Any], tuple[tuple[str, str | None], ...], str | None]] = [
        (unapproved, project_input(unapproved, "100000.00"), (("PLAN_NOT_APPROVED", "plan"),), "第九条第（二）项"),
        (
            plan,
            project_input(plan, "100000.00", lines=[plan.lines[0], other.lines[0]]),
            (("LINE_NOT_IN_PLAN", "planLines"),),
            None,
        ),
        (plan, project_input(plan, "100000.00", lines=[]), (("INVALID", "planLines"),), None),
        (plan, project_input(plan, "100000.00", lines=plan.lines * 26), (("INVALID", "planLines"),), None),
        (plan, project_input(plan, "100000.00", lines=["bad-id"]), (("LINE_NOT_IN_PLAN", "planLines"),), None),
        (
            plan,
            project_input(
                plan, "100000.00", lots=[{"title": "一", "budget": "60000"}, {"title": "二", "budget": "30000"}]
            ),
            (("LOTS_MISMATCH", "lots"),),
            "第五条",
        ),
        (plan, project_input(plan, "100000.00", lots=[]), (("INVALID", "lots"),), None),
        (
            plan,
            project_input(plan, "210000.00", lots=[{"title": f"包{i}", "budget": "10000"} for i in range(21)]),
            (("INVALID", "lots"),),
            None,
        ),
        (plan, project_input(plan, "0"), (("INVALID", "budget"),), None),
        (plan, project_input(plan, "100.001"), (("INVALID", "budget"),), None),
        (plan, project_input(plan, "100.00", title="  "), (("INVALID", "title"),), None),
        (plan, project_input(plan, "100.00", code="x" * 41), (("INVALID", "code"),), None),
        # over the approved budget (450,000) and over line 2 (200,000) at once
        (
            plan,
            project_input(plan, "460000.00", lines=[plan.lines[1]]),
            (("OVER_APPROVED_BUDGET", "budget"), ("OVER_APPROVED_BUDGET", "planLines")),
            "第九条第（二）项",
        ),
    ]
    for _target, variables, expected, article in cases:
        refused(await create(api, variables), *expected, article=article)
    assert await state(plan) == before
    assert await ProcurementProject.filter(plan_id=unapproved.row.pk).count() == 0


async def test_budget_of_plan_and_lines(api: Api, world: World) -> None:
    """Plan 2043: approved 450,000; line A 300,000, line B 200,000."""
    plan = world.plan(2043)
    line_a, line_b = plan.lines
    p1 = await published(api, project_input(plan, "250000.00", lines=[line_a]))

    # Line B alone has 200,000: 250,000 is over the line (and over the plan: 250,000 + 250,000 > 450,000).
    before = await state(plan)
    over = await create(api, project_input(plan, "250000.00", lines=[line_b]))
    refused(over, ("OVER_APPROVED_BUDGET", "budget"), ("OVER_APPROVED_BUDGET", "planLines"))
    # On A and B: A has 50,000 left after P1, B 200,000 → 250,000 fit the lines but not the plan's 450,000.
    refused(await create(api, project_input(plan, "210000.00")), ("OVER_APPROVED_BUDGET", "budget"))
    # Within the plan (450,000) but not the lines P1 leaves on A alone (50,000).
    refused(await create(api, project_input(plan, "60000.00", lines=[line_a])), ("OVER_APPROVED_BUDGET", "planLines"))
    assert await state(plan) == before

    p2 = await created(api, project_input(plan, "200000.00"))  # exactly what is left of the plan
    refused(await create(api, project_input(plan, "0.01", lines=[line_b])), ("OVER_APPROVED_BUDGET", "budget"))

    # 流标 frees P1's money: a new project takes it, so P1 cannot be republished.
    failed = (await api.data(FAIL, {"id": p1["id"], "reason": "无供应商响应"}, as_user=AGENCY))["failProcurement"]
    assert failed["errors"] == []
    p3 = await created(api, project_input(plan, "250000.00", lines=[line_a]))  # P2 can take all of B
    before = await state(plan)
    again = (await api.data(REPUBLISH, {"id": p1["id"]}, as_user=AGENCY))["republishProcurementProject"]
    refused(again, ("OVER_APPROVED_BUDGET", "budget"), ("OVER_APPROVED_BUDGET", "planLines"))
    assert await state(plan) == before
    assert (await ProcurementProject.get(id=pk(p1["id"]))).status == "failed"
    assert p2["code"] != p3["code"]


async def test_codes_are_unique(api: Api, world: World) -> None:
    plan = world.plan(2044)
    mine = await created(api, project_input(plan, "1000.00", code="TEST-2044-A"))
    assert mine["code"] == "TEST-2044-A"
    before = await state(plan)
    refused(await create(api, project_input(plan, "1000.00", code="TEST-2044-A")), ("CODE_TAKEN", "code"))
    assert await state(plan) == before
    generated = await created(api, project_input(plan, "1000.00"))
    assert generated["code"] == f"CG-{HAILING}-2044-001"


# ---------------------------------------------------------------------------------------------------------
# Rule 5: the procurement method


async def test_method_rules(api: Api, world: World) -> None:
    """Plan 2042 falls back to the seeded 2027 thresholds: decentralised 1,000,000, open tender 2,000,000."""
    plan = world.plan(2042)
    big_line, mid_line, small_line = plan.lines
    big = await created(api, project_input(plan, "2500000.00", lines=[big_line]))
    mid = await created(api, project_input(plan, "1500000.00", lines=[mid_line]))
    small = await created(api, project_input(plan, "500000.00", lines=[small_line]))
    three = ["甲社工中心", "乙社工中心", "丙社工中心"]
    before = await state(plan)
    cases = [
        (
            small,
            "INVITED_TENDER",
            {"invitedSuppliers": ["甲社工中心", "乙社工中心", " 甲社工中心 "]},
            [("TOO_FEW_INVITED", "invitedSuppliers")],
        ),
        (
            small,
            "SINGLE_SOURCE",
            {"singleSourceJustification": "  "},
            [("JUSTIFICATION_REQUIRED", "singleSourceJustification")],
        ),
        (mid, "SELF_ORGANISED", {}, [("ABOVE_THRESHOLD", "method")]),
        (big, "SELF_ORGANISED", {}, [("ABOVE_THRESHOLD", "method"), ("APPROVAL_REQUIRED", "methodApprovalRef")]),
        (big, "COMPETITIVE_CONSULTATION", {}, [("APPROVAL_REQUIRED", "methodApprovalRef")]),
        (
            big,
            "INVITED_TENDER",
            {"invitedSuppliers": three[:1]},
            [("TOO_FEW_INVITED", "invitedSuppliers"), ("APPROVAL_REQUIRED", "methodApprovalRef")],
        ),
        (
            small,
            "INVITED_TENDER",
            {"invitedSuppliers": [f"供应商{i}" for i in range(51)]},
            [("INVALID", "invitedSuppliers")],
        ),
    ]
    for project, method, extra, expected in cases:
        payload = await set_method(api, project["id"], method, **extra)
        refused(payload, *expected)
        assert {e["article"] for e in payload["errors"] if e["code"] != "INVALID"} <= {"第九条第（三）项"}
    assert await state(plan) == before

    ok = [
        (small, "SELF_ORGANISED", {}),
        (small, "INVITED_TENDER", {"invitedSuppliers": three}),
        (small, "SINGLE_SOURCE", {"singleSourceJustification": "延续服务，更换承接主体将中断服务。"}),
        (mid, "COMPETITIVE_NEGOTIATION", {}),
        (big, "OPEN_TENDER", {}),
        (big, "COMPETITIVE_CONSULTATION", {"methodApprovalRef": "泰财购〔2042〕1号"}),
    ]
    for project, method, extra in ok:
        payload = await set_method(api, project["id"], method, **extra)
        assert payload["errors"] == [], (method, payload["errors"])
        assert payload["project"]["method"] == method
    assert payload["project"]["methodApprovalRef"] == "泰财购〔2042〕1号"
    invited = await set_method(api, small["id"], "INVITED_TENDER", invitedSuppliers=[*three, " 甲社工中心"])
    assert invited["project"]["invitedSuppliers"] == three

    # Once published the method is fixed.
    assert (await api.data(PUBLISH, {"id": big["id"]}, as_user=AGENCY))["publishProcurementProject"]["errors"] == []
    before = await state(plan)
    refused(await set_method(api, big["id"], "OPEN_TENDER"), ("INVALID_STATE", "status"))
    assert await state(plan) == before


async def test_thresholds_are_configuration_per_year(api: Api, world: World) -> None:
    """150,000 self-organised: allowed in 2044 (2027's thresholds), refused in 2046 (2045's: 100,000)."""
    y2044 = await created(api, project_input(world.plan(2044), "150000.00"))
    assert (await set_method(api, y2044["id"], "SELF_ORGANISED"))["errors"] == []

    plan = world.plan(2046)
    y2046 = await created(api, project_input(plan, "150000.00"))
    before = await state(plan)
    payload = await set_method(api, y2046["id"], "SELF_ORGANISED")
    refused(payload, ("ABOVE_THRESHOLD", "method"), article="第九条第（三）项")
    assert "2045年度" in payload["errors"][0]["message"]
    # 250,000 is at the 2045 open-tender threshold (200,000): not open tender needs an approval.
    y2046b = await created(api, project_input(plan, "250000.00"))
    refused(await set_method(api, y2046b["id"], "COMPETITIVE_NEGOTIATION"), ("APPROVAL_REQUIRED", "methodApprovalRef"))
    assert (await ProcurementProject.get(id=pk(y2046["id"]))).method is None
    assert len((await state(plan))[0]) == len(before[0]) + 1


async def test_no_threshold_configured_refuses() -> None:
    """No threshold for the year nor any earlier one: THRESHOLD_MISSING. (Checked on the model function: through
    the API it would need a plan before 2020 or deleting the seeded thresholds, neither of which is ours to do.)"""
    async with in_transaction() as conn:
        assert (await threshold_for(2049, conn)).year == THRESHOLD_YEAR
        assert (await threshold_for(2044, conn)).year == 2027
        with pytest.raises(RuleViolation) as exc:
            await threshold_for(2019, conn)
    [problem] = exc.value.problems
    assert (problem.code, problem.article) == ("THRESHOLD_MISSING", "第九条第（三）项")


async def test_publish_needs_a_method(api: Api, world: World) -> None:
    plan = world.plan(2044)
    project = await created(api, project_input(plan, "2000.00"))
    before = await state(plan)
    payload = (await api.data(PUBLISH, {"id": project["id"]}, as_user=AGENCY))["publishProcurementProject"]
    refused(payload, ("METHOD_NOT_SET", "method"))
    assert await state(plan) == before
    assert (await api.data(NODE, {"id": project["id"]}))["node"] is None


# ---------------------------------------------------------------------------------------------------------
# Awards (rule 4) and state refusals


async def test_award_refusals_change_nothing(api: Api, world: World) -> None:
    plan = world.plan(2048)
    preparing = await created(api, project_input(plan, "100000.00"))
    lots = [{"title": "第一包", "budget": "300000.00"}, {"title": "第二包", "budget": "200000.00"}]
    project = await published(api, project_input(plan, "500000.00", lots=lots))
    lot1, lot2 = (n["id"] for n in project["lots"]["nodes"])
    before = await state(plan)

    refused(
        await award(api, preparing["lots"]["nodes"][0]["id"], world.eligible, "1000.00"), ("INVALID_STATE", "status")
    )
    refused(await award(api, lot1, world.eligible, "300000.01"), ("AMOUNT_OVER_BUDGET", "amount"))
    refused(await award(api, lot1, world.eligible, "0"), ("INVALID", "amount"))
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    refused(await award(api, lot1, world.eligible, "1000.00", awardedOn=tomorrow), ("INVALID", "awardedOn"))
    yesterday = (today() - dt.timedelta(days=1)).isoformat()  # before publication (today)
    refused(await award(api, lot1, world.eligible, "1000.00", awardedOn=yesterday), ("INVALID", "awardedOn"))
    refused(await award(api, lot1, "not-an-id", "1000.00"), ("NOT_FOUND", "contractor"))
    refused(await award(api, "not-an-id", world.eligible, "1000.00"), ("NOT_FOUND", "lot"))

    # Rule 4: one error per failing Art. 6 condition, each naming it.
    ineligible = await award(api, lot1, world.ineligible, "1000.00")
    refused(ineligible, *[("CONTRACTOR_INELIGIBLE", "contractor")] * 4, article="第六条")
    messages = [e["message"] for e in ineligible["errors"]]
    assert sum("第六条第（二）项" in m for m in messages) == 1
    assert sum("第六条第（六）项" in m for m in messages) == 3
    assert any("经营异常名录" in m for m in messages)
    assert any("信用状况不良" in m for m in messages)
    assert any("重大违法" in m for m in messages)
    # A seeded contractor with one unattested condition (启航, 第六条第（四）项).
    qihang = await Contractor.get(credit_code="52321200MJ54190376")
    one = await award(api, lot1, encode_id("Contractor", qihang.pk), "1000.00")
    refused(one, ("CONTRACTOR_INELIGIBLE", "contractor"))
    assert "第六条第（四）项" in one["errors"][0]["message"]
    assert await state(plan) == before

    # Awarding an awarded lot, failing without a reason, republishing what is not failed.
    assert (await award(api, lot1, world.eligible, "290000.00"))["errors"] == []
    before = await state(plan)
    refused(await award(api, lot1, world.eligible, "1.00"), ("INVALID_STATE", "status"))
    no_reason = (await api.data(FAIL, {"id": project["id"], "reason": " "}, as_user=AGENCY))["failProcurement"]
    refused(no_reason, ("REASON_REQUIRED", "reason"), article="第九条第（三）项")
    not_failed = (await api.data(REPUBLISH, {"id": project["id"]}, as_user=AGENCY))["republishProcurementProject"]
    refused(not_failed, ("INVALID_STATE", "status"))
    again = (await api.data(PUBLISH, {"id": project["id"]}, as_user=AGENCY))["publishProcurementProject"]
    refused(again, ("INVALID_STATE", "status"))
    assert await state(plan) == before
    assert (await ProcurementLot.get(id=pk(lot2))).status == "open"


# ---------------------------------------------------------------------------------------------------------
# Who may


async def test_only_the_district_agency_may(api: Api, world: World) -> None:
    plan = world.plan(2048)
    preparing = await created(api, project_input(plan, "1000.00"))
    live = await published(api, project_input(plan, "1000.00"))
    lot = live["lots"]["nodes"][0]["id"]
    before = await state(plan)
    # (user, code for the plan / a PREPARING project, code for the PUBLISHED project)
    roles = [
        ("gaogang_agency", "NOT_FOUND", "NOT_FOUND"),
        ("hailing_purchaser", "FORBIDDEN", "FORBIDDEN"),
        ("hailing_finance", "FORBIDDEN", "FORBIDDEN"),
        ("city_finance", "FORBIDDEN", "FORBIDDEN"),
        ("city_civil_affairs", "FORBIDDEN", "FORBIDDEN"),
        ("anhe_clerk", "NOT_FOUND", "NOT_FOUND"),
        (None, "NOT_FOUND", "FORBIDDEN"),  # the public reads the published notice, but may not change it
    ]
    for user, hidden, public in roles:
        refused(await create(api, project_input(plan, "1.00"), user=user), (hidden, "plan"))  # type: ignore[arg-type]
        refused(await set_method(api, preparing["id"], "OPEN_TENDER", user=user), (hidden, "project"))  # type: ignore[arg-type]
        published_payload = await api.data(PUBLISH, {"id": preparing["id"]}, as_user=user)
        refused(published_payload["publishProcurementProject"], (hidden, "project"))
        refused(await award(api, lot, world.eligible, "1.00", user=user), (public, "lot"))  # type: ignore[arg-type]
        failed = await api.data(FAIL, {"id": live["id"], "reason": "测试"}, as_user=user)
        refused(failed["failProcurement"], (public, "project"))
    assert await state(plan) == before

    # Another district's agency acts on its own plans only, and only there.
    other = world.plan(2040, GAOGANG)
    refused(await create(api, project_input(other, "1.00")), ("NOT_FOUND", "plan"))
    theirs = await create(api, project_input(other, "800000.00"), user="gaogang_agency")
    assert theirs["errors"] == []
    assert theirs["project"]["code"] == f"CG-{GAOGANG}-2040-001"
    refused(await set_method(api, theirs["project"]["id"], "OPEN_TENDER"), ("NOT_FOUND", "project"))


# ---------------------------------------------------------------------------------------------------------
# Races


async def test_concurrent_awards_of_one_lot_one_wins(api: Api, world: World) -> None:
    plan = world.plan(2047)
    lots = [{"title": "第一包", "budget": "100000.00"}, {"title": "第二包", "budget": "100000.00"}]
    project = await published(api, project_input(plan, "200000.00", lots=lots))
    lot1 = project["lots"]["nodes"][0]["id"]
    await api.token(AGENCY)
    results = await asyncio.gather(
        award(api, lot1, world.eligible, "90000.00"),
        award(api, lot1, world.eligible, "80000.00"),
    )
    outcomes = sorted([codes(r) for r in results], key=len)
    assert outcomes == [[], [("INVALID_STATE", "status")]], results
    winner = next(r for r in results if not r["errors"])
    row = await ProcurementLot.get(id=pk(lot1))
    assert (row.status, str(row.award_amount)) == ("awarded", winner["lot"]["awardAmount"])
    transitions = await ChangeRecord.filter(entity_type="ProcurementLot", entity_id=str(row.pk), action="transition")
    assert len(transitions) == 1


async def test_concurrent_awards_of_the_last_lots_complete_the_project(api: Api, world: World) -> None:
    """Two lots awarded at once: whichever is last sees the other decided and closes the project."""
    plan = world.plan(2047)
    lots = [{"title": "第一包", "budget": "300000.00"}, {"title": "第二包", "budget": "400000.00"}]
    project = await published(api, project_input(plan, "700000.00", lots=lots))
    lot1, lot2 = (n["id"] for n in project["lots"]["nodes"])
    results = await asyncio.gather(
        award(api, lot1, world.eligible, "300000.00"),
        award(api, lot2, world.eligible, "400000.00"),
    )
    assert [r["errors"] for r in results] == [[], []]
    assert (await ProcurementProject.get(id=pk(project["id"]))).status == "awarded"
