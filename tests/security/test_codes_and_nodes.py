"""Codes a person can type and the new nodes keep tenants apart.

- A contract number, project number, plan code or credit code of another tenant's object answers exactly like one
  that does not exist: null from the root fields, NOT_FOUND (same body) from mutations and the ledger file routes.
- ``Account`` and ``ApiKey`` are nodes: ``node``/``nodes`` show an account only to those whose ``accounts`` list
  shows it (and to its holder), a key only to those whose ``apiKeys`` list shows it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from models import Contract as ContractRow
from models import Contractor as ContractorRow
from models import ProcurementProject as ProjectRow
from models import PurchasePlan as PlanRow
from models import User as UserRow
from models.timeutil import now
from tests.helpers import Api
from tests.security.support import CLERKS, call, data, gid

HAILING, GAOGANG = "321202", "321203"
MISSING_CONTRACT = "TZ-321202-2024-999"

BY_CODE = """
query($c: String, $p: String, $l: String) {
  contract(code: $c) { id }
  procurementProject(code: $p) { id }
  purchasePlan(code: $l) { id }
}
"""
SIGN = """
mutation($c: ID!) { signContract(input: {contract: $c}) { contract { id } errors { code message field article } } }
"""


async def _foreign_codes(district: str) -> dict[str, str]:
    """A contract number, project number and plan code of ``district``."""
    contract = await ContractRow.filter(district_id=district).order_by("id").first()
    project = await ProjectRow.filter(district_id=district).order_by("id").first()
    plan = await PlanRow.filter(district_id=district).order_by("id").first()
    assert contract is not None
    assert project is not None
    assert plan is not None
    return {"c": contract.code, "p": project.code, "l": f"JH-{plan.district_id}-{plan.year}"}


@pytest.mark.parametrize("user", ["hailing_purchaser", "hailing_agency", "hailing_finance"])
async def test_another_districts_codes_find_nothing(api: Api, user: str) -> None:
    """A Hailing user typing Gaogang's codes gets null, as for codes that do not exist; its own codes work."""
    foreign = await data(api, BY_CODE, await _foreign_codes(GAOGANG), user=user)
    missing = await data(
        api, BY_CODE, {"c": MISSING_CONTRACT, "p": "CG-321202-2024-999", "l": "JH-321202-1990"}, user=user
    )
    assert foreign == missing == {"contract": None, "procurementProject": None, "purchasePlan": None}
    own = await data(api, BY_CODE, await _foreign_codes(HAILING), user=user)
    assert own["contract"] is not None
    assert own["purchasePlan"] is not None


async def test_a_contractor_finds_only_its_own_contracts_and_itself_by_code(api: Api) -> None:
    """A contractor clerk: another contractor's contract number and credit code are null, like unknown ones."""
    clerk, credit_code = next(iter(sorted(CLERKS.items())))
    mine = await ContractorRow.get(credit_code=credit_code)
    other = await ContractorRow.exclude(pk=mine.pk).order_by("id").first()
    theirs = await ContractRow.exclude(contractor_id=mine.pk).order_by("id").first()
    own = await ContractRow.filter(contractor_id=mine.pk).order_by("id").first()
    assert other is not None
    assert theirs is not None
    assert own is not None
    query = "query($c: String!, $k: String!) { contract(code: $c) { id } contractor(creditCode: $k) { id } }"
    assert await data(api, query, {"c": theirs.code, "k": other.credit_code}, user=clerk) == {
        "contract": None,
        "contractor": None,
    }
    assert await data(api, query, {"c": own.code, "k": credit_code}, user=clerk) == {
        "contract": {"id": gid("Contract", own.pk)},
        "contractor": {"id": gid("Contractor", mine.pk)},
    }


