"""Beneficiaries' ID and phone numbers are clear only for the implementing agency (实施主体) of the
beneficiary's own district, masked for everyone else (``3212**********123X``, ``139****5678``), and
an ID-number lookup never finds a beneficiary outside the caller's scope (DOMAIN.md §5)."""

from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.security.support import CLEAR_ID, CLERKS, DISTRICTS, MASKED_ID, call, data, error_codes

BENEFICIARIES = """
query Beneficiaries {
  beneficiaries(first: 100) { totalCount nodes { id idNumber phone district { code } } }
}
"""

#: The beneficiaries a caller meets through ledger entries.
THROUGH_LEDGERS = """
query ThroughLedgers {
  contracts(first: 20) {
    nodes { ledger { serviceEntries(first: 30) { nodes { beneficiary { id idNumber phone } } } } }
  }
}
"""

#: One ID-number lookup per district (``$d321202`` …), in one request.
LOOKUP = "query Lookup({params}) {{ {fields} }}".format(
    params=", ".join(f"$d{code}: String" for code in DISTRICTS),
    fields=" ".join(
        f"d{code}: beneficiaries(idNumber: $d{code}) {{ totalCount nodes {{ id }} }}" for code in DISTRICTS
    ),
)

LOOKUP_ONE = """
query LookupOne($idNumber: String) { beneficiaries(idNumber: $idNumber) { totalCount nodes { id idNumber } } }
"""

Truth = dict[str, tuple[str, str, str | None]]  # beneficiary ID → (district, ID number, phone)


def mask_id(value: str) -> str:
    """First 4, ten stars, last 4."""
    return value[:4] + "*" * 10 + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """``13912345678`` → ``139****5678``."""
    return None if value is None else value[:3] + "*" * (len(value) - 7) + value[-4:]


def assert_masked(node: dict, truth: Truth) -> None:
    """``node`` shows the masked form of the clear values of its beneficiary, never the clear ones."""
    _, clear_id, clear_phone = truth[node["id"]]
    assert MASKED_ID.match(node["idNumber"]), node
    assert node["idNumber"] == mask_id(clear_id)
    assert node["phone"] == mask_phone(clear_phone)
    assert node["idNumber"] != clear_id
    assert clear_phone is None or node["phone"] != clear_phone


@pytest.fixture(scope="module")
async def truth(api: Api) -> Truth:
    """Clear ID and phone numbers of every beneficiary, as the agency of each district reads them."""
    out: Truth = {}
    for slug in DISTRICTS.values():
        for node in (await data(api, BENEFICIARIES, user=f"{slug}_agency"))["beneficiaries"]["nodes"]:
            out[node["id"]] = (node["district"]["code"], node["idNumber"], node["phone"])
    return out


@pytest.mark.parametrize("code", DISTRICTS)
async def test_agency_reads_its_own_district_in_clear(api: Api, truth: Truth, code: str) -> None:
    own = {k: v for k, v in truth.items() if v[0] == code}
    assert own, f"no beneficiaries in {code}"
    for _, id_number, phone in own.values():
        assert CLEAR_ID.match(id_number), id_number
        assert phone is None or (phone.isdigit() and "*" not in phone), phone
    assert any(phone for _, _, phone in own.values()), "some phones must be on file to test their masking"


async def test_the_agencies_together_read_every_beneficiary(api: Api, truth: Truth) -> None:
    city = (await data(api, BENEFICIARIES, user="city_civil_affairs"))["beneficiaries"]
    assert city["totalCount"] == len(truth) == len(city["nodes"]) > 0


@pytest.mark.parametrize("code", DISTRICTS)
async def test_purchaser_sees_its_district_masked(api: Api, truth: Truth, code: str) -> None:
    seen = (await data(api, BENEFICIARIES, user=f"{DISTRICTS[code]}_purchaser"))["beneficiaries"]["nodes"]
    assert {n["id"] for n in seen} == {k for k, v in truth.items() if v[0] == code}
    for node in seen:
        assert_masked(node, truth)


async def test_city_civil_affairs_sees_everyone_masked(api: Api, truth: Truth) -> None:
    seen = (await data(api, BENEFICIARIES, user="city_civil_affairs"))["beneficiaries"]["nodes"]
    assert {n["id"] for n in seen} == set(truth)
    for node in seen:
        assert_masked(node, truth)


