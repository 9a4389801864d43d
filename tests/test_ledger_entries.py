"""Service and fund entries (台账, 第十四条) through the API: written only by the contractor's own users, read by
the district's agency (fund entries and figures also by finance); append-only corrections (REVERSAL carries the
original's figures negated, AMENDMENT the corrected ones; an entry is corrected once); the current view and the
full history; rule 9 (service period, the contract's catalogue items, only while in performance or rectification,
locked after acceptance). Every refusal is typed and writes nothing.

The contracts are built directly in the database (plans of years 2090–2094 only, for 海陵区 321202 and the
contractor of ``xinyuan_clerk``); the builders here are shared by the other ledger test modules.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest
from stdnum.cn import ric

from models import (
    CatalogueItem,
    ChangeRecord,
    Contract,
    Contractor,
    FundEntry,
    Ledger,
    ProcurementProject,
    PurchasePlan,
    ServiceEntry,
    Township,
)
from models.enums import AwardCriteria, ContractStatus, PlanStatus, ProcurementMethod, ProcurementStatus
from models.timeutil import today
from schema.relay import encode_id
from tests.helpers import Api

HAILING = "321202"
GAOGANG = "321203"
XINYUAN = "52321200MJ5083166C"  # the contractor of xinyuan_clerk
CLERK = "xinyuan_clerk"
AGENCY = "hailing_agency"
ITEMS = ("S06", "S07")  # the catalogue items the test contracts buy

ERRORS = "errors { code message field article row currentVersion }"
ENTRY = (
    "id serviceDate quantity unit kind correctionReason content staff satisfaction evidenceRefs assistanceCategory "
    "catalogueItem { code } township { code } corrects { id } beneficiary { id name idNumber }"
)
FUND = "id entryDate amount direction purpose voucherNumber kind correctionReason corrects { id }"
LEDGER = """
query($id: ID!) { node(id: $id) { ... on Contract { ledger {
  id version beneficiaryCount acceptsEntries
  current: serviceEntries(first: 100, view: CURRENT) { totalCount nodes { id quantity kind } }
  history: serviceEntries(first: 100, view: HISTORY) { totalCount nodes { id quantity kind corrects { id } } }
  funds: fundEntries(first: 100, view: CURRENT) { totalCount nodes { id amount kind } }
  fundHistory: fundEntries(first: 100) { totalCount }
  summary { serviceEntryCount beneficiaryCount quantities { unit quantity } fundsReceived fundsSpent fundsBalance }
} } } }
"""
ADD = f"""
mutation($input: AddServiceEntryInput!) {{
  addServiceEntry(input: $input) {{ serviceEntry {{ {ENTRY} }} ledger {{ id version }} {ERRORS} }}
}}
"""
ADD_FUND = f"""
mutation($input: AddFundEntryInput!) {{
  addFundEntry(input: $input) {{ fundEntry {{ {FUND} }} ledger {{ id version }} {ERRORS} }}
}}
"""
CORRECT = f"""
mutation($input: CorrectServiceEntryInput!) {{
  correctServiceEntry(input: $input) {{
    reversal {{ {ENTRY} }} amendment {{ {ENTRY} }} ledger {{ version }} {ERRORS}
  }}
}}
"""
CORRECT_FUND = f"""
mutation($input: CorrectFundEntryInput!) {{
  correctFundEntry(input: $input) {{ reversal {{ {FUND} }} amendment {{ {FUND} }} ledger {{ version }} {ERRORS} }}
}}
"""


# --- builders shared by the ledger tests ------------------------------------------------------------------------

_ids = itertools.count()
_offset = random.SystemRandom().randrange(1000)


def new_id_number(region: str = HAILING) -> str:
    """A valid resident ID number not used before in this session (born 1931–1934: the demo data's people are
    born 1936 or later): the n-th call takes day n of that span and a sequence number that moves on each lap."""
    n = next(_ids)
    birth = dt.date(1931, 1, 1) + dt.timedelta(days=n % 1400)
    body = f"{region}{birth:%Y%m%d}{(n // 1400 + _offset) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def gid(type_name: str, pk: object) -> str:
    """A global ID."""
    return encode_id(type_name, pk)


async def township(district: str = HAILING) -> str:
    """A township code of ``district``."""
    row = await Township.filter(district_id=district).order_by("code").first()
    assert row is not None
    return row.code


async def make_contract(
    status: ContractStatus = ContractStatus.IN_PERFORMANCE,
    *,
    year: int = 2090,
    start: dt.date | None = None,
    end: dt.date | None = None,
    items: tuple[str, ...] = ITEMS,
    ledger: bool = True,
) -> tuple[Contract, Ledger | None]:
    """A contract of 海陵区 with the contractor of ``xinyuan_clerk`` in ``status``, and its ledger."""
    assert 2090 <= year <= 2094, "ledger tests use plans of 2090–2094 only"
    plan = await PurchasePlan.get_or_none(district_id=HAILING, year=year)
    if plan is None:
        plan = await PurchasePlan.create(
            district_id=HAILING,
            year=year,
            status=PlanStatus.APPROVED,
            prev_year_dibao_funds=Decimal("100000000.00"),
            prev_year_temporary_funds=Decimal("20000000.00"),
            approved_budget=Decimal("50000000.00"),
        )
    project = await ProcurementProject.create(
        district_id=HAILING,
        plan=plan,
        code=f"TL-{uuid.uuid4().hex[:12]}",
        title="台账测试采购项目",
        budget=Decimal("300000.00"),
        content="台账测试",
        status=ProcurementStatus.AWARDED,
        method=ProcurementMethod.OPEN_TENDER,
        award_criteria=AwardCriteria.QUALITY_WEIGHTED,
        published_on=today() - dt.timedelta(days=240),
    )
    contractor = await Contractor.get(credit_code=XINYUAN)
    start = start or today() - dt.timedelta(days=200)
    end = end or today() + dt.timedelta(days=100)
    contract = await Contract.create(
        district_id=HAILING,
        contractor=contractor,
        project=project,
        code=f"TZL-{uuid.uuid4().hex[:10]}",
        title="台账测试合同",
        scope="海陵区社会救助服务",
        subject="探访照料",
        quantity="200户",
        quality_requirements="满意度不低于90%",
        service_start=start,
        service_end=end,
        amount=Decimal("300000.00"),
        payment_method="分期支付",
        rights_obligations="按约履行",
        breach_liability="限期整改",
        status=status,
        signed_on=start - dt.timedelta(days=10),
        published_on=start - dt.timedelta(days=9),
        filed_on=start - dt.timedelta(days=5),
    )
    await contract.catalogue_items.add(*await CatalogueItem.filter(code__in=items))
    row = None
    if ledger:
        row = await Ledger.create(contract=contract, district_id=HAILING, contractor_id=contractor.pk)
    return contract, row


async def service_input(**overrides: Any) -> dict[str, Any]:
    """A valid service entry input (no beneficiary unless given)."""
    values: dict[str, Any] = {
        "serviceDate": (today() - dt.timedelta(days=3)).isoformat(),
        "catalogueItemCode": "S06",
        "assistanceCategory": "TEKUN",
        "township": await township(),
        "content": "上门探访，协助整理家务",
        "quantity": "2.5",
        "unit": "HOURS",
        "staff": "王芳",
        "outcome": "生活状况稳定",
        "satisfaction": 5,
        "evidenceRefs": ["照片-001", "签字单-001"],
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def fund_input(**overrides: Any) -> dict[str, Any]:
    """A valid fund entry input."""
    values: dict[str, Any] = {
        "entryDate": (today() - dt.timedelta(days=2)).isoformat(),
        "amount": "12000.00",
        "direction": "RECEIVED",
        "purpose": "收到首期服务费",
        "voucherNumber": f"收-{uuid.uuid4().hex[:6]}",
    }
    values.update(overrides)
    return values


async def ledger_state(ledger: Ledger) -> tuple[int, int, int]:
    """(version, service entries, fund entries) straight from the database."""
    fresh = await Ledger.get(pk=ledger.pk)
    return (
        fresh.version,
        await ServiceEntry.filter(ledger_id=ledger.pk).count(),
        await FundEntry.filter(ledger_id=ledger.pk).count(),
    )


async def add(api: Api, contract: Contract, user: str | None = CLERK, **entry: Any) -> dict[str, Any]:
    """``addServiceEntry`` as ``user``; returns the payload."""
    variables = {"input": {"contract": gid("Contract", contract.pk), "entry": await service_input(**entry)}}
    return (await api.data(ADD, variables, as_user=user))["addServiceEntry"]


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(code, field) of each error."""
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def read_ledger(api: Api, contract: Contract, user: str = AGENCY) -> dict[str, Any]:
    """The contract's ledger with both views and its summary, as ``user``."""
    return (await api.data(LEDGER, {"id": gid("Contract", contract.pk)}, as_user=user))["node"]["ledger"]


