"""Township staff (Art. 16), coordinators, mutual-aid associations and subsidies (Art. 17) and one-window
acceptance points (Art. 15) through the mutations: rules, history, and every role's allowed and refused
writes and reads — a refusal is a typed error and changes nothing.

This module writes in 海陵区 (321202) only; the compliance tests work in 兴化市 and training in 姜堰区.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from models import AcceptanceWindow, AssociationMember, ChangeRecord, Coordinator, MutualAidSubsidy, StaffMember
from models.timeutil import today
from tests.helpers import Api, demo_accounts

DISTRICT = "321202"
AGENCY = "hailing_agency"
STAFF_TOWNSHIP = "321202005"
WINDOW_TOWNSHIP = "321202007"

CONTRACTS = """
query($d: String, $s: [ContractStatus!]) { contracts(first: 50, filter: {district: $d, status: $s}) {
  nodes { id code status serviceStart serviceEnd contractor { id creditCode } }
} }
"""
STAFF_FIELDS = """
  id name kind position education socialWorkBackground qualification startDate endDate meetsEducationStandard
  township { code } district { code } contract { id } contractor { id }
"""
ADD = f"""
mutation($input: AddStaffMemberInput!) {{ addStaffMember(input: $input) {{
  staffMember {{ {STAFF_FIELDS} }} errors {{ code message field article }}
}} }}
"""
UPDATE = f"""
mutation($input: UpdateStaffMemberInput!) {{ updateStaffMember(input: $input) {{
  staffMember {{ {STAFF_FIELDS} }} errors {{ code message field article }}
}} }}
"""
END = f"""
mutation($input: EndStaffAssignmentInput!) {{ endStaffAssignment(input: $input) {{
  staffMember {{ {STAFF_FIELDS} }} errors {{ code message field article }}
}} }}
"""
NODE = f"""
query($id: ID!) {{ node(id: $id) {{ ... on StaffMember {{ {STAFF_FIELDS}
  history {{ nodes {{ action actorName before after note }} }}
}} }} }}
"""
STAFF_LIST = """
query($d: String, $on: Date) { staffMembers(first: 100, district: $d, activeOn: $on) { totalCount nodes { id } } }
"""


def clerk_of(credit_code: str) -> str:
    """The demo clerk of a contractor."""
    return next(a["username"] for a in demo_accounts() if a["scope"] == f"contractor:{credit_code}")


async def contracts(api: Api, status: str, district: str = DISTRICT, user: str = "city_civil_affairs") -> list[dict]:
    """Contracts of a district in a state."""
    return (await api.data(CONTRACTS, {"d": district, "s": [status]}, as_user=user))["contracts"]["nodes"]


async def running(api: Api) -> dict[str, Any]:
    """A contract of the district in performance."""
    found = await contracts(api, "IN_PERFORMANCE")
    assert found, "the demo data has no running contract in 海陵区"
    return found[0]


def inside(contract: dict[str, Any]) -> str:
    """A date inside a contract's service period (and not more than a year ahead)."""
    start = dt.date.fromisoformat(contract["serviceStart"])
    return min(start + dt.timedelta(days=30), today()).isoformat()


async def add_staff(api: Api, user: str = AGENCY, **values: Any) -> dict[str, Any]:
    """The ``addStaffMember`` payload."""
    body = {"township": STAFF_TOWNSHIP, "name": "张测试", "kind": "OWN", "education": "BACHELOR", **values}
    body.setdefault("startDate", "2024-03-01")
    return (await api.data(ADD, {"input": body}, as_user=user))["addStaffMember"]


async def counts() -> tuple[int, ...]:
    """Rows that a refused staffing mutation must not touch."""
    return (
        await StaffMember.all().count(),
        await Coordinator.all().count(),
        await AssociationMember.all().count(),
        await MutualAidSubsidy.all().count(),
        await AcceptanceWindow.all().count(),
        await ChangeRecord.all().count(),
    )


# --- township staff ------------------------------------------------------------------------------------


