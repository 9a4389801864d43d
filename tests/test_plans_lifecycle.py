"""Annual purchase plans through the API (Art. 9(1)): the lifecycle driven by the owning roles, the
Art. 11 funding floor against a hand computation, the catalogue-only rule (Art. 8), and refusals that are
typed and write nothing. Plans of years 2030–2039 only (the demo data and other tests use other years)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models import CatalogueItem, ChangeRecord, PlanLine, PurchasePlan
from schema.relay import decode_id, encode_id
from tests.helpers import Api

PLAN_FIELDS = """
  id year status prevYearDibaoFunds prevYearTemporaryFunds approvedBudget submittedAt decidedAt financeComment
  district { code }
  funding { floor planned shortfall compliant approved approvedShortfall }
  lines(first: 100) {
    totalCount edges { node { id budget quantity unit content fundingSource catalogueItem { code } } }
  }
"""
ERRORS = "errors { code message field article }"

CREATE = f"""
mutation($district: String!, $year: Int!, $dibao: Decimal!, $temp: Decimal!) {{
  createPurchasePlan(input: {{district: $district, year: $year, prevYearDibaoFunds: $dibao,
                              prevYearTemporaryFunds: $temp}}) {{ plan {{ {PLAN_FIELDS} }} {ERRORS} }}
}}
"""
UPDATE = f"""
mutation($plan: ID!, $dibao: Decimal, $temp: Decimal) {{
  updatePurchasePlan(input: {{plan: $plan, prevYearDibaoFunds: $dibao, prevYearTemporaryFunds: $temp}}) {{
    plan {{ {PLAN_FIELDS} }} {ERRORS}
  }}
}}
"""
ADD_LINE = f"""
mutation($plan: ID!, $item: ID!, $content: String!, $quantity: Decimal!, $unit: String!, $budget: Decimal!,
         $source: FundingSource!) {{
  addPlanLine(input: {{plan: $plan, catalogueItem: $item, content: $content, quantity: $quantity, unit: $unit,
                       budget: $budget, fundingSource: $source, serviceStandard: "按合同约定",
                       requirements: "见附件"}}) {{
    line {{ id budget plan {{ {PLAN_FIELDS} }} }} {ERRORS}
  }}
}}
"""
UPDATE_LINE = f"""
mutation($line: ID!, $item: ID, $budget: Decimal, $quantity: Decimal, $content: String) {{
  updatePlanLine(input: {{line: $line, catalogueItem: $item, budget: $budget, quantity: $quantity,
                          content: $content}}) {{
    line {{ id budget quantity content catalogueItem {{ code }} plan {{ {PLAN_FIELDS} }} }} {ERRORS}
  }}
}}
"""
REMOVE_LINE = f"""
mutation($line: ID!) {{ removePlanLine(input: {{line: $line}}) {{ plan {{ {PLAN_FIELDS} }} removedLineId {ERRORS} }} }}
"""
SUBMIT = f"""
mutation($plan: ID!) {{ submitPurchasePlan(input: {{plan: $plan}}) {{ plan {{ {PLAN_FIELDS} }} {ERRORS} }} }}
"""
APPROVE = f"""
mutation($plan: ID!, $budget: Decimal, $comment: String!) {{
  approvePurchasePlan(input: {{plan: $plan, approvedBudget: $budget, comment: $comment}}) {{
    plan {{ {PLAN_FIELDS} }} {ERRORS}
  }}
}}
"""
RETURN = f"""
mutation($plan: ID!, $comment: String!) {{
  returnPurchasePlan(input: {{plan: $plan, comment: $comment}}) {{ plan {{ {PLAN_FIELDS} }} {ERRORS} }}
}}
"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on PurchasePlan {{ {PLAN_FIELDS} }} }} }}"
HISTORY = """
query($id: ID!) { node(id: $id) { ... on Historied { history(first: 50) { totalCount edges { node {
  action actorName note before after entityType
} } } } } }
"""
ITEMS = "{ catalogueItems(first: 100) { edges { node { id code } } } }"


