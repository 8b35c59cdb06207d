"""Set-based writes Django's ORM does row by row or with a CASE over every row.

``update_column`` sets one column of many rows to per-row values with one
``UPDATE … FROM (VALUES …)`` per chunk; ``insert_rows`` inserts many rows with one multi-row
``INSERT … ON CONFLICT DO NOTHING`` per chunk. Both work on PostgreSQL and SQLite ≥ 3.33 (the
two databases Settle runs on); on any other database they fall back to the ORM. Values are
prepared by the model fields (``get_db_prep_save``) and always passed as parameters; only
identifiers taken from the model are put into the SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models, router, transaction

# Parameters per statement: SQLite allows 32,766 (3.32+), PostgreSQL 65,535.
MAX_PARAMS = 30_000


def _set_based(connection: Any) -> bool:
    return connection.vendor in ("postgresql", "sqlite")


def _chunks(rows: Sequence[Sequence[Any]], width: int) -> Iterable[Sequence[Sequence[Any]]]:
    size = max(1, MAX_PARAMS // max(1, width))
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _cell(connection: Any, fields: Sequence[models.Field[Any, Any]]) -> str:
    """One VALUES row of placeholders; PostgreSQL gets casts, since it cannot infer a
    column's type from parameters that are all NULL."""
    if connection.vendor != "postgresql":
        return "(" + ", ".join("%s" for _ in fields) + ")"
    return "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"


def update_column(model: type[models.Model], name: str, values: dict[Any, Any]) -> int:
    """``model.<name> = values[pk]`` for every pk in ``values``. Returns the rows written."""
    if not values:
        return 0
    connection = connections[router.db_for_write(model)]
    pk_field, field = model._meta.pk, model._meta.get_field(name)
    assert pk_field is not None and isinstance(field, models.Field)
    if not _set_based(connection):
        by_value: dict[Any, list[Any]] = {}
        for pk, value in values.items():
            by_value.setdefault(value, []).append(pk)
        return sum(model._default_manager.filter(pk__in=pks).update(**{name: value})
                   for value, pks in by_value.items())
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    rows = [(pk_field.get_db_prep_save(pk, connection), field.get_db_prep_save(v, connection))
            for pk, v in values.items()]
    cell = _cell(connection, (pk_field, field))
    written = 0
    with transaction.atomic(using=connection.alias, savepoint=False), \
            connection.cursor() as cursor:
        for part in _chunks(rows, 2):
            sql = (f"UPDATE {table} SET {quote(field.column)} = v.column2 "  # noqa: S608
                   f"FROM (VALUES {', '.join([cell] * len(part))}) AS v "
                   f"WHERE {table}.{quote(pk_field.column)} = v.column1")
            cursor.execute(sql, [value for row in part for value in row])
            written += cursor.rowcount
    return written


def insert_rows(model: type[models.Model], names: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in the order of ``names``, which must cover every column
    without a database default), skipping any that break a unique constraint. Returns the
    rows inserted. No model ``save()``, signals or ``auto_now``: pass those values."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    fields: list[models.Field[Any, Any]] = []
    for n in names:
        field = model._meta.get_field(n)
        assert isinstance(field, models.Field)
        fields.append(field)
    if not _set_based(connection):
        created = model._default_manager.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows],
            ignore_conflicts=True)
        return len(created)
    quote = connection.ops.quote_name
    prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                for row in rows]
    cell = _cell(connection, fields)
    columns = ", ".join(quote(f.column) for f in fields)
    inserted = 0
    with transaction.atomic(using=connection.alias, savepoint=False), \
            connection.cursor() as cursor:
        for part in _chunks(prepared, len(fields)):
            sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
                   f"VALUES {', '.join([cell] * len(part))} ON CONFLICT DO NOTHING")
            cursor.execute(sql, [value for row in part for value in row])
            inserted += cursor.rowcount
    return inserted