async def test_dispatched_person_is_linked_to_contract_and_contractor(api: Api) -> None:
    contract = await running(api)
    records = await ChangeRecord.filter(entity_type="StaffMember").count()
    payload = await add_staff(
        api,
        name="李派遣",
        kind="DISPATCHED",
        contract=contract["id"],
        position="驻点社工",
        education="ASSOCIATE",
        socialWorkBackground=True,
        qualification="ASSISTANT",
        startDate=inside(contract),
    )
    assert payload["errors"] == []
    person = payload["staffMember"]
    assert person["kind"] == "DISPATCHED"
    assert person["contract"] == {"id": contract["id"]}
    assert person["contractor"] == {"id": contract["contractor"]["id"]}
    assert (person["township"]["code"], person["district"]["code"]) == (STAFF_TOWNSHIP, DISTRICT)
    assert person["meetsEducationStandard"] is True
    assert await ChangeRecord.filter(entity_type="StaffMember").count() == records + 1

    history = (await api.data(NODE, {"id": person["id"]}, as_user=AGENCY))["node"]["history"]["nodes"]
    assert [h["action"] for h in history] == ["CREATE"]
    assert "hailing_agency" in history[0]["actorName"]
    assert history[0]["after"]["contract_id"] is not None
    assert history[0]["after"]["contractor_id"] is not None

    # The supplying contractor sees the person (and the link); another contractor, another district do not.
    clerk = clerk_of(contract["contractor"]["creditCode"])
    seen = (await api.data(NODE, {"id": person["id"]}, as_user=clerk))["node"]
    assert seen["contractor"] == {"id": contract["contractor"]["id"]}
    assert seen["contract"] == {"id": contract["id"]}
    listed = (await api.data(STAFF_LIST, {"d": DISTRICT, "on": None}, as_user=clerk))["staffMembers"]
    assert person["id"] in {n["id"] for n in listed["nodes"]}
    other_clerk = next(
        a["username"]
        for a in demo_accounts()
        if a["role"] == "contractor" and a["scope"] != f"contractor:{contract['contractor']['creditCode']}"
    )
    for user in (other_clerk, "gaogang_agency", "city_finance", None):
        assert (await api.data(NODE, {"id": person["id"]}, as_user=user))["node"] is None, user
    assert (await api.data(NODE, {"id": person["id"]}, as_user="city_civil_affairs"))["node"]["id"] == person["id"]
    assert (await api.data(NODE, {"id": person["id"]}, as_user="hailing_purchaser"))["node"]["id"] == person["id"]


async def test_dispatch_needs_a_contract_of_the_district_in_force(api: Api) -> None:
    contract = await running(api)
    closed = await contracts(api, "CLOSED")
    foreign = await contracts(api, "IN_PERFORMANCE", district="321203")
    assert closed, "the demo data has no closed contract in 海陵区"
    assert foreign, "the demo data has no running contract in 高港区"
    before = await counts()
    start = dt.date.fromisoformat(contract["serviceStart"])
    cases = [
        ({"kind": "DISPATCHED"}, "DISPATCH_CONTRACT_REQUIRED", "contract", "第十六条第二款"),
        ({"kind": "OWN", "contract": contract["id"]}, "INVALID", "contract", None),
        (
            {"kind": "DISPATCHED", "contract": closed[0]["id"]},
            "DISPATCH_CONTRACT_INVALID",
            "contract",
            "第十六条第二款",
        ),
        # another district's contract is not even visible to this district's agency
        ({"kind": "DISPATCHED", "contract": foreign[0]["id"]}, "NOT_FOUND", "contract", None),
        (
            {"kind": "DISPATCHED", "contract": contract["id"], "startDate": (start - dt.timedelta(days=1)).isoformat()},
            "DISPATCH_OUTSIDE_SERVICE_PERIOD",
            "startDate",
            "第十六条第二款",
        ),
        ({"name": "  "}, "REQUIRED", "name", None),
        ({"name": "张" * 51}, "TOO_LONG", "name", None),
        ({"name": "张\x00三"}, "INVALID_TEXT", "name", None),
        ({"startDate": (today() + dt.timedelta(days=400)).isoformat()}, "INVALID_DATE", "startDate", None),
        ({"township": "321202"}, "INVALID", "township", None),
        ({"township": "321202999"}, "NOT_FOUND", "township", None),
    ]
    for values, code, field, article in cases:
        values.setdefault("startDate", inside(contract))
        payload = await add_staff(api, **values)
        assert payload["staffMember"] is None, values
        [error] = payload["errors"]
        assert (error["code"], error["field"], error["article"]) == (code, field, article), (values, error)
        assert error["message"]
    assert await counts() == before


