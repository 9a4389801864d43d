"""``/metrics`` (issue 13, item 8): its size does not depend on what clients send, and production serves it
only to a configured token or address. Regressions: the client's ``operationName`` was a label (300 anonymous
queries with new names added 4,800 series), and ``/metrics`` was public in production."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from ipaddress import ip_network
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.config import ConfigError, load_settings
from models.crypto import DEV_DATA_KEY, configure
from tests.conftest import settings_for
from tests.helpers import Api

METRICS_TOKEN = "metrics-token-0123456789abcdef"
#: One document per kind of outcome: ok, refused by validation, refused by cost, not parsed, unknown root field.
KINDS = [
    "query {name} { districts(first: 1) { totalCount } }",
    "query {name} { districts(first: 1) { nope } }",
    "query {name} { contracts(first: 100) { nodes { serviceEntries(first: 100) { nodes { content } } } } }",
    "query {name} { districts(first: 1) {",
    "query {name} { noSuchRoot }",
    "mutation {name} { noSuchMutation }",
]


def series(text: str) -> set[str]:
    """Every sample of an exposition, without its value (``name{labels}``)."""
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


async def test_client_chosen_names_add_no_series(api: Api) -> None:
    for kind in KINDS:  # every kind of outcome once, so that its series exist
        await api.client.post("/graphql", json={"query": kind.replace("{name}", "Warm"), "operationName": "Warm"})
    await api.client.get("/metrics")
    before = (await api.client.get("/metrics")).text
    for n in range(300):
        name = f"Q{uuid.uuid4().hex}"
        response = await api.client.post(
            "/graphql", json={"query": KINDS[n % len(KINDS)].replace("{name}", name), "operationName": name}
        )
        assert response.status_code == 200
    after = (await api.client.get("/metrics")).text
    assert series(after) == series(before)
    assert not re.search(r'operation="Q[0-9a-f]{32}"', after)


@asynccontextmanager
async def production_client(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a production app (no lifespan: it uses the session's open database connections)."""
    settings = dataclasses.replace(
        settings_for(database_url), mode="production", data_key=DEV_DATA_KEY[::-1], **overrides
    )
    try:
        app = create_app(settings)
    finally:
        configure(DEV_DATA_KEY)  # the key is per process: give the other tests theirs back
    transport = httpx.ASGITransport(app=app)  # the client address is 127.0.0.1
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


async def test_production_hides_metrics_without_configuration(database_url: str) -> None:
    async with production_client(database_url) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/metrics", headers=bearer(METRICS_TOKEN))).status_code == 404
        assert (await client.get("/healthz")).status_code == 200


async def test_production_serves_metrics_to_the_token(database_url: str) -> None:
    async with production_client(database_url, metrics_token=METRICS_TOKEN) as client:
        refused = await client.get("/metrics")
        assert refused.status_code == 404
        assert "jiuzhu_" not in refused.text
        assert (await client.get("/metrics", headers=bearer(METRICS_TOKEN[:-1] + "X"))).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": METRICS_TOKEN})).status_code == 404
        served = await client.get("/metrics", headers=bearer(METRICS_TOKEN))
        assert served.status_code == 200
        assert "jiuzhu_http_requests_total" in served.text


async def test_production_serves_metrics_to_allowed_addresses(database_url: str) -> None:
    async with production_client(database_url, metrics_allow=(ip_network("127.0.0.0/8"),)) as client:
        assert (await client.get("/metrics")).status_code == 200
    async with production_client(database_url, metrics_allow=(ip_network("10.0.0.0/8"),)) as client:
        assert (await client.get("/metrics")).status_code == 404


def test_metrics_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIUZHU_METRICS_TOKEN", f"  {METRICS_TOKEN} ")
    monkeypatch.setenv("JIUZHU_METRICS_ALLOW", "10.1.2.3, 192.168.0.0/16,::1")
    settings = load_settings()
    assert settings.metrics_token == METRICS_TOKEN
    assert settings.metrics_allow == (ip_network("10.1.2.3/32"), ip_network("192.168.0.0/16"), ip_network("::1"))
    monkeypatch.setenv("JIUZHU_METRICS_ALLOW", "10.0.0.0/8,intranet")
    with pytest.raises(ConfigError, match="JIUZHU_METRICS_ALLOW"):
        load_settings()
    monkeypatch.setenv("JIUZHU_METRICS_ALLOW", "")
    monkeypatch.setenv("JIUZHU_METRICS_TOKEN", "short")
    with pytest.raises(ConfigError, match="JIUZHU_METRICS_TOKEN"):
        load_settings()
