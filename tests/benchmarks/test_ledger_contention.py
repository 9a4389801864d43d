"""Benchmark (issue 18, on demand: ``JIUZHU_TEST_DB=postgres make bench``): many clerks appending to ONE ledger.

Served as production serves (``jiuzhu serve --workers 2``: uvicorn, 2 workers, ``--loop auto --http auto``, so
uvloop and httptools when installed — the line printed says which) on a fresh demo database on PostgreSQL. For 8,
32 and 64 concurrent clerks, each for ``JIUZHU_BENCH_SECONDS`` (default 15 s), every clerk submits
``BATCH``-entry batches to the same ledger, back to back, without ``expectedVersion`` (appends need none) and with
a fresh idempotency key. Prints accepted batches/s and entries/s, conflicts (the goal is 0), other refusals,
and p50/p95/max per call; then checks from the database that every accepted batch was stored exactly once and
the ledger's version moved once per batch (contiguous), and that the kept monthly summaries equal a rebuild.

Not a timing assertion: the assertions are no conflict, no error, nothing lost or duplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.cli import migrate_database, seed_database
from schema.relay import decode_id
from tests.conftest import BACKEND, create_pg_database, drop_pg_database
from tests.helpers import password_of
from tests.ledger_load import SUBMIT, submission, targets
from tests.servers import STARTUP_TIMEOUT, Instance

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="contention is measured on PostgreSQL")

CLERKS = (8, 32, 64)
SECONDS = float(os.environ.get("JIUZHU_BENCH_SECONDS", "15"))
BATCH = 50
CLERK = "xinyuan_clerk"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _serving() -> str:
    fast = [name for name in ("uvloop", "httptools") if importlib.util.find_spec(name) is not None]
    missing = sorted({"uvloop", "httptools"} - set(fast))
    return "uvloop+httptools" if not missing else f"asyncio+h11 ({', '.join(missing)} not installed)"


async def _ledger_facts(url: str, contract_pk: int) -> tuple[int, int, dict[str, int]]:
    """(ledger version, service entries, entries per content tag) straight from the database."""
    conn = await asyncpg.connect(url)
    try:
        ledger = await conn.fetchrow("SELECT id, version FROM ledger WHERE contract_id = $1", contract_pk)
        rows = await conn.fetch(
            "SELECT split_part(content, '#', 1) AS tag, count(*) AS n FROM ledger_service_entry"
            " WHERE ledger_id = $1 GROUP BY 1",
            ledger["id"],
        )
        total = sum(r["n"] for r in rows)
        return ledger["version"], total, {r["tag"]: r["n"] for r in rows}
    finally:
        await conn.close()


async def _summaries_equal_a_rebuild(url: str) -> bool:
    """The summaries kept by the writes, compared with a rebuild from the entries (in a Tortoise context of its
    own, as ``api.cli`` does: never touching the connections of an app in this process)."""
    from tortoise.context import TortoiseContext

    from api.db import tortoise_config
    from models.service_summary import rebuild
    from tests.test_service_summary import snapshot

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        kept = await snapshot()
        await rebuild()
        return await snapshot() == kept


class _Level:
    """``clerks`` clerks appending back to back until a deadline; what they got."""

    def __init__(self, client: httpx.AsyncClient, token: str, target: Any, clerks: int) -> None:
        self.client, self.token, self.target, self.clerks = client, token, target, clerks
        self.latencies: list[float] = []
        self.conflicts = 0
        self.accepted = 0
        self.tags: list[str] = []
        self.versions: list[int] = []
        self.failures: list[str] = []

    async def clerk(self, n: int, deadline: float) -> None:
        i = 0
        while time.perf_counter() < deadline:
            tag = f"c{self.clerks}-k{n}-b{i}"
            i += 1
            variables: dict[str, Any] = submission(self.target, BATCH, uuid.uuid4().hex)
            del variables["i"]["expectedVersion"]  # appends need none
            for k, row in enumerate(variables["i"]["serviceEntries"]):
                row["content"] = f"{tag}#{k}"
            start = time.perf_counter()
            response = await self.client.post(
                "/graphql",
                json={"query": SUBMIT, "variables": variables},
                headers={"Authorization": f"Bearer {self.token}"},
            )
            self.latencies.append((time.perf_counter() - start) * 1000)
            body = response.json() if response.is_success else {}
            payload = (body.get("data") or {}).get("submitLedgerEntries")
            if payload is None:
                self.failures.append(f"{response.status_code} {response.text[:200]}")
            elif any(e["code"] == "VERSION_CONFLICT" for e in payload["errors"]):
                self.conflicts += 1
            elif payload["errors"]:
                self.failures.append(str(payload["errors"][:2]))
            else:
                self.accepted += 1
                self.tags.append(tag)
                self.versions.append(payload["version"])


async def test_many_clerks_append_to_one_ledger(tmp_path: Path) -> None:
    url = await create_pg_database()
    server: Instance | None = None
    try:
        await migrate_database(url)
        await seed_database(url, demo=True)
        server = Instance("contention", url, tmp_path, workers=2)
        await asyncio.wait_for(server.ready(), STARTUP_TIMEOUT + 10)
        token = (await server.login(CLERK, password_of(CLERK)))["token"]
        target = (await targets(server, token))[0]
        contract_pk = int(decode_id(target.contract)[1])
        version0, entries0, _ = await _ledger_facts(url, contract_pk)
        print(
            f"\n== {BATCH}-entry batches to ONE ledger, PostgreSQL, 2 uvicorn workers, {_serving()},"
            f" {SECONDS:.0f} s per level"
        )
        accepted_tags: list[str] = []
        versions: list[int] = []
        failures: list[str] = []
        limits = httpx.Limits(max_connections=max(CLERKS) + 8, max_keepalive_connections=max(CLERKS) + 8)
        async with httpx.AsyncClient(base_url=str(server.client.base_url), timeout=300.0, limits=limits) as client:
            for clerks in CLERKS:
                level = _Level(client, token, target, clerks)
                began = time.perf_counter()
                await asyncio.gather(*(level.clerk(n, began + SECONDS) for n in range(clerks)))
                elapsed = time.perf_counter() - began
                lat = level.latencies
                print(
                    f"   {clerks:3d} clerks: {level.accepted:5d} batches accepted, {level.accepted / elapsed:6.1f}"
                    f" batches/s ({level.accepted * BATCH / elapsed:7.0f} entries/s); conflicts {level.conflicts};"
                    f" other refusals {len(level.failures)}; per call p50 {statistics.median(lat):6.0f} ms"
                    f"  p95 {_pct(lat, 0.95):6.0f} ms  max {max(lat):6.0f} ms"
                )
                assert level.conflicts == 0
                failures += level.failures
                accepted_tags += level.tags
                versions += level.versions
        assert failures == [], failures[:5]
        version, entries, per_tag = await _ledger_facts(url, contract_pk)
        assert sorted(versions) == list(range(version0 + 1, version + 1))  # one per batch, no gap, no repeat
        assert entries - entries0 == len(accepted_tags) * BATCH
        assert {t: n for t, n in per_tag.items() if t in set(accepted_tags)} == dict.fromkeys(accepted_tags, BATCH)
        assert await _summaries_equal_a_rebuild(url)
        print(
            f"   checked: {len(accepted_tags)} batches stored once each, versions {version0 + 1}..{version}"
            " contiguous, summaries equal a rebuild"
        )
    finally:
        if server is not None:
            with contextlib.suppress(Exception):
                await server.stop()
        await drop_pg_database(url)
