"""Accounts, roles and API keys: administrators manage the people and machine clients of their own scope.

Who administers whom is policy (``policies/policy.csv``, section "Accounts and roles"): the city administrator
manages every account; a district administrator the accounts whose every role it could grant (its district's
purchaser, agency and administrator roles in its own district); a contractor administrator its organisation's
staff, and its API keys (ledger sync, 第十四条). An account outside the caller's scope does not exist for it
(``NOT_FOUND``); a role or domain it may not grant is ``FORBIDDEN``; the rules (password strength, unique
usernames, nobody changes their own roles) are in ``models.accounts``. Every change is in the account's
``history``; role changes and deactivations take effect on the account's next request in every worker, because
``api.auth`` reads sessions and role assignments from the database on each request.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

import strawberry
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery

from models import ApiKey as ApiKeyRow
from models import ChangeRecord
from models import Contractor as ContractorRow
from models import LoginAttempt as LoginAttemptRow
from models import RoleAssignment as RoleAssignmentRow
from models import User as UserRow
from models import accounts as account_rules
from models.enums import Role as RoleValue
from models.rules import RuleViolation, refuse
from models.timeutil import now
from policies.enforcer import allowed
from policies.principal import Principal
from policies.scope import NOTHING, in_domains, manageable_accounts
from schema import enums
from schema.auth import Me, RoleGrant, client_address
from schema.base import converter, load_one
from schema.context import Info
from schema.contractors import Contractor
from schema.errors import ClientError, InvalidArgument, InvalidId
from schema.mutation_support import (
    FORBIDDEN_MESSAGE,
    NOT_FOUND_MESSAGE,
    actor_of,
    errors_of,
    payload_of,
    refused,
    run_in_transaction,
    visible_row,
)
from schema.node import ChangeEntry, Historied
from schema.pagination import After, Connection, First, paginate, parse_pk
from schema.relay import decode_id, encode_id

ROLE_LABELS = {
    RoleValue.DISTRICT_PURCHASER: "购买主体",
    RoleValue.DISTRICT_AGENCY: "实施主体",
    RoleValue.FINANCE: "财政局",
    RoleValue.CITY_CIVIL_AFFAIRS: "市民政局",
    RoleValue.CONTRACTOR: "承接主体",
    RoleValue.CITY_ADMIN: "市级管理员",
    RoleValue.DISTRICT_ADMIN: "区级管理员",
    RoleValue.CONTRACTOR_ADMIN: "承接主体管理员",
    RoleValue.CONTRACTOR_LEDGER: "台账同步（机器）",
}

# ---------------------------------------------------------------------------------------------------------
# Errors


@strawberry.enum(description="Why an account, role or API key change was refused. 账号与权限变更错误码。")
class AccountErrorCode(StrEnum):
    """Stable codes."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_STATE = "INVALID_STATE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_USERNAME = "INVALID_USERNAME"
    USERNAME_TAKEN = "USERNAME_TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    WRONG_PASSWORD = "WRONG_PASSWORD"
    SAME_PASSWORD = "SAME_PASSWORD"
    NOT_SIGNED_IN = "NOT_SIGNED_IN"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    SELF_CHANGE = "SELF_CHANGE"
    INVALID_ROLE = "INVALID_ROLE"
    INVALID_DOMAIN = "INVALID_DOMAIN"
    ALREADY_GRANTED = "ALREADY_GRANTED"
    NOT_GRANTED = "NOT_GRANTED"
    INVALID_EXPIRY = "INVALID_EXPIRY"
    TOO_MANY_KEYS = "TOO_MANY_KEYS"


@strawberry.type(description="A refused account, role or API key change. 账号与权限变更错误。")
class AccountError:
    """Typed error."""

    code: AccountErrorCode = strawberry.field(description="Stable error code. 错误码。")
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="Input field at fault (camelCase), if any. 出错字段。")
    article: str | None = strawberry.field(
        description="Article of 泰政办发〔2019〕53号 the rule comes from, if any (account rules have none). 依据条款。"
    )


def _errors(exc: RuleViolation) -> list[AccountError]:
    return errors_of(exc, AccountError, AccountErrorCode)


