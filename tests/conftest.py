"""Test fixtures: a real database (SQLite by default, PostgreSQL with JIUZHU_TEST_DB=postgres),
migrated by the real migrations and seeded with the demo data, behind the real ASGI app."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.cli import migrate_database, seed_database
from api.config import Settings
from tests.helpers import Api

BACKEND = os.environ.get("JIUZHU_TEST_DB", "sqlite").strip().lower()
PG_SERVER = os.environ.get("JIUZHU_TEST_PG", "postgres://postgres@127.0.0.1:5432")
TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef"


def settings_for(database_url: str) -> Settings:
    """Settings for an app under test."""
    return Settings(
        mode="development",
        database_url=database_url,
        token_secret=TEST_SECRET,
        token_ttl_seconds=3600,
        host="127.0.0.1",
        port=8000,
    )


async def create_pg_database() -> str:
    """A fresh, empty PostgreSQL database; returns its URL."""
    name = f"jiuzhu_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{PG_SERVER}/{name}"


async def drop_pg_database(url: str) -> None:
    """Drop a database made by :func:`create_pg_database`."""
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def fresh_database(tmp: Path) -> str:
    """An empty database of the configured backend."""
    if BACKEND == "postgres":
        return await create_pg_database()
    return f"sqlite://{tmp / f'{uuid.uuid4().hex[:8]}.sqlite3'}"


async def discard_database(url: str) -> None:
    """Remove a database made by :func:`fresh_database`."""
    if url.startswith("postgres"):
        await drop_pg_database(url)


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The session's database, migrated and seeded with reference and demo data."""
    url = await fresh_database(tmp_path_factory.mktemp("db"))
    await migrate_database(url)
    await seed_database(url, demo=True)
    yield url
    await discard_database(url)


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[object]:
    """The real app with its lifespan (httpx's transport does not run it)."""
    application = create_app(settings_for(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def api(app: object) -> AsyncIterator[Api]:
    """An HTTP client for the app, with GraphQL and sign-in helpers."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client)
