"""Configuration read from the environment, once, at start-up.

| variable | meaning | default |
|---|---|---|
| ``JIUZHU_MODE`` | ``development`` or ``production`` | ``development`` |
| ``DATABASE_URL`` | Tortoise URL (``sqlite://…`` or ``postgres://…``) | ``sqlite://var/jiuzhu.sqlite3`` |
| ``JIUZHU_TOKEN_SECRET`` | HMAC key for bearer tokens, 32+ characters | a development-only value |
| ``JIUZHU_TOKEN_TTL_SECONDS`` | bearer token lifetime | ``28800`` (8 hours) |
| ``JIUZHU_DATA_KEY`` | key sealing personal data at rest: ``openssl rand -hex 64`` | a development-only key |
| ``PORT`` / ``HOST`` | where ``jiuzhu serve`` listens | ``8000`` / ``127.0.0.1`` |
| ``JIUZHU_CORS_ORIGINS`` | comma-separated browser origins allowed to call the API | none |
| ``JIUZHU_MAX_BODY_BYTES`` | largest request body accepted | ``1048576`` (1 MiB) |
| ``JIUZHU_METRICS_TOKEN`` | production: ``/metrics`` answers ``Authorization: Bearer <this>`` (16+ characters) | none |
| ``JIUZHU_METRICS_ALLOW`` | production: comma-separated IPs/CIDRs that may read ``/metrics`` (else 404) | none |
| ``JIUZHU_TRUSTED_PROXIES`` | IPs/CIDRs of reverse proxies whose ``X-Forwarded-For`` is believed | none |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Literal

from models.crypto import DEV_DATA_KEY, parse_key

DEV_SECRET = "jiuzhu-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 16


class ConfigError(RuntimeError):
    """Raised when the environment cannot run the server safely; the message says why."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The server's settings; see the module docstring for the variables."""

    mode: Literal["development", "production"]
    database_url: str
    token_secret: str
    token_ttl_seconds: int
    host: str
    port: int
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    data_key: str = DEV_DATA_KEY
    #: Who may read ``/metrics`` in production (development serves it to anyone).
    metrics_token: str = ""
    metrics_allow: tuple[IPv4Network | IPv6Network, ...] = ()
    #: Reverse proxies whose ``X-Forwarded-For``/``X-Forwarded-Proto`` uvicorn may believe; empty: none (the
    #: client address is the TCP peer's, so no header can change who the sign-in throttle counts).
    trusted_proxies: tuple[str, ...] = ()

    @property
    def production(self) -> bool:
        """True when running in production mode."""
        return self.mode == "production"

    def check(self) -> None:
        """Refuse a malformed data key; refuse to run production with a missing, default or short token secret
        or without a data key of its own."""
        if self.data_key:
            try:
                parse_key(self.data_key)
            except ValueError as exc:
                raise ConfigError(f"JIUZHU_DATA_KEY must be 128 hex digits (openssl rand -hex 64): {exc}.") from exc
        if not self.production:
            return
        if not self.token_secret:
            raise ConfigError("JIUZHU_TOKEN_SECRET is not set: production mode needs a secret of its own.")
        if self.token_secret == DEV_SECRET:
            raise ConfigError(
                "JIUZHU_TOKEN_SECRET is the development default: anyone could forge tokens. Set a secret."
            )
        if len(self.token_secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"JIUZHU_TOKEN_SECRET has {len(self.token_secret)} characters; "
                f"production needs at least {MIN_SECRET_LENGTH}."
            )
        if not self.data_key or self.data_key == DEV_DATA_KEY:
            raise ConfigError(
                "JIUZHU_DATA_KEY is not set: production needs its own key to encrypt personal data at rest "
                "(openssl rand -hex 64). Keep it safe: the ID numbers cannot be read without it."
            )


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}.")
    return value


def load_settings() -> Settings:
    """Read the settings from the environment (no caching: tests change it)."""
    mode = os.environ.get("JIUZHU_MODE", "development").strip().lower() or "development"
    if mode not in ("development", "production"):
        raise ConfigError(f"JIUZHU_MODE must be 'development' or 'production', got {mode!r}.")
    default_secret = DEV_SECRET if mode == "development" else ""
    return Settings(
        mode=mode,  # type: ignore[arg-type]
        database_url=os.environ.get("DATABASE_URL", "").strip() or "sqlite://var/jiuzhu.sqlite3",
        token_secret=os.environ.get("JIUZHU_TOKEN_SECRET", "").strip() or default_secret,
        token_ttl_seconds=_int("JIUZHU_TOKEN_TTL_SECONDS", 8 * 3600),
        host=os.environ.get("HOST", "127.0.0.1").strip() or "127.0.0.1",
        port=_int("PORT", 8000),
        cors_origins=_origins(os.environ.get("JIUZHU_CORS_ORIGINS", "")),
        max_body_bytes=_int("JIUZHU_MAX_BODY_BYTES", 1024 * 1024),
        data_key=os.environ.get("JIUZHU_DATA_KEY", "").strip() or (DEV_DATA_KEY if mode == "development" else ""),
        metrics_token=_metrics_token(os.environ.get("JIUZHU_METRICS_TOKEN", "")),
        metrics_allow=_networks("JIUZHU_METRICS_ALLOW", os.environ.get("JIUZHU_METRICS_ALLOW", "")),
        trusted_proxies=_proxies(os.environ.get("JIUZHU_TRUSTED_PROXIES", "")),
    )


def _metrics_token(raw: str) -> str:
    token = raw.strip()
    if token and len(token) < MIN_METRICS_TOKEN_LENGTH:
        raise ConfigError(
            f"JIUZHU_METRICS_TOKEN has {len(token)} characters; it needs at least {MIN_METRICS_TOKEN_LENGTH}."
        )
    return token


def _networks(name: str, raw: str) -> tuple[IPv4Network | IPv6Network, ...]:
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError as exc:
            raise ConfigError(f"{name} must list IP addresses or networks like 10.0.0.0/8, got {part!r}.") from exc
    return tuple(networks)


def _proxies(raw: str) -> tuple[str, ...]:
    """Addresses or networks of trusted reverse proxies (``10.0.0.5, 10.1.0.0/16``); never ``*``: a wildcard
    would let any client choose the address the sign-in throttle counts."""
    return tuple(
        str(network.network_address) if network.num_addresses == 1 else str(network)
        for network in _networks("JIUZHU_TRUSTED_PROXIES", raw)
    )


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin == "*" or not origin.startswith(("https://", "http://")):
            raise ConfigError(
                f"JIUZHU_CORS_ORIGINS must list full origins like https://dash.example.cn, got {origin!r}."
            )
    return origins
