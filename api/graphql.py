"""The ``/graphql`` endpoint: authenticate, then hand the request to Strawberry with a fresh context."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from api.auth import PRINCIPAL_KEY, Authenticator, AuthError, Gate, www_authenticate
from api.graphiql import PAGE as GRAPHIQL_PAGE
from policies.principal import Principal
from schema import MAX_DOCUMENT_CHARS
from schema.context import Context


class BadRequest(Exception):
    """A request body that cannot be read as GraphQL over JSON: answered with HTTP 400 and a typed error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def response(self) -> Response:
        """The HTTP 400 answer, shaped like a GraphQL response."""
        body = {"data": None, "errors": [{"message": self.message, "extensions": {"code": self.code}}]}
        return Response(json.dumps(body, ensure_ascii=False), status_code=400, media_type="application/json")


class JiuzhuGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our context, and a request body checked once at the edge: valid UTF-8,
    valid JSON, a document of at most ``MAX_DOCUMENT_CHARS`` characters, and no lone surrogate (``"\\ud800"``)
    in any string of it (query, variables, operation name), which no database, hash or export could encode."""

    def __init__(self, *args: Any, authenticator: Authenticator, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's handling, with :class:`BadRequest` answered as HTTP 400."""
        try:
            await super().__call__(scope, receive, send)
        except BadRequest as exc:
            await exc.response()(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """Decode the body; refuse what is not UTF-8 JSON of valid Unicode text with :class:`BadRequest`."""
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest("INVALID_TEXT", "请求内容不是有效的 UTF-8 编码文本。") from None
        try:
            value = json.loads(data)
        except json.JSONDecodeError as exc:
            raise BadRequest(
                "BAD_REQUEST", f"请求内容不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）。"
            ) from None
        except RecursionError:
            raise BadRequest("BAD_REQUEST", "请求内容的 JSON 嵌套层级过深。") from None
        query = value.get("query") if isinstance(value, dict) else None
        if isinstance(query, str) and len(query) > MAX_DOCUMENT_CHARS:
            raise BadRequest(
                "QUERY_TOO_LARGE",
                f"查询文档过长（{len(query)} 个字符，上限 {MAX_DOCUMENT_CHARS}）。长文本请通过变量（variables）传递。",
            )
        if not valid_text(value):
            raise BadRequest(
                "INVALID_TEXT", "请求中含有无效的 Unicode 字符（孤立的代理码位，如 \\ud800），请检查文本的编码。"
            )
        return value

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL with its assets served by this server (``api/graphiql.py``), never from a CDN."""
        return GRAPHIQL_PAGE

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        """A new context (principal + dataloaders) for every request."""
        principal: Principal = request.scope[PRINCIPAL_KEY]
        return Context(request=request, principal=principal, auth=self.authenticator)


def valid_text(value: object) -> bool:
    """Every string in a decoded JSON value (keys included) can be encoded as UTF-8 (no lone surrogate)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


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
