"""Set-based writes Django's ORM does row by row or with a CASE over every row.

``update_column`` sets one column of many rows to per-row values with one
``UPDATE … FROM (VALUES …)`` per chunk; ``insert_rows`` inserts many rows with one multi-row
``INSERT … ON CONFLICT DO NOTHING`` per chunk. Both work on PostgreSQL and SQLite ≥ 3.33 (the
two databases Settle runs on); on any other database they fall back to the ORM. Values are
prepared by the model fields (``get_db_prep_save``) and always passed as parameters; only
identifiers taken from the model are put into the SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connections, models, router, transaction
from django.db.models import F, Lookup, Q

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


# --- Rows as one JSON parameter (PostgreSQL) ----------------------------------------------------
# A VALUES list has a placeholder per value, and psycopg (client-side binding, as Django uses
# it) parses the statement and quotes each value in Python: for a thousand-row batch that costs
# more than the statement itself, and so do Python lists sent as arrays (each element is
# quoted in Python). These helpers send the rows as one JSON text instead, a single parameter
# that PostgreSQL unpacks (``jsonb_array_elements``) and casts column by column to the
# column's own type: the statement's text and its client-side cost do not grow with the rows.

MAX_JSON_ROWS = 50_000  # rows per statement


def _json_column(connection: Any, field: models.Field[Any, Any], values: Sequence[Any],
                 fast: bool = True) -> Sequence[Any]:
    """A column's values as JSON scalars whose text PostgreSQL casts back to exactly what the
    field would have written. A column of values the field writes as they are (``_plain``)
    is returned as it is (``_iso`` writes its dates and aware datetimes as ISO text); else each
    value is prepared by the field (``get_db_prep_save``), a JSON field's value becoming its
    JSON text."""
    if isinstance(field, models.JSONField):
        texts: dict[int, str] = {}  # by object: a batch often repeats one value (an empty list)
        out_json: list[Any] = []
        for value in values:
            if value is None:
                out_json.append(None)
            elif (text := texts.get(id(value))) is not None:
                out_json.append(text)
            else:
                text = texts[id(value)] = _json_text(field.get_db_prep_save(value, connection))
                out_json.append(text)
        return out_json
    plain = _plain(field)
    if fast and plain and set(map(type, values)) <= plain:
        return values
    return [None if value is None else _scalar(field.get_db_prep_save(value, connection))
            for value in values]


def _plain(field: models.Field[Any, Any]) -> frozenset[type]:
    """The types whose values ``field`` writes unchanged (its preparation returns them as
    they are): ints of an integer field or a foreign key to one, strs of a text field, dates
    of a date field, datetimes of a date-time field (aware ones: ``_iso`` refuses the rest),
    bools of a boolean field; None where it is null."""
    internal = field.get_internal_type()
    if internal in _INTEGER_TYPES or (isinstance(field, models.ForeignKey) and (
            field.target_field.get_internal_type() in _INTEGER_TYPES)):
        kinds: set[type] = {int}
    elif internal in ("CharField", "TextField", "SlugField", "EmailField"):
        kinds = {str}
    elif internal in ("DateTimeField", "DateField", "BooleanField"):
        kinds = {{"DateTimeField": datetime, "DateField": date,
                  "BooleanField": bool}[internal]}
    else:
        return frozenset()
    return frozenset({*kinds, type(None)})


class _NotPlain(TypeError):
    pass


def _iso(value: Any) -> str:
    """``json.dumps``'s hook for what a plain column holds beyond JSON's types."""
    if (type(value) is datetime and value.tzinfo is not None) or type(value) is date:
        return value.isoformat()
    raise _NotPlain(type(value).__name__)


_INTEGER_TYPES = frozenset({"AutoField", "BigAutoField", "SmallAutoField", "IntegerField",
                            "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
                            "PositiveBigIntegerField", "PositiveSmallIntegerField"})


def _scalar(value: Any) -> Any:
    """A prepared value as a JSON scalar (ISO text for dates and times, text for decimals)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} values cannot travel as JSON")


def _json_text(value: Any) -> str:
    """The JSON text psycopg's Json/Jsonb wrapper (a JSON field's prepared value) sends."""
    dumps = getattr(value, "dumps", None)
    obj = getattr(value, "obj", value)
    text = dumps(obj) if dumps is not None else json.dumps(obj)
    return text.decode() if isinstance(text, bytes) else str(text)


