"""Every HTTP route passes the one authentication gate of ``/graphql`` (issue 13, item 5).

An account that must change its password was refused by GraphQL (``PASSWORD_CHANGE_REQUIRED``) but downloaded
ledger exports — one with 64 ID numbers in clear — and imported workbooks. This walks *every* route of the app
(``app.routes``: a route added later is walked too, or the test says it is unclassified), fills its path
parameters with real ids, and calls it as each kind of restricted caller: an account that must change its
password, a deactivated account, a signed-out (revoked) session, an expired session, an expired token, a revoked
and an expired API key, a forged token, and nobody. Each is refused with the code GraphQL uses (401, or 403 for
the password change), with no data in the body and nothing written. The same account unrestricted reaches every
route, so the refusals are the gate's, not a missing permission's. Only the routes meant to be public are exempt.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest
from starlette.routing import Mount, Route

from api.auth import Gate
from api.ocds import RECORDS, RELEASES
from models import AuthSession, Contractor, RoleAssignment, User
from models.accounts import ApiKey, hash_password
from models.enums import AssistanceCategory, Role, ServiceUnit
from models.ledgers import ServiceRow, Submission, submit
from models.rules import Actor
from models.timeutil import now, today
from tests.conftest import TEST_SECRET
from tests.helpers import Api
from tests.security.sandbox import sandbox
from tests.security.support import assert_clean
from tests.test_ledger_entries import HAILING, XINYUAN, gid, ledger_state, make_contract, township
from tests.test_ledger_files import csv_bytes, line

#: Routes meant to be public: health, the SDL, Prometheus (its own access rule), the data-free import template,
#: the OCDS disclosure of published projects; and GraphiQL's page (GET /graphql holds no data).
PUBLIC = {"/healthz", "/readyz", "/schema.graphql", "/metrics", "/ledgers/template.xlsx", RELEASES, RECORDS}
PUBLIC_METHODS = {("/graphql", "GET")}
#: A query that reads what only a signed-in district agency may read.
PRIVATE_QUERY = "{ serviceEntries(first: 50) { nodes { content staff } } }"


@pytest.fixture(scope="module", autouse=True)
async def _leave_no_trace(api: Api) -> AsyncIterator[None]:
    """This module's contracts, ledgers and accounts are removed afterwards (see :mod:`tests.security.sandbox`)."""
    async with sandbox():
        yield


@dataclass
class Target:
    """The ledger every route is called on, with a text that must never come back to a refused caller."""

    contract_id: str
    contract_code: str
    ledger: Any
    marker: str


@dataclass
class Caller:
    """One kind of caller: its headers and the refusal it must get."""

    headers: dict[str, str]
    code: str
    status: int = 401


async def _account(api: Api, label: str) -> tuple[User, str]:
    """A new account holding every role the ledger routes need (agency of 321202, staff of the contractor of the
    test ledger), signed in; returns it with its token."""
    username = f"gate_{label}_{uuid.uuid4().hex[:6]}"
    password = f"Gate-{uuid.uuid4().hex}"
    user = await User.create(username=username, password_hash=hash_password(password), display_name="门禁测试")
    contractor = await Contractor.get(credit_code=XINYUAN)
    await RoleAssignment.create(user=user, role=Role.DISTRICT_AGENCY, domain=f"district:{HAILING}")
    await RoleAssignment.create(user=user, role=Role.CONTRACTOR, domain=f"contractor:{contractor.pk}")
    payload = await api.login(username, password)
    assert payload["token"], payload
    return user, payload["token"]


