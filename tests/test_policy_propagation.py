"""A change made through one API process is enforced by another on its very next request: two real uvicorn
processes share one fresh PostgreSQL database; roles, sessions, accounts, API keys and failed sign-ins are all
read from that database on every request (``api/auth.py``), so there is nothing to propagate and nothing to
go stale — this test holds the system to it.

PostgreSQL only: two processes on one SQLite file would prove nothing about several hosts."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli import migrate_database, seed_database
from tests.conftest import BACKEND, TEST_SECRET, create_pg_database, drop_pg_database
from tests.helpers import LOGIN, password_of

pytestmark = pytest.mark.skipif(
    BACKEND != "postgres", reason="needs PostgreSQL (JIUZHU_TEST_DB=postgres): several processes share one server"
)

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    """One ``python -m uvicorn api.main:app`` process and a client for it."""

    def __init__(self, name: str, database_url: str, log_dir: Path) -> None:
        self.name = name
        self.port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "JIUZHU_TOKEN_SECRET": TEST_SECRET,
            "JIUZHU_MODE": "development",
        }
        self.log = (log_dir / f"{name}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=10.0)

    async def ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log.name}")
            try:
                if (await self.client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.name} did not become ready in {STARTUP_TIMEOUT} s; see {self.log.name}")

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def data(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        response = await self.gql(query, variables, token)
        assert response.status_code == 200, (self.name, response.text)
        body = response.json()
        assert "errors" not in body, (self.name, body)
        return body["data"]

    async def login(self, username: str, password: str) -> dict[str, Any]:
        return (await self.data(LOGIN, {"u": username, "p": password}))["login"]

    async def stop(self) -> None:
        await self.client.aclose()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


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
