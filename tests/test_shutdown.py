"""Stopping the server while bulk ledger submissions are in flight loses no acknowledged write and leaves
no half-written submission (issue 7 item 7). PostgreSQL only: it runs a real uvicorn process and sends it
SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.cli import migrate_database, seed_database
from tests.conftest import BACKEND, create_pg_database, drop_pg_database
from tests.helpers import password_of
from tests.ledger_load import SUBMIT, submission, targets
from tests.servers import STARTUP_TIMEOUT, Instance, ServeInstance

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="needs PostgreSQL and a real server process")

ENTRIES = 200


@pytest.mark.parametrize("serving", ["uvicorn", "jiuzhu serve"])
async def test_sigterm_mid_submissions_keeps_every_acknowledged_write(tmp_path: Path, serving: str) -> None:
    """``uvicorn`` as ``jiuzhu dev`` runs it (one process), and ``jiuzhu serve`` (gunicorn, 2 uvicorn workers):
    SIGTERM to the master lets each worker finish its in-flight requests."""
    url = await create_pg_database()
    server: Instance | None = None
    try:
        await migrate_database(url)
        await seed_database(url, demo=True)
        if serving == "uvicorn":
            server = Instance("shutdown", url, tmp_path)
        else:
            server = ServeInstance("shutdown", url, tmp_path, workers=2)
        await asyncio.wait_for(server.ready(), STARTUP_TIMEOUT + 10)
        token = (await server.login("xinyuan_clerk", password_of("xinyuan_clerk")))["token"]
        target = (await targets(server, token))[0]
        acknowledged: list[str] = []

        async def writer() -> None:
            while True:
                variables = submission(target, ENTRIES)
                try:
                    response = await server.gql(SUBMIT, variables, token)
                except httpx.TransportError:
                    return  # the server went away: this one was never acknowledged
                if response.status_code != 200:
                    return
                payload = response.json()["data"]["submitLedgerEntries"]
                assert payload["errors"] == [], payload["errors"]
                acknowledged.append(variables["i"]["idempotencyKey"])
                target.version = payload["version"]

        task = asyncio.create_task(writer())
        await asyncio.sleep(1.5)
        assert acknowledged, "submissions must be flowing before the stop"
        server.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(task, 60)
        # uvicorn finishes in-flight requests, then re-raises the signal: exit status -15 after a clean stop;
        # gunicorn's master waits for its workers to do the same and exits 0.
        assert server.process.wait(timeout=60) in (0, -signal.SIGTERM)

        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "SELECT idempotency_key, entry_count FROM ledger_submission WHERE idempotency_key = ANY($1::text[])"
                " OR submitted_at > now() - interval '10 minutes'",
                acknowledged,
            )
            stored = {r["idempotency_key"]: r["entry_count"] for r in rows}
            written = await conn.fetchval("SELECT count(*) FROM ledger_service_entry WHERE staff = '负载测试社工'")
        finally:
            await conn.close()
        assert set(acknowledged) <= set(stored), "an acknowledged submission was lost"
        assert all(count == ENTRIES for count in stored.values()), "a submission was half-written"
        assert written == ENTRIES * len(stored), (written, len(stored))
        print(f"\nacknowledged {len(acknowledged)} submissions, stored {len(stored)}, entries {written}")
    finally:
        if server is not None:
            with contextlib.suppress(Exception):
                await server.stop()
        await drop_pg_database(url)
