"""A contractor cannot use ledger submissions to learn who is a registered beneficiary (models/beneficiary_matching).

Before: rows with arbitrary ID numbers and a dummy name answered per row BENEFICIARY_OUTSIDE_DISTRICT (registered
in another district), BENEFICIARY_MISMATCH (registered here) or nothing (unknown) — 500 numbers a request,
unlimited. Now a number registered elsewhere, registered here under another name, or served by this contractor
under another name all answer the same BENEFICIARY_NOT_MATCHED; after 20 failed matches in 15 minutes an account
is refused (TOO_MANY_ATTEMPTS, with the time to retry) any submission naming people its contractor has not
served, in every worker, because the counts live in the database.

Each test signs in as throwaway accounts of a contractor of this module only, on contracts of its own, and
removes their failed matches afterwards, so no other test meets the limit or sees its data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc

from models import (
    Beneficiary,
    BeneficiaryMatchFailure,
    Contract,
    Contractor,
    Ledger,
    RoleAssignment,
    ServiceEntry,
    User,
)
from models.accounts import hash_password
from models.enums import AssistanceCategory, ContractorKind, Role
from tests.helpers import Api
from tests.servers import STARTUP_TIMEOUT, Instance
from tests.test_ledger_bulk import SUBMIT, rows
from tests.test_ledger_entries import GAOGANG, HAILING, gid, ledger_state, make_contract, new_id_number

PASSWORD = "Probe-Test-Kx7#mVq2"
PROBER = "探测测试社会工作服务中心"
_PEOPLE: list[int] = []  # beneficiaries made by _person, removed by the ``accounts`` fixture when unused
LIMIT = 20


@pytest.fixture
async def accounts() -> AsyncIterator[list[str]]:
    """Usernames of the throwaway accounts a test makes (with ``_clerk``); their failed matches go afterwards."""
    made: list[str] = []
    yield made
    await BeneficiaryMatchFailure.filter(account__in=made).delete()
    # The people made for probing that no entry names (the refused submissions wrote none): other modules count
    # the demo data's beneficiaries in one page.
    unused = set(_PEOPLE) - set(
        await ServiceEntry.filter(beneficiary_id__in=_PEOPLE).values_list("beneficiary_id", flat=True)
    )
    await Beneficiary.filter(pk__in=unused).delete()
    _PEOPLE.clear()


async def _contractor() -> Contractor:
    """A contractor of this module only: its contracts and failed matches touch no demo contractor (the isolation
    tests compare each demo contractor's view with the city's)."""
    existing = await Contractor.get_or_none(name=PROBER)
    if existing is not None:
        return existing
    body = "523212" + "00" + "MJ" + f"{uuid.uuid4().int % 10**7:07d}"
    return await Contractor.create(
        name=PROBER,
        credit_code=body + uscc.calc_check_digit(body),
        kind=ContractorKind.SOCIAL_ORGANISATION,
        registration_authority="泰州市民政局",
        contact_person="测试",
        contact_phone="0523-86000000",
    )


async def _clerk(made: list[str]) -> str:
    contractor = await _contractor()
    username = f"t_probe_{uuid.uuid4().hex[:8]}"
    user = await User.create(username=username, password_hash=hash_password(PASSWORD), display_name="探测测试")
    await RoleAssignment.create(user=user, role=Role.CONTRACTOR, domain=f"contractor:{contractor.pk}")
    made.append(username)
    return username


async def _person(district: str, name: str) -> Beneficiary:
    """Someone registered in ``district`` whom the test contractor never served."""
    person = await Beneficiary.create(
        district_id=district,
        name=name,
        id_number=new_id_number(district),
        assistance_category=AssistanceCategory.TEKUN,
    )
    _PEOPLE.append(person.pk)
    return person


async def _submit(api: Api, token: str, contract: Contract, people: list[tuple[str, str]]) -> dict[str, Any]:
    service = await rows(len(people))
    for row, (number, name) in zip(service, people, strict=True):
        row |= {"beneficiaryIdNumber": number, "beneficiaryName": name}
    response = await api.post(SUBMIT, await _input(contract, service), token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["submitLedgerEntries"]


async def _input(contract: Contract, service: list[dict[str, Any]]) -> dict[str, Any]:
    version = (await Ledger.get(contract_id=contract.pk)).version
    return {
        "input": {
            "contract": gid("Contract", contract.pk),
            "expectedVersion": version,
            "idempotencyKey": uuid.uuid4().hex,
            "serviceEntries": service,
            "fundEntries": [],
        }
    }


async def _token(api: Api, username: str) -> str:
    payload = await api.login(username, PASSWORD)
    assert payload["token"], payload
    return payload["token"]


async def _open_contract() -> tuple[Contract, Ledger]:
    """A contract in performance of the module's contractor (built as the ledger tests build theirs)."""
    contract, ledger = await make_contract(year=2094)
    assert ledger is not None
    contractor = await _contractor()
    await Contract.filter(pk=contract.pk).update(contractor_id=contractor.pk)
    await Ledger.filter(pk=ledger.pk).update(contractor_id=contractor.pk)
    return await Contract.get(pk=contract.pk), await Ledger.get(pk=ledger.pk)