async def test_mutations_by_code_refuse_foreign_codes_like_unknown_ones(api: Api) -> None:
    """``signContract`` given another district's contract number: the same NOT_FOUND payload as an unknown
    number; given its own (already signed) contract's number, the rule answers — the code was found."""
    foreign = (await _foreign_codes(GAOGANG))["c"]
    refused = await data(api, SIGN, {"c": foreign}, user="hailing_agency")
    unknown = await data(api, SIGN, {"c": MISSING_CONTRACT}, user="hailing_agency")
    assert refused == unknown
    assert [e["code"] for e in refused["signContract"]["errors"]] == ["NOT_FOUND"]
    signed = await ContractRow.filter(district_id=HAILING, signed_on__isnull=False).order_by("id").first()
    assert signed is not None
    answered = await data(api, SIGN, {"c": signed.code}, user="hailing_agency")
    assert answered["signContract"]["errors"]
    assert "NOT_FOUND" not in [e["code"] for e in answered["signContract"]["errors"]]
    assert await ContractRow.get(pk=signed.pk).values_list("signed_on", flat=True) == signed.signed_on


async def test_ledger_routes_by_code_hide_other_tenants(api: Api) -> None:
    """``/ledgers/<number>/export.csv`` and ``/import`` with another district's (or contractor's) contract
    number: the same 404 body as a number that does not exist."""
    foreign = (await ContractRow.filter(district_id=GAOGANG, ledger__id__isnull=False).order_by("id").first()).code
    clerk, credit_code = next(iter(sorted(CLERKS.items())))
    mine = await ContractorRow.get(credit_code=credit_code)
    theirs = (await ContractRow.exclude(contractor_id=mine.pk).filter(ledger__id__isnull=False).first()).code
    for user, code in (("hailing_agency", foreign), (clerk, theirs)):
        headers = {"Authorization": f"Bearer {await api.token(user)}"}
        hidden = await api.client.get(f"/ledgers/{code}/export.csv", headers=headers)
        absent = await api.client.get(f"/ledgers/{MISSING_CONTRACT}/export.csv", headers=headers)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json() == absent.json()
        write = {**headers, "Idempotency-Key": "codes-1", "If-Match": '"0"'}
        hidden = await api.client.post(f"/ledgers/{code}/import", headers=write, content=b"x")
        absent = await api.client.post(f"/ledgers/{MISSING_CONTRACT}/import", headers=write, content=b"x")
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json() == absent.json()


# --- Account and ApiKey nodes -----------------------------------------------------------------------------------

NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
ACCOUNTS = "{ accounts(first: 100) { totalCount nodes { id username } } }"
KEYS = "{ apiKeys(first: 100) { totalCount nodes { id } } }"
ISSUE = """
mutation($c: ID!, $e: DateTime!) {
  issueApiKey(input: {contractor: $c, name: "节点测试", expiresAt: $e}) { apiKey { id } errors { code } }
}
"""

ADMINS = ["city_admin", "hailing_admin", "gaogang_admin", "xinyuan_admin", "anhe_admin"]
OTHERS = ["hailing_purchaser", "city_finance", "xinyuan_clerk", None]


async def _visible(api: Api, ids: list[str], user: str | None) -> set[str]:
    """The IDs among ``ids`` that ``nodes`` shows ``user`` (checked against ``node`` one by one, too)."""
    out: set[str] = set()
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        got = (await data(api, NODES, {"ids": chunk}, user=user))["nodes"]
        assert len(got) == len(chunk)
        for asked, node in zip(chunk, got, strict=True):
            if node is not None:
                assert node["id"] == asked
                out.add(asked)
    sample = ids[:5]
    for one in sample:
        node = (await data(api, "query($id: ID!) { node(id: $id) { id } }", {"id": one}, user=user))["node"]
        assert (node is not None) == (one in out)
    return out


async def _list(api: Api, query: str, user: str | None, field: str) -> set[str]:
    if user is None:
        return set()
    body = await data(api, query, user=user)
    assert body[field]["totalCount"] <= 100
    return {n["id"] for n in body[field]["nodes"]}


