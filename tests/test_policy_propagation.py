"""A change made through one API process is enforced by another on its very next request: two real uvicorn
processes share one fresh PostgreSQL database; roles, sessions, accounts, API keys and failed sign-ins are all
read from that database on every request (``api/auth.py``), so there is nothing to propagate and nothing to
go stale — this test holds the system to it.

PostgreSQL only: two processes on one SQLite file would prove nothing about several hosts."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from api.cli import migrate_database, seed_database
from tests.conftest import BACKEND, create_pg_database, drop_pg_database
from tests.helpers import password_of
from tests.servers import STARTUP_TIMEOUT, Instance

pytestmark = pytest.mark.skipif(
    BACKEND != "postgres", reason="needs PostgreSQL (JIUZHU_TEST_DB=postgres): several processes share one server"
)

#: "Within a second" (issue 8): the refusal must come this soon after the change was acknowledged.
PROPAGATION_LIMIT = 1.0
ERRORS = "errors { code message }"
CREATE = f"""
mutation($u: String!, $p: String!) {{
  createAccount(input: {{username: $u, displayName: "传播测试", password: $p, role: DISTRICT_AGENCY,
                         domain: "district:321202"}}) {{ account {{ id }} {ERRORS} }}
}}
"""
ROLE = """
mutation($a: ID!) {{ {verb}(input: {{account: $a, role: DISTRICT_AGENCY, domain: "district:321202"}}) {{
  account {{ roles {{ role }} }} errors {{ code message }} }} }}
"""
DEACTIVATE = f'mutation($a: ID!) {{ deactivateAccount(input: {{account: $a, reason: "离职"}}) {{ {ERRORS} }} }}'
CHANGE = f"""
mutation($old: String!, $new: String!) {{
  changeMyPassword(input: {{oldPassword: $old, newPassword: $new}}) {{ {ERRORS} }}
}}
"""
ISSUE = f"""
mutation($c: ID!, $e: DateTime!) {{
  issueApiKey(input: {{contractor: $c, name: "传播测试", expiresAt: $e}}) {{ apiKey {{ id }} key {ERRORS} }}
}}
"""
REVOKE_KEY = f"mutation($k: ID!) {{ revokeApiKey(input: {{apiKey: $k}}) {{ {ERRORS} }} }}"
READ = "{ me { roles { role domain } } contracts(first: 1) { totalCount } }"
MY_CONTRACTOR = "{ me { roles { contractor { id } } } }"


@pytest.fixture(scope="module")
async def two_instances(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Instance, Instance]]:
    """Instances A and B on one fresh, migrated and seeded PostgreSQL database (for this module's tests)."""
    tmp_path = tmp_path_factory.mktemp("instances")
    url = await create_pg_database()
    instances: list[Instance] = []
    try:
        await migrate_database(url)
        await seed_database(url, demo=True)
        instances = [Instance("a", url, tmp_path), Instance("b", url, tmp_path)]
        await asyncio.wait_for(asyncio.gather(*(i.ready() for i in instances)), STARTUP_TIMEOUT + 10)
        yield instances[0], instances[1]
    finally:
        for instance in instances:
            await instance.stop()
        await drop_pg_database(url)


def _within_a_second(acknowledged: float) -> None:
    elapsed = time.monotonic() - acknowledged
    assert elapsed < PROPAGATION_LIMIT, f"refused {elapsed:.3f} s after the change"


async def test_changes_through_one_instance_are_enforced_by_the_other_at_once(
    two_instances: tuple[Instance, Instance],
) -> None:
    a, b = two_instances
    admin = (await a.login("city_admin", password_of("city_admin")))["token"]
    username, first_password, password = f"t_{uuid.uuid4().hex[:10]}", "First-Password-42", "Second-Password-42"
    created = (await a.data(CREATE, {"u": username, "p": first_password}, admin))["createAccount"]
    assert created["errors"] == []
    account = created["account"]["id"]

    # The account signs in on B and does its forced password change there.
    token = (await b.login(username, first_password))["token"]
    assert (await b.data(CHANGE, {"old": first_password, "new": password}, token))["changeMyPassword"]["errors"] == []
    seen = await b.data(READ, token=token)
    assert seen["me"]["roles"] == [{"role": "DISTRICT_AGENCY", "domain": "district:321202"}]
    assert seen["contracts"]["totalCount"] > 0

    # Revoked on A → B's very next request has no role and sees nothing.
    revoked = (await a.data(ROLE.format(verb="revokeRole"), {"a": account}, admin))["revokeRole"]
    acknowledged = time.monotonic()
    assert revoked["errors"] == []
    seen = await b.data(READ, token=token)
    _within_a_second(acknowledged)
    assert seen["me"]["roles"] == []
    assert seen["contracts"]["totalCount"] == 0

    # Granted on A → B's next request has it again.
    granted = (await a.data(ROLE.format(verb="grantRole"), {"a": account}, admin))["grantRole"]
    acknowledged = time.monotonic()
    assert granted["errors"] == []
    seen = await b.data(READ, token=token)
    _within_a_second(acknowledged)
    assert seen["contracts"]["totalCount"] > 0

    # Deactivated on A → B refuses the token on its next request, and refuses to sign it in.
    assert (await a.data(DEACTIVATE, {"a": account}, admin))["deactivateAccount"]["errors"] == []
    acknowledged = time.monotonic()
    response = await b.gql(READ, token=token)
    _within_a_second(acknowledged)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] in {"TOKEN_REVOKED", "ACCOUNT_INACTIVE"}
    assert (await b.login(username, password))["token"] is None

    # A session logged out on A is refused by B.
    other = (await b.login("hailing_agency", password_of("hailing_agency")))["token"]
    assert (await a.data("mutation { logout { revoked } }", token=other))["logout"]["revoked"] is True
    assert (await b.gql(READ, token=other)).status_code == 401


async def test_api_key_revocation_and_sign_in_throttling_hold_across_instances(
    two_instances: tuple[Instance, Instance],
) -> None:
    a, b = two_instances
    admin = (await a.login("xinyuan_admin", password_of("xinyuan_admin")))["token"]
    contractor = (await a.data(MY_CONTRACTOR, token=admin))["me"]["roles"][0]["contractor"]["id"]
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()
    issued = (await a.data(ISSUE, {"c": contractor, "e": expires}, admin))["issueApiKey"]
    assert issued["errors"] == []
    key = issued["key"]
    assert (await b.gql(READ, token=key)).status_code == 200
    assert (await a.data(REVOKE_KEY, {"k": issued["apiKey"]["id"]}, admin))["revokeApiKey"]["errors"] == []
    acknowledged = time.monotonic()
    response = await b.gql(READ, token=key)
    _within_a_second(acknowledged)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "API_KEY_REVOKED"

    # Five failures through A lock the username on B as well.
    for _ in range(5):
        assert (await a.login("gaoxin_purchaser", "Wrong-Password-1"))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    refused = await b.login("gaoxin_purchaser", password_of("gaoxin_purchaser"))
    assert refused["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
