"""Accounts, role assignments and sign-in sessions."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise import fields
from tortoise.models import Model

from models.enums import Role


class User(Model):
    """A person (or, later, a machine client) who signs in."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True, description="Sign-in name, unique")
    password_hash = fields.CharField(max_length=255, description="Argon2id hash")
    display_name = fields.CharField(max_length=100, description="Name shown in history")
    is_active = fields.BooleanField(default=True)
    must_change_password = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    password_changed_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User",
        related_name=False,
        null=True,
        on_delete=fields.SET_NULL,
        description="Administrator who created it",
    )

    role_assignments: fields.ReverseRelation[RoleAssignment]

    class Meta:
        table = "account_user"


class RoleAssignment(Model):
    """A role held in a domain: ``district:321202``, ``district:*`` (city-wide), ``contractor:7``, ``city``."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="role_assignments", on_delete=fields.CASCADE, db_index=True
    )
    role = fields.CharEnumField(Role, max_length=32)
    domain = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_role_assignment"
        unique_together = (("user", "role", "domain"),)


class ApiKey(Model):
    """A machine client's key (e.g. a contractor's ledger sync): shown once, stored hashed, expiring."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    prefix = fields.CharField(max_length=16, unique=True, description="Public part, shown in lists")
    key_hash = fields.CharField(max_length=128, description="SHA-256 of the secret part")
    role = fields.CharEnumField(Role, max_length=32)
    domain = fields.CharField(max_length=64)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="api_keys", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_api_key"


class LoginAttempt(Model):
    """A sign-in attempt (never the password): for throttling per account and per address, and audit."""

    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=64)
    client_ip = fields.CharField(max_length=64)
    succeeded = fields.BooleanField()
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_login_attempt"
        indexes = (("username", "at"), ("client_ip", "at"))


class AuthSession(Model):
    """One issued bearer token, revocation is a row update, so every worker sees it at once."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_session"


_hasher = PasswordHasher()  # Argon2id with the library's current (RFC 9106 low-memory) parameters


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises on a bad hash or password."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: Verified against when the username is unknown, so both paths take the same time.
DUMMY_HASH = _hasher.hash("jiuzhu-timing-equaliser")
