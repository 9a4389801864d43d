"""Bulk writes in one statement per table (issue 14 item 4): the ledger's write path inserts hundreds of entries,
their history and the summary deltas at once, and must cost the same whatever the size of the ledger.

- :func:`insert` gives every new row its id and inserts them all. On PostgreSQL the ids come from the table's
  sequence in one ``SELECT nextval(…) FROM generate_series(1, n)``, and the rows go in as one
  ``INSERT … SELECT * FROM unnest($1::type[], $2::type[], …)``: one array per column, so the statement text does
  not depend on the row count (asyncpg prepares it once per connection) and 500 rows are one round trip — where
  Tortoise's ``bulk_create`` runs ``executemany``, one execution per row. Nothing is read back, and no query
  looks at the rows already in the table. On SQLite, multi-row ``INSERT … VALUES (…), (…)`` within its parameter
  limit; ids are counted on from the table's AUTOINCREMENT counter, which is safe because Tortoise runs one
  SQLite transaction at a time (a second process racing it gets a unique-key error, and ``submit`` retries).
- :func:`upsert` adds deltas to counters keyed by a unique constraint (``INSERT … ON CONFLICT (key) DO UPDATE
  SET n = t.n + excluded.n``), or creates the rows that are missing (``DO NOTHING``), in one statement, the rows
  in key order, so two writers that meet on the same rows lock them in the same order and never deadlock.

Values are converted as the ORM converts them (``Field.to_db_value``; on PostgreSQL without re-validating each
plain value: the write path checked them and the database enforces its constraints), so sealed columns
(``models.crypto``), enums, decimals and JSON are stored as by ``bulk_create``. Table facts (column types, the
sequence) are read once per process from the catalogue: they describe the schema, not shared state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from functools import cache
from typing import Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.base import Field
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.models import Model

#: Rows per statement on PostgreSQL (arrays have no practical limit); parameters per statement on SQLite (its
#: limit is 32,766) and rows per upsert statement there.
CHUNK = 5_000
SQLITE_PARAMETERS = 30_000
SQLITE_CHUNK = 500

_PG_TYPES: dict[tuple[str, str], dict[str, str]] = {}
_PG_SEQUENCES: dict[tuple[str, str], str] = {}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def _fields(model: type[Model], *, with_pk: bool) -> tuple[str, ...]:
    """The model's insertable fields (as ``bulk_create`` writes them), the primary key first when wanted."""
    meta = model._meta
    names = [n for n in meta.fields_db_projection if not meta.fields_map[n].generated]
    return (meta.pk_attr, *names) if with_pk else tuple(names)


Convert = Callable[[Any, Model], Any]
#: Field classes whose checked Python values asyncpg takes as they are (exact classes: a subclass such as
#: ``SealedCharField`` converts its values itself).
_AS_IS = (
    fields.IntField,
    fields.BigIntField,
    fields.SmallIntField,
    fields.CharField,
    fields.TextField,
    fields.DateField,
    fields.DecimalField,
    fields.BooleanField,
    fields.FloatField,
)


def _converter(field: Field) -> Convert:
    """How one field's value goes to asyncpg: as ``to_db_value`` would give it, without re-validating each
    value (the write path checked them; the database still enforces lengths, ranges and keys)."""
    if type(field) in _AS_IS:
        return lambda value, row: value
    if isinstance(field, CharEnumFieldInstance):
        return lambda value, row: str(value.value) if isinstance(value, Enum) else value
    if isinstance(field, fields.JSONField):
        encode = field.encoder
        return lambda value, row: value if value is None or isinstance(value, str) else encode(value)
    if type(field) is fields.DatetimeField:
        slow = field.to_db_value
        return lambda value, row: value if value is not None and value.tzinfo is not None else slow(value, row)
    return field.to_db_value


@cache
def _converters(model: type[Model], names: tuple[str, ...]) -> tuple[Convert, ...]:
    fields_map = model._meta.fields_map
    return tuple(_converter(fields_map[n]) for n in names)


def _row_values(model: type[Model], row: Model, names: tuple[str, ...]) -> list[Any]:
    return [convert(getattr(row, n), row) for convert, n in zip(_converters(model, names), names, strict=True)]


async def _pg_types(model: type[Model], conn: BaseDBAsyncClient) -> dict[str, str]:
    """Column → type name (``int8``, ``varchar``, ``jsonb`` …) of the model's table, read once per process."""
    table = model._meta.db_table
    key = (conn.connection_name, table)
    if key not in _PG_TYPES:
        rows = await conn.execute_query_dict(
            "SELECT a.attname AS name, t.typname AS type FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            [_quote(table)],
        )
        _PG_TYPES[key] = {r["name"]: r["type"] for r in rows}
    return _PG_TYPES[key]


async def _pg_ids(model: type[Model], n: int, conn: BaseDBAsyncClient) -> list[int]:
    table = model._meta.db_table
    key = (conn.connection_name, table)
    if key not in _PG_SEQUENCES:
        found = await conn.execute_query_dict(
            "SELECT pg_get_serial_sequence($1, $2) AS seq", [_quote(table), model._meta.db_pk_column]
        )
        _PG_SEQUENCES[key] = str(found[0]["seq"])
    rows = await conn.execute_query_dict(
        "SELECT nextval($1::regclass) AS id FROM generate_series(1, $2)", [_PG_SEQUENCES[key], n]
    )
    return sorted(int(r["id"]) for r in rows)


