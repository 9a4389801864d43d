"""Accounts, role assignments and sign-in sessions."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models.contractors import Contractor
from models.enums import ChangeAction, Role
from models.geography import District
from models.history import ChangeRecord
from models.lifecycle import create_recorded, update_fields
from models.passwords import MAX_PASSWORD_LENGTH, candidates, normalise_password, password_weaknesses
from models.rules import Actor, refuse
from models.timeutil import SHANGHAI, now


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
        indexes = (("username", "at"), ("client_ip", "at"), ("at",))


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
    """True when ``password`` matches, as typed (hashes set before passwords were normalised) or in its NFKC form
    (hashes set since: :func:`check_password`); never raises on a bad hash or password."""
    for candidate in candidates(password):
        try:
            if _hasher.verify(password_hash, candidate):
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


#: Verified against when the username is unknown, so both paths take the same time.
DUMMY_HASH = _hasher.hash("jiuzhu-timing-equaliser")


# ---------------------------------------------------------------------------------------------------------
# Account rules. Account security is not the subject of 泰政办发〔2019〕53号, so these refusals carry no
# ``article``; the API keys serve the contractors' ledgers of 第十四条.

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
MAX_DISPLAY_NAME = 100


def normalise_username(username: str) -> str:
    """The username as stored; ``INVALID_USERNAME`` unless 3–64 of ``a-z 0-9 _ . -``, starting with a letter."""
    value = username.strip()
    if not USERNAME_PATTERN.fullmatch(value):
        raise refuse(
            "INVALID_USERNAME",
            "用户名须为3–64个字符，以小写字母开头，只能包含小写字母、数字、下划线、点或连字符。",
            field="username",
        )
    return value


def normalise_display_name(display_name: str) -> str:
    """The display name as stored (1–100 characters)."""
    value = display_name.strip()
    if not value:
        raise refuse("REQUIRED", "请填写姓名（显示名）。", field="displayName")
    if len(value) > MAX_DISPLAY_NAME:
        raise refuse("TOO_LONG", f"姓名最多{MAX_DISPLAY_NAME}个字符。", field="displayName")
    return value


def check_password(password: str, username: str, *, context: Iterable[str] = (), field: str = "password") -> str:
    """The password to hash (NFKC-normalised, see :mod:`models.passwords`); refuses a weak one
    (``WEAK_PASSWORD``, naming every reason) or an over-long one (``TOO_LONG``). ``context``: the account's display
    name and organisation names, which the password must not lean on."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise refuse("TOO_LONG", f"密码最多{MAX_PASSWORD_LENGTH}个字符。", field=field)
    normal = normalise_password(password)
    reasons = password_weaknesses(normal, username, context)
    if reasons:
        raise refuse("WEAK_PASSWORD", "密码强度不足：" + "；".join(reasons) + "。", field=field)
    return normal


async def account_words(display_name: str, domains: Iterable[str], conn: BaseDBAsyncClient | None = None) -> list[str]:
    """Words of an account a password must not lean on: its display name and the names of its organisations
    (district: the district and its offices; contractor: the contractor)."""
    words = [display_name]
    for domain in domains:
        kind, _, key = domain.partition(":")
        if kind == "district" and key.isdigit():
            district = await District.get_or_none(code=key).using_db(conn)
            if district is not None:
                words += [district.name, district.purchaser_name, district.agency_name]
        elif kind == "contractor" and key.isdigit():
            contractor = await Contractor.get_or_none(pk=int(key)).using_db(conn)
            if contractor is not None:
                words.append(contractor.name)
    return words


_LOWER = "abcdefghijkmnpqrstuvwxyz"  # no l/o: generated passwords are read aloud and typed by people
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "-_.@#%+="


def generate_password(length: int = 16) -> str:
    """A random password meeting :func:`check_password` (every character class, from ``secrets``; ≈10²⁸ guesses)."""
    pools = (_LOWER, _UPPER, _DIGITS, _SYMBOLS)
    chars = [secrets.choice(pool) for pool in pools]
    alphabet = "".join(pools)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


# ---------------------------------------------------------------------------------------------------------
# Which role may be held in which domain (who may grant it where is policy: ``policies/policy.csv``).

