"""Change history: who changed what, when, before and after — one mechanism for every mutation."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models.base import Owned
from models.enums import ChangeAction
from models.identifiers import mask_id_number, mask_phone


class ChangeRecord(Model, Owned):
    """One change of one object. Readable by whoever may read the object (policies decide)."""

    id = fields.BigIntField(primary_key=True)
    entity_type = fields.CharField(max_length=40)
    entity_id = fields.CharField(max_length=40)
    district_id = fields.CharField(max_length=6, null=True)
    contractor_id = fields.IntField(null=True)
    action = fields.CharEnumField(ChangeAction, max_length=16)
    actor_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=100)
    at = fields.DatetimeField(auto_now_add=True)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    note = fields.TextField(default="")

    district_path: ClassVar[str | None] = "district_id"
    contractor_path: ClassVar[str | None] = "contractor_id"
    policy_object: ClassVar[str] = "history"

    class Meta:
        table = "change_record"
        ordering = ("id",)
        indexes = (("entity_type", "entity_id"),)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


#: Never copied into history: secrets are dropped, personal identifiers are masked (DOMAIN.md §5).
SECRET_FIELDS = frozenset({"password_hash", "key_hash"})
MASKED_FIELDS = {"id_number": mask_id_number, "phone": mask_phone}


def snapshot(obj: Model) -> dict[str, Any]:
    """The object's stored fields as JSON-ready values (money as strings, dates ISO, PII masked)."""
    out: dict[str, Any] = {}
    for name in obj._meta.db_fields:
        if name in SECRET_FIELDS:
            continue
        value = getattr(obj, name)
        if name in MASKED_FIELDS and isinstance(value, str):
            value = MASKED_FIELDS[name](value)
        out[name] = _plain(value)
    return out


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict | None, dict | None]:
    """Keep only the keys that changed (all keys on create/delete)."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k) and k != "updated_at"]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def record_change(
    obj: Model,
    action: ChangeAction,
    *,
    actor_id: int | None,
    actor_name: str,
    before: dict[str, Any] | None = None,
    note: str = "",
    using_db: BaseDBAsyncClient | None = None,
) -> ChangeRecord:
    """Write one history row for ``obj`` (call inside the mutation's transaction).

    ``before`` is the :func:`snapshot` taken before the change (``None`` on create).
    """
    after = None if action == ChangeAction.DELETE else snapshot(obj)
    b, a = diff(before, after)
    return await ChangeRecord.create(
        entity_type=type(obj).__name__,
        entity_id=str(obj.pk),
        district_id=_owner(obj, "district_path"),
        contractor_id=_owner(obj, "contractor_path"),
        action=action,
        actor_id=actor_id,
        actor_name=actor_name,
        before=b,
        after=a,
        note=note,
        using_db=using_db,
    )


def _owner(obj: Model, attr: str) -> Any:
    path = getattr(type(obj), attr, None)
    if not path or "__" in path:
        return None
    return getattr(obj, path, None)
