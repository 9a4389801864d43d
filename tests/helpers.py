"""Helpers for talking GraphQL to the app under test."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tortoise import connections

ACCOUNTS_FILE = Path(__file__).resolve().parent.parent / "seeds" / "demo_accounts.csv"


def demo_accounts() -> list[dict[str, str]]:
    """Rows of ``seeds/demo_accounts.csv``."""
    with ACCOUNTS_FILE.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def password_of(username: str) -> str:
    """The demo password of ``username``."""
    for row in demo_accounts():
        if row["username"] == username:
            return row["password"]
    raise KeyError(username)


LOGIN = """
mutation Login($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { token expiresAt errors { code message } me { username } }
}
"""


@dataclass
class Api:
    """GraphQL over HTTP against the ASGI app."""

    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        """Raw POST to /graphql."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_user: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """Run a query as ``as_user`` (signed in once per session) or with ``token``; returns the JSON body."""
        if as_user is not None:
            token = await self.token(as_user)
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, *, as_user: str | None = None) -> Any:
        """Like :meth:`gql` but asserts there are no errors and returns ``data``."""
        body = await self.gql(query, variables, as_user=as_user)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def login(self, username: str, password: str | None = None) -> dict[str, Any]:
        """The ``login`` payload."""
        body = await self.gql(LOGIN, {"u": username, "p": password if password is not None else password_of(username)})
        return body["data"]["login"]

    async def token(self, username: str) -> str:
        """A token for ``username``, cached for the session."""
        if username not in self.tokens:
            payload = await self.login(username)
            assert payload["token"], payload
            self.tokens[username] = payload["token"]
        return self.tokens[username]


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())


@contextmanager
def count_sql() -> Iterator[list[str]]:
    """Collect the SQL statements Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    handler = _Counter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


async def raw_rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows straight from the database, around the ORM (``?`` placeholders)."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        for n in range(1, len(args) + 1):
            sql = sql.replace("?", f"${n}", 1)
    return await conn.execute_query_dict(sql, list(args))
