"""``jiuzhu serve``: gunicorn with uvicorn workers on uvloop + httptools, connections spread over the workers
(issue 14 item 1). Runs the real command in a subprocess against a fresh database and looks at the processes
through Linux's ``/proc``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from tests.conftest import discard_database, fresh_database
from tests.servers import STARTUP_TIMEOUT, ServeInstance

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="gunicorn and /proc: Linux only")

CONNECTIONS = 16  # all on one of 2 workers by chance: 2 × 2⁻¹⁶


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets process ``pid`` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = fd.readlink().as_posix()
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


def read(path: str) -> str:
    """A small file's text (``/proc`` entries, the server's log)."""
    return Path(path).read_text(encoding="utf-8")


def tcp_sockets() -> list[tuple[int, int, str, int]]:
    """(local port, remote port, state, inode) of every TCP socket of this network namespace."""
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
                rows.append((int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16), state, inode))
    return rows


LISTEN, ESTABLISHED = "0A", "01"


async def get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    """One HTTP/1.1 request on a kept-alive connection; returns the status."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
    await reader.readexactly(length)
    return int(head.split(" ", 2)[1])


async def test_serve_runs_gunicorn_workers_on_uvloop_httptools_and_spreads_connections(tmp_path: Path) -> None:
    url = await fresh_database(tmp_path)
    server = ServeInstance("serve", url, tmp_path, workers=2, migrate=True)
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        await asyncio.wait_for(server.ready(), STARTUP_TIMEOUT + 10)
        workers = server.worker_pids()
        assert len(workers) == 2, workers
        # With reuse_port each worker listens on a socket of its own (opened right after the fork).
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while read(server.log.name).count("Application startup complete") < 2:
            assert time.monotonic() < deadline, "a worker never started"
            await asyncio.sleep(0.2)
        listening = {inode for port, _, state, inode in tcp_sockets() if port == server.port and state == LISTEN}
        assert len(listening) == 2, "one SO_REUSEPORT socket per worker"
        assert all(socket_inodes(pid) & listening for pid in workers)
        for pid in workers:
            maps = read(f"/proc/{pid}/maps")
            assert "uvloop/loop." in maps, "the worker's event loop is uvloop"
            assert "httptools/parser/" in maps, "the worker parses HTTP with httptools"

        for _ in range(CONNECTIONS):
            streams.append(await asyncio.open_connection("127.0.0.1", server.port))
        for reader, writer in streams:
            assert await get(reader, writer, "/healthz") == 200
            assert await get(reader, writer, "/readyz") == 200  # same connection, kept alive
        client_ports = {writer.get_extra_info("sockname")[1] for _, writer in streams}
        served = {
            inode: remote
            for port, remote, state, inode in tcp_sockets()
            if port == server.port and state == ESTABLISHED and remote in client_ports
        }
        assert len(served) == CONNECTIONS
        per_worker = {pid: len(socket_inodes(pid) & served.keys()) for pid in workers}
        assert sum(per_worker.values()) == CONNECTIONS, per_worker
        assert all(count > 0 for count in per_worker.values()), f"connections piled onto one worker: {per_worker}"

        for _, writer in streams:
            writer.close()
        streams.clear()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0, "gunicorn's master stops cleanly on SIGTERM"
        server.log.flush()
        lines = read(server.log.name).splitlines()
        logged: list[dict[str, Any]] = [json.loads(line) for line in lines if not line.startswith("jiuzhu ready")]
        loggers = {entry["logger"] for entry in logged}
        assert {"gunicorn.error", "uvicorn.error", "jiuzhu.access"} <= loggers, loggers
        assert any(entry["message"].startswith("Booting worker") for entry in logged)
    finally:
        for _, writer in streams:
            writer.close()
        with contextlib.suppress(Exception):
            await server.stop()
        await discard_database(url)


async def test_worker_protocol_sets_tcp_nodelay() -> None:
    """Every connection a worker accepts gets TCP_NODELAY from the protocol itself, whatever the event loop does."""
    from api.serving import JiuzhuWorker, NoDelayHttpToolsProtocol

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("no request is made")

    config = uvicorn.Config(app=app, log_config=None, **JiuzhuWorker.CONFIG_KWARGS)
    config.load()
    assert config.http_protocol_class is NoDelayHttpToolsProtocol
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        try:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0  # a plain accept() has Nagle on
            extra = {"socket": accepted, "sockname": accepted.getsockname(), "peername": accepted.getpeername()}

            class Transport:
                def get_extra_info(self, name: str, default: Any = None) -> Any:
                    return extra.get(name, default)

                def close(self) -> None:
                    pass

            protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={})
            protocol.connection_made(Transport())  # type: ignore[attr-defined]
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
            protocol.connection_lost(None)
        finally:
            accepted.close()
            client.close()
