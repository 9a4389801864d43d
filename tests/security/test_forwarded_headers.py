"""Forwarded addresses are believed only from configured proxies (``JIUZHU_TRUSTED_PROXIES``, empty by default).

Before: ``jiuzhu serve`` turned on uvicorn's proxy headers, which trust ``X-Forwarded-For`` from 127.0.0.1, so
anything on the host (or a caller of a local proxy passing the header through) could rotate the header and make
every sign-in failure count against a new address: the per-address limit (20 in 15 minutes) never tripped.

These tests run the real ``jiuzhu serve`` command (uvicorn configured as in production) on a database of their
own, so the failures they cause lock no address the rest of the suite signs in from."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from api.cli import migrate_database, uvicorn_options
from api.config import ConfigError, load_settings
from tests.conftest import discard_database, fresh_database, settings_for
from tests.helpers import LOGIN
from tests.servers import STARTUP_TIMEOUT, Instance

ADDRESS_LIMIT = 20  # failures from one client address within 15 minutes (models/accounts.py)


@asynccontextmanager
async def _served(tmp_path: Path, trusted: str) -> AsyncIterator[Instance]:
    url = await fresh_database(tmp_path)
    await migrate_database(url)
    # uvicorn's own FORWARDED_ALLOW_IPS must not sneak back in either.
    instance = Instance(
        "serve", url, tmp_path, cli=True, env={"JIUZHU_TRUSTED_PROXIES": trusted, "FORWARDED_ALLOW_IPS": "*"}
    )
    try:
        await asyncio.wait_for(instance.ready(), STARTUP_TIMEOUT + 10)
        yield instance
    finally:
        await instance.stop()
        await discard_database(url)


async def _fail_login(instance: Instance, forwarded_for: str) -> str:
    """One failed sign-in claiming to come from ``forwarded_for``; the error code."""
    response = await instance.client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"u": f"nobody_{uuid.uuid4().hex[:8]}", "p": "Wrong-Password-1"}},
        headers={"X-Forwarded-For": forwarded_for, "X-Real-IP": forwarded_for, "Forwarded": f"for={forwarded_for}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["login"]["errors"][0]["code"]


async def test_rotating_x_forwarded_for_does_not_escape_the_address_limit_by_default(tmp_path: Path) -> None:
    async with _served(tmp_path, trusted="") as instance:
        codes = [await _fail_login(instance, f"203.0.113.{n + 1}") for n in range(ADDRESS_LIMIT)]
        assert codes == ["INVALID_CREDENTIALS"] * ADDRESS_LIMIT
        # Every failure counted against the real peer (127.0.0.1), whatever the header said.
        assert await _fail_login(instance, "198.51.100.77") == "TOO_MANY_ATTEMPTS"


async def test_a_configured_proxy_is_believed(tmp_path: Path) -> None:
    async with _served(tmp_path, trusted="127.0.0.1") as instance:
        codes = [await _fail_login(instance, f"203.0.113.{n + 1}") for n in range(ADDRESS_LIMIT + 1)]
        assert codes == ["INVALID_CREDENTIALS"] * (ADDRESS_LIMIT + 1)  # 21 different real clients behind it


def test_uvicorn_is_told_exactly_the_configured_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    default = uvicorn_options(settings_for("sqlite://:memory:"))
    assert default["proxy_headers"] is False
    assert default["forwarded_allow_ips"] == ""
    monkeypatch.setenv("JIUZHU_TRUSTED_PROXIES", " 10.0.0.5 , 10.1.0.0/16,::1")
    settings = load_settings()
    assert settings.trusted_proxies == ("10.0.0.5", "10.1.0.0/16", "::1")
    options = uvicorn_options(settings)
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == "10.0.0.5,10.1.0.0/16,::1"


@pytest.mark.parametrize("bad", ["*", "proxy.example.cn", "10.0.0.300", "10.0.0.0/33"])
def test_a_wildcard_or_a_name_is_refused(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("JIUZHU_TRUSTED_PROXIES", f"10.0.0.5,{bad}")
    with pytest.raises(ConfigError, match="JIUZHU_TRUSTED_PROXIES"):
        load_settings()
