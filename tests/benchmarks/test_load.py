"""Load (issue 7 item 6, on demand: `make bench` with PostgreSQL): uvicorn with 2 workers on a fresh demo
database; readers run a read mix (lists, nested details, plans with the funding floor, staffing compliance,
public notices) while contractor clerks submit 100-entry ledger batches. Prints throughput, p50/p95/p99 and
the error count (must be 0)."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from pathlib import Path

import pytest

from api.cli import migrate_database, seed_database
from tests.conftest import BACKEND, create_pg_database, drop_pg_database
from tests.helpers import demo_accounts, password_of
from tests.ledger_load import SUBMIT, submission, targets
from tests.servers import STARTUP_TIMEOUT, Instance

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="load runs against PostgreSQL")

DURATION = 20.0
READERS = 12
READERS_AS = ["hailing_agency", "city_finance", "city_civil_affairs", "xinghua_purchaser", None]
READS = [
    "{ contracts(first: 20) { totalCount nodes { code status amount contractor { name } district { name } } } }",
    """{ contracts(first: 10) { nodes { code serviceEntries(first: 20) { totalCount nodes {
        serviceDate quantity beneficiary { name idNumber } catalogueItem { code } } } } } }""",
    "{ purchasePlans(first: 20) { nodes { year status funding { floor planned shortfall compliant } } } }",
    "{ staffingCompliance { districts { townshipsShort } } }",
    "{ public { procurementNotices(first: 20) { totalCount nodes { code title } } } }",
]
ENTRIES_PER_BATCH = 100


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


async def test_load(tmp_path: Path) -> None:
    url = await create_pg_database()
    server: Instance | None = None
    try:
        await migrate_database(url)
        await seed_database(url, demo=True)
        server = Instance("load", url, tmp_path, workers=2)
        await asyncio.wait_for(server.ready(), STARTUP_TIMEOUT + 10)
        tokens: dict[str | None, str | None] = {None: None}
        for user in READERS_AS:
            if user:
                tokens[user] = (await server.login(user, password_of(user)))["token"]
        writers = []
        for row in demo_accounts():
            if row["role"] != "contractor":
                continue
            token = (await server.login(row["username"], row["password"]))["token"]
            writers += [(token, t) for t in await targets(server, token)]
        reads: list[float] = []
        writes: list[float] = []
        errors: list[str] = []
        written = 0
        stop = time.monotonic() + DURATION

        async def reader(n: int) -> None:
            i = n
            while time.monotonic() < stop:
                user = READERS_AS[i % len(READERS_AS)]
                query = READS[i % len(READS)]
                i += 1
                start = time.perf_counter()
                response = await server.gql(query, token=tokens[user])
                reads.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200 or "errors" in response.json():
                    errors.append(f"read {response.status_code} {response.text[:200]}")

        async def writer(token: str, target: object) -> None:
            nonlocal written
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = await server.gql(SUBMIT, submission(target, ENTRIES_PER_BATCH), token)
                writes.append((time.perf_counter() - start) * 1000)
                payload = (
                    response.json().get("data", {}).get("submitLedgerEntries") if response.status_code == 200 else None
                )
                if not payload or payload["errors"]:
                    errors.append(f"write {response.status_code} {response.text[:200]}")
                    return
                target.version = payload["version"]  # type: ignore[attr-defined]
                written += ENTRIES_PER_BATCH

        began = time.perf_counter()
        await asyncio.gather(*(reader(n) for n in range(READERS)), *(writer(t, g) for t, g in writers))
        elapsed = time.perf_counter() - began
        print(f"\nload: {elapsed:.1f} s, 2 uvicorn workers, {READERS} readers, {len(writers)} writers")
        for name, values in (("reads", reads), ("writes (100 entries)", writes)):
            print(
                f"{name:22s} {len(values):6d} requests {len(values) / elapsed:7.1f}/s"
                f"  p50 {statistics.median(values):7.1f} ms  p95 {_pct(values, 0.95):7.1f} ms"
                f"  p99 {_pct(values, 0.99):7.1f} ms"
            )
        print(f"ledger entries written {written} ({written / elapsed:.0f}/s); errors {len(errors)}")
        assert errors == [], errors[:5]
    finally:
        if server is not None:
            with contextlib.suppress(Exception):
                await server.stop()
        await drop_pg_database(url)
