"""Hostile values in text and decimal inputs (issue 13, items 3 and 6; issue 17, item 2): control characters
are refused in every text input with ``INVALID_TEXT`` (tab and line breaks only in multi-line fields), decimals
that cannot be rounded to fen (``1E+30``, ``1e400``, ``NaN``, ``Infinity``) and JSON numbers are refused with
``INVALID_AMOUNT`` before any resolver runs — over GraphQL and in ledger imports. Regressions: NUL reached
PostgreSQL (INTERNAL_ERROR), control characters were stored (and broke the XLSX exports), ``1E+30`` reached a
``quantize`` that raised (INTERNAL_ERROR), and ``quantity: 1.5`` was silently read as a float.

This module writes (contracts of 2094, a few ledger entries), so its name sorts after the modules that compare
views of the demo data against the session's reference picture (``conftest.city``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models import Contract, Ledger, ServiceEntry
from tests.helpers import Api
from tests.security.support import assert_clean
from tests.test_ledger_entries import (
    ADD,
    CLERK,
    fund_input,
    gid,
    ledger_state,
    make_contract,
    service_input,
)
from tests.test_ledger_files import csv_bytes, line, upload, workbook

AGENCY = "hailing_agency"
FINANCE = "city_finance"

SUBMIT = """
mutation($input: SubmitLedgerEntriesInput!) {
  submitLedgerEntries(input: $input) { version errors { code message field row } }
}
"""

#: Decimals no field can hold, as clients have sent them.
HOSTILE_DECIMALS = [
    "1E+30",
    "1e400",
    "NaN",
    "sNaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "1" + "0" * 28,
    "12345678901234567890123456789.5",
    "100000000000000.00",
    "1e3",
    " 1 ",
    "0x10",
    "",
]
#: Control characters (and DEL) in a single-line field.
CONTROL = ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x0b"]


@pytest.fixture(scope="module")
async def open_contract() -> tuple[Contract, Ledger]:
    """One contract in performance for the whole module (plans of 2094; few rows, so that lists of the demo
    data other modules page through stay within their pages)."""
    contract, ledger = await make_contract(year=2094)
    assert ledger is not None
    return contract, ledger


async def _post(api: Api, query: str, variables: dict[str, Any], user: str | None) -> dict[str, Any]:
    response = await api.post(query, variables, token=await api.token(user) if user else None)
    assert response.status_code == 200, response.text
    assert_clean(response.text)
    assert "INTERNAL_ERROR" not in response.text, response.text
    return response.json()


def _top_codes(body: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


# --- decimals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE_DECIMALS)
async def test_hostile_decimals_in_a_ledger_batch_are_refused_before_anything_runs(
    api: Api, open_contract: tuple[Contract, Ledger], value: str
) -> None:
    contract, ledger = open_contract
    before = await ledger_state(ledger)
    for entries in (
        {"serviceEntries": [await service_input(quantity=value)], "fundEntries": []},
        {"serviceEntries": [], "fundEntries": [fund_input(amount=value)]},
    ):
        variables = {
            "input": {
                "contract": gid("Contract", contract.pk),
                "idempotencyKey": "k-1",
                "expectedVersion": 0,
                **entries,
            }
        }
        body = await _post(api, SUBMIT, variables, CLERK)
        assert _top_codes(body) == ["INVALID_AMOUNT"], body
        message = body["errors"][0]["message"]
        assert "99,999,999,999,999.99" in message, message
        assert "两位小数" in message, message
    assert await ledger_state(ledger) == before


#: Every mutation with a Decimal input, with the smallest input that reaches it (the IDs need not exist:
#: the value is refused while the variables are read, before any resolver).
DECIMAL_MUTATIONS: list[tuple[str, str, str, dict[str, Any], str]] = [
    (
        "createPurchasePlan",
        "CreatePurchasePlanInput",
        AGENCY,
        {"district": "321202", "year": 2095, "prevYearTemporaryFunds": "1.00"},
        "prevYearDibaoFunds",
    ),
    ("updatePurchasePlan", "UpdatePurchasePlanInput", AGENCY, {"plan": gid("PurchasePlan", 1)}, "prevYearDibaoFunds"),
    (
        "addPlanLine",
        "AddPlanLineInput",
        AGENCY,
        {
            "plan": gid("PurchasePlan", 1),
            "catalogueItem": gid("CatalogueItem", 1),
            "content": "x",
            "quantity": "1",
            "unit": "户",
            "fundingSource": "DIBAO",
        },
        "budget",
    ),
    ("approvePurchasePlan", "ApprovePurchasePlanInput", FINANCE, {"plan": gid("PurchasePlan", 1)}, "approvedBudget"),
    ("recordPayment", "RecordPaymentInput", AGENCY, {"contract": gid("Contract", 1)}, "amount"),
    ("updateContract", "UpdateContractInput", AGENCY, {"contract": gid("Contract", 1)}, "amount"),
    (
        "recordAcceptance",
        "RecordAcceptanceInput",
        AGENCY,
        {"contract": gid("Contract", 1), "acceptedOn": "2026-01-01", "result": "PASS", "panel": "x"},
        "score",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "type_name", "user", "base", "field"), DECIMAL_MUTATIONS, ids=lambda v: str(v)[:30]
)
@pytest.mark.parametrize("value", ["1E+30", "1e400", "NaN", "sNaN", "Infinity", "-Infinity"])
async def test_hostile_decimals_in_every_money_input(
    api: Api, mutation: str, type_name: str, user: str, base: dict[str, Any], field: str, value: str
) -> None:
    query = f"mutation($input: {type_name}!) {{ {mutation}(input: $input) {{ errors {{ code field }} }} }}"
    body = await _post(api, query, {"input": {**base, field: value}}, user)
    assert "INVALID_AMOUNT" in _top_codes(body), body
    assert body["data"] is None


async def test_decimal_json_numbers_are_refused(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    """A Decimal is a JSON string: ``1.5`` (a float: 0.1 + 0.2 ≠ 0.3) is refused as a variable and as a literal."""
    contract, ledger = open_contract
    before = await ledger_state(ledger)
    for number in (1.5, 2, 1e400):
        entry = {**(await service_input()), "quantity": number}
        variables = {"input": {"contract": gid("Contract", contract.pk), "entry": entry}}
        response = await api.client.post(
            "/graphql",
            content=json.dumps({"query": ADD, "variables": variables}).replace("Infinity", "1e400"),
            headers={"Authorization": f"Bearer {await api.token(CLERK)}", "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert _top_codes(body) == ["INVALID_AMOUNT"], body
        assert "字符串" in body["errors"][0]["message"]
    literal = """
    mutation($c: ID!) {
      recordPayment(input: {contract: $c, amount: 1.5, paidOn: "2026-01-01", trigger: SIGNING}) { errors { code } }
    }
    """
    body = await _post(api, literal, {"c": gid("Contract", contract.pk)}, AGENCY)
    assert _top_codes(body) == ["INVALID_AMOUNT"], body
    assert await ledger_state(ledger) == before
    # the string form is read exactly
    payload = await _post(
        api,
        ADD,
        {"input": {"contract": gid("Contract", contract.pk), "entry": await service_input(quantity="1.50")}},
        CLERK,
    )
    assert payload["data"]["addServiceEntry"]["errors"] == []


async def test_scalars_state_their_wire_format(api: Api) -> None:
    sdl = (await api.client.get("/schema.graphql")).text
    assert 'scalar Date @specifiedBy(url: "https://datatracker.ietf.org/doc/html/rfc3339")' in sdl
    assert 'scalar DateTime @specifiedBy(url: "https://datatracker.ietf.org/doc/html/rfc3339")' in sdl
    assert 'scalar Decimal @specifiedBy(url: "docs/scalars/decimal.md")' in sdl
    assert '"463400.00"' in sdl


async def test_amendment_changes_amount_out_of_range_is_refused(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, _ = open_contract
    query = """
    mutation($input: ProposeAmendmentInput!) {
      proposeAmendment(input: $input) { amendment { id } errors { code field } }
    }
    """
    for amount in ("1E+30", "1e400", 1e300, "NaN"):
        variables = {
            "input": {"contract": gid("Contract", contract.pk), "reason": "调整", "changes": {"amount": amount}}
        }
        body = await _post(api, query, variables, AGENCY)
        payload = body["data"]["proposeAmendment"]
        assert payload["amendment"] is None
        assert [e["field"] for e in payload["errors"]] == ["changes"], payload


# --- text ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL, ids=lambda c: f"U+{ord(c):04X}")
async def test_control_characters_in_a_ledger_entry_are_refused_and_nothing_is_written(
    api: Api, open_contract: tuple[Contract, Ledger], char: str
) -> None:
    contract, ledger = open_contract
    before = await ledger_state(ledger)
    for field in ("content", "staff", "outcome", "township", "beneficiaryName"):
        entry = await service_input(**{field: f"上门{char}照料"})
        body = await _post(api, ADD, {"input": {"contract": gid("Contract", contract.pk), "entry": entry}}, CLERK)
        payload = body["data"]["addServiceEntry"]
        assert payload["serviceEntry"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_TEXT", f"entry.{field}")], payload
        assert f"U+{ord(char):04X}" in payload["errors"][0]["message"]
    entries = [await service_input(), await service_input(evidenceRefs=["照片", f"签字{char}单"])]
    variables = {
        "input": {
            "contract": gid("Contract", contract.pk),
            "idempotencyKey": "k-1",
            "expectedVersion": 0,
            "serviceEntries": entries,
            "fundEntries": [],
        }
    }
    payload = (await _post(api, SUBMIT, variables, CLERK))["data"]["submitLedgerEntries"]
    assert [(e["code"], e["field"], e["row"]) for e in payload["errors"]] == [
        ("INVALID_TEXT", "serviceEntries.evidenceRefs", 1)
    ]
    assert "佐证材料" in payload["errors"][0]["message"]
    assert await ledger_state(ledger) == before


async def test_line_breaks_only_where_a_field_is_multi_line(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    entry = await service_input(content="第一段\n第二段\r\n\t第三段", outcome="良好\n稳定")
    payload = await _post(api, ADD, {"input": {"contract": gid("Contract", contract.pk), "entry": entry}}, CLERK)
    assert payload["data"]["addServiceEntry"]["errors"] == []
    stored = await ServiceEntry.filter(ledger_id=ledger.pk, content__startswith="第一段").get()
    assert (stored.content, stored.outcome) == ("第一段\n第二段\r\n\t第三段", "良好\n稳定")
    entry = await service_input(staff="王芳\n李娜")
    payload = await _post(api, ADD, {"input": {"contract": gid("Contract", contract.pk), "entry": entry}}, CLERK)
    errors = payload["data"]["addServiceEntry"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_TEXT", "entry.staff")]
    assert "单行" in errors[0]["message"]


#: Text inputs of other mutations, each refused in its own payload with its own error type.
TEXT_MUTATIONS: list[tuple[str, str, str | None, dict[str, Any], str, str]] = [
    ("login", "LoginInput", None, {"password": "x"}, "username", "username"),
    (
        "createAccount",
        "CreateAccountInput",
        "city_civil_affairs",
        {
            "username": "hostile_user",
            "password": "Zq8#vRt2!mKw9$Lp",
            "role": "DISTRICT_AGENCY",
            "domain": "district:321202",
        },
        "displayName",
        "displayName",
    ),
    (
        "updateContractorProfile",
        "UpdateContractorProfileInput",
        CLERK,
        {"contractor": gid("Contractor", 1)},
        "address",
        "address",
    ),
    (
        "createProcurementProject",
        "CreateProcurementProjectInput",
        AGENCY,
        {
            "plan": gid("PurchasePlan", 1),
            "planLines": [],
            "budget": "100.00",
            "content": "x",
            "goals": "x",
            "acceptanceStandards": "x",
        },
        "title",
        "title",
    ),
    (
        "recordInspection",
        "RecordInspectionInput",
        AGENCY,
        {"contract": gid("Contract", 1), "inspectedOn": "2026-01-01", "progressPercent": 10},
        "inspector",
        "inspector",
    ),
    (
        "createTrainingSession",
        "CreateTrainingSessionInput",
        AGENCY,
        {"district": "321202", "heldOn": "2026-01-01", "form": "EXPERT_LECTURE", "hours": "2.0"},
        "topic",
        "topic",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "type_name", "user", "base", "field", "reported"), TEXT_MUTATIONS, ids=lambda v: str(v)[:24]
)
async def test_nul_in_any_mutation_is_a_typed_payload_error(
    api: Api, mutation: str, type_name: str, user: str | None, base: dict[str, Any], field: str, reported: str
) -> None:
    query = f"mutation($input: {type_name}!) {{ {mutation}(input: $input) {{ errors {{ code message field }} }} }}"
    body = await _post(api, query, {"input": {**base, field: "a\x00b"}}, user)
    assert "errors" not in body, body
    errors = body["data"][mutation]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_TEXT", reported)], errors
    assert "U+0000" in errors[0]["message"]


async def test_nul_in_a_query_filter_is_a_typed_error(api: Api) -> None:
    """Regression: on PostgreSQL the NUL reached the driver (INTERNAL_ERROR)."""
    for query in (
        "query($s: String) { contractors(first: 5, filter: {nameContains: $s}) { totalCount } }",
        "query($s: String) { accounts(first: 5, filter: {usernameContains: $s}) { totalCount } }",
    ):
        body = await _post(api, query, {"s": "协会\x00"}, "city_civil_affairs")
        assert _top_codes(body) == ["INVALID_TEXT"], body


# --- imports -------------------------------------------------------------------------------------------------------


async def test_import_refuses_control_characters_and_huge_numbers_per_row(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, ledger = open_contract
    before = await ledger_state(ledger)
    rows = [
        await line(),
        await line(**{"服务内容": "上门\x01照料"}),
        await line(**{"服务人员": "李\x00娜"}),
        await line(**{"数量": "1E+30"}),
        await line(**{"服务内容": "第一段\n第二段"}),
    ]
    response = await upload(api, contract, csv_bytes(rows), name="台账.csv", version=before[0])
    assert response.status_code == 422, response.text
    assert_clean(response.text)
    found = {(e["row"], e["column"], e["code"]) for e in response.json()["errors"]}
    assert {(3, "服务内容", "INVALID_TEXT"), (4, "服务人员", "INVALID_TEXT"), (5, "数量", "INVALID_QUANTITY")} <= found
    assert not any(e["row"] in (2, 6) for e in response.json()["errors"]), response.json()
    reasons = {e["row"]: e["reason"] for e in response.json()["errors"]}
    assert "服务内容" in reasons[3]
    assert "U+0001" in reasons[3]
    assert "99,999,999,999,999.99" in reasons[5]
    # a workbook's number cells: 1e30 as a float, and a fund amount of 1e300
    funds = [["2026-01-01", 1e300, "收入", "服务费", "收-1"]]
    response = await upload(api, contract, workbook([await line(**{"数量": 1e30})], funds), version=before[0])
    assert response.status_code == 422, response.text
    found = {(e["sheet"], e["column"], e["code"]) for e in response.json()["errors"]}
    assert ("服务记录", "数量", "INVALID_QUANTITY") in found
    assert ("资金记录", "金额", "INVALID_AMOUNT") in found
    assert await ledger_state(ledger) == before


async def test_a_long_township_filter_is_a_typed_error(api: Api) -> None:
    """Found by the hostile-value fuzz pass: a township filter longer than a code reached the ORM's length check
    (INTERNAL_ERROR)."""
    query = "query($t: String) { serviceEntries(first: 5, filter: {township: $t}) { totalCount } }"
    body = await _post(api, query, {"t": "=cmd|' /C calc'!A0"}, "city_civil_affairs")
    assert _top_codes(body) == ["INVALID_ARGUMENT"], body


@pytest.mark.parametrize("code", ["%00", "TZ-%00", "%01%1b", "%ED%A0%80"])
async def test_control_characters_in_an_ocds_path_are_not_found(api: Api, code: str) -> None:
    """Regression: ``/ocds/releases/%00.json`` sent the NUL to PostgreSQL (HTTP 500)."""
    for kind in ("releases", "records"):
        response = await api.client.get(f"/ocds/{kind}/{code}.json")
        assert response.status_code in (400, 404), response.text
        assert_clean(response.text)
