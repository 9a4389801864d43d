"""The schema is built by the migrations, and the migrations match the models."""

from __future__ import annotations

from pathlib import Path

from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from api.cli import migrate_database
from api.db import tortoise_config
from tests.conftest import discard_database, fresh_database


async def _columns(table: str) -> set[str]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = $1", [table]
        )
    else:
        rows = await conn.execute_query_dict(f'PRAGMA table_info("{table}")')
    return {r["name"] for r in rows}


async def test_migrations_create_every_model_table_and_column(tmp_path: Path) -> None:
    url = await fresh_database(tmp_path)
    try:
        await migrate_database(url)
        await migrate_database(url)  # a second run applies nothing and fails on nothing
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            for model in ctx.apps["models"].values():
                table = model._meta.db_table
                expected = set(model._meta.fields_db_projection.values())
                present = await _columns(table)
                assert expected <= present, f"{table} lacks {expected - present}"
                for m2m in model._meta.m2m_fields:
                    through = model._meta.fields_map[m2m].through
                    assert await _columns(through), f"missing through table {through}"
    finally:
        await discard_database(url)


async def test_models_have_no_unmigrated_changes(database_url: str) -> None:
    # Same backend as the running app: initialising models for another dialect in this process would
    # leave Tortoise's class-level query builders pointing at that dialect.
    config = tortoise_config(database_url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        writers = await detector.changes()
        assert writers == [], "models changed without a migration: run `tortoise -c api.db.TORTOISE_ORM makemigrations`"
