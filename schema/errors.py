"""Errors that reach clients with a stable English code and a Chinese message."""

from __future__ import annotations

from graphql import GraphQLError


class ClientError(GraphQLError):
    """A refusal the client should see as-is: ``extensions.code`` is stable, the message is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, extensions={"code": code})


class InvalidCursor(ClientError):
    """An ``after`` cursor that this server did not issue."""

    def __init__(self) -> None:
        super().__init__("INVALID_CURSOR", "分页游标无效，请从第一页重新查询。")


class InvalidId(ClientError):
    """A global ID that is malformed or names an unknown type."""

    def __init__(self) -> None:
        super().__init__("INVALID_ID", "对象编号（ID）无效。")


class InvalidArgument(ClientError):
    """An argument out of its documented range."""

    def __init__(self, message: str) -> None:
        super().__init__("INVALID_ARGUMENT", message)
