"""The root ``Mutation``: sign-in plus each domain's mutation type (one module per domain)."""

from __future__ import annotations

import strawberry

from schema import (
    account_mutations,
    auth,
    contract_mutations,
    contractor_mutations,
    ledger_mutations,
    plan_mutations,
    procurement_mutations,
    staffing_mutations,
    training_mutations,
)


@strawberry.type(description="Changes. Each mutation takes one `input` and returns a payload with `errors`. 变更。")
class Mutation(
    plan_mutations.Mutation,
    procurement_mutations.Mutation,
    contract_mutations.Mutation,
    account_mutations.Mutation,
    staffing_mutations.Mutation,
    training_mutations.Mutation,
    ledger_mutations.Mutation,
):
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
