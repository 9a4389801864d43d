"""The request body at the edge (issue 13, item 6): text that no database, hash or export could encode is a typed
HTTP 400, and a client that goes away is not a server error. Regressions: a lone surrogate (``"\\ud800"``) in a
variable reached ``login`` and answered INTERNAL_ERROR (production too); invalid UTF-8, a misplaced surrogate in the
operation name and very deeply nested JSON answered HTTP 500; a client that disconnected during the body read was
logged as ERROR with status 500."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY
from starlette.types import Message

from api.app import create_app
from models.crypto import DEV_DATA_KEY, configure
from tests.conftest import settings_for
from tests.helpers import LOGIN, Api
from tests.security.support import assert_clean

JSON = {"Content-Type": "application/json"}
NODE = "query($id: ID!) { node(id: $id) { id } }"


def raw(query: str, variables: str = "{}", extra: str = "") -> bytes:
    """A JSON body written by hand, so that it can carry escapes ``json.dumps`` would not write."""
    return f'{{"query": {json.dumps(query)}, "variables": {variables}{extra}}}'.encode()


#: Bodies with a lone surrogate (escaped in JSON, so the body itself is valid UTF-8 and valid JSON).
SURROGATES = {
    "login username": raw(LOGIN, '{"u": "\\ud800", "p": "whatever-123"}'),
    "login password": raw(LOGIN, '{"u": "hailing_agency", "p": "abc\\udfff"}'),
    "query variable": raw(NODE, '{"id": "Q29udHJhY3Q6\\ud83d"}'),
    "variable key": raw(NODE, '{"id": "x", "\\udc00": 1}'),
    "nested variable": raw(NODE, '{"id": "x", "more": [{"a": ["\\ud800"]}]}'),
    "query text": b'{"query": "{ node(id: \\"\\ud800\\") { id } }"}',
    "operation name": raw("query A { me { username } }", extra=', "operationName": "A\\ud800"'),
}


@pytest.fixture(scope="module")
async def production(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app in production mode (no lifespan: it uses the session's open connections)."""
    settings = dataclasses.replace(settings_for(database_url), mode="production", data_key=DEV_DATA_KEY[::-1])
    try:
        app = create_app(settings)
    finally:
        configure(DEV_DATA_KEY)  # the key is per process: give the other tests theirs back
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


def assert_bad_request(response: httpx.Response, code: str) -> str:
    """HTTP 400 with one typed error; returns its message."""
    assert_clean(response.text)
    assert response.status_code == 400, response.text[:300]
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == code
    return error["message"]


@pytest.mark.parametrize("body", list(SURROGATES.values()), ids=list(SURROGATES))
async def test_lone_surrogate_is_invalid_text(api: Api, body: bytes) -> None:
    response = await api.client.post("/graphql", content=body, headers=JSON)
    assert "孤立的代理码位" in assert_bad_request(response, "INVALID_TEXT")


async def test_lone_surrogate_in_anonymous_login_in_production(production: httpx.AsyncClient) -> None:
    response = await production.post("/graphql", content=SURROGATES["login username"], headers=JSON)
    assert_bad_request(response, "INVALID_TEXT")


async def test_valid_non_ascii_text_still_passes(api: Api) -> None:
    """A surrogate pair is one valid character: only lone surrogates are refused."""
    response = await api.client.post("/graphql", content=raw(NODE, '{"id": "\\ud83d\\ude00 救助"}'), headers=JSON)
    assert response.status_code == 200
    assert response.json()["data"] == {"node": None}


INVALID_UTF8 = {
    "stray continuation byte": b'{"query": "{ me { username } }", "x": "\x80"}',
    "truncated sequence": b'{"query": "{ me { username } }", "x": "\xe6\x95"}',
    "latin-1 text": '{"query": "{ me { username } }", "x": "caf\xe9"}'.encode("latin-1"),
    "encoded surrogate": b'{"query": "{ me { username } }", "x": "\xed\xa0\x80"}',
}


@pytest.mark.parametrize("body", list(INVALID_UTF8.values()), ids=list(INVALID_UTF8))
async def test_invalid_utf8_is_invalid_text(api: Api, production: httpx.AsyncClient, body: bytes) -> None:
    for client in (api.client, production):
        message = assert_bad_request(await client.post("/graphql", content=body, headers=JSON), "INVALID_TEXT")
        assert "UTF-8" in message


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": ',
        b"[1, 2",
        b'{"query": "{ me { username } }", "variables": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["truncated", "unclosed-array", "nested-100000"],
)
async def test_malformed_json_is_bad_request(api: Api, body: bytes) -> None:
    assert_bad_request(await api.client.post("/graphql", content=body, headers=JSON), "BAD_REQUEST")


def status_count(status: str) -> float:
    """Requests to /graphql counted with ``status`` so far."""
    value = REGISTRY.get_sample_value(
        "jiuzhu_http_requests_total", {"method": "POST", "route": "/graphql", "status": status}
    )
    return value or 0.0


async def test_client_disconnect_during_body_read_is_not_a_server_error(
    app: object, caplog: pytest.LogCaptureFixture
) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), (b"content-length", b"512")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    errors_before = status_count("500")
    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)  # type: ignore[operator]
    assert not [m for m in sent if m.get("status", 0) >= 500]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    access = [r for r in caplog.records if r.name == "jiuzhu.access" and r.getMessage() == "request"]
    assert access
    assert access[-1].levelno == logging.INFO
    assert access[-1].status == 499  # type: ignore[attr-defined]
    assert status_count("500") == errors_before
    assert status_count("499") >= 1