# --------------------------------------------------------------------------------------------------------- helpers


async def _items(api: Api) -> dict[str, str]:
    data = await api.data(ITEMS, as_user="hailing_agency")
    return {e["node"]["code"]: e["node"]["id"] for e in data["catalogueItems"]["edges"]}


async def _ok(api: Api, query: str, variables: dict[str, Any], user: str | None) -> dict[str, Any]:
    """Run a mutation that must succeed; returns its payload."""
    data = await api.data(query, variables, as_user=user)
    payload = next(iter(data.values()))
    assert payload["errors"] == [], payload["errors"]
    return payload


async def _refused(
    api: Api,
    query: str,
    variables: dict[str, Any],
    user: str | None,
    code: str,
    *,
    field: str | None = None,
    article: str | None = None,
) -> dict[str, Any]:
    """Run a mutation that must be refused with ``code``; returns the first error."""
    data = await api.data(query, variables, as_user=user)
    payload = next(iter(data.values()))
    changed = [v for k, v in payload.items() if k != "errors"]
    assert changed, payload
    assert all(v is None for v in changed), (user, code, payload)
    assert payload["errors"], (user, code)
    first = payload["errors"][0]
    assert first["code"] == code, (user, code, payload["errors"])
    assert first["message"]
    if field is not None:
        assert first["field"] == field, (user, code, first)
    if article is not None:
        assert first["article"] == article, (user, code, first)
    return first


async def _state(plan_id: str | None = None) -> tuple[Any, ...]:
    """Everything a refusal must leave alone: the plans of 2030–2039, their lines, and the history size."""
    plans = await PurchasePlan.filter(year__gte=2030, year__lte=2039).order_by("id").values()
    lines = await PlanLine.filter(plan__year__gte=2030, plan__year__lte=2039).order_by("id").values()
    return (plans, lines, await ChangeRecord.all().count())


def _pk(global_id: str) -> int:
    return int(decode_id(global_id)[1])


def _line_vars(plan: str, item: str, budget: str, *, quantity: str = "10", content: str = "入户走访") -> dict:
    return {
        "plan": plan,
        "item": item,
        "content": content,
        "quantity": quantity,
        "unit": "次",
        "budget": budget,
        "source": "WORK_FUNDS",
    }


async def _history(api: Api, global_id: str, user: str) -> list[dict[str, Any]]:
    data = await api.data(HISTORY, {"id": global_id}, as_user=user)
    return [e["node"] for e in data["node"]["history"]["edges"]]


async def _draft(api: Api, user: str, district: str, year: int, items: dict[str, str], budgets: list[str]) -> dict:
    """A plan with one line per budget, created through the API."""
    plan = (
        await _ok(api, CREATE, {"district": district, "year": year, "dibao": "10000000.00", "temp": "2000000.00"}, user)
    )["plan"]
    codes = sorted(items)
    for index, budget in enumerate(budgets):
        await _ok(api, ADD_LINE, _line_vars(plan["id"], items[codes[index % len(codes)]], budget), user)
    return (await api.data(NODE, {"id": plan["id"]}, as_user=user))["node"]


# --------------------------------------------------------------------------------------------------------- tests