# --- tests ---------------------------------------------------------------------------------------------------------


@pytest.fixture
async def open_contract() -> tuple[Contract, Ledger]:
    """A fresh contract in performance with an empty ledger."""
    contract, ledger = await make_contract()
    assert ledger is not None
    return contract, ledger


async def test_contractor_adds_entries_and_agency_reads_them(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    payload = await add(api, contract, quantity="3")
    assert payload["errors"] == []
    entry = payload["serviceEntry"]
    assert entry["kind"] == "ORIGINAL"
    assert entry["quantity"] == "3.00"
    assert entry["catalogueItem"]["code"] == "S06"
    assert entry["evidenceRefs"] == ["照片-001", "签字单-001"]
    assert payload["ledger"]["version"] == 1

    fund = await api.data(
        ADD_FUND,
        {"input": {"contract": gid("Contract", contract.pk), "entry": fund_input(), "expectedVersion": 1}},
        as_user=CLERK,
    )
    assert fund["addFundEntry"]["errors"] == []
    assert fund["addFundEntry"]["fundEntry"]["amount"] == "12000.00"
    assert fund["addFundEntry"]["ledger"]["version"] == 2

    seen = await read_ledger(api, contract)
    assert seen["version"] == 2
    assert seen["acceptsEntries"] is True
    assert [n["id"] for n in seen["current"]["nodes"]] == [entry["id"]]
    assert seen["summary"]["serviceEntryCount"] == 1
    assert seen["summary"]["quantities"] == [{"unit": "HOURS", "quantity": "3.00"}]
    assert seen["summary"]["fundsReceived"] == "12000.00"
    assert seen["summary"]["fundsBalance"] == "12000.00"
    # History: the entry's creation and the ledger's version change, with who did it.
    records = await ChangeRecord.filter(entity_type="ServiceEntry", entity_id=str(_pk(entry["id"])))
    assert len(records) == 1
    assert "xinyuan_clerk" in records[0].actor_name
    ledger_notes = await ChangeRecord.filter(entity_type="Ledger", entity_id=str(ledger.pk)).order_by("id")
    assert [r.after for r in ledger_notes] == [{"version": 1}, {"version": 2}]


def _pk(global_id: str) -> int:
    from schema.relay import decode_id

    return int(decode_id(global_id)[1])


FINANCE_VIEW = """
query($id: ID!) {
  fundEntries(contract: $id, first: 50) { totalCount nodes { amount } }
  serviceEntries(filter: {contract: $id}, first: 50) { totalCount }
  ledgerSummary(contract: $id) { serviceEntryCount beneficiaryCount fundsReceived fundsSpent }
  node(id: $id) { ... on Contract { ledger { id } } }
}
"""


async def test_finance_reads_fund_entries_and_figures_never_service_detail(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, _ = open_contract
    assert (await add(api, contract))["errors"] == []
    variables = {"input": {"contract": gid("Contract", contract.pk), "entry": fund_input(amount="500.50")}}
    assert (await api.data(ADD_FUND, variables, as_user=CLERK))["addFundEntry"]["errors"] == []
    for user in ("city_finance", "hailing_finance"):
        seen = await api.data(FINANCE_VIEW, {"id": gid("Contract", contract.pk)}, as_user=user)
        assert seen["fundEntries"] == {"totalCount": 1, "nodes": [{"amount": "500.50"}]}
        assert seen["serviceEntries"]["totalCount"] == 0
        assert seen["node"]["ledger"] is None
        assert seen["ledgerSummary"] == {
            "serviceEntryCount": 1,
            "beneficiaryCount": 0,
            "fundsReceived": "500.50",
            "fundsSpent": "0.00",
        }
    public = await api.data(FINANCE_VIEW, {"id": gid("Contract", contract.pk)})
    assert public["ledgerSummary"]["serviceEntryCount"] == 1
    assert public["ledgerSummary"]["fundsReceived"] is None
    assert public["fundEntries"]["totalCount"] == public["serviceEntries"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("user", "code"),
    [
        ("hailing_agency", "FORBIDDEN"),
        ("hailing_purchaser", "FORBIDDEN"),
        ("city_finance", "FORBIDDEN"),
        ("city_civil_affairs", "FORBIDDEN"),
        ("anhe_clerk", "NOT_FOUND"),
        ("gaogang_agency", "NOT_FOUND"),
        (None, "FORBIDDEN"),  # the public sees a published contract, never its ledger
    ],
)
async def test_only_the_contractors_own_users_write(
    api: Api, open_contract: tuple[Contract, Ledger], user: str | None, code: str
) -> None:
    contract, ledger = open_contract
    before = await ledger_state(ledger)
    payload = await add(api, contract, user=user)
    assert codes(payload) == [(code, "contract")]
    assert payload["serviceEntry"] is None
    bulk = await api.data(
        "mutation($i: SubmitLedgerEntriesInput!) { submitLedgerEntries(input: $i) { errors { code } } }",
        {
            "i": {
                "contract": gid("Contract", contract.pk),
                "expectedVersion": 0,
                "idempotencyKey": uuid.uuid4().hex,
                "fundEntries": [fund_input()],
            }
        },
        as_user=user,
    )
    assert bulk["submitLedgerEntries"]["errors"] == [{"code": code}]
    assert await ledger_state(ledger) == before


async def test_reversal_and_amendment_keep_the_history(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    first = (await add(api, contract, quantity="4"))["serviceEntry"]
    second = (await add(api, contract, quantity="1", unit="VISITS", catalogueItemCode="S07"))["serviceEntry"]

    # Amend the first: a REVERSAL (-4) and an AMENDMENT (3), both pointing at it, with the reason.
    amended = (
        await api.data(
            CORRECT,
            {
                "input": {
                    "entry": first["id"],
                    "kind": "AMENDMENT",
                    "reason": "按签字单更正",
                    "changes": {"quantity": "3"},
                }
            },
            as_user=CLERK,
        )
    )["correctServiceEntry"]
    assert amended["errors"] == []
    assert amended["reversal"]["kind"] == "REVERSAL"
    assert amended["reversal"]["quantity"] == "-4.00"
    assert amended["reversal"]["corrects"]["id"] == first["id"]
    assert amended["amendment"]["kind"] == "AMENDMENT"
    assert amended["amendment"]["quantity"] == "3.00"
    assert amended["amendment"]["corrects"]["id"] == first["id"]
    assert amended["amendment"]["correctionReason"] == "按签字单更正"
    assert amended["amendment"]["staff"] == first["staff"]  # unchanged values are carried over
    assert amended["ledger"]["version"] == 3

    # Reverse the second.
    reversed_ = (
        await api.data(
            CORRECT, {"input": {"entry": second["id"], "kind": "REVERSAL", "reason": "重复录入"}}, as_user=CLERK
        )
    )["correctServiceEntry"]
    assert reversed_["errors"] == []
    assert reversed_["amendment"] is None
    assert reversed_["reversal"]["quantity"] == "-1.00"

    seen = await read_ledger(api, contract)
    assert [n["id"] for n in seen["current"]["nodes"]] == [amended["amendment"]["id"]]
    assert seen["history"]["totalCount"] == 5
    # Every entry of the history summed gives what stands now (the convention of the demo data).
    assert sum(Decimal(n["quantity"]) for n in seen["history"]["nodes"]) == Decimal("3.00")
    assert seen["summary"]["quantities"] == [{"unit": "HOURS", "quantity": "3.00"}]
    # The originals never changed.
    assert (await ServiceEntry.get(pk=_pk(first["id"]))).quantity == Decimal("4.00")
    assert (await ledger_state(ledger))[1] == 5


async def test_an_entry_is_corrected_once_then_its_latest_amendment(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, ledger = open_contract
    first = (await add(api, contract, quantity="4"))["serviceEntry"]
    once = (
        await api.data(
            CORRECT,
            {"input": {"entry": first["id"], "kind": "AMENDMENT", "reason": "更正", "changes": {"quantity": "3"}}},
            as_user=CLERK,
        )
    )["correctServiceEntry"]
    assert once["errors"] == []
    before = await ledger_state(ledger)

    refusals = [
        ({"entry": first["id"], "kind": "REVERSAL", "reason": "再冲销"}, ("ALREADY_CORRECTED", "entry")),
        ({"entry": once["reversal"]["id"], "kind": "REVERSAL", "reason": "冲销冲销"}, ("NOT_CORRECTABLE", "entry")),
        ({"entry": once["amendment"]["id"], "kind": "REVERSAL", "reason": "  "}, ("REQUIRED", "reason")),
        (
            {"entry": once["amendment"]["id"], "kind": "AMENDMENT", "reason": "同值", "changes": {"quantity": "3.00"}},
            ("NOTHING_TO_CHANGE", "changes"),
        ),
        ({"entry": once["amendment"]["id"], "kind": "AMENDMENT", "reason": "无内容"}, ("NOTHING_TO_CHANGE", "changes")),
        (
            {"entry": once["amendment"]["id"], "kind": "AMENDMENT", "reason": "错", "changes": {"quantity": "-1"}},
            ("INVALID_QUANTITY", "changes.quantity"),
        ),
        (
            {
                "entry": once["amendment"]["id"],
                "kind": "AMENDMENT",
                "reason": "超出服务期",
                "changes": {"serviceDate": (today() - dt.timedelta(days=400)).isoformat()},
            },
            ("OUTSIDE_SERVICE_PERIOD", "changes.serviceDate"),
        ),
    ]
    for variables, expected in refusals:
        payload = (await api.data(CORRECT, {"input": variables}, as_user=CLERK))["correctServiceEntry"]
        assert codes(payload) == [expected], variables
        assert payload["reversal"] is None
        assert payload["amendment"] is None
    assert await ledger_state(ledger) == before
    # The agency may read the entry but not correct it; another contractor does not see it.
    agency = (
        await api.data(
            CORRECT, {"input": {"entry": once["amendment"]["id"], "kind": "REVERSAL", "reason": "x"}}, as_user=AGENCY
        )
    )["correctServiceEntry"]
    assert codes(agency) == [("FORBIDDEN", "contract")]
    other = (
        await api.data(
            CORRECT,
            {"input": {"entry": once["amendment"]["id"], "kind": "REVERSAL", "reason": "x"}},
            as_user="anhe_clerk",
        )
    )["correctServiceEntry"]
    assert codes(other) == [("NOT_FOUND", "entry")]
    assert await ledger_state(ledger) == before

    # Correcting the latest amendment works, and the chain stays readable.
    again = (
        await api.data(
            CORRECT,
            {
                "input": {
                    "entry": once["amendment"]["id"],
                    "kind": "AMENDMENT",
                    "reason": "再次更正",
                    "changes": {"quantity": "2"},
                }
            },
            as_user=CLERK,
        )
    )["correctServiceEntry"]
    assert again["errors"] == []
    assert again["reversal"]["quantity"] == "-3.00"
    assert again["amendment"]["corrects"]["id"] == once["amendment"]["id"]
    seen = await read_ledger(api, contract)
    assert [n["quantity"] for n in seen["current"]["nodes"]] == ["2.00"]


async def test_fund_corrections(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, _ledger = open_contract
    variables = {"input": {"contract": gid("Contract", contract.pk), "entry": fund_input(amount="100.00")}}
    entry = (await api.data(ADD_FUND, variables, as_user=CLERK))["addFundEntry"]["fundEntry"]
    amended = (
        await api.data(
            CORRECT_FUND,
            {"input": {"entry": entry["id"], "kind": "AMENDMENT", "reason": "金额录错", "changes": {"amount": "1000"}}},
            as_user=CLERK,
        )
    )["correctFundEntry"]
    assert amended["errors"] == []
    assert (amended["reversal"]["amount"], amended["amendment"]["amount"]) == ("-100.00", "1000.00")
    again = (
        await api.data(
            CORRECT_FUND, {"input": {"entry": entry["id"], "kind": "REVERSAL", "reason": "x"}}, as_user=CLERK
        )
    )["correctFundEntry"]
    assert codes(again) == [("ALREADY_CORRECTED", "entry")]
    seen = await read_ledger(api, contract)
    assert seen["funds"]["nodes"] == [{"id": amended["amendment"]["id"], "amount": "1000.00", "kind": "AMENDMENT"}]
    assert seen["fundHistory"]["totalCount"] == 3
    assert seen["summary"]["fundsReceived"] == "1000.00"


async def test_rule_9_refusals_write_nothing(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    before = await ledger_state(ledger)
    start = contract.service_start
    assert start is not None
    cases = [
        ({"serviceDate": (start - dt.timedelta(days=1)).isoformat()}, "OUTSIDE_SERVICE_PERIOD", "entry.serviceDate"),
        ({"serviceDate": (today() + dt.timedelta(days=1)).isoformat()}, "INVALID_DATE", "entry.serviceDate"),
        ({"catalogueItemCode": "A01"}, "ITEM_NOT_IN_CONTRACT", "entry.catalogueItemCode"),
        ({"catalogueItemCode": "ZZ9"}, "ITEM_NOT_IN_CONTRACT", "entry.catalogueItemCode"),
        ({"township": await township(GAOGANG)}, "TOWNSHIP_OUTSIDE_DISTRICT", "entry.township"),
        ({"township": "12345"}, "INVALID", "entry.township"),
        ({"quantity": "0"}, "INVALID_QUANTITY", "entry.quantity"),
        ({"quantity": "1.234"}, "INVALID_QUANTITY", "entry.quantity"),
        ({"satisfaction": 6}, "INVALID", "entry.satisfaction"),
        ({"content": "  "}, "REQUIRED", "entry.content"),
        ({"staff": "张" * 201}, "TOO_LONG", "entry.staff"),
    ]
    for overrides, code, field in cases:
        payload = await add(api, contract, **overrides)
        assert codes(payload) == [(code, field)], overrides
        assert payload["serviceEntry"] is None
        assert payload["ledger"] is None
    period = (await add(api, contract, serviceDate=(start - dt.timedelta(days=1)).isoformat()))["errors"][0]
    assert period["article"] == "第九条第（四）项"
    fund = await api.data(
        ADD_FUND,
        {
            "input": {
                "contract": gid("Contract", contract.pk),
                "entry": fund_input(entryDate=(contract.signed_on - dt.timedelta(days=1)).isoformat()),  # type: ignore[operator]
            }
        },
        as_user=CLERK,
    )
    assert codes(fund["addFundEntry"]) == [("INVALID_DATE", "entry.entryDate")]
    assert await ledger_state(ledger) == before


@pytest.mark.parametrize(
    ("status", "service_code", "fund_ok"),
    [
        (ContractStatus.ACCEPTANCE_FAILED, None, True),  # rectification: still open
        (ContractStatus.ACCEPTED, "LEDGER_LOCKED", True),  # the final payment is received after acceptance
        (ContractStatus.CLOSED, "LEDGER_LOCKED", False),
        (ContractStatus.TERMINATED, "LEDGER_NOT_OPEN", False),
    ],
)
async def test_ledger_window_follows_the_contract(
    api: Api, status: ContractStatus, service_code: str | None, fund_ok: bool
) -> None:
    contract, ledger = await make_contract(status)
    assert ledger is not None
    # an entry from before the state change, to try to correct
    original = await ServiceEntry.create(
        ledger=ledger,
        contract=contract,
        district_id=HAILING,
        contractor_id=contract.contractor_id,  # type: ignore[attr-defined]
        service_date=today() - dt.timedelta(days=30),
        catalogue_item=await CatalogueItem.get(code="S06"),
        assistance_category="tekun",
        township_id=await township(),
        content="探访",
        quantity=Decimal("2.00"),
        unit="hours",
        staff="王芳",
    )
    before = await ledger_state(ledger)
    payload = await add(api, contract)
    correction = (
        await api.data(
            CORRECT,
            {"input": {"entry": gid("ServiceEntry", original.pk), "kind": "REVERSAL", "reason": "x"}},
            as_user=CLERK,
        )
    )["correctServiceEntry"]
    fund = (
        await api.data(
            ADD_FUND, {"input": {"contract": gid("Contract", contract.pk), "entry": fund_input()}}, as_user=CLERK
        )
    )["addFundEntry"]
    if service_code is None:
        assert payload["errors"] == []
        assert correction["errors"] == []
    else:
        assert codes(payload) == [(service_code, "contract")]
        assert codes(correction) == [(service_code, "contract")]
        assert payload["errors"][0]["article"] == "第十四条"
    assert (fund["errors"] == []) is fund_ok
    if service_code is not None and not fund_ok:
        assert await ledger_state(ledger) == before
    seen = await read_ledger(api, contract)
    assert seen["acceptsEntries"] is (service_code is None)


async def test_no_ledger_before_performance(api: Api) -> None:
    contract, _ = await make_contract(ContractStatus.FILED, ledger=False)
    payload = await add(api, contract)
    assert codes(payload) == [("LEDGER_NOT_OPEN", "contract")]
    assert await ServiceEntry.filter(contract_id=contract.pk).count() == 0


async def test_expected_version_on_single_entries(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    """Adding an entry needs no version, and an older one is not a conflict (appends commute; issue 18): only a
    version the ledger never reached is refused. A correction's version, when given, must be the current one."""
    contract, ledger = open_contract
    assert (await add(api, contract))["errors"] == []
    older = {"contract": gid("Contract", contract.pk), "entry": await service_input(), "expectedVersion": 0}
    payload = (await api.data(ADD, {"input": older}, as_user=CLERK))["addServiceEntry"]
    assert payload["errors"] == []
    assert payload["ledger"]["version"] == 2
    future = {"contract": gid("Contract", contract.pk), "entry": await service_input(), "expectedVersion": 5}
    payload = (await api.data(ADD, {"input": future}, as_user=CLERK))["addServiceEntry"]
    assert payload["errors"] == [
        {
            "code": "VERSION_CONFLICT",
            "message": payload["errors"][0]["message"],
            "field": "expectedVersion",
            "article": "第十四条",
            "row": None,
            "currentVersion": 2,
        }
    ]
    assert "版本5" in payload["errors"][0]["message"]
    assert await ledger_state(ledger) == (2, 2, 0)

    # A correction that names the version it saw is refused when anything was written since.
    entry = (await read_ledger(api, contract))["current"]["nodes"][0]["id"]
    stale = {"entry": entry, "kind": "REVERSAL", "reason": "重复录入", "expectedVersion": 1}
    payload = (await api.data(CORRECT, {"input": stale}, as_user=CLERK))["correctServiceEntry"]
    assert codes(payload) == [("VERSION_CONFLICT", "expectedVersion")]
    assert payload["errors"][0]["currentVersion"] == 2
    assert await ledger_state(ledger) == (2, 2, 0)
    current = {**stale, "expectedVersion": 2}
    payload = (await api.data(CORRECT, {"input": current}, as_user=CLERK))["correctServiceEntry"]
    assert payload["errors"] == []
    assert payload["ledger"]["version"] == 3
