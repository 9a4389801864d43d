"""The ``/graphql`` endpoint: authenticate, then hand the request to Strawberry with a fresh context."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from api.auth import Authenticator, AuthError
from api.graphiql import PAGE as GRAPHIQL_PAGE
from api.observability import set_caller
from policies.principal import Principal
from schema.context import Context

PRINCIPAL_KEY = "jiuzhu.principal"


class JiuzhuGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our context."""

    def __init__(self, *args: Any, authenticator: Authenticator, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.authenticator = authenticator

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL with its assets served by this server (``api/graphiql.py``), never from a CDN."""
        return GRAPHIQL_PAGE

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        """A new context (principal + dataloaders) for every request."""
        principal: Principal = request.scope[PRINCIPAL_KEY]
        return Context(request=request, principal=principal, auth=self.authenticator)


class Authenticate:
    """ASGI wrapper: resolve the bearer token before GraphQL runs.

    A bad token is refused with HTTP 401 and a GraphQL-shaped error (never treated as anonymous,
    so a client learns at once that its token is no good).
    """

    def __init__(self, app: JiuzhuGraphQL, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = api_key = None
        for name, value in scope.get("headers", []):
            if name == b"authorization" and header is None:
                header = value.decode("latin-1")
            elif name == b"x-api-key" and api_key is None:
                api_key = value.decode("latin-1")
        try:
            principal = await self.authenticator.authenticate_headers(header, api_key)
        except AuthError as exc:
            body = {"data": None, "errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
            response = Response(
                json.dumps(body, ensure_ascii=False),
                status_code=401,
                media_type="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="jiuzhu", error="invalid_token"'},
            )
            await response(scope, receive, send)
            return
        scope[PRINCIPAL_KEY] = principal
        set_caller(principal.username)
        await self.app(scope, receive, send)