def _error(code: AccountErrorCode, message: str, field: str | None) -> AccountError:
    return AccountError(code=code, message=message, field=field, article=None)


# ---------------------------------------------------------------------------------------------------------
# Types


@strawberry.type(description="One sign-in attempt (never the password). 登录记录。")
class SignInAttempt:
    """A row of the sign-in audit."""

    at: dt.datetime = strawberry.field(description="When. 时间。")
    client_ip: str = strawberry.field(description="The client's address. 客户端地址。")
    succeeded: bool = strawberry.field(description="True when the password was right and the account active.")
    row: strawberry.Private[Any]


@strawberry.type(
    description="An account (a person who signs in), as its administrators see it (and its holder, through "
    "`node(id:)`). 账号。"
)
class Account(Historied):
    """A ``User`` row in the caller's administrative scope (or the caller's own)."""

    username: str = strawberry.field(description="Sign-in name. 用户名。")
    display_name: str = strawberry.field(description="Name shown in history. 姓名。")
    is_active: bool = strawberry.field(description="False when deactivated: it cannot sign in. 是否启用。")
    must_change_password: bool = strawberry.field(
        description="True until the user changes the password an administrator set. 须修改密码。"
    )
    created_at: dt.datetime = strawberry.field(description="When the account was created. 创建时间。")
    password_changed_at: dt.datetime | None = strawberry.field(description="When the password was last set.")
    roles: list[RoleGrant] = strawberry.field(description="Roles and the scopes they apply to. 角色与范围。")

    @classmethod
    def of(cls, row: UserRow, roles: list[tuple[str, str]]) -> Account:
        """From a row and its ``(role, domain)`` assignments."""
        return cls(
            id=strawberry.ID(encode_id("Account", row.pk)),
            username=row.username,
            display_name=row.display_name,
            is_active=row.is_active,
            must_change_password=row.must_change_password,
            created_at=row.created_at,
            password_changed_at=row.password_changed_at,
            roles=[RoleGrant.of(role, domain) for role, domain in roles],
            row=row,
        )

    @strawberry.field(
        description="Every change of this account and its roles (who, when, before/after), oldest first. 变更记录。"
    )
    async def history(self, first: First = 20, after: After = None) -> Connection[ChangeEntry]:
        """The account's history; reachable only through an account in the caller's scope."""
        qs = ChangeRecord.filter(entity_type="User", entity_id=str(self.row.pk))
        return await paginate(qs, first, after, converter(ChangeEntry))

    @strawberry.field(description="Sign-in attempts with this username, oldest first (no passwords). 登录记录。")
    async def sign_in_attempts(self, first: First = 20, after: After = None) -> Connection[SignInAttempt]:
        """The account's sign-in audit."""
        qs = LoginAttemptRow.filter(username=self.row.username)
        return await paginate(
            qs, first, after, lambda r: SignInAttempt(at=r.at, client_ip=r.client_ip, succeeded=r.succeeded, row=r)
        )


async def _account(row: UserRow, conn: BaseDBAsyncClient | None = None) -> Account:
    return Account.of(row, await account_rules.roles_of(row, conn))


def _listed_account(row: UserRow) -> Account:
    assignments = sorted(row.role_assignments, key=lambda a: a.pk)
    return Account.of(row, [(str(a.role), a.domain) for a in assignments])


@strawberry.enum(description="Whether an API key works now. API密钥状态。")
class ApiKeyStatus(StrEnum):
    """Derived from revocation and expiry."""

    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@strawberry.type(description="A machine client's API key (the secret is never shown again). API密钥。")
