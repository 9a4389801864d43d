"""Sign-in: signed, expiring bearer tokens backed by a session row (so logout revokes everywhere), and API
keys for machine clients (``Authorization: Bearer jz_<prefix>_<secret>``).

Everything a decision needs is read from the database on each request — the session, the account's
``is_active`` and role assignments, the API key's revocation, the recent failed sign-ins — so a change made
through any worker or host is enforced by all of them on their next request, with no cache to invalidate.
"""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from api.config import Settings
from api.observability import set_caller
from models.accounts import (
    DUMMY_HASH,
    ApiKey,
    AuthSession,
    RoleAssignment,
    User,
    check_login_allowed,
    hash_api_secret,
    record_login_attempt,
    split_api_key,
    verify_password,
)
from models.timeutil import now
from policies.principal import (
    ANONYMOUS,
    PASSWORD_CHANGE_MESSAGE,
    PASSWORD_CHANGE_REQUIRED,
    Assignment,
    Principal,
)

ISSUER = "jiuzhu"
ALGORITHM = "HS256"


class AuthError(Exception):
    """Authentication failed; ``code`` is stable, ``message`` is Chinese for the user, ``status`` the HTTP
    status of the refusal (401: no valid credentials; 403: valid, but not allowed past the gate yet)."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


MISSING_SCHEME = AuthError("INVALID_TOKEN", "身份令牌格式错误，请使用“Authorization: Bearer <令牌>”。")
INVALID = AuthError("INVALID_TOKEN", "身份令牌无效，请重新登录。")
EXPIRED = AuthError("TOKEN_EXPIRED", "登录已过期，请重新登录。")
REVOKED = AuthError("TOKEN_REVOKED", "该令牌已注销，请重新登录。")
INACTIVE = AuthError("ACCOUNT_INACTIVE", "账号已停用，请联系管理员。")
KEY_INVALID = AuthError("INVALID_TOKEN", "API密钥无效。")
TWO_CREDENTIALS = AuthError("INVALID_TOKEN", "请求同时带有Authorization和X-API-Key两种凭据，请只使用其中一种。")
KEY_EXPIRED = AuthError("API_KEY_EXPIRED", "API密钥已过期，请联系本单位管理员重新签发。")
KEY_REVOKED = AuthError("API_KEY_REVOKED", "API密钥已注销，请联系本单位管理员重新签发。")
SIGN_IN_REQUIRED = AuthError("UNAUTHENTICATED", "请先登录（Authorization: Bearer <令牌>）。")
PASSWORD_CHANGE = AuthError(PASSWORD_CHANGE_REQUIRED, PASSWORD_CHANGE_MESSAGE, status=403)

#: ``last_used_at`` of an API key is written at most this often (not on every request).
KEY_USE_GRANULARITY = dt.timedelta(minutes=1)


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

    async def login(
        self, username: str, password: str, client_ip: str = "unknown"
    ) -> tuple[Principal, IssuedToken] | None:
        """Check credentials; on success open a session and return its token. ``None`` on failure.

        Unknown users cost the same hash verification as known ones (no username probing by timing).
        Every attempt is recorded (never the password). Too many recent failures for the username or from
        ``client_ip`` refuse the attempt before any password check: :class:`~models.rules.RuleViolation`
        ``TOO_MANY_ATTEMPTS`` (see :func:`models.accounts.check_login_allowed`).
        """
        name = (username or "").strip()
        await check_login_allowed(name, client_ip)
        user = await User.get_or_none(username=name) if name else None
        if user is None:
            verify_password(DUMMY_HASH, password or "")
            await record_login_attempt(name, client_ip, succeeded=False)
            return None
        if not verify_password(user.password_hash, password or "") or not user.is_active:
            await record_login_attempt(name, client_ip, succeeded=False)
            return None
        await record_login_attempt(name, client_ip, succeeded=True)
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

    async def authenticate_headers(self, authorization: str | None, api_key: str | None) -> Principal:
        """The principal for a request's ``Authorization`` or ``X-API-Key`` header (the common header of
        machine clients, for an API key ``jz_…`` only); both at once are refused, neither is the public."""
        has_key = api_key is not None and bool(api_key.strip())
        if has_key and authorization is not None and authorization.strip():
            raise TWO_CREDENTIALS
        if has_key:
            assert api_key is not None
            if not api_key.strip().startswith("jz_"):
                raise KEY_INVALID
            return await self.authenticate_api_key(api_key.strip())
        return await self.authenticate(authorization)

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an ``Authorization`` header value; anonymous when absent."""
        if authorization is None or not authorization.strip():
            return ANONYMOUS
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise MISSING_SCHEME
        if token.strip().startswith("jz_"):
            return await self.authenticate_api_key(token.strip())
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

    async def authenticate_api_key(self, key: str) -> Principal:
        """The machine client of an API key: one assignment, the key's role (``contractor_ledger``) in its
        contractor's domain. Unknown or wrong keys are ``INVALID_TOKEN``; revoked and expired ones say so."""
        parts = split_api_key(key)
        if parts is None:
            raise KEY_INVALID
        prefix, secret = parts
        row = await ApiKey.get_or_none(prefix=prefix)
        if row is None or not hmac.compare_digest(row.key_hash, hash_api_secret(secret)):
            raise KEY_INVALID
        if row.revoked_at is not None:
            raise KEY_REVOKED
        current = now()
        if row.expires_at <= current:
            raise KEY_EXPIRED
        if row.last_used_at is None or row.last_used_at <= current - KEY_USE_GRANULARITY:
            # Conditional, so concurrent requests of several workers write it once a minute at most.
            await (
                ApiKey.filter(id=row.pk)
                .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=current - KEY_USE_GRANULARITY))
                .update(last_used_at=current)
            )
        return Principal(
            user_id=row.created_by_id,
            username=f"apikey:{row.prefix}",
            display_name=f"{row.name}（API密钥）",
            assignments=(Assignment(str(row.role), row.domain),),
            session_id=None,
        )


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


