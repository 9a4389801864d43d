"""The Starlette application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from tortoise import Tortoise, connections

from api.auth import Authenticator
from api.config import Settings, load_settings
from api.db import tortoise_config
from api.graphiql import STATIC_PATH as GRAPHIQL_STATIC
from api.graphiql import Assets as GraphiQLAssets
from api.graphql import JiuzhuGraphQL, graphql_gate
from api.ledger_files import ledger_routes
from api.middleware import BodyLimit, SecurityHeaders
from api.observability import OperationLog, OperationMetrics, RequestContext, metrics_endpoint
from api.ocds import routes as ocds_routes
from models.crypto import SealError, is_sealed, unseal
from models.crypto import configure as seal_with
from schema import build_schema

#: Request headers browsers may send (CORS preflight): credentials, JSON/multipart bodies, and the ledger import's
#: ``Idempotency-Key`` / ``If-Match`` (``api/ledger_files.py``); ``If-None-Match`` for conditional exports; the
#: caller's own request id for tracing.
CORS_ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-API-Key",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
)
#: Response headers scripts may read: the ledger version (``ETag``), an export's file name, when to retry, whether an
#: import was a replay, and the request id to quote in a support request.
CORS_EXPOSE_HEADERS = (
    "ETag",
    "Content-Disposition",
    "Retry-After",
    "Idempotent-Replayed",
    "X-Request-ID",
    "WWW-Authenticate",
)
#: Every route answers GET or POST only (the preflight itself is OPTIONS).
CORS_ALLOW_METHODS = ("GET", "POST")


async def healthz(_: Request) -> PlainTextResponse:
    """The process is up."""
    return PlainTextResponse("ok")


async def readyz(_: Request) -> JSONResponse:
    """The database answers, and the configured ``JIUZHU_DATA_KEY`` opens the personal data stored in it (a
    process started with another key would fail every read of an ID number)."""
    conn = connections.get("default")
    try:
        await conn.execute_query("SELECT 1")
    except Exception:
        return JSONResponse({"ready": False, "database": "unreachable"}, status_code=503)
    try:
        rows = await conn.execute_query_dict("SELECT id_number FROM beneficiary LIMIT 1")
    except Exception:
        return JSONResponse({"ready": False, "database": "not migrated"}, status_code=503)
    try:
        for row in rows:
            if is_sealed(row["id_number"]):
                unseal(row["id_number"], "beneficiary.id_number")
    except SealError:
        return JSONResponse({"ready": False, "dataKey": "does not open the stored personal data"}, status_code=503)
    return JSONResponse({"ready": True})


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app; ``settings`` default to the environment. Refuses unsafe production settings."""
    settings = settings or load_settings()
    settings.check()
    seal_with(settings.data_key)
    authenticator = Authenticator(settings)
    schema = build_schema(introspection=not settings.production, extensions=(OperationMetrics, OperationLog))
    sdl = schema.as_str() + "\n"
    graphql = JiuzhuGraphQL(
        schema,
        authenticator=authenticator,
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=False,
    )

    async def schema_sdl(_: Request) -> PlainTextResponse:
        """The SDL, published even when introspection is off."""
        return PlainTextResponse(sdl, media_type="application/graphql; charset=utf-8")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
        try:
            yield
        finally:
            await Tortoise.close_connections()

    middleware = [
        Middleware(RequestContext),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
        Middleware(SecurityHeaders, production=settings.production),
    ]
    if settings.cors_origins:
        # Just inside the request log, so every answer (a 413 of the body limit too) carries the CORS headers.
        middleware.insert(
            1,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=list(CORS_ALLOW_METHODS),
                allow_headers=list(CORS_ALLOW_HEADERS),
                expose_headers=list(CORS_EXPOSE_HEADERS),
                max_age=600,
            ),
        )
    # GraphiQL's own assets (development only, like the IDE itself): no CDN, so it works offline.
    ide_assets = [] if settings.production else [Mount(GRAPHIQL_STATIC, app=GraphiQLAssets(), name="graphiql")]
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/schema.graphql", schema_sdl),
            Route(
                "/metrics",
                metrics_endpoint(
                    production=settings.production, token=settings.metrics_token, allow=settings.metrics_allow
                ),
            ),
            Route("/graphql", graphql_gate(graphql, authenticator), methods=["GET", "POST"]),
            # Public OCDS export (issue 6): release and record packages of published procurement projects.
            *ocds_routes,
            # Ledger workbooks (issue 4): template, import (own 20 MiB limit), export.
            *ledger_routes(authenticator),
            *ide_assets,
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
