"""The committed SDL is the schema the server serves, and every field is described."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from api.cli import export_schema
from schema import schema

SDL = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_sdl_is_current() -> None:
    assert SDL.read_text(encoding="utf-8") == export_schema(None), "schema.graphql is stale: run `make schema`"


def test_every_field_and_argument_is_described() -> None:
    missing = []
    for name, gtype in schema._schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            if not gtype.description:
                missing.append(name)
            for fname, field in gtype.fields.items():
                if not field.description:
                    missing.append(f"{name}.{fname}")
                for aname, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{fname}({aname})")
    assert missing == []
