"""A deterministic pass over every input of the schema with the values attackers send (issue 13): huge and
non-finite decimals, JSON numbers for decimals, a lone surrogate, control characters and spreadsheet formula
prefixes, each as a variable, into every String, ID and Decimal position of the arguments of every query and
mutation (one position at a time, inside input objects and lists). No answer may be an HTTP 500 or an
INTERNAL_ERROR; a 400 must carry a typed code (the HTTP edge refuses lone surrogates that way).

Runs in the fuzz session (``pytest -m fuzz``): its mutations may write the formula-looking text they carry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)
from graphql.pyutils import Undefined

from schema import schema
from tests.fuzz.test_schema_fuzz import ROLES as FUZZ_ROLES
from tests.helpers import Api

pytestmark = pytest.mark.fuzz

STRINGS: list[str] = [
    "\ud800",
    "\u0000",
    "a\u0001b",
    "\u001b[31m",
    "=cmd|' /C calc'!A0",
    "+SUM(1)",
    "@x",
    "-1+2",
]
DECIMALS: list[Any] = ["1E+30", "1e400", "NaN", "sNaN", "Infinity", "-Infinity", 1.5]
TEXT_TYPES = ("String", "ID")
FORBIDDEN_TEXT = ("Traceback", "INTERNAL_ERROR", "sqlite3.", "asyncpg.", "tortoise.")
ROLES = ["city_civil_affairs", "hailing_agency", "xinyuan_clerk"]
MAX_DEPTH = 4

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Slot:
    """One String/ID/Decimal position in the arguments of a root field."""

    operation: str
    field: str
    path: Path
    scalar: str


def _base(gtype: Any, depth: int = 0) -> Any:
    """The smallest value of ``gtype`` (required fields only) that coercion accepts."""
    if isinstance(gtype, GraphQLNonNull):
        gtype = gtype.of_type
    if isinstance(gtype, GraphQLList):
        return []
    if isinstance(gtype, GraphQLEnumType):
        return next(iter(gtype.values))
    if isinstance(gtype, GraphQLInputObjectType):
        return {
            name: _base(f.type, depth + 1)
            for name, f in gtype.fields.items()
            if isinstance(f.type, GraphQLNonNull) and not _has_default(f)
        }
    return {
        "String": "x",
        "ID": "x",
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "Decimal": "1.00",
        "Date": dt.date.today().isoformat(),
        "DateTime": (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat(),
        "JSON": {},
    }.get(gtype.name, "x")


def _has_default(field: GraphQLArgument | GraphQLInputField) -> bool:
    return field.default_value is not Undefined


def _slots(gtype: Any, path: Path, depth: int) -> Iterator[tuple[Path, str]]:
    """Every String/ID/Decimal position inside a value of ``gtype``."""
    if isinstance(gtype, GraphQLNonNull):
        gtype = gtype.of_type
    if isinstance(gtype, GraphQLList):
        yield from _slots(gtype.of_type, (*path, 0), depth)
    elif isinstance(gtype, GraphQLInputObjectType):
        if depth < MAX_DEPTH:
            for name, f in gtype.fields.items():
                yield from _slots(f.type, (*path, name), depth + 1)
    elif isinstance(gtype, GraphQLScalarType) and gtype.name in (*TEXT_TYPES, "Decimal"):
        yield path, gtype.name


def _set(value: Any, gtype: Any, path: Path, hostile: Any) -> Any:
    """``value`` with ``hostile`` at ``path`` (building what the path passes through)."""
    if isinstance(gtype, GraphQLNonNull):
        gtype = gtype.of_type
    if not path:
        return hostile
    head, rest = path[0], path[1:]
    if isinstance(gtype, GraphQLList):
        item = _base(gtype.of_type)
        return [_set(item, gtype.of_type, rest, hostile)]
    assert isinstance(gtype, GraphQLInputObjectType)
    current = dict(value) if isinstance(value, dict) else _base(gtype)
    field = gtype.fields[str(head)]
    current[str(head)] = _set(current.get(str(head), _base(field.type)), field.type, rest, hostile)
    return current


def _selection(field: GraphQLField) -> str:
    return "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"


def _document(operation: str, name: str, field: GraphQLField) -> str:
    args: dict[str, GraphQLArgument] = field.args
    definitions = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
    call = ", ".join(f"{a}: ${a}" for a in args)
    return f"{operation} Hostile({definitions}) {{ {name}({call}){_selection(field)} }}"


def _cases() -> Iterator[tuple[str, dict[str, Any], Slot]]:
    gschema = schema._schema
    roots: list[tuple[str, GraphQLObjectType | None]] = [
        ("query", gschema.query_type),
        ("mutation", gschema.mutation_type),
    ]
    for operation, root in roots:
        assert root is not None
        for name, field in root.fields.items():
            if not field.args:
                continue
            document = _document(operation, name, field)
            base = {
                a: _base(arg.type)
                for a, arg in field.args.items()
                if isinstance(arg.type, GraphQLNonNull) and not _has_default(arg)
            }
            for a, arg in field.args.items():
                for path, scalar in _slots(arg.type, (), 0):
                    slot = Slot(operation, name, (a, *path), scalar)
                    for hostile in DECIMALS if scalar == "Decimal" else STRINGS:
                        value = _set(base.get(a), arg.type, path, hostile)
                        yield document, {**base, a: value}, slot


def test_every_string_and_decimal_position_is_covered() -> None:
    """The pass reaches every text and decimal input (the counts of the SDL today, at least)."""
    slots = {slot for _, _, slot in _cases()}
    assert sum(s.scalar == "Decimal" for s in slots) >= 25
    assert sum(s.scalar == "String" for s in slots) >= 100
    assert {s.operation for s in slots} == {"query", "mutation"}


async def _send(api: Api, document: str, variables: dict[str, Any], token: str | None) -> None:
    body = json.dumps({"query": document, "variables": variables}, ensure_ascii=True)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await api.client.post("/graphql", content=body.encode(), headers=headers)
    shown = (document, json.dumps(variables, ensure_ascii=True)[:300], response.status_code, response.text[:500])
    assert response.status_code in (200, 400, 401, 413), shown
    for text in FORBIDDEN_TEXT:
        assert text not in response.text, shown
    if response.status_code == 400:
        payload = response.json()
        errors = payload.get("errors") or []
        assert errors, shown
        assert all(e.get("code") or (e.get("extensions") or {}).get("code") for e in errors), shown


@pytest.mark.parametrize("role", ROLES)
async def test_hostile_values_in_every_input(api: Api, role: str) -> None:
    # Sign every role of the fuzz session in first: the hostile `login` calls fail from this client address, and
    # enough failures make the sign-in throttle refuse later sign-ins (as it should).
    for each in {*ROLES, *FUZZ_ROLES} - {None}:
        await api.token(each)
    token = await api.token(role)
    for document, variables, _ in _cases():
        await _send(api, document, variables, token)