async def _api_key(api: Api) -> str:
    contractor = await Contractor.get(credit_code=XINYUAN)
    issued = await api.data(
        """mutation($c: ID!, $e: DateTime!) {
          issueApiKey(input: {contractor: $c, name: "门禁测试", expiresAt: $e}) { key errors { code } } }""",
        {"c": gid("Contractor", contractor.pk), "e": (now() + dt.timedelta(days=30)).isoformat()},
        as_user="xinyuan_admin",
    )
    assert issued["issueApiKey"]["errors"] == []
    return issued["issueApiKey"]["key"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def restricted_callers(api: Api) -> dict[str, Caller]:
    """Every kind of caller the gate must stop, made the way it happens (sign-out, deactivation, expiry …)."""
    callers: dict[str, Caller] = {}

    user, token = await _account(api, "pending")
    await User.filter(pk=user.pk).update(must_change_password=True)
    callers["must-change-password"] = Caller(_bearer(token), "PASSWORD_CHANGE_REQUIRED", 403)

    user, token = await _account(api, "inactive")
    await User.filter(pk=user.pk).update(is_active=False)
    callers["deactivated-account"] = Caller(_bearer(token), "ACCOUNT_INACTIVE")

    _, token = await _account(api, "revoked")
    logout = await api.gql("mutation { logout { revoked } }", token=token)
    assert logout["data"]["logout"]["revoked"] is True
    callers["signed-out-session"] = Caller(_bearer(token), "TOKEN_REVOKED")

    user, token = await _account(api, "expired")
    await AuthSession.filter(user_id=user.pk).update(expires_at=now() - dt.timedelta(seconds=1))
    callers["expired-session"] = Caller(_bearer(token), "TOKEN_EXPIRED")

    user, token = await _account(api, "oldtoken")
    session = await AuthSession.get(user_id=user.pk)
    past = int((now() - dt.timedelta(hours=2)).timestamp())
    claims = {"iss": "jiuzhu", "sub": str(user.pk), "sid": str(session.pk), "iat": past - 60, "exp": past}
    callers["expired-token"] = Caller(_bearer(jwt.encode(claims, TEST_SECRET, algorithm="HS256")), "TOKEN_EXPIRED")

    key = await _api_key(api)
    await ApiKey.filter(prefix=key[3:15]).update(revoked_at=now())
    callers["revoked-api-key"] = Caller(_bearer(key), "API_KEY_REVOKED")
    key = await _api_key(api)
    await ApiKey.filter(prefix=key[3:15]).update(expires_at=now() - dt.timedelta(seconds=1))
    callers["expired-api-key-header"] = Caller({"X-API-Key": key}, "API_KEY_EXPIRED")

    forged = jwt.encode({"iss": "jiuzhu", "sub": str(user.pk), "sid": str(session.pk)}, "not-the-secret-" * 3)
    callers["forged-token"] = Caller(_bearer(forged), "INVALID_TOKEN")
    callers["anonymous"] = Caller({}, "UNAUTHENTICATED")
    return callers


@pytest.fixture
async def target() -> Target:
    contract, ledger = await make_contract(year=2093)
    assert ledger is not None
    marker = f"门禁标记{uuid.uuid4().hex[:8]}"
    row = ServiceRow(
        service_date=today() - dt.timedelta(days=2),
        catalogue_item_code="S06",
        assistance_category=AssistanceCategory.TEKUN,
        township=await township(),
        content=marker,
        quantity=Decimal("1"),
        unit=ServiceUnit.VISITS,
        staff="王芳",
    )
    await submit(ledger, Submission(service_rows=[row]), actor=Actor(user_id=None, name="测试"))
    return Target(gid("Contract", contract.pk), contract.code, ledger, marker)


#: Path parameter → how to fill it from the target (a new route with another parameter must add it here).
PARAMS: dict[str, Callable[[Target], str]] = {"contract": lambda t: t.contract_id}
#: Query strings a route needs to do its work (else it would refuse the request for another reason).
QUERIES = {"/ledgers/export.xlsx": f"?district={HAILING}", "/ledgers/export.csv": f"?district={HAILING}"}


def gated_calls(app: Any, t: Target) -> list[tuple[str, str, str]]:
    """(path template, method, URL) of every route that is not public, checked to sit behind the one Gate."""
    calls = []
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "/static/graphiql":
            continue  # GraphiQL's own static assets (development only), public like the IDE page
        assert isinstance(route, Route), f"unclassified route {route!r}: walk it here"
        if route.path in PUBLIC:
            continue
        assert isinstance(route.app, Gate), f"{route.path} does not pass the authentication gate"
        for name in route.param_convertors:
            assert name in PARAMS, f"{route.path}: add a real id for {{{name}}} to PARAMS"
        url = route.path.format(**{name: PARAMS[name](t) for name in route.param_convertors})
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            if (route.path, method) not in PUBLIC_METHODS:
                calls.append((route.path, method, url + QUERIES.get(route.path, "")))
    return calls


async def call(api: Api, t: Target, path: str, method: str, url: str, headers: dict[str, str]) -> httpx.Response:
    if path == "/graphql":
        return await api.client.post(url, json={"query": PRIVATE_QUERY}, headers=headers)
    if method == "POST":  # the import: a valid file with every header it asks for
        version = (await ledger_state(t.ledger))[0]
        extra = {"Idempotency-Key": uuid.uuid4().hex, "If-Match": f'"{version}"', "Content-Type": "text/csv"}
        return await api.client.post(url, content=csv_bytes([await line()]), headers={**headers, **extra})
    return await api.client.request(method, url, headers=headers)


def assert_refused(response: httpx.Response, caller: Caller, where: str, t: Target) -> None:
    assert_clean(response.text)
    assert t.marker not in response.text, where
    assert t.contract_code not in response.text, where
    body = json.loads(response.text)
    if "data" in body:  # /graphql: its own error shape, same codes
        assert body["data"] is None, where
        assert [e["extensions"]["code"] for e in body["errors"]] == [caller.code], where
        expected = 200 if caller.code == "PASSWORD_CHANGE_REQUIRED" else caller.status
    else:
        assert set(body) == {"ok", "errors"}, where
        assert body["ok"] is False, where
        assert [e["code"] for e in body["errors"]] == [caller.code], where
        assert all(set(e) == {"code", "reason"} for e in body["errors"]), where
        expected = caller.status
    assert response.status_code == expected, (where, response.status_code, response.text[:300])
    if response.status_code == 401:
        assert response.headers["www-authenticate"].startswith("Bearer"), where


async def test_every_route_refuses_every_restricted_caller(api: Api, app: Any, target: Target) -> None:
    calls = gated_calls(app, target)
    assert {(p, m) for p, m, _ in calls} >= {
        ("/graphql", "POST"),
        ("/ledgers/{contract}/import", "POST"),
        ("/ledgers/{contract}/export.xlsx", "GET"),
        ("/ledgers/{contract}/export.csv", "GET"),
        ("/ledgers/export.xlsx", "GET"),
        ("/ledgers/export.csv", "GET"),
    }
    before = await ledger_state(target.ledger)
    callers = await restricted_callers(api)
    for kind, caller in callers.items():
        for path, method, url in calls:
            if path == "/graphql" and kind == "anonymous":
                continue  # the public may query /graphql (published data only); covered by test_public.py
            response = await call(api, target, path, method, url, caller.headers)
            assert_refused(response, caller, f"{kind} {method} {path}", target)
    assert await ledger_state(target.ledger) == before, "a refused import wrote"

    # The same kind of account, unrestricted, reaches every route: the refusals above are the gate's.
    _, token = await _account(api, "ok")
    for path, method, url in calls:
        response = await call(api, target, path, method, url, _bearer(token))
        assert response.status_code == 200, (method, path, response.text[:300])
        if path.endswith(".csv"):
            assert target.marker in response.content.decode("utf-8-sig"), path


async def test_an_account_that_must_change_its_password_may_still_change_it(api: Api) -> None:
    """The gate holds such an account to ``me``/``changeMyPassword``/``logout`` on /graphql, nothing more."""
    user, token = await _account(api, "change")
    await User.filter(pk=user.pk).update(must_change_password=True)
    me = await api.gql("{ me { username mustChangePassword } }", token=token)
    assert me["data"]["me"] == {"username": user.username, "mustChangePassword": True}
