"""Who may record a violation (违法行为, 第六条第（六）项) against a contractor.

A major violation within three years makes a contractor ineligible in every district, so recording one is not
for any district agency about any contractor. A district agency records what it finds in its own contracts: it
may record against a contractor that has signed a contract of its district. A finding city-wide, about any
contractor, is the city civil affairs bureau's (held on ``district:*``). The lines are in ``policy.csv``
(object ``violation``, action ``record``); this module only names the domains a violation against a given
contractor would be recorded in: ``district:*`` (city-wide) and ``district:<code>`` for each district that signed
a contract with it.
"""

from __future__ import annotations

from models import Contract
from policies.enforcer import allowed
from policies.principal import CITY_WIDE, Principal

VIOLATION = "violation"
RECORD = "record"


async def violation_domains(contractor_id: int) -> list[str]:
    """``district:*`` and the districts whose signed contracts (any state since signing) name the contractor."""
    codes = await Contract.filter(contractor_id=contractor_id, signed_on__isnull=False).values_list(
        "district_id", flat=True
    )
    return [CITY_WIDE, *(f"district:{code}" for code in sorted({str(c) for c in codes}))]


async def may_record_violation(principal: Principal, contractor_id: int) -> bool:
    """May ``principal`` record a violation against the contractor ``contractor_id``?"""
    return any(allowed(principal, RECORD, VIOLATION, domain) for domain in await violation_domains(contractor_id))