#: Roles of one district's offices: held in ``district:<code>``.
DISTRICT_ROLES = frozenset({Role.DISTRICT_PURCHASER, Role.DISTRICT_AGENCY, Role.DISTRICT_ADMIN})
#: City-wide roles: held in ``district:*`` only.
CITY_ROLES = frozenset({Role.CITY_CIVIL_AFFAIRS, Role.CITY_ADMIN})
#: A contractor's people: held in ``contractor:<id>``.
CONTRACTOR_ROLES = frozenset({Role.CONTRACTOR, Role.CONTRACTOR_ADMIN})
#: Roles never given to a person (machine clients get them with an API key).
MACHINE_ROLES = frozenset({Role.CONTRACTOR_LEDGER})
CITY_WIDE = "district:*"

_DISTRICT_DOMAIN = re.compile(r"^district:(\d{6})$")
_CONTRACTOR_DOMAIN = re.compile(r"^contractor:([1-9]\d{0,9})$")


async def normalise_grant(role: Role, domain: str, conn: BaseDBAsyncClient) -> str:
    """The stored domain for granting ``role`` in ``domain``; refuses a role/domain that do not fit.

    District offices need one existing district (``district:<code>``); the city roles need ``district:*``;
    finance is city-wide or one district; contractor roles need one existing contractor
    (``contractor:<id>``); the machine role ``contractor_ledger`` comes only with an API key.
    """
    value = domain.strip()
    if role in MACHINE_ROLES:
        raise refuse("INVALID_ROLE", "“台账同步”是机器角色，只能通过API密钥授予，不能授予账号。", field="role")
    if role in CITY_ROLES or (role == Role.FINANCE and value == CITY_WIDE):
        if value != CITY_WIDE:
            raise refuse("INVALID_DOMAIN", "该角色是全市范围的角色，范围须为 district:*。", field="domain")
        return value
    if role in DISTRICT_ROLES or role == Role.FINANCE:
        match = _DISTRICT_DOMAIN.fullmatch(value)
        if match is None:
            raise refuse("INVALID_DOMAIN", "该角色须授予在某一个区，范围格式为 district:<6位区代码>。", field="domain")
        if not await District.filter(code=match.group(1)).using_db(conn).exists():
            raise refuse("INVALID_DOMAIN", f"区代码 {match.group(1)} 不存在。", field="domain")
        return value
    match = _CONTRACTOR_DOMAIN.fullmatch(value)
    if match is None:
        raise refuse("INVALID_DOMAIN", "该角色须授予在某一承接主体，范围格式为 contractor:<编号>。", field="domain")
    if not await Contractor.filter(id=int(match.group(1))).using_db(conn).exists():
        raise refuse("INVALID_DOMAIN", f"承接主体 {match.group(1)} 不存在。", field="domain")
    return value


# ---------------------------------------------------------------------------------------------------------
# Account changes. The caller (``schema``) has found the account among those the administrator manages
# (``policies.scope.manageable_accounts``) and checked the policy; these functions apply the rules, write,
# revoke sessions where the change requires it, and record the change in history — all on ``conn``.


def _refuse_self(user: User, actor: Actor, what: str) -> None:
    if user.pk == actor.user_id:
        raise refuse("SELF_CHANGE", f"不能{what}自己的账号：请由其他管理员办理。", field="account")


async def revoke_sessions(user: User, conn: BaseDBAsyncClient, *, keep: uuid.UUID | None = None) -> int:
    """Revoke every open session of ``user`` (except ``keep``); every worker refuses them on the next request."""
    qs = AuthSession.filter(user_id=user.pk, revoked_at__isnull=True)
    if keep is not None:
        qs = qs.exclude(id=keep)
    return await qs.using_db(conn).update(revoked_at=now())