async def test_update_and_end_keep_the_history_and_the_row(api: Api) -> None:
    payload = await add_staff(api, name="王更新", education="SECONDARY", startDate="2020-05-01")
    person = payload["staffMember"]

    changed = (
        await api.data(
            UPDATE,
            {"input": {"staffMember": person["id"], "education": "BACHELOR", "qualification": "SOCIAL_WORKER"}},
            as_user=AGENCY,
        )
    )["updateStaffMember"]
    assert changed["errors"] == []
    assert (changed["staffMember"]["education"], changed["staffMember"]["qualification"]) == (
        "BACHELOR",
        "SOCIAL_WORKER",
    )
    same = (await api.data(UPDATE, {"input": {"staffMember": person["id"], "education": "BACHELOR"}}, as_user=AGENCY))[
        "updateStaffMember"
    ]
    assert [e["code"] for e in same["errors"]] == ["NOTHING_TO_CHANGE"]

    too_early = (
        await api.data(END, {"input": {"staffMember": person["id"], "endDate": "2020-04-30"}}, as_user=AGENCY)
    )["endStaffAssignment"]
    assert [(e["code"], e["field"]) for e in too_early["errors"]] == [("INVALID_DATE", "endDate")]
    ended = (await api.data(END, {"input": {"staffMember": person["id"], "endDate": "2025-06-30"}}, as_user=AGENCY))[
        "endStaffAssignment"
    ]
    assert ended["errors"] == []
    assert ended["staffMember"]["endDate"] == "2025-06-30"
    again = (await api.data(END, {"input": {"staffMember": person["id"], "endDate": "2025-07-31"}}, as_user=AGENCY))[
        "endStaffAssignment"
    ]
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("ALREADY_ENDED", "endDate")]

    node = (await api.data(NODE, {"id": person["id"]}, as_user=AGENCY))["node"]
    assert node["endDate"] == "2025-06-30"
    actions = [(h["action"], h["before"], h["after"]) for h in node["history"]["nodes"]]
    assert actions[0][0] == "CREATE"
    assert actions[1] == (
        "UPDATE",
        {"education": "secondary", "qualification": "none"},
        {"education": "bachelor", "qualification": "social_worker"},
    )
    assert actions[2] == ("UPDATE", {"end_date": None}, {"end_date": "2025-06-30"})
    assert len(actions) == 3, "refusals write no history"

    # Never deleted: on staff on its last day, not the day after.
    on_last = await api.data(STAFF_LIST, {"d": DISTRICT, "on": "2025-06-30"}, as_user=AGENCY)
    after = await api.data(STAFF_LIST, {"d": DISTRICT, "on": "2025-07-01"}, as_user=AGENCY)
    assert person["id"] in {n["id"] for n in on_last["staffMembers"]["nodes"]}
    assert person["id"] not in {n["id"] for n in after["staffMembers"]["nodes"]}


async def test_only_the_districts_agency_writes_its_staff(api: Api) -> None:
    contract = await running(api)
    mine = (await add_staff(api, name="赵自有", startDate="2022-01-01"))["staffMember"]
    dispatched = (
        await add_staff(api, name="钱派遣", kind="DISPATCHED", contract=contract["id"], startDate=inside(contract))
    )["staffMember"]
    clerk = clerk_of(contract["contractor"]["creditCode"])
    before = await counts()
    # addStaffMember: the township is public reference data, so a foreign district gets FORBIDDEN.
    for user in ("gaogang_agency", "hailing_purchaser", "city_civil_affairs", "city_finance", "hailing_finance", clerk):
        payload = await add_staff(api, user=user, name="越权")
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FORBIDDEN", "township")], user
    anonymous = await api.gql(
        ADD,
        {
            "input": {
                "township": STAFF_TOWNSHIP,
                "name": "匿名",
                "kind": "OWN",
                "education": "BACHELOR",
                "startDate": "2024-01-01",
            }
        },
    )
    assert anonymous["data"]["addStaffMember"]["errors"][0]["code"] == "FORBIDDEN"
    # update/end: NOT_FOUND when the row is hidden, FORBIDDEN when visible but not writable.
    expected = {
        "gaogang_agency": ("NOT_FOUND", "NOT_FOUND"),
        "city_finance": ("NOT_FOUND", "NOT_FOUND"),
        "hailing_purchaser": ("FORBIDDEN", "FORBIDDEN"),
        "city_civil_affairs": ("FORBIDDEN", "FORBIDDEN"),
        clerk: ("NOT_FOUND", "FORBIDDEN"),  # the contractor sees the person it dispatches, not own staff
    }
    for user, (own_code, dispatched_code) in expected.items():
        for person, code in ((mine, own_code), (dispatched, dispatched_code)):
            update = await api.data(UPDATE, {"input": {"staffMember": person["id"], "position": "x"}}, as_user=user)
            assert [e["code"] for e in update["updateStaffMember"]["errors"]] == [code], (user, person["name"])
            end = await api.data(END, {"input": {"staffMember": person["id"], "endDate": "2025-01-01"}}, as_user=user)
            assert [e["code"] for e in end["endStaffAssignment"]["errors"]] == [code], (user, person["name"])
    assert await counts() == before
    for person in (mine, dispatched):
        node = (await api.data(NODE, {"id": person["id"]}, as_user=AGENCY))["node"]
        assert (node["position"], node["endDate"]) == (person["position"], None)


