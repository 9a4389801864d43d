"""Relay global object identification: opaque global IDs and the ``Node`` interface."""

from __future__ import annotations

import base64
import binascii

import strawberry

from schema.errors import InvalidId


def encode_id(type_name: str, pk: object) -> str:
    """``("Contract", 7)`` → opaque base64url string."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_id(global_id: str) -> tuple[str, str]:
    """Inverse of :func:`encode_id`; raises :class:`InvalidId` on anything else."""
    if not isinstance(global_id, str) or not global_id or len(global_id) > 200:
        raise InvalidId
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidId from exc
    type_name, sep, pk = raw.partition(":")
    if not sep or not type_name or not pk:
        raise InvalidId
    return type_name, pk


@strawberry.interface(description="An object with a global ID (Relay). 可按全局ID查询的对象。")
class Node:
    """Relay ``Node``: every entity has an opaque global ``id``."""

    id: strawberry.ID = strawberry.field(description="Opaque global ID; pass it to `node(id:)`. 全局ID。")