async def create_account(
    username: str,
    display_name: str,
    password: str,
    *,
    actor: Actor,
    conn: BaseDBAsyncClient,
    domain: str | None = None,
) -> User:
    """A new account that must change its password at first sign-in (``USERNAME_TAKEN`` when the name is used).
    ``domain``: where its first role will be held (the organisation's names are refused in the password)."""
    name = normalise_username(username)
    shown = normalise_display_name(display_name)
    password = check_password(password, name, context=await account_words(shown, [domain] if domain else [], conn))
    if await User.filter(username=name).using_db(conn).exists():
        raise refuse("USERNAME_TAKEN", f"用户名“{name}”已被使用，请换一个。", field="username")
    password_hash = await asyncio.to_thread(hash_password, password)
    return await create_recorded(
        User,
        actor=actor,
        conn=conn,
        note="createAccount",
        username=name,
        display_name=shown,
        password_hash=password_hash,
        must_change_password=True,
        password_changed_at=now(),
        created_by_id=actor.user_id,
    )


async def deactivate_account(user: User, *, reason: str, actor: Actor, conn: BaseDBAsyncClient) -> User:
    """Stop an account: it cannot sign in, and its open sessions are revoked at once (every worker)."""
    _refuse_self(user, actor, "停用")
    if len(reason) > 500:
        raise refuse("TOO_LONG", "停用原因最多500个字符。", field="reason")
    if not user.is_active:
        raise refuse("INVALID_STATE", "该账号已是停用状态。", field="account")
    await revoke_sessions(user, conn)
    return await update_fields(
        user, {"is_active": False}, actor=actor, conn=conn, note=f"deactivateAccount：{reason}".rstrip("：")
    )


async def reactivate_account(user: User, *, actor: Actor, conn: BaseDBAsyncClient) -> User:
    """Let a stopped account sign in again (its old sessions stay revoked)."""
    if user.is_active:
        raise refuse("INVALID_STATE", "该账号已是启用状态。", field="account")
    return await update_fields(user, {"is_active": True}, actor=actor, conn=conn, note="reactivateAccount")


async def reset_password(user: User, password: str, *, actor: Actor, conn: BaseDBAsyncClient) -> User:
    """An administrator sets a new password: the user must change it at next sign-in; sessions are revoked."""
    _refuse_self(user, actor, "重置")
    context = await account_words(user.display_name, [d for _, d in await roles_of(user, conn)], conn)
    password = check_password(password, user.username, context=context, field="newPassword")
    password_hash = await asyncio.to_thread(hash_password, password)
    await revoke_sessions(user, conn)
    return await update_fields(
        user,
        {"password_hash": password_hash, "must_change_password": True, "password_changed_at": now()},
        actor=actor,
        conn=conn,
        note="resetPassword",
    )


async def change_own_password(
    user: User,
    old_password: str,
    new_password: str,
    *,
    session_id: uuid.UUID | None,
    actor: Actor,
    conn: BaseDBAsyncClient,
) -> User:
    """The user changes its own password (old one required); its other sessions are revoked."""
    if len(old_password) > MAX_PASSWORD_LENGTH or not await asyncio.to_thread(
        verify_password, user.password_hash, old_password
    ):
        raise refuse("WRONG_PASSWORD", "当前密码不正确。", field="oldPassword")
    context = await account_words(user.display_name, [d for _, d in await roles_of(user, conn)], conn)
    new_password = check_password(new_password, user.username, context=context, field="newPassword")
    if new_password == normalise_password(old_password):
        raise refuse("SAME_PASSWORD", "新密码不能与当前密码相同。", field="newPassword")
    password_hash = await asyncio.to_thread(hash_password, new_password)
    await revoke_sessions(user, conn, keep=session_id)
    return await update_fields(
        user,
        {"password_hash": password_hash, "must_change_password": False, "password_changed_at": now()},
        actor=actor,
        conn=conn,
        note="changeMyPassword",
    )


async def roles_of(user: User, conn: BaseDBAsyncClient | None = None) -> list[tuple[str, str]]:
    """``(role, domain)`` of every assignment of ``user``, in grant order."""
    rows = await RoleAssignment.filter(user_id=user.pk).order_by("id").using_db(conn).values_list("role", "domain")
    return [(str(role), domain) for role, domain in rows]


async def _record_roles(
    user: User, before: list[tuple[str, str]], *, actor: Actor, conn: BaseDBAsyncClient, note: str
) -> None:
    """History of a role change, on the account: its roles before and after (readable with the account)."""
    after = await roles_of(user, conn)
    await ChangeRecord.create(
        entity_type=type(user).__name__,
        entity_id=str(user.pk),
        action=ChangeAction.UPDATE,
        actor_id=actor.user_id,
        actor_name=actor.name,
        before={"roles": [f"{r}@{d}" for r, d in before]},
        after={"roles": [f"{r}@{d}" for r, d in after]},
        note=note,
        using_db=conn,
    )


