"""Change history through a real mutation: who changed what and when, before/after, and who may read it.
Also the mutation conventions: typed errors, and a refusal changes nothing."""

from __future__ import annotations

from models import ChangeRecord, Contractor
from tests.helpers import Api

MY_CONTRACTOR = "{ me { roles { contractor { id name contactPhone } } } }"
UPDATE = """
mutation($id: ID!, $phone: String, $person: String) {
  updateContractorProfile(input: {contractor: $id, contactPhone: $phone, contactPerson: $person}) {
    contractor { id contactPhone contactPerson }
    errors { code message field }
  }
}
"""
HISTORY = """
query($id: ID!) { node(id: $id) { ... on Contractor { history { totalCount edges { node {
  action actorName at before after entityType
} } } } } }
"""


async def _mine(api: Api, clerk: str) -> dict:
    data = await api.data(MY_CONTRACTOR, as_user=clerk)
    return data["me"]["roles"][0]["contractor"]


async def _phone(contractor_id: str) -> str:
    from schema.relay import decode_id

    return (await Contractor.get(id=int(decode_id(contractor_id)[1]))).contact_phone


async def test_own_profile_update_is_recorded_in_history(api: Api) -> None:
    mine = await _mine(api, "anhe_clerk")
    before_count = await ChangeRecord.filter(entity_type="Contractor").count()
    data = await api.data(UPDATE, {"id": mine["id"], "phone": "0523-86881234"}, as_user="anhe_clerk")
    payload = data["updateContractorProfile"]
    assert payload["errors"] == []
    assert payload["contractor"]["contactPhone"] == "0523-86881234"
    assert await ChangeRecord.filter(entity_type="Contractor").count() == before_count + 1

    history = (await api.data(HISTORY, {"id": mine["id"]}, as_user="anhe_clerk"))["node"]["history"]
    last = history["edges"][-1]["node"]
    assert last["action"] == "UPDATE"
    assert "anhe_clerk" in last["actorName"]
    assert last["before"] == {"contact_phone": mine["contactPhone"]}
    assert last["after"] == {"contact_phone": "0523-86881234"}
    assert last["entityType"] == "Contractor"

    # The city civil affairs bureau reads every history; a district agency has no history of contractors.
    city = (await api.data(HISTORY, {"id": mine["id"]}, as_user="city_civil_affairs"))["node"]["history"]
    assert city["totalCount"] == history["totalCount"] >= 1
    agency = (await api.data(HISTORY, {"id": mine["id"]}, as_user="hailing_agency"))["node"]["history"]
    assert agency["totalCount"] == 0
    # The public cannot even see a contractor without published contracts' history.
    public = (await api.data(HISTORY, {"id": mine["id"]}))["node"]
    assert public is None or public["history"]["totalCount"] == 0


async def test_refusals_are_typed_and_change_nothing(api: Api) -> None:
    mine = await _mine(api, "mingde_clerk")
    phone = await _phone(mine["id"])
    records = await ChangeRecord.all().count()

    cases = [
        ("mingde_clerk", {"id": mine["id"], "phone": "12345"}, "INVALID_PHONE", "contactPhone"),
        ("mingde_clerk", {"id": mine["id"], "person": "   "}, "REQUIRED", "contactPerson"),
        ("mingde_clerk", {"id": mine["id"], "person": "张" * 51}, "TOO_LONG", "contactPerson"),
        ("mingde_clerk", {"id": mine["id"]}, "NOTHING_TO_CHANGE", None),
        ("hailing_agency", {"id": mine["id"], "phone": "13900000000"}, "FORBIDDEN", "contractor"),
        ("city_civil_affairs", {"id": mine["id"], "phone": "13900000000"}, "FORBIDDEN", "contractor"),
        ("xinyuan_clerk", {"id": mine["id"], "phone": "13900000000"}, "NOT_FOUND", "contractor"),
        # the public sees contractors named in published contracts, so this one is visible but not writable
        (None, {"id": mine["id"], "phone": "13900000000"}, "FORBIDDEN", "contractor"),
        ("mingde_clerk", {"id": "not-an-id", "phone": "13900000000"}, "NOT_FOUND", "contractor"),
    ]
    for user, variables, code, field in cases:
        data = await api.data(UPDATE, variables, as_user=user)
        payload = data["updateContractorProfile"]
        assert payload["contractor"] is None, (user, code)
        assert [(e["code"], e["field"]) for e in payload["errors"]][:1] == [(code, field)], (user, payload)
        assert all(e["message"] for e in payload["errors"])

    assert await _phone(mine["id"]) == phone
    assert await ChangeRecord.all().count() == records
