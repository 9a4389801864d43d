"""Sign-in: signed, expiring bearer tokens backed by a session row (so logout revokes everywhere)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import jwt
from tortoise.transactions import in_transaction

from api.config import Settings
from models.accounts import DUMMY_HASH, AuthSession, RoleAssignment, User, verify_password
from models.timeutil import now
from policies.principal import ANONYMOUS, Assignment, Principal

ISSUER = "jiuzhu"
ALGORITHM = "HS256"


class AuthError(Exception):
    """Authentication failed; ``code`` is stable, ``message`` is Chinese for the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


MISSING_SCHEME = AuthError("INVALID_TOKEN", "身份令牌格式错误，请使用“Authorization: Bearer <令牌>”。")
INVALID = AuthError("INVALID_TOKEN", "身份令牌无效，请重新登录。")
EXPIRED = AuthError("TOKEN_EXPIRED", "登录已过期，请重新登录。")
REVOKED = AuthError("TOKEN_REVOKED", "该令牌已注销，请重新登录。")
INACTIVE = AuthError("ACCOUNT_INACTIVE", "账号已停用，请联系管理员。")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly issued bearer token."""

    token: str
    expires_at: dt.datetime


class Authenticator:
    """Issues and checks tokens with the configured secret and lifetime."""

    def __init__(self, settings: Settings) -> None:
        self.secret = settings.token_secret
        self.ttl = dt.timedelta(seconds=settings.token_ttl_seconds)

    async def login(self, username: str, password: str) -> tuple[Principal, IssuedToken] | None:
        """Check credentials; on success open a session and return its token. ``None`` on failure.

        Unknown users cost the same hash verification as known ones (no username probing by timing).
        """
        user = await User.get_or_none(username=username.strip()) if username else None
        if user is None:
            verify_password(DUMMY_HASH, password or "")
            return None
        if not verify_password(user.password_hash, password or "") or not user.is_active:
            return None
        issued_at = now()
        expires_at = issued_at + self.ttl
        session = await AuthSession.create(id=uuid.uuid4(), user=user, expires_at=expires_at)
        claims = {
            "iss": ISSUER,
            "sub": str(user.pk),
            "sid": str(session.pk),
            "iat": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        principal = await _principal(user, session.pk)
        return principal, IssuedToken(jwt.encode(claims, self.secret, algorithm=ALGORITHM), expires_at)

    async def logout(self, principal: Principal) -> bool:
        """Revoke the caller's session; False when there is none (anonymous)."""
        if principal.session_id is None:
            return False
        async with in_transaction():
            updated = await AuthSession.filter(id=principal.session_id, revoked_at__isnull=True).update(
                revoked_at=now()
            )
        return updated > 0

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an ``Authorization`` header value; anonymous when absent."""
        if authorization is None or not authorization.strip():
            return ANONYMOUS
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise MISSING_SCHEME
        try:
            claims = jwt.decode(
                token.strip(),
                self.secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "iss"]},
            )
            session_id = uuid.UUID(str(claims["sid"]))
            user_id = int(claims["sub"])
        except jwt.ExpiredSignatureError as exc:
            raise EXPIRED from exc
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError) as exc:
            raise INVALID from exc
        session = await AuthSession.get_or_none(id=session_id, user_id=user_id).select_related("user")
        if session is None:
            raise INVALID
        if session.revoked_at is not None:
            raise REVOKED
        if session.expires_at <= now():
            raise EXPIRED
        user: User = session.user
        if not user.is_active:
            raise INACTIVE
        return await _principal(user, session.pk)


async def _principal(user: User, session_id: uuid.UUID) -> Principal:
    rows = await RoleAssignment.filter(user_id=user.pk).order_by("id").values_list("role", "domain")
    return Principal(
        user_id=user.pk,
        username=user.username,
        display_name=user.display_name,
        assignments=tuple(Assignment(str(role), domain) for role, domain in rows),
        session_id=session_id,
        must_change_password=user.must_change_password,
    )
