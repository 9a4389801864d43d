"""Machine clients' API keys (ledger sync, 第十四条): issued by the contractor's administrator, shown once, stored
hashed, acting only as ``contractor_ledger`` of that contractor, expiring within a year, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib

import httpx

from models import ApiKey, ChangeRecord, Contractor
from models.timeutil import now
from schema.relay import decode_id, encode_id
from tests.helpers import Api

ERRORS = "errors { code message field article }"
KEY_FIELDS = "id name prefix role domain status expiresAt revokedAt lastUsedAt contractor { name }"
ISSUE = f"""
mutation($c: ID!, $n: String!, $e: DateTime!) {{
  issueApiKey(input: {{contractor: $c, name: $n, expiresAt: $e}}) {{ apiKey {{ {KEY_FIELDS} }} key {ERRORS} }}
}}
"""
REVOKE = f"mutation($k: ID!) {{ revokeApiKey(input: {{apiKey: $k}}) {{ apiKey {{ {KEY_FIELDS} }} {ERRORS} }} }}"
KEYS = f"query($c: ID) {{ apiKeys(first: 100, contractor: $c) {{ totalCount nodes {{ {KEY_FIELDS} }} }} }}"
KEY_HISTORY = "{ apiKeys(first: 100) { nodes { id history { nodes { action actorName note after } } } } }"
ME = "{ me { username roles { role domain } } }"
CONTRACTS = "{ contracts(first: 100) { totalCount nodes { id } } }"
XINYUAN_CODE = "52321200MJ5083166C"
ANHE_CODE = "52321202MJ5120473G"


async def _contractor(code: str) -> tuple[int, str]:
    row = await Contractor.get(credit_code=code)
    return row.pk, encode_id("Contractor", row.pk)


def _in(days: float) -> str:
    return (now() + dt.timedelta(days=days)).isoformat()


async def _issue(api: Api, name: str = "台账同步系统", days: float = 30, as_user: str = "xinyuan_admin") -> dict:
    _, contractor = await _contractor(XINYUAN_CODE)
    payload = (await api.data(ISSUE, {"c": contractor, "n": name, "e": _in(days)}, as_user=as_user))["issueApiKey"]
    assert payload["errors"] == [], payload
    return payload


async def _with_key(api: Api, key: str, query: str) -> httpx.Response:
    return await api.client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"})


async def test_issued_key_is_shown_once_stored_hashed_and_acts_only_as_ledger_sync(api: Api) -> None:
    pk, contractor = await _contractor(XINYUAN_CODE)
    payload = await _issue(api)
    key, listed = payload["key"], payload["apiKey"]
    scheme, prefix, secret = key[:3], key[3:15], key[16:]
    assert scheme == "jz_"
    assert key[15] == "_"
    assert listed["prefix"] == prefix
    assert listed["role"] == "CONTRACTOR_LEDGER"
    assert listed["domain"] == f"contractor:{pk}"
    assert listed["status"] == "ACTIVE"
    assert listed["contractor"]["name"]
    row = await ApiKey.get(prefix=prefix)
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in row.key_hash
    assert row.created_by_id is not None

    # Listed afterwards without any secret.
    keys = (await api.data(KEYS, {"c": contractor}, as_user="xinyuan_admin"))["apiKeys"]["nodes"]
    assert listed["id"] in {k["id"] for k in keys}
    assert secret not in str(keys)

    me = await _with_key(api, key, ME)
    assert me.status_code == 200
    assert me.json()["data"]["me"]["roles"] == [{"role": "CONTRACTOR_LEDGER", "domain": f"contractor:{pk}"}]
    contracts = (await _with_key(api, key, CONTRACTS)).json()["data"]["contracts"]
    assert contracts["totalCount"] > 0
    own = (await api.data(CONTRACTS, as_user="xinyuan_clerk"))["contracts"]
    assert {c["id"] for c in contracts["nodes"]} == {c["id"] for c in own["nodes"]}  # its contractor's only
    # Nothing of an administrator: no accounts, no new keys, no password change.
    body = (await _with_key(api, key, "{ accounts(first: 5) { totalCount } }")).json()
    assert body["data"]["accounts"]["totalCount"] == 0
    issue = (
        await api.client.post(
            "/graphql",
            json={"query": ISSUE, "variables": {"c": contractor, "n": "再签发", "e": _in(10)}},
            headers={"Authorization": f"Bearer {key}"},
        )
    ).json()["data"]["issueApiKey"]
    assert issue["errors"][0]["code"] == "FORBIDDEN"  # it reads its own profile but may not issue keys
    assert issue["key"] is None
    change = (
        await api.client.post(
            "/graphql",
            json={
                "query": 'mutation { changeMyPassword(input: {oldPassword: "x", newPassword: "y"}) '
                "{ errors { code } } }"
            },
            headers={"Authorization": f"Bearer {key}"},
        )
    ).json()["data"]["changeMyPassword"]
    assert change["errors"][0]["code"] == "NOT_SIGNED_IN"


async def test_last_use_is_written_at_most_once_a_minute(api: Api) -> None:
    key = (await _issue(api, "用量"))["key"]
    prefix = key[3:15]
    assert (await ApiKey.get(prefix=prefix)).last_used_at is None
    assert (await _with_key(api, key, ME)).status_code == 200
    first = (await ApiKey.get(prefix=prefix)).last_used_at
    assert first is not None
    assert (await _with_key(api, key, ME)).status_code == 200
    assert (await ApiKey.get(prefix=prefix)).last_used_at == first
    await ApiKey.filter(prefix=prefix).update(last_used_at=first - dt.timedelta(minutes=2))
    assert (await _with_key(api, key, ME)).status_code == 200
    assert (await ApiKey.get(prefix=prefix)).last_used_at > first


async def test_expiry_must_be_within_a_year_and_the_name_given(api: Api) -> None:
    _, contractor = await _contractor(XINYUAN_CODE)
    count = await ApiKey.all().count()
    for name, expires, code, field in (
        ("太久", _in(367), "INVALID_EXPIRY", "expiresAt"),
        ("过去", _in(-1), "INVALID_EXPIRY", "expiresAt"),
        ("   ", _in(30), "REQUIRED", "name"),
        ("长" * 101, _in(30), "TOO_LONG", "name"),
    ):
        payload = (await api.data(ISSUE, {"c": contractor, "n": name, "e": expires}, as_user="xinyuan_admin"))[
            "issueApiKey"
        ]
        assert payload["apiKey"] is None
        assert payload["key"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], payload
    assert await ApiKey.all().count() == count
    assert (await _issue(api, "满一年", days=364))["apiKey"]["status"] == "ACTIVE"


async def test_only_the_contractors_own_administrator_issues_its_keys(api: Api) -> None:
    _, xinyuan = await _contractor(XINYUAN_CODE)
    count = await ApiKey.all().count()
    for user, code in (
        ("anhe_admin", "NOT_FOUND"),  # another contractor: does not even see it
        ("hailing_admin", "NOT_FOUND"),
        ("xinyuan_clerk", "FORBIDDEN"),  # sees its contractor, but is no administrator
        ("city_admin", "FORBIDDEN"),
        ("city_civil_affairs", "FORBIDDEN"),
    ):
        payload = (await api.data(ISSUE, {"c": xinyuan, "n": "越权", "e": _in(30)}, as_user=user))["issueApiKey"]
        assert payload["key"] is None
        assert payload["errors"][0]["code"] == code, (user, payload)
    anonymous = (await api.data(ISSUE, {"c": xinyuan, "n": "公众", "e": _in(30)}))["issueApiKey"]
    assert anonymous["errors"][0]["code"] == "FORBIDDEN"  # the registry is public, issuing is not
    assert await ApiKey.all().count() == count


async def test_revocation_and_expiry_stop_a_key_at_its_next_use(api: Api) -> None:
    issued = await _issue(api, "将注销")
    key, key_id = issued["key"], issued["apiKey"]["id"]
    assert (await _with_key(api, key, ME)).status_code == 200

    # Another contractor's administrator cannot see or revoke it; the city administrator sees every key.
    foreign = (await api.data(REVOKE, {"k": key_id}, as_user="anhe_admin"))["revokeApiKey"]
    assert foreign["errors"][0]["code"] == "NOT_FOUND"
    assert key_id not in {k["id"] for k in (await api.data(KEYS, as_user="anhe_admin"))["apiKeys"]["nodes"]}
    assert key_id in {k["id"] for k in (await api.data(KEYS, as_user="city_admin"))["apiKeys"]["nodes"]}
    assert (await api.data(KEYS, as_user="hailing_admin"))["apiKeys"]["totalCount"] == 0
    assert (await ApiKey.get(prefix=key[3:15])).revoked_at is None

    revoked = (await api.data(REVOKE, {"k": key_id}, as_user="xinyuan_admin"))["revokeApiKey"]
    assert revoked["errors"] == []
    assert revoked["apiKey"]["status"] == "REVOKED"
    response = await _with_key(api, key, ME)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "API_KEY_REVOKED"
    again = (await api.data(REVOKE, {"k": key_id}, as_user="xinyuan_admin"))["revokeApiKey"]
    assert again["errors"][0]["code"] == "INVALID_STATE"

    history = {
        k["id"]: k["history"]["nodes"]
        for k in (await api.data(KEY_HISTORY, as_user="xinyuan_admin"))["apiKeys"]["nodes"]
    }[key_id]
    assert [h["note"] for h in history] == ["issueApiKey", "revokeApiKey"]
    assert "xinyuan_admin" in history[0]["actorName"]
    assert "key_hash" not in history[0]["after"]
    assert await ChangeRecord.filter(entity_type="ApiKey", entity_id=str(decode_id(key_id)[1])).count() == 2

    city_revokes = await _issue(api, "市级注销")
    done = (await api.data(REVOKE, {"k": city_revokes["apiKey"]["id"]}, as_user="city_admin"))["revokeApiKey"]
    assert done["errors"] == []

    expiring = await _issue(api, "将过期")
    await ApiKey.filter(prefix=expiring["key"][3:15]).update(expires_at=now() - dt.timedelta(seconds=1))
    response = await _with_key(api, expiring["key"], ME)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "API_KEY_EXPIRED"
    listed = (await api.data(KEYS, as_user="xinyuan_admin"))["apiKeys"]["nodes"]
    assert {k["id"]: k["status"] for k in listed}[expiring["apiKey"]["id"]] == "EXPIRED"


async def test_unknown_or_tampered_keys_are_invalid_tokens(api: Api) -> None:
    key = (await _issue(api, "篡改"))["key"]
    for bad in (
        key[:-1] + ("A" if key[-1] != "A" else "B"),  # wrong secret
        "jz_000000000000_" + key[16:],  # unknown prefix
        "jz_" + key[3:15],  # no secret
        "jz_nothex000000_secret",
        "jz_" + "a" * 200,
    ):
        response = await _with_key(api, bad, ME)
        assert response.status_code == 401, bad
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN", bad


async def test_a_key_also_works_in_the_x_api_key_header(api: Api) -> None:
    """Machine clients often send keys as ``X-API-Key``: the same key, the same principal, the same refusals;
    a request carrying both headers is refused rather than guessed."""
    issued = await _issue(api, "X-API-Key 客户端")
    key = issued["key"]
    by_header = await api.client.post("/graphql", json={"query": ME}, headers={"X-API-Key": key})
    assert by_header.status_code == 200
    assert by_header.json()["data"] == (await _with_key(api, key, ME)).json()["data"]
    assert by_header.json()["data"]["me"]["roles"] == [
        {"role": "CONTRACTOR_LEDGER", "domain": issued["apiKey"]["domain"]}
    ]

    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), "not-a-key", "Bearer " + key):
        refused = await api.client.post("/graphql", json={"query": ME}, headers={"X-API-Key": bad})
        assert refused.status_code == 401, bad
        assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN", bad

    token = await api.token("xinyuan_clerk")
    both = await api.client.post(
        "/graphql", json={"query": ME}, headers={"X-API-Key": key, "Authorization": f"Bearer {token}"}
    )
    assert both.status_code == 401
    assert "只使用其中一种" in both.json()["errors"][0]["message"]

    # The ledger file routes accept it too.
    mine = "{ contracts(first: 50) { nodes { id ledger { id } } } }"
    contracts = (await api.client.post("/graphql", json={"query": mine}, headers={"X-API-Key": key})).json()
    contract = next(c["id"] for c in contracts["data"]["contracts"]["nodes"] if c["ledger"])
    export = await api.client.get(f"/ledgers/{contract}/export.csv", headers={"X-API-Key": key})
    assert export.status_code == 200
    tampered = await api.client.get(f"/ledgers/{contract}/export.csv", headers={"X-API-Key": key[:-2] + "00"})
    assert tampered.status_code == 401
