"""A district's users (购买主体 and 实施主体) see only their own district (DOMAIN.md §5): every root list,
every ``node(id:)``, every nested field and every filter, for all 7 districts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api
from tests.security.conftest import CityView
from tests.security.support import (
    ALL_LISTS,
    COUNTS_FOR_TWO,
    DISTRICTS,
    LISTS,
    all_lists,
    code_of,
    data,
    ids,
    nodes_by_id,
)

USERS = [
    pytest.param(f"{slug}_{role}", code, id=f"{slug}_{role}")
    for code, slug in DISTRICTS.items()
    for role in ("purchaser", "agency")
]

#: Nested paths from a district's own rows to other objects; every district met on the way must be its own.
NESTED_OWN = """
query NestedOwn {
  serviceEntries(first: 100) {
    nodes {
      district { code }
      contract { district { code } }
      township { district { code } }
      beneficiary { district { code } township { district { code } } }
    }
  }
  contracts(first: 20) {
    nodes {
      district { code }
      ledger {
        district { code }
        serviceEntries(first: 30) { nodes { district { code } } }
        fundEntries(first: 15) { nodes { district { code } } }
      }
      project { district { code } plan { district { code } } }
    }
  }
  staffMembers(first: 100) { nodes { district { code } contract { district { code } } } }
  mutualAidSubsidies(first: 100) { nodes { district { code } association { district { code } } } }
  coordinators(first: 100) { nodes { district { code } community { township { district { code } } } } }
  trainingSessions(first: 30) {
    nodes { attendance(first: 20) { nodes { district { code } staff { district { code } } } } }
  }
}
"""

#: Every township (public reference data) and the people below it (district data).
TOWNSHIP_CHILDREN = """
query TownshipChildren {
  townships(first: 100) {
    totalCount
    nodes {
      code
      district { code }
      staff(first: 5) { totalCount nodes { id } }
      coordinators(first: 5) { totalCount nodes { id } }
      associations(first: 5) { totalCount nodes { id } }
      communities(first: 5) { totalCount nodes { id } }
    }
  }
}
"""


def district_codes(tree: Any) -> list[str]:
    """Every ``district { code }`` anywhere in a response tree."""
    found: list[str] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "district" and isinstance(value, dict) and "code" in value:
                found.append(value["code"])
            else:
                found += district_codes(value)
    elif isinstance(tree, list):
        for item in tree:
            found += district_codes(item)
    return found


@pytest.mark.parametrize(("user", "code"), USERS)
async def test_every_list_holds_only_own_district(api: Api, city: CityView, user: str, code: str) -> None:
    seen = await all_lists(api, user)
    for name in LISTS:
        expected = city.rows(name, code)
        assert expected, f"demo data has no {name} in {code}: the test would prove nothing"
        nodes = seen[name]["nodes"]
        assert seen[name]["totalCount"] == len(nodes), name
        if name == "trainingSessions":
            # District roles may also see the city's own sessions (no district); never another district's.
            assert all(code_of(n) == code or (code_of(n) is None and n["level"] == "CITY") for n in nodes), name
            nodes = [n for n in nodes if code_of(n) == code]
        else:
            assert {code_of(n) for n in nodes} == {code}, f"{user} sees other districts in {name}"
        assert ids(nodes) == ids(expected), f"{user}: {name} differs from the district's rows"


@pytest.mark.parametrize(("user", "code"), USERS)
async def test_filtering_on_another_district_returns_no_rows(api: Api, user: str, code: str) -> None:
    own = await data(api, ALL_LISTS, {"district": code}, user=user)
    assert all(own[name]["totalCount"] > 0 for name in LISTS), own
    others = [other for other in DISTRICTS if other != code]
    for a, b in zip(others[::2], others[1::2], strict=True):
        foreign = await data(api, COUNTS_FOR_TWO, {"a": a, "b": b}, user=user)
        leaked = {alias: conn for alias, conn in foreign.items() if conn["totalCount"] or conn["nodes"]}
        assert not leaked, f"{user} filtering on {a}/{b} gets rows: {leaked}"


@pytest.mark.parametrize(("user", "code"), USERS)
async def test_node_of_another_district_is_null(api: Api, city: CityView, user: str, code: str) -> None:
    own: list[str] = []
    foreign: list[str] = []
    for type_name in sorted(city.types()):
        objs = city.of_type(type_name)
        mine = [o for o in objs if o.district == code]
        if mine:
            own.append(mine[0].id)
        # One object of this type from every other district that has one.
        firsts = {o.district: o.id for o in reversed(objs) if o.district not in (code, None)}
        foreign += firsts.values()
    assert len(own) >= 18, "too few of the district's own objects to prove anything"
    found = await nodes_by_id(api, own + foreign, user=user)
    missing = [i for i in own if found[i] is None or found[i]["id"] != i]
    assert not missing, f"{user} cannot read its own {missing}"
    leaked = {i: found[i] for i in foreign if found[i] is not None}
    assert not leaked, f"{user} reads other districts' objects: {leaked}"


@pytest.mark.parametrize(("user", "code"), USERS)
async def test_nested_fields_stay_in_own_district(api: Api, user: str, code: str) -> None:
    tree = await data(api, NESTED_OWN, user=user)
    codes = district_codes(tree)
    assert len(codes) > 50, "too little nested data to prove anything"
    assert set(codes) == {code}, f"{user} reaches other districts through nested fields"
    attendance = [a for s in tree["trainingSessions"]["nodes"] for a in s["attendance"]["nodes"]]
    assert attendance, "no own training attendance"


@pytest.mark.parametrize(("user", "code"), USERS)
async def test_township_of_another_district_shows_no_people(api: Api, city: CityView, user: str, code: str) -> None:
    tree = await data(api, TOWNSHIP_CHILDREN, user=user)
    townships = tree["townships"]["nodes"]
    assert len(townships) == tree["townships"]["totalCount"], "townships are public reference data"
    children = ("staff", "coordinators", "associations", "communities")
    totals = {other: dict.fromkeys(children, 0) for other in DISTRICTS}
    for t in townships:
        for child in children:
            conn = t[child]
            assert len(conn["nodes"]) == min(conn["totalCount"], 5), (t["code"], child)
            totals[code_of(t)][child] += conn["totalCount"]
    assert totals[code]["staff"] == len(city.rows("staffMembers", code)) > 0
    assert totals[code]["coordinators"] == len(city.rows("coordinators", code)) > 0
    assert totals[code]["associations"] == len(city.rows("mutualAidAssociations", code)) > 0
    assert totals[code]["communities"] > 0
    for other, counts in totals.items():
        if other != code:
            assert counts == dict.fromkeys(children, 0), f"{user} sees people of {other}'s townships: {counts}"
