"""The root ``Mutation``: sign-in plus each domain's mutations (one module per domain)."""

from __future__ import annotations

import importlib

import strawberry

from schema import auth, contractor_mutations

# Domain mutation modules, each exporting a strawberry type ``Mutation`` whose fields are merged here.
DOMAIN_MODULES = (
    "plan_mutations",
    "procurement_mutations",
    "contract_mutations",
    "account_mutations",
    "staffing_mutations",
    "ledger_mutations",
)


def _domain_parts() -> tuple[type, ...]:
    parts = []
    for name in DOMAIN_MODULES:
        try:
            module = importlib.import_module(f"schema.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"schema.{name}":
                raise
            continue
        parts.append(module.Mutation)
    return tuple(parts)


@strawberry.type(description="Changes. Each mutation takes one `input` and returns a payload with `errors`. 变更。")
class Mutation(*_domain_parts()):  # type: ignore[misc]
    """Root mutation."""

    login: auth.LoginPayload = strawberry.mutation(
        resolver=auth.login, description="Sign in with username and password; returns a bearer token. 登录。"
    )
    logout: auth.LogoutPayload = strawberry.mutation(
        resolver=auth.logout, description="Revoke the bearer token used for this request. 退出登录。"
    )
    update_contractor_profile: contractor_mutations.UpdateContractorProfilePayload = strawberry.mutation(
        resolver=contractor_mutations.update_contractor_profile,
        description="A contractor updates its own contact details (Art. 5). 承接主体修改本单位资料。",
    )
