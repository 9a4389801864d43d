"""Monthly summaries of the service ledgers (台账, 第十四条), kept in step with every ledger write, so the
services dashboard (DOMAIN.md §6) reads a few thousand summary rows instead of a million entries.

Three tables, each keyed by district and month (its first day) and read through the same ``ledger`` policy as
the entries, scoped by district only (a contractor's own figures come from its entries, see
``models.dashboards.services``):

- :class:`ServiceTownshipMonth` per township and catalogue item, and :class:`ServiceCategoryMonth` per
  catalogue item and assistance category: entries net of corrections (a reversal counts −1) and quantities per
  unit in fen (hundredths, exact integer sums on both databases). A reversal carries the negated quantity, so
  adding every entry's figures gives what was delivered.
- :class:`ServicePeopleMonth`: who was served, per catalogue item, township or assistance category, as a
  compressed bitmap of beneficiary ids (Roaring, ``pyroaring``). Distinct counts do not add up across months
  or groups, but bitmaps union: a year's distinct beneficiaries are the union of its months. A person is in a
  bitmap while at least one entry that stands (not a reversal, not reversed) puts them there.

:func:`record` applies newly written entries inside the writer's transaction (``models.ledgers.submit``);
:func:`rebuild` recomputes everything from the entries (seeds, bulk loads, ``jiuzhu rebuild-summaries``).
Concurrent writers of one district meet on the same summary rows. The figures are added in one upsert per table
(``INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n``, ``models.bulk``) that takes the rows in key order;
the people rows are created with ``INSERT … ON CONFLICT DO NOTHING`` (key order) and then locked
(``SELECT … FOR UPDATE``) in primary-key order. Every writer takes every table's rows in the same order, so two
ledgers' submissions serialise on the rows they share and never deadlock on them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pyroaring import BitMap
from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models import bulk
from models.base import Owned
from models.enums import AssistanceCategory, EntryKind, PeopleDimension, ServiceUnit
from models.ledgers import ServiceEntry, in_effect

#: Quantity columns per unit, in fen.
UNIT_COLUMNS: dict[ServiceUnit, str] = {
    ServiceUnit.HOURS: "hours_cents",
    ServiceUnit.VISITS: "visits_cents",
    ServiceUnit.PERSONS: "persons_cents",
}
MEASURES = ("entries", *UNIT_COLUMNS.values())


def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s month (the summaries' month key)."""
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after ``month``."""
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def cents(value: Decimal | str | int | float) -> int:
    """A 2-place quantity in whole fen."""
    return int((Decimal(str(value)) * 100).to_integral_value())


class _MonthFigures(Model, Owned):
    """What one district delivered in one month under one key: entries net of corrections, quantities in fen."""

    id = fields.BigIntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    month = fields.DateField(description="First day of the month")
    catalogue_item = fields.ForeignKeyField("models.CatalogueItem", related_name=False, on_delete=fields.RESTRICT)
    entries = fields.BigIntField(default=0, description="Entries, each reversal counted as minus one")
    hours_cents = fields.BigIntField(default=0, description="Hours delivered, in hundredths")
    visits_cents = fields.BigIntField(default=0, description="Visits delivered, in hundredths")
    persons_cents = fields.BigIntField(default=0, description="Person-times delivered, in hundredths")

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "ledger"
    #: the key columns besides district and month
    keys: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True


class ServiceTownshipMonth(_MonthFigures):
    """Services of a month per township and catalogue item (the by-township dashboard)."""

    township = fields.ForeignKeyField("models.Township", related_name=False, on_delete=fields.RESTRICT)

    keys: ClassVar[tuple[str, ...]] = ("township_id", "catalogue_item_id")

    class Meta:
        table = "ledger_summary_township_month"
        unique_together = (("month", "township_id", "catalogue_item_id"),)
        indexes = (("district_id", "month"),)


class ServiceCategoryMonth(_MonthFigures):
    """Services of a month per catalogue item and assistance category (totals, months, items, categories)."""

    assistance_category = fields.CharEnumField(AssistanceCategory, max_length=16)

    keys: ClassVar[tuple[str, ...]] = ("catalogue_item_id", "assistance_category")

    class Meta:
        table = "ledger_summary_category_month"
        unique_together = (("district_id", "month", "catalogue_item_id", "assistance_category"),)


#: The entry column behind each people dimension.
PEOPLE_COLUMNS: dict[PeopleDimension, str] = {
    PeopleDimension.CATALOGUE_ITEM: "catalogue_item_id",
    PeopleDimension.TOWNSHIP: "township_id",
    PeopleDimension.ASSISTANCE_CATEGORY: "assistance_category",
}


class ServicePeopleMonth(Model, Owned):
    """The beneficiaries served in one district and month under one catalogue item, township or category."""

    id = fields.BigIntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    month = fields.DateField(description="First day of the month")
    dimension = fields.CharEnumField(PeopleDimension, max_length=24)
    value = fields.CharField(max_length=16, description="Catalogue item id, township code or category")
    people = fields.BinaryField(default=b"", description="Portable Roaring bitmap of beneficiary ids")

    district_path: ClassVar[str | None] = "district_id"
    policy_object: ClassVar[str] = "ledger"
    keys: ClassVar[tuple[str, ...]] = ("dimension", "value")

    class Meta:
        table = "ledger_summary_people_month"
        unique_together = (("district_id", "month", "dimension", "value"),)


def bitmap(data: bytes | None) -> BitMap:
    """A stored bitmap (empty for ``None``)."""
    return BitMap.deserialize(data) if data else BitMap()


def _value(entry: ServiceEntry, column: str) -> Any:
    value = getattr(entry, column)
    return value.value if isinstance(value, StrEnum) else value


def _str(value: Any) -> str:
    return value.value if isinstance(value, StrEnum) else str(value)


# --- Keeping the summaries in step with the ledger --------------------------------------------------------


async def _locked(
    model: type[ServicePeopleMonth],
    district: str,
    rows: dict[tuple[Any, ...], Any],
    conn: BaseDBAsyncClient,
) -> list[Any]:
    """The summary rows with these keys (``(month, *model keys)`` → anything), created when missing (one
    statement, in key order) and locked for this transaction in primary-key order."""
    key_names = ("month", *model.keys)
    fresh = [{"district_id": district, "people": b"", **dict(zip(key_names, key, strict=True))} for key in rows]
    await bulk.upsert(model, fresh, conn, key=_unique(model))
    wanted = {tuple(_str(k) for k in key) for key in rows}
    by_column: dict[str, set[Any]] = defaultdict(set)
    for key in rows:
        for name, value in zip(key_names, key, strict=True):
            by_column[f"{name}__in"].add(value)
    found = (
        await model.filter(district_id=district, **{k: sorted(v, key=str) for k, v in by_column.items()})
        .using_db(conn)
        .select_for_update()
        .order_by("id")
    )
    return [row for row in found if tuple(_str(getattr(row, n)) for n in key_names) in wanted]


def _unique(model: type[Model]) -> tuple[str, ...]:
    """The fields of the model's one unique constraint (what ``ON CONFLICT`` names)."""
    (fields_,) = model._meta.unique_together
    return tuple(fields_)


