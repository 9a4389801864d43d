"""Shared model pieces: money fields, timestamps, and the tenant ownership declaration."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Round to whole fen (2 places, half up): the only way money is normalised."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def MoneyField(**kwargs: Any) -> fields.DecimalField:
    """Money in yuan: exact, 2 decimal places, up to 10^14."""
    return fields.DecimalField(max_digits=16, decimal_places=2, **kwargs)


class Owned:
    """Declares how a row belongs to tenants, for ``policies.scope``.

    ``district_path`` is the lookup of the row's district code (e.g. ``"district_id"``),
    ``contractor_path`` the lookup of the contractor that owns the row, if any. A model
    with neither is reference data.
    """

    district_path: ClassVar[str | None] = None
    contractor_path: ClassVar[str | None] = None
    #: the policy object name used in Casbin (``contract``, ``plan`` …)
    policy_object: ClassVar[str] = ""

    @classmethod
    def contractor_q(cls, contractor_id: int) -> Q | None:
        """Rows owned by ``contractor_id`` (override where ownership goes through a join)."""
        if cls.contractor_path is None:
            return None
        return Q(**{cls.contractor_path: contractor_id})

    @classmethod
    def district_q(cls, district_code: str | None) -> Q | None:
        """Rows of ``district_code`` (``None``: of any district)."""
        if cls.district_path is None:
            return None
        if district_code is None:
            return Q()
        return Q(**{cls.district_path: district_code})

    @classmethod
    def public_q(cls) -> Q | None:
        """Rows the public may read; ``None``: none (override on disclosed models)."""
        return None


class TimestampedModel(Model):
    """Adds created/updated timestamps."""

    created_at = fields.DatetimeField(auto_now_add=True, description="When the row was created")
    updated_at = fields.DatetimeField(auto_now=True, description="When the row last changed")

    class Meta:
        abstract = True
