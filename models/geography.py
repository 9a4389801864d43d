"""Districts (购买主体, Art. 4), townships (乡镇/街道) and villages/communities (村/居委会, Art. 17)."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.models import Model

from models.base import Owned
from models.enums import CommunityKind, DistrictKind, TownshipKind

#: What to write instead of a malformed code (the messages of every refusal of one).
DISTRICT_CODE_HINT = "district 应为6位行政区划代码，例如 321202。"
TOWNSHIP_CODE_HINT = "township 应为9位乡镇（街道）代码，例如 321202001。"


def is_district_code(code: str) -> bool:
    """The shape of a district's statistical division code: 6 digits (``321202``)."""
    return len(code) == 6 and code.isdigit()


def is_township_code(code: str) -> bool:
    """The shape of a township's code: 9 digits (``321202001``)."""
    return len(code) == 9 and code.isdigit()


class District(Model, Owned):
    """A district-level purchasing entity: 各市（区）人民政府 or 泰州医药高新区管委会 (Art. 4)."""

    code = fields.CharField(max_length=6, primary_key=True, description="Statistical division code")
    name = fields.CharField(max_length=50, unique=True)
    kind = fields.CharEnumField(DistrictKind, max_length=32)
    purchaser_name = fields.CharField(max_length=100, description="购买主体, e.g. 海陵区人民政府")
    agency_name = fields.CharField(max_length=100, description="实施主体, e.g. 海陵区民政局")

    district_path: ClassVar[str | None] = "code"
    policy_object: ClassVar[str] = "district"

    class Meta:
        table = "district"
        ordering = ("code",)


class Township(Model, Owned):
    """A 乡镇/街道 with its population (Art. 16 staffing floor depends on it)."""

    code = fields.CharField(max_length=9, primary_key=True)
    name = fields.CharField(max_length=50)
    kind = fields.CharEnumField(TownshipKind, max_length=16)
    district: fields.ForeignKeyRelation[District] = fields.ForeignKeyField(
        "models.District", related_name="townships", on_delete=fields.RESTRICT, db_index=True
    )
    population = fields.IntField()
    population_illustrative = fields.BooleanField(default=True, description="False when officially reported")

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "township"

    class Meta:
        table = "township"
        ordering = ("code",)


class Community(Model, Owned):
    """A village (村) or residential community (社区/居委会) of a township."""

    id = fields.IntField(primary_key=True)
    township: fields.ForeignKeyRelation[Township] = fields.ForeignKeyField(
        "models.Township", related_name="communities", on_delete=fields.RESTRICT, db_index=True
    )
    district: fields.ForeignKeyRelation[District] = fields.ForeignKeyField(
        "models.District", related_name="communities", on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=60)
    kind = fields.CharEnumField(CommunityKind, max_length=16)

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "staffing"

    class Meta:
        table = "community"
        unique_together = (("township", "name"),)
