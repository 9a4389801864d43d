"""The ``Historied`` interface of every entity with a change history, and the change rows themselves.

``Node`` (in ``schema.relay``) is only the global ``id``; ``Historied`` adds ``history`` and implements ``Node``,
so a type can be fetched by ``node(id:)`` without having to offer a history (``ChangeEntry`` has none).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from models.enums import ChangeAction
from models.history import ChangeRecord
from schema.base import load_children, model_type
from schema.context import Info
from schema.pagination import After, Connection, First
from schema.relay import Node

ChangeActionEnum = strawberry.enum(ChangeAction, name="ChangeAction", description="Kind of change. 变更类型。")


@strawberry.interface(description="An object with a change history: who changed it, when and how. 有变更记录的对象。")
class Historied(Node):
    """A ``Node`` with ``history``; implemented by every entity type backed by a recorded model."""

    row: strawberry.Private[Any]

    @strawberry.field(
        description="Who changed this object, when, and what changed (before/after), oldest first. "
        "Empty when you may not read its history. 变更记录。"
    )
    async def history(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
    ) -> Connection[ChangeEntry]:
        """History rows of this object (scoped by ``policies``: the row's district/contractor)."""
        where = (("entity_type", type(self.row).__name__),)
        return await load_children(info, ChangeEntry, ChangeRecord, "entity_id", str(self.row.pk), first, after, where)


@model_type(ChangeRecord)
@strawberry.type(description="One recorded change of an object. 变更记录。")
class ChangeEntry(Node):
    """A change-history row (a ``Node``, without a history of its own)."""

    row: strawberry.Private[Any]

    action: ChangeActionEnum = strawberry.field(description="create / update / transition / delete")  # type: ignore[valid-type]
    actor_name: str = strawberry.field(description="Who made the change (display name and username). 操作人。")
    at: dt.datetime = strawberry.field(description="When. 时间。")
    before: JSON | None = strawberry.field(description="Changed fields before the change (null on create).")
    after: JSON | None = strawberry.field(description="Changed fields after the change (null on delete).")
    note: str = strawberry.field(description="Reason or comment given with the change. 说明。")
    entity_type: str = strawberry.field(description="Type of the changed object.")