# --- coordinators, associations, subsidies (Art. 17) ----------------------------------------------------

COMMUNITIES = """
query($d: String) { townships(first: 100, district: $d) { nodes { code communities(first: 5) { nodes { id } } } } }
"""
ADD_COORDINATOR = """
mutation($input: AddCoordinatorInput!) { addCoordinator(input: $input) {
  coordinator { id name kind grid startDate endDate community { id } township { code } district { code } }
  errors { code field article }
} }
"""
END_COORDINATOR = """
mutation($id: ID!, $end: Date!) { endCoordinator(input: {coordinator: $id, endDate: $end}) {
  coordinator { id endDate } errors { code field }
} }
"""
ADD_ASSOCIATION = """
mutation($input: AddAssociationInput!) { addAssociation(input: $input) {
  association { id name memberCount establishedOn community { id } township { code } }
  errors { code field article }
} }
"""
ADD_MEMBER = """
mutation($input: AddAssociationMemberInput!) { addAssociationMember(input: $input) {
  member { id name role joinedOn leftOn } association { id memberCount } errors { code field }
} }
"""
END_MEMBER = """
mutation($id: ID!, $left: Date!) { endAssociationMember(input: {member: $id, leftOn: $left}) {
  member { id leftOn } association { id memberCount } errors { code field }
} }
"""
SUBSIDY = """
mutation($input: RecordSubsidyInput!) { recordSubsidy(input: $input) {
  subsidy { id year amount workload paidOn district { code } association { id } } errors { code field article }
} }
"""
SUBSIDIES = """
query($d: String) { mutualAidSubsidies(first: 100, district: $d) { nodes { id amount association { id } } } }
"""


async def community_of(api: Api) -> tuple[str, str]:
    """(township code, community id) of a community of the district."""
    nodes = (await api.data(COMMUNITIES, {"d": DISTRICT}, as_user=AGENCY))["townships"]["nodes"]
    township = next(t for t in nodes if t["communities"]["nodes"])
    return township["code"], township["communities"]["nodes"][0]["id"]


async def test_coordinators_full_time_or_concurrent_with_grid(api: Api) -> None:
    township, community = await community_of(api)
    added = []
    for kind, grid in (("FULL_TIME", "幸福社区第2网格"), ("CONCURRENT", "")):
        variables = {
            "input": {"community": community, "name": "孙协理", "kind": kind, "grid": grid, "startDate": "2024-01-01"}
        }
        payload = (await api.data(ADD_COORDINATOR, variables, as_user=AGENCY))["addCoordinator"]
        assert payload["errors"] == []
        c = payload["coordinator"]
        assert (c["kind"], c["grid"], c["community"]["id"]) == (kind, grid, community)
        assert (c["township"]["code"], c["district"]["code"]) == (township, DISTRICT)
        added.append(c)
    ended = await api.data(END_COORDINATOR, {"id": added[1]["id"], "end": "2025-12-31"}, as_user=AGENCY)
    assert ended["endCoordinator"]["coordinator"]["endDate"] == "2025-12-31"

    before = await counts()
    variables = {"input": {"community": community, "name": "越权", "kind": "FULL_TIME", "startDate": "2024-01-01"}}
    for user, code in (
        ("gaogang_agency", "NOT_FOUND"),
        ("city_finance", "NOT_FOUND"),
        ("city_civil_affairs", "FORBIDDEN"),
        ("hailing_purchaser", "FORBIDDEN"),
    ):
        payload = (await api.data(ADD_COORDINATOR, variables, as_user=user))["addCoordinator"]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, "community")], user
        end = await api.data(END_COORDINATOR, {"id": added[0]["id"], "end": "2025-01-01"}, as_user=user)
        assert [e["code"] for e in end["endCoordinator"]["errors"]] == [code], user
    again = await api.data(END_COORDINATOR, {"id": added[1]["id"], "end": "2026-01-31"}, as_user=AGENCY)
    assert [e["code"] for e in again["endCoordinator"]["errors"]] == ["ALREADY_ENDED"]
    blank = {"input": {**variables["input"], "name": " "}}
    refused = (await api.data(ADD_COORDINATOR, blank, as_user=AGENCY))["addCoordinator"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("REQUIRED", "name")]
    assert await counts() == before


