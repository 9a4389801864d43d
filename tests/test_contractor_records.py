"""The contractors' Art. 6 record through the API: attestations (one per condition, history kept) and
violations, written by a district agency (violations: only against a contractor of its district's contracts,
tests/security/test_violation_scope.py) or the city civil affairs bureau; eligibility stays computed.

Each test works on a contractor of its own (there is no API to register one), removed afterwards, so the
seeded contractors other tests award to are never touched."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from stdnum.cn import uscc

from models import ChangeRecord, Contractor, ContractorViolation, EligibilityAttestation
from models.enums import ContractorKind
from models.timeutil import today
from schema.relay import decode_id, encode_id
from tests.helpers import Api

CONDITIONS = [
    "LEGALLY_ESTABLISHED",
    "GOVERNANCE",
    "FINANCIAL_MANAGEMENT",
    "CAPACITY",
    "TAX_AND_SOCIAL_SECURITY",
    "CLEAN_RECORD",
    "SEPARATION",
    "OTHER_CONDITIONS",
]
CONTRACTOR_FIELDS = "id eligible eligibilityProblems { condition reason article }"
ERRORS = "errors { code message field article }"
ATTEST = f"""
mutation($c: ID!, $cond: EligibilityCondition!, $ok: Boolean!, $ref: String!, $on: Date!) {{
  recordEligibilityAttestation(input: {{contractor: $c, condition: $cond, attested: $ok, evidenceRef: $ref,
                                        attestedOn: $on}}) {{
    attestation {{ id condition attested evidenceRef attestedOn }}
    contractor {{ {CONTRACTOR_FIELDS} }}
    {ERRORS}
  }}
}}
"""
VIOLATION = f"""
mutation($c: ID!, $on: Date!, $text: String!, $major: Boolean!) {{
  recordContractorViolation(input: {{contractor: $c, occurredOn: $on, description: $text, isMajor: $major}}) {{
    violation {{ id occurredOn description isMajor }}
    contractor {{ {CONTRACTOR_FIELDS} }}
    {ERRORS}
  }}
}}
"""
READ = f"""
query($id: ID!) {{ node(id: $id) {{ ... on Contractor {{
  {CONTRACTOR_FIELDS}
  attestations(first: 20) {{ totalCount edges {{ node {{ id condition attested }} }} }}
  violations(first: 20) {{ totalCount }}
}} }} }}
"""
HISTORY = """
query($id: ID!) { node(id: $id) { ... on Historied { history(first: 20) { edges { node {
  action actorName before after note
} } } } } }
"""
MY_CONTRACTOR = "{ me { roles { contractor { id } } } }"


def _credit_code() -> str:
    """A fresh, valid unified social credit code (GB 32100-2015 check character)."""
    body = "523212" + "00" + "MJ" + f"{uuid.uuid4().int % 10**7:07d}"
    return body + uscc.calc_check_digit(body)


@pytest.fixture
async def contractor() -> AsyncIterator[str]:
    """A contractor of this test only (global ID); deleted with its record afterwards."""
    row = await Contractor.create(
        name=f"测试社会工作服务中心{uuid.uuid4().hex[:6]}",
        credit_code=_credit_code(),
        kind=ContractorKind.SOCIAL_ORGANISATION,
        registration_authority="泰州市民政局",
        contact_person="测试",
        contact_phone="0523-86000000",
    )
    yield encode_id("Contractor", row.pk)
    await row.delete()  # attestations and violations cascade; history stays, as it should


def _attest(contractor: str, condition: str, ok: bool = True, ref: str = "", on: dt.date | None = None) -> dict:
    return {
        "c": contractor,
        "cond": condition,
        "ok": ok,
        "ref": ref or (f"档案-{condition}" if ok else ""),
        "on": (on or today()).isoformat(),
    }


async def _payload(api: Api, query: str, variables: dict[str, Any], user: str | None) -> dict[str, Any]:
    data = await api.data(query, variables, as_user=user)
    return next(iter(data.values()))


async def _ok(api: Api, query: str, variables: dict[str, Any], user: str | None) -> dict[str, Any]:
    payload = await _payload(api, query, variables, user)
    assert payload["errors"] == [], payload["errors"]
    return payload


async def _attest_all(api: Api, contractor: str, user: str = "hailing_agency") -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for condition in CONDITIONS:
        payload = await _ok(api, ATTEST, _attest(contractor, condition), user)
    return payload


def _pk(global_id: str) -> int:
    return int(decode_id(global_id)[1])


async def _record(contractor: str) -> tuple[Any, ...]:
    pk = _pk(contractor)
    attestations = await EligibilityAttestation.filter(contractor_id=pk).order_by("id").values()
    violations = await ContractorViolation.filter(contractor_id=pk).order_by("id").values()
    return attestations, violations, await ChangeRecord.all().count()


async def test_attestations_drive_computed_eligibility(api: Api, contractor: str) -> None:
    fresh = (await api.data(READ, {"id": contractor}, as_user="hailing_agency"))["node"]
    assert fresh["eligible"] is False
    assert [p["condition"] for p in fresh["eligibilityProblems"]] == CONDITIONS

    last = await _attest_all(api, contractor)
    assert last["contractor"]["eligible"] is True
    assert last["contractor"]["eligibilityProblems"] == []
    assert last["attestation"]["condition"] == "OTHER_CONDITIONS"
    assert last["attestation"]["evidenceRef"] == "档案-OTHER_CONDITIONS"

    # Recording a condition again replaces it (one record per condition): not attested → ineligible.
    first_c3 = await EligibilityAttestation.get(contractor_id=_pk(contractor), condition="c3_financial_management")
    withdrawn = await _ok(api, ATTEST, _attest(contractor, "FINANCIAL_MANAGEMENT", ok=False), "city_civil_affairs")
    assert withdrawn["attestation"]["id"] == encode_id("Attestation", first_c3.pk)
    assert withdrawn["attestation"]["attested"] is False
    assert withdrawn["contractor"]["eligible"] is False
    assert withdrawn["contractor"]["eligibilityProblems"] == [
        {"condition": "FINANCIAL_MANAGEMENT", "reason": "第六条该项条件未经核实确认", "article": "第六条第（三）项"}
    ]
    read = (await api.data(READ, {"id": contractor}, as_user="jiangyan_agency"))["node"]
    assert read["attestations"]["totalCount"] == 8
    assert read["eligible"] is False

    # The history of that condition keeps both attestations, with who made them.
    history = (await api.data(HISTORY, {"id": withdrawn["attestation"]["id"]}, as_user="city_civil_affairs"))["node"]
    entries = [e["node"] for e in history["history"]["edges"]]
    assert [e["action"] for e in entries] == ["CREATE", "UPDATE"]
    assert "hailing_agency" in entries[0]["actorName"]
    assert "city_civil_affairs" in entries[1]["actorName"]
    assert entries[1]["before"] == {"attested": True, "evidence_ref": "档案-FINANCIAL_MANAGEMENT"}
    assert entries[1]["after"] == {"attested": False, "evidence_ref": ""}
    assert entries[1]["note"] == "核实第六条第（三）项"

    again = await _ok(api, ATTEST, _attest(contractor, "FINANCIAL_MANAGEMENT", ref="财审2030-7"), "gaogang_agency")
    assert again["contractor"]["eligible"] is True


async def test_major_violation_within_three_years_fails_article_6_6(api: Api, contractor: str) -> None:
    await _attest_all(api, contractor)
    on = today()

    minor = await _ok(
        api,
        VIOLATION,
        {"c": contractor, "on": on.isoformat(), "text": "台账报送迟延", "major": False},
        "city_civil_affairs",
    )
    assert minor["violation"]["isMajor"] is False
    assert minor["contractor"]["eligible"] is True

    old = on.replace(year=on.year - 4)
    long_ago = await _ok(
        api,
        VIOLATION,
        {"c": contractor, "on": old.isoformat(), "text": "四年前的重大违法", "major": True},
        "city_civil_affairs",
    )
    assert long_ago["contractor"]["eligible"] is True  # outside the three years of 第六条（六）

    recent = on - dt.timedelta(days=2 * 365)
    major = await _ok(
        api,
        VIOLATION,
        {"c": contractor, "on": recent.isoformat(), "text": "虚报服务数量被行政处罚", "major": True},
        "city_civil_affairs",
    )
    assert major["violation"]["isMajor"] is True
    assert major["contractor"]["eligible"] is False
    assert major["contractor"]["eligibilityProblems"] == [
        {"condition": "CLEAN_RECORD", "reason": "前三年内有重大违法行为", "article": "第六条第（六）项"}
    ]
    history = (await api.data(HISTORY, {"id": major["violation"]["id"]}, as_user="city_civil_affairs"))["node"]
    entries = [e["node"] for e in history["history"]["edges"]]
    assert [e["action"] for e in entries] == ["CREATE"]
    assert entries[0]["after"]["is_major"] is True
    assert "city_civil_affairs" in entries[0]["actorName"]


async def test_record_refusals_are_typed_and_change_nothing(api: Api, contractor: str) -> None:
    before = await _record(contractor)
    tomorrow = today() + dt.timedelta(days=1)
    own = (await api.data(MY_CONTRACTOR, as_user="anhe_clerk"))["me"]["roles"][0]["contractor"]["id"]
    attest = _attest(contractor, "LEGALLY_ESTABLISHED")
    violation = {"c": contractor, "on": today().isoformat(), "text": "情况", "major": True}
    cases: list[tuple[str, dict[str, Any], str | None, str, str | None, str | None]] = [
        (ATTEST, {**attest, "ref": "  "}, "hailing_agency", "EVIDENCE_REQUIRED", "evidenceRef", "第六条"),
        (ATTEST, {**attest, "ref": "x" * 201}, "hailing_agency", "TOO_LONG", "evidenceRef", None),
        (ATTEST, {**attest, "on": tomorrow.isoformat()}, "hailing_agency", "INVALID_DATE", "attestedOn", None),
        (VIOLATION, {**violation, "text": " "}, "city_civil_affairs", "REQUIRED", "description", None),
        (
            VIOLATION,
            {**violation, "on": tomorrow.isoformat()},
            "city_civil_affairs",
            "INVALID_DATE",
            "occurredOn",
            None,
        ),
        # A district agency records violations only against contractors that signed a contract of its district.
        (VIOLATION, violation, "hailing_agency", "FORBIDDEN", "contractor", None),
        # Roles: the purchaser and finance read contractors but do not keep their Art. 6 record …
        (ATTEST, attest, "hailing_purchaser", "FORBIDDEN", "contractor", None),
        (ATTEST, attest, "city_finance", "FORBIDDEN", "contractor", None),
        (VIOLATION, violation, "hailing_finance", "FORBIDDEN", "contractor", None),
        # … a contractor never attests itself, and sees no other contractor; nor does the public.
        (ATTEST, {**attest, "c": own}, "anhe_clerk", "FORBIDDEN", "contractor", None),
        (VIOLATION, {**violation, "c": own}, "anhe_clerk", "FORBIDDEN", "contractor", None),
        (ATTEST, attest, "anhe_clerk", "NOT_FOUND", "contractor", None),
        (ATTEST, attest, None, "NOT_FOUND", "contractor", None),
        (VIOLATION, violation, None, "NOT_FOUND", "contractor", None),
        (ATTEST, {**attest, "c": "bm90LWFuLWlk"}, "hailing_agency", "NOT_FOUND", "contractor", None),
    ]
    own_before = await _record(own)
    for query, variables, user, code, field, article in cases:
        payload = await _payload(api, query, variables, user)
        assert [v for k, v in payload.items() if k != "errors"] == [None, None], (user, code, payload)
        first = payload["errors"][0]
        assert (first["code"], first["field"]) == (code, field), (user, code, payload["errors"])
        assert first["message"]
        if article is not None:
            assert first["article"] == article
    assert await _record(contractor) == before
    assert await _record(own) == own_before
