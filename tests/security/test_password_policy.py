"""Weak passwords are refused wherever a password is set (createAccount, resetPassword, changeMyPassword), with a
Chinese reason, and nothing changes; the check and the hash see the NFKC form; older hashes still verify.

Before: ten characters of three classes passed, so ``P@ssw0rd1234``, ``Taizhou2026!``, padding with NUL, spaces
or emoji, and the published demo pattern ``Demo-<username>-2026`` were all accepted."""

from __future__ import annotations

import unicodedata
import uuid

import pytest

from models import User
from models.accounts import hash_password
from tests.helpers import Api

ERRORS = "errors { code field message }"
CREATE = f"""
mutation($u: String!, $p: String, $d: String) {{
  createAccount(input: {{username: $u, displayName: "密码测试", password: $p, role: DISTRICT_AGENCY, domain: $d}}) {{
    account {{ id }} {ERRORS}
  }}
}}
"""
RESET = f"mutation($a: ID!, $p: String) {{ resetPassword(input: {{account: $a, newPassword: $p}}) {{ {ERRORS} }} }}"
CHANGE = f"""
mutation($old: String!, $new: String!) {{
  changeMyPassword(input: {{oldPassword: $old, newPassword: $new}}) {{ {ERRORS} }}
}}
"""
STRONG = "Kx7#mVq2-Lp9z"

#: Each of these was accepted before (10+ characters, 3+ classes, not on the old list).
WEAK = [
    "P@ssw0rd1234",
    "Qwerty123456!",
    "Taizhou2026!",
    "Hailing2026!!",
    "Aaaaaaaaaa1",
    "          A1",
    "A1\x00\x00\x00\x00\x00\x00\x00\x00",
    "Kx7#mVq2\x00-Lp9z",  # a strong one with a NUL inside: control characters are refused outright
    "Kx7#mVq2\u200b-Lp9z",  # zero-width space
    "\U0001f600" * 10 + "A1",
    "Ｐ＠ｓｓｗ０ｒｄ１２３４",  # full-width P@ssw0rd1234: NFKC before the check
]


def _name() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


async def _create(api: Api, username: str, password: str | None, domain: str = "district:321202") -> dict:
    return (await api.data(CREATE, {"u": username, "p": password, "d": domain}, as_user="city_admin"))["createAccount"]


@pytest.mark.parametrize("password", WEAK)
async def test_weak_passwords_are_refused_when_creating_an_account(api: Api, password: str) -> None:
    username = _name()
    payload = await _create(api, username, password)
    assert payload["account"] is None
    [error] = payload["errors"]
    if "\x00" in password:  # control characters are refused by the one text check before any strength check
        assert (error["code"], error["field"]) == ("INVALID_TEXT", "password"), error
        assert not await User.exists(username=username)
        return
    assert (error["code"], error["field"]) == ("WEAK_PASSWORD", "password"), error
    assert error["message"].startswith("密码强度不足：")
    assert not any(word in error["message"] for word in ("guess", "This is", "Avoid", "zxcvbn")), error["message"]
    assert not await User.exists(username=username)


async def test_the_demo_pattern_is_refused_for_its_own_and_any_username(api: Api) -> None:
    username = _name()
    for password in (f"Demo-{username}-2026", "Demo-hailing_agency-2026", "demo_city_admin_2027"):
        payload = await _create(api, username, password)
        [error] = payload["errors"]
        assert error["code"] == "WEAK_PASSWORD", (password, error)
    payload = await _create(api, username, f"Demo-{username}-2026")
    assert "演示账号" in payload["errors"][0]["message"]


async def test_names_of_the_account_and_its_organisation_are_user_inputs(api: Api) -> None:
    # 海陵区民政局 is the agency of district 321202: leaning on it is weak for an account there.
    payload = await _create(api, _name(), "海陵区民政局2026!", domain="district:321202")
    [error] = payload["errors"]
    assert error["code"] == "WEAK_PASSWORD"
    assert "单位名称" in error["message"]


async def test_reset_and_change_refuse_weak_passwords_and_change_nothing(api: Api) -> None:
    username = _name()
    created = await _create(api, username, STRONG)
    assert created["errors"] == []
    before = await User.get(username=username)
    for password in ("Taizhou2026!", f"Demo-{username}-2026", "A1" + "\x00" * 9):
        [error] = (await api.data(RESET, {"a": created["account"]["id"], "p": password}, as_user="city_admin"))[
            "resetPassword"
        ]["errors"]
        expected = "INVALID_TEXT" if "\x00" in password else "WEAK_PASSWORD"
        assert (error["code"], error["field"]) == (expected, "newPassword")
    token = (await api.login(username, STRONG))["token"]
    for password in ("Qwerty123456!", f"Demo-{username}-2026", "          A1"):
        body = (await api.post(CHANGE, {"old": STRONG, "new": password}, token)).json()
        [error] = body["data"]["changeMyPassword"]["errors"]
        assert (error["code"], error["field"]) == ("WEAK_PASSWORD", "newPassword")
    after = await User.get(username=username)
    assert (after.password_hash, after.must_change_password) == (before.password_hash, True)


async def test_new_passwords_are_normalised_so_either_width_signs_in(api: Api) -> None:
    username = _name()
    full_width = "Ｋｘ７＃ｍＶｑ２－Ｌｐ９ｚ"  # what a Chinese input method in full-width mode types for STRONG
    assert unicodedata.normalize("NFKC", full_width) == STRONG
    assert (await _create(api, username, full_width))["errors"] == []
    assert (await api.login(username, STRONG))["token"]
    assert (await api.login(username, full_width))["token"]
    # Changing to the same password in the other width is the same password.
    token = (await api.login(username, STRONG))["token"]
    body = (await api.post(CHANGE, {"old": full_width, "new": STRONG}, token)).json()
    assert body["data"]["changeMyPassword"]["errors"][0]["code"] == "SAME_PASSWORD"


async def test_a_password_hashed_before_normalisation_still_signs_in(api: Api) -> None:
    username = _name()
    typed = "Ｌｅｇａｃｙ-ｗｉｄｅ-Pass-42"  # hashed as typed, the way accounts were set before
    await User.create(username=username, password_hash=hash_password(typed), display_name="旧账号")
    assert (await api.login(username, typed))["token"]
