"""The reference picture every isolation test compares against: everything the city civil affairs
bureau (which reads all districts) sees, collected once per session over HTTP."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers import Api
from tests.security.support import CLERKS, all_lists, code_of, data, type_of

CITY = "city_civil_affairs"

#: Objects that hang off contracts, plans, training sessions and townships (no root list of their own).
NESTED_IDS = """
query NestedIds {
  contracts(first: 40) {
    nodes {
      id district { code } contractor { id }
      ledger { id }
      instalments(first: 5) { nodes { id } }
      payments(first: 5) { nodes { id } }
      inspections(first: 8) { nodes { id } }
      acceptances(first: 5) { nodes { id publishedOn } }
      amendments(first: 5) { nodes { id } }
    }
  }
  purchasePlans(first: 30) { nodes { id district { code } lines(first: 10) { nodes { id } } } }
  trainingSessions(first: 30) { nodes { id attendance(first: 20) { nodes { id district { code } } } } }
  townships(first: 100) { nodes { code district { code } communities(first: 3) { nodes { id } } } }
  contractors(first: 20) { nodes { id creditCode } }
}
"""


@dataclass(frozen=True, slots=True)
class Obj:
    """One object of the demo data: its global ID, type, district and owning contractor (if any)."""

    id: str
    type: str
    district: str | None
    contractor: str | None


@dataclass
class CityView:
    """Everything the city sees: the root lists (all pages) and every object with its owners."""

    lists: dict[str, dict[str, Any]]
    objects: list[Obj]
    contractor_ids: dict[str, str]  # credit code → Contractor global ID
    published_acceptances: set[str] = field(default_factory=set)

    def rows(self, name: str, district: str | None = None) -> list[dict[str, Any]]:
        """Nodes of root list ``name`` (of one district when given)."""
        nodes = self.lists[name]["nodes"]
        return nodes if district is None else [n for n in nodes if code_of(n) == district]

    def of_type(self, type_name: str) -> list[Obj]:
        """Objects of one type."""
        return [o for o in self.objects if o.type == type_name]

    def types(self) -> set[str]:
        """Every type of object collected."""
        return {o.type for o in self.objects}

    def contractor_of(self, clerk: str) -> str:
        """Global ID of the contractor ``clerk`` works for."""
        return self.contractor_ids[CLERKS[clerk]]


def _collect(lists: dict[str, dict[str, Any]], nested: dict[str, Any]) -> list[Obj]:
    objects: list[Obj] = []

    def add(node_id: str, district: str | None, contractor: str | None = None) -> None:
        objects.append(Obj(node_id, type_of(node_id), district, contractor))

    def contractor_id(node: dict[str, Any]) -> str | None:
        c = node.get("contractor")
        return None if c is None else c["id"]

    for name, conn in lists.items():
        for node in conn["nodes"]:
            add(node["id"], code_of(node), contractor_id(node))
            if name == "procurementProjects":
                for lot in node["lots"]["nodes"]:
                    won = lot["awardedContractor"]
                    add(lot["id"], code_of(node), None if won is None else won["id"])
    for contract in nested["contracts"]["nodes"]:
        district, contractor = code_of(contract), contractor_id(contract)
        if contract["ledger"] is not None:
            add(contract["ledger"]["id"], district, contractor)
        for child in ("instalments", "payments", "inspections", "acceptances", "amendments"):
            for node in contract[child]["nodes"]:
                add(node["id"], district, contractor)
    for plan in nested["purchasePlans"]["nodes"]:
        for line in plan["lines"]["nodes"]:
            add(line["id"], code_of(plan))
    for session in nested["trainingSessions"]["nodes"]:
        for attendance in session["attendance"]["nodes"]:
            add(attendance["id"], code_of(attendance))
    for township in nested["townships"]["nodes"]:
        for community in township["communities"]["nodes"]:
            add(community["id"], code_of(township))
    return objects


@pytest.fixture(scope="session")
async def city(api: Api) -> CityView:
    """The city civil affairs bureau's view of the demo data (the reference for every isolation test)."""
    lists = await all_lists(api, CITY)
    nested = await data(api, NESTED_IDS, user=CITY)
    assert len(nested["contracts"]["nodes"]) == lists["contracts"]["totalCount"], "raise first: in NESTED_IDS"
    view = CityView(
        lists=lists,
        objects=_collect(lists, nested),
        contractor_ids={c["creditCode"]: c["id"] for c in nested["contractors"]["nodes"]},
        published_acceptances={
            a["id"]
            for c in nested["contracts"]["nodes"]
            for a in c["acceptances"]["nodes"]
            if a["publishedOn"] is not None
        },
    )
    # The fixture itself must not be empty, or every isolation test would pass vacuously.
    counts: dict[str, int] = defaultdict(int)
    for obj in view.objects:
        counts[obj.type] += 1
    for type_name in (
        "Contract",
        "PurchasePlan",
        "PlanLine",
        "ProcurementProject",
        "ProcurementLot",
        "Beneficiary",
        "ServiceEntry",
        "FundEntry",
        "Ledger",
        "Payment",
        "PaymentInstalment",
        "Inspection",
        "Acceptance",
        "Amendment",
        "StaffMember",
        "Coordinator",
        "Community",
        "MutualAidAssociation",
        "MutualAidSubsidy",
        "TrainingSession",
        "TrainingAttendance",
    ):
        assert counts[type_name] > 0, f"demo data has no {type_name}"
    assert set(CLERKS.values()) <= set(view.contractor_ids), "a demo clerk's contractor is missing"
    return view
