"""Real uvicorn processes for tests that need several processes or a signal (propagation, shutdown, load)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import TEST_SECRET
from tests.helpers import LOGIN

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    """One ``python -m uvicorn api.main:app`` process and a client for it."""

    def __init__(
        self,
        name: str,
        database_url: str,
        log_dir: Path,
        *,
        workers: int = 1,
        cli: bool = False,
        migrate: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        """``cli``: run ``jiuzhu serve`` (the production serving path, ``api.serving``) instead of uvicorn's own
        command line, with ``--no-migrate`` unless ``migrate``; ``env``: extra environment variables."""
        self.name = name
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "JIUZHU_TOKEN_SECRET": TEST_SECRET,
            "JIUZHU_MODE": "development",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            **(env or {}),
        }
        self.log = (log_dir / f"{name}.log").open("wb")
        serve_cli = [sys.executable, "-m", "api.cli", "serve", "--workers", str(workers)]
        if not migrate:
            serve_cli.append("--no-migrate")
        self.process = subprocess.Popen(
            serve_cli
            if cli
            else [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:app",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--workers",
                str(workers),
                "--timeout-graceful-shutdown",
                "30",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=10.0)

    async def ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log.name}")
            try:
                if (await self.client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.name} did not become ready in {STARTUP_TIMEOUT} s; see {self.log.name}")

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def data(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        response = await self.gql(query, variables, token)
        assert response.status_code == 200, (self.name, response.text)
        body = response.json()
        assert "errors" not in body, (self.name, body)
        return body["data"]

    async def login(self, username: str, password: str) -> dict[str, Any]:
        return (await self.data(LOGIN, {"u": username, "p": password}))["login"]

    async def stop(self) -> None:
        await self.client.aclose()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


class ServeInstance(Instance):
    """``jiuzhu serve`` — the production serving path (gunicorn's master with uvicorn workers, ``api.serving``) —
    and a client for it. ``migrate``: let the command migrate and load the reference data first."""

    def __init__(self, name: str, database_url: str, log_dir: Path, *, workers: int = 1, migrate: bool = False) -> None:
        super().__init__(name, database_url, log_dir, workers=workers, cli=True, migrate=migrate)

    def worker_pids(self) -> list[int]:
        """The worker processes of gunicorn's master (Linux ``/proc``)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]
