"""Idempotent writes for the seed loaders: a second load changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)


async def upsert(model: type[M], lookup: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[M, bool]:
    """Create the row found by ``lookup`` or bring its ``values`` up to date; ``True`` when created.

    Unlike ``update_or_create`` this writes only when a value differs, so ``updated_at`` of an
    unchanged row stays put and reloading reference data is a no-op.
    """
    obj = await model.get_or_none(**lookup)
    if obj is None:
        return await model.create(**lookup, **values), True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        await obj.save(update_fields=changed)
    return obj, False


async def ensure(model: type[M], lookup: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[M, bool]:
    """Create the row found by ``lookup`` with ``values`` unless it exists; an existing row is left alone.

    Demo data uses this: someone exploring the demo may have moved a contract along its lifecycle,
    and reloading must not undo that.
    """
    obj = await model.get_or_none(**lookup)
    if obj is not None:
        return obj, False
    return await model.create(**lookup, **values), True