async def _add_figures(
    model: type[_MonthFigures], district: str, entries: Sequence[ServiceEntry], conn: BaseDBAsyncClient
) -> None:
    """Add the entries' figures to the model's rows: one upsert that adds the deltas (``ON CONFLICT … DO UPDATE
    SET n = n + excluded.n``), rows in key order."""
    delta: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for entry in entries:
        key = (month_of(entry.service_date), *(_value(entry, k) for k in model.keys))
        figures = delta[key]
        figures["entries"] += -1 if entry.kind == EntryKind.REVERSAL else 1
        figures[UNIT_COLUMNS[ServiceUnit(entry.unit)]] += cents(entry.quantity)
    key_names = ("month", *model.keys)
    rows = [
        {"district_id": district, **dict(zip(key_names, key, strict=True)), **figures} for key, figures in delta.items()
    ]
    await bulk.upsert(model, rows, conn, key=_unique(model), add=MEASURES)


def _buckets(entry: ServiceEntry) -> list[tuple[dt.date, str, str]]:
    month = month_of(entry.service_date)
    return [(month, dim.value, _str(_value(entry, column))) for dim, column in PEOPLE_COLUMNS.items()]


async def _stands(beneficiary: int, district: str, bucket: tuple[dt.date, str, str], conn: BaseDBAsyncClient) -> bool:
    """Whether an entry that stands still puts ``beneficiary`` in ``bucket``."""
    month, dimension, value = bucket
    column = PEOPLE_COLUMNS[PeopleDimension(dimension)]
    return (
        await ServiceEntry.filter(
            in_effect(),
            beneficiary_id=beneficiary,
            district_id=district,
            service_date__gte=month,
            service_date__lt=next_month(month),
            **{column: int(value) if column == "catalogue_item_id" else value},
        )
        .using_db(conn)
        .exists()
    )


