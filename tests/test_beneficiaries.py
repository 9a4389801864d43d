"""Beneficiaries (救助对象) through ledger entries: found by exact, validated ID-card number or registered in the
contract's district; the number is readable in clear only by that district's implementing agency; a contractor
sees only the beneficiaries of its own entries; finance and the public see counts only (DOMAIN.md §5)."""

from __future__ import annotations

import re

import pytest

from models import Beneficiary, ChangeRecord, Contract, Ledger
from models.crypto import is_sealed, seal
from tests.helpers import Api, raw_rows
from tests.security.test_personal_data_at_rest import LABEL
from tests.test_ledger_entries import (
    AGENCY,
    CLERK,
    add,
    codes,
    gid,
    ledger_state,
    make_contract,
    new_id_number,
)

MASKED = re.compile(r"^\d{4}\*{10}\d{3}[\dX]$")

PEOPLE = """
query($number: String, $contract: ID!) {
  beneficiaries(idNumber: $number) { totalCount nodes { id name idNumber district { code } } }
  ledgerSummary(contract: $contract) { beneficiaryCount serviceEntryCount }
}
"""
LEDGER_PEOPLE = """
query($id: ID!) { node(id: $id) { ... on Contract { ledger { beneficiaryCount serviceEntries(first: 50) {
  nodes { beneficiary { id name idNumber } }
} } } } }
"""
HISTORY = """
query($id: ID!) { node(id: $id) { ... on Beneficiary { history { nodes { action after } } } } }
"""


@pytest.fixture
async def open_contract() -> tuple[Contract, Ledger]:
    """A fresh contract in performance with an empty ledger (plans of 2092)."""
    contract, ledger = await make_contract(year=2092)
    assert ledger is not None
    return contract, ledger