async def test_registered_elsewhere_here_or_served_answer_the_same(api: Api, accounts: list[str]) -> None:
    token = await _token(api, await _clerk(accounts))
    contract, ledger = await _open_contract()
    # Someone this contractor served (registered by its own earlier row), then the people it never served.
    served = new_id_number()
    assert (await _submit(api, token, contract, [(served, "钱秀兰")]))["errors"] == []
    here = await _person(HAILING, "孙桂英")
    elsewhere = await _person(GAOGANG, "李建国")
    before = (await ledger_state(ledger), await Beneficiary.all().count())

    dummy = "张三"
    payload = await _submit(
        api, token, contract, [(elsewhere.id_number, dummy), (here.id_number, dummy), (served, dummy)]
    )
    errors = payload["errors"]
    assert [e["row"] for e in errors] == [0, 1, 2]
    assert {(e["code"], e["message"], e["field"], e["article"]) for e in errors} == {
        (errors[0]["code"], errors[0]["message"], errors[0]["field"], errors[0]["article"])
    }
    assert errors[0]["code"] == "BENEFICIARY_NOT_MATCHED"
    assert "其他区" not in errors[0]["message"]
    # One by one, too: the same answer whatever the number's status.
    singles = [
        (await _submit(api, token, contract, [(n, dummy)]))["errors"] for n in (elsewhere.id_number, here.id_number)
    ]
    assert singles[0] == singles[1]
    # Registered elsewhere with the right name: still the same answer (it cannot go in this district's ledger).
    assert (await _submit(api, token, contract, [(elsewhere.id_number, "李建国")]))["errors"] == singles[0]
    assert (await ledger_state(ledger), await Beneficiary.all().count()) == before

    # What the contractor needs still works: its own people, and a person of the district named correctly.
    ok = await _submit(api, token, contract, [(served, "钱秀兰"), (here.id_number, "孙 桂英")])
    assert ok["errors"] == []
    assert ok["beneficiariesCreated"] == 0
    assert await BeneficiaryMatchFailure.filter(account=accounts[0]).count() == 6


async def test_twenty_failed_matches_lock_the_account_in_every_worker(
    api: Api, accounts: list[str], database_url: str, tmp_path: Path
) -> None:
    username = await _clerk(accounts)
    token = await _token(api, username)
    contract, ledger = await _open_contract()
    served = new_id_number()
    assert (await _submit(api, token, contract, [(served, "周秀珍")]))["errors"] == []
    strangers = [await _person(GAOGANG, f"王{i}") for i in range(LIMIT + 1)]

    first = await _submit(api, token, contract, [(p.id_number, "张三") for p in strangers[:LIMIT]])
    assert [e["code"] for e in first["errors"]] == ["BENEFICIARY_NOT_MATCHED"] * LIMIT
    assert await BeneficiaryMatchFailure.filter(account=username).count() == LIMIT
    state = await ledger_state(ledger)

    # Locked: anyone not served yet is refused before any lookup is answered — registered or not.
    for number in (strangers[LIMIT].id_number, new_id_number()):
        refused = await _submit(api, token, contract, [(number, "张三")])
        [error] = refused["errors"]
        assert error["code"] == "TOO_MANY_ATTEMPTS"
        assert error["row"] is None
        assert "分钟后" in error["message"]
    # The contractor's own people still go through.
    assert (await _submit(api, token, contract, [(served, "周秀珍")]))["errors"] == []
    assert (await ledger_state(ledger))[1] == state[1] + 1

    # Another worker (a separate uvicorn process on the same database) holds the account to the same limit.
    other = Instance("worker-b", database_url, tmp_path)
    try:
        await asyncio.wait_for(other.ready(), STARTUP_TIMEOUT + 10)
        elsewhere_token = (await other.login(username, PASSWORD))["token"]
        row = {**(await rows(1))[0], "beneficiaryIdNumber": new_id_number(), "beneficiaryName": "张三"}
        response = await other.gql(SUBMIT, await _input(contract, [row]), elsewhere_token)
        [error] = response.json()["data"]["submitLedgerEntries"]["errors"]
        assert error["code"] == "TOO_MANY_ATTEMPTS"
    finally:
        await other.stop()


async def test_one_request_answers_no_more_rows_than_the_budget(api: Api, accounts: list[str]) -> None:
    username = await _clerk(accounts)
    token = await _token(api, username)
    contract, ledger = await _open_contract()
    before = await ledger_state(ledger)
    strangers = [await _person(GAOGANG, f"赵{i}") for i in range(LIMIT + 5)]
    payload = await _submit(api, token, contract, [(p.id_number, "张三") for p in strangers])
    [error] = payload["errors"]  # not one per row: that would answer 25 lookups at once
    assert error["code"] == "TOO_MANY_ATTEMPTS"
    assert await BeneficiaryMatchFailure.filter(account=username).count() == LIMIT + 5
    assert await ledger_state(ledger) == before