async def _add_people(district: str, entries: Sequence[ServiceEntry], conn: BaseDBAsyncClient) -> None:
    added: dict[tuple[dt.date, str, str], set[int]] = defaultdict(set)
    removed: dict[tuple[dt.date, str, str], set[int]] = defaultdict(set)
    for entry in entries:
        if entry.beneficiary_id is None:
            continue
        target = removed if entry.kind == EntryKind.REVERSAL else added
        for bucket in _buckets(entry):
            target[bucket].add(entry.beneficiary_id)
    if not added and not removed:
        return
    rows = await _locked(ServicePeopleMonth, district, {**removed, **added}, conn)
    changed = []
    for row in rows:
        bucket = (row.month, _str(row.dimension), row.value)
        people = bitmap(row.people)
        before = len(people)
        people |= BitMap(added.get(bucket, ()))
        # A reversal takes a person out only when nothing else that stands keeps them in (checked after the
        # row lock, so a concurrent writer's committed entry is seen).
        for person in removed.get(bucket, ()):
            if person in people and not await _stands(person, district, bucket, conn):
                people.discard(person)
        if len(people) != before or not row.people:
            row.people = people.serialize()
            changed.append(row)
    if changed:
        await ServicePeopleMonth.bulk_update(changed, fields=["people"], using_db=conn)


async def record(entries: Sequence[ServiceEntry], conn: BaseDBAsyncClient) -> None:
    """Add newly written entries (originals, amendments, reversals; already inserted) to the summaries, in the
    writer's transaction ``conn``."""
    by_district: dict[str, list[ServiceEntry]] = defaultdict(list)
    for entry in entries:
        by_district[entry.district_id].append(entry)
    for district in sorted(by_district):
        batch = by_district[district]
        await _add_figures(ServiceTownshipMonth, district, batch, conn)
        await _add_figures(ServiceCategoryMonth, district, batch, conn)
        await _add_people(district, batch, conn)


async def rebuild(conn: BaseDBAsyncClient | None = None) -> dict[str, int]:
    """Recompute every summary from the entries (after a bulk load, or to repair); returns rows per table.

    Quantities are summed in the database; the people bitmaps are built from the distinct
    (district, month, key, beneficiary) tuples of the entries that stand."""
    if conn is None:
        async with in_transaction() as tx:
            return await rebuild(tx)
    from models.dashboards import SumCents, YearMonth, month_key

    counts: dict[str, int] = {}
    for model in (ServiceTownshipMonth, ServiceCategoryMonth, ServicePeopleMonth):
        await model.all().using_db(conn).delete()
    for model in (ServiceTownshipMonth, ServiceCategoryMonth):
        group = ("district_id", "month", *model.keys)
        measures = {
            "n": _count(~Q(kind=EntryKind.REVERSAL)),
            "reversals": _count(Q(kind=EntryKind.REVERSAL)),
            **{column: SumCents("quantity", _filter=Q(unit=unit)) for unit, column in UNIT_COLUMNS.items()},
        }
        found = (
            await ServiceEntry.all()
            .using_db(conn)
            .order_by()
            .annotate(month=YearMonth("service_date"), **measures)
            .group_by(*group)
            .values(*group, *measures)
        )
        made = [
            model(
                district_id=r["district_id"],
                month=dt.date.fromisoformat(month_key(r["month"]) + "-01"),
                **{k: r[k] for k in model.keys},
                entries=r["n"] - r["reversals"],
                **{column: int(r[column] or 0) for column in UNIT_COLUMNS.values()},
            )
            for r in found
        ]
        await model.bulk_create(made, batch_size=5_000, using_db=conn)
        counts[model._meta.db_table] = len(made)
    people: list[ServicePeopleMonth] = []
    for dimension, column in PEOPLE_COLUMNS.items():
        found = (
            await ServiceEntry.filter(in_effect(), beneficiary_id__isnull=False)
            .using_db(conn)
            .annotate(month=YearMonth("service_date"))
            .order_by("beneficiary_id")  # not the model's default (id): it is not grouped
            .group_by("district_id", "month", column, "beneficiary_id")
            .values_list("district_id", "month", column, "beneficiary_id")
        )
        grouped: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for district, month, value, person in found:
            grouped[(district, month_key(month), _str(value))].append(person)
        people.extend(
            ServicePeopleMonth(
                district_id=district,
                month=dt.date.fromisoformat(month + "-01"),
                dimension=dimension,
                value=value,
                people=BitMap(ids).serialize(),
            )
            for (district, month, value), ids in grouped.items()
        )
    await ServicePeopleMonth.bulk_create(people, batch_size=2_000, using_db=conn)
    counts[ServicePeopleMonth._meta.db_table] = len(people)
    return counts


async def fill_missing_summaries() -> bool:
    """Rebuild the summaries when the ledgers hold entries but no summary row exists (a database upgraded to
    the release that added them, or loaded around the API); True when it did."""
    if await ServiceCategoryMonth.exists() or not await ServiceEntry.exists():
        return False
    await rebuild()
    return True


def _count(condition: Q) -> Any:
    from tortoise.functions import Count

    return Count("kind", _filter=condition)


def union(maps: Iterable[bytes | None]) -> BitMap:
    """The union of stored bitmaps."""
    result = BitMap()
    for data in maps:
        if data:
            result |= BitMap.deserialize(data)
    return result