async def test_plan_lifecycle_through_the_api(api: Api) -> None:
    """DRAFT → SUBMITTED → RETURNED → edited → SUBMITTED → APPROVED, by the owning roles, each step recorded."""
    items = await _items(api)
    agency, finance = "hailing_agency", "hailing_finance"

    created = await _ok(
        api, CREATE, {"district": "321202", "year": 2030, "dibao": "10000000.00", "temp": "2000000.00"}, agency
    )
    plan = created["plan"]
    assert plan["status"] == "DRAFT"
    assert plan["district"]["code"] == "321202"
    assert plan["year"] == 2030
    assert Decimal(plan["prevYearDibaoFunds"]) == Decimal("10000000.00")
    # Art. 11 by hand: 2% × (10,000,000.00 + 2,000,000.00) = 240,000.00; nothing planned yet.
    assert plan["funding"] == {
        "floor": "240000.00",
        "planned": "0.00",
        "shortfall": "240000.00",
        "compliant": False,
        "approved": None,
        "approvedShortfall": None,
    }
    plan_id = plan["id"]

    first = await _ok(api, ADD_LINE, _line_vars(plan_id, items["A01"], "120000.00"), agency)
    second = await _ok(api, ADD_LINE, _line_vars(plan_id, items["S01"], "80000.00", quantity="200.5"), agency)
    # Lines totalling 200,000.00 against a floor of 240,000.00: shortfall 40,000.00, not compliant.
    assert second["line"]["plan"]["funding"] == {
        "floor": "240000.00",
        "planned": "200000.00",
        "shortfall": "40000.00",
        "compliant": False,
        "approved": None,
        "approvedShortfall": None,
    }

    # Below the floor it can still be submitted; the shortfall stays visible on the plan.
    submitted = (await _ok(api, SUBMIT, {"plan": plan_id}, agency))["plan"]
    assert submitted["status"] == "SUBMITTED"
    assert submitted["submittedAt"] is not None
    assert submitted["funding"]["shortfall"] == "40000.00"
    assert submitted["funding"]["compliant"] is False

    returned = (await _ok(api, RETURN, {"plan": plan_id, "comment": "请补足第十一条差额后重新报送。"}, finance))["plan"]
    assert returned["status"] == "RETURNED"
    assert returned["financeComment"] == "请补足第十一条差额后重新报送。"
    assert returned["decidedAt"] is not None

    # Edited while RETURNED: funds corrected (floor 2% × 13,000,000.00 = 260,000.00), one line changed,
    # one removed, one added: 150,000.00 + 110,000.00 = 260,000.00, exactly the floor.
    updated = (await _ok(api, UPDATE, {"plan": plan_id, "dibao": "11000000.00"}, agency))["plan"]
    assert updated["funding"]["floor"] == "260000.00"
    assert updated["prevYearTemporaryFunds"] == "2000000.00"
    changed = await _ok(
        api, UPDATE_LINE, {"line": first["line"]["id"], "budget": "150000.00", "item": items["A02"]}, agency
    )
    assert changed["line"]["budget"] == "150000.00"
    assert changed["line"]["catalogueItem"]["code"] == "A02"
    removed = await _ok(api, REMOVE_LINE, {"line": second["line"]["id"]}, agency)
    assert removed["removedLineId"] == second["line"]["id"]
    assert removed["plan"]["lines"]["totalCount"] == 1
    assert (await api.data(NODE, {"id": second["line"]["id"]}, as_user=agency))["node"] is None
    added = await _ok(api, ADD_LINE, _line_vars(plan_id, items["S02"], "110000.00"), agency)
    assert added["line"]["plan"]["funding"] == {
        "floor": "260000.00",
        "planned": "260000.00",
        "shortfall": "0.00",
        "compliant": True,
        "approved": None,
        "approvedShortfall": None,
    }

    assert (await _ok(api, SUBMIT, {"plan": plan_id}, agency))["plan"]["status"] == "SUBMITTED"
    approved = (await _ok(api, APPROVE, {"plan": plan_id, "comment": "同意。"}, finance))["plan"]
    assert approved["status"] == "APPROVED"
    assert approved["approvedBudget"] == "260000.00"
    assert approved["financeComment"] == "同意。"
    assert approved["decidedAt"] is not None
    assert approved["funding"]["approved"] == "260000.00"
    assert approved["funding"]["approvedShortfall"] == "0.00"

    # The purchasing entity of the district reads the same plan.
    seen = (await api.data(NODE, {"id": plan_id}, as_user="hailing_purchaser"))["node"]
    assert seen["status"] == "APPROVED"

    history = await _history(api, plan_id, agency)
    steps = [(h["action"], h["after"].get("status") if h["after"] else None) for h in history]
    assert steps == [
        ("CREATE", "draft"),
        ("TRANSITION", "submitted"),
        ("TRANSITION", "returned"),
        ("UPDATE", None),
        ("TRANSITION", "submitted"),
        ("TRANSITION", "approved"),
    ]
    actors = [h["actorName"] for h in history]
    assert all("hailing_agency" in a for a in actors[:2] + actors[3:5])
    assert "hailing_finance" in actors[2]
    assert "hailing_finance" in actors[5]
    assert "差额40000.00元" in history[1]["note"]
    assert history[2]["note"] == "请补足第十一条差额后重新报送。"
    assert history[3]["before"] == {"prev_year_dibao_funds": "10000000.00"}
    assert history[3]["after"] == {"prev_year_dibao_funds": "11000000.00"}
    assert history[5]["after"]["approved_budget"] == "260000.00"

    line_history = await _history(api, first["line"]["id"], agency)
    assert [h["action"] for h in line_history] == ["CREATE", "UPDATE"]
    assert line_history[1]["before"] == {"budget": "120000.00", "catalogue_item_id": _pk(items["A01"])}
    assert line_history[1]["after"] == {"budget": "150000.00", "catalogue_item_id": _pk(items["A02"])}
    deleted = await ChangeRecord.filter(entity_type="PlanLine", entity_id=str(_pk(second["line"]["id"]))).order_by("id")
    assert [r.action for r in deleted] == ["create", "delete"]
    assert deleted[1].before["budget"] == "80000.00"
    assert "hailing_agency" in deleted[1].actor_name