async def _sqlite_ids(model: type[Model], n: int, conn: BaseDBAsyncClient) -> list[int]:
    table = model._meta.db_table
    pk = _quote(model._meta.db_pk_column)
    rows = await conn.execute_query_dict(
        f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),"  # noqa: S608 - names from the model
        f" coalesce((SELECT max({pk}) FROM {_quote(table)}), 0)) AS last",
        [table],
    )
    last = int(rows[0]["last"] or 0)
    return list(range(last + 1, last + n + 1))


async def insert(model: type[Model], rows: Sequence[Model], conn: BaseDBAsyncClient, *, ids: bool = True) -> None:
    """Insert new (unsaved) ``rows`` of ``model`` in one statement per :data:`CHUNK` rows; with ``ids``, give
    each row its primary key first (in order: the first row gets the lowest)."""
    if not rows:
        return
    if ids:
        allocate = _pg_ids if _postgres(conn) else _sqlite_ids
        for row, pk in zip(rows, await allocate(model, len(rows), conn), strict=True):
            row.pk = pk
    names = _fields(model, with_pk=ids)
    if not _postgres(conn):
        await _sqlite_insert(model, rows, names, conn)
        return
    types = await _pg_types(model, conn)
    projection = model._meta.fields_db_projection
    columns = [projection[n] for n in names]
    arrays = ", ".join(f"${i}::{types[c]}[]" for i, c in enumerate(columns, 1))
    sql = (
        f"INSERT INTO {_quote(model._meta.db_table)} ({', '.join(_quote(c) for c in columns)})"  # noqa: S608
        f" SELECT * FROM unnest({arrays})"
    )
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        values = [_row_values(model, row, names) for row in chunk]
        await conn.execute_query(sql, [list(column) for column in zip(*values, strict=True)])
    for row in rows:
        row._saved_in_db = True


async def _sqlite_insert(
    model: type[Model], rows: Sequence[Model], names: tuple[str, ...], conn: BaseDBAsyncClient
) -> None:
    """Multi-row ``INSERT … VALUES (…), (…)`` within SQLite's parameter limit, values as the ORM converts them."""
    fields_map = model._meta.fields_map
    projection = model._meta.fields_db_projection
    columns = ", ".join(_quote(projection[n]) for n in names)
    head = f"INSERT INTO {_quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608 - names from the model
    per_statement = max(1, SQLITE_PARAMETERS // len(names))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = [fields_map[n].to_db_value(getattr(row, n), row) for row in chunk for n in names]
        marks = "(" + ", ".join("?" for _ in names) + ")"
        await conn.execute_query(head + ", ".join(marks for _ in chunk), values)
    for row in rows:
        row._saved_in_db = True


async def upsert(
    model: type[Model],
    rows: Iterable[dict[str, Any]],
    conn: BaseDBAsyncClient,
    *,
    key: Sequence[str],
    add: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (dicts of field → value, all with the same fields) of ``model``; a row whose ``key`` (the
    fields of a unique constraint) exists already adds its ``add`` fields to the stored ones instead (or, with no
    ``add``, is left as it is). One statement; the rows in key order, so two writers that meet on the same rows
    lock them in the same order and never deadlock."""
    ordered = sorted(rows, key=lambda r: tuple(str(r[k]) for k in key))
    if not ordered:
        return
    meta = model._meta
    names = list(ordered[0])
    columns = [meta.fields_db_projection.get(n, n) for n in names]
    table = _quote(meta.db_table)
    target = ", ".join(_quote(meta.fields_db_projection.get(k, k)) for k in key)
    if add:
        sums = [meta.fields_db_projection.get(n, n) for n in add]
        tail = f" ON CONFLICT ({target}) DO UPDATE SET " + ", ".join(
            f"{_quote(c)} = {table}.{_quote(c)} + excluded.{_quote(c)}" for c in sums
        )
    else:
        tail = f" ON CONFLICT ({target}) DO NOTHING"
    fields_map = meta.fields_map
    values = [[fields_map[n].to_db_value(r[n], model) for n in names] for r in ordered]
    head = f"INSERT INTO {table} ({', '.join(_quote(c) for c in columns)})"
    if _postgres(conn):
        types = await _pg_types(model, conn)
        arrays = ", ".join(f"${i}::{types[c]}[]" for i, c in enumerate(columns, 1))
        aliases = [f"v{i}" for i in range(len(columns))]
        # In the order given (key order): WITH ORDINALITY, sorted on it.
        listed = ", ".join(aliases)
        sql = f"{head} SELECT {listed} FROM unnest({arrays}) WITH ORDINALITY AS u({listed}, n) ORDER BY n{tail}"  # noqa: S608
        await conn.execute_query(sql, [list(column) for column in zip(*values, strict=True)])
        return
    for start in range(0, len(values), SQLITE_CHUNK):
        chunk = values[start : start + SQLITE_CHUNK]
        placeholders = ", ".join("(" + ", ".join("?" for _ in names) + ")" for _ in chunk)
        await conn.execute_query(f"{head} VALUES {placeholders}{tail}", [v for row in chunk for v in row])
