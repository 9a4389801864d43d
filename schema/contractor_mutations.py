"""Contractor mutations: a contractor keeps its own profile (Art. 5)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import strawberry
from tortoise.transactions import in_transaction

from models import Contractor as ContractorRow
from models.contractors import PROFILE_FIELDS, profile_problems
from models.enums import ChangeAction
from models.history import record_change, snapshot
from policies.enforcer import allowed
from policies.scope import scoped
from schema.base import from_row
from schema.context import Info
from schema.contractors import Contractor
from schema.errors import ClientError
from schema.filters import pk_of


@strawberry.enum(description="Why a contractor change was refused. 承接主体变更错误码。")
class ContractorErrorCode(StrEnum):
    """Stable codes."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_ID = "INVALID_ID"
    NOTHING_TO_CHANGE = "NOTHING_TO_CHANGE"


@strawberry.type(description="A refused contractor change. 错误。")
class ContractorError:
    """Typed error."""

    code: ContractorErrorCode = strawberry.field(description="Stable error code.")
    message: str = strawberry.field(description="Explanation in Chinese. 错误说明。")
    field: str | None = strawberry.field(description="Input field at fault (camelCase), if any.")


@strawberry.input(description="Changes to your own contractor profile; omitted fields stay as they are.")
class UpdateContractorProfileInput:
    """Profile changes."""

    contractor: strawberry.ID = strawberry.field(description="Global ID of your contractor. 承接主体ID。")
    contact_person: str | None = strawberry.field(default=None, description="Contact person, at most 50. 联系人。")
    contact_phone: str | None = strawberry.field(
        default=None, description="Mobile or landline with area code, at most 30. 联系电话。"
    )
    address: str | None = strawberry.field(default=None, description="Address, at most 200. 地址。")


@strawberry.type(description="Result of `updateContractorProfile`.")
class UpdateContractorProfilePayload:
    """Changed profile or errors."""

    contractor: Contractor | None = strawberry.field(description="The profile after the change; null when refused.")
    errors: list[ContractorError] = strawberry.field(description="Why it was refused; empty on success.")


_CAMEL = {"contact_person": "contactPerson", "contact_phone": "contactPhone", "address": "address"}
NOT_FOUND = ContractorError(
    code=ContractorErrorCode.NOT_FOUND, message="承接主体不存在或无权访问。", field="contractor"
)


def _refused(*errors: ContractorError) -> UpdateContractorProfilePayload:
    return UpdateContractorProfilePayload(contractor=None, errors=list(errors))


async def update_contractor_profile(
    info: Info,
    input: Annotated[UpdateContractorProfileInput, strawberry.argument(description="The changes. 变更内容。")],
) -> UpdateContractorProfilePayload:
    """A contractor edits its own contact details; the change is recorded in history."""
    principal = info.context.principal
    try:
        pk = pk_of(input.contractor, "Contractor")
    except ClientError:
        return _refused(NOT_FOUND)
    if not isinstance(pk, int):
        return _refused(NOT_FOUND)
    if not await scoped(principal, ContractorRow).filter(id=pk).exists():
        return _refused(NOT_FOUND)
    if not allowed(principal, "update_profile", "contractor", f"contractor:{pk}"):
        return _refused(
            ContractorError(
                code=ContractorErrorCode.FORBIDDEN, message="只有承接主体本身可以修改其资料。", field="contractor"
            )
        )
    changes = {name: getattr(input, name) for name in PROFILE_FIELDS if getattr(input, name) is not None}
    if not changes:
        return _refused(
            ContractorError(code=ContractorErrorCode.NOTHING_TO_CHANGE, message="没有需要修改的内容。", field=None)
        )
    problems = profile_problems(changes)
    if problems:
        return _refused(
            *(
                ContractorError(code=ContractorErrorCode(p.code), message=p.message, field=_CAMEL[p.field])
                for p in problems
            )
        )
    async with in_transaction() as conn:
        row = await ContractorRow.select_for_update().using_db(conn).get(id=pk)
        before = snapshot(row)
        for name, value in changes.items():
            setattr(row, name, value.strip())
        await row.save(using_db=conn, update_fields=[*changes, "updated_at"])
        await record_change(
            row,
            ChangeAction.UPDATE,
            actor_id=principal.user_id,
            actor_name=principal.actor_name,
            before=before,
            using_db=conn,
        )
    return UpdateContractorProfilePayload(contractor=from_row(Contractor, row), errors=[])
