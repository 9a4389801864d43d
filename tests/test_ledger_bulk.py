"""Bulk submission (``submitLedgerEntries``): up to 500 service and 500 fund entries, all or none, errors per row
and field; an idempotency key makes a retry answer with the first result (no duplicates); concurrent appends to one
ledger are serialised by the server and all go in (no version needed); inserts are bulk (no statement per row)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from models import Beneficiary, Contract, Ledger, LedgerSubmission
from models.timeutil import today
from tests.helpers import Api, count_sql
from tests.test_ledger_entries import (
    CLERK,
    ERRORS,
    fund_input,
    gid,
    ledger_state,
    make_contract,
    new_id_number,
    service_input,
    township,
)

SUBMIT = f"""
mutation($input: SubmitLedgerEntriesInput!) {{
  submitLedgerEntries(input: $input) {{
    version beneficiariesCreated
    serviceEntries {{ id quantity serviceDate beneficiary {{ id idNumber }} }}
    fundEntries {{ id amount }}
    {ERRORS}
  }}
}}
"""


@pytest.fixture
async def open_contract() -> tuple[Contract, Ledger]:
    """A fresh contract in performance with an empty ledger (plans of 2091)."""
    contract, ledger = await make_contract(year=2091)
    assert ledger is not None
    return contract, ledger


async def submit(
    api: Api,
    contract: Contract,
    *,
    version: int | None,
    key: str | None = None,
    service: list[dict[str, Any]] | None = None,
    funds: list[dict[str, Any]] | None = None,
    user: str = CLERK,
) -> dict[str, Any]:
    """``submitLedgerEntries``; returns the payload."""
    variables: dict[str, Any] = {
        "input": {
            "contract": gid("Contract", contract.pk),
            "idempotencyKey": key or uuid.uuid4().hex,
            "serviceEntries": service or [],
            "fundEntries": funds or [],
        }
    }
    if version is not None:
        variables["input"]["expectedVersion"] = version
    return (await api.data(SUBMIT, variables, as_user=user))["submitLedgerEntries"]


async def rows(n: int, **overrides: Any) -> list[dict[str, Any]]:
    """``n`` valid service entries on consecutive days."""
    base = await service_input(**overrides)
    return [
        {**base, "serviceDate": (today() - dt.timedelta(days=1 + i % 150)).isoformat(), "quantity": f"{1 + i % 3}"}
        for i in range(n)
    ]


async def test_bulk_submission_writes_all_in_order(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    service = await rows(3)
    payload = await submit(api, contract, version=0, service=service, funds=[fund_input(), fund_input(amount="8.80")])
    assert payload["errors"] == []
    assert payload["version"] == 1
    assert [e["serviceDate"] for e in payload["serviceEntries"]] == [r["serviceDate"] for r in service]
    assert [e["amount"] for e in payload["fundEntries"]] == ["12000.00", "8.80"]
    assert await ledger_state(ledger) == (1, 3, 2)


async def test_a_retry_returns_the_first_result_without_duplicates(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, ledger = open_contract
    key = str(uuid.uuid4())
    person = new_id_number()
    service = await rows(4, beneficiaryIdNumber=person, beneficiaryName="赵大爷")
    first = await submit(api, contract, version=0, key=key, service=service, funds=[fund_input(voucherNumber="V-1")])
    assert first["errors"] == []
    assert first["beneficiariesCreated"] == 1
    # The connection dropped before the answer arrived: the clerk's app sends the very same request again.
    again = await submit(api, contract, version=0, key=key, service=service, funds=[fund_input(voucherNumber="V-1")])
    assert again == first
    assert await ledger_state(ledger) == (1, 4, 1)
    assert await Beneficiary.filter(id_number=person).count() == 1
    assert await LedgerSubmission.filter(idempotency_key=key).count() == 1

    # The same key with other content is refused, and writes nothing.
    other = await submit(api, contract, version=1, key=key, service=service[:3])
    assert [(e["code"], e["field"]) for e in other["errors"]] == [("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")]
    assert other["version"] is None
    assert await ledger_state(ledger) == (1, 4, 1)


async def test_concurrent_retries_of_one_key_write_once(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    key = uuid.uuid4().hex
    service = await rows(5)
    answers = await asyncio.gather(*(submit(api, contract, version=0, key=key, service=service) for _ in range(3)))
    assert all(a["errors"] == [] for a in answers), answers
    assert answers[0] == answers[1] == answers[2]
    assert await ledger_state(ledger) == (1, 5, 0)


async def test_concurrent_appends_based_on_one_version_all_go_in(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    """Two clerks both read version 0 and submit at the same moment: appends commute, so both go in, one after
    the other (issue 18; this asserted VERSION_CONFLICT for the second before)."""
    contract, ledger = open_contract
    answers = await asyncio.gather(
        submit(api, contract, version=0, service=await rows(2)),
        submit(api, contract, version=0, service=await rows(3)),
    )
    assert [a["errors"] for a in answers] == [[], []]
    assert sorted(a["version"] for a in answers) == [1, 2]
    assert await ledger_state(ledger) == (2, 5, 0)
    # No version at all is fine too; a version the ledger never reached is refused.
    assert (await submit(api, contract, version=None, service=await rows(1)))["version"] == 3
    future = await submit(api, contract, version=9, service=await rows(2))
    assert [(e["code"], e["field"], e["currentVersion"]) for e in future["errors"]] == [
        ("VERSION_CONFLICT", "expectedVersion", 3)
    ]
    assert future["serviceEntries"] == []
    assert await ledger_state(ledger) == (3, 6, 0)


async def test_one_bad_row_refuses_all_with_row_and_field(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    service = await rows(6)
    service[2]["quantity"] = "-1"
    service[4]["township"] = await township("321203")
    service[4]["beneficiaryIdNumber"] = "321202193101010000"
    service[4]["beneficiaryName"] = "钱某"
    funds = [fund_input(), fund_input(amount="0.001")]
    payload = await submit(api, contract, version=0, service=service, funds=funds)
    assert [(e["code"], e["field"], e["row"]) for e in payload["errors"]] == [
        ("INVALID_QUANTITY", "serviceEntries.quantity", 2),
        ("INVALID_ID_NUMBER", "serviceEntries.beneficiaryIdNumber", 4),
        ("TOWNSHIP_OUTSIDE_DISTRICT", "serviceEntries.township", 4),
        ("INVALID_AMOUNT", "fundEntries.amount", 1),
    ]
    assert payload["serviceEntries"] == []
    assert payload["version"] is None
    assert await ledger_state(ledger) == (0, 0, 0)
    # Fixed, the same key goes through (a refused submission is not remembered).


async def test_limits_of_one_call(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    too_many = await submit(api, contract, version=0, service=await rows(501))
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [("TOO_MANY_ENTRIES", "serviceEntries")]
    empty = await submit(api, contract, version=0)
    assert [e["code"] for e in empty["errors"]] == ["NO_ENTRIES"]
    bad_key = await submit(api, contract, version=0, key="has space", service=await rows(1))
    assert [(e["code"], e["field"]) for e in bad_key["errors"]] == [("INVALID", "idempotencyKey")]
    assert await ledger_state(ledger) == (0, 0, 0)


class Executions(logging.Handler):
    """Statements as the database executes them: Tortoise logs an ``executemany`` once, it runs once per row."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        rows = record.args[1] if record.funcName == "execute_many" and isinstance(record.args, tuple) else None
        self.count += len(rows) if isinstance(rows, list) else 1