async def test_rule_refusals_are_typed_and_change_nothing(api: Api) -> None:
    items = await _items(api)
    agency, finance = "jiangyan_agency", "city_finance"
    plan = await _draft(api, agency, "321204", 2031, items, [])
    plan_id = plan["id"]
    inactive = await CatalogueItem.create(
        code="Z2031", category="service", name="测试停用项目2031", target_groups="测试", is_active=False
    )
    try:
        before = await _state()
        create = {"district": "321204", "dibao": "1.00", "temp": "1.00"}
        cases: list[tuple[str, dict[str, Any], str, str | None, str | None]] = [
            (CREATE, {**create, "year": 2031}, "PLAN_EXISTS", "year", "第九条第（一）项"),
            (CREATE, {**create, "year": 2019}, "INVALID_YEAR", "year", "第二十条"),
            (CREATE, {**create, "year": 2034, "dibao": "-0.01"}, "INVALID_AMOUNT", "prevYearDibaoFunds", "第十一条"),
            (CREATE, {**create, "year": 2034, "temp": "1.001"}, "INVALID_AMOUNT", "prevYearTemporaryFunds", None),
            (CREATE, {**create, "year": 2034, "district": "999999"}, "NOT_FOUND", "district", None),
            (CREATE, {**create, "year": 2034, "district": "32120"}, "INVALID", "district", None),
            (UPDATE, {"plan": plan_id}, "NOTHING_TO_CHANGE", None, None),
            (UPDATE, {"plan": plan_id, "temp": "-5"}, "INVALID_AMOUNT", "prevYearTemporaryFunds", "第十一条"),
            (
                ADD_LINE,
                _line_vars(plan_id, encode_id("CatalogueItem", inactive.pk), "1000.00"),
                "CATALOGUE_ITEM_INACTIVE",
                "catalogueItem",
                "第八条",
            ),
            (
                ADD_LINE,
                _line_vars(plan_id, encode_id("CatalogueItem", 999999), "1000.00"),
                "NOT_FOUND",
                "catalogueItem",
                None,
            ),
            (ADD_LINE, _line_vars(plan_id, items["A02"], "0"), "INVALID_AMOUNT", "budget", None),
            (ADD_LINE, _line_vars(plan_id, items["A02"], "-100.00"), "INVALID_AMOUNT", "budget", None),
            (ADD_LINE, _line_vars(plan_id, items["A02"], "100.00", quantity="0"), "INVALID_QUANTITY", "quantity", None),
            (ADD_LINE, _line_vars(plan_id, items["A02"], "100.00", quantity="-1"), "INVALID_QUANTITY", None, None),
            (ADD_LINE, _line_vars(plan_id, items["A02"], "100.00", content="  "), "REQUIRED", "content", None),
            (SUBMIT, {"plan": plan_id}, "NO_LINES", "plan", "第九条第（一）项"),
            (SUBMIT, {"plan": "bm90LWFuLWlk"}, "NOT_FOUND", "plan", None),
        ]
        for query, variables, code, field, article in cases:
            await _refused(api, query, variables, agency, code, field=field, article=article)
        assert await _state() == before

        # A plan may not be approved or returned before it is submitted.
        await _refused(api, APPROVE, {"plan": plan_id, "comment": ""}, finance, "INVALID_STATE", field="status")
        await _refused(api, RETURN, {"plan": plan_id, "comment": "退回"}, finance, "INVALID_STATE")
        assert await _state() == before

        line = (await _ok(api, ADD_LINE, _line_vars(plan_id, items["A02"], "5000.00"), agency))["line"]
        await _refused(
            api, UPDATE_LINE, {"line": line["id"], "item": encode_id("CatalogueItem", inactive.pk)}, agency,
            "CATALOGUE_ITEM_INACTIVE", field="catalogueItem", article="第八条",
        )  # fmt: skip
        await _refused(api, UPDATE_LINE, {"line": line["id"], "quantity": "0.001"}, agency, "INVALID_QUANTITY")
        await _refused(api, UPDATE_LINE, {"line": line["id"]}, agency, "NOTHING_TO_CHANGE")
        await _ok(api, SUBMIT, {"plan": plan_id}, agency)

        # Nothing of a SUBMITTED plan can be edited, and it cannot be submitted twice.
        before = await _state()
        submitted_cases: list[tuple[str, dict[str, Any]]] = [
            (ADD_LINE, _line_vars(plan_id, items["A03"], "1000.00")),
            (UPDATE_LINE, {"line": line["id"], "budget": "1.00"}),
            (REMOVE_LINE, {"line": line["id"]}),
            (UPDATE, {"plan": plan_id, "dibao": "1.00"}),
            (SUBMIT, {"plan": plan_id}),
        ]
        for query, variables in submitted_cases:
            await _refused(api, query, variables, agency, "INVALID_STATE", field="status")
        await _refused(
            api, RETURN, {"plan": plan_id, "comment": "   "}, finance, "COMMENT_REQUIRED", field="comment",
            article="第九条第（一）项",
        )  # fmt: skip
        await _refused(
            api, APPROVE, {"plan": plan_id, "budget": "5000.01", "comment": ""}, finance, "BUDGET_ABOVE_PLAN",
            field="approvedBudget", article="第九条第（一）项",
        )  # fmt: skip
        await _refused(
            api, APPROVE, {"plan": plan_id, "budget": "0", "comment": ""}, finance, "INVALID_AMOUNT",
            field="approvedBudget",
        )  # fmt: skip
        assert await _state() == before

        # Finance may approve less than planned; then the plan is closed to every change.
        approved = (await _ok(api, APPROVE, {"plan": plan_id, "budget": "4000.00", "comment": ""}, finance))["plan"]
        assert approved["status"] == "APPROVED"
        assert approved["approvedBudget"] == "4000.00"
        assert approved["funding"]["approved"] == "4000.00"
        # floor 240,000.00 − approved 4,000.00
        assert approved["funding"]["approvedShortfall"] == "236000.00"
        before = await _state()
        await _refused(api, APPROVE, {"plan": plan_id, "comment": ""}, finance, "INVALID_STATE")
        await _refused(api, RETURN, {"plan": plan_id, "comment": "再退回"}, finance, "INVALID_STATE")
        await _refused(api, REMOVE_LINE, {"line": line["id"]}, agency, "INVALID_STATE")
        await _refused(api, SUBMIT, {"plan": plan_id}, agency, "INVALID_STATE")
        assert await _state() == before
    finally:
        await inactive.delete()


