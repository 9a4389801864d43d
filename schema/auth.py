"""Sign-in, sign-out and ``me``."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import strawberry

from models import Contractor as ContractorRow
from models import District as DistrictRow
from policies.principal import Principal
from schema import enums
from schema.base import load_one
from schema.context import Info
from schema.contractors import Contractor
from schema.geography import District


@strawberry.enum(description="Why sign-in or sign-out was refused.")
class AuthErrorCode(StrEnum):
    """Stable codes for programs."""

    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    NOT_SIGNED_IN = "NOT_SIGNED_IN"
    INVALID_INPUT = "INVALID_INPUT"


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
        grants = []
        for a in principal.assignments:
            district = a.value if a.kind == "district" and a.value != "*" else None
            contractor = int(a.value) if a.kind == "contractor" and a.value.isdigit() else None
            grants.append(
                RoleGrant(role=enums.Role(a.role), domain=a.domain, district_code=district, contractor_id=contractor)
            )
        return cls(
            username=principal.username,
            display_name=principal.display_name,
            must_change_password=principal.must_change_password,
            roles=grants,
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
    """Sign in; a wrong username or password gives the same error (no account probing)."""
    if len(input.username) > 64 or len(input.password) > 256:
        return LoginPayload(token=None, expires_at=None, me=None, errors=[BAD_CREDENTIALS])
    result = await info.context.auth.login(input.username, input.password)
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
