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
from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.base import Owned
from policies.enforcer import allowed, implies, rules
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


def district_wide(principal: Principal, model: type[Model]) -> bool:
    """True when each of ``principal``'s grants to read ``model`` reaches its rows through a district domain (or
    all rows): a summary of ``model`` kept per district (same ``policy_object``, no contractor path) then shows
    exactly what ``principal`` may read of ``model``. False for a contractor's own rows, which no per-district
    summary can separate."""
    owned: type[Owned] = model  # type: ignore[assignment]
    for role, rule_domain in rules(owned.policy_object, "read"):
        for a in principal.assignments:
            if rule_domain == "*" or not implies(a.role, role) or not key_match(a.domain, rule_domain):
                continue
            if a.kind != "district":
                return False
    return True


def sees_everything(principal: Principal, model: type[M]) -> bool:
    """True when no filter applies (used to skip a join, never to widen access)."""
    q = visibility(principal, model)
    return not q.children and not q.filters and not q.negate


def public_rows(model: type[M]) -> QuerySet[M]:
    """``model``'s rows the public may read (``read_public``, e.g. ``Model.public_q()``): what is disclosed
    under 第九条第（二）、（四）、（六）项 and 第十三条. The same rows for every caller, signed in or not:
    disclosure is not per user."""
    from policies.principal import ANONYMOUS

    return scoped(ANONYMOUS, model)


# --- accounts and API keys: rows keyed by a policy domain string (``district:321202``, ``contractor:7``) ---


def _domain_string_q(column: str, domain: str) -> Q:
    if domain.endswith("*"):
        return Q(**{f"{column}__startswith": domain[:-1]})
    return Q(**{column: domain})


def in_domains(principal: Principal, obj: str, action: str, column: str = "domain") -> Q:
    """Rows whose ``column`` names a domain in which ``principal`` may do ``action`` to ``obj``
    (``NOTHING`` when none): role assignments and API keys carry their domain as a string."""
    clauses: list[Q] = []
    for role, rule_domain in rules(obj, action):
        for a in principal.assignments:
            if not implies(a.role, role):
                continue
            if rule_domain == "*":
                return Q()
            if key_match(a.domain, rule_domain):
                clauses.append(_domain_string_q(column, a.domain))
    return reduce(or_, clauses) if clauses else NOTHING


def grantable_assignments(principal: Principal) -> Q:
    """Role assignments (``RoleAssignment`` rows) that ``principal`` could grant: role ``r`` in a domain
    where the policy gives it ``grant`` on ``role:r``."""
    from models.enums import Role

    clauses = []
    for role in Role:
        where = in_domains(principal, f"role:{role.value}", "grant")
        if where is not NOTHING:
            clauses.append(Q(role=role) & where)
    return reduce(or_, clauses) if clauses else NOTHING


def manageable_accounts(principal: Principal) -> Q:
    """The accounts (``User`` rows) ``principal`` administers: every one for ``manage`` on ``account`` in
    domain ``*`` (the city administrator); otherwise those with at least one role whose every role it could
    grant (so a district administrator never manages its district's finance staff, nor anyone who also holds
    a role elsewhere), and the accounts without any role that it created itself."""
    from models.accounts import RoleAssignment

    key = ("manageable_accounts",)
    if key in principal._cache:
        return principal._cache[key]
    if allowed(principal, "manage", "account", "*"):
        result = Q()
    else:
        grantable = grantable_assignments(principal)
        result = NOTHING
        if grantable is not NOTHING:
            inside = Subquery(RoleAssignment.filter(grantable).values("user_id"))
            outside = Subquery(RoleAssignment.exclude(grantable).values("user_id"))
            result = Q(id__in=inside) & ~Q(id__in=outside)
        if principal.user_id is not None and any(
            allowed(principal, "create", "account", a.domain) for a in principal.assignments
        ):
            unassigned = ~Q(id__in=Subquery(RoleAssignment.all().values("user_id")))
            mine = Q(created_by_id=principal.user_id) & unassigned
            result = mine if result is NOTHING else result | mine
    principal._cache[key] = result
    return result
