"""The Casbin enforcer: loaded once per process from ``model.conf`` and ``policy.csv``.

The policy file is code (reviewed, versioned); who holds which role where lives in the database
and arrives with the :class:`~policies.principal.Principal`, so nothing shared is cached here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import casbin
from casbin.util import key_match

from policies.principal import Principal

HERE = Path(__file__).parent


@cache
def enforcer() -> casbin.Enforcer:
    """The process-wide enforcer (policy lines are static; assignments come per request)."""
    e = casbin.Enforcer(str(HERE / "model.conf"), str(HERE / "policy.csv"))
    e.add_function("holds", _holds)
    return e


def implies(held: str, role: str) -> bool:
    """True when holding ``held`` gives ``role`` (itself, or through a ``g`` line)."""
    return held == role or enforcer().get_role_manager().has_link(held, role)


def _holds(principal: Principal, role: str, obj_domain: str, rule_domain: str) -> bool:
    for a in principal.assignments:
        if not implies(a.role, role):
            continue
        if rule_domain == "*":
            return True
        # The assignment must be of the rule's kind and cover the object's domain.
        if key_match(a.domain, rule_domain) and key_match(obj_domain, a.domain):
            return True
    return False


def allowed(principal: Principal, action: str, obj: str, domain: str) -> bool:
    """May ``principal`` do ``action`` to an ``obj`` (policy object name) that lives in ``domain``?"""
    key = ("allowed", action, obj, domain)
    cached = principal._cache.get(key)
    if cached is None:
        cached = bool(enforcer().enforce(principal, domain, obj, action))
        principal._cache[key] = cached
    return cached


def rules(obj: str, action: str) -> list[tuple[str, str]]:
    """``(role, domain pattern)`` of the policy lines for ``obj``/``action``."""
    return [(line[0], line[1]) for line in enforcer().get_filtered_policy(2, obj, action)]
