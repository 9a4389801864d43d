"""What every mutation needs: who acts, may they, which row, and the payload it answers with.

Mutations follow one pattern (see ``schema/staffing_mutations.py``)::

    row = await visible_row(principal, Model, input.id, "TypeName")     # NOT_FOUND when hidden
    if row is None:
        return refused(XxxPayload, XxxError(code=XxxErrorCode.NOT_FOUND, ...))
    if not may(principal, "sign", row):                                 # FORBIDDEN (policy.csv)
        return refused(XxxPayload, XxxError(code=XxxErrorCode.FORBIDDEN, ...))
    result = await run_in_transaction(
        lambda conn: models.<domain>.<verb>(row, ..., actor=actor_of(principal), conn=conn)
    )
    return payload_of(XxxPayload, result, xxx_errors, thing=converter(Thing))

where ``xxx_errors(exc)`` is ``errors_of(exc, XxxError, XxxErrorCode)``. ``refused`` answers with the errors
and null in every other field; ``payload_of`` answers a refused rule (a returned :class:`RuleViolation`:
nothing was written) the same way, and a change with each keyword computed from the changed row — here
``XxxPayload(thing=from_row(Thing, result), errors=[])``. A payload with more than one thing to return
from a tuple, or with a value that is not computed from the row, checks ``isinstance(result, RuleViolation)``
itself and builds the success payload by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, ClassVar, Protocol, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.base import Owned
from models.codes import code_filter
from models.rules import Actor, Problem, RuleViolation
from policies.enforcer import allowed
from policies.principal import Principal
from policies.scope import scoped
from schema.errors import ClientError
from schema.filters import pk_of

M = TypeVar("M", bound=Model)
E = TypeVar("E")
T = TypeVar("T")


class Payload(Protocol):
    """A mutation payload: a Strawberry type (so a dataclass) with ``errors`` and nullable result fields."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def __init__(self, **fields: Any) -> None: ...


P = TypeVar("P", bound=Payload)

NOT_FOUND_MESSAGE = "对象不存在或无权访问。"
FORBIDDEN_MESSAGE = "您的角色无权执行此操作。"


def actor_of(principal: Principal) -> Actor:
    """The history actor for ``principal``."""
    return Actor(user_id=principal.user_id, name=principal.actor_name, account=principal.username)


def domains_of(row: Model) -> list[str]:
    """The policy domains a row lives in: ``district:<code>`` and/or ``contractor:<id>``."""
    out: list[str] = []
    owned: type[Owned] = type(row)  # type: ignore[assignment]
    if owned.district_path and "__" not in owned.district_path:
        value = getattr(row, owned.district_path, None)
        if value is not None:
            out.append(f"district:{value}")
    if owned.contractor_path and "__" not in owned.contractor_path:
        value = getattr(row, owned.contractor_path, None)
        if value is not None:
            out.append(f"contractor:{value}")
    return out or ["*"]


def may(principal: Principal, action: str, row: Model, obj: str | None = None) -> bool:
    """May ``principal`` do ``action`` to ``row``? (policy object defaults to the model's)."""
    name = obj or type(row).policy_object  # type: ignore[attr-defined]
    return any(allowed(principal, action, name, domain) for domain in domains_of(row))


def may_in_district(principal: Principal, action: str, obj: str, district_code: str) -> bool:
    """May ``principal`` do ``action`` to a new ``obj`` in ``district_code``?"""
    return allowed(principal, action, obj, f"district:{district_code}")


async def visible_row(principal: Principal, model: type[M], global_id: Any, type_name: str) -> M | None:
    """The row behind a global ID — or the human code of a type that has one (``models.codes``) — if it exists
    and ``principal`` may read it (else ``None``: another tenant's code is as absent as an unknown one)."""
    try:
        pk = pk_of(global_id, type_name)
    except ClientError:
        where = code_filter(type_name, global_id)
        return None if where is None else await scoped(principal, model).get_or_none(**where)
    if pk is None:
        return None
    return await scoped(principal, model).get_or_none(pk=pk)


async def run_in_transaction(work: Callable[[BaseDBAsyncClient], Awaitable[T]]) -> T | RuleViolation:
    """Run ``work(conn)`` in one transaction; a rule refusal rolls everything back and is returned."""
    try:
        async with in_transaction() as conn:
            return await work(conn)
    except RuleViolation as exc:
        return exc


def errors_of(exc: RuleViolation, error_cls: Callable[..., E], codes: type[StrEnum]) -> list[E]:
    """Payload errors from a :class:`RuleViolation` (unknown codes become ``INVALID``)."""
    return [error(error_cls, codes, p) for p in exc.problems]


def error(error_cls: Callable[..., E], codes: type[StrEnum], problem: Problem) -> E:
    """One payload error."""
    try:
        code = codes(problem.code)
    except ValueError:
        code = codes("INVALID")
    return error_cls(code=code, message=problem.message, field=problem.field, article=problem.article)


def refused(payload: type[P], *errors: object) -> P:
    """``payload`` for a refusal: ``errors``, and null in every other field (each must be nullable)."""
    nulls = {f.name: None for f in dataclasses.fields(payload) if f.name != "errors"}
    return payload(**nulls, errors=list(errors))


def payload_of(
    payload: type[P],
    outcome: T | RuleViolation,
    errors: Callable[[RuleViolation], list[E]],
    /,
    **fields: Callable[[T], object],
) -> P:
    """``payload`` for the outcome of :func:`run_in_transaction`: a refused rule as ``errors(outcome)``
    (see :func:`refused`), else each of ``fields`` computed from the changed row and no errors."""
    if isinstance(outcome, RuleViolation):
        return refused(payload, *errors(outcome))
    return payload(**{name: make(outcome) for name, make in fields.items()}, errors=[])
