"""Recording a violation (第六条第（六）项) is scoped: a major one bars a contractor in every district, so a district
agency may record one only against a contractor that signed a contract of its own district; a city-wide finding
about any contractor is the city civil affairs bureau's (``policies/policy.csv``, ``policies/violations.py``).

Before: any district agency could record a major violation against any contractor, including one registered and
working only elsewhere, and so block other districts' awards. Every refusal here changes nothing."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from models import ChangeRecord, Contract, Contractor, ContractorViolation
from models.timeutil import today
from schema.relay import decode_id, encode_id
from tests.helpers import Api
from tests.security.support import CLERKS, DISTRICTS

VIOLATION = """
mutation($c: ID!, $on: Date!, $text: String!, $major: Boolean!) {
  recordContractorViolation(input: {contractor: $c, occurredOn: $on, description: $text, isMajor: $major}) {
    violation { id } contractor { id eligible } errors { code field message }
  }
}
"""


async def _signed_in() -> dict[str, set[int]]:
    """District code → contractors that signed a contract of that district."""
    out: dict[str, set[int]] = defaultdict(set)
    for district, contractor in await Contract.filter(signed_on__isnull=False).values_list(
        "district_id", "contractor_id"
    ):
        out[str(district)].add(int(contractor))
    return out


async def _state() -> tuple[Any, ...]:
    return (
        await ContractorViolation.all().order_by("id").values_list("id", "contractor_id", "is_major"),
        await ChangeRecord.all().count(),
        await Contractor.all().order_by("id").values_list("id", "credit_status"),
    )


def _variables(contractor_pk: int, major: bool = True) -> dict[str, Any]:
    return {"c": encode_id("Contractor", contractor_pk), "on": today().isoformat(), "text": "越权记录", "major": major}


async def _refusal(api: Api, user: str | None, contractor_pk: int) -> dict[str, Any]:
    payload = (await api.data(VIOLATION, _variables(contractor_pk), as_user=user))["recordContractorViolation"]
    assert payload["violation"] is None, (user, payload)
    assert payload["contractor"] is None, (user, payload)
    [error] = payload["errors"]
    assert error["field"] == "contractor"
    assert error["message"]
    assert "FORBIDDEN" not in error["message"]
    return error


async def test_every_district_agency_is_refused_for_another_districts_contractors(api: Api) -> None:
    signed = await _signed_in()
    everyone = set(await Contractor.all().values_list("id", flat=True))
    before = await _state()
    tried = 0
    for code, slug in DISTRICTS.items():
        others = sorted(everyone - signed[code])
        assert others, f"every contractor signed in {code}: the test would prove nothing"
        for contractor_pk in others:
            error = await _refusal(api, f"{slug}_agency", contractor_pk)
            assert error["code"] == "FORBIDDEN", (slug, contractor_pk, error)
            tried += 1
    assert tried >= len(DISTRICTS)
    assert await _state() == before


@pytest.mark.parametrize(
    "user", ["city_finance", "hailing_finance", "hailing_purchaser", "taixing_purchaser", "city_admin"]
)
async def test_finance_purchasers_and_administrators_record_no_violation(api: Api, user: str) -> None:
    signed = await _signed_in()
    before = await _state()
    for contractor_pk in sorted(set().union(*signed.values())):
        error = await _refusal(api, user, contractor_pk)
        assert error["code"] in {"FORBIDDEN", "NOT_FOUND"}, (user, error)
    assert await _state() == before


async def test_contractors_and_the_public_record_no_violation(api: Api) -> None:
    ids = dict(await Contractor.all().values_list("credit_code", "id"))
    before = await _state()
    for clerk, credit_code in CLERKS.items():
        own = ids[credit_code]
        assert (await _refusal(api, clerk, own))["code"] == "FORBIDDEN"
        other = next(pk for code, pk in ids.items() if code != credit_code)
        assert (await _refusal(api, clerk, other))["code"] in {"FORBIDDEN", "NOT_FOUND"}
    for pk in ids.values():
        assert (await _refusal(api, None, pk))["code"] in {"FORBIDDEN", "NOT_FOUND"}
    assert await _state() == before


async def test_own_contracts_and_city_wide_findings_are_still_recorded(api: Api) -> None:
    signed = await _signed_in()
    code, slug = next((c, s) for c, s in DISTRICTS.items() if signed[c])
    contractor_pk = min(signed[code])
    created: list[str] = []
    try:
        for user in (f"{slug}_agency", "city_civil_affairs"):
            payload = (await api.data(VIOLATION, _variables(contractor_pk, major=False), as_user=user))[
                "recordContractorViolation"
            ]
            assert payload["errors"] == [], (user, payload)
            created.append(payload["violation"]["id"])
        # The city bureau also records against a contractor without any contract.
        stranger = await Contractor.create(
            name="无合同的测试机构",
            credit_code="52321200MJ5999999X",
            kind="social_organisation",
            registration_authority="泰州市民政局",
            contact_person="测试",
            contact_phone="0523-86000000",
        )
        try:
            payload = (await api.data(VIOLATION, _variables(stranger.pk, major=False), as_user="city_civil_affairs"))[
                "recordContractorViolation"
            ]
            assert payload["errors"] == []
            for other_slug in DISTRICTS.values():
                assert (await _refusal(api, f"{other_slug}_agency", stranger.pk))["code"] == "FORBIDDEN"
        finally:
            await stranger.delete()
    finally:
        await ContractorViolation.filter(pk__in=[int(decode_id(v)[1]) for v in created]).delete()