class ApiKey(Historied):
    """An ``ApiKey`` row."""

    name: str = strawberry.field(description="What the key is for, e.g. 台账同步系统. 名称。")
    prefix: str = strawberry.field(
        description="Public part: the key reads `jz_<prefix>_<secret>`; use it to recognise a key. 前缀。"
    )
    role: enums.Role = strawberry.field(description="The only role it acts with: CONTRACTOR_LEDGER. 角色。")
    domain: str = strawberry.field(description="The contractor it acts for: `contractor:<id>`. 范围。")
    created_at: dt.datetime = strawberry.field(description="When it was issued. 签发时间。")
    expires_at: dt.datetime = strawberry.field(description="When it stops working (at most a year). 过期时间。")
    revoked_at: dt.datetime | None = strawberry.field(description="When it was revoked, if it was. 注销时间。")
    last_used_at: dt.datetime | None = strawberry.field(
        description="Last use, to the minute (written at most once a minute). 最近使用时间。"
    )

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKey:
        """From a row."""
        return cls(
            id=strawberry.ID(encode_id("ApiKey", row.pk)),
            name=row.name,
            prefix=row.prefix,
            role=enums.Role(str(row.role)),
            domain=row.domain,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            row=row,
        )

    @strawberry.field(description="ACTIVE, EXPIRED or REVOKED, now. 状态。")
    def status(self) -> ApiKeyStatus:
        """Computed."""
        if self.revoked_at is not None:
            return ApiKeyStatus.REVOKED
        return ApiKeyStatus.EXPIRED if self.expires_at <= now() else ApiKeyStatus.ACTIVE

    @strawberry.field(description="The contractor the key acts for. 所属承接主体。")
    async def contractor(self, info: Info) -> Contractor | None:
        """Contractor of the key's domain."""
        value = self.domain.partition(":")[2]
        return await load_one(info, Contractor, ContractorRow, int(value) if value.isdigit() else None)

    @strawberry.field(description="Issue and revocation of this key (who, when), oldest first. 变更记录。")
    async def history(self, first: First = 20, after: After = None) -> Connection[ChangeEntry]:
        """The key's history; reachable only through a key the caller may see."""
        qs = ChangeRecord.filter(entity_type="ApiKey", entity_id=str(self.row.pk))
        return await paginate(qs, first, after, converter(ChangeEntry))


# ---------------------------------------------------------------------------------------------------------
# Inputs


@strawberry.input(description="A new account; it must change its password at first sign-in. 新建账号。")
class CreateAccountInput:
    """New account."""

    username: str = strawberry.field(
        description="Sign-in name: 3–64 of a-z 0-9 _ . -, starting with a letter; unique. 用户名。"
    )
    display_name: str = strawberry.field(description="Name shown in history, at most 100 characters. 姓名。")
    password: str | None = strawberry.field(
        default=None,
        description="Initial password (NFKC-normalised; 10–256 characters, no control characters, hard to guess: "
        "zxcvbn score ≥ 3 and ≥ 10⁹ guesses, not leaning on the username, names or local words, not a common "
        "or demo password); omitted: one is generated and returned once. 初始密码。",
    )
    role: enums.Role | None = strawberry.field(
        default=None, description="A first role to grant (with `domain`), within what you may grant. 角色。"
    )
    domain: str | None = strawberry.field(
        default=None,
        description="Where `role` applies: `district:<code>`, `district:*` or `contractor:<id>`. 范围。",
    )


@strawberry.input(description="The account to deactivate; its sessions are revoked at once. 停用账号。")
class DeactivateAccountInput:
    """Account to deactivate."""

    account: strawberry.ID = strawberry.field(description="Global ID of the account. 账号ID。")
    reason: str = strawberry.field(default="", description="Why, at most 500 characters (kept in history). 原因。")


@strawberry.input(description="The account to reactivate. 启用账号。")
class ReactivateAccountInput:
    """Account to reactivate."""

    account: strawberry.ID = strawberry.field(description="Global ID of the account. 账号ID。")


@strawberry.input(description="An administrator resets another account's password. 重置密码。")
class ResetPasswordInput:
    """Password reset."""

    account: strawberry.ID = strawberry.field(description="Global ID of the account (not your own). 账号ID。")
    new_password: str | None = strawberry.field(
        default=None,
        description="The new password (same strength rules as `createAccount`); omitted: one is generated and "
        "returned once. The user must change it at next sign-in. 新密码。",
    )


@strawberry.input(description="Change your own password. 修改本人密码。")
class ChangeMyPasswordInput:
    """Own password change."""

    old_password: str = strawberry.field(description="Your current password. 当前密码。")
    new_password: str = strawberry.field(
        description="The new password (same strength rules as `createAccount`: hard to guess, 10–256 characters, "
        "no control characters). 新密码。"
    )