async def grant_role(user: User, role: Role, domain: str, *, actor: Actor, conn: BaseDBAsyncClient) -> User:
    """Give ``user`` ``role`` in ``domain`` (already normalised and allowed by policy); recorded on the account.

    Nobody changes their own roles (``SELF_CHANGE``): an administrator could otherwise widen its own scope.
    """
    _refuse_self(user, actor, "修改")
    before = await roles_of(user, conn)
    if (role.value, domain) in before:
        raise refuse("ALREADY_GRANTED", f"该账号已在 {domain} 拥有此角色。", field="role")
    await RoleAssignment.create(user_id=user.pk, role=role, domain=domain, using_db=conn)
    await _record_roles(user, before, actor=actor, conn=conn, note=f"grantRole {role.value}@{domain}")
    return user


async def revoke_role(user: User, role: Role, domain: str, *, actor: Actor, conn: BaseDBAsyncClient) -> User:
    """Take ``role`` in ``domain`` from ``user``; enforced on the account's next request in every worker."""
    _refuse_self(user, actor, "修改")
    before = await roles_of(user, conn)
    deleted = await RoleAssignment.filter(user_id=user.pk, role=role, domain=domain.strip()).using_db(conn).delete()
    if not deleted:
        raise refuse("NOT_GRANTED", f"该账号在 {domain.strip()} 没有此角色。", field="role")
    await _record_roles(user, before, actor=actor, conn=conn, note=f"revokeRole {role.value}@{domain.strip()}")
    return user


# ---------------------------------------------------------------------------------------------------------
# Sign-in abuse: failed attempts are counted in the database, so every worker and host sees the same count.

FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20


#: How long sign-in attempts are kept for audit (网络安全法第二十一条: network logs at least six months).
ATTEMPT_RETENTION = dt.timedelta(days=183)


async def record_login_attempt(username: str, client_ip: str, *, succeeded: bool) -> None:
    """Audit one sign-in attempt (never the password), and drop those older than :data:`ATTEMPT_RETENTION` (an
    index range delete, nearly free when there is nothing to drop), so a password-guessing flood cannot grow
    the table without bound."""
    await LoginAttempt.create(username=username[:64], client_ip=client_ip[:64], succeeded=succeeded)
    await LoginAttempt.filter(at__lt=now() - ATTEMPT_RETENTION).delete()


def _locked_until(failures: list[dt.datetime], limit: int, since: dt.datetime) -> dt.datetime | None:
    """When the oldest of the last ``limit`` failures leaves the window (``None`` when under the limit)."""
    recent = [at for at in failures if at >= since]
    if len(recent) < limit:
        return None
    return min(recent[:limit]) + FAILURE_WINDOW


