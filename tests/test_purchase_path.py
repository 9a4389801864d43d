"""The whole purchase path of Art. 9, driven only through the API by the roles that own each step:
plan → approval → procurement → award → contract → signing → publication → filing → performance →
inspection → acceptance → payments → CLOSED."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.helpers import Api

AGENCY, PURCHASER, FINANCE = "taixing_agency", "taixing_purchaser", "city_finance"
DISTRICT, YEAR = "321283", 2060

CATALOGUE = "{ catalogueItems(first: 100) { nodes { id code } } }"
DRAFT = """mutation($i: DraftContractInput!) {
  draftContract(input: $i) { contract { id status } errors { code message } }
}"""
CONTRACT_STEP = "mutation($c: ID!) { NAME(input: {contract: $c}) { contract { status } errors { code message } } }"
ACCEPTANCE_STEP = "mutation($a: ID!) { NAME(input: {acceptance: $a}) { errors { code message } } }"
HISTORY = """query($c: ID!) {
  node(id: $c) { ... on Contract { history(first: 50) { nodes { action note actorName } } } }
}"""
PUBLIC_VIEW = """query($c: ID!) {
  node(id: $c) { ... on Contract { status acceptances { nodes { grade } } payments { totalCount } } }
}"""
CONTRACTOR = 'query { contractors(filter: {nameContains: "心缘"}) { nodes { id name eligible } } }'


async def _ok(api: Api, user: str, mutation: str, field: str, variables: dict) -> dict:
    data = await api.data(mutation, variables, as_user=user)
    payload = data[field]
    assert payload["errors"] == [], (field, payload["errors"])
    return payload


async def test_plan_to_closed_contract(api: Api) -> None:
    today = dt.date.today().isoformat()
    items = {n["code"]: n["id"] for n in (await api.data(CATALOGUE, as_user=AGENCY))["catalogueItems"]["nodes"]}
    contractor = (await api.data(CONTRACTOR, as_user=AGENCY))["contractors"]["nodes"][0]
    assert contractor["eligible"] is True

    # 1. The agency drafts the annual plan (Art. 9(1)); it meets the Art. 11 floor.
    plan = await _ok(
        api,
        AGENCY,
        """mutation($i: CreatePurchasePlanInput!) { createPurchasePlan(input: $i) {
            plan { id status } errors { code message } } }""",
        "createPurchasePlan",
        {
            "i": {
                "district": DISTRICT,
                "year": YEAR,
                "prevYearDibaoFunds": "10000000.00",
                "prevYearTemporaryFunds": "2000000.00",
            }
        },
    )
    plan_id = plan["plan"]["id"]
    line_ids = []
    for code, budget in (("S06", "150000.00"), ("A01", "100000.00")):
        line = await _ok(
            api,
            AGENCY,
            """mutation($i: AddPlanLineInput!) { addPlanLine(input: $i) { line { id } errors { code message } } }""",
            "addPlanLine",
            {
                "i": {
                    "plan": plan_id,
                    "catalogueItem": items[code],
                    "content": f"{code} 服务",
                    "quantity": "1",
                    "unit": "项",
                    "budget": budget,
                    "fundingSource": "WORK_FUNDS",
                }
            },
        )
        line_ids.append(line["line"]["id"])
    await _ok(
        api,
        AGENCY,
        "mutation($p: ID!) { submitPurchasePlan(input: {plan: $p}) { errors { code message } } }",
        "submitPurchasePlan",
        {"p": plan_id},
    )
    approved = await _ok(
        api,
        FINANCE,
        """mutation($p: ID!) { approvePurchasePlan(input: {plan: $p, comment: "同意"}) {
            plan { status approvedBudget funding { floor planned compliant } } errors { code message } } }""",
        "approvePurchasePlan",
        {"p": plan_id},
    )
    assert approved["plan"]["status"] == "APPROVED"
    assert Decimal(approved["plan"]["funding"]["floor"]) == Decimal("240000.00")
    assert approved["plan"]["funding"]["compliant"] is True

    # 2. Procurement (Art. 9(2)-(3)) and award (Art. 5-6).
    project = await _ok(
        api,
        AGENCY,
        """mutation($i: CreateProcurementProjectInput!) { createProcurementProject(input: $i) {
            project { id status lots { nodes { id } } } errors { code message } } }""",
        "createProcurementProject",
        {
            "i": {
                "plan": plan_id,
                "planLines": line_ids,
                "title": "泰兴市社会救助照料护理服务",
                "budget": "250000.00",
                "content": "照料护理与对象排查",
                "acceptanceStandards": "按合同验收",
                "goals": "覆盖全市特困人员",
            }
        },
    )
    project_id = project["project"]["id"]
    lot_id = project["project"]["lots"]["nodes"][0]["id"]
    await _ok(
        api,
        AGENCY,
        """mutation($p: ID!) { setProcurementMethod(input: {project: $p, method: COMPETITIVE_CONSULTATION,
            awardCriteria: QUALITY_WEIGHTED}) { errors { code message } } }""",
        "setProcurementMethod",
        {"p": project_id},
    )
    await _ok(
        api,
        AGENCY,
        "mutation($p: ID!) { publishProcurementProject(input: {project: $p}) { errors { code } } }",
        "publishProcurementProject",
        {"p": project_id},
    )
    awarded = await _ok(
        api,
        AGENCY,
        """mutation($l: ID!, $c: ID!) { awardProcurementLot(input: {lot: $l, contractor: $c, amount: "240000.00"}) {
            project { status } errors { code message } } }""",
        "awardProcurementLot",
        {"l": lot_id, "c": contractor["id"]},
    )
    assert awarded["project"]["status"] == "AWARDED"

    # 3. Contract (Art. 9(4)): drafted by the agency, signed by the purchasing entity.
    end = (dt.date.today() + dt.timedelta(days=364)).isoformat()
    contract = await _ok(
        api,
        AGENCY,
        DRAFT,
        "draftContract",
        {
            "i": {
                "lot": lot_id,
                "title": "泰兴市社会救助照料护理服务合同",
                "scope": "全市特困人员照料护理",
                "subject": "照料护理服务",
                "quantity": "1200人次",
                "qualityRequirements": "满意度不低于90%",
                "serviceStart": today,
                "serviceEnd": end,
                "amount": "240000.00",
                "paymentMethod": "分三期支付",
                "rightsObligations": "按合同约定",
                "breachLiability": "按合同约定承担违约责任",
                "catalogueItems": [items["S06"]],
                "instalments": [
                    {"amount": "72000.00", "trigger": "SIGNING", "condition": "签订后"},
                    {"amount": "96000.00", "trigger": "MILESTONE", "condition": "中期检查后"},
                    {"amount": "72000.00", "trigger": "ACCEPTANCE", "condition": "验收合格后", "isFinal": True},
                ],
            }
        },
    )
    contract_id = contract["contract"]["id"]
    mutation = CONTRACT_STEP
    steps = [
        (PURCHASER, "signContract", "SIGNED"),
        (AGENCY, "publishContract", "PUBLISHED"),
        (FINANCE, "fileContract", "FILED"),
        (AGENCY, "startPerformance", "IN_PERFORMANCE"),
    ]
    for user, name, status in steps:
        done = await _ok(api, user, mutation.replace("NAME", name), name, {"c": contract_id})
        assert done["contract"]["status"] == status

    # 4. Performance, acceptance and payments (Art. 9(5)-(6), rule 8).
    pay = """mutation($i: RecordPaymentInput!) { recordPayment(input: $i) {
        contract { status paidAmount } errors { code message } } }"""
    await _ok(
        api,
        AGENCY,
        pay,
        "recordPayment",
        {"i": {"contract": contract_id, "amount": "72000.00", "paidOn": today, "trigger": "SIGNING"}},
    )
    await _ok(
        api,
        AGENCY,
        """mutation($i: RecordInspectionInput!) { recordInspection(input: $i) { errors { code message } } }""",
        "recordInspection",
        {"i": {"contract": contract_id, "inspectedOn": today, "inspector": "泰兴市民政局", "progressPercent": 60}},
    )
    await _ok(
        api,
        AGENCY,
        pay,
        "recordPayment",
        {"i": {"contract": contract_id, "amount": "96000.00", "paidOn": today, "trigger": "MILESTONE"}},
    )
    early = await api.data(
        pay,
        {
            "i": {
                "contract": contract_id,
                "amount": "72000.00",
                "paidOn": today,
                "trigger": "ACCEPTANCE",
                "isFinal": True,
            }
        },
        as_user=AGENCY,
    )
    assert early["recordPayment"]["errors"][0]["code"] == "ACCEPTANCE_REQUIRED"
    accepted = await _ok(
        api,
        AGENCY,
        """mutation($i: RecordAcceptanceInput!) { recordAcceptance(input: $i) {
            acceptance { id grade } contract { status } errors { code message } } }""",
        "recordAcceptance",
        {
            "i": {
                "contract": contract_id,
                "acceptedOn": today,
                "panel": "民政、财政、专家",
                "result": "PASS",
                "score": "92",
            }
        },
    )
    assert accepted["contract"]["status"] == "ACCEPTED"
    assert accepted["acceptance"]["grade"] == "优"
    acceptance_id = accepted["acceptance"]["id"]
    for name in ("reportAcceptanceToFinance", "publishAcceptance"):
        await _ok(
            api,
            AGENCY,
            ACCEPTANCE_STEP.replace("NAME", name),
            name,
            {"a": acceptance_id},
        )
    closed = await _ok(
        api,
        AGENCY,
        pay,
        "recordPayment",
        {
            "i": {
                "contract": contract_id,
                "amount": "72000.00",
                "paidOn": today,
                "trigger": "ACCEPTANCE",
                "isFinal": True,
            }
        },
    )
    assert closed["contract"] == {"status": "CLOSED", "paidAmount": "240000.00"}

    # 5. Every step is in the contract's history; the public sees the contract and its acceptance.
    history = await api.data(
        HISTORY,
        {"c": contract_id},
        as_user=FINANCE,
    )
    transitions = [h for h in history["node"]["history"]["nodes"] if h["action"] == "TRANSITION"]
    assert len(transitions) >= 6, transitions
    public = await api.data(
        PUBLIC_VIEW,
        {"c": contract_id},
    )
    assert public["node"]["status"] == "CLOSED"
    assert public["node"]["acceptances"]["nodes"] == [{"grade": "优"}]
    assert public["node"]["payments"]["totalCount"] == 0
