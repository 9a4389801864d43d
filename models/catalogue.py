"""The city-wide service catalogue: the 20 items of the policy's annex (附件, Art. 8)."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields

from models.base import Owned, TimestampedModel
from models.enums import CatalogueCategory


class CatalogueItem(TimestampedModel, Owned):
    """目录项目. Plans may only buy active items (Art. 8), items are deactivated, never deleted."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=8, unique=True, description="A01–A11 事务性, S01–S09 服务性")
    category = fields.CharEnumField(CatalogueCategory, max_length=16)
    name = fields.CharField(max_length=100, unique=True)
    target_groups = fields.TextField(description="服务对象")
    is_active = fields.BooleanField(default=True)

    policy_object: ClassVar[str] = "catalogue"

    class Meta:
        table = "catalogue_item"
        ordering = ("code",)
