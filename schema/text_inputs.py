"""The one check every text argument passes: no control characters (see :mod:`models.inputs`).

:func:`guard_text_arguments` puts it in front of the resolver of every field that takes arguments, once, when
the schema is built: it walks input objects, lists and JSON values with their GraphQL types, so no mutation or
query can forget it. A refused mutation
answers with its own payload: its error type, the code ``INVALID_TEXT``, ``field`` naming the input field
(camelCase, as the mutation's own errors do: ``title``, ``entry.content``, ``serviceEntries.content`` with
``row``) and a Chinese message naming the field; nothing runs, nothing is written. Any other field (a query,
a filter) is refused with a top-level error with ``extensions.code = INVALID_TEXT``.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable
from enum import Enum
from functools import lru_cache
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    default_field_resolver,
    get_nullable_type,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryList, StrawberryOptional

from models.inputs import INVALID_TEXT, text_problem
from schema.errors import ClientError

Path = list[str | int]

#: The Chinese term at the end of a description: "What was done, at most 2000 characters. 服务内容。" → 服务内容.
_TERM = re.compile(r"([^\s.。]*[\u4e00-\u9fff][^\s.。]*)。\s*$")


def _label(name: str, description: str | None) -> str:
    match = _TERM.search(description or "")
    return f"“{match.group(1)}”（{name}）" if match else f"“{name}”"


def _walk(value: Any, gtype: Any, path: Path, name: str, description: str | None) -> tuple[Path, str] | None:
    """The first text in ``value`` that may not be stored, as (path, message)."""
    if value is None:
        return None
    if isinstance(gtype, GraphQLNonNull):
        gtype = gtype.of_type
    if isinstance(value, str):
        if isinstance(value, Enum):
            return None
        problem = text_problem(value, name, _label(name, description))
        return None if problem is None else (path, problem)
    if isinstance(value, list | tuple):
        item_type = gtype.of_type if isinstance(gtype, GraphQLList) else None
        for index, item in enumerate(value):
            if (found := _walk(item, item_type, [*path, index], name, description)) is not None:
                return found
        return None
    if isinstance(value, dict):
        fields = gtype.fields if isinstance(gtype, GraphQLInputObjectType) else {}
        for key, item in value.items():
            # a JSON value's keys are text too (a contract amendment's ``changes`` keys name contract fields)
            if isinstance(key, str) and (problem := text_problem(key, "", _label(name, description))) is not None:
                return [*path, key], problem
            field = fields.get(key)
            found = _walk(item, field.type if field else None, [*path, key], str(key), field and field.description)
            if found is not None:
                return found
    return None


def bad_text(field: GraphQLField, arguments: dict[str, Any]) -> tuple[Path, str] | None:
    """The first argument text of ``field`` that may not be stored, as (path, Chinese message)."""
    for name, value in arguments.items():
        argument = field.args.get(name)
        gtype = argument.type if argument is not None else None
        found = _walk(value, gtype, [name], name, argument.description if argument is not None else None)
        if found is not None:
            return found
    return None


def _field_path(path: Path) -> str:
    """``input.entry.content`` → ``entry.content`` (mutation errors name fields inside ``input``; list
    positions go to ``row``)."""
    names = [str(p) for p in path if not isinstance(p, int)]
    if len(names) > 1 and names[0] == "input":
        names = names[1:]
    return ".".join(names)


def _empty(field_type: Any) -> Any:
    if isinstance(field_type, StrawberryOptional):
        return None
    if isinstance(field_type, StrawberryList):
        return []
    if field_type is int:
        return 0
    if field_type is bool:
        return False
    return None


@lru_cache(maxsize=256)
def _refusal_builder(payload_cls: type) -> Callable[[Path, str], Any] | None:
    """How to build ``payload_cls`` refusing with INVALID_TEXT, or ``None`` when it has no ``errors`` list."""
    definition = getattr(payload_cls, "__strawberry_definition__", None)
    if definition is None:
        return None
    fields = {f.python_name: f for f in definition.fields}
    errors = fields.get("errors")
    if errors is None or not isinstance(errors.type, StrawberryList) or not isinstance(errors.type.of_type, type):
        return None
    error_cls: type = errors.type.of_type
    codes = typing.get_type_hints(error_cls).get("code")
    if not (isinstance(codes, type) and issubclass(codes, Enum)):
        return None
    members = codes.__members__
    code = next((members[c] for c in (INVALID_TEXT, "INVALID", "INVALID_INPUT") if c in members), None)
    if code is None:
        return None
    error_fields = {f.name for f in dataclasses.fields(error_cls)}  # type: ignore[arg-type]
    others = {name: _empty(f.type) for name, f in fields.items() if name != "errors" and f.base_resolver is None}

    def build(path: Path, message: str) -> Any:
        values: dict[str, Any] = {name: None for name in error_fields}
        values.update(code=code, message=message)
        if "field" in error_fields:
            values["field"] = _field_path(path)
        rows = [p for p in path if isinstance(p, int)]
        if "row" in error_fields and rows:
            values["row"] = rows[0]
        for f in dataclasses.fields(error_cls):  # type: ignore[arg-type]
            if values.get(f.name) is None and f.default is not dataclasses.MISSING:
                values[f.name] = f.default
        return payload_cls(**others, errors=[error_cls(**values)])

    return build


def _payload_class(info: GraphQLResolveInfo) -> type | None:
    gtype = get_nullable_type(info.return_type)
    if not isinstance(gtype, GraphQLObjectType):
        return None
    definition = gtype.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return getattr(definition, "origin", None)


def guard_text_arguments(gschema: GraphQLSchema) -> None:
    """Put the check in front of the resolver of every field that takes arguments (fields without arguments
    keep graphql-core's fast path: a schema-wide middleware would cost every field of every response)."""
    mutation_type = gschema.mutation_type
    for gtype in gschema.type_map.values():
        if isinstance(gtype, GraphQLObjectType) and not gtype.name.startswith("__"):
            for field in gtype.fields.values():
                if field.args:
                    field.resolve = _guarded(field, field.resolve or default_field_resolver, gtype is mutation_type)


def _guarded(field: GraphQLField, resolve: Callable[..., Any], mutation: bool) -> Callable[..., Any]:
    def check_then_resolve(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        found = bad_text(field, kwargs) if kwargs else None
        if found is None:
            return resolve(source, info, **kwargs)
        path, message = found
        payload = _payload_class(info) if mutation else None
        build = _refusal_builder(payload) if payload is not None else None
        if build is not None:
            return build(path, message)
        raise ClientError(INVALID_TEXT, message)

    return check_then_resolve
