"""The demo data set: a deterministic, idempotent picture of purchasing in all 7 districts, 2024–2026.

What it holds (see each module): demo accounts (``demo_accounts.csv``), 11 contractors (3 failing
Art. 6), plans of every district for 2024–2026, procurement projects in every state and method,
31 contracts in every lifecycle state with payments, inspections, acceptances and one amendment,
ledgers with service and fund entries, 60 beneficiaries, township staffing, communities with
coordinators and mutual-aid associations, and training.

Loading twice changes nothing: every object is found by its natural key (username, credit code,
plan district and year, project and contract code, ID number …) and the children of an object that
already existed are not added again. Random values come from generators seeded with 2026 and the
object's key (``seeds.helpers.rng_for``). Everything runs in one transaction.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models.catalogue import CatalogueItem
from models.geography import District
from seeds.accounts import load_accounts
from seeds.contractors import load_contractors
from seeds.contracts import load_contracts
from seeds.ledgers import load_beneficiaries, load_ledgers
from seeds.plans import load_plans
from seeds.procurement import load_procurement
from seeds.reference import short_name
from seeds.staffing import load_communities, load_staff, load_windows
from seeds.training import load_training


async def load_demo() -> None:
    """Load the demo data set on top of the reference data (``load_reference`` first)."""
    async with in_transaction():
        districts = {d.code: d for d in await District.all().order_by("code")}
        if not districts:
            raise RuntimeError("load_demo() needs the reference data: call load_reference() first")
        items = {item.id: item for item in await CatalogueItem.all()}
        contractors = await load_contractors()
        users = await load_accounts()
        plans = await load_plans(list(districts))
        lots = await load_procurement(
            plans,
            contractors,
            {code: short_name(code, d.name) for code, d in districts.items()},
            {i: item.name for i, item in items.items()},
        )
        contracts = await load_contracts(lots, contractors, districts, items)
        beneficiaries = await load_beneficiaries()
        await load_ledgers(contracts, beneficiaries, districts, items, users)
        await load_staff(contracts)
        await load_communities()
        await load_windows()
        await load_training()
