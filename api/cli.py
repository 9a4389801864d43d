"""The ``jiuzhu`` command: ``dev``, ``serve``, ``migrate``, ``seed``, ``export-schema``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tortoise.context import TortoiseContext

from api.config import ConfigError, Settings, load_settings
from api.db import tortoise_config


async def migrate_database(database_url: str) -> None:
    """Apply every pending migration (Tortoise's native migrations in ``models/migrations``)."""
    from tortoise.migrations.api import migrate

    # Own context: never touches (or closes) the connections of an app running in this process.
    async with TortoiseContext():
        await migrate(config=tortoise_config(database_url))
    from models.service_summary import fill_missing_summaries

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(database_url))
        await fill_missing_summaries()


async def rebuild_summaries(database_url: str) -> dict[str, int]:
    """Recompute the services summaries from the ledger entries (after a bulk load or a repair)."""
    from models.service_summary import rebuild

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(database_url))
        return await rebuild()


async def seed_database(database_url: str, *, demo: bool) -> None:
    """Load reference data (and the demo set); loading twice changes nothing."""
    from seeds import load_all

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(database_url))
        await load_all(demo=demo)


def export_schema(path: Path | None) -> str:
    """The SDL of the schema; written to ``path`` when given."""
    from schema import schema

    sdl = schema.as_str() + "\n"
    if path is not None:
        path.write_text(sdl, encoding="utf-8")
    return sdl


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How ``jiuzhu serve`` runs uvicorn: forwarded headers (``X-Forwarded-For``/``-Proto``) are believed only
    from ``JIUZHU_TRUSTED_PROXIES``; with none configured uvicorn's proxy-headers middleware is off, so the client
    address (what the sign-in throttle counts) is always the TCP peer's, whatever headers a caller sends."""
    trusted = ",".join(settings.trusted_proxies)
    return {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": bool(trusted),
        # Always explicit: otherwise uvicorn falls back to $FORWARDED_ALLOW_IPS or 127.0.0.1.
        "forwarded_allow_ips": trusted or "",
        "log_config": None,
        "timeout_graceful_shutdown": 30,
    }


log = logging.getLogger("jiuzhu")


def package_version() -> str:
    """The installed package's version (``pyproject.toml``)."""
    try:
        return version("jiuzhu")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def forwarded_allow_ips(settings: Settings) -> str:
    """The reverse proxies whose ``X-Forwarded-For``/``-Proto`` are believed (comma-separated; ``""``: nobody's),
    from ``JIUZHU_TRUSTED_PROXIES``: the one place this is decided, for both ``serve`` and ``dev``."""
    return ",".join(settings.trusted_proxies)


def serve(settings: Settings, workers: int, *, production_server: bool = True) -> None:
    """Serve the app (which reads the same environment): gunicorn with ``workers`` uvicorn workers on uvloop +
    httptools (``api.serving``), or, for ``jiuzhu dev`` (``production_server=False``), one uvicorn process.
    Every process logs JSON lines."""
    from api.observability import log_config

    where = f"http://{settings.host}:{settings.port}/graphql"
    if settings.production:
        log.info("jiuzhu %s (production) listening on %s", package_version(), where)
    else:
        log.info("jiuzhu %s ready. GraphiQL: %s (demo accounts: seeds/demo_accounts.csv)", package_version(), where)
    trusted = forwarded_allow_ips(settings)
    if production_server:
        from api.serving import gunicorn_options, run_gunicorn

        run_gunicorn(gunicorn_options(settings, workers, forwarded_allow_ips=trusted))
        return
    import uvicorn

    options = {**uvicorn_options(settings), "log_config": log_config(), "access_log": False}
    # uvloop and httptools when installed (they are, except on Windows)
    uvicorn.run("api.main:app", workers=workers, loop="auto", http="auto", **options)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``jiuzhu`` command."""
    parser = argparse.ArgumentParser(prog="jiuzhu", description="Taizhou social-assistance purchasing API")
    parser.add_argument("--version", action="version", version=f"jiuzhu {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="migrate, load the demo data and serve with GraphiQL (development)")
    p_serve = sub.add_parser(
        "serve", help="serve the API (migrates and loads reference data first unless --no-migrate)"
    )
    p_serve.add_argument("--workers", type=int, default=1)
    p_serve.add_argument("--no-migrate", action="store_true")
    sub.add_parser("migrate", help="apply pending migrations")
    sub.add_parser(
        "rebuild-summaries", help="recompute the services summaries from the ledger entries (after a bulk load)"
    )
    p_seed = sub.add_parser("seed", help="load reference data, and the demo data unless --reference-only")
    p_seed.add_argument("--reference-only", action="store_true")
    p_export = sub.add_parser("export-schema", help="print the SDL, or write it to a file")
    p_export.add_argument("path", nargs="?", type=Path)
    args = parser.parse_args(argv)

    if args.command == "export-schema":
        sdl = export_schema(args.path)
        if args.path is None:
            sys.stdout.write(sdl)
        return 0
    if args.command in ("dev", "serve"):
        from api.observability import configure_logging

        configure_logging()  # a server's every line is JSON, from its migrations on
    try:
        settings = load_settings()
        settings.check()
    except ConfigError as exc:
        if args.command in ("dev", "serve"):
            log.error("jiuzhu: refusing to start: %s", exc)
        else:
            print(f"jiuzhu: refusing to start: {exc}", file=sys.stderr)
        return 2
    from models.crypto import configure

    configure(settings.data_key)  # migrations, seeds and the served app seal personal data with this key
    if args.command == "migrate":
        asyncio.run(migrate_database(settings.database_url))
    elif args.command == "rebuild-summaries":
        counts = asyncio.run(rebuild_summaries(settings.database_url))
        print(", ".join(f"{table}: {rows} rows" for table, rows in counts.items()))
    elif args.command == "seed":
        asyncio.run(seed_database(settings.database_url, demo=not args.reference_only))
    elif args.command == "dev":
        asyncio.run(migrate_database(settings.database_url))
        asyncio.run(seed_database(settings.database_url, demo=True))
        serve(settings, workers=1, production_server=False)
    elif args.command == "serve":
        if not args.no_migrate:
            asyncio.run(migrate_database(settings.database_url))
            asyncio.run(seed_database(settings.database_url, demo=False))
        serve(settings, workers=args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
