"""A contractor (承接主体) sees its own profile, contracts, ledgers and dispatched staff, the
beneficiaries of its own ledger entries, and nothing of other contractors or of district planning
(DOMAIN.md §5). ``huimin_clerk`` works for a contractor without any contract."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api
from tests.security.conftest import CityView
from tests.security.support import CLERKS, all_lists, data, ids, nodes_by_id

CLERK_NAMES = sorted(CLERKS)
WITHOUT_CONTRACTS = "huimin_clerk"

PROFILE = """
query Profile {
  me { username roles { role domain contractor { id } } }
  contractors(first: 100) { totalCount nodes { id creditCode } }
}
"""

#: From its own contracts down to everything reachable, and every township's people.
NESTED = """
query Nested {
  contracts(first: 20) {
    nodes {
      contractor { id }
      project {
        plan { id }
        planLines { id }
        lots(first: 5) { nodes { awardedContractor { id } } }
      }
      ledger {
        contractor { id }
        serviceEntries(first: 30) { nodes { contractor { id } beneficiary { id } } }
        fundEntries(first: 15) { nodes { contractor { id } } }
      }
      payments(first: 5) { nodes { contract { contractor { id } } } }
      inspections(first: 8) { nodes { contract { contractor { id } } } }
      amendments(first: 5) { nodes { contract { contractor { id } } } }
    }
  }
  townships(first: 100) {
    nodes {
      staff(first: 20) { totalCount nodes { id kind contractor { id } } }
      coordinators(first: 1) { totalCount }
      associations(first: 1) { totalCount }
      communities(first: 1) { totalCount }
    }
  }
}
"""

#: Types that belong to districts only: a contractor never reads any of them.
DISTRICT_ONLY = (
    "PurchasePlan",
    "PlanLine",
    "Coordinator",
    "Community",
    "MutualAidAssociation",
    "MutualAidSubsidy",
    "TrainingSession",
    "TrainingAttendance",
)
#: Types owned by a contractor (the ``contractor`` of each object in the city's view).
CONTRACTOR_OWNED = (
    "Contract",
    "Ledger",
    "ServiceEntry",
    "FundEntry",
    "Payment",
    "PaymentInstalment",
    "Inspection",
    "Acceptance",
    "Amendment",
    "StaffMember",
    "ProcurementLot",
)


def contractor_ids(tree: Any) -> list[str]:
    """Every ``contractor { id }`` / ``awardedContractor { id }`` anywhere in a response tree."""
    found: list[str] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in ("contractor", "awardedContractor") and isinstance(value, dict):
                found.append(value["id"])
            else:
                found += contractor_ids(value)
    elif isinstance(tree, list):
        for item in tree:
            found += contractor_ids(item)
    return found


def expected_rows(city: CityView, own: str) -> dict[str, set[str]]:
    """What a contractor must see in each root list, computed from the city's view."""
    entries = [n for n in city.rows("serviceEntries") if n["contractor"]["id"] == own]
    return {
        "contracts": ids(n for n in city.rows("contracts") if n["contractor"]["id"] == own),
        "serviceEntries": ids(entries),
        "fundEntries": ids(n for n in city.rows("fundEntries") if n["contractor"]["id"] == own),
        "staffMembers": ids(n for n in city.rows("staffMembers") if (n["contractor"] or {}).get("id") == own),
        "beneficiaries": {n["beneficiary"]["id"] for n in entries if n["beneficiary"] is not None},
        "procurementProjects": ids(
            p
            for p in city.rows("procurementProjects")
            if any((lot["awardedContractor"] or {}).get("id") == own for lot in p["lots"]["nodes"])
        ),
        "purchasePlans": set(),
        "coordinators": set(),
        "mutualAidAssociations": set(),
        "mutualAidSubsidies": set(),
        "trainingSessions": set(),
    }


@pytest.mark.parametrize("clerk", CLERK_NAMES)
async def test_sees_only_its_own_profile(api: Api, city: CityView, clerk: str) -> None:
    own = city.contractor_of(clerk)
    seen = await data(api, PROFILE, user=clerk)
    assert [r["contractor"]["id"] for r in seen["me"]["roles"]] == [own]
    assert seen["contractors"]["totalCount"] == 1
    assert [c["id"] for c in seen["contractors"]["nodes"]] == [own]
    assert seen["contractors"]["nodes"][0]["creditCode"] == CLERKS[clerk]
    others = [c for c in city.contractor_ids.values() if c != own]
    assert len(others) >= 9
    found = await nodes_by_id(api, [own, *others], user=clerk)
    assert found[own] is not None
    assert {c: found[c] for c in others if found[c] is not None} == {}, f"{clerk} reads other contractors"


