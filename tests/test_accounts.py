"""Accounts and roles through the API: creation, password rules, the forced password change, deactivation,
resets, and every administrator's allowed and refused actions — each escalation attempt is refused with a typed
error and changes nothing.

Every test works on accounts it creates itself (``t_<hex>`` usernames); seeded demo accounts are only read or
used to act, never changed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from models import AuthSession, ChangeRecord, RoleAssignment, User
from schema.relay import decode_id, encode_id
from tests.helpers import Api

ERRORS = "errors { code message field article }"
ACCOUNT = "id username displayName isActive mustChangePassword passwordChangedAt roles { role domain }"
CREATE = f"""
mutation($u: String!, $n: String!, $p: String, $r: Role, $d: String) {{
  createAccount(input: {{username: $u, displayName: $n, password: $p, role: $r, domain: $d}}) {{
    account {{ {ACCOUNT} }} initialPassword {ERRORS}
  }}
}}
"""
GRANT = f"""
mutation($a: ID!, $r: Role!, $d: String!) {{
  grantRole(input: {{account: $a, role: $r, domain: $d}}) {{ account {{ {ACCOUNT} }} {ERRORS} }}
}}
"""
REVOKE = f"""
mutation($a: ID!, $r: Role!, $d: String!) {{
  revokeRole(input: {{account: $a, role: $r, domain: $d}}) {{ account {{ {ACCOUNT} }} {ERRORS} }}
}}
"""
DEACTIVATE = f"""
mutation($a: ID!, $why: String!) {{
  deactivateAccount(input: {{account: $a, reason: $why}}) {{ account {{ {ACCOUNT} }} {ERRORS} }}
}}
"""
REACTIVATE = f"mutation($a: ID!) {{ reactivateAccount(input: {{account: $a}}) {{ account {{ {ACCOUNT} }} {ERRORS} }} }}"
RESET = f"""
mutation($a: ID!, $p: String) {{
  resetPassword(input: {{account: $a, newPassword: $p}}) {{ account {{ {ACCOUNT} }} temporaryPassword {ERRORS} }}
}}
"""
CHANGE = f"""
mutation($old: String!, $new: String!) {{
  changeMyPassword(input: {{oldPassword: $old, newPassword: $new}}) {{ me {{ username mustChangePassword }} {ERRORS} }}
}}
"""
ACCOUNTS = """
query($f: AccountFilter, $after: String) {
  accounts(first: 100, after: $after, filter: $f) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id username roles { role domain } }
  }
}
"""
ONE = f"query($id: ID!) {{ account(id: $id) {{ {ACCOUNT} }} }}"
HISTORY = """
query($id: ID!) { account(id: $id) { history(first: 50) { totalCount nodes { action actorName before after note } } } }
"""
ME = "{ me { username mustChangePassword roles { role domain } } }"
CONTRACTS = "{ contracts(first: 5) { totalCount } }"
STRONG = "Kx7#mVq2-Lp9z"
XINYUAN_CODE = "52321200MJ5083166C"
ANHE_CODE = "52321202MJ5120473G"


def _name() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


def _pk(global_id: str) -> int:
    return int(decode_id(global_id)[1])


async def _create(api: Api, as_user: str, role: str | None = None, domain: str | None = None, **extra: Any) -> dict:
    """Create an account (asserting success); returns the payload's account plus its password."""
    variables = {"u": _name(), "n": "测试账号", "p": STRONG, "r": role, "d": domain, **extra}
    payload = (await api.data(CREATE, variables, as_user=as_user))["createAccount"]
    assert payload["errors"] == [], payload
    return {**payload["account"], "password": variables["p"] or payload["initialPassword"]}


async def _refused(api: Api, query: str, variables: dict, as_user: str, name: str) -> dict:
    payload = (await api.data(query, variables, as_user=as_user))[name]
    assert payload["account"] is None, payload
    assert len(payload["errors"]) == 1, payload
    return payload["errors"][0]


async def _roles(user_id: int) -> list[tuple[str, str]]:
    rows = await RoleAssignment.filter(user_id=user_id).order_by("id").values_list("role", "domain")
    return [(str(r), d) for r, d in rows]


