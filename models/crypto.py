"""Personal data encrypted at rest: beneficiaries' resident ID numbers (DOMAIN.md §5; 个人信息保护法第五十一条:
加密、去标识化等安全技术措施).

Deterministic authenticated encryption (AES-SIV, RFC 5297, from ``cryptography``): the same number always seals
to the same text, so the column keeps its unique index and exact-number lookups (``filter(id_number=…)``)
still work, while a copy of the database or a backup shows no number. The field's name is bound in as
associated data, so a sealed value cannot be moved to another column. Only equality leaks, which the unique
index needs anyway.

Sealed values read ``v1:<base64url>``; the version names the key, so a later key can be rolled in next to it.
The key is ``JIUZHU_DATA_KEY`` (64 random bytes as 128 hex digits: ``openssl rand -hex 64``); development and
tests use a fixed development key, production refuses to start without a key of its own
(``api.config.Settings.check``).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from tortoise import fields

VERSION = "v1"
KEY_BYTES = 64  # AES-SIV-512: two 256-bit keys (MAC and CTR)
#: For development and tests only; production refuses it.
DEV_DATA_KEY = hashlib.sha512(b"jiuzhu development data key - never use in production").hexdigest()


class SealError(RuntimeError):
    """A sealed value that this key cannot open (wrong key, or a value altered in the database)."""


def parse_key(hex_key: str) -> bytes:
    """The key bytes from 128 hex digits (``ValueError`` otherwise)."""
    raw = bytes.fromhex(hex_key.strip())
    if len(raw) != KEY_BYTES:
        raise ValueError(f"the key has {len(raw)} bytes; {KEY_BYTES} are needed (128 hex digits)")
    return raw


_cipher = AESSIV(parse_key(DEV_DATA_KEY))


def configure(hex_key: str) -> None:
    """Use ``hex_key`` from now on in this process (``api.app.create_app`` and the ``jiuzhu`` command)."""
    global _cipher
    _cipher = AESSIV(parse_key(hex_key))


def seal(value: str, label: str) -> str:
    """``value`` encrypted for the column ``label`` (deterministic)."""
    token = _cipher.encrypt(value.encode("utf-8"), [label.encode("ascii")])
    return f"{VERSION}:{base64.urlsafe_b64encode(token).decode('ascii').rstrip('=')}"


def is_sealed(value: str) -> bool:
    """Whether ``value`` is a sealed value (plaintext ID numbers are digits and X)."""
    return value.startswith(f"{VERSION}:")


def unseal(value: str, label: str) -> str:
    """The plaintext of a value sealed for ``label``."""
    body = value.removeprefix(f"{VERSION}:")
    try:
        token = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return _cipher.decrypt(token, [label.encode("ascii")]).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise SealError(f"a sealed {label} cannot be opened with the configured JIUZHU_DATA_KEY") from exc


class SealedCharField(fields.CharField):
    """A text column stored sealed (:func:`seal`) and read back in clear; filters by equality and ``__in``
    seal their values the same way. ``max_length`` is the sealed length."""

    def __init__(self, max_length: int, *, label: str, **kwargs: Any) -> None:
        self.label = label
        super().__init__(max_length=max_length, **kwargs)

    def to_db_value(self, value: Any, instance: Any) -> Any:
        """Seal on the way in (``None`` stays ``None``)."""
        if value is None:
            return None
        return seal(str(value), self.label)

    def to_python_value(self, value: Any) -> Any:
        """Open on the way out; a value set in Python is already clear."""
        if isinstance(value, str) and is_sealed(value):
            return unseal(value, self.label)
        return value