async def check_login_allowed(username: str, client_ip: str) -> None:
    """Refuse (``TOO_MANY_ATTEMPTS``) before any password check when there were too many recent failures.

    5 failures for one username (since its last success) or 20 from one client address within 15 minutes;
    the message says when to retry. Refused attempts are not counted, so a lock ends 15 minutes after the
    failures that caused it.
    """
    current = now()
    since = current - FAILURE_WINDOW
    last_success = await (
        LoginAttempt.filter(username=username[:64], succeeded=True, at__gte=since)
        .order_by("-at")
        .limit(1)
        .values_list("at", flat=True)
    )
    by_name = await (
        LoginAttempt.filter(username=username[:64], succeeded=False, at__gte=last_success[0] if last_success else since)
        .order_by("-at")
        .limit(MAX_FAILURES_PER_USERNAME)
        .values_list("at", flat=True)
    )
    by_address = await (
        LoginAttempt.filter(client_ip=client_ip[:64], succeeded=False, at__gte=since)
        .order_by("-at")
        .limit(MAX_FAILURES_PER_ADDRESS)
        .values_list("at", flat=True)
    )
    until = max(
        (
            t
            for t in (
                _locked_until(list(by_name), MAX_FAILURES_PER_USERNAME, since),
                _locked_until(list(by_address), MAX_FAILURES_PER_ADDRESS, since),
            )
            if t is not None
        ),
        default=None,
    )
    if until is not None and until > current:
        local = until.astimezone(SHANGHAI)
        minutes = max(1, -(-int((until - current).total_seconds()) // 60))
        raise refuse(
            "TOO_MANY_ATTEMPTS",
            f"登录失败次数过多，已暂时锁定。请于 {local:%H:%M}（约{minutes}分钟后）再试。",
            field="username",
        )


# ---------------------------------------------------------------------------------------------------------
# Machine clients (第十四条: a contractor's own system keeps its ledgers in step).

API_KEY_SCHEME = "jz_"
API_KEY_MAX_NAME = 100
API_KEY_MAX_ACTIVE = 20
_PREFIX_HEX = 12


def hash_api_secret(secret: str) -> str:
    """SHA-256 of an API key's secret part (the secret is 256 random bits: no slow hash needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_api_key(key: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a ``jz_<prefix>_<secret>`` key, ``None`` when it is not one."""
    if not key.startswith(API_KEY_SCHEME) or len(key) > 120:
        return None
    prefix, sep, secret = key[len(API_KEY_SCHEME) :].partition("_")
    if not sep or len(prefix) != _PREFIX_HEX or not secret or any(c not in "0123456789abcdef" for c in prefix):
        return None
    return prefix, secret


def one_year_after(moment: dt.datetime) -> dt.datetime:
    """The same instant a year later (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


async def issue_api_key(
    contractor_id: int, name: str, expires_at: dt.datetime, *, actor: Actor, conn: BaseDBAsyncClient
) -> tuple[ApiKey, str]:
    """A new key for ``contractor_id``'s ledger sync, role ``contractor_ledger`` only; returns it with the
    full key, which is shown this once (only its prefix and a SHA-256 of the secret are stored)."""
    label = name.strip()
    if not label:
        raise refuse("REQUIRED", "请填写密钥名称（例如“台账同步系统”）。", field="name")
    if len(label) > API_KEY_MAX_NAME:
        raise refuse("TOO_LONG", f"密钥名称最多{API_KEY_MAX_NAME}个字符。", field="name")
    expiry = expires_at if expires_at.tzinfo is not None else expires_at.replace(tzinfo=SHANGHAI)
    issued = now()
    if expiry <= issued:
        raise refuse("INVALID_EXPIRY", "过期时间须晚于当前时间。", field="expiresAt")
    if expiry > one_year_after(issued):
        raise refuse("INVALID_EXPIRY", "API密钥有效期最长一年，请缩短过期时间。", field="expiresAt")
    domain = f"contractor:{contractor_id}"
    active = await ApiKey.filter(domain=domain, revoked_at__isnull=True, expires_at__gt=issued).using_db(conn).count()
    if active >= API_KEY_MAX_ACTIVE:
        raise refuse(
            "TOO_MANY_KEYS", f"每个承接主体最多{API_KEY_MAX_ACTIVE}个有效密钥，请先注销不用的密钥。", field="contractor"
        )
    prefix = secrets.token_hex(_PREFIX_HEX // 2)
    secret = secrets.token_urlsafe(32)
    key = await create_recorded(
        ApiKey,
        actor=actor,
        conn=conn,
        note="issueApiKey",
        name=label,
        prefix=prefix,
        key_hash=hash_api_secret(secret),
        role=Role.CONTRACTOR_LEDGER,
        domain=domain,
        created_by_id=actor.user_id,
        expires_at=expiry,
    )
    return key, f"{API_KEY_SCHEME}{prefix}_{secret}"


async def revoke_api_key(key: ApiKey, *, actor: Actor, conn: BaseDBAsyncClient) -> ApiKey:
    """Revoke a key: refused (``API_KEY_REVOKED``) on its next use, in every worker."""
    if key.revoked_at is not None:
        raise refuse("INVALID_STATE", "该密钥已注销。", field="apiKey")
    return await update_fields(key, {"revoked_at": now()}, actor=actor, conn=conn, note="revokeApiKey")
