"""Per-request dataloaders. Every one goes through ``policies.scope``, so a nested field can never
show a row that a top-level query would hide, and no resolver queries inside a loop.

- :meth:`Loaders.by_id`: rows of a model by primary key (``None`` when not visible).
- :meth:`Loaders.child_page`: one page of children for many parents in **one** SQL statement
  (``ROW_NUMBER() OVER (PARTITION BY parent)``), so a nested connection costs the same whatever
  the page size or the number of parents.
- :meth:`Loaders.child_count`: ``totalCount`` of those children, one ``GROUP BY`` statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise import connections
from tortoise.expressions import RawSQL
from tortoise.functions import Count
from tortoise.models import Model

from policies.principal import Principal
from policies.scope import scoped


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Loaders:
    """The dataloaders of one request, created lazily and keyed by what they load."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def _get(self, key: Hashable, factory: Any) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = DataLoader(load_fn=factory)
            self._loaders[key] = loader
        return loader

    def by_id(self, model: type[Model]) -> DataLoader[Any, Any]:
        """Visible rows of ``model`` by primary key."""

        async def load(keys: Sequence[Any]) -> list[Any]:
            rows = await scoped(self.principal, model).filter(pk__in=list(keys))
            found = {row.pk: row for row in rows}
            return [found.get(k) for k in keys]

        return self._get(("by_id", model), load)

    def child_page(
        self,
        model: type[Model],
        parent_field: str,
        limit: int,
        after: int | None = None,
        where: tuple[tuple[str, Any], ...] = (),
        *,
        before: int | None = None,
        backward: bool = False,
    ) -> DataLoader[Any, Any]:
        """Up to ``limit`` visible children per parent between ``after`` and ``before`` (exclusive), by ascending
        primary key — or, ``backward``, the last ones by descending primary key.

        ``parent_field`` is the child's FK column (``contract_id``); ``where`` adds equality filters.
        """

        async def load(keys: Sequence[Any]) -> list[list[Any]]:
            qs = scoped(self.principal, model).filter(**{f"{parent_field}__in": list(keys)}, **dict(where))
            if after is not None:
                qs = qs.filter(pk__gt=after)
            if before is not None:
                qs = qs.filter(pk__lt=before)
            table = _quote(model._meta.db_table)
            pk = _quote(model._meta.db_pk_column)
            direction = "DESC" if backward else "ASC"
            window = (
                f"ROW_NUMBER() OVER (PARTITION BY {table}.{_quote(parent_field)} ORDER BY {table}.{pk} {direction})"
            )
            qs = qs.annotate(_rn=RawSQL(window))
            # Tortoise has no window functions: wrap its own parameterised SQL (private API, covered
            # by tests on both databases) so the page limit applies per parent in the database.
            qs._choose_db_if_not_chosen()
            qs._make_query()
            sql, params = qs.query.get_parameterized_sql()
            wrapped = f'SELECT * FROM ({sql}) AS "page" WHERE "page"."_rn" <= {int(limit)}'  # noqa: S608
            db = connections.get(model._meta.default_connection or "default")
            rows = await db.execute_query_dict(wrapped, list(params))
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for row in sorted(rows, key=lambda r: r["_rn"]):
                obj = model._init_from_db(**row)
                grouped[row[parent_field]].append(obj)
            return [grouped.get(k, []) for k in keys]

        return self._get(("child_page", model, parent_field, limit, after, where, before, backward), load)

    def child_count(
        self, model: type[Model], parent_field: str, where: tuple[tuple[str, Any], ...] = ()
    ) -> DataLoader[Any, Any]:
        """Number of visible children per parent."""

        async def load(keys: Sequence[Any]) -> list[int]:
            rows = (
                await scoped(self.principal, model)
                .filter(**{f"{parent_field}__in": list(keys)}, **dict(where))
                .annotate(n=Count(model._meta.pk_attr))
                .group_by(parent_field)
                .values(parent_field, "n")
            )
            counts = {r[parent_field]: r["n"] for r in rows}
            return [counts.get(k, 0) for k in keys]

        return self._get(("child_count", model, parent_field, where), load)

    def by_field(self, model: type[Model], field: str) -> DataLoader[Any, Any]:
        """One visible row of ``model`` per value of a unique ``field`` (e.g. a ledger by ``contract_id``)."""

        async def load(keys: Sequence[Any]) -> list[Any]:
            rows = await scoped(self.principal, model).filter(**{f"{field}__in": list(keys)})
            found = {getattr(row, field): row for row in rows}
            return [found.get(k) for k in keys]

        return self._get(("by_field", model, field), load)

    def m2m(self, model: type[Model], relation: str) -> DataLoader[Any, Any]:
        """Visible rows of ``model`` linked to each key through the many-to-many ``relation`` (e.g. ``contracts``)."""

        async def load(keys: Sequence[Any]) -> list[list[Any]]:
            pairs = (
                await scoped(self.principal, model)
                .filter(**{f"{relation}__id__in": list(keys)})
                .values_list(f"{relation}__id", model._meta.pk_attr)
            )
            by_id = self.by_id(model)
            rows = await by_id.load_many(sorted({pk for _, pk in pairs}))
            found = {row.pk: row for row in rows if row is not None}
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for parent, pk in pairs:
                if pk in found:
                    grouped[parent].append(found[pk])
            return [sorted(grouped.get(k, []), key=lambda r: r.pk) for k in keys]

        return self._get(("m2m", model, relation), load)

    def custom(self, key: Hashable, load: Any) -> DataLoader[Any, Any]:
        """A loader of the caller's own (``load`` must already apply ``policies.scope``)."""
        return self._get(("custom", key), load)
