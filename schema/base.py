"""Glue between Tortoise rows and Strawberry types: the type registry behind ``node(id:)``,
``from_row``, and the helpers resolvers use to load related rows through the dataloaders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tortoise.models import Model

from schema.context import Info
from schema.pagination import Connection, build_window, check_window, decode_cursor
from schema.relay import encode_id

T = TypeVar("T")

#: GraphQL type name → (Strawberry class, Tortoise model); filled by :func:`model_type`.
REGISTRY: dict[str, tuple[type, type[Model]]] = {}
_BY_MODEL: dict[type[Model], type] = {}


def model_type(model: type[Model]) -> Callable[[type[T]], type[T]]:
    """Register a Strawberry type as the GraphQL face of ``model`` (for ``node(id:)``)."""

    def register(cls: type[T]) -> type[T]:
        REGISTRY[cls.__name__] = (cls, model)
        _BY_MODEL[model] = cls
        return cls

    return register


def from_row(cls: type[T], row: Model) -> T:
    """Build a Strawberry object from a row: data fields copied by name, ``id`` made global."""
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    kwargs: dict[str, Any] = {"row": row}
    for f in definition.fields:
        if f.base_resolver is not None or f.python_name == "row":
            continue
        if f.python_name == "id":
            kwargs["id"] = encode_id(cls.__name__, row.pk)
        else:
            kwargs[f.python_name] = getattr(row, f.python_name)
    return cls(**kwargs)


def converter(cls: type[T]) -> Callable[[Model], T]:
    """``from_row`` bound to ``cls``."""
    return lambda row: from_row(cls, row)


async def load_one(info: Info, cls: type[T], model: type[Model], pk: Any) -> T | None:
    """A related row by primary key, or ``None`` when absent or not visible to the caller."""
    if pk is None:
        return None
    row = await info.context.loaders.by_id(model).load(pk)
    return None if row is None else from_row(cls, row)


async def load_children(
    info: Info,
    cls: type[T],
    model: type[Model],
    parent_field: str,
    parent_pk: Any,
    first: int | None,
    after: str | None,
    where: tuple[tuple[str, Any], ...] = (),
    *,
    last: int | None = None,
    before: str | None = None,
) -> Connection[T]:
    """A nested connection: one windowed statement for all parents of the request (+1 for counts); ``last`` /
    ``before`` page backwards (the window then numbers each parent's children newest first)."""
    limit, backward = check_window(first, last)
    after_pk = decode_cursor(after, model)
    before_pk = decode_cursor(before, model)
    loaders = info.context.loaders
    page = loaders.child_page(model, parent_field, limit + 1, after_pk, where, before=before_pk, backward=backward)
    rows = await page.load(parent_pk)

    async def count() -> int:
        return await loaders.child_count(model, parent_field, where).load(parent_pk)

    return build_window(rows, limit, backward, after_pk, before_pk, converter(cls), count)