async def _contractor_id(code: str) -> int:
    from models import Contractor

    return (await Contractor.get(credit_code=code)).pk


async def _sign_in(api: Api, username: str, password: str) -> str:
    payload = await api.login(username, password)
    assert payload["token"], payload
    return payload["token"]


async def _as(api: Api, token: str, query: str, variables: dict | None = None) -> httpx.Response:
    return await api.post(query, variables, token)


async def _ready(api: Api, account: dict) -> str:
    """Sign in as a new account and do the forced password change; returns a usable token."""
    token = await _sign_in(api, account["username"], account["password"])
    new = STRONG + "!a"
    body = (await _as(api, token, CHANGE, {"old": account["password"], "new": new})).json()
    assert body["data"]["changeMyPassword"]["errors"] == [], body
    account["password"] = new
    return token


@asynccontextmanager
async def _client_at(app: object, address: str) -> AsyncIterator[Api]:
    """A client whose requests come from ``address`` (failed sign-ins here do not count against 127.0.0.1)."""
    transport = httpx.ASGITransport(app=app, client=(address, 4000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client)


# --- creating accounts and the forced password change --------------------------------------------------------


async def test_created_account_must_change_its_generated_password_before_anything_else(api: Api) -> None:
    username = _name()
    payload = (
        await api.data(
            CREATE, {"u": username, "n": "张三", "r": "DISTRICT_AGENCY", "d": "district:321202"}, as_user="city_admin"
        )
    )["createAccount"]
    assert payload["errors"] == []
    generated = payload["initialPassword"]
    assert generated
    assert len(generated) >= 10
    account = payload["account"]
    assert account["mustChangePassword"] is True
    assert account["roles"] == [{"role": "DISTRICT_AGENCY", "domain": "district:321202"}]
    user = await User.get(username=username)
    assert generated not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert user.created_by_id == (await User.get(username="city_admin")).pk

    token = await _sign_in(api, username, generated)
    me = (await _as(api, token, ME)).json()["data"]["me"]
    assert me["mustChangePassword"] is True
    # Everything but me / changeMyPassword / logout is refused, whole, before it runs.
    for query in (
        CONTRACTS,
        "{ me { username } contracts(first: 1) { totalCount } }",
        "query { ...F } fragment F on Query { contracts(first: 1) { totalCount } }",
        "{ ... on Query { districts(first: 1) { totalCount } } }",
    ):
        body = (await _as(api, token, query)).json()
        assert body["data"] is None, body
        assert body["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED", body
    before = await User.get(username=username)
    grant = await _as(api, token, GRANT, {"a": account["id"], "r": "FINANCE", "d": "district:*"})
    assert grant.json()["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"
    assert await _roles(before.pk) == [("district_agency", "district:321202")]

    # The change itself: old password required, new one checked.
    wrong = (await _as(api, token, CHANGE, {"old": "Not-the-0ld-one", "new": STRONG})).json()["data"]
    assert wrong["changeMyPassword"]["errors"][0]["code"] == "WRONG_PASSWORD"
    weak = (await _as(api, token, CHANGE, {"old": generated, "new": "short1A"})).json()["data"]
    assert weak["changeMyPassword"]["errors"][0]["code"] == "WEAK_PASSWORD"
    same = (await _as(api, token, CHANGE, {"old": generated, "new": generated})).json()["data"]
    assert same["changeMyPassword"]["errors"][0]["code"] == "SAME_PASSWORD"
    unchanged = await User.get(username=username)
    assert unchanged.password_hash == before.password_hash
    assert unchanged.must_change_password is True

    ok = (await _as(api, token, CHANGE, {"old": generated, "new": STRONG})).json()["data"]["changeMyPassword"]
    assert ok == {"me": {"username": username, "mustChangePassword": False}, "errors": []}
    changed = await User.get(username=username)
    assert changed.must_change_password is False
    assert changed.password_changed_at is not None
    assert changed.password_changed_at > before.password_changed_at
    body = (await _as(api, token, CONTRACTS)).json()
    assert body["data"]["contracts"]["totalCount"] > 0  # now an agency of 海陵区


async def test_password_strength_is_checked_and_explained(api: Api) -> None:
    cases = {
        "Ab1#defg": "长度至少10个字符",
        "abcdefghij12": "连续的字母或数字",
        "t_zzzpass-Word-99": "不能包含用户名",
        "P@ssw0rd123": "常见密码",
    }
    for password, reason in cases.items():
        username = "t_zzzpass" if "t_zzzpass" in password else _name()
        payload = (await api.data(CREATE, {"u": username, "n": "弱密码", "p": password}, as_user="city_admin"))[
            "createAccount"
        ]
        assert payload["account"] is None
        [error] = payload["errors"]
        assert (error["code"], error["field"]) == ("WEAK_PASSWORD", "password"), error
        assert reason in error["message"], error
        assert not await User.exists(username=username)


async def test_usernames_are_unique_and_well_formed(api: Api) -> None:
    count = await User.all().count()
    taken = await _refused(
        api, CREATE, {"u": "hailing_agency", "n": "重名", "p": STRONG}, "city_admin", "createAccount"
    )
    assert taken["code"] == "USERNAME_TAKEN"
    assert taken["field"] == "username"
    for bad in ("Upper_Case", "ab", "x" * 65, "has space", "1starts_with_digit", "apikey:abc"):
        error = await _refused(api, CREATE, {"u": bad, "n": "格式", "p": STRONG}, "city_admin", "createAccount")
        assert error["code"] == "INVALID_USERNAME", (bad, error)
    assert await User.all().count() == count


async def test_only_administrators_create_accounts(api: Api) -> None:
    count = await User.all().count()
    for user in ("hailing_agency", "city_civil_affairs", "city_finance", "xinyuan_clerk"):
        error = await _refused(api, CREATE, {"u": _name(), "n": "越权", "p": STRONG}, user, "createAccount")
        assert error["code"] == "FORBIDDEN", (user, error)
        listed = (await api.data(ACCOUNTS, as_user=user))["accounts"]
        assert listed["totalCount"] == 0, user
    anonymous = (await api.data(CREATE, {"u": _name(), "n": "公众", "p": STRONG}))["createAccount"]
    assert anonymous["errors"][0]["code"] == "FORBIDDEN"
    assert await User.all().count() == count


# --- deactivation, resets, own password ---------------------------------------------------------------------


async def test_deactivation_revokes_every_session_at_once_and_reactivation_restores_sign_in(
    api: Api, app: object
) -> None:
    account = await _create(api, "hailing_admin", "DISTRICT_PURCHASER", "district:321202")
    first = await _ready(api, account)
    second = await _sign_in(api, account["username"], account["password"])
    assert (await _as(api, second, CONTRACTS)).status_code == 200

    payload = (await api.data(DEACTIVATE, {"a": account["id"], "why": "调离岗位"}, as_user="hailing_admin"))[
        "deactivateAccount"
    ]
    assert payload["errors"] == []
    assert payload["account"]["isActive"] is False
    for token in (first, second):
        response = await _as(api, token, CONTRACTS)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] in {"TOKEN_REVOKED", "ACCOUNT_INACTIVE"}
    assert await AuthSession.filter(user_id=_pk(account["id"]), revoked_at__isnull=True).count() == 0
    async with _client_at(app, "10.8.0.1") as other:
        assert (await other.login(account["username"], account["password"]))["token"] is None

    again = await _refused(api, DEACTIVATE, {"a": account["id"], "why": ""}, "hailing_admin", "deactivateAccount")
    assert again["code"] == "INVALID_STATE"
    back = (await api.data(REACTIVATE, {"a": account["id"]}, as_user="hailing_admin"))["reactivateAccount"]
    assert back["errors"] == []
    assert back["account"]["isActive"] is True
    assert (await _as(api, first, CONTRACTS)).status_code == 401  # old sessions stay revoked
    await _sign_in(api, account["username"], account["password"])

    notes = [
        n["note"]
        for n in (await api.data(HISTORY, {"id": account["id"]}, as_user="hailing_admin"))["account"]["history"][
            "nodes"
        ]
    ]
    assert "deactivateAccount：调离岗位" in notes
    assert "reactivateAccount" in notes


async def test_nobody_deactivates_or_resets_itself(api: Api) -> None:
    me = (await api.data(ACCOUNTS, {"f": {"usernameContains": "hailing_admin"}}, as_user="hailing_admin"))["accounts"][
        "nodes"
    ]
    [mine] = [n for n in me if n["username"] == "hailing_admin"]
    error = await _refused(api, DEACTIVATE, {"a": mine["id"], "why": ""}, "hailing_admin", "deactivateAccount")
    assert error["code"] == "SELF_CHANGE"
    error = await _refused(api, RESET, {"a": mine["id"], "p": STRONG}, "hailing_admin", "resetPassword")
    assert error["code"] == "SELF_CHANGE"
    assert (await User.get(username="hailing_admin")).is_active is True


async def test_reset_password_signs_out_and_forces_a_change(api: Api, app: object) -> None:
    account = await _create(api, "city_admin", "DISTRICT_AGENCY", "district:321203")
    token = await _ready(api, account)
    weak = await _refused(api, RESET, {"a": account["id"], "p": "123"}, "gaogang_admin", "resetPassword")
    assert weak["code"] == "WEAK_PASSWORD"
    assert weak["field"] == "newPassword"
    assert (await _as(api, token, ME)).status_code == 200

    payload = (await api.data(RESET, {"a": account["id"]}, as_user="gaogang_admin"))["resetPassword"]
    assert payload["errors"] == []
    temporary = payload["temporaryPassword"]
    assert temporary
    assert payload["account"]["mustChangePassword"] is True
    assert (await _as(api, token, ME)).status_code == 401
    async with _client_at(app, "10.8.0.2") as other:
        assert (await other.login(account["username"], account["password"]))["token"] is None
    fresh = await _sign_in(api, account["username"], temporary)
    assert (await _as(api, fresh, CONTRACTS)).json()["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"

    given = (await api.data(RESET, {"a": account["id"], "p": "Given-By-Admin-42"}, as_user="city_admin"))[
        "resetPassword"
    ]
    assert given["errors"] == []
    assert given["temporaryPassword"] is None
    await _sign_in(api, account["username"], "Given-By-Admin-42")


async def test_changing_my_password_signs_out_my_other_sessions_only(api: Api) -> None:
    account = await _create(api, "city_admin", "DISTRICT_PURCHASER", "district:321204")
    current = await _ready(api, account)
    other = await _sign_in(api, account["username"], account["password"])
    body = (await _as(api, current, CHANGE, {"old": account["password"], "new": "Another-Str0ng-pw"})).json()
    assert body["data"]["changeMyPassword"]["errors"] == []
    assert (await _as(api, current, ME)).status_code == 200
    assert (await _as(api, other, ME)).status_code == 401
    anonymous = (await api.data(CHANGE, {"old": "x", "new": STRONG}))["changeMyPassword"]
    assert anonymous["errors"][0]["code"] == "NOT_SIGNED_IN"


# --- scope: who administers whom ---------------------------------------------------------------------------


async def _all_usernames(api: Api, user: str) -> set[str]:
    names: set[str] = set()
    after = None
    while True:
        page = (await api.data(ACCOUNTS, {"after": after}, as_user=user))["accounts"]
        names |= {n["username"] for n in page["nodes"]}
        if not page["pageInfo"]["hasNextPage"]:
            return names
        after = page["pageInfo"]["endCursor"]


async def test_each_administrator_lists_only_the_accounts_it_manages(api: Api) -> None:
    city = await _all_usernames(api, "city_admin")
    assert {"hailing_agency", "city_finance", "xinyuan_clerk", "hailing_admin", "city_admin"} <= city
    assert city == set(await User.all().values_list("username", flat=True))

    hailing = await _all_usernames(api, "hailing_admin")
    assert {"hailing_purchaser", "hailing_agency", "hailing_admin"} <= hailing
    # Not the district's finance bureau (a role it may not grant), not another district, not city-wide roles.
    assert not hailing & {"hailing_finance", "gaogang_agency", "city_finance", "city_civil_affairs", "city_admin"}
    for username in hailing:
        roles = await _roles((await User.get(username=username)).pk)
        assert all(role in {"district_purchaser", "district_agency", "district_admin"} for role, _ in roles)
        assert all(domain == "district:321202" for _, domain in roles), (username, roles)

    xinyuan = await _all_usernames(api, "xinyuan_admin")
    assert {"xinyuan_clerk", "xinyuan_admin"} <= xinyuan
    assert not xinyuan & {"anhe_clerk", "anhe_admin", "hailing_agency"}

    filtered = (await api.data(ACCOUNTS, {"f": {"role": "DISTRICT_ADMIN"}}, as_user="city_admin"))["accounts"]
    assert {n["username"] for n in filtered["nodes"]} >= {"hailing_admin", "gaogang_admin"}
    assert all(any(r["role"] == "DISTRICT_ADMIN" for r in n["roles"]) for n in filtered["nodes"])


async def test_administrators_do_not_read_district_or_contractor_data(api: Api) -> None:
    for admin in ("city_admin", "hailing_admin", "xinyuan_admin"):
        data = await api.data(
            "{ contracts(first: 5) { totalCount } beneficiaries(first: 5) { totalCount }"
            " purchasePlans(first: 5) { totalCount } me { roles { district { code } } } }",
            as_user=admin,
        )
        assert data["contracts"]["totalCount"] == 0, admin
        assert data["beneficiaries"]["totalCount"] == 0, admin
        assert data["purchasePlans"]["totalCount"] == 0, admin
    me = await api.data("{ me { roles { district { code } } } }", as_user="hailing_admin")
    assert me["me"]["roles"] == [{"district": {"code": "321202"}}]


async def test_district_administrator_grants_its_district_offices_in_its_district(api: Api) -> None:
    account = await _create(api, "hailing_admin", "DISTRICT_AGENCY", "district:321202")
    pk = _pk(account["id"])
    assert (await User.get(pk=pk)).created_by_id == (await User.get(username="hailing_admin")).pk
    payload = (
        await api.data(
            GRANT, {"a": account["id"], "r": "DISTRICT_ADMIN", "d": "district:321202"}, as_user="hailing_admin"
        )
    )["grantRole"]
    assert payload["errors"] == []
    assert await _roles(pk) == [("district_agency", "district:321202"), ("district_admin", "district:321202")]
    dup = await _refused(
        api, GRANT, {"a": account["id"], "r": "DISTRICT_ADMIN", "d": "district:321202"}, "hailing_admin", "grantRole"
    )
    assert dup["code"] == "ALREADY_GRANTED"
    out = (
        await api.data(
            REVOKE, {"a": account["id"], "r": "DISTRICT_ADMIN", "d": "district:321202"}, as_user="hailing_admin"
        )
    )["revokeRole"]
    assert out["errors"] == []
    assert out["account"]["roles"] == [{"role": "DISTRICT_AGENCY", "domain": "district:321202"}]
    missing = await _refused(
        api, REVOKE, {"a": account["id"], "r": "DISTRICT_ADMIN", "d": "district:321202"}, "hailing_admin", "revokeRole"
    )
    assert missing["code"] == "NOT_GRANTED"
    assert await _roles(pk) == [("district_agency", "district:321202")]


async def test_district_administrator_escalations_are_refused_and_change_nothing(api: Api) -> None:
    account = await _create(api, "hailing_admin", "DISTRICT_PURCHASER", "district:321202")
    pk = _pk(account["id"])
    admin = await User.get(username="hailing_admin")
    own = encode_id("Account", admin.pk)
    history_before = await ChangeRecord.filter(entity_type="User").count()
    attempts = [
        # (account, role, domain, expected code, expected field)
        (account["id"], "FINANCE", "district:321202", "FORBIDDEN", "role"),
        (account["id"], "FINANCE", "district:*", "FORBIDDEN", "role"),
        (account["id"], "CITY_CIVIL_AFFAIRS", "district:*", "FORBIDDEN", "role"),
        (account["id"], "CITY_ADMIN", "district:*", "FORBIDDEN", "role"),
        (account["id"], "DISTRICT_AGENCY", "district:*", "FORBIDDEN", "domain"),
        (account["id"], "DISTRICT_ADMIN", "district:*", "FORBIDDEN", "domain"),
        (account["id"], "DISTRICT_AGENCY", "district:321203", "FORBIDDEN", "domain"),
        (account["id"], "CONTRACTOR", f"contractor:{await _contractor_id(XINYUAN_CODE)}", "FORBIDDEN", "role"),
        (account["id"], "CONTRACTOR_LEDGER", f"contractor:{await _contractor_id(XINYUAN_CODE)}", "FORBIDDEN", "role"),
        (own, "CITY_ADMIN", "district:*", "FORBIDDEN", "role"),
        (own, "DISTRICT_AGENCY", "district:321203", "FORBIDDEN", "domain"),
        (own, "DISTRICT_AGENCY", "district:321202", "SELF_CHANGE", "account"),
    ]
    for target, role, domain, code, field in attempts:
        error = await _refused(api, GRANT, {"a": target, "r": role, "d": domain}, "hailing_admin", "grantRole")
        assert (error["code"], error["field"]) == (code, field), (role, domain, error)
        assert error["message"]
    error = await _refused(
        api, REVOKE, {"a": own, "r": "DISTRICT_ADMIN", "d": "district:321202"}, "hailing_admin", "revokeRole"
    )
    assert error["code"] == "SELF_CHANGE"
    # A first role it may not grant: no account is created at all.
    count = await User.all().count()
    for role, domain in (
        ("FINANCE", "district:321202"),
        ("DISTRICT_AGENCY", "district:321203"),
        ("CITY_ADMIN", "district:*"),
    ):
        variables = {"u": _name(), "n": "越权", "p": STRONG, "r": role, "d": domain}
        error = await _refused(api, CREATE, variables, "hailing_admin", "createAccount")
        assert error["code"] == "FORBIDDEN", (role, error)
    assert await User.all().count() == count
    assert await _roles(pk) == [("district_purchaser", "district:321202")]
    assert await _roles(admin.pk) == [("district_admin", "district:321202")]
    assert await ChangeRecord.filter(entity_type="User").count() == history_before


async def test_accounts_outside_a_district_administrators_scope_do_not_exist_for_it(api: Api) -> None:
    targets = {}
    for username in ("hailing_finance", "gaogang_agency", "city_civil_affairs", "xinyuan_clerk", "city_admin"):
        targets[username] = encode_id("Account", (await User.get(username=username)).pk)
    finance = await User.get(username="hailing_finance")
    for username, account in targets.items():
        for query, variables, name in (
            (DEACTIVATE, {"a": account, "why": ""}, "deactivateAccount"),
            (RESET, {"a": account, "p": STRONG}, "resetPassword"),
            (GRANT, {"a": account, "r": "DISTRICT_AGENCY", "d": "district:321202"}, "grantRole"),
            (REVOKE, {"a": account, "r": "FINANCE", "d": "district:321202"}, "revokeRole"),
        ):
            error = await _refused(api, query, variables, "hailing_admin", name)
            assert error["code"] == "NOT_FOUND", (username, name, error)
        assert (await api.data(ONE, {"id": account}, as_user="hailing_admin"))["account"] is None
    after = await User.get(username="hailing_finance")
    assert (after.password_hash, after.is_active) == (finance.password_hash, finance.is_active)
    assert await _roles(finance.pk) == [("finance", "district:321202")]


async def test_an_account_with_a_role_elsewhere_leaves_the_district_administrators_scope(api: Api) -> None:
    account = await _create(api, "hailing_admin", "DISTRICT_AGENCY", "district:321202")
    assert (await api.data(ONE, {"id": account["id"]}, as_user="hailing_admin"))["account"] is not None
    payload = (
        await api.data(
            GRANT, {"a": account["id"], "r": "DISTRICT_AGENCY", "d": "district:321203"}, as_user="city_admin"
        )
    )["grantRole"]
    assert payload["errors"] == []
    assert (await api.data(ONE, {"id": account["id"]}, as_user="hailing_admin"))["account"] is None
    assert (await api.data(ONE, {"id": account["id"]}, as_user="gaogang_admin"))["account"] is None
    error = await _refused(
        api, REVOKE, {"a": account["id"], "r": "DISTRICT_AGENCY", "d": "district:321203"}, "hailing_admin", "revokeRole"
    )
    assert error["code"] == "NOT_FOUND"
    assert len(await _roles(_pk(account["id"]))) == 2


async def test_an_account_without_roles_belongs_to_its_creator(api: Api) -> None:
    account = await _create(api, "hailing_admin")
    assert account["roles"] == []
    assert (await api.data(ONE, {"id": account["id"]}, as_user="hailing_admin"))["account"]["username"] == account[
        "username"
    ]
    assert (await api.data(ONE, {"id": account["id"]}, as_user="gaogang_admin"))["account"] is None
    assert (await api.data(ONE, {"id": account["id"]}, as_user="city_admin"))["account"] is not None
    error = await _refused(
        api, GRANT, {"a": account["id"], "r": "DISTRICT_AGENCY", "d": "district:321203"}, "gaogang_admin", "grantRole"
    )
    assert error["code"] == "NOT_FOUND"
    ok = (
        await api.data(
            GRANT, {"a": account["id"], "r": "DISTRICT_AGENCY", "d": "district:321202"}, as_user="hailing_admin"
        )
    )["grantRole"]
    assert ok["errors"] == []


async def test_contractor_administrator_manages_only_its_own_staff_and_roles(api: Api) -> None:
    xinyuan = await _contractor_id(XINYUAN_CODE)
    anhe = await _contractor_id(ANHE_CODE)
    account = await _create(api, "xinyuan_admin", "CONTRACTOR", f"contractor:{xinyuan}")
    ok = (
        await api.data(
            GRANT, {"a": account["id"], "r": "CONTRACTOR_ADMIN", "d": f"contractor:{xinyuan}"}, as_user="xinyuan_admin"
        )
    )["grantRole"]
    assert ok["errors"] == []
    pk = _pk(account["id"])
    roles = await _roles(pk)
    for role, domain, field in (
        ("DISTRICT_AGENCY", "district:321202", "role"),
        ("DISTRICT_ADMIN", "district:321202", "role"),
        ("FINANCE", "district:*", "role"),
        ("CONTRACTOR", f"contractor:{anhe}", "domain"),
        ("CONTRACTOR_ADMIN", f"contractor:{anhe}", "domain"),
        ("CONTRACTOR_LEDGER", f"contractor:{xinyuan}", "role"),
    ):
        error = await _refused(api, GRANT, {"a": account["id"], "r": role, "d": domain}, "xinyuan_admin", "grantRole")
        assert (error["code"], error["field"]) == ("FORBIDDEN", field), (role, domain, error)
    anhe_clerk = encode_id("Account", (await User.get(username="anhe_clerk")).pk)
    for query, variables, name in (
        (GRANT, {"a": anhe_clerk, "r": "CONTRACTOR", "d": f"contractor:{xinyuan}"}, "grantRole"),
        (REVOKE, {"a": anhe_clerk, "r": "CONTRACTOR", "d": f"contractor:{anhe}"}, "revokeRole"),
        (RESET, {"a": anhe_clerk, "p": STRONG}, "resetPassword"),
        (DEACTIVATE, {"a": anhe_clerk, "why": ""}, "deactivateAccount"),
    ):
        error = await _refused(api, query, variables, "xinyuan_admin", name)
        assert error["code"] == "NOT_FOUND", (name, error)
    count = await User.all().count()
    error = await _refused(
        api,
        CREATE,
        {"u": _name(), "n": "越权", "p": STRONG, "r": "CONTRACTOR", "d": f"contractor:{anhe}"},
        "xinyuan_admin",
        "createAccount",
    )
    assert error["code"] == "FORBIDDEN"
    assert await User.all().count() == count
    assert await _roles(pk) == roles
    assert await _roles((await User.get(username="anhe_clerk")).pk) == [("contractor", f"contractor:{anhe}")]


async def test_city_administrator_grants_anything_but_only_where_it_fits(api: Api) -> None:
    account = await _create(api, "city_admin", "DISTRICT_AGENCY", "district:321271")
    ok = (await api.data(GRANT, {"a": account["id"], "r": "FINANCE", "d": "district:321271"}, as_user="city_admin"))[
        "grantRole"
    ]
    assert ok["errors"] == []
    pk = _pk(account["id"])
    roles = await _roles(pk)
    for role, domain, code in (
        ("DISTRICT_AGENCY", "district:*", "INVALID_DOMAIN"),
        ("CITY_CIVIL_AFFAIRS", "district:321202", "INVALID_DOMAIN"),
        ("DISTRICT_AGENCY", "district:999999", "INVALID_DOMAIN"),
        ("DISTRICT_AGENCY", "321202", "INVALID_DOMAIN"),
        ("CONTRACTOR", "contractor:99999999", "INVALID_DOMAIN"),
        ("CONTRACTOR", "district:321202", "INVALID_DOMAIN"),
        ("CONTRACTOR_LEDGER", f"contractor:{await _contractor_id(XINYUAN_CODE)}", "FORBIDDEN"),  # machines only
    ):
        error = await _refused(api, GRANT, {"a": account["id"], "r": role, "d": domain}, "city_admin", "grantRole")
        assert error["code"] == code, (role, domain, error)
    assert await _roles(pk) == roles
    city = encode_id("Account", (await User.get(username="city_admin")).pk)
    error = await _refused(api, GRANT, {"a": city, "r": "FINANCE", "d": "district:*"}, "city_admin", "grantRole")
    assert error["code"] == "SELF_CHANGE"


async def test_account_history_records_every_change_for_the_administrators_of_its_scope(api: Api) -> None:
    account = await _create(api, "hailing_admin", "DISTRICT_AGENCY", "district:321202")
    await api.data(
        GRANT, {"a": account["id"], "r": "DISTRICT_PURCHASER", "d": "district:321202"}, as_user="hailing_admin"
    )
    await api.data(RESET, {"a": account["id"]}, as_user="city_admin")
    history = (await api.data(HISTORY, {"id": account["id"]}, as_user="hailing_admin"))["account"]["history"]
    nodes = history["nodes"]
    assert [n["note"] for n in nodes] == [
        "createAccount",
        "grantRole district_agency@district:321202",
        "grantRole district_purchaser@district:321202",
        "resetPassword",
    ]
    assert nodes[0]["action"] == "CREATE"
    assert "hailing_admin" in nodes[0]["actorName"]
    assert nodes[2]["before"] == {"roles": ["district_agency@district:321202"]}
    assert nodes[2]["after"] == {"roles": ["district_agency@district:321202", "district_purchaser@district:321202"]}
    assert "city_admin" in nodes[3]["actorName"]
    assert set(nodes[3]["after"]) == {"password_changed_at"}  # the hash is never copied into history
    for node in nodes:
        assert "password_hash" not in (node["after"] or {})
        assert "password_hash" not in (node["before"] or {})
    city = (await api.data(HISTORY, {"id": account["id"]}, as_user="city_admin"))["account"]["history"]
    assert city["totalCount"] == 4
    assert (await api.data(HISTORY, {"id": account["id"]}, as_user="gaogang_admin"))["account"] is None
    assert (await api.data(HISTORY, {"id": account["id"]}, as_user="hailing_agency"))["account"] is None
    # Account history never shows through the generic history of other objects' readers.
    records = await ChangeRecord.filter(entity_type="User", entity_id=str(_pk(account["id"]))).count()
    assert records == 4


async def test_demo_accounts_load_idempotently_with_one_administrator_per_scope(api: Api) -> None:
    from seeds.accounts import load_accounts

    before = (await User.all().count(), await RoleAssignment.all().count())
    hashes = dict(await User.all().values_list("username", "password_hash"))
    users = await load_accounts()
    assert (await User.all().count(), await RoleAssignment.all().count()) == before
    assert dict(await User.all().values_list("username", "password_hash")) == hashes
    admins = {name: await _roles(user.pk) for name, user in users.items() if name.endswith("_admin")}
    assert admins["city_admin"] == [("city_admin", "district:*")]
    assert admins["hailing_admin"] == [("district_admin", "district:321202")]
    assert admins["gaogang_admin"] == [("district_admin", "district:321203")]
    assert admins["xinyuan_admin"] == [("contractor_admin", f"contractor:{await _contractor_id(XINYUAN_CODE)}")]
    assert len([n for n, roles in admins.items() if roles[0][0] == "district_admin"]) == 7
