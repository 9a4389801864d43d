"""The HTTP edge: health, SDL, security headers, body limit, production mode, CORS."""

from __future__ import annotations

import dataclasses

import httpx

from api.app import create_app
from models.crypto import DEV_DATA_KEY, configure
from tests.conftest import settings_for
from tests.helpers import Api

INTROSPECT = "{ __schema { queryType { name } } }"


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/healthz")).text == "ok"
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True}


async def test_sdl_is_published(api: Api) -> None:
    response = await api.client.get("/schema.graphql")
    assert response.status_code == 200
    assert "type Query" in response.text


async def test_security_headers(api: Api) -> None:
    response = await api.post("{ districts(first: 1) { totalCount } }")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_oversized_body_is_refused(api: Api) -> None:
    big = "{ districts { totalCount } }" + " " * (2 * 1024 * 1024)
    response = await api.post(big)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_get_queries_are_not_allowed(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "{ districts { totalCount } }"})
    assert response.status_code in (400, 405)


async def test_development_allows_introspection(api: Api) -> None:
    assert (await api.data(INTROSPECT))["__schema"]["queryType"]["name"] == "Query"


async def test_production_mode_hides_introspection_and_graphiql(api: Api, database_url: str) -> None:
    settings = dataclasses.replace(
        settings_for(database_url),
        mode="production",
        cors_origins=("https://dash.example.cn",),
        data_key=DEV_DATA_KEY[::-1],  # production refuses the development key
    )
    try:
        app = create_app(settings)
    finally:
        configure(DEV_DATA_KEY)  # the key is per process: give the other tests theirs back
    # No lifespan: this second app uses the session's open database connections (entering its lifespan
    # would re-initialise, then close, the process-wide Tortoise context the other tests share).
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        body = (await client.post("/graphql", json={"query": INTROSPECT})).json()
        assert body.get("data") is None
        assert "introspection" in body["errors"][0]["message"].lower()
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in page.text.lower()
        assert (await client.get("/schema.graphql")).status_code == 200
        ok = await client.post("/graphql", json={"query": "{ districts(first: 1) { totalCount } }"})
        assert ok.json()["data"]["districts"]["totalCount"] == 7
        assert "strict-transport-security" in ok.headers
        preflight = await client.options(
            "/graphql",
            headers={"Origin": "https://dash.example.cn", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == "https://dash.example.cn"
        other = await client.options(
            "/graphql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert other.headers.get("access-control-allow-origin") is None


async def test_request_id_is_echoed_and_generated(api: Api) -> None:
    given = await api.client.get("/healthz", headers={"X-Request-ID": "trace-abc-123"})
    assert given.headers["x-request-id"] == "trace-abc-123"
    fresh = await api.client.get("/healthz")
    assert len(fresh.headers["x-request-id"]) == 32


async def test_metrics_count_operations(api: Api) -> None:
    await api.post("query DashboardProbe { districts(first: 1) { totalCount } }")
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    # Labelled by the root field (bounded by the schema), never by the client's operation name.
    assert 'jiuzhu_graphql_operations_total{operation="districts",outcome="ok",type="query"}' in response.text
    assert "DashboardProbe" not in response.text
    assert "jiuzhu_http_request_seconds_bucket" in response.text


async def test_json_log_line_carries_request_id_and_caller(api: Api) -> None:
    import json
    import logging

    from api.observability import JsonFormatter, access_log

    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    handler = Capture()
    access_log.addHandler(handler)
    previous = access_log.level
    access_log.setLevel(logging.INFO)
    try:
        token = await api.token("hailing_agency")
        await api.client.post(
            "/graphql",
            json={"query": "{ me { username } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-42"},
        )
    finally:
        access_log.removeHandler(handler)
        access_log.setLevel(previous)
    entry = json.loads(lines[-1])
    assert entry["request_id"] == "req-42"
    assert entry["caller"] == "hailing_agency"
    assert entry["path"] == "/graphql"
    assert entry["status"] == 200


async def test_batched_operations_are_refused(api: Api) -> None:
    batch = [{"query": "{ districts { totalCount } }"}] * 50
    response = await api.client.post("/graphql", json=batch)
    assert response.status_code == 400
    assert "Traceback" not in response.text
