"""Browsers can use the file routes (issue 17, item 5): the preflight allows the headers the routes read, and
scripts can read the headers the routes answer with."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from models import Contract, Ledger
from tests.conftest import settings_for
from tests.helpers import Api
from tests.test_ledger_entries import CLERK, gid
from tests.test_ledger_files import line, open_contract, workbook

__all__ = ["open_contract"]  # the fixture, shared with the ledger file tests

DASHBOARD = "https://dash.example.cn"
IMPORT_HEADERS = "authorization, content-type, idempotency-key, if-match, x-api-key, x-request-id"


@pytest.fixture(scope="module")
async def browser(database_url: str, app: object) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the session's database (its lifespan is the session app's) with one allowed origin."""
    cors_app = create_app(dataclasses.replace(settings_for(database_url), cors_origins=(DASHBOARD,)))
    transport = httpx.ASGITransport(app=cors_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def preflight(origin: str, method: str, headers: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


async def test_import_preflight_allows_idempotency_key_and_if_match(browser: httpx.AsyncClient) -> None:
    response = await browser.options("/ledgers/123/import", headers=preflight(DASHBOARD, "POST", IMPORT_HEADERS))
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"idempotency-key", "if-match", "if-none-match", "authorization", "x-api-key"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_preflight_from_another_origin_fails(browser: httpx.AsyncClient) -> None:
    response = await browser.options(
        "/ledgers/123/import", headers=preflight("https://evil.example", "POST", IMPORT_HEADERS)
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_export_preflight_allows_conditional_get(browser: httpx.AsyncClient) -> None:
    response = await browser.options(
        "/ledgers/123/export.xlsx", headers=preflight(DASHBOARD, "GET", "authorization, if-none-match")
    )
    assert response.status_code == 200
    unknown = await browser.options("/ledgers/123/export.xlsx", headers=preflight(DASHBOARD, "GET", "x-something-else"))
    assert unknown.status_code == 400


async def test_file_responses_expose_etag_and_content_disposition(browser: httpx.AsyncClient, api: Api) -> None:
    template = await browser.get("/ledgers/template.xlsx", headers={"Origin": DASHBOARD})
    assert template.status_code == 200
    assert template.headers["access-control-allow-origin"] == DASHBOARD
    exposed = {h.strip().lower() for h in template.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "content-disposition", "retry-after", "idempotent-replayed", "x-request-id"} <= exposed
    assert "content-disposition" in template.headers


async def test_import_answers_readable_etag_cross_origin(
    browser: httpx.AsyncClient, api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, _ = open_contract
    url = f"/ledgers/{gid('Contract', contract.pk)}/import"
    data = workbook([await line()])
    headers = {"Origin": DASHBOARD, "Authorization": f"Bearer {await api.token(CLERK)}"}
    for version, status, etag in ((7, 412, '"0"'), (0, 200, '"1"')):
        response = await browser.post(
            url,
            files={"file": ("台账.xlsx", data)},
            headers={**headers, "If-Match": f'"{version}"', "Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == status, response.text
        assert response.headers["access-control-allow-origin"] == DASHBOARD
        assert response.headers["etag"] == etag
        assert "etag" in response.headers["access-control-expose-headers"].lower()


async def test_body_limit_answer_is_readable_cross_origin(browser: httpx.AsyncClient) -> None:
    response = await browser.post(
        "/graphql", content=b"{" + b" " * (2 * 1024 * 1024), headers={"Origin": DASHBOARD, "Content-Type": "x"}
    )
    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == DASHBOARD
