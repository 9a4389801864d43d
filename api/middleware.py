"""Plain ASGI middleware: security headers and a request body limit."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphiql import IDE_CSP

BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
#: API responses are data: nothing in them may run or be framed. (GraphiQL's page, development only, gets
#: ``api.graphiql.IDE_CSP``: its own inline script and assets from this server, nothing from elsewhere.)
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Adds the usual hardening headers to every HTTP response."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = dict(headers).get(b"content-type", b"")
                extra = list(BASE_HEADERS)
                if self.production or not content_type.startswith(b"text/html"):
                    extra.append(API_CSP)
                else:
                    extra.append(IDE_CSP)
                if self.production:
                    extra.append(HSTS)
                headers.extend(h for h in extra if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Paths that take larger bodies and enforce their own limit: the ledger workbook import (20 MiB, see
#: ``api/ledger_files.py`` ``MAX_IMPORT_BYTES``). Every other path keeps the app-wide limit.
OWN_LIMIT_PATHS: tuple[re.Pattern[str], ...] = (re.compile(r"^/ledgers/[^/]+/import$"),)


class BodyLimit:
    """Refuses request bodies above ``max_bytes`` with HTTP 413 (declared or streamed).

    Paths matching ``own_limit`` are passed through untouched: their route enforces a limit of its own.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, own_limit: tuple[re.Pattern[str], ...] = OWN_LIMIT_PATHS
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_limit = own_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(p.match(scope.get("path", "")) for p in self.own_limit):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(send)
            return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            if refused:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"请求内容过大（上限 {self.max_bytes // 1024} KB）。",
                        "extensions": {"code": "REQUEST_TOO_LARGE"},
                    }
                ],
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    """Raised inside the app when the streamed body passes the limit."""