@pytest.mark.parametrize("user", ADMINS + OTHERS)
async def test_account_nodes_are_scoped_like_the_accounts_list(api: Api, user: str | None) -> None:
    """``nodes`` over every account: exactly those in the caller's ``accounts`` list, plus its own."""
    every = sorted(await _list(api, ACCOUNTS, "city_admin", "accounts"))
    assert len(every) > 30
    expected = await _list(api, ACCOUNTS, user, "accounts")
    if user is not None:
        expected.add(gid("Account", (await UserRow.get(username=user)).pk))
    assert await _visible(api, every, user) == expected
    if user in ("hailing_purchaser", "xinyuan_clerk"):
        assert expected == {gid("Account", (await UserRow.get(username=user)).pk)}


async def test_own_account_node_shows_own_history_only(api: Api) -> None:
    """A user reads its own account (and its history); a colleague's account is null, as an unknown one is."""
    me = gid("Account", (await UserRow.get(username="hailing_purchaser")).pk)
    colleague = gid("Account", (await UserRow.get(username="hailing_agency")).pk)
    query = "query($id: ID!) { node(id: $id) { ... on Account { username history { totalCount } } } }"
    own = await data(api, query, {"id": me}, user="hailing_purchaser")
    assert own["node"]["username"] == "hailing_purchaser"
    other = await call(api, query, {"id": colleague}, user="hailing_purchaser")
    unknown = await call(api, query, {"id": gid("Account", 999_999)}, user="hailing_purchaser")
    assert other == unknown
    assert other["data"] == {"node": None}


@pytest.fixture
async def issued_keys(api: Api) -> list[str]:
    """One API key each for two contractors, issued by their own administrators."""
    expires = (now() + dt.timedelta(days=30)).isoformat()
    out = []
    for admin, slug in (("xinyuan_admin", "xinyuan_clerk"), ("anhe_admin", "anhe_clerk")):
        contractor = await ContractorRow.get(credit_code=CLERKS[slug])
        result = await data(api, ISSUE, {"c": gid("Contractor", contractor.pk), "e": expires}, user=admin)
        assert result["issueApiKey"]["errors"] == []
        out.append(result["issueApiKey"]["apiKey"]["id"])
    return out


@pytest.mark.parametrize("user", ADMINS + OTHERS)
async def test_api_key_nodes_are_scoped_like_the_api_keys_list(
    api: Api, issued_keys: list[str], user: str | None
) -> None:
    """``nodes`` over every key: exactly those in the caller's ``apiKeys`` list (its organisation's, or all)."""
    every = sorted(await _list(api, KEYS, "city_admin", "apiKeys"))
    assert set(issued_keys) <= set(every)
    expected = await _list(api, KEYS, user, "apiKeys")
    assert await _visible(api, every, user) == expected
    if user == "xinyuan_admin":
        assert issued_keys[0] in expected
        assert issued_keys[1] not in expected


async def test_api_key_caller_sees_no_account(api: Api, issued_keys: list[str]) -> None:
    """A machine client (API key) has no account: every Account and ApiKey node is null for it."""
    expires = (now() + dt.timedelta(days=30)).isoformat()
    contractor = await ContractorRow.get(credit_code=CLERKS["xinyuan_clerk"])
    mutation = ISSUE.replace("apiKey { id }", "apiKey { id } key")
    issued = await data(api, mutation, {"c": gid("Contractor", contractor.pk), "e": expires}, user="xinyuan_admin")
    key = issued["issueApiKey"]["key"]
    ids = [*issued_keys, gid("Account", (await UserRow.get(username="xinyuan_admin")).pk)]
    response = await api.post(NODES, {"ids": ids}, token=key)
    body: dict[str, Any] = response.json()
    assert response.status_code == 200
    assert body["data"]["nodes"] == [None] * len(ids)
