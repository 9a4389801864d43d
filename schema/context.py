"""Per-request context: who is calling, and the request's dataloaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from policies.principal import Principal
from schema.loaders import Loaders


class Authentication(Protocol):
    """What the schema needs from ``api.auth`` (kept abstract so ``schema`` never imports ``api``)."""

    async def login(self, username: str, password: str, client_ip: str = "unknown") -> tuple[Any, Any] | None:
        """``(user, issued token)`` or ``None`` on bad credentials."""

    async def logout(self, principal: Principal) -> bool:
        """Revoke the caller's session."""


@dataclass
class Context:
    """Built by ``api`` for every request; loaders never outlive it."""

    request: Request | None
    principal: Principal
    auth: Authentication
    loaders: Loaders = field(init=False)
    response_extensions: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.principal)


Info = StrawberryInfo[Context, None]
