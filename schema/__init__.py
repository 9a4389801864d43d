"""The GraphQL surface: one module per domain; thin resolvers over ``models`` and ``policies``."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from schema import contracts, ledgers, plans, procurement  # noqa: F401 - register types for node(id:)
from schema.auth import PasswordChangeGate
from schema.base import REGISTRY
from schema.extensions import MaskUnexpectedErrors, QueryCost
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.text_inputs import guard_text_arguments

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000


class JiuzhuSchema(strawberry.Schema):
    """Strawberry's schema without its default error logging: unexpected errors are logged once, with
    their error id, by :class:`~schema.extensions.MaskUnexpectedErrors`; client errors are not noise."""

    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        """Nothing to do here (see the class docstring)."""


def build_schema(*, introspection: bool = True, extensions: tuple[Any, ...] = ()) -> strawberry.Schema:
    """The schema with its protective extensions (as classes/factories: instances would be shared).

    Production turns introspection off; the SDL is published at ``/schema.graphql`` instead.
    """
    extra = [lambda: AddValidationRules([NoSchemaIntrospectionCustomRule])] if not introspection else []
    built = JiuzhuSchema(
        query=Query,
        mutation=Mutation,
        types=[cls for cls, _ in REGISTRY.values()],
        extensions=[
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            QueryCost,
            PasswordChangeGate,
            MaskUnexpectedErrors,
            *extra,
            *extensions,
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )
    guard_text_arguments(built._schema)  # no text argument holds control characters (schema/text_inputs.py)
    return built


schema = build_schema()
