"""The public (no token) reads only what must be disclosed (DOMAIN.md §5): the catalogue and the
geography, published procurement notices, published contracts' public fields and published
acceptance results. Never beneficiaries, never drafts, never ledgers, plans, payments or people."""

from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.security.conftest import CityView
from tests.security.support import all_lists, data, ids, nodes_by_id

PUBLIC = None  # no token

REFERENCE = """
query Reference {
  me { username }
  catalogueItems(first: 100) { totalCount nodes { id code } }
  districts { totalCount nodes { code name } }
  townships(first: 1) { totalCount }
  contractors(first: 20) { totalCount nodes { id } }
}
"""

#: Everything that hangs off a published contract; only acceptances (once published) may show.
CONTRACT_DETAIL = """
query ContractDetail {
  contracts(first: 40) {
    nodes {
      id
      history(first: 5) { totalCount nodes { id } }
      ledger { id }
      serviceEntries(first: 5) { totalCount nodes { id } }
      instalments(first: 5) { totalCount nodes { id } }
      payments(first: 5) { totalCount nodes { id } }
      inspections(first: 5) { totalCount nodes { id } }
      amendments(first: 5) { totalCount nodes { id } }
      acceptances(first: 5) { totalCount nodes { id publishedOn } }
      contractor {
        id
        attestations(first: 5) { totalCount }
        violations(first: 5) { totalCount }
        eligible
        eligibilityProblems { condition }
      }
      project { id status plan { id } planLines { id } }
    }
  }
}
"""

PRIVATE_LISTS = (
    "purchasePlans",
    "beneficiaries",
    "serviceEntries",
    "fundEntries",
    "staffMembers",
    "coordinators",
    "mutualAidAssociations",
    "mutualAidSubsidies",
    "trainingSessions",
)
HIDDEN_CHILDREN = ("history", "serviceEntries", "instalments", "payments", "inspections", "amendments")


@pytest.fixture(scope="module")
async def public_lists(api: Api) -> dict:
    """Every root list as the public sees it."""
    return await all_lists(api, PUBLIC)


async def test_reference_data_is_readable(api: Api, city: CityView) -> None:
    seen = await data(api, REFERENCE, user=PUBLIC)
    assert seen["me"] is None
    assert seen["catalogueItems"]["totalCount"] == len(seen["catalogueItems"]["nodes"]) >= 20
    assert seen["districts"]["totalCount"] == 7
    assert seen["townships"]["totalCount"] >= 90


async def test_contracts_are_only_the_published_ones(public_lists: dict, city: CityView) -> None:
    everything = city.rows("contracts")
    published = [c for c in everything if c["publishedOn"] is not None]
    unpublished = {c["status"] for c in everything if c["publishedOn"] is None}
    assert {"DRAFT", "SIGNED"} <= unpublished, "the demo data must hold unpublished contracts"
    assert published
    seen = public_lists["contracts"]["nodes"]
    assert public_lists["contracts"]["totalCount"] == len(seen)
    assert ids(seen) == ids(published)
    assert all(c["publishedOn"] is not None for c in seen)
    assert not {c["status"] for c in seen} & {"DRAFT", "SIGNED"}


async def test_procurement_projects_are_never_preparing(public_lists: dict, city: CityView) -> None:
    everything = city.rows("procurementProjects")
    assert any(p["status"] == "PREPARING" for p in everything), "the demo data must hold a project in preparation"
    seen = public_lists["procurementProjects"]["nodes"]
    assert ids(seen) == ids(p for p in everything if p["status"] != "PREPARING")
    assert "PREPARING" not in {p["status"] for p in seen}


@pytest.mark.parametrize("name", PRIVATE_LISTS)
async def test_private_lists_are_empty(public_lists: dict, city: CityView, name: str) -> None:
    assert city.lists[name]["totalCount"] > 0, f"the demo data must hold {name}"
    assert public_lists[name]["totalCount"] == 0
    assert public_lists[name]["nodes"] == []


async def test_contractors_are_only_those_of_published_contracts(api: Api, city: CityView) -> None:
    named = {c["contractor"]["id"] for c in city.rows("contracts") if c["publishedOn"] is not None}
    seen = await data(api, REFERENCE, user=PUBLIC)
    assert ids(seen["contractors"]["nodes"]) == named
    hidden = set(city.contractor_ids.values()) - named
    assert hidden, "the demo data must hold contractors without a published contract"
    found = await nodes_by_id(api, sorted(hidden), user=PUBLIC)
    assert {k: v for k, v in found.items() if v is not None} == {}


async def test_contract_detail_stays_hidden(api: Api, city: CityView) -> None:
    contracts = (await data(api, CONTRACT_DETAIL, user=PUBLIC))["contracts"]["nodes"]
    assert contracts
    acceptances = set()
    for contract in contracts:
        assert contract["ledger"] is None, contract["id"]
        for child in HIDDEN_CHILDREN:
            assert contract[child] == {"totalCount": 0, "nodes": []}, (contract["id"], child)
        shown = contract["acceptances"]["nodes"]
        assert contract["acceptances"]["totalCount"] == len(shown)
        acceptances |= ids(shown)
        contractor = contract["contractor"]
        assert contractor is not None
        assert contractor["attestations"]["totalCount"] == 0
        assert contractor["violations"]["totalCount"] == 0
        assert contractor["eligible"] is None
        assert contractor["eligibilityProblems"] is None
        assert contract["project"] is not None
        assert contract["project"]["status"] != "PREPARING"
        assert contract["project"]["plan"] is None
        assert contract["project"]["planLines"] == []
    assert acceptances, "published acceptance results are public"
    assert acceptances <= city.published_acceptances
    unpublished = {a.id for a in city.of_type("Acceptance")} - city.published_acceptances
    assert unpublished, "the demo data must hold an unpublished acceptance"


async def test_node_of_anything_unpublished_is_null(api: Api, city: CityView) -> None:
    contracts = city.rows("contracts")
    unpublished = [c["id"] for c in contracts if c["publishedOn"] is None]
    preparing = [p["id"] for p in city.rows("procurementProjects") if p["status"] == "PREPARING"]
    hidden_acceptances = sorted({a.id for a in city.of_type("Acceptance")} - city.published_acceptances)
    private_types = sorted(city.types() - {"Contract", "ProcurementProject", "ProcurementLot", "Acceptance"})
    hidden = unpublished + preparing + hidden_acceptances
    for type_name in private_types:
        hidden += [o.id for o in city.of_type(type_name)][:3]
    assert len(unpublished) >= 2
    assert preparing
    assert hidden_acceptances
    visible = [
        next(c["id"] for c in contracts if c["publishedOn"] is not None),
        next(p["id"] for p in city.rows("procurementProjects") if p["status"] == "AWARDED"),
        sorted(city.published_acceptances)[0],
    ]
    found = await nodes_by_id(api, visible + hidden, user=PUBLIC)
    assert all(found[v] is not None for v in visible), "published objects are readable by ID"
    leaked = {h: found[h] for h in hidden if found[h] is not None}
    assert not leaked, f"the public reads unpublished or private objects: {leaked}"
