"""Configuration: production refuses unsafe secrets, and says why."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest

from api.config import DEV_SECRET, ConfigError, load_settings
from models.crypto import DEV_DATA_KEY


@pytest.mark.parametrize(
    ("secret", "fragment"),
    [(None, "not set"), (DEV_SECRET, "development default"), ("short", "at least 32")],
)
def test_production_refuses_unsafe_secret(monkeypatch: pytest.MonkeyPatch, secret: str | None, fragment: str) -> None:
    monkeypatch.setenv("JIUZHU_MODE", "production")
    if secret is None:
        monkeypatch.delenv("JIUZHU_TOKEN_SECRET", raising=False)
    else:
        monkeypatch.setenv("JIUZHU_TOKEN_SECRET", secret)
    with pytest.raises(ConfigError, match=fragment):
        load_settings().check()


def test_production_accepts_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIUZHU_MODE", "production")
    monkeypatch.setenv("JIUZHU_TOKEN_SECRET", "s" * 40)
    monkeypatch.setenv("JIUZHU_DATA_KEY", secrets.token_hex(64))
    load_settings().check()


@pytest.mark.parametrize("key", [None, DEV_DATA_KEY])
def test_production_refuses_to_run_without_its_own_data_key(monkeypatch: pytest.MonkeyPatch, key: str | None) -> None:
    monkeypatch.setenv("JIUZHU_MODE", "production")
    monkeypatch.setenv("JIUZHU_TOKEN_SECRET", "s" * 40)
    if key is None:
        monkeypatch.delenv("JIUZHU_DATA_KEY", raising=False)
    else:
        monkeypatch.setenv("JIUZHU_DATA_KEY", key)
    with pytest.raises(ConfigError, match="JIUZHU_DATA_KEY is not set"):
        load_settings().check()


@pytest.mark.parametrize("key", ["abc", "zz" * 64, "00" * 32])
def test_a_malformed_data_key_is_refused_in_any_mode(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("JIUZHU_DATA_KEY", key)
    with pytest.raises(ConfigError, match="128 hex digits"):
        load_settings().check()


def test_bad_numbers_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIUZHU_TOKEN_TTL_SECONDS", "eight hours")
    with pytest.raises(ConfigError, match="JIUZHU_TOKEN_TTL_SECONDS"):
        load_settings()


def test_cli_refuses_to_start_in_production_without_secret() -> None:
    env = {"JIUZHU_MODE": "production", "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite://:memory:"}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "JIUZHU_TOKEN_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr
