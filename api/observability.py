"""Observability: structured JSON logs carrying a request id and the caller, and Prometheus metrics.

Metrics are per process (each uvicorn worker serves its own ``/metrics``; scrape every worker, or run
with ``PROMETHEUS_MULTIPROC_DIR`` set, which prometheus-client aggregates across workers).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import logging.config
import time
import uuid
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.requests import Request
from starlette.responses import Response
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
    """Counts and times GraphQL operations by name, with their outcome (ok / error)."""

    def on_operation(self) -> Iterator[None]:
        """Time the whole operation."""
        start = time.perf_counter()
        yield
        ctx = self.execution_context
        name = (ctx.operation_name or "anonymous")[:64]
        kind = ctx.operation_type.value if ctx.operation_type else "unknown"
        result = ctx.result
        errors = getattr(result, "errors", None) or ctx.pre_execution_errors
        GRAPHQL_OPERATIONS.labels(name, kind, "error" if errors else "ok").inc()
        GRAPHQL_LATENCY.labels(name).observe(time.perf_counter() - start)


class OperationLog(SchemaExtension):
    """Puts the GraphQL operation's name and type on the request's access log line."""

    def on_operation(self) -> Iterator[None]:
        """Once parsed, the operation is known (a document with one anonymous operation is ``anonymous``)."""
        yield
        ctx = self.execution_context
        kind = ctx.operation_type.value if ctx.operation_type else "unknown"
        OPERATION.set(((ctx.operation_name or "anonymous")[:64], kind))


def set_caller(username: str) -> None:
    """Record who is calling, for the logs of this request."""
    CALLER.set(username)


async def metrics(_: Request) -> Response:
    """Prometheus exposition (multiprocess-aware)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
