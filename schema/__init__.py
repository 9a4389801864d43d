"""The GraphQL surface: one module per domain; thin resolvers over ``models`` and ``policies``."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from schema import contracts, ledgers, plans, procurement  # noqa: F401 - register types for node(id:)
from schema.auth import PasswordChangeGate
from schema.base import REGISTRY
from schema.extensions import MaskUnexpectedErrors, ParseLimits, QueryCost
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.text_inputs import guard_text_arguments

MAX_DEPTH = 12
MAX_ALIASES = 30
#: Tokens of a GraphQL document. The largest honest documents have a few hundred; parsing and validating 2,500
#: tokens of anything takes < 50 ms of CPU (4,000 took up to 60 ms).
MAX_TOKENS = 2500
#: Characters of a GraphQL document (checked at the HTTP edge): 2,500 tokens of honest GraphQL fit in far less,
#: and the parser reads strings and comments one character at a time (1 MB of comment cost 120 ms of CPU).
MAX_DOCUMENT_CHARS = 64 * 1024


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
            lambda: ParseLimits(max_tokens=MAX_TOKENS),
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