def _json_source(connection: Any, fields: Sequence[models.Field[Any, Any]],
                 rows: Sequence[Sequence[Any]]) -> tuple[str, str]:
    """The select list that unpacks ``r`` (one row, a JSON array) into typed columns, and the
    rows as one JSON text."""
    select = ", ".join(f"(r->>{i})::{f.db_type(connection)}" for i, f in enumerate(fields))
    columns = list(zip(*rows, strict=True))

    def packed(fast: bool) -> str:
        prepared = [_json_column(connection, f, values, fast)
                    for f, values in zip(fields, columns, strict=True)]
        return json.dumps(list(zip(*prepared, strict=True)), separators=(",", ":"),
                          default=_iso)

    try:
        return select, packed(fast=True)
    except _NotPlain:  # a naive datetime: every value prepared by its field
        return select, packed(fast=False)


def insert_rows_json(model: type[models.Model], names: Sequence[str],
                     rows: Sequence[Sequence[Any]]) -> int:
    """``insert_rows`` with the rows sent as one JSON parameter: one
    ``INSERT … SELECT … FROM jsonb_array_elements(%s) ON CONFLICT DO NOTHING`` per 50,000 rows
    on PostgreSQL; ``insert_rows`` elsewhere. Returns the rows inserted."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return insert_rows(model, names, rows)
    fields: list[models.Field[Any, Any]] = []
    for n in names:
        field = model._meta.get_field(n)
        assert isinstance(field, models.Field)
        fields.append(field)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    inserted = 0
    with transaction.atomic(using=connection.alias, savepoint=False), \
            connection.cursor() as cursor:
        for start in range(0, len(rows), MAX_JSON_ROWS):
            select, packed = _json_source(connection, fields, rows[start:start + MAX_JSON_ROWS])
            cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
                           f"SELECT {select} FROM jsonb_array_elements(%s::jsonb) AS r "
                           "ON CONFLICT DO NOTHING", [packed])
            inserted += cursor.rowcount
    return inserted


def update_column_json(model: type[models.Model], name: str, values: dict[Any, Any]) -> int:
    """``update_column`` with the pks and values sent as one JSON parameter: one
    ``UPDATE … FROM jsonb_array_elements(%s)`` per 50,000 rows on PostgreSQL (the rows are
    found through the primary key's index); ``update_column`` elsewhere. Returns the rows
    written."""
    if not values:
        return 0
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return update_column(model, name, values)
    pk_field, field = model._meta.pk, model._meta.get_field(name)
    assert pk_field is not None and isinstance(field, models.Field)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = f"{table}.{quote(pk_field.column)}"
    items = list(values.items())
    written = 0
    with transaction.atomic(using=connection.alias, savepoint=False), \
            connection.cursor() as cursor:
        for start in range(0, len(items), MAX_JSON_ROWS):
            part = items[start:start + MAX_JSON_ROWS]
            select, packed = _json_source(connection, (pk_field, field), part)
            keys = "{" + ",".join(str(int(key)) for key, _ in part) + "}" if isinstance(
                part[0][0], int) else None
            # The pks again as an array: without it the planner may hash the whole table.
            among = f" AND {pk} = ANY(%s::{pk_field.db_type(connection)}[])" if keys else ""
            cursor.execute(f"UPDATE {table} SET {quote(field.column)} = v.value "  # noqa: S608
                           f"FROM (SELECT {select} FROM jsonb_array_elements(%s::jsonb) AS r"
                           f") AS v(pk, value) WHERE {pk} = v.pk{among}",
                           [packed, keys] if keys else [packed])
            written += cursor.rowcount
    return written


def among(lookup: str, ids: Sequence[int], model: type[models.Model], *,
          by_range: bool = False) -> Q:
    """``Q(<lookup>__in=ids)`` for integer ids. On PostgreSQL the ids travel as one array
    parameter (``<column> = ANY(%s::bigint[])``) instead of a placeholder each (which psycopg
    would parse and quote one by one in Python), with the ids' range (``BETWEEN``) for a
    column of ``model`` itself.

    ``by_range`` makes the range the only condition an index can serve (the array is then
    checked on the rows it finds): for a non-unique column of a table whose statistics may
    predate its rows (the outbox, filled from empty by the first planning pass after an
    import), where the array alone can make the planner walk the whole table."""
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql" or not ids:
        return Q(**{f"{lookup}__in": list(ids)})
    name = "id" if lookup == "pk" else lookup
    own = name in {f.attname for f in model._meta.concrete_fields} | {
        f.name for f in model._meta.concrete_fields}
    column = F(lookup) + 0 if by_range and own else F(lookup)  # "+ 0": no index for the array
    found = Q(_AnyOf(column, "{" + ",".join(str(int(i)) for i in ids) + "}"))
    if own:
        found &= Q(**{f"{lookup}__gte": min(ids), f"{lookup}__lte": max(ids)})
    return found


class _AnyOf(Lookup):  # type: ignore[type-arg]
    """``<lhs> = ANY(<rhs>::bigint[])``, ``rhs`` an array literal of integers (used only by
    ``among``; not registered as a lookup)."""

    lookup_name = "settle_any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*params, self.rhs]
