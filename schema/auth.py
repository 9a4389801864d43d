"""Sign-in, sign-out and ``me``; and the gate that holds an account to ``changeMyPassword`` while its
password must be changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

import strawberry
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from models import Contractor as ContractorRow
from models import District as DistrictRow
from models.rules import RuleViolation
from policies.principal import PASSWORD_CHANGE_MESSAGE, PASSWORD_CHANGE_REQUIRED, Principal
from schema import enums
from schema.base import load_one
from schema.context import Info
from schema.contractors import Contractor
from schema.errors import ClientError
from schema.geography import District


@strawberry.enum(description="Why sign-in or sign-out was refused.")
class AuthErrorCode(StrEnum):
    """Stable codes for programs."""

    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    NOT_SIGNED_IN = "NOT_SIGNED_IN"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_TEXT = "INVALID_TEXT"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"


@strawberry.type(description="A refusal with a stable code and a Chinese message. 错误。")
class AuthError:
    """Typed sign-in error."""

    code: AuthErrorCode = strawberry.field(description="Stable error code.")
    message: str = strawberry.field(description="What went wrong, in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="The input field at fault, if any.")


@strawberry.type(description="A role the caller holds in a domain. 角色授权。")
class RoleGrant:
    """Role in a domain."""

    role: enums.Role = strawberry.field(description="The role. 角色。")
    domain: str = strawberry.field(
        description="Where it applies: `district:<code>`, `district:*` (whole city) or `contractor:<n>`. 范围。"
    )
    district_code: strawberry.Private[str | None]
    contractor_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, role: str, domain: str) -> RoleGrant:
        """A grant from a stored ``(role, domain)``."""
        kind, _, value = domain.partition(":")
        return cls(
            role=enums.Role(role),
            domain=domain,
            district_code=value if kind == "district" and value != "*" else None,
            contractor_id=int(value) if kind == "contractor" and value.isdigit() else None,
        )

    @strawberry.field(description="The district, when the role is held in one district. 所属区。")
    async def district(self, info: Info) -> District | None:
        """District of the grant."""
        return await load_one(info, District, DistrictRow, self.district_code)

    @strawberry.field(description="The contractor, when the role is held for a contractor. 所属承接主体。")
    async def contractor(self, info: Info) -> Contractor | None:
        """Contractor of the grant."""
        return await load_one(info, Contractor, ContractorRow, self.contractor_id)


@strawberry.type(description="Who is calling. 当前用户。")
class Me:
    """The signed-in user."""

    username: str = strawberry.field(description="Sign-in name. 用户名。")
    display_name: str = strawberry.field(description="Display name. 姓名。")
    must_change_password: bool = strawberry.field(description="True when the password must be changed now.")
    roles: list[RoleGrant] = strawberry.field(description="Roles and the scopes they apply to. 角色与范围。")

    @classmethod
    def of(cls, principal: Principal) -> Me:
        """From the request's principal."""
        return cls(
            username=principal.username,
            display_name=principal.display_name,
            must_change_password=principal.must_change_password,
            roles=[RoleGrant.of(a.role, a.domain) for a in principal.assignments],
        )


@strawberry.input(description="Credentials. 登录信息。")
class LoginInput:
    """Username and password."""

    username: str = strawberry.field(description="Sign-in name (at most 64 characters). 用户名。")
    password: str = strawberry.field(description="Password (at most 256 characters). 密码。")


@strawberry.type(description="Result of `login`. 登录结果。")
class LoginPayload:
    """Token or errors."""

    token: str | None = strawberry.field(description="Bearer token: send `Authorization: Bearer <token>`. 令牌。")
    expires_at: dt.datetime | None = strawberry.field(description="When the token expires. 过期时间。")
    me: Me | None = strawberry.field(description="Who you are now signed in as.")
    errors: list[AuthError] = strawberry.field(description="Why sign-in was refused; empty on success.")


