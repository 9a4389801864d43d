"""Production serving for ``jiuzhu serve``: gunicorn managing uvicorn workers (uvloop + httptools).

Why not ``uvicorn --workers N``: its workers share one listening socket and the first to wake takes every
connection, so a keep-alive client's connections pile onto one process (measured: all 8 of a c8 client on one
worker, the other idle). gunicorn with ``reuse_port`` gives each worker its own ``SO_REUSEPORT`` socket and the
kernel spreads connections over them. Each worker runs uvicorn on uvloop with the httptools parser (pure-Python h11
on asyncio stalled ~42 ms per response on reused connections) and sets ``TCP_NODELAY`` on every connection.

Linux (or another Unix) only: gunicorn needs ``fork``. ``jiuzhu dev`` stays one uvicorn process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any

from gunicorn.app.base import BaseApplication
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker

from api.config import Settings
from api.observability import log_config

#: Seconds a stopping worker lets in-flight requests finish (SIGTERM), as ``uvicorn --timeout-graceful-shutdown``.
GRACEFUL_SHUTDOWN_SECONDS = 30
#: Seconds an idle keep-alive connection stays open (uvicorn's default is 5; proxies usually keep theirs longer).
KEEPALIVE_SECONDS = 5
#: Shared memory: the workers' heartbeat files (gunicorn's advice for containers).
SHM = "/dev/shm"  # noqa: S108 (gunicorn creates and unlinks its own files there)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with ``TCP_NODELAY`` set on the connection, whatever the event loop's default:
    a response written in two pieces must never wait for the client's delayed ACK."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Disable Nagle's algorithm on TCP connections, then serve as usual."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


class JiuzhuWorker(UvicornWorker):
    """A gunicorn worker serving the ASGI app with uvicorn on uvloop + httptools.

    Forwarded headers: uvicorn's proxy-headers middleware believes ``X-Forwarded-For``/``-Proto`` only from the
    addresses of gunicorn's ``forwarded_allow_ips`` setting (see :func:`gunicorn_options`); an empty list trusts
    nobody, so the client address is always the TCP peer's.
    """

    CONFIG_KWARGS: dict[str, Any] = {  # noqa: RUF012 (uvicorn-worker's own class attribute)
        "loop": "uvloop",
        "http": "api.serving:NoDelayHttpToolsProtocol",
        "proxy_headers": True,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn-worker points uvicorn's error logger at gunicorn's handlers (none: they propagate to the root's
        # JSON handler, see server_log_config) and stops propagation, which would silence it: propagate instead.
        uvicorn_error = logging.getLogger("uvicorn.error")
        uvicorn_error.handlers = []
        uvicorn_error.propagate = True


def server_log_config(level: str = "INFO") -> dict[str, Any]:
    """``logging.config.dictConfig`` settings for the gunicorn master and its workers: the app's own JSON
    configuration (``api.observability.log_config``) plus gunicorn's loggers; gunicorn's access log is off
    (``RequestContext`` logs each request)."""
    config = log_config(level)
    config["loggers"] = {
        "gunicorn.error": {"handlers": [], "propagate": True, "level": level},
        "gunicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
        **config["loggers"],
    }
    return config


def bind_address(host: str, port: int) -> str:
    """gunicorn's ``bind`` for ``host``/``port`` (IPv6 literals in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(settings: Settings, workers: int, *, forwarded_allow_ips: str) -> dict[str, Any]:
    """gunicorn's settings for ``jiuzhu serve``.

    ``forwarded_allow_ips``: comma-separated addresses/networks of the reverse proxies whose forwarded headers are
    believed (``""``: nobody's); it reaches each worker's uvicorn through gunicorn's setting of that name.
    """
    return {
        "bind": [bind_address(settings.host, settings.port)],
        "workers": workers,
        "worker_class": "api.serving.JiuzhuWorker",
        # One SO_REUSEPORT socket per worker: the kernel spreads connections over the workers.
        "reuse_port": True,
        # The master waits a little longer than uvicorn's own graceful shutdown before it kills a worker.
        "graceful_timeout": GRACEFUL_SHUTDOWN_SECONDS + 5,
        "keepalive": KEEPALIVE_SECONDS,
        # A worker whose event loop has not ticked for this long is killed and replaced (uvicorn notifies the
        # master every tick); generous, so a long workbook import is not mistaken for a hung worker.
        "timeout": 120,
        # The workers' heartbeat files in memory, not on a container's overlay filesystem.
        "worker_tmp_dir": SHM if os.path.isdir(SHM) else None,
        "forwarded_allow_ips": forwarded_allow_ips,
        "accesslog": None,
        "logconfig_dict": server_log_config(),
        "proc_name": "jiuzhu",
        # No runtime control socket (gunicorn 25.1+ opens one under $HOME by default): nothing to leak.
        "control_socket_disable": True,
    }


class GunicornServer(BaseApplication):
    """gunicorn running ``api.main:app`` with the given settings (no configuration file, no command line)."""

    def __init__(self, options: dict[str, Any], app_uri: str = "api.main:app") -> None:
        self.options = options
        self.app_uri = app_uri
        super().__init__()

    def load_config(self) -> None:
        """Apply ``options`` to gunicorn's configuration."""
        assert self.cfg is not None
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Import the ASGI app (in each worker: the app is not preloaded in the master)."""
        from gunicorn.util import import_app

        return import_app(self.app_uri)


def run_gunicorn(options: dict[str, Any]) -> None:
    """Serve until gunicorn's master is stopped (SIGTERM/SIGINT: graceful; workers finish in-flight requests)."""
    GunicornServer(options).run()
