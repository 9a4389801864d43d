"""Logs (issue 17, item 9): every line JSON, from the first one a server writes; RFC 3339 timestamps with
milliseconds; the GraphQL operation on its access line; the caller (account or API key prefix, never a token) on
``/ledgers`` lines."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import httpx

from api.observability import JsonFormatter, access_log
from tests.conftest import TEST_SECRET, discard_database, fresh_database
from tests.helpers import Api
from tests.servers import ROOT, free_port
from tests.test_api_keys import _issue

#: RFC 3339, UTC, milliseconds: 2026-12-06T04:00:00.123Z
RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")


@contextmanager
def access_lines() -> Iterator[list[dict]]:
    """The access log lines written meanwhile, as rendered by the production formatter and parsed back."""
    lines: list[str] = []
    formatter = JsonFormatter()

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(formatter.format(record))

    handler = Capture()
    previous = access_log.level
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    parsed: list[dict] = []
    try:
        yield parsed
    finally:
        access_log.removeHandler(handler)
        access_log.setLevel(previous)
        parsed.extend(json.loads(line) for line in lines)


async def test_graphql_access_line_names_the_operation(api: Api) -> None:
    token = await api.token("hailing_agency")
    with access_lines() as lines:
        await api.client.post(
            "/graphql",
            json={"query": "query DistrictDashboard { districts(first: 1) { totalCount } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        await api.client.post("/graphql", json={"query": "mutation { logout { ok } }"})
    named, anonymous = lines
    assert named["operation"] == "DistrictDashboard"
    assert named["operation_type"] == "query"
    assert named["caller"] == "hailing_agency"
    assert anonymous["operation"] == "anonymous"
    assert anonymous["operation_type"] == "mutation"
    for line in lines:
        assert RFC3339_MS.match(line["ts"]), line["ts"]
        assert token not in json.dumps(line)


async def test_ledger_lines_name_the_caller_never_the_token(api: Api) -> None:
    issued = await _issue(api, name="日志测试")
    key, prefix = issued["key"], issued["apiKey"]["prefix"]
    token = await api.token("hailing_agency")
    with access_lines() as lines:
        await api.client.get("/ledgers/export.csv?district=321202", headers={"Authorization": f"Bearer {token}"})
        await api.client.get("/ledgers/export.csv?district=321202", headers={"X-API-Key": key})
        await api.client.get("/ledgers/export.csv?district=321202")
    by_account, by_key, by_nobody = lines
    assert by_account["path"] == "/ledgers/export.csv"
    assert by_account["caller"] == "hailing_agency"
    assert by_key["caller"] == f"apikey:{prefix}"
    assert by_nobody["caller"] == "anonymous"
    text = json.dumps(lines)
    assert key not in text
    assert key.rsplit("_", 1)[1] not in text  # the secret part
    assert token not in text


def test_timestamps_are_rfc3339_with_milliseconds() -> None:
    record = logging.LogRecord("jiuzhu", logging.INFO, __file__, 1, "x", None, None)
    record.created = 1796558400.1234  # 2026-12-06T12:00:00.123Z
    assert json.loads(JsonFormatter().format(record))["ts"] == "2026-12-06T12:00:00.123Z"


def serve(env: dict[str, str], output: BinaryIO) -> subprocess.Popen:
    """``jiuzhu serve --workers 2``, its stdout and stderr into ``output``."""
    command = [sys.executable, "-m", "api.cli", "serve", "--workers", "2"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


async def test_a_served_process_writes_only_json_lines(tmp_path: Path) -> None:
    """``jiuzhu serve --workers 2`` on a fresh database: migrations, uvicorn's start-up lines in the parent and in
    each worker, and the access lines — every line of stderr and stdout parses as JSON."""
    database_url = await fresh_database(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JIUZHU_TOKEN_SECRET": TEST_SECRET,
        "JIUZHU_MODE": "development",
        "PORT": str(port),
    }
    output = (tmp_path / "serve.log").open("wb")
    process = serve(env, output)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:
            deadline = time.monotonic() + 120
            while True:
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.3)
            await client.post("/graphql", json={"query": "query Probe { districts(first: 1) { totalCount } }"})
            await client.get("/healthz")
            # Both workers have started (each logs its start-up) before the server is stopped.
            while (tmp_path / "serve.log").read_text().count("Application startup complete") < 2:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                await asyncio.sleep(0.3)
    finally:
        process.terminate()
        process.wait(timeout=30)
        output.close()
        await discard_database(database_url)
    lines = [line for line in (tmp_path / "serve.log").read_text().splitlines() if line.strip()]
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise AssertionError(f"not a JSON line: {line!r}") from exc
    assert all(RFC3339_MS.match(e["ts"]) for e in entries)
    messages = [e["message"] for e in entries]
    assert any(m.startswith("jiuzhu 0.") and "GraphiQL" in m for m in messages), messages
    # jiuzhu serve runs gunicorn (api.serving): its master and its two uvicorn workers log JSON too.
    assert any("Starting gunicorn" in m for m in messages), messages
    assert sum("Booting worker" in m for m in messages) == 2, messages
    access = [e for e in entries if e["logger"] == "jiuzhu.access"]
    assert {e["path"] for e in access} >= {"/readyz", "/graphql", "/healthz"}
    assert [e["operation"] for e in access if e["path"] == "/graphql"] == ["Probe"]