async def test_role_refusals_change_nothing(api: Api) -> None:
    """Only the district's agency edits and submits; only finance of the district (or city) decides."""
    items = await _items(api)
    plan = await _draft(api, "gaogang_agency", "321203", 2032, items, ["30000.00"])
    plan_id = plan["id"]
    line_id = plan["lines"]["edges"][0]["node"]["id"]
    new_plan = {"district": "321203", "year": 2033, "dibao": "1.00", "temp": "1.00"}
    edits: list[tuple[str, dict[str, Any]]] = [
        (UPDATE, {"plan": plan_id, "dibao": "1.00"}),
        (ADD_LINE, _line_vars(plan_id, items["A04"], "1000.00")),
        (UPDATE_LINE, {"line": line_id, "budget": "1.00"}),
        (REMOVE_LINE, {"line": line_id}),
        (SUBMIT, {"plan": plan_id}),
    ]
    decisions: list[tuple[str, dict[str, Any]]] = [
        (APPROVE, {"plan": plan_id, "comment": ""}),
        (RETURN, {"plan": plan_id, "comment": "退回"}),
    ]
    before = await _state()

    # Another district's agency, a contractor and the public do not even see the plan.
    for user in ("hailing_agency", "anhe_clerk", None):
        for query, variables in edits + decisions:
            await _refused(api, query, variables, user, "NOT_FOUND")
    # Nor does a district finance bureau of another district (海陵 finance and a 高港 plan).
    for query, variables in decisions:
        await _refused(api, query, variables, "hailing_finance", "NOT_FOUND", field="plan")
    # The purchasing entity, finance and the city civil affairs bureau see it but never edit district data.
    for user in ("gaogang_purchaser", "city_finance", "city_civil_affairs"):
        for query, variables in edits:
            await _refused(api, query, variables, user, "FORBIDDEN")
    # Creating: only the agency of that district.
    for user in ("hailing_agency", "gaogang_purchaser", "city_finance", "hailing_finance", "anhe_clerk", None):
        await _refused(api, CREATE, new_plan, user, "FORBIDDEN", field="district")
    assert await _state() == before

    await _ok(api, SUBMIT, {"plan": plan_id}, "gaogang_agency")
    before = await _state()
    # Decisions belong to finance: not the agency, the purchaser or the city civil affairs bureau.
    for user in ("gaogang_agency", "gaogang_purchaser", "city_civil_affairs"):
        for query, variables in decisions:
            await _refused(api, query, variables, user, "FORBIDDEN", field="plan")
    for query, variables in decisions:
        await _refused(api, query, variables, "hailing_finance", "NOT_FOUND")
    assert await _state() == before

    approved = (await _ok(api, APPROVE, {"plan": plan_id, "comment": "同意"}, "city_finance"))["plan"]
    assert approved["status"] == "APPROVED"
    assert approved["approvedBudget"] == "30000.00"


