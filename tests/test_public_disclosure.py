"""Public disclosure (第九条第（二）、（四）、（六）项, 第十三条): ``Query.public`` shows, without signing in
and the same to everyone, only what is published — compared with what city civil affairs sees of the demo
data — and its change feed lists changes of public records only, after a cursor. Our own objects: district
321271, plan year 2070."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from models.ledgers import Beneficiary
from tests.helpers import Api

CITY = "city_civil_affairs"
SIGNED_IN = ("hailing_agency", "city_finance", "xinyuan_clerk")
AGENCY, PURCHASER, FINANCE = "gaoxin_agency", "gaoxin_purchaser", "city_finance"
DISTRICT, YEAR = "321271", 2070
XINYUAN = "泰州市心缘社会工作服务中心"

NOTICE_FIELDS = """id code ocid title budget status method methodName awardCriteria publishedOn failureReason
  district { code name purchaser implementingAgency }
  lots { number title budget status awardAmount awardedOn supplier { name creditCode } }"""
CONTRACT_FIELDS = """id code title scope subject quantity amount serviceStart serviceEnd signedOn publishedOn state
  terminatedOn district { code purchaser } contractor { name creditCode } notice { code } catalogueItems { code }"""
ACCEPTANCE_FIELDS = """id acceptedOn result score grade publishedOn contract { code title } contractor { name }
  district { code }"""

#: The demo data's own codes (other tests add projects and contracts of later years during the session).
DEMO_PROJECT = re.compile(r"^CG-\d{6}-202[4-6]-\d{3}$")
DEMO_CONTRACT = re.compile(r"^TZ-\d{6}-202[4-6]-\d{3}$")

PUBLIC_LISTS = {
    "procurementNotices": NOTICE_FIELDS,
    "contracts": CONTRACT_FIELDS,
    "acceptanceResults": ACCEPTANCE_FIELDS,
    "catalogue": "id code name category targetGroups isActive",
}
#: One page of every public list (used where a page is enough: same view for all, nothing private in it).
PUBLIC_PAGE = (
    "query { public {\n"
    + "\n".join(f"  {name}(first: 100) {{ totalCount nodes {{ {fields} }} }}" for name, fields in PUBLIC_LISTS.items())
    + "\n} }"
)

CITY_LISTS = {
    "procurementProjects": "id code status",
    "contracts": "id code status publishedOn amount acceptances(first: 5) { totalCount nodes { id publishedOn } }",
    "catalogueItems": "id",
}

CHANGES = """query($after: String, $first: Int) { public {
  latestChangeCursor
  changes(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { entityType objectId action changedAt
      object { __typename
        ... on PublicContract { code state }
        ... on PublicProcurementNotice { code status }
        ... on PublicAcceptanceResult { id }
        ... on PublicCatalogueItem { code } } } }
  }
} }"""


def _codes(nodes: list[dict]) -> set[str]:
    return {n["code"] for n in nodes}


async def _all(api: Api, name: str, fields: str, *, public: bool, user: str | None = None) -> list[dict]:
    """Every node of a list, page by page (100 at a time), checked against its totalCount."""
    wrap = ("public { ", " }") if public else ("", "")
    query = (
        f"query($after: String) {{ {wrap[0]}{name}(first: 100, after: $after) {{ totalCount "
        f"pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }}{wrap[1]} }}"
    )
    nodes: list[dict] = []
    after = None
    while True:
        data = await api.data(query, {"after": after}, as_user=user)
        page = (data["public"] if public else data)[name]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(nodes)
            return nodes
        after = page["pageInfo"]["endCursor"]


async def _public(api: Api, user: str | None = None) -> dict[str, list[dict]]:
    return {name: await _all(api, name, fields, public=True, user=user) for name, fields in PUBLIC_LISTS.items()}


@pytest.fixture(scope="module")
async def public_view(api: Api) -> dict[str, list[dict]]:
    return await _public(api)


@pytest.fixture(scope="module")
async def city(api: Api) -> dict[str, list[dict]]:
    return {name: await _all(api, name, fields, public=False, user=CITY) for name, fields in CITY_LISTS.items()}


async def test_notices_are_the_published_projects(public_view: dict, city: dict) -> None:
    everything = city["procurementProjects"]
    assert any(p["status"] == "PREPARING" for p in everything), "the demo data must hold a project in preparation"
    notices = public_view["procurementNotices"]
    assert _codes(notices) == {p["code"] for p in everything if p["status"] != "PREPARING"}
    assert {n["status"] for n in notices} == {"PUBLISHED", "AWARDED", "FAILED"}
    demo = [n for n in notices if DEMO_PROJECT.match(n["code"])]
    assert len(demo) >= 20
    for notice in demo:
        assert notice["ocid"] == f"ocds-jiuzhu-{notice['code']}"
        assert notice["district"]["purchaser"].endswith(("人民政府", "管委会"))
        assert notice["district"]["implementingAgency"].endswith("民政局")
        assert 1 <= len(notice["lots"]) <= 20
        assert notice["methodName"] in {"公开招标", "邀请招标", "竞争性谈判", "竞争性磋商", "单一来源采购", "自行采购"}
        for lot in notice["lots"]:
            if lot["status"] == "AWARDED":
                assert Decimal(lot["awardAmount"]) <= Decimal(lot["budget"])
                assert lot["supplier"] is not None
                assert re.fullmatch(r"[0-9A-Z]{18}", lot["supplier"]["creditCode"])
    failed = [n for n in demo if n["status"] == "FAILED"]
    assert failed
    assert all(n["failureReason"] for n in failed)


async def test_contracts_are_the_published_ones_with_public_fields(public_view: dict, city: dict) -> None:
    everything = city["contracts"]
    published = {c["code"]: c for c in everything if c["publishedOn"] is not None}
    unpublished = {c["code"] for c in everything if c["publishedOn"] is None}
    assert {c["status"] for c in everything if c["publishedOn"] is None} >= {"DRAFT", "SIGNED"}
    seen = public_view["contracts"]
    assert _codes(seen) == set(published)
    assert not _codes(seen) & unpublished
    states = {c["code"]: c["state"] for c in seen}
    for code, contract in published.items():
        expected = {"CLOSED": "CLOSED", "TERMINATED": "TERMINATED"}.get(contract["status"], "ACTIVE")
        assert states[code] == expected, code
    assert set(states.values()) == {"ACTIVE", "CLOSED", "TERMINATED"}
    for contract in seen:
        assert Decimal(contract["amount"]) == Decimal(published[contract["code"]]["amount"])
        assert contract["contractor"]["name"]
        assert contract["district"]["purchaser"]
        assert contract["notice"] is not None
        if DEMO_CONTRACT.match(contract["code"]):
            assert contract["catalogueItems"]
            assert contract["signedOn"] <= contract["publishedOn"]


async def test_public_contract_type_has_no_internal_fields(api: Api) -> None:
    query = '{ __type(name: "PublicContract") { fields { name } } }'
    names = {f["name"] for f in (await api.data(query))["__type"]["fields"]}
    assert names == {
        "id",
        "code",
        "title",
        "scope",
        "subject",
        "quantity",
        "amount",
        "serviceStart",
        "serviceEnd",
        "signedOn",
        "publishedOn",
        "state",
        "terminatedOn",
        "district",
        "contractor",
        "notice",
        "catalogueItems",
    }
    hidden = {"paymentMethod", "instalments", "payments", "ledger", "history", "amendments", "inspections", "status"}
    assert not names & hidden


async def test_acceptance_results_are_the_published_ones(public_view: dict, city: dict) -> None:
    assert all(c["acceptances"]["totalCount"] <= 5 for c in city["contracts"])
    all_acceptances = {a["id"]: a for c in city["contracts"] for a in c["acceptances"]["nodes"]}
    published = {i for i, a in all_acceptances.items() if a["publishedOn"] is not None}
    assert set(all_acceptances) - published, "the demo data must hold an unpublished acceptance"
    seen = public_view["acceptanceResults"]
    assert {a["id"] for a in seen} == published
    for result in seen:
        assert result["contract"] is not None
        score = Decimal(result["score"])
        grade = "优" if score >= 90 else "良" if score >= 80 else "中" if score >= 60 else "差"
        assert result["grade"] == grade
    assert {a["result"] for a in seen} == {"PASS", "FAIL"}


async def test_catalogue_is_public(public_view: dict, city: dict) -> None:
    assert len(public_view["catalogue"]) == len(city["catalogueItems"]) >= 20


@pytest.mark.parametrize("user", SIGNED_IN)
async def test_signed_in_users_see_the_same_public_view(api: Api, user: str) -> None:
    assert await _public(api, user) == await _public(api)


async def test_no_beneficiary_or_ledger_data_anywhere(api: Api) -> None:
    body = await api.gql(PUBLIC_PAGE)
    assert "errors" not in body
    text = json.dumps(body, ensure_ascii=False)
    people = await Beneficiary.all().values_list("id_number", "phone")
    assert people, "the demo data must hold beneficiaries"
    for id_number, phone in people:
        assert id_number not in text
        assert id_number[:4] + "**********" + id_number[-4:] not in text
        if phone:
            assert phone not in text
    assert not re.search(r"\d{4}\*{10}\d{3}[\dX]", text)
    for word in ("beneficiar", "ledger", "serviceEntr", "fundEntr", "instalment", "paymentMethod"):
        assert word not in text


async def test_filters_and_paging(api: Api, public_view: dict) -> None:
    query = """query($d: String, $y: Int, $from: Date, $to: Date, $first: Int, $after: String) { public {
      procurementNotices(first: $first, after: $after, district: $d, year: $y, publishedFrom: $from, publishedTo: $to)
        { totalCount pageInfo { hasNextPage endCursor } nodes { code publishedOn district { code } } } } }"""
    hailing = (await api.data(query, {"d": "321202", "first": 100}))["public"]["procurementNotices"]["nodes"]
    assert {n["district"]["code"] for n in hailing} == {"321202"}
    expected = {n["code"] for n in public_view["procurementNotices"] if n["district"]["code"] == "321202"}
    assert _codes(hailing) == expected
    by_year = (await api.data(query, {"y": 2025, "first": 100}))["public"]["procurementNotices"]["nodes"]
    demo_2025 = {n["code"] for n in public_view["procurementNotices"] if re.match(r"^CG-\d{6}-2025-", n["code"])}
    assert demo_2025
    assert {c for c in _codes(by_year) if DEMO_PROJECT.match(c)} == demo_2025
    span = {"from": "2026-01-01", "to": "2026-12-31", "first": 100}
    in_2026 = (await api.data(query, span))["public"]["procurementNotices"]["nodes"]
    assert in_2026
    assert all(n["publishedOn"].startswith("2026") for n in in_2026)
    seen: list[str] = []
    after = None
    while True:
        page = (await api.data(query, {"first": 5, "after": after}))["public"]["procurementNotices"]
        seen += [n["code"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == len(public_view["procurementNotices"])
    bad = await api.gql(query, {"d": "32120"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    bad = await api.gql(query, {"from": "2026-02-01", "to": "2026-01-01"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    bad = await api.gql(query, {"y": 20250})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


async def test_one_notice_by_code_or_id(api: Api, city: dict, public_view: dict) -> None:
    query = """query($code: String, $id: ID) { public { procurementNotice(code: $code, id: $id) { id code } } }"""
    notice = public_view["procurementNotices"][0]
    assert (await api.data(query, {"code": notice["code"]}))["public"]["procurementNotice"]["id"] == notice["id"]
    assert (await api.data(query, {"id": notice["id"]}))["public"]["procurementNotice"]["code"] == notice["code"]
    preparing = next(p for p in city["procurementProjects"] if p["status"] == "PREPARING")
    assert (await api.data(query, {"code": preparing["code"]}))["public"]["procurementNotice"] is None
    assert (await api.data(query, {"id": preparing["id"]}))["public"]["procurementNotice"] is None
    assert (await api.data(query, {"code": preparing["code"]}, as_user=CITY))["public"]["procurementNotice"] is None
    both = await api.gql(query, {"code": notice["code"], "id": notice["id"]})
    assert both["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


# --- the change feed ----------------------------------------------------------------------------------------


async def _ok(api: Api, user: str, mutation: str, variables: dict) -> dict:
    data = await api.data(mutation, variables, as_user=user)
    payload = next(iter(data.values()))
    assert payload["errors"] == [], payload["errors"]
    return payload


async def _changes_after(api: Api, cursor: str | None, *, user: str | None = None) -> list[dict]:
    """Every change after ``cursor``, following the pages."""
    edges: list[dict] = []
    while True:
        page = (await api.data(CHANGES, {"after": cursor, "first": 100}, as_user=user))["public"]["changes"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        cursor = page["pageInfo"]["endCursor"]


async def _catalogue_item(api: Api, code: str) -> str:
    items = await api.data("{ catalogueItems(first: 100) { nodes { id code } } }", as_user=AGENCY)
    return next(n["id"] for n in items["catalogueItems"]["nodes"] if n["code"] == code)


async def _plan_with_line(api: Api) -> tuple[str, str]:
    item = await _catalogue_item(api, "S06")
    plan = await _ok(
        api,
        AGENCY,
        """mutation($i: CreatePurchasePlanInput!) { createPurchasePlan(input: $i) {
            plan { id } errors { code message } } }""",
        {"i": {"district": DISTRICT, "year": YEAR, "prevYearDibaoFunds": "1000000.00", "prevYearTemporaryFunds": "0"}},
    )
    plan_id = plan["plan"]["id"]
    line = await _ok(
        api,
        AGENCY,
        """mutation($i: AddPlanLineInput!) { addPlanLine(input: $i) { line { id } errors { code message } } }""",
        {
            "i": {
                "plan": plan_id,
                "catalogueItem": item,
                "content": "照料护理",
                "quantity": "1",
                "unit": "项",
                "budget": "100000.00",
                "fundingSource": "WORK_FUNDS",
            }
        },
    )
    await _ok(
        api, AGENCY, "mutation($p: ID!) { submitPurchasePlan(input: {plan: $p}) { errors { code } } }", {"p": plan_id}
    )
    await _ok(
        api,
        FINANCE,
        'mutation($p: ID!) { approvePurchasePlan(input: {plan: $p, comment: "同意"}) { errors { code } } }',
        {"p": plan_id},
    )
    return plan_id, line["line"]["id"]


async def _project(api: Api, plan_id: str, line_id: str, title: str, budget: str) -> tuple[str, str, str]:
    project = await _ok(
        api,
        AGENCY,
        """mutation($i: CreateProcurementProjectInput!) { createProcurementProject(input: $i) {
            project { id code lots { nodes { id } } } errors { code message } } }""",
        {
            "i": {
                "plan": plan_id,
                "planLines": [line_id],
                "title": title,
                "budget": budget,
                "content": "社会救助对象照料护理",
                "acceptanceStandards": "按合同验收",
                "goals": "覆盖全区特困人员",
            }
        },
    )
    node = project["project"]
    await _ok(
        api,
        AGENCY,
        """mutation($p: ID!) { setProcurementMethod(input: {project: $p, method: OPEN_TENDER,
            awardCriteria: QUALITY_WEIGHTED}) { errors { code message } } }""",
        {"p": node["id"]},
    )
    return node["id"], node["code"], node["lots"]["nodes"][0]["id"]


@pytest.fixture(scope="module")
async def feed(api: Api) -> dict:
    """Our own objects, each step followed by the feed: a published project whose contract is drafted and
    signed (not public) and then published (public), and a project left in preparation (never public)."""
    head = (await api.data(CHANGES, {"first": 1}))["public"]["latestChangeCursor"]
    plan_id, line_id = await _plan_with_line(api)
    hidden_id, hidden_code, hidden_lot = await _project(api, plan_id, line_id, "高新区照料护理（筹备中）", "40000.00")
    shown_id, shown_code, lot_id = await _project(api, plan_id, line_id, "高新区照料护理服务", "60000.00")
    await _ok(
        api,
        AGENCY,
        "mutation($p: ID!) { publishProcurementProject(input: {project: $p}) { errors { code } } }",
        {"p": shown_id},
    )
    contractor = await api.data('{ contractors(filter: {nameContains: "心缘"}) { nodes { id } } }', as_user=AGENCY)
    await _ok(
        api,
        AGENCY,
        """mutation($l: ID!, $c: ID!) { awardProcurementLot(input: {lot: $l, contractor: $c, amount: "58000.00"}) {
            errors { code message } } }""",
        {"l": lot_id, "c": contractor["contractors"]["nodes"][0]["id"]},
    )
    start = dt.date.today()
    contract = await _ok(
        api,
        AGENCY,
        """mutation($i: DraftContractInput!) { draftContract(input: $i) { contract { id code } errors { code } } }""",
        {
            "i": {
                "lot": lot_id,
                "title": "高新区照料护理服务合同",
                "scope": "全区特困人员照料护理",
                "subject": "照料护理服务",
                "quantity": "300人次",
                "qualityRequirements": "满意度不低于90%",
                "serviceStart": start.isoformat(),
                "serviceEnd": (start + dt.timedelta(days=300)).isoformat(),
                "amount": "58000.00",
                "paymentMethod": "分两期支付",
                "rightsObligations": "按合同约定",
                "breachLiability": "按合同约定承担违约责任",
                "catalogueItems": [await _catalogue_item(api, "S06")],
                "instalments": [
                    {"amount": "29000.00", "trigger": "SIGNING", "condition": "签订后"},
                    {"amount": "29000.00", "trigger": "ACCEPTANCE", "condition": "验收后", "isFinal": True},
                ],
            }
        },
    )
    contract_id, contract_code = contract["contract"]["id"], contract["contract"]["code"]
    step = "mutation($c: ID!) { NAME(input: {contract: $c}) { errors { code message } } }"
    await _ok(api, PURCHASER, step.replace("NAME", "signContract"), {"c": contract_id})
    signed = await _changes_after(api, head)
    await _ok(api, AGENCY, step.replace("NAME", "publishContract"), {"c": contract_id})
    published = await _changes_after(api, head)
    return {
        "head": head,
        "signed": signed,
        "published": published,
        "shown": (shown_id, shown_code),
        "hidden": (hidden_id, hidden_code, hidden_lot),
        "contract": (contract_id, contract_code),
        "plan": plan_id,
    }


def _of(edges: list[dict], object_id: str) -> list[dict]:
    return [e["node"] for e in edges if e["node"]["objectId"] == object_id]


async def test_feed_lists_a_published_notice_and_its_lots(feed: dict) -> None:
    shown_id, shown_code = feed["shown"]
    changes = _of(feed["signed"], shown_id)
    assert [c["action"] for c in changes][:1] == ["CREATE"]
    assert "TRANSITION" in {c["action"] for c in changes}
    assert {c["entityType"] for c in changes} == {"PROCUREMENT_PROJECT"}
    assert all(
        c["object"] == {"__typename": "PublicProcurementNotice", "code": shown_code, "status": "AWARDED"}
        for c in changes
    )
    lots = [
        e["node"]
        for e in feed["signed"]
        if e["node"]["entityType"] == "PROCUREMENT_LOT" and e["node"]["object"]["code"] == shown_code
    ]
    assert lots, "the lot's creation and award are public changes once the notice is"


async def test_feed_never_lists_what_is_not_public(feed: dict) -> None:
    hidden_id, hidden_code, hidden_lot = feed["hidden"]
    contract_id, _ = feed["contract"]
    for edges in (feed["signed"], feed["published"]):
        ids = {e["node"]["objectId"] for e in edges}
        assert hidden_id not in ids
        assert hidden_lot not in ids
        assert feed["plan"] not in ids
        assert hidden_code not in json.dumps(edges, ensure_ascii=False)
        assert {e["node"]["entityType"] for e in edges} <= {
            "PROCUREMENT_PROJECT",
            "PROCUREMENT_LOT",
            "CONTRACT",
            "ACCEPTANCE",
            "CATALOGUE_ITEM",
        }
        assert all(e["node"]["object"] is not None for e in edges)
    assert _of(feed["signed"], contract_id) == [], "a signed but unpublished contract is not public yet"


async def test_feed_lists_a_contract_once_published(feed: dict) -> None:
    contract_id, contract_code = feed["contract"]
    changes = _of(feed["published"], contract_id)
    assert [c["action"] for c in changes] == ["CREATE", "TRANSITION", "TRANSITION"], "drafted, signed, published"
    assert all(
        c["object"] == {"__typename": "PublicContract", "code": contract_code, "state": "ACTIVE"} for c in changes
    )
    times = [c["changedAt"] for c in changes]
    assert times == sorted(times)
    cursors = [e["cursor"] for e in feed["published"]]
    assert len(cursors) == len(set(cursors))


async def test_feed_resumes_after_a_cursor_and_is_the_same_for_everyone(api: Api, feed: dict) -> None:
    contract_id, _ = feed["contract"]
    edges = feed["published"]
    position = next(i for i, e in enumerate(edges) if e["node"]["objectId"] == contract_id)
    cursor = edges[position - 1]["cursor"] if position else feed["head"]
    rest = await _changes_after(api, cursor)
    assert rest[0]["node"]["objectId"] == contract_id
    assert [e["cursor"] for e in rest] == [e["cursor"] for e in edges[position:]][: len(rest)]
    assert await _changes_after(api, feed["head"], user="hailing_agency") == await _changes_after(api, feed["head"])
    latest = (await api.data(CHANGES, {"first": 1}))["public"]["latestChangeCursor"]
    assert await _changes_after(api, latest) == []
    bad = await api.gql(CHANGES, {"after": "not-a-cursor"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_feed_object_is_the_current_public_record(api: Api, feed: dict) -> None:
    contract_id, contract_code = feed["contract"]
    found = await api.data(
        """query($n: ID!) { public { contracts(notice: $n) { nodes { id code state contractor { name } } } } }""",
        {"n": feed["shown"][0]},
    )
    assert found["public"]["contracts"]["nodes"] == [
        {
            "id": contract_id,
            "code": contract_code,
            "state": "ACTIVE",
            "contractor": {"name": "泰州市心缘社会工作服务中心"},
        }
    ]
