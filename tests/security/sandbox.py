"""Leave the session's database as the security suite found it.

The isolation and disclosure tests of this package compare every role's lists with the city's picture of the
demo data, collected once per session (``conftest.city``). A test module that must write — contracts with
ledgers to export or import into, accounts, API keys — wraps itself in :func:`sandbox`: every row made inside
is deleted afterwards (newest first, so no foreign key is left dangling) and the service summaries are rebuilt
from the entries that remain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.models import Model

from models import (
    ApiKey,
    Beneficiary,
    ChangeRecord,
    Contract,
    FundEntry,
    Ledger,
    ProcurementProject,
    PurchasePlan,
    ServiceEntry,
    User,
)
from models.ledgers import LedgerSubmission
from models.service_summary import rebuild

#: Deleted in this order (what refers to a row goes before it). Sessions of the demo users stay: the session's
#: cached tokens are theirs.
TABLES: tuple[type[Model], ...] = (
    ServiceEntry,
    FundEntry,
    LedgerSubmission,
    Ledger,
    Beneficiary,
    Contract,
    ProcurementProject,
    PurchasePlan,
    ApiKey,
    User,  # its sessions and role assignments go with it
    ChangeRecord,
)


async def _last_id(model: type[Model]) -> int:
    last = await model.all().order_by("-id").first().values_list("id", flat=True)
    return int(last or 0)


@asynccontextmanager
async def sandbox() -> AsyncIterator[None]:
    """Everything the block creates in :data:`TABLES` is gone when it ends."""
    marks = {model: await _last_id(model) for model in TABLES}
    try:
        yield
    finally:
        for model in (ServiceEntry, FundEntry):  # corrections point at older entries of the same table
            await model.filter(id__gt=marks[model]).update(corrects_id=None)
        for contract in await Contract.filter(id__gt=marks[Contract]):
            await contract.catalogue_items.clear()
        for model in TABLES:
            await model.filter(id__gt=marks[model]).delete()
        await rebuild()
