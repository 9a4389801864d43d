"""Finance (财政局) reads plans, procurement, contracts, acceptances, payments, fund entries and
subsidies of its scope — the whole city for ``city_finance``, 321202 for ``hailing_finance`` — and
never service detail or people: no beneficiaries, service entries, staff (DOMAIN.md §5)."""

from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.security.conftest import CityView
from tests.security.support import COUNTS_FOR_TWO, DISTRICTS, all_lists, data, ids, nodes_by_id

FINANCE = [
    pytest.param("city_finance", None, id="city_finance"),
    pytest.param("hailing_finance", "321202", id="hailing"),
]

MONEY_LISTS = ("contracts", "purchasePlans", "procurementProjects", "fundEntries", "mutualAidSubsidies")
PEOPLE_LISTS = (
    "beneficiaries",
    "serviceEntries",
    "staffMembers",
    "coordinators",
    "mutualAidAssociations",
    "trainingSessions",
)
#: Types finance reads by ID, and types it never reads.
MONEY_TYPES = (
    "Contract",
    "PurchasePlan",
    "PlanLine",
    "ProcurementProject",
    "Acceptance",
    "Payment",
    "PaymentInstalment",
    "FundEntry",
    "MutualAidSubsidy",
)
PEOPLE_TYPES = (
    "Beneficiary",
    "ServiceEntry",
    "StaffMember",
    "Coordinator",
    "Community",
    "MutualAidAssociation",
    "TrainingSession",
    "TrainingAttendance",
    "Inspection",
)

NESTED = """
query FinanceNested {
  contracts(first: 40) {
    nodes {
      district { code }
      acceptances(first: 5) { totalCount }
      payments(first: 5) { totalCount }
      instalments(first: 5) { totalCount }
      inspections(first: 5) { totalCount nodes { id } }
      serviceEntries(first: 5) { totalCount nodes { id } }
      ledger { serviceEntries(first: 5) { totalCount nodes { id } } }
    }
  }
  mutualAidSubsidies(first: 100) { nodes { district { code } association { id } } }
  townships(first: 100) {
    nodes {
      staff(first: 1) { totalCount }
      coordinators(first: 1) { totalCount }
      associations(first: 1) { totalCount }
      communities(first: 1) { totalCount }
    }
  }
}
"""


@pytest.mark.parametrize(("user", "scope"), FINANCE)
async def test_reads_money_of_its_scope_and_no_people(api: Api, city: CityView, user: str, scope: str | None) -> None:
    seen = await all_lists(api, user)
    for name in MONEY_LISTS:
        expected = city.rows(name, scope)
        assert expected, f"the demo data must hold {name} in scope"
        assert ids(seen[name]["nodes"]) == ids(expected), f"{user}: {name}"
        assert seen[name]["totalCount"] == len(expected)
    for name in PEOPLE_LISTS:
        assert city.lists[name]["totalCount"] > 0
        assert seen[name]["totalCount"] == 0, f"{user} sees {name}"
        assert seen[name]["nodes"] == []


@pytest.mark.parametrize(("user", "scope"), FINANCE)
async def test_nested_service_detail_stays_hidden(api: Api, user: str, scope: str | None) -> None:
    tree = await data(api, NESTED, user=user)
    contracts = tree["contracts"]["nodes"]
    assert contracts
    assert {c["district"]["code"] for c in contracts} == ({scope} if scope else set(DISTRICTS))
    for child in ("acceptances", "payments", "instalments"):
        assert sum(c[child]["totalCount"] for c in contracts) > 0, f"{user} must read {child}"
    for contract in contracts:
        assert contract["inspections"] == {"totalCount": 0, "nodes": []}
        assert contract["serviceEntries"] == {"totalCount": 0, "nodes": []}
        ledger = contract["ledger"]
        assert ledger is None or ledger["serviceEntries"] == {"totalCount": 0, "nodes": []}
    subsidies = tree["mutualAidSubsidies"]["nodes"]
    assert subsidies
    assert all(s["association"] is None for s in subsidies), "an association is staffing detail"
    for township in tree["townships"]["nodes"]:
        assert {k: v["totalCount"] for k, v in township.items()} == dict.fromkeys(township, 0)


@pytest.mark.parametrize(("user", "scope"), FINANCE)
async def test_node_of_people_or_other_districts_is_null(
    api: Api, city: CityView, user: str, scope: str | None
) -> None:
    readable: list[str] = []
    hidden: list[str] = []
    for type_name in MONEY_TYPES:
        objs = city.of_type(type_name)
        readable += [o.id for o in objs if scope in (None, o.district)][:2]
        if scope is not None:
            hidden += list({o.district: o.id for o in objs if o.district != scope}.values())
    for type_name in PEOPLE_TYPES:
        hidden += [o.id for o in city.of_type(type_name) if scope in (None, o.district)][:3]
    assert len(readable) == 2 * len(MONEY_TYPES)
    found = await nodes_by_id(api, readable + hidden, user=user)
    assert [r for r in readable if found[r] is None] == []
    leaked = {h: found[h] for h in hidden if found[h] is not None}
    assert not leaked, f"{user} reads {leaked}"


async def test_district_finance_filtering_on_other_districts_gets_nothing(api: Api) -> None:
    others = [code for code in DISTRICTS if code != "321202"]
    for a, b in zip(others[::2], others[1::2], strict=True):
        foreign = await data(api, COUNTS_FOR_TWO, {"a": a, "b": b}, user="hailing_finance")
        leaked = {alias: conn for alias, conn in foreign.items() if conn["totalCount"] or conn["nodes"]}
        assert not leaked, f"hailing_finance filtering on {a}/{b}: {leaked}"