@contextmanager
def count_executions() -> Iterator[Executions]:
    """Count the statements executed while the block runs (``executemany`` counted per row)."""
    counter = Executions()
    logger = logging.getLogger("tortoise.db_client")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


async def test_500_entries_in_one_call_are_inserted_in_bulk(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    """Entries, beneficiaries, history and summary deltas in one statement per table (issue 14: this cost about
    1,500 executions, one INSERT per row, and its time grew with the ledger); the same count on a fuller ledger."""
    contract, ledger = open_contract
    counts = []
    for call in range(2):
        service = await rows(500)
        for i, row in enumerate(service):  # 500 people, none known yet: one lookup per batch, one bulk insert
            row["beneficiaryIdNumber"] = new_id_number()
            row["beneficiaryName"] = f"测试{i}"
        with count_sql() as statements, count_executions() as executed:
            funds = [fund_input() for _ in range(500)]
            payload = await submit(api, contract, version=None, service=service, funds=funds)
        assert payload["errors"] == []
        assert len(payload["serviceEntries"]) == 500
        assert payload["beneficiariesCreated"] == 500
        assert await ledger_state(ledger) == (call + 1, 500 * (call + 1), 500 * (call + 1))
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
        assert len(inserts) < 15, inserts[:3]
        assert executed.count < 60, executed.count
        counts.append(executed.count)
    assert counts[0] == counts[1]


ISSUE_KEY = """
mutation($c: ID!, $e: DateTime!) {
  issueApiKey(input: {contractor: $c, name: "台账同步（测试）", expiresAt: $e}) { key errors { code } }
}
"""


async def test_a_machine_client_syncs_its_contractors_ledger(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    """An API key (role contractor_ledger, issued by the contractor's administrator) writes like the clerk."""
    from models import Contractor
    from models.timeutil import now

    contract, ledger = open_contract
    contractor = await Contractor.get(pk=contract.contractor_id)  # type: ignore[attr-defined]
    expires = (now() + dt.timedelta(days=30)).isoformat()
    issued = (
        await api.data(ISSUE_KEY, {"c": gid("Contractor", contractor.pk), "e": expires}, as_user="xinyuan_admin")
    )["issueApiKey"]
    assert issued["errors"] == [], issued
    variables = {
        "input": {
            "contract": gid("Contract", contract.pk),
            "expectedVersion": 0,
            "idempotencyKey": uuid.uuid4().hex,
            "serviceEntries": await rows(2, beneficiaryIdNumber=new_id_number(), beneficiaryName="机器同步"),
        }
    }
    response = await api.post(SUBMIT, variables, token=issued["key"])
    payload = response.json()["data"]["submitLedgerEntries"]
    assert payload["errors"] == []
    assert payload["beneficiariesCreated"] == 1
    assert await ledger_state(ledger) == (1, 2, 0)
    # The administrator who issued it does not write ledgers itself.
    admin = await submit(api, contract, version=1, service=await rows(1), user="xinyuan_admin")
    assert [e["code"] for e in admin["errors"]] == ["NOT_FOUND"]
    assert await ledger_state(ledger) == (1, 2, 0)
