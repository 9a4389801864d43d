"""Observability: structured JSON logs carrying a request id and the caller, and Prometheus metrics.

Metrics are per process (each uvicorn worker serves its own ``/metrics``; scrape every worker, or run
with ``PROMETHEUS_MULTIPROC_DIR`` set, which prometheus-client aggregates across workers).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hmac
import json
import logging
import logging.config
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="-")
#: The GraphQL operation of the request (name, type), for its access log line.
OPERATION: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("operation", default=None)

HTTP_REQUESTS = Counter("jiuzhu_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "jiuzhu_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
GRAPHQL_OPERATIONS = Counter("jiuzhu_graphql_operations_total", "GraphQL operations", ["operation", "type", "outcome"])
GRAPHQL_LATENCY = Histogram(
    "jiuzhu_graphql_operation_seconds",
    "GraphQL operation latency",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
#: Status recorded for a request whose client disconnected before it was answered (nginx's convention).
CLIENT_CLOSED = 499
KNOWN_ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics", "/schema.graphql", "/ledgers", "/ocds")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id and caller of the request being served.

    ``ts`` is RFC 3339 in UTC with milliseconds (``2026-12-06T04:00:00.123Z``).
    """

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record``."""
        entry: dict[str, Any] = {
            "ts": rfc3339(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
            "caller": CALLER.get(),
        }
        for key in ("method", "path", "status", "duration_ms", "operation", "operation_type"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def rfc3339(timestamp: float) -> str:
    """``timestamp`` (seconds since the epoch) as RFC 3339 in UTC with milliseconds."""
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def log_config(level: str = "INFO") -> dict[str, Any]:
    """``logging.config.dictConfig`` settings: every logger (the app's, uvicorn's, Tortoise's) writes JSON lines to
    stderr; uvicorn's access log is off (``RequestContext`` logs each request). Passed to uvicorn as its
    ``log_config``, so each worker process it spawns is configured the same way."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "api.observability.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
        },
    }


def configure_logging(level: str = "INFO") -> None:
    """JSON logs on stderr for the app's and uvicorn's loggers (uvicorn's access log is replaced by ours)."""
    logging.config.dictConfig(log_config(level))


access_log = logging.getLogger("jiuzhu.access")


def _route(path: str) -> str:
    for known in KNOWN_ROUTES:
        if path == known or path.startswith(known + "/"):
            return known
    return "other"


class RequestContext:
    """Gives every request an id (``X-Request-ID``, echoed back), logs it once, and counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        caller_token = CALLER.set("-")
        operation_token = OPERATION.set(None)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client went away while its body was being read: nothing to answer, nothing went wrong here.
            status = CLIENT_CLOSED
        finally:
            elapsed = time.perf_counter() - start
            route = _route(scope.get("path", ""))
            HTTP_REQUESTS.labels(scope.get("method", "-"), route, str(status)).inc()
            HTTP_LATENCY.labels(route).observe(elapsed)
            extra: dict[str, Any] = {
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round(elapsed * 1000, 1),
            }
            operation = OPERATION.get()
            if operation is not None:
                extra["operation"], extra["operation_type"] = operation
            access_log.info("request", extra=extra)
            OPERATION.reset(operation_token)
            CALLER.reset(caller_token)
            REQUEST_ID.reset(token)


class OperationMetrics(SchemaExtension):
    """Counts and times GraphQL operations, with their outcome (ok / error).

    The ``operation`` label is never a name the client chose (that would let any caller grow ``/metrics``
    without bound): it is the first root field of the operation when the schema has that field, else
    ``other``. So the series are bounded by the schema: root fields × operation types × outcomes.
    """

    def on_operation(self) -> Iterator[None]:
        """Time the whole operation."""
        start = time.perf_counter()
        yield
        ctx = self.execution_context
        kind, label = operation_labels(ctx.schema._schema, ctx.graphql_document, ctx.operation_name)
        result = ctx.result
        errors = getattr(result, "errors", None) or ctx.pre_execution_errors
        GRAPHQL_OPERATIONS.labels(label, kind, "error" if errors else "ok").inc()
        GRAPHQL_LATENCY.labels(label).observe(time.perf_counter() - start)


def operation_labels(schema: GraphQLSchema, document: DocumentNode | None, name: str | None) -> tuple[str, str]:
    """(operation type, root field) of the operation a request runs, each from a set bounded by the schema:
    ``unknown`` / ``other`` for a document that did not parse or names no single operation."""
    if document is None:
        return "unknown", "other"
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    if len(operations) != 1:
        return "unknown", "other"
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    field = _first_field(operation.selection_set, fragments)
    known = root is not None and field is not None and (field in root.fields or field in INTROSPECTION_FIELDS)
    return operation.operation.value, field if known and field is not None else "other"


INTROSPECTION_FIELDS = frozenset({"__typename", "__schema", "__type"})


def _first_field(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]) -> str | None:
    """Name of the first field of a selection set, looking into (at most 10) fragments on the way."""
    pending = [selection_set]
    for _ in range(10):
        if not pending:
            break
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                return selection.name.value
            if isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
                break
            if isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
                pending.append(fragments[selection.name.value].selection_set)
                break
    return None


class OperationLog(SchemaExtension):
    """Puts the GraphQL operation's name and type on the request's access log line."""

    def on_operation(self) -> Iterator[None]:
        """Once parsed, the operation is known (a document with one anonymous operation is ``anonymous``)."""
        yield
        ctx = self.execution_context
        # Never ``ctx.operation_type``: it raises for a document that did not parse, losing the parser's message.
        kind, _ = operation_labels(ctx.schema._schema, ctx.graphql_document, ctx.operation_name)
        OPERATION.set(((ctx.operation_name or "anonymous")[:64], kind))


def set_caller(username: str) -> None:
    """Record who is calling, for the logs of this request."""
    CALLER.set(username)


def metrics_endpoint(
    *, production: bool, token: str = "", allow: tuple[IPv4Network | IPv6Network, ...] = ()
) -> Callable[[Request], Awaitable[Response]]:
    """The ``/metrics`` route. In production it answers only a ``Bearer`` token equal to ``token`` or a client
    address inside ``allow`` (``JIUZHU_METRICS_TOKEN`` / ``JIUZHU_METRICS_ALLOW``), and 404 to anyone else, as
    if there were no such page; in development it is open."""

    def permitted(request: Request) -> bool:
        if not production:
            return True
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
        host = request.client.host if request.client else ""
        try:
            address = ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in allow)

    async def metrics(request: Request) -> Response:
        """Prometheus exposition (multiprocess-aware)."""
        if not permitted(request):
            return PlainTextResponse("Not Found", status_code=404)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            prometheus_multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return metrics