async def test_funding_counts_every_line_of_a_large_plan(api: Api) -> None:
    """More than 100 lines: the planned total, the floor check and the approved budget use all of them."""
    items = await _items(api)
    budgets = [f"{1000 + i}.01" for i in range(105)]
    plan = await _draft(api, "jingjiang_agency", "321282", 2034, items, budgets)
    expected = sum((Decimal(b) for b in budgets), Decimal(0))
    assert expected == Decimal("110461.05")  # 105 × 1,000.01 + (0 + … + 104)
    assert plan["lines"]["totalCount"] == 105
    assert plan["funding"]["planned"] == "110461.05"
    assert plan["funding"]["shortfall"] == str(Decimal("240000.00") - expected)
    await _ok(api, SUBMIT, {"plan": plan["id"]}, "jingjiang_agency")
    approved = (await _ok(api, APPROVE, {"plan": plan["id"], "comment": ""}, "city_finance"))["plan"]
    assert approved["approvedBudget"] == "110461.05"
    # The list query computes the same figure for many plans at once.
    listed = await api.data(
        "query { purchasePlans(first: 50, filter: {year: 2034}) { edges { node { id funding { planned } } } } }",
        as_user="city_finance",
    )
    by_id = {e["node"]["id"]: e["node"]["funding"]["planned"] for e in listed["purchasePlans"]["edges"]}
    assert by_id[plan["id"]] == "110461.05"
