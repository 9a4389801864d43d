"""State changes as compare-and-set updates: ``UPDATE … SET status = to WHERE id = ? AND status IN (from)``.

Two conflicting transitions on the same object (say, two awards) race on that one statement: exactly
one updates a row, the other gets :data:`CONFLICT` and writes nothing — on SQLite and PostgreSQL alike,
without holding locks across the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models.enums import ChangeAction
from models.history import record_change, snapshot
from models.rules import Actor, refuse

M = TypeVar("M", bound=Model)


def state_conflict(current: StrEnum | str, wanted: str) -> Exception:
    """The refusal for a transition from the wrong state."""
    return refuse(
        "INVALID_STATE",
        f"当前状态为“{getattr(current, 'value', current)}”，不能执行“{wanted}”。请刷新后重试。",
        field="status",
    )


async def transition(
    row: M,
    *,
    allowed_from: Iterable[StrEnum],
    to: StrEnum,
    action: str,
    actor: Actor,
    conn: BaseDBAsyncClient,
    updates: dict[str, Any] | None = None,
    note: str = "",
    status_field: str = "status",
) -> M:
    """Move ``row`` to ``to`` if it is still in one of ``allowed_from``; record the change in history.

    ``row`` is the caller's copy (used for the before-snapshot); ``updates`` are written in the same
    statement. Raises :class:`~models.rules.RuleViolation` ``INVALID_STATE`` when another request got there
    first or the state is wrong.
    """
    sources = [s.value for s in allowed_from]
    before = snapshot(row)
    values = {status_field: to.value, **(updates or {})}
    model = type(row)
    if hasattr(row, "updated_at"):
        from models.timeutil import now

        values["updated_at"] = now()
    changed = await model.filter(pk=row.pk, **{f"{status_field}__in": sources}).using_db(conn).update(**values)
    if changed != 1:
        current = await model.filter(pk=row.pk).using_db(conn).values_list(status_field, flat=True)
        raise state_conflict(current[0] if current else "?", action)
    fresh = await model.get(pk=row.pk).using_db(conn)
    await record_change(
        fresh,
        ChangeAction.TRANSITION,
        actor_id=actor.user_id,
        actor_name=actor.name,
        before=before,
        note=note or action,
        using_db=conn,
    )
    return fresh


async def update_fields(row: M, changes: dict[str, Any], *, actor: Actor, conn: BaseDBAsyncClient, note: str = "") -> M:
    """Write ``changes`` to ``row`` and record them (an edit, not a state change)."""
    before = snapshot(row)
    for name, value in changes.items():
        setattr(row, name, value)
    fields = list(changes) + (["updated_at"] if "updated_at" in row._meta.fields_map else [])
    await row.save(using_db=conn, update_fields=fields)
    await record_change(
        row,
        ChangeAction.UPDATE,
        actor_id=actor.user_id,
        actor_name=actor.name,
        before=before,
        note=note,
        using_db=conn,
    )
    return row


async def create_recorded(model: type[M], *, actor: Actor, conn: BaseDBAsyncClient, note: str = "", **values: Any) -> M:
    """Create a row and record its creation."""
    row = await model.create(using_db=conn, **values)
    await record_change(
        row, ChangeAction.CREATE, actor_id=actor.user_id, actor_name=actor.name, note=note, using_db=conn
    )
    return row
