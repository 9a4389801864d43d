"""The ``Node`` interface every entity implements: global ``id`` and its change ``history``."""

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

ChangeActionEnum = strawberry.enum(ChangeAction, name="ChangeAction", description="Kind of change. 变更类型。")


@strawberry.interface(description="An object with a global ID and a change history (Relay). 可按全局ID查询的对象。")
class Node:
    """Relay ``Node``."""

    id: strawberry.ID = strawberry.field(description="Opaque global ID; pass it to `node(id:)`. 全局ID。")
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
    """A change-history row."""

    action: ChangeActionEnum = strawberry.field(description="create / update / transition / delete")  # type: ignore[valid-type]
    actor_name: str = strawberry.field(description="Who made the change (display name and username). 操作人。")
    at: dt.datetime = strawberry.field(description="When. 时间。")
    before: JSON | None = strawberry.field(description="Changed fields before the change (null on create).")
    after: JSON | None = strawberry.field(description="Changed fields after the change (null on delete).")
    note: str = strawberry.field(description="Reason or comment given with the change. 说明。")
    entity_type: str = strawberry.field(description="Type of the changed object.")
