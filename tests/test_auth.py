"""Sign-in, ``me``, sign-out and every way a token can be bad."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt
import pytest

from models.accounts import User
from tests.conftest import TEST_SECRET
from tests.helpers import Api, password_of

ME = "{ me { username displayName roles { role domain district { code } contractor { name } } } }"


async def test_login_returns_expiring_token_and_me(api: Api) -> None:
    payload = await api.login("hailing_agency")
    assert payload["errors"] == []
    assert payload["token"].count(".") == 2
    assert payload["me"]["username"] == "hailing_agency"
    expires = dt.datetime.fromisoformat(payload["expiresAt"])
    assert dt.timedelta(minutes=50) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)


async def test_me_reports_roles_and_scopes(api: Api) -> None:
    data = await api.data(ME, as_user="hailing_agency")
    roles = data["me"]["roles"]
    assert roles == [
        {"role": "DISTRICT_AGENCY", "domain": "district:321202", "district": {"code": "321202"}, "contractor": None}
    ]
    data = await api.data(ME, as_user="city_finance")
    assert data["me"]["roles"][0]["domain"] == "district:*"


async def test_me_is_null_for_the_public(api: Api) -> None:
    assert (await api.data(ME))["me"] is None


@pytest.mark.parametrize(
    ("username", "password"),
    [("hailing_agency", "wrong-password"), ("nobody_here", "whatever"), ("", ""), ("x" * 65, "y")],
)
async def test_bad_credentials_get_one_generic_error(api: Api, username: str, password: str) -> None:
    payload = await api.login(username, password)
    assert payload["token"] is None
    assert payload["errors"] == [{"code": "INVALID_CREDENTIALS", "message": "用户名或密码错误。"}]


async def test_password_is_stored_with_argon2id(database_url: str, api: Api) -> None:
    user = await User.get(username="hailing_agency")
    assert user.password_hash.startswith("$argon2id$")
    assert password_of("hailing_agency") not in user.password_hash


def _forge(claims: dict, secret: str = TEST_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


async def _claims_of(api: Api, username: str) -> dict:
    token = (await api.login(username))["token"]
    return jwt.decode(token, options={"verify_signature": False})


async def _refused(api: Api, token: str | None, header: str | None = None) -> dict:
    headers = {"Authorization": header} if header is not None else {"Authorization": f"Bearer {token}"}
    response = await api.client.post("/graphql", json={"query": ME}, headers=headers)
    assert response.status_code == 401, response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert body["data"] is None
    return body["errors"][0]


async def test_tampered_token_is_refused(api: Api) -> None:
    token = (await api.login("hailing_agency"))["token"]
    head, body, sig = token.split(".")
    forged_body = jwt.utils.base64url_encode(jwt.utils.base64url_decode(body).replace(b'"sub":"', b'"sub":"9')).decode()
    error = await _refused(api, f"{head}.{forged_body}.{sig}")
    assert error["extensions"]["code"] == "INVALID_TOKEN"


async def test_token_signed_with_another_secret_is_refused(api: Api) -> None:
    claims = await _claims_of(api, "hailing_agency")
    error = await _refused(api, _forge(claims, secret="another-secret-another-secret-xx"))
    assert error["extensions"]["code"] == "INVALID_TOKEN"


async def test_alg_none_token_is_refused(api: Api) -> None:
    claims = await _claims_of(api, "hailing_agency")
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    error = await _refused(api, unsigned)
    assert error["extensions"]["code"] == "INVALID_TOKEN"


async def test_expired_token_is_refused(api: Api) -> None:
    claims = await _claims_of(api, "hailing_agency")
    claims["exp"] = int((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).timestamp())
    error = await _refused(api, _forge(claims))
    assert error["extensions"]["code"] == "TOKEN_EXPIRED"
    assert "过期" in error["message"]


async def test_token_for_unknown_session_is_refused(api: Api) -> None:
    claims = await _claims_of(api, "hailing_agency")
    claims["sid"] = str(uuid.uuid4())
    error = await _refused(api, _forge(claims))
    assert error["extensions"]["code"] == "INVALID_TOKEN"


async def test_token_of_another_user_session_is_refused(api: Api) -> None:
    claims = await _claims_of(api, "hailing_agency")
    other = await _claims_of(api, "gaogang_agency")
    claims["sub"] = other["sub"]
    error = await _refused(api, _forge(claims))
    assert error["extensions"]["code"] == "INVALID_TOKEN"


@pytest.mark.parametrize("header", ["Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c", "token"])
async def test_malformed_authorization_is_refused(api: Api, header: str) -> None:
    error = await _refused(api, None, header=header)
    assert error["extensions"]["code"] == "INVALID_TOKEN"


async def test_logout_revokes_the_token(api: Api) -> None:
    token = (await api.login("hailing_purchaser"))["token"]
    ok = await api.post(ME, token=token)
    assert ok.json()["data"]["me"]["username"] == "hailing_purchaser"
    out = await api.post("mutation { logout { revoked errors { code } } }", token=token)
    assert out.json()["data"]["logout"] == {"revoked": True, "errors": []}
    error = await _refused(api, token)
    assert error["extensions"]["code"] == "TOKEN_REVOKED"
    # Other sessions of the same user are untouched.
    assert (await api.data(ME, as_user="hailing_purchaser"))["me"]["username"] == "hailing_purchaser"


async def test_logout_without_token_is_a_typed_error(api: Api) -> None:
    data = await api.data("mutation { logout { revoked errors { code message } } }")
    assert data["logout"]["revoked"] is False
    assert data["logout"]["errors"][0]["code"] == "NOT_SIGNED_IN"


async def test_deactivated_account_stops_at_next_request(api: Api) -> None:
    token = (await api.login("jingjiang_purchaser"))["token"]
    await User.filter(username="jingjiang_purchaser").update(is_active=False)
    try:
        error = await _refused(api, token)
        assert error["extensions"]["code"] == "ACCOUNT_INACTIVE"
        assert (await api.login("jingjiang_purchaser"))["token"] is None
    finally:
        await User.filter(username="jingjiang_purchaser").update(is_active=True)
