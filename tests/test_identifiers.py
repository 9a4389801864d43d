"""Unified social credit codes (GB 32100-2015) and resident ID numbers (GB 11643): validated with their
check characters, a bad one is a clear, typed error — in the models and through the API."""

from __future__ import annotations

import pytest
from stdnum.cn import ric, uscc

from models.identifiers import IdentifierError, mask_id_number, mask_phone, validate_id_number, validate_uscc
from tests.helpers import Api

GOOD_USCC = "91320200MA1" + "N8QUT0"[:6]
GOOD_USCC = GOOD_USCC[:17] + uscc.calc_check_digit(GOOD_USCC[:17])
GOOD_ID = "32120219900307123" + ric.calc_check_digit("32120219900307123" + "0")
#: born 1960 with a county code created later: still valid (the code is where the number was issued)
ELDERLY_ID = "32127119600101123" + ric.calc_check_digit("32127119600101123" + "0")


def _with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def _flip(code: str) -> str:
    last = code[-1]
    return code[:-1] + ("1" if last != "1" else "2")


def test_good_identifiers_pass_and_normalise() -> None:
    assert validate_uscc(GOOD_USCC.lower()) == GOOD_USCC
    assert validate_id_number(" " + GOOD_ID.lower() + " ") == GOOD_ID
    assert validate_id_number(ELDERLY_ID) == ELDERLY_ID


@pytest.mark.parametrize(
    ("value", "fragment"), [("123", "18位"), (_flip(GOOD_USCC), "校验码"), ("91320200MA1N8QUTI!", "格式")]
)
def test_bad_credit_codes_are_explained(value: str, fragment: str) -> None:
    with pytest.raises(IdentifierError) as info:
        validate_uscc(value)
    assert info.value.code == "INVALID_CREDIT_CODE"
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("3212021990", "18位"),
        (_flip(GOOD_ID), "校验码"),
        (_with_check("32120219901307123"), "出生日期"),
        (_with_check("99120219900307123"), "地区码"),
        ("32120219900307123A", "格式"),
    ],
)
def test_bad_id_numbers_are_explained(value: str, fragment: str) -> None:
    with pytest.raises(IdentifierError) as info:
        validate_id_number(value)
    assert info.value.code == "INVALID_ID_NUMBER"
    assert fragment in info.value.message


def test_masks() -> None:
    assert mask_id_number("32120219900307123X") == "3212**********123X"
    assert mask_phone("13912345678") == "139****5678"


CONTRACTOR_BY_CODE = "query($c: String!) { contractors(filter: {creditCode: $c}) { totalCount } }"
BENEFICIARY_BY_ID = "query($n: String!) { beneficiaries(idNumber: $n) { totalCount nodes { idNumber } } }"


async def test_api_refuses_a_bad_credit_code_with_a_typed_error(api: Api) -> None:
    body = await api.gql(CONTRACTOR_BY_CODE, {"c": _flip(GOOD_USCC)}, as_user="hailing_agency")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CREDIT_CODE"
    assert "校验码" in body["errors"][0]["message"]


async def test_api_accepts_a_good_credit_code(api: Api) -> None:
    data = await api.data(CONTRACTOR_BY_CODE, {"c": GOOD_USCC}, as_user="hailing_agency")
    assert data["contractors"]["totalCount"] == 0


async def test_api_refuses_a_bad_id_number_with_a_typed_error(api: Api) -> None:
    body = await api.gql(BENEFICIARY_BY_ID, {"n": _flip(GOOD_ID)}, as_user="hailing_agency")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID_NUMBER"
    body = await api.gql(BENEFICIARY_BY_ID, {"n": "1234"}, as_user="hailing_agency")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID_NUMBER"
    assert "18位" in body["errors"][0]["message"]