@pytest.mark.parametrize("clerk", sorted(set(CLERKS) - {"huimin_clerk"}))
async def test_contractor_sees_its_beneficiaries_masked(api: Api, truth: Truth, clerk: str) -> None:
    listed = (await data(api, BENEFICIARIES, user=clerk))["beneficiaries"]["nodes"]
    contracts = (await data(api, THROUGH_LEDGERS, user=clerk))["contracts"]["nodes"]
    served = [
        e["beneficiary"]
        for c in contracts
        if c["ledger"]
        for e in c["ledger"]["serviceEntries"]["nodes"]
        if e["beneficiary"] is not None
    ]
    assert listed, f"{clerk} must have served someone"
    assert served, f"{clerk} must have ledger entries with a beneficiary"
    assert {n["id"] for n in served} <= {n["id"] for n in listed}
    for node in listed + served:
        assert_masked(node, truth)


async def test_agency_reads_clear_through_its_ledgers(api: Api, truth: Truth) -> None:
    contracts = (await data(api, THROUGH_LEDGERS, user="hailing_agency"))["contracts"]["nodes"]
    served = [
        e["beneficiary"]
        for c in contracts
        if c["ledger"]
        for e in c["ledger"]["serviceEntries"]["nodes"]
        if e["beneficiary"] is not None
    ]
    assert served
    for node in served:
        district, clear_id, clear_phone = truth[node["id"]]
        assert district == "321202"
        assert (node["idNumber"], node["phone"]) == (clear_id, clear_phone)


def one_id_per_district(truth: Truth) -> dict[str, str]:
    """``{"d321202": <clear ID number of a 321202 beneficiary>, …}``."""
    out: dict[str, str] = {}
    for district, id_number, _ in truth.values():
        out.setdefault(f"d{district}", id_number)
    assert len(out) == len(DISTRICTS)
    return out


@pytest.mark.parametrize(
    ("user", "code"),
    [
        pytest.param(f"{slug}_{role}", code, id=f"{slug}_{role}")
        for code, slug in DISTRICTS.items()
        for role in ("purchaser", "agency")
    ],
)
async def test_id_number_lookup_finds_nobody_of_another_district(api: Api, truth: Truth, user: str, code: str) -> None:
    found = await data(api, LOOKUP, one_id_per_district(truth), user=user)
    assert found[f"d{code}"]["totalCount"] == 1, "its own beneficiary is found"
    leaked = {k: v for k, v in found.items() if k != f"d{code}" and (v["totalCount"] or v["nodes"])}
    assert not leaked, f"{user} finds other districts' beneficiaries by ID number: {leaked}"


@pytest.mark.parametrize(
    "user", ["city_finance", "hailing_finance", None], ids=["city_finance", "hailing_finance", "public"]
)
async def test_id_number_lookup_finds_nothing_for_finance_or_public(api: Api, truth: Truth, user: str | None) -> None:
    found = await data(api, LOOKUP, one_id_per_district(truth), user=user)
    assert all(v == {"totalCount": 0, "nodes": []} for v in found.values()), found


async def test_contractor_lookup_finds_only_those_it_served(api: Api, truth: Truth) -> None:
    served = {n["id"] for n in (await data(api, BENEFICIARIES, user="anhe_clerk"))["beneficiaries"]["nodes"]}
    assert served
    mine = truth[sorted(served)[0]][1]
    other = next(v[1] for k, v in truth.items() if k not in served)
    assert (await data(api, LOOKUP_ONE, {"idNumber": mine}, user="anhe_clerk"))["beneficiaries"]["totalCount"] == 1
    assert (await data(api, LOOKUP_ONE, {"idNumber": other}, user="anhe_clerk"))["beneficiaries"] == {
        "totalCount": 0,
        "nodes": [],
    }


async def test_a_masked_id_number_is_not_a_lookup_key(api: Api, truth: Truth) -> None:
    masked = mask_id(next(iter(truth.values()))[1])
    body = await call(api, LOOKUP_ONE, {"idNumber": masked}, user="hailing_purchaser")
    assert body["data"] is None
    assert error_codes(body) == ["INVALID_ID_NUMBER"]
