"""Tortoise ORM configuration: one app, ``models``, migrated by Tortoise's native migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODEL_MODULES = ["models"]


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config dict for ``database_url`` (creates the SQLite folder when needed)."""
    if database_url.startswith("sqlite://") and database_url != "sqlite://:memory:":
        Path(database_url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": database_url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "Asia/Shanghai",
    }


def _cli_config() -> dict[str, Any]:
    """Config for Tortoise's own CLI (``tortoise -c api.db.TORTOISE_ORM makemigrations``)."""
    import os

    return tortoise_config(os.environ.get("DATABASE_URL", "sqlite://var/jiuzhu.sqlite3"))


TORTOISE_ORM = _cli_config()