# ---------------------------------------------------------------------------------------------------------
# The gate: every route that is not public passes it (``/graphql`` and the ledger workbook routes alike).

#: Where the gate leaves the caller for the route: ``scope[PRINCIPAL_KEY]`` (see :func:`principal_of`).
PRINCIPAL_KEY = "jiuzhu.principal"

#: Turns a refusal of the gate into the route's own response shape (GraphQL errors, or the JSON of the files).
Refuse = Callable[[AuthError], Response]


def www_authenticate(error: AuthError) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 401 refusal (RFC 6750): ``invalid_token`` when credentials were sent."""
    if error.status != 401:
        return {}
    if error is SIGN_IN_REQUIRED:
        return {"WWW-Authenticate": 'Bearer realm="jiuzhu"'}
    return {"WWW-Authenticate": 'Bearer realm="jiuzhu", error="invalid_token"'}


class Gate:
    """ASGI wrapper: the one authentication gate in front of every route that is not public.

    It resolves the caller from ``Authorization`` or ``X-API-Key`` (:meth:`Authenticator.authenticate_headers`:
    a bad, expired or revoked token or key, or a deactivated account, is refused — never taken for the public),
    then applies the rules every route shares: sign-in (unless ``public_allowed``) and the forced password change
    (``PASSWORD_CHANGE_REQUIRED``, HTTP 403) unless the route holds the account to it itself
    (``password_change_handled``: ``/graphql`` lets such an account run ``me``, ``changeMyPassword`` and
    ``logout`` only, see :class:`schema.auth.PasswordChangeGate`). The route finds the caller with
    :func:`principal_of`; a refusal is answered by ``refuse`` in the route's own response shape, with the same
    error codes everywhere.
    """

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        refuse: Refuse,
        *,
        public_allowed: bool = False,
        password_change_handled: bool = False,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.refuse = refuse
        self.public_allowed = public_allowed
        self.password_change_handled = password_change_handled

    async def admit(self, scope: Scope) -> Principal:
        """The caller of this request, if it may pass; else :class:`AuthError`."""
        header = api_key = None
        for name, value in scope.get("headers", []):
            if name == b"authorization" and header is None:
                header = value.decode("latin-1")
            elif name == b"x-api-key" and api_key is None:
                api_key = value.decode("latin-1")
        principal = await self.authenticator.authenticate_headers(header, api_key)
        set_caller(principal.username)  # the log line names the caller even when the gate refuses it
        if not principal.authenticated and not self.public_allowed:
            raise SIGN_IN_REQUIRED
        if principal.must_change_password and not self.password_change_handled:
            raise PASSWORD_CHANGE
        return principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.admit(scope)
        except AuthError as exc:
            await self.refuse(exc)(scope, receive, send)
            return
        scope[PRINCIPAL_KEY] = principal
        await self.app(scope, receive, send)


def principal_of(scope: Scope) -> Principal:
    """The caller the :class:`Gate` admitted (a route behind no gate has none: ``KeyError``)."""
    return scope[PRINCIPAL_KEY]
