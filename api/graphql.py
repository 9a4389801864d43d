"""The ``/graphql`` endpoint: authenticate, then hand the request to Strawberry with a fresh context."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL

from api.auth import PRINCIPAL_KEY, Authenticator, AuthError, Gate, www_authenticate
from policies.principal import Principal
from schema.context import Context


class JiuzhuGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our context."""

    def __init__(self, *args: Any, authenticator: Authenticator, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.authenticator = authenticator

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        """A new context (principal + dataloaders) for every request."""
        principal: Principal = request.scope[PRINCIPAL_KEY]
        return Context(request=request, principal=principal, auth=self.authenticator)


def refuse_graphql(error: AuthError) -> Response:
    """A refusal of the :class:`~api.auth.Gate`, shaped as a GraphQL response (``extensions.code``)."""
    body = {"data": None, "errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=error.status,
        media_type="application/json",
        headers=www_authenticate(error),
    )


def graphql_gate(app: JiuzhuGraphQL, authenticator: Authenticator) -> Gate:
    """``/graphql`` behind the one :class:`~api.auth.Gate`: the public may query (published data only), and an
    account that must change its password is held to it field by field by :class:`schema.auth.PasswordChangeGate`.

    A bad token is refused with HTTP 401 and a GraphQL-shaped error (never treated as anonymous,
    so a client learns at once that its token is no good).
    """
    return Gate(app, authenticator, refuse_graphql, public_allowed=True, password_change_handled=True)