@pytest.mark.parametrize("clerk", CLERK_NAMES)
async def test_every_list_holds_only_its_own_rows(api: Api, city: CityView, clerk: str) -> None:
    own = city.contractor_of(clerk)
    expected = expected_rows(city, own)
    if clerk == WITHOUT_CONTRACTS:
        assert not any(expected.values()), "huimin must have no contract in the demo data"
    else:
        for name in ("contracts", "serviceEntries", "fundEntries", "beneficiaries", "procurementProjects"):
            assert expected[name], f"{clerk} should see some {name}: the test would prove nothing"
    seen = await all_lists(api, clerk)
    for name, want in expected.items():
        nodes = seen[name]["nodes"]
        assert seen[name]["totalCount"] == len(nodes), name
        assert ids(nodes) == want, f"{clerk}: {name}"
    for name in ("contracts", "serviceEntries", "fundEntries", "staffMembers"):
        assert {n["contractor"]["id"] for n in seen[name]["nodes"]} <= {own}, name
    assert {n["kind"] for n in seen["staffMembers"]["nodes"]} <= {"DISPATCHED"}
    lots = [lot for p in seen["procurementProjects"]["nodes"] for lot in p["lots"]["nodes"]]
    assert {lot["awardedContractor"]["id"] for lot in lots} <= {own}, "lots won by others are visible"


async def test_contractor_without_contracts_sees_nothing(api: Api, city: CityView) -> None:
    seen = await all_lists(api, WITHOUT_CONTRACTS)
    assert {name: conn["totalCount"] for name, conn in seen.items()} == dict.fromkeys(seen, 0)
    assert city.lists["contracts"]["totalCount"] > 0


@pytest.mark.parametrize("clerk", CLERK_NAMES)
async def test_node_of_others_is_null(api: Api, city: CityView, clerk: str) -> None:
    own = city.contractor_of(clerk)
    served = expected_rows(city, own)["beneficiaries"]
    mine: list[str] = []
    foreign: list[str] = []
    for type_name in CONTRACTOR_OWNED:
        objs = city.of_type(type_name)
        mine += [o.id for o in objs if o.contractor == own][:1]
        # One object of every other contractor (and, for staff, the districts' own staff; lots not yet
        # awarded belong to nobody and are left out).
        others = [
            o for o in objs if o.contractor != own and not (type_name == "ProcurementLot" and o.contractor is None)
        ]
        foreign += list({o.contractor: o.id for o in reversed(others)}.values())
    for type_name in DISTRICT_ONLY:
        foreign += [o.id for o in city.of_type(type_name)][:3]
    beneficiaries = [o.id for o in city.of_type("Beneficiary")]
    mine += [b for b in beneficiaries if b in served][:3]
    foreign += [b for b in beneficiaries if b not in served][:10]
    if clerk != WITHOUT_CONTRACTS:
        assert len(mine) >= 8, f"{clerk} should own something of most types"
    found = await nodes_by_id(api, mine + foreign, user=clerk)
    assert [i for i in mine if found[i] is None] == [], f"{clerk} cannot read its own objects"
    leaked = {i: found[i] for i in foreign if found[i] is not None}
    assert not leaked, f"{clerk} reads objects of others: {leaked}"


@pytest.mark.parametrize("clerk", CLERK_NAMES)
async def test_nested_fields_stay_with_its_own(api: Api, city: CityView, clerk: str) -> None:
    own = city.contractor_of(clerk)
    tree = await data(api, NESTED, user=clerk)
    contracts = tree["contracts"]["nodes"]
    reached = contractor_ids(tree)
    assert set(reached) <= {own}, f"{clerk} reaches other contractors"
    for contract in contracts:
        assert contract["project"] is not None, "its own contract's project (it won the lot)"
        assert contract["project"]["plan"] is None, "a contractor never reads purchase plans"
        assert contract["project"]["planLines"] == []
    townships = tree["townships"]["nodes"]
    for child in ("coordinators", "associations", "communities"):
        assert sum(t[child]["totalCount"] for t in townships) == 0, f"{clerk} sees township {child}"
    staff = [s for t in townships for s in t["staff"]["nodes"]]
    assert {s["kind"] for s in staff} <= {"DISPATCHED"}
    dispatched = expected_rows(city, own)["staffMembers"]
    assert sum(t["staff"]["totalCount"] for t in townships) == len(dispatched)
    if clerk != WITHOUT_CONTRACTS:
        assert contracts
        assert len(reached) > 20, "too little nested data to prove anything"
    else:
        assert contracts == []
        assert reached == []
