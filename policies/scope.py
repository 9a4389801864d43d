"""Which rows may a principal see: the one helper every read goes through.

``scoped(principal, Model)`` returns a queryset restricted to the rows the Casbin policy lets the
principal ``read``; the public (and anyone without a ``read`` rule) falls back to ``read_public``,
i.e. the model's ``public_q()``. No resolver builds its own tenant filter.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import TypeVar

from casbin.util import key_match
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.base import Owned
from policies.enforcer import implies, rules
from policies.principal import Assignment, Principal

M = TypeVar("M", bound=Model)

#: Sentinel meaning "no row": a primary key can never be NULL.
NOTHING = Q(pk__isnull=True)


def _domain_q(model: type[Owned], assignment: Assignment) -> Q | None:
    if assignment.kind == "district":
        return model.district_q(None if assignment.value == "*" else assignment.value)
    if assignment.kind == "contractor" and assignment.value.isdigit():
        return model.contractor_q(int(assignment.value))
    return None


def visibility(principal: Principal, model: type[M]) -> Q:
    """The filter of rows of ``model`` that ``principal`` may read (``NOTHING`` when none)."""
    key = ("visibility", model.__name__)
    if key in principal._cache:
        return principal._cache[key]
    owned: type[Owned] = model  # type: ignore[assignment]
    obj = owned.policy_object
    clauses: list[Q] = []
    everything = False
    for role, rule_domain in rules(obj, "read"):
        for a in principal.assignments:
            if not implies(a.role, role):
                continue
            if rule_domain == "*":
                everything = True
                break
            if key_match(a.domain, rule_domain):
                q = _domain_q(owned, a)
                if q is not None:
                    clauses.append(q)
        if everything:
            break
    if everything:
        result = Q()
    elif clauses:
        result = reduce(or_, clauses)
    else:
        public = any(implies(a.role, role) for role, _ in rules(obj, "read_public") for a in principal.assignments)
        result = (owned.public_q() if public else None) or NOTHING
    if obj == HISTORY and result is not NOTHING:
        # A change record is readable only where its object's type is readable: the 'history' rule
        # alone would let finance read the history of beneficiaries it may not see.
        result = result & Q(entity_type__in=_readable_types(principal))
    principal._cache[key] = result
    return result


HISTORY = "history"


def _readable_types(principal: Principal) -> list[str]:
    """Names of the models of which ``principal`` may read at least some rows."""
    import models as all_models

    names = []
    for model in (getattr(all_models, name) for name in all_models.__all__):
        policy_object = getattr(model, "policy_object", "")
        if policy_object and policy_object != HISTORY and visibility(principal, model) is not NOTHING:
            names.append(model.__name__)
    return names


def scoped(principal: Principal, model: type[M]) -> QuerySet[M]:
    """``model``'s rows that ``principal`` may read. Every read starts here."""
    return model.filter(visibility(principal, model))


def sees_everything(principal: Principal, model: type[M]) -> bool:
    """True when no filter applies (used to skip a join, never to widen access)."""
    q = visibility(principal, model)
    return not q.children and not q.filters and not q.negate