@strawberry.input(description="A role in a domain, given to or taken from an account. 授予或收回角色。")
class RoleChangeInput:
    """Role change."""

    account: strawberry.ID = strawberry.field(description="Global ID of the account (not your own). 账号ID。")
    role: enums.Role = strawberry.field(description="The role, within what you may grant. 角色。")
    domain: str = strawberry.field(
        description="Where it applies: `district:<code>`, `district:*` (whole city) or `contractor:<id>`. 范围。"
    )


@strawberry.input(description="A new API key for your organisation's ledger sync (第十四条). 签发API密钥。")
class IssueApiKeyInput:
    """New API key."""

    contractor: strawberry.ID = strawberry.field(description="Global ID of your contractor. 承接主体ID。")
    name: str = strawberry.field(description="What it is for, at most 100 characters. 名称。")
    expires_at: dt.datetime = strawberry.field(
        description="When it stops working: in the future and at most one year from now. 过期时间。"
    )


@strawberry.input(description="The API key to revoke. 注销API密钥。")
class RevokeApiKeyInput:
    """Key to revoke."""

    api_key: strawberry.ID = strawberry.field(description="Global ID of the key. 密钥ID。")


@strawberry.input(description="Filter for accounts; conditions combine with AND. 账号筛选。")
class AccountFilter:
    """Account filter."""

    username_contains: str | None = strawberry.field(
        default=None, description="Part of the username, at most 50 characters. 用户名包含。"
    )
    active: bool | None = strawberry.field(default=None, description="Only active (true) or deactivated (false).")
    role: enums.Role | None = strawberry.field(default=None, description="Only accounts holding this role. 角色。")
    domain: str | None = strawberry.field(
        default=None, description="Only accounts holding a role in this exact domain, e.g. district:321202. 范围。"
    )


# ---------------------------------------------------------------------------------------------------------
# Payloads


