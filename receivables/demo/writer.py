"""Writing the book: ``Writer`` inserts rows in batches with their ids reserved up front,
``insert`` writes one round parents first; and the two settings the build runs under (no
cyclic garbage collection, a bigger SQLite page cache).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from operator import attrgetter
from typing import Any

from django.db import connection, models

from clients.models import Interaction, InteractionInvoice
from receivables.demo.bookkeeping import Ledger
from receivables.demo.options import DemoBookError
from receivables.demo.rows import LinkRow
from receivables.models import (
    Invoice,
    InvoiceAdjustment,
    InvoiceLine,
    Payment,
    PaymentAllocation,
)

BATCH_SIZE = 2000


def _pk_of(value: Any) -> Any:
    """The id of a parent row or model instance (a foreign key's value)."""
    return None if value is None else value.pk


def _text(value: Any) -> Any:
    return value if value is None or type(value) is str else str(value)  # choices enums


def _memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Convert each distinct value once (dates and times repeat a lot across a book)."""
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        if value not in seen:
            seen[value] = convert(value)
        return seen[value]
    return cached


Converter = Callable[[Any], Any] | None


def _stamped(f: models.Field) -> bool:
    """Set on save (``auto_now``, ``auto_now_add``)."""
    return bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the book is built: it would walk the hundreds
    of thousands of live rows again and again (about 15 % of the time on 100k invoices), and
    the rows form no cycles that need it. Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def sqlite_cache(kib: int = 256 * 1024) -> Iterator[None]:
    """A bigger SQLite page cache while the book is written: its indexes outgrow the 2 MiB
    default and inserts then re-read pages (about a quarter of the insert time on 100k
    invoices). The connection's own setting comes back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


class Writer:
    """Writes rows with their ids reserved up front: batched executemany on SQLite, COPY on
    PostgreSQL.

    QuerySet.bulk_create compiles SQL value by value (about 5 µs each, and on SQLite Django
    caps a statement at 999 parameters): over 80 s for a 100k-invoice book. Here each column
    gets its adapter once per table: the backend's own ``adapt_*_value`` operations (what the
    ORM sends last), identity for text, integers and ids, and on SQLite a decimal's text with
    the column's places (what ``format_number`` makes of it). Constraints and triggers apply
    as for any insert; generated columns are left to the database.
    """

    def __init__(self, now: datetime) -> None:
        if connection.vendor not in ("sqlite", "postgresql"):
            raise DemoBookError(f"The demo book supports SQLite and PostgreSQL, not "
                                f"{connection.vendor}.")
        self.sqlite = connection.vendor == "sqlite"
        self.now = now

    def write(self, model: type[models.Model], rows: Sequence[Any], *,
              own_times: bool = False) -> None:
        """Rows are model instances or plain rows with every field as an attribute (a
        foreign key holding the parent); each gets its ``id`` here. A plain row without an
        attribute for a field gets the field's default (a column added to the model later
        does not break the book). ``own_times``: the rows' own values for ``auto_now`` and
        ``auto_now_add`` fields (history written as of its day), not the writer's now."""
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        for row, pk in zip(rows, self._reserve_ids(model, len(rows)), strict=True):
            row.id = pk
        instances = isinstance(rows[0], models.Model)
        columns = [self._column(f, instances, own_times) if instances or f.primary_key
                   or hasattr(rows[0], f.name) or (_stamped(f) and not own_times)
                   else self._default(f) for f in fields]
        fetch = attrgetter(*[attribute for attribute, _ in columns])
        converters = [(i, convert) for i, (_, convert) in enumerate(columns) if convert]

        def values(row: Any) -> list[Any]:
            result = list(fetch(row))
            for i, convert in converters:
                result[i] = convert(result[i])
            return result
        qn = connection.ops.quote_name
        # Identifiers come from the model's _meta, quoted; every value is a parameter.
        table = qn(model._meta.db_table)
        names = ", ".join(qn(f.column) for f in fields)
        with connection.cursor() as cursor:
            if not self.sqlite:  # COPY: executemany would cost a round trip per row
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(values(row))
                return
            # SQLite: one prepared statement, stepped per row.
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
            for start in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(sql, [values(row) for row in rows[start:start + BATCH_SIZE]])

    def _reserve_ids(self, model: type[models.Model], count: int) -> Sequence[int]:
        table, pk = model._meta.db_table, model._meta.pk.column
        with connection.cursor() as cursor:
            if not self.sqlite:  # the sequence hands out ids no other session gets
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                               "FROM generate_series(1, %s)", [table, pk, count])
                return [row[0] for row in cursor.fetchall()]
            # SQLite: after the highest id ever used (AUTOINCREMENT keeps it in
            # sqlite_sequence). Our IMMEDIATE transaction holds the write lock; should another
            # writer slip in anyway, the primary key makes this insert fail, never mix rows.
            qn = connection.ops.quote_name
            cursor.execute(f"SELECT MAX(m) FROM (SELECT MAX({qn(pk)}) AS m FROM {qn(table)} "  # noqa: S608
                           "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)", [table])
            start = (cursor.fetchone()[0] or 0) + 1
        return range(start, start + count)

    def _default(self, f: models.Field) -> tuple[str, Converter]:
        """The field's default for every row (read the id, ignore it)."""
        if not f.has_default() and not f.null:
            raise DemoBookError(f"{f.model.__name__}.{f.name}: the demo book sets no value "
                                "and the field has no default.")
        value = f.get_db_prep_save(f.get_default(), connection)
        return "id", lambda _: value

    def _column(self, f: models.Field, instances: bool, own_times: bool = False
                ) -> tuple[str, Converter]:
        """(attribute to read, converter or None for as-is) for one column."""
        if f.primary_key:
            return "id", None
        if not own_times and _stamped(f):
            stamp = f.get_db_prep_save(self.now, connection)  # what pre_save would set
            return "id", lambda _: stamp
        if f.is_relation:  # an instance has the id; a plain row holds the parent
            return (f.attname, None) if instances else (f.name, _pk_of)
        return f.attname, self._converter(f)

    def _converter(self, f: models.Field) -> Converter:
        ops = connection.ops
        if isinstance(f, models.DecimalField):
            if not self.sqlite:
                digits, places = f.max_digits, f.decimal_places
                return lambda v: ops.adapt_decimalfield_value(v, digits, places)
            spec = f".{f.decimal_places}f"
            return lambda v: None if v is None else format(v, spec)
        if isinstance(f, models.CharField | models.TextField):
            return _text
        if isinstance(f, models.IntegerField | models.BooleanField):
            return None
        if isinstance(f, models.JSONField):
            encoder = f.encoder
            empty = ops.adapt_json_value({}, encoder)  # most content and metadata are empty
            return lambda v: empty if v == {} else ops.adapt_json_value(v, encoder)
        if isinstance(f, models.DateTimeField):
            return _memo(ops.adapt_datetimefield_value)
        if isinstance(f, models.DateField):
            return _memo(ops.adapt_datefield_value)
        return partial(f.get_db_prep_save, connection=connection)


def insert(writer: Writer, ledger: Ledger) -> None:
    """Write one round, parents first: each row's id is known before its children are written."""
    writer.write(Invoice, ledger.invoices)
    writer.write(InvoiceLine, ledger.lines)
    writer.write(Payment, ledger.payments)
    writer.write(PaymentAllocation, ledger.allocations)
    writer.write(InvoiceAdjustment, ledger.adjustments)
    ledger.entries.sort(key=lambda e: e.occurred_at)  # ids in timeline order
    for entry in ledger.entries:
        if entry.payment is not None:
            entry.metadata = {"payment_id": entry.payment.id, **entry.metadata}
    writer.write(Interaction, ledger.entries)
    writer.write(InteractionInvoice, [LinkRow(e, inv) for e in ledger.entries
                                      for inv in e.invoices])