async def test_a_new_number_registers_the_person_in_the_contracts_district(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, _ = open_contract
    number = new_id_number()
    payload = await add(api, contract, beneficiaryIdNumber=number.lower(), beneficiaryName="孙 秀英")
    assert payload["errors"] == []
    person = payload["serviceEntry"]["beneficiary"]
    assert person["name"] == "孙 秀英"
    assert person["idNumber"] != number
    assert MASKED.match(person["idNumber"])  # the clerk who typed it reads it masked
    row = await Beneficiary.get(id_number=number)
    assert (row.district_id, row.township_id, row.assistance_category) == (
        "321202",
        payload["serviceEntry"]["township"]["code"],
        "tekun",
    )

    # Found again by exact number: no second person, the same one is referenced (names compared without spaces).
    again = await add(api, contract, beneficiaryIdNumber=number, beneficiaryName="孙秀英")
    assert again["errors"] == []
    assert again["serviceEntry"]["beneficiary"]["id"] == person["id"]
    assert await Beneficiary.filter(id_number=number).count() == 1

    # The agency of the district reads the number in clear; the history keeps it masked.
    agency = await api.data(PEOPLE, {"number": number, "contract": gid("Contract", contract.pk)}, as_user=AGENCY)
    assert agency["beneficiaries"]["nodes"] == [
        {"id": person["id"], "name": "孙 秀英", "idNumber": number, "district": {"code": "321202"}}
    ]
    assert agency["ledgerSummary"] == {"beneficiaryCount": 1, "serviceEntryCount": 2}
    history = (await api.data(HISTORY, {"id": person["id"]}, as_user=AGENCY))["node"]["history"]["nodes"]
    assert [h["action"] for h in history] == ["CREATE"]
    assert MASKED.match(history[0]["after"]["id_number"])
    assert number not in str(await ChangeRecord.filter(entity_type="Beneficiary").values_list("after", flat=True))


async def test_identity_refusals_write_nothing(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    number = new_id_number()
    assert (await add(api, contract, beneficiaryIdNumber=number, beneficiaryName="周建国"))["errors"] == []
    before = await ledger_state(ledger)
    people = await Beneficiary.all().count()
    elsewhere = await Beneficiary.filter(district_id="321203").first()
    assert elsewhere is not None
    bad_check = number[:17] + ("0" if number[17] != "0" else "1")
    cases = [
        (
            {"beneficiaryIdNumber": number, "beneficiaryName": "周建华"},
            "BENEFICIARY_NOT_MATCHED",
            "entry.beneficiaryIdNumber",
        ),
        (
            {"beneficiaryIdNumber": bad_check, "beneficiaryName": "周建国"},
            "INVALID_ID_NUMBER",
            "entry.beneficiaryIdNumber",
        ),
        (
            {"beneficiaryIdNumber": "3212", "beneficiaryName": "周建国"},
            "INVALID_ID_NUMBER",
            "entry.beneficiaryIdNumber",
        ),
        ({"beneficiaryIdNumber": new_id_number()}, "REQUIRED", "entry.beneficiaryName"),
        ({"beneficiaryName": "无号码"}, "REQUIRED", "entry.beneficiaryIdNumber"),
        (
            {"beneficiaryIdNumber": elsewhere.id_number, "beneficiaryName": elsewhere.name},
            "BENEFICIARY_NOT_MATCHED",
            "entry.beneficiaryIdNumber",
        ),
    ]
    for overrides, code, field in cases:
        payload = await add(api, contract, **overrides)
        assert codes(payload) == [(code, field)], overrides
    assert await ledger_state(ledger) == before
    assert await Beneficiary.all().count() == people


async def test_two_rows_naming_one_new_person_differently(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    from tests.test_ledger_bulk import rows, submit

    number = new_id_number()
    service = await rows(2)
    service[0] |= {"beneficiaryIdNumber": number, "beneficiaryName": "吴敏"}
    service[1] |= {"beneficiaryIdNumber": number, "beneficiaryName": "吴明"}
    payload = await submit(api, contract, version=0, service=service)
    assert [(e["code"], e["row"]) for e in payload["errors"]] == [("BENEFICIARY_NOT_MATCHED", 1)]
    assert await Beneficiary.filter(id_number=number).count() == 0
    assert await ledger_state(ledger) == (0, 0, 0)


async def test_masking_and_scope_for_every_role(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, _ = open_contract
    number = new_id_number()
    person = (await add(api, contract, beneficiaryIdNumber=number, beneficiaryName="郑桂兰"))["serviceEntry"]
    variables = {"number": number, "contract": gid("Contract", contract.pk)}
    ledger_vars = {"id": gid("Contract", contract.pk)}

    # In clear: the agency of the district only.
    agency = await api.data(LEDGER_PEOPLE, ledger_vars, as_user=AGENCY)
    assert agency["node"]["ledger"]["serviceEntries"]["nodes"][0]["beneficiary"]["idNumber"] == number
    # Masked: the purchasing entity, the city bureau and the contractor that served them.
    for user in ("hailing_purchaser", "city_civil_affairs", CLERK):
        seen = await api.data(PEOPLE, variables, as_user=user)
        assert seen["beneficiaries"]["totalCount"] == 1, user
        assert seen["beneficiaries"]["nodes"][0]["idNumber"] == number[:4] + "*" * 10 + number[-4:], user
        through = await api.data(LEDGER_PEOPLE, ledger_vars, as_user=user)
        masked = through["node"]["ledger"]["serviceEntries"]["nodes"][0]["beneficiary"]
        assert masked["id"] == person["beneficiary"]["id"]
        assert MASKED.match(masked["idNumber"]), user
    # Another contractor, another district, finance and the public: not the person, only counts where allowed.
    for user in ("anhe_clerk", "gaogang_agency", "city_finance", "hailing_finance", None):
        seen = await api.data(PEOPLE, variables, as_user=user)
        assert seen["beneficiaries"] == {"totalCount": 0, "nodes": []}, user
        through = (await api.data(LEDGER_PEOPLE, ledger_vars, as_user=user))["node"]
        assert through is None or through["ledger"] is None, user
        if user in ("city_finance", "hailing_finance", None):
            assert seen["ledgerSummary"] == {"beneficiaryCount": 1, "serviceEntryCount": 1}, user
        else:
            assert seen["ledgerSummary"] is None, user


async def test_contractor_sees_only_people_of_its_own_entries(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, _ = open_contract
    number = new_id_number()
    assert (await add(api, contract, beneficiaryIdNumber=number, beneficiaryName="冯淑珍"))["errors"] == []
    # anhe (another contractor of 321202) may not learn of this person, even by the exact number.
    query = "query($n: String) { beneficiaries(idNumber: $n) { totalCount } }"
    assert (await api.data(query, {"n": number}, as_user="anhe_clerk"))["beneficiaries"]["totalCount"] == 0
    assert (await api.data(query, {"n": number}, as_user=CLERK))["beneficiaries"]["totalCount"] == 1
    summaries = """
    query { ledgerSummaries(first: 100, district: "321202") { nodes { contract { id } beneficiaryCount } } }
    """
    mine = (await api.data(summaries, as_user=CLERK))["ledgerSummaries"]["nodes"]
    assert {"contract": {"id": gid("Contract", contract.pk)}, "beneficiaryCount": 1} in mine
    theirs = (await api.data(summaries, as_user="anhe_clerk"))["ledgerSummaries"]["nodes"]
    assert all(n["contract"]["id"] != gid("Contract", contract.pk) for n in theirs)


async def test_the_number_is_sealed_in_the_table_and_clear_through_the_api(api: Api) -> None:
    contract, _ = await make_contract(year=2092)
    number = new_id_number()
    payload = await add(api, contract, beneficiaryIdNumber=number, beneficiaryName="封存测试")
    assert payload["errors"] == []
    person = await Beneficiary.get(id_number=number)  # exact lookups still work

    stored = (await raw_rows("SELECT id_number FROM beneficiary WHERE id = ?", person.pk))[0]["id_number"]
    assert is_sealed(stored)
    assert number not in stored
    assert number[6:14] not in stored  # not even the birth date
    # Deterministic: the same number seals the same way, so the unique index still refuses a second person.
    assert seal(number, LABEL) == stored
    assert await Beneficiary.filter(id_number__in=[number, new_id_number()]).count() == 1

    agency = await api.data(PEOPLE, {"number": number, "contract": gid("Contract", contract.pk)}, as_user=AGENCY)
    assert agency["beneficiaries"]["nodes"][0]["idNumber"] == number