@strawberry.type(description="Result of `logout`. 退出结果。")
class LogoutPayload:
    """Whether the token was revoked."""

    revoked: bool = strawberry.field(description="True when the token used for this request is now revoked.")
    errors: list[AuthError] = strawberry.field(description="Why nothing was revoked; empty on success.")


BAD_CREDENTIALS = AuthError(code=AuthErrorCode.INVALID_CREDENTIALS, message="用户名或密码错误。", field=None)


async def login(
    info: Info,
    input: Annotated[LoginInput, strawberry.argument(description="Credentials. 登录信息。")],
) -> LoginPayload:
    """Sign in; a wrong username or password gives the same error (no account probing). After 5 failures for
    a username or 20 from one address within 15 minutes, attempts are refused unchecked for a while."""
    if len(input.username) > 64 or len(input.password) > 256:
        return LoginPayload(token=None, expires_at=None, me=None, errors=[BAD_CREDENTIALS])
    try:
        result = await info.context.auth.login(input.username, input.password, client_ip=client_address(info))
    except RuleViolation as exc:
        problem = exc.problems[0]
        error = AuthError(code=AuthErrorCode.TOO_MANY_ATTEMPTS, message=problem.message, field=problem.field)
        return LoginPayload(token=None, expires_at=None, me=None, errors=[error])
    if result is None:
        return LoginPayload(token=None, expires_at=None, me=None, errors=[BAD_CREDENTIALS])
    principal, issued = result
    return LoginPayload(token=issued.token, expires_at=issued.expires_at, me=Me.of(principal), errors=[])


async def logout(info: Info) -> LogoutPayload:
    """Revoke the token of this request."""
    if not await info.context.auth.logout(info.context.principal):
        return LogoutPayload(
            revoked=False,
            errors=[AuthError(code=AuthErrorCode.NOT_SIGNED_IN, message="当前未登录，无需退出。", field=None)],
        )
    return LogoutPayload(revoked=True, errors=[])


def client_address(info: Info) -> str:
    """The caller's address, as the ASGI server reports it: the TCP peer's, or the client's from
    ``X-Forwarded-For`` only when the peer is one of ``JIUZHU_TRUSTED_PROXIES`` (``api.cli.uvicorn_options``).
    Nothing in the app reads forwarded headers itself."""
    request = info.context.request
    client = request.client if request is not None else None
    return client.host[:64] if client is not None and client.host else "unknown"


# ---------------------------------------------------------------------------------------------------------
# While an account must change its password (new account, or reset by an administrator), it may only do this.

PASSWORD_CHANGE_FIELDS = frozenset({"me", "changeMyPassword", "logout", "__typename", "__schema", "__type"})


def _root_fields(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]) -> Iterator[str]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _root_fields(fragment.selection_set, fragments)


class PasswordChangeGate(SchemaExtension):
    """The one place that holds an account to its password change: while ``mustChangePassword`` is true, an
    operation selecting anything but ``me``, ``changeMyPassword`` and ``logout`` is refused whole, before it
    runs, with ``extensions.code = PASSWORD_CHANGE_REQUIRED``."""

    def on_execute(self) -> Iterator[None]:
        """Refuse before execution (nothing is read or written)."""
        ctx = self.execution_context
        principal = getattr(ctx.context, "principal", None)
        if principal is not None and principal.must_change_password and ctx.graphql_document is not None:
            definitions = ctx.graphql_document.definitions
            fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
            operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
            if ctx.operation_name:
                operations = [o for o in operations if o.name is not None and o.name.value == ctx.operation_name]
            asked = {name for op in operations[:1] for name in _root_fields(op.selection_set, fragments)}
            if asked - PASSWORD_CHANGE_FIELDS:
                ctx.result = ExecutionResult(
                    data=None, errors=[ClientError(PASSWORD_CHANGE_REQUIRED, PASSWORD_CHANGE_MESSAGE)]
                )
        yield