@strawberry.type(description="Result of `createAccount`.")
class CreateAccountPayload:
    """New account or errors."""

    account: Account | None = strawberry.field(description="The new account; null when refused. 账号。")
    initial_password: str | None = strawberry.field(
        description="The generated password, shown this once (null when you gave one). 初始密码（仅显示一次）。"
    )
    errors: list[AccountError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of an account or role change.")
class AccountPayload:
    """Changed account or errors."""

    account: Account | None = strawberry.field(description="The account after the change; null when refused.")
    errors: list[AccountError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `resetPassword`.")
class ResetPasswordPayload:
    """Reset account or errors."""

    account: Account | None = strawberry.field(description="The account after the reset; null when refused.")
    temporary_password: str | None = strawberry.field(
        description="The generated password, shown this once (null when you gave one). 临时密码（仅显示一次）。"
    )
    errors: list[AccountError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `changeMyPassword`.")
class ChangeMyPasswordPayload:
    """You, after the change, or errors."""

    me: Me | None = strawberry.field(description="You, after the change; null when refused. 当前用户。")
    errors: list[AccountError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `issueApiKey`.")
class IssueApiKeyPayload:
    """New key or errors."""

    api_key: ApiKey | None = strawberry.field(description="The new key (without its secret); null when refused.")
    key: str | None = strawberry.field(
        description="The full key `jz_<prefix>_<secret>`, shown this once; send it as `Authorization: Bearer "
        "<key>`. Only a hash is stored. 完整密钥（仅显示一次）。"
    )
    errors: list[AccountError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


@strawberry.type(description="Result of `revokeApiKey`.")
class ApiKeyPayload:
    """Revoked key or errors."""

    api_key: ApiKey | None = strawberry.field(description="The key after the change; null when refused. 密钥。")
    errors: list[AccountError] = strawberry.field(description="Why it was refused; empty on success. 错误。")


# ---------------------------------------------------------------------------------------------------------
# Lookups and policy checks


def _pk(global_id: strawberry.ID, type_name: str, model: type[Any]) -> Any:
    """The primary key in a global ID of ``type_name`` (``None`` when it is not one)."""
    try:
        name, raw = decode_id(str(global_id))
    except ClientError:
        return None
    return parse_pk(model, raw) if name == type_name else None


async def _managed(principal: Principal, global_id: strawberry.ID, conn: BaseDBAsyncClient) -> UserRow:
    """The account, locked for this transaction, if the caller administers it; ``NOT_FOUND`` otherwise."""
    pk = _pk(global_id, "Account", UserRow)
    row = None
    if pk is not None:
        row = await UserRow.filter(manageable_accounts(principal), pk=pk).select_for_update().using_db(conn).first()
    if row is None:
        raise refuse("NOT_FOUND", NOT_FOUND_MESSAGE, field="account")
    return row


def visible_accounts(principal: Principal) -> Q:
    """The accounts ``principal`` may look up: those it administers (as ``accounts`` lists them) and, signed in
    (not an API key, whose ``user_id`` is only the key's issuer), its own."""
    managed = manageable_accounts(principal)
    every = not managed.children and not managed.filters  # Q(): ORing it with anything narrows it in Tortoise
    if principal.user_id is None or principal.session_id is None or every:
        return managed
    own = Q(pk=principal.user_id)
    return own if managed is NOTHING else managed | own


async def account_node(info: Info, pk: Any) -> Account | None:
    """``node(id:)`` for an ``Account``: administered or one's own; ``None`` otherwise (batched per request)."""
    principal = info.context.principal

    async def load(keys: list[Any]) -> list[Account | None]:
        rows = await UserRow.filter(visible_accounts(principal), pk__in=keys).prefetch_related("role_assignments")
        found = {row.pk: _listed_account(row) for row in rows}
        return [found.get(k) for k in keys]

    return await info.context.loaders.custom("account_node", load).load(pk)


async def api_key_node(info: Info, pk: Any) -> ApiKey | None:
    """``node(id:)`` for an ``ApiKey``: only keys the ``apiKeys`` list would show the caller."""
    principal = info.context.principal

    async def load(keys: list[Any]) -> list[ApiKey | None]:
        rows = await ApiKeyRow.filter(in_domains(principal, "api_key", "read"), pk__in=keys)
        found = {row.pk: ApiKey.of(row) for row in rows}
        return [found.get(k) for k in keys]

    return await info.context.loaders.custom("api_key_node", load).load(pk)


def _check_grant(principal: Principal, role: RoleValue, domain: str) -> None:
    """``FORBIDDEN`` unless the policy lets the caller grant ``role`` in ``domain`` (naming what is wrong)."""
    obj = f"role:{role.value}"
    if allowed(principal, "grant", obj, domain):
        return
    label = ROLE_LABELS.get(role, role.value)
    if any(allowed(principal, "grant", obj, a.domain) for a in principal.assignments):
        raise refuse(
            "FORBIDDEN", f"您只能在本人管理的范围内授予或收回“{label}”角色，不能用于 {domain}。", field="domain"
        )
    raise refuse("FORBIDDEN", f"您无权授予或收回“{label}”角色。", field="role")


def _may_create(principal: Principal) -> bool:
    return any(allowed(principal, "create", "account", a.domain) for a in principal.assignments)


# ---------------------------------------------------------------------------------------------------------
# Account resolvers


async def create_account(
    info: Info, input: Annotated[CreateAccountInput, strawberry.argument(description="The new account. 新账号。")]
) -> CreateAccountPayload:
    """An administrator creates an account, optionally with a first role within what it may grant."""
    principal = info.context.principal
    if (input.role is None) != (input.domain is None):
        field = "domain" if input.domain is None else "role"
        return refused(CreateAccountPayload, _error(AccountErrorCode.REQUIRED, "角色与范围须同时填写。", field))
    if not _may_create(principal):
        return refused(CreateAccountPayload, _error(AccountErrorCode.FORBIDDEN, FORBIDDEN_MESSAGE, None))
    role = RoleValue(input.role.value) if input.role is not None else None
    domain = (input.domain or "").strip()
    generated = input.password is None
    password = account_rules.generate_password() if input.password is None else input.password
    actor = actor_of(principal)

    async def work(conn: BaseDBAsyncClient) -> UserRow:
        stored: str | None = None
        if role is not None:
            _check_grant(principal, role, domain)
            stored = await account_rules.normalise_grant(role, domain, conn)
        user = await account_rules.create_account(
            input.username, input.display_name, password, actor=actor, conn=conn, domain=stored
        )
        if role is not None and stored is not None:
            await account_rules.grant_role(user, role, stored, actor=actor, conn=conn)
        return user

    try:
        result = await run_in_transaction(work)
    except IntegrityError:
        result = refuse("USERNAME_TAKEN", "用户名已被使用，请换一个。", field="username")
    if isinstance(result, RuleViolation):
        return refused(CreateAccountPayload, *_errors(result))
    return CreateAccountPayload(
        account=await _account(result), initial_password=password if generated else None, errors=[]
    )


async def deactivate_account(
    info: Info, input: Annotated[DeactivateAccountInput, strawberry.argument(description="Account. 账号。")]
) -> AccountPayload:
    """Stop an account of your scope; its tokens stop working on their next request, in every worker."""
    principal = info.context.principal

    async def work(conn: BaseDBAsyncClient) -> Account:
        user = await _managed(principal, input.account, conn)
        user = await account_rules.deactivate_account(
            user, reason=input.reason.strip(), actor=actor_of(principal), conn=conn
        )
        return await _account(user, conn)

    result = await run_in_transaction(work)
    return payload_of(AccountPayload, result, _errors, account=lambda account: account)


async def reactivate_account(
    info: Info, input: Annotated[ReactivateAccountInput, strawberry.argument(description="Account. 账号。")]
) -> AccountPayload:
    """Let a deactivated account of your scope sign in again."""
    principal = info.context.principal

    async def work(conn: BaseDBAsyncClient) -> Account:
        user = await _managed(principal, input.account, conn)
        user = await account_rules.reactivate_account(user, actor=actor_of(principal), conn=conn)
        return await _account(user, conn)

    result = await run_in_transaction(work)
    return payload_of(AccountPayload, result, _errors, account=lambda account: account)


async def reset_password(
    info: Info, input: Annotated[ResetPasswordInput, strawberry.argument(description="The reset. 重置。")]
) -> ResetPasswordPayload:
    """Set a new password on an account of your scope; the user must change it at next sign-in."""
    principal = info.context.principal
    generated = input.new_password is None
    password = account_rules.generate_password() if input.new_password is None else input.new_password

    async def work(conn: BaseDBAsyncClient) -> Account:
        user = await _managed(principal, input.account, conn)
        user = await account_rules.reset_password(user, password, actor=actor_of(principal), conn=conn)
        return await _account(user, conn)

    result = await run_in_transaction(work)
    if isinstance(result, RuleViolation):
        return refused(ResetPasswordPayload, *_errors(result))
    return ResetPasswordPayload(account=result, temporary_password=password if generated else None, errors=[])


async def change_my_password(
    info: Info, input: Annotated[ChangeMyPasswordInput, strawberry.argument(description="Passwords. 密码。")]
) -> ChangeMyPasswordPayload:
    """Change your own password (the current one is required); your other sessions are signed out.

    A wrong current password counts as a failed sign-in, so a stolen token cannot be used to guess it.
    """
    principal = info.context.principal
    if principal.session_id is None or principal.user_id is None:
        message = "请先登录；API密钥不能修改密码。"
        return refused(ChangeMyPasswordPayload, _error(AccountErrorCode.NOT_SIGNED_IN, message, None))
    address = client_address(info)
    try:
        await account_rules.check_login_allowed(principal.username, address)
    except RuleViolation as exc:
        return refused(ChangeMyPasswordPayload, *_errors(exc))

    async def work(conn: BaseDBAsyncClient) -> UserRow:
        user = await UserRow.select_for_update().using_db(conn).get(pk=principal.user_id)
        return await account_rules.change_own_password(
            user,
            input.old_password,
            input.new_password,
            session_id=principal.session_id,
            actor=actor_of(principal),
            conn=conn,
        )

    result = await run_in_transaction(work)
    if isinstance(result, RuleViolation):
        if any(p.code == "WRONG_PASSWORD" for p in result.problems):
            await account_rules.record_login_attempt(principal.username, address, succeeded=False)
        return refused(ChangeMyPasswordPayload, *_errors(result))
    me = Me.of(principal)
    me.must_change_password = result.must_change_password
    return ChangeMyPasswordPayload(me=me, errors=[])


async def _role_change(info: Info, input: RoleChangeInput, *, grant: bool) -> AccountPayload:
    principal = info.context.principal
    role = RoleValue(input.role.value)
    domain = input.domain.strip()
    actor = actor_of(principal)

    async def work(conn: BaseDBAsyncClient) -> Account:
        user = await _managed(principal, input.account, conn)
        _check_grant(principal, role, domain)
        if grant:
            stored = await account_rules.normalise_grant(role, domain, conn)
            user = await account_rules.grant_role(user, role, stored, actor=actor, conn=conn)
        else:
            user = await account_rules.revoke_role(user, role, domain, actor=actor, conn=conn)
        return await _account(user, conn)

    try:
        result = await run_in_transaction(work)
    except IntegrityError:
        result = refuse("ALREADY_GRANTED", "该账号已拥有此角色。", field="role")
    return payload_of(AccountPayload, result, _errors, account=lambda account: account)


async def grant_role(
    info: Info, input: Annotated[RoleChangeInput, strawberry.argument(description="The grant. 授权。")]
) -> AccountPayload:
    """Give an account of your scope a role you may grant, in a domain within your own."""
    return await _role_change(info, input, grant=True)


async def revoke_role(
    info: Info, input: Annotated[RoleChangeInput, strawberry.argument(description="The role to take. 收回。")]
) -> AccountPayload:
    """Take a role from an account of your scope; enforced on its next request in every worker."""
    return await _role_change(info, input, grant=False)


# ---------------------------------------------------------------------------------------------------------
# API key resolvers


async def issue_api_key(
    info: Info, input: Annotated[IssueApiKeyInput, strawberry.argument(description="The new key. 新密钥。")]
) -> IssueApiKeyPayload:
    """A contractor administrator issues a key for its own ledger sync (第十四条); the key is shown once."""
    principal = info.context.principal
    contractor = await visible_row(principal, ContractorRow, input.contractor, "Contractor")
    if contractor is None:
        error = _error(AccountErrorCode.NOT_FOUND, "承接主体不存在或无权访问。", "contractor")
        return refused(IssueApiKeyPayload, error)
    if not allowed(principal, "issue", "api_key", f"contractor:{contractor.pk}"):
        error = _error(AccountErrorCode.FORBIDDEN, "只有本承接主体的管理员可以签发API密钥。", "contractor")
        return refused(IssueApiKeyPayload, error)
    result = await run_in_transaction(
        lambda conn: account_rules.issue_api_key(
            contractor.pk, input.name, input.expires_at, actor=actor_of(principal), conn=conn
        )
    )
    if isinstance(result, RuleViolation):
        return refused(IssueApiKeyPayload, *_errors(result))
    row, key = result
    return IssueApiKeyPayload(api_key=ApiKey.of(row), key=key, errors=[])


async def revoke_api_key(
    info: Info, input: Annotated[RevokeApiKeyInput, strawberry.argument(description="The key. 密钥。")]
) -> ApiKeyPayload:
    """Revoke a key you may see; it is refused (API_KEY_REVOKED) from its next use, in every worker."""
    principal = info.context.principal
    pk = _pk(input.api_key, "ApiKey", ApiKeyRow)
    row = None
    if pk is not None:
        row = await ApiKeyRow.filter(in_domains(principal, "api_key", "read"), pk=pk).first()
    if row is None:
        return refused(ApiKeyPayload, _error(AccountErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, "apiKey"))
    if not allowed(principal, "revoke", "api_key", row.domain):
        return refused(ApiKeyPayload, _error(AccountErrorCode.FORBIDDEN, FORBIDDEN_MESSAGE, "apiKey"))

    async def work(conn: BaseDBAsyncClient) -> ApiKeyRow:
        fresh = await ApiKeyRow.select_for_update().using_db(conn).get(pk=row.pk)
        return await account_rules.revoke_api_key(fresh, actor=actor_of(principal), conn=conn)

    result = await run_in_transaction(work)
    return payload_of(ApiKeyPayload, result, _errors, api_key=ApiKey.of)


# ---------------------------------------------------------------------------------------------------------
# Root fields


@strawberry.type
class Mutation:
    """Merged into ``schema.mutation.Mutation``."""

    create_account: CreateAccountPayload = strawberry.mutation(
        resolver=create_account,
        description="An administrator creates an account in its scope (optionally with a first role); the user "
        "must change the password at first sign-in. 新建账号。",
    )
    deactivate_account: AccountPayload = strawberry.mutation(
        resolver=deactivate_account,
        description="Stop an account of your scope and revoke its sessions at once. 停用账号。",
    )
    reactivate_account: AccountPayload = strawberry.mutation(
        resolver=reactivate_account, description="Let a deactivated account of your scope sign in again. 启用账号。"
    )
    reset_password: ResetPasswordPayload = strawberry.mutation(
        resolver=reset_password,
        description="Set a new password on an account of your scope (given or generated); sessions are revoked "
        "and the user must change it at next sign-in. 重置密码。",
    )
    change_my_password: ChangeMyPasswordPayload = strawberry.mutation(
        resolver=change_my_password,
        description="Change your own password (current one required); your other sessions are signed out. "
        "修改本人密码。",
    )
    grant_role: AccountPayload = strawberry.mutation(
        resolver=grant_role,
        description="Give an account of your scope a role you may grant, in a domain within yours. 授予角色。",
    )
    revoke_role: AccountPayload = strawberry.mutation(
        resolver=revoke_role,
        description="Take a role from an account of your scope; enforced on its next request. 收回角色。",
    )
    issue_api_key: IssueApiKeyPayload = strawberry.mutation(
        resolver=issue_api_key,
        description="A contractor administrator issues a ledger-sync API key (Art. 14), shown once, expiring within "
        "a year. 签发API密钥。",
    )
    revoke_api_key: ApiKeyPayload = strawberry.mutation(
        resolver=revoke_api_key, description="Revoke an API key you may see. 注销API密钥。"
    )


@strawberry.type
class AccountQuery:
    """Account administration reads; a base class of the root ``Query``."""

    @strawberry.field(description="Accounts you administer (empty for everyone else). 本人管理的账号。")
    async def accounts(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: Annotated[
            AccountFilter | None, strawberry.argument(description="Conditions, combined with AND. 筛选条件。")
        ] = None,
    ) -> Connection[Account]:
        """Accounts in the caller's administrative scope."""
        qs = UserRow.filter(manageable_accounts(info.context.principal))
        if filter is not None:
            if filter.username_contains:
                if len(filter.username_contains) > 50:
                    raise InvalidArgument("usernameContains 最多50个字符。")
                qs = qs.filter(username__icontains=filter.username_contains)
            if filter.active is not None:
                qs = qs.filter(is_active=filter.active)
            holders = RoleAssignmentRow.all()
            if filter.role is not None:
                holders = holders.filter(role=RoleValue(filter.role.value))
            if filter.domain is not None:
                if len(filter.domain) > 64:
                    raise InvalidArgument("domain 最多64个字符。")
                holders = holders.filter(domain=filter.domain.strip())
            if filter.role is not None or filter.domain is not None:
                qs = qs.filter(id__in=Subquery(holders.values("user_id")))
        return await paginate(qs.prefetch_related("role_assignments"), first, after, _listed_account)

    @strawberry.field(description="One account you administer; null otherwise. 账号。")
    async def account(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Global ID. 账号ID。")]
    ) -> Account | None:
        """An account in the caller's administrative scope."""
        pk = _pk(id, "Account", UserRow)
        if pk is None:
            return None
        row = await UserRow.filter(manageable_accounts(info.context.principal), pk=pk).first()
        return None if row is None else await _account(row)

    @strawberry.field(
        description="API keys you may see: your organisation's (contractor administrators), all (city "
        "administrator). Never the secret. API密钥。"
    )
    async def api_keys(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        contractor: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this contractor's keys. 承接主体ID。")
        ] = None,
    ) -> Connection[ApiKey]:
        """API keys in the caller's scope."""
        qs = ApiKeyRow.filter(in_domains(info.context.principal, "api_key", "read"))
        if contractor is not None:
            pk = _pk(contractor, "Contractor", ContractorRow)
            if pk is None:
                raise InvalidId
            qs = qs.filter(domain=f"contractor:{pk}")
        return await paginate(qs, first, after, ApiKey.of)