async def test_associations_members_and_subsidies(api: Api) -> None:
    township, community = await community_of(api)
    variables = {
        "input": {
            "township": township,
            "community": community,
            "name": "测试社会救助互助会",
            "establishedOn": "2023-03-15",
            "memberCount": 30,
        }
    }
    created = (await api.data(ADD_ASSOCIATION, variables, as_user=AGENCY))["addAssociation"]
    assert created["errors"] == []
    association = created["association"]
    assert (association["memberCount"], association["community"]["id"]) == (30, community)

    # Members: joining and leaving move the count; the member who left keeps the date.
    join = {"input": {"association": association["id"], "name": "老周", "role": "会长", "joinedOn": "2023-04-01"}}
    joined = (await api.data(ADD_MEMBER, join, as_user=AGENCY))["addAssociationMember"]
    assert joined["errors"] == []
    assert joined["association"]["memberCount"] == 31
    left = await api.data(END_MEMBER, {"id": joined["member"]["id"], "left": "2025-12-31"}, as_user=AGENCY)
    assert left["endAssociationMember"]["member"]["leftOn"] == "2025-12-31"
    assert left["endAssociationMember"]["association"]["memberCount"] == 30
    twice = await api.data(END_MEMBER, {"id": joined["member"]["id"], "left": "2026-01-31"}, as_user=AGENCY)
    assert [e["code"] for e in twice["endAssociationMember"]["errors"]] == ["ALREADY_ENDED"]
    early = {"input": {**join["input"], "joinedOn": "2023-03-14"}}
    refused = (await api.data(ADD_MEMBER, early, as_user=AGENCY))["addAssociationMember"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_DATE", "joinedOn")]

    # Subsidies: exact money, by workload; finance reads the subsidy but not the association.
    pay = {
        "input": {
            "association": association["id"],
            "year": 2025,
            "amount": "3600.50",
            "workload": "全年走访困难家庭120户次",
            "paidOn": "2025-12-20",
        }
    }
    paid = (await api.data(SUBSIDY, pay, as_user=AGENCY))["recordSubsidy"]
    assert paid["errors"] == []
    assert (paid["subsidy"]["amount"], paid["subsidy"]["district"]["code"]) == ("3600.50", DISTRICT)
    for user in ("city_finance", "hailing_finance"):
        nodes = (await api.data(SUBSIDIES, {"d": DISTRICT}, as_user=user))["mutualAidSubsidies"]["nodes"]
        mine = [n for n in nodes if n["id"] == paid["subsidy"]["id"]]
        assert mine == [{"id": paid["subsidy"]["id"], "amount": "3600.50", "association": None}], user

    before = await counts()
    bad = [
        ({"amount": "0"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "-5"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "10.001"}, "INVALID_AMOUNT", "amount"),
        ({"workload": " "}, "REQUIRED", "workload"),
        ({"year": 2019}, "INVALID_YEAR", "year"),
        ({"paidOn": (today() + dt.timedelta(days=1)).isoformat()}, "INVALID_DATE", "paidOn"),
    ]
    for change, code, field in bad:
        payload = (await api.data(SUBSIDY, {"input": {**pay["input"], **change}}, as_user=AGENCY))["recordSubsidy"]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], change
    for user, code in (
        ("city_finance", "NOT_FOUND"),
        ("hailing_finance", "NOT_FOUND"),
        ("gaogang_agency", "NOT_FOUND"),
        ("city_civil_affairs", "FORBIDDEN"),
        ("hailing_purchaser", "FORBIDDEN"),
    ):
        payload = (await api.data(SUBSIDY, pay, as_user=user))["recordSubsidy"]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, "association")], user
        member = (await api.data(ADD_MEMBER, join, as_user=user))["addAssociationMember"]
        assert [e["code"] for e in member["errors"]] == [code], user
    foreign = {"input": {**variables["input"], "township": "321203001", "community": None}}
    payload = (await api.data(ADD_ASSOCIATION, foreign, as_user=AGENCY))["addAssociation"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FORBIDDEN", "township")]
    other_township = {"input": {**variables["input"], "township": WINDOW_TOWNSHIP}}
    payload = (await api.data(ADD_ASSOCIATION, other_township, as_user=AGENCY))["addAssociation"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("TOWNSHIP_MISMATCH", "community")]
    assert await counts() == before


# --- one-window acceptance (Art. 15) --------------------------------------------------------------------

SET_WINDOW = """
mutation($input: SetAcceptanceWindowInput!) { setAcceptanceWindow(input: $input) {
  window { id location firstResponsibleOfficer phone promisedDays establishedOn township { code } }
  errors { code field article }
} }
"""
TOWNSHIP_WINDOW = """
query($d: String) { townships(first: 100, district: $d) { nodes {
  code window { id location firstResponsibleOfficer promisedDays history { nodes { action before after } } }
  staffing { hasWindow }
} } }
"""
WITHOUT_WINDOW = """
query($d: String) { staffingCompliance(district: $d) { districts { townshipsWithoutWindow } } }
"""


async def test_one_window_per_township_set_and_updated(api: Api) -> None:
    async def without() -> int:
        return (await api.data(WITHOUT_WINDOW, {"d": DISTRICT}, as_user=AGENCY))["staffingCompliance"]["districts"][0][
            "townshipsWithoutWindow"
        ]

    async def window(user: str | None = AGENCY) -> dict[str, Any]:
        nodes = (await api.data(TOWNSHIP_WINDOW, {"d": DISTRICT}, as_user=user))["townships"]["nodes"]
        return next(n for n in nodes if n["code"] == WINDOW_TOWNSHIP)

    missing = await without()
    assert (await window())["window"] is None
    values = {
        "township": WINDOW_TOWNSHIP,
        "location": "京泰路街道便民服务中心1号窗口",
        "firstResponsibleOfficer": "周首问",
        "phone": "0523-86001234",
        "promisedDays": 5,
        "establishedOn": "2024-01-02",
    }
    created = (await api.data(SET_WINDOW, {"input": values}, as_user=AGENCY))["setAcceptanceWindow"]
    assert created["errors"] == []
    assert created["window"]["promisedDays"] == 5
    assert await without() == missing - 1
    seen = await window()
    assert seen["window"]["id"] == created["window"]["id"]
    assert seen["staffing"]["hasWindow"] is True

    updated = await api.data(SET_WINDOW, {"input": {**values, "promisedDays": 3}}, as_user=AGENCY)
    assert updated["setAcceptanceWindow"]["window"]["id"] == created["window"]["id"], "one window per township"
    history = (await window())["window"]["history"]["nodes"]
    assert [(h["action"], h["before"], h["after"]) for h in history][-1] == (
        "UPDATE",
        {"promised_days": 5},
        {"promised_days": 3},
    )

    before = await counts()
    bad = [
        ({"promisedDays": 0}, "INVALID_PROMISED_DAYS", "promisedDays", "第十五条"),
        ({"promisedDays": 31}, "INVALID_PROMISED_DAYS", "promisedDays", "第十五条"),
        ({"phone": "12345"}, "INVALID_PHONE", "phone", "第十五条"),
        ({"firstResponsibleOfficer": " "}, "REQUIRED", "firstResponsibleOfficer", None),
        ({"establishedOn": (today() + dt.timedelta(days=1)).isoformat()}, "INVALID_DATE", "establishedOn", None),
        ({"promisedDays": 3}, "NOTHING_TO_CHANGE", None, None),
    ]
    for change, code, field, article in bad:
        payload = (await api.data(SET_WINDOW, {"input": {**values, **change}}, as_user=AGENCY))["setAcceptanceWindow"]
        assert [(e["code"], e["field"], e["article"]) for e in payload["errors"]] == [(code, field, article)], change
    for user in ("gaogang_agency", "city_civil_affairs", "hailing_purchaser", "city_finance", "anhe_clerk"):
        payload = (await api.data(SET_WINDOW, {"input": values}, as_user=user))["setAcceptanceWindow"]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FORBIDDEN", "township")], user
    assert await counts() == before
    # The city reads it; finance, contractors and the public do not (staffing detail).
    assert (await window("city_civil_affairs"))["window"]["promisedDays"] == 3
    for user in ("city_finance", "anhe_clerk", None):
        assert (await window(user))["window"] is None, user
