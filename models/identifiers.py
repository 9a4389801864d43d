"""Validation of Chinese identifiers with their check characters.

- 统一社会信用代码 (unified social credit code), GB 32100-2015: ``stdnum.cn.uscc``.
- 居民身份证号码 (resident ID-card number), GB 11643-1999: ``stdnum.cn.ric``.
"""

from __future__ import annotations

import datetime as dt

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError


class IdentifierError(ValueError):
    """A malformed identifier, ``code`` is stable for programs, ``message`` is for people (Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validate_uscc(value: str) -> str:
    """Return the normalised 18-character code, or raise :class:`IdentifierError`."""
    raw = (value or "").strip().upper()
    try:
        return uscc.validate(raw)
    except InvalidLength as exc:
        raise IdentifierError("INVALID_CREDIT_CODE", f"统一社会信用代码应为18位，当前为{len(raw)}位。") from exc
    except InvalidChecksum as exc:
        raise IdentifierError(
            "INVALID_CREDIT_CODE", "统一社会信用代码校验码不正确（GB 32100-2015），请核对后重新填写。"
        ) from exc
    except (InvalidFormat, InvalidComponent, ValidationError) as exc:
        raise IdentifierError(
            "INVALID_CREDIT_CODE", "统一社会信用代码格式不正确（GB 32100-2015），含有不允许的字符或代码段。"
        ) from exc


#: GB 2260 province-level codes (the first two digits of a resident ID number).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()  # noqa: SIM905
)


def validate_id_number(value: str) -> str:
    """Return the normalised 18-character resident ID number, or raise :class:`IdentifierError`.

    Checks length, digits, the GB 11643 check character, the birth date and the province code. The
    county code is not checked against the birth year (stdnum does): a number keeps the county code of
    where it was first issued, so an elderly resident's valid card may carry a code created after birth.
    """
    raw = (value or "").strip().upper()
    if len(raw) != 18:
        raise IdentifierError("INVALID_ID_NUMBER", f"居民身份证号码应为18位，当前为{len(raw)}位。")
    if not raw[:17].isdigit() or not (raw[17].isdigit() or raw[17] == "X"):
        raise IdentifierError("INVALID_ID_NUMBER", "居民身份证号码格式不正确：前17位应为数字，末位为数字或X。")
    if raw[17] != ric.calc_check_digit(raw):
        raise IdentifierError("INVALID_ID_NUMBER", "居民身份证号码校验码不正确（GB 11643），请核对后重新填写。")
    if raw[:2] not in PROVINCES:
        raise IdentifierError("INVALID_ID_NUMBER", "居民身份证号码格式不正确：地区码无效。")
    try:
        born = ric.get_birth_date(raw)
    except (ValidationError, ValueError) as exc:
        raise IdentifierError("INVALID_ID_NUMBER", "居民身份证号码格式不正确：出生日期无效。") from exc
    if born > dt.date.today() or born.year < 1880:
        raise IdentifierError("INVALID_ID_NUMBER", "居民身份证号码格式不正确：出生日期无效。")
    return raw


def mask_id_number(value: str) -> str:
    """``321202199001011234`` → ``3212**********1234`` (first 4 and last 4 kept)."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """``13912345678`` → ``139****5678``."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
