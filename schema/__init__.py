"""The GraphQL surface: one module per domain; thin resolvers over ``models`` and ``policies``."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from schema import contracts, ledgers, plans, procurement  # noqa: F401 - register types for node(id:)
from schema.base import REGISTRY
from schema.errors import ClientError
from schema.mutation import Mutation
from schema.query import Query

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000

GENERIC_ERROR = "服务器内部错误，请稍后重试。"


def _should_mask(error: GraphQLError) -> bool:
    """Validation and parse errors, and our own typed errors, reach the client; anything else is masked."""
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, ClientError | GraphQLError)


def build_schema() -> strawberry.Schema:
    """The schema with its protective extensions (as classes/factories: instances would be shared)."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[cls for cls, _ in REGISTRY.values()],
        extensions=[
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: MaskErrors(should_mask_error=_should_mask, error_message=GENERIC_ERROR),
        ],
        config=StrawberryConfig(auto_camel_case=True),
    )


schema = build_schema()
