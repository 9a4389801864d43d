"""The public change feed (公开信息变更): which disclosed records changed, for re-publishers (第十三条).

Semantics:

- One entry per change-history record (:class:`~models.history.ChangeRecord`) of a public entity type —
  procurement projects and their lots, contracts, acceptances and catalogue items — whose object is public
  **now** (what ``rows``, e.g. ``policies.scope.public_rows``, shows at the time of the request). Entries are
  ordered by the record's id, which only grows; a cursor is that id, so ``after`` returns exactly the records
  written after it (keyset pagination).
- An entry says which object changed, when, and how (create / update / transition); the reader fetches the
  object as it is now, never the record's before/after JSON (it may hold fields that are not public). Several
  changes of one object give several entries: re-publishers upsert by the object's id.
- Changes made while an object was not yet public (a draft contract's signing, a project's preparation) are
  listed once the object becomes public, with their original ids: a re-publisher that follows the feed sees
  them after the change that published the object (they are never withheld for good, never shown early).
  Public objects never become private again in the lifecycles (DOMAIN.md §3), so there are no tombstones.
- The feed starts at the first recorded change; data loaded without history (the demo seeds) is read in full
  through the public lists first, then the feed is followed from ``latest_cursor``.
- Ids are assigned when a record is inserted; a transaction that commits late can add a record below a cursor
  already handed out. Entries are idempotent (the current object), so re-publishers should re-read with a
  small overlap (e.g. keep a cursor at least a minute old) rather than rely on strict commit order.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_
from typing import TypeVar

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.catalogue import CatalogueItem
from models.contracts import Acceptance, Contract
from models.history import ChangeRecord
from models.procurement import ProcurementLot, ProcurementProject

M = TypeVar("M", bound=Model)
RowsOf = Callable[[type[M]], QuerySet[M]]

#: Entity types whose changes the feed lists (the names ChangeRecord.entity_type holds).
PUBLIC_ENTITY_TYPES: dict[str, type[Model]] = {
    model.__name__: model for model in (ProcurementProject, ProcurementLot, Contract, Acceptance, CatalogueItem)
}


def _keys_as_text(queryset: QuerySet[M]) -> Subquery:
    """The primary keys of ``queryset`` as text, to compare with ``ChangeRecord.entity_id`` in SQL."""
    meta = queryset.model._meta
    column = f'"{meta.db_table}"."{meta.db_pk_column}"'
    return Subquery(queryset.annotate(public_key=RawSQL(f"CAST({column} AS TEXT)")).values("public_key"))


def public_changes(rows: RowsOf) -> QuerySet[ChangeRecord]:
    """Change records of public entity types whose object ``rows`` shows now (see the module docstring)."""
    clauses = [
        Q(entity_type=name, entity_id__in=_keys_as_text(rows(model))) for name, model in PUBLIC_ENTITY_TYPES.items()
    ]
    return ChangeRecord.filter(reduce(or_, clauses))
