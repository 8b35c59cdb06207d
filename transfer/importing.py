"""The import itself, one code path for the dry run and the real run.

Every row (for invoices: every group of rows with the same invoice number) is written through
the domain services inside its own savepoint, so a row that fails is undone and the next one is
still tried: the run collects *every* row's error with its line and column. The whole run is
one transaction, rolled back at the end of a dry run and whenever any row failed. A dry run is
therefore the real import, undone: the two cannot disagree about what is valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clients.models import Client, PaymentMethod
from clients.services import client_create, client_update
from core.money import MoneyError, normalize_currency, parse_amount
from receivables.models import Invoice, Payment, PaymentSource
from receivables.services import (
    LineInput,
    invoice_create,
    invoice_update,
    payment_record,
    payment_sync_record,
)
from transfer.columns import LAYOUTS, Mapping, detect_kind, match_headers
from transfer.models import ImportKind
from transfer.reading import Table, read_table
from transfer.values import Options, parse_date, parse_decimal_text, text

Outcome = str  # "created", "updated" or "unchanged"


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "value": self.value,
                "reason": self.reason}


@dataclass
class Report:
    kind: ImportKind
    rows_total: int
    unknown_columns: list[str]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class RowProblems(Exception):
    """One or more cells of a row are wrong: (column key, reason) each."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(reason for _, reason in problems))
        self.problems = problems


@dataclass
class Record:
    """One row of the file, read through the header mapping."""

    line: int
    cells: list[Any]
    mapping: Mapping

    def has(self, key: str) -> bool:
        return key in self.mapping.indexes

    def raw(self, key: str) -> Any:
        index = self.mapping.indexes.get(key)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def text(self, key: str) -> str:
        return text(self.raw(key))


@dataclass
class Context:
    options: Options
    actor: User | None
    seen: dict[Any, int] = field(default_factory=dict)  # natural key → first line


# --- Reading a row's cells ----------------------------------------------------------------------

class Cells:
    """Parses the cells of one record, collecting every problem before giving up on the row."""

    def __init__(self, record: Record, options: Options) -> None:
        self.record, self.options = record, options
        self.problems: list[tuple[str, str]] = []

    def text(self, key: str, *, required: str = "") -> str:
        value = self.record.text(key)
        if not value and required:
            self.problems.append((key, required))
        return value

    def date(self, key: str, *, required: str = "") -> date | None:
        if not self.record.text(key):
            if required:
                self.problems.append((key, required))
            return None
        try:
            return parse_date(self.record.raw(key), self.options, today=timezone.localdate())
        except ValueError as exc:
            self.problems.append((key, str(exc)))
            return None

    def number(self, key: str, *, required: str = "", what: str = "amount") -> Decimal | None:
        if not self.record.text(key):
            if required:
                self.problems.append((key, required))
            return None
        try:
            return parse_decimal_text(self.record.raw(key), self.options, what=what)
        except ValueError as exc:
            self.problems.append((key, str(exc)))
            return None

    def check(self) -> None:
        if self.problems:
            raise RowProblems(self.problems)


def _once(ctx: Context, key: Any, record: Record, column: str, what: str) -> None:
    first = ctx.seen.setdefault(key, record.line)
    if first != record.line:
        raise RowProblems([(column, f"{what} is already on line {first} of this file.")])


def _client(reference: str, column: str) -> Client:
    client = Client.objects.filter(reference=reference).first()
    if client is None:
        raise RowProblems([(column, f"No client with reference '{reference}' in Settle: "
                                    "import the clients first, or fix the reference.")])
    return client


# --- Clients ------------------------------------------------------------------------------------

CLIENT_FIELDS = ("display_name", "legal_name", "contact_name", "email", "mobile_phone", "phone",
                 "address_line1", "address_line2", "postcode", "city", "region", "country",
                 "language", "timezone", "default_currency", "notes")
_UPPER = {"country", "default_currency"}


def import_client(records: list[Record], ctx: Context) -> Outcome:
    [record] = records
    cells = Cells(record, ctx.options)
    reference = cells.text("reference", required="A client reference is required.")
    fields: dict[str, str] = {}
    for name in CLIENT_FIELDS:
        value = record.text(name)
        if value:  # an empty cell leaves the field as it is
            fields[name] = (value.upper() if name in _UPPER
                            else value.lower() if name in ("language", "email") else value)
    cells.check()
    _once(ctx, ("client", reference), record, "reference", f"Client {reference}")
    existing = Client.objects.filter(reference=reference).first()
    if existing is not None:
        _, changed = client_update(client=existing, actor=ctx.actor, source="import", **fields)
        return "updated" if changed else "unchanged"
    if not fields.get("display_name"):
        raise RowProblems([("display_name", "A new client needs a name.")])
    client_create(actor=ctx.actor, reference=reference, **fields)
    return "created"


# --- Invoices -----------------------------------------------------------------------------------

_HEADER_KEYS = ("client", "issue_date", "due_date", "currency", "reference", "notes")


def _invoice_line(record: Record, cells: Cells, number: str, currency: str) -> LineInput | None:
    description = record.text("description") or f"Invoice {number}"
    if record.has("unit_price") and record.text("unit_price"):
        price = cells.number("unit_price", what="unit price")
        quantity = cells.number("quantity", what="quantity") or Decimal(1)
        rate = cells.number("tax_rate", what="tax rate") or Decimal(0)
        return LineInput(description, price, quantity, rate) if price is not None else None
    total = cells.number("total", required="The total is required (or a unit price).")
    tax = cells.number("tax", what="tax")
    tax_rate = cells.number("tax_rate", what="tax rate")
    if total is None or cells.problems or not currency:
        return None
    try:
        total = parse_amount(total, currency, what="The total")
        tax = parse_amount(tax, currency, what="The tax") if tax is not None else None
    except MoneyError as exc:
        cells.problems.append(("total", str(exc)))
        return None
    return _total_line(description, total, tax, tax_rate, currency, cells)


def _total_line(description: str, total: Decimal, tax: Decimal | None, rate: Decimal | None,
                currency: str, cells: Cells) -> LineInput | None:
    """One line whose net plus tax is exactly ``total``: the rate is the one the file gives, or
    the one its tax amount implies (checked by recomputing the tax the way Settle does)."""
    from core.money import percent_of
    from core.money import quantize as q

    if tax is None and not rate:
        return LineInput(description, total, 1, 0)
    if tax is not None:
        net = total - tax
        if net <= 0 or tax < 0:
            cells.problems.append(("tax", f"The tax {tax} does not fit the total {total}."))
            return None
        rate = rate if rate is not None else (tax / net * 100).quantize(Decimal("0.0001"))
    else:
        assert rate is not None
        net = q(total * 100 / (100 + rate), currency)
    if net + percent_of(net, rate, currency) != total:
        cells.problems.append(("tax", f"A total of {total} with {rate} % tax does not split into "
                                      "net and tax to the cent; give one row per line with a "
                                      "unit price and tax rate instead."))
        return None
    return LineInput(description, net, 1, rate)


def _invoice_head(records: list[Record], ctx: Context) -> tuple[dict[str, Any], Cells]:
    """The invoice's own fields, from its first row; later rows may repeat them, not differ."""
    first = records[0]
    cells = Cells(first, ctx.options)
    head: dict[str, Any] = {
        "client": cells.text("client", required="The client reference is required."),
        "issue_date": cells.date("issue_date", required="The issue date is required."),
        "due_date": cells.date("due_date"),
        "currency": first.text("currency").upper(),
        "reference": first.text("reference"), "notes": first.text("notes")}
    differing = [(other.line, [(key, f"Differs from line {first.line}, which has the same "
                                     f"invoice number ({first.text(key) or 'empty'}).")])
                 for other in records[1:] for key in _HEADER_KEYS
                 if other.text(key) and other.text(key) != first.text(key)]
    if differing:
        raise GroupProblems(differing)
    return head, cells


def import_invoice(records: list[Record], ctx: Context) -> Outcome:
    number = records[0].text("number")
    if not number:
        raise RowProblems([("number", "The invoice number is required.")])
    head, cells = _invoice_head(records, ctx)
    client = None
    if head["client"]:
        try:
            client = _client(head["client"], "client")
        except RowProblems as exc:
            cells.problems += exc.problems
    currency = head["currency"] or (client.default_currency if client else "")
    try:
        currency = normalize_currency(currency) if currency else ""
    except MoneyError as exc:
        cells.problems.append(("currency", str(exc)))
        currency = ""
    lines, problems = _lines(records, ctx, number, currency)
    first = records[0].line
    problems[first] = cells.problems + problems.get(first, [])
    if any(problems.values()):
        raise GroupProblems([(line, p) for line, p in sorted(problems.items()) if p])
    assert client is not None and head["issue_date"] is not None
    existing = Invoice.objects.filter(number=number).select_related("client").first()
    if existing is None:
        invoice_create(client=client, number=number, issue_date=head["issue_date"],
                       due_date=head["due_date"], currency=currency, lines=lines,
                       reference=head["reference"], notes=head["notes"], source="import",
                       actor=ctx.actor)
        return "created"
    if existing.client_id != client.pk:
        raise RowProblems([("client", f"Invoice {number} belongs to client "
                                      f"{existing.client.reference} "
                                      f"({existing.client.display_name}) in Settle.")])
    _, changed = invoice_update(
        invoice=existing, issue_date=head["issue_date"], due_date=head["due_date"],
        currency=currency if records[0].text("currency") else None, lines=lines,
        reference=head["reference"] if records[0].has("reference") else None,
        notes=head["notes"] if records[0].has("notes") else None, actor=ctx.actor)
    return "updated" if changed else "unchanged"


def _lines(records: list[Record], ctx: Context, number: str, currency: str
           ) -> tuple[list[LineInput], dict[int, list[tuple[str, str]]]]:
    lines, problems = [], {}
    for record in records:
        cells = Cells(record, ctx.options)
        line = _invoice_line(record, cells, number, currency)
        if cells.problems:
            problems[record.line] = cells.problems
        elif line is not None:
            lines.append(line)
    return lines, problems


class GroupProblems(Exception):
    """Problems in several rows of one invoice: (line, [(column key, reason)]) each."""

    def __init__(self, problems: list[tuple[int, list[tuple[str, str]]]]) -> None:
        super().__init__("problems in several rows")
        self.problems = problems


# --- Payments -----------------------------------------------------------------------------------

_TRANSFER = PaymentMethod.BANK_TRANSFER.value
_METHODS = {**{m.value: m.value for m in PaymentMethod},
            **{m.label.lower(): m.value for m in PaymentMethod},
            "transfer": _TRANSFER, "bank": _TRANSFER, "sepa": _TRANSFER, "wire": _TRANSFER,
            "credit card": PaymentMethod.CARD.value, "check": PaymentMethod.CHEQUE.value,
            "sepa direct debit": PaymentMethod.DIRECT_DEBIT.value}


def _method(value: str) -> str:
    key = re.sub(r"[\s_-]+", " ", value.strip().lower())
    method = _METHODS.get(key) or _METHODS.get(key.replace(" ", "_"))
    if method is None:
        raise ValueError(f"Unknown payment method '{value}'; use one of "
                         f"{', '.join(PaymentMethod.values)}.")
    return method


def import_payment(records: list[Record], ctx: Context) -> Outcome:
    [record] = records
    cells = Cells(record, ctx.options)
    client_ref = cells.text("client", required="The client reference is required.")
    reference = cells.text("reference", required=(
        "A payment without a reference cannot be told apart from the same payment imported "
        "again: give each payment its bank or receipt reference."))
    received_on = cells.date("received_on", required="The payment date is required.")
    amount = cells.number("amount", required="The amount is required.")
    method = PaymentMethod.BANK_TRANSFER.value
    if record.text("method"):
        try:
            method = _method(record.text("method"))
        except ValueError as exc:
            cells.problems.append(("method", str(exc)))
    cells.check()
    assert received_on is not None and amount is not None
    client = _client(client_ref, "client")
    _once(ctx, ("payment", client.pk, reference), record, "reference",
          f"Payment {reference} of client {client_ref}")
    currency = record.text("currency").upper() or None
    existing = Payment.objects.filter(client=client, reference=reference).first()
    if existing is not None:
        return _payment_unchanged(existing, amount, currency)
    payment_record(client=client, amount=amount, received_on=received_on, currency=currency,
                   method=method, reference=reference, source=PaymentSource.IMPORT,
                   invoices=_paid_invoices(record), notes=record.text("notes"),
                   actor=ctx.actor)
    return "created"


def _payment_unchanged(existing: Payment, amount: Decimal, currency: str | None) -> Outcome:
    if amount != existing.amount or (currency and currency != existing.currency):
        raise RowProblems([("amount", (
            f"Payment {existing.reference} is already recorded for this client with "
            f"{existing.amount:f} {existing.currency}; the file says {amount:f} "
            f"{currency or existing.currency}. A recorded payment cannot change: give the new "
            "payment its own reference."))])
    return "unchanged"


def _paid_invoices(record: Record) -> list[Invoice] | None:
    numbers = [n.strip() for n in re.split(r"[,;|]", record.text("invoices")) if n.strip()]
    if not numbers:
        return None
    found = {inv.number: inv for inv in Invoice.objects.filter(number__in=numbers)}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise RowProblems([("invoices", f"No invoice {', '.join(missing)} in Settle.")])
    return [found[n] for n in numbers]


# --- The run ------------------------------------------------------------------------------------

IMPORTERS: dict[ImportKind, Callable[[list[Record], Context], Outcome]] = {
    ImportKind.CLIENTS: import_client,
    ImportKind.INVOICES: import_invoice,
    ImportKind.PAYMENTS: import_payment,
}


@dataclass
class Prepared:
    kind: ImportKind
    table: Table
    mapping: Mapping

    def units(self) -> Iterator[list[Record]]:
        """Rows grouped as they are imported: an invoice's rows together, else one by one."""
        records = [Record(line, cells, self.mapping) for line, cells in self.table.rows]
        if self.kind != ImportKind.INVOICES:
            yield from ([r] for r in records)
            return
        groups: dict[str, list[Record]] = {}
        for record in records:
            groups.setdefault(record.text("number") or f"\0{record.line}", []).append(record)
        yield from groups.values()


def prepare(content: bytes, filename: str, kind: ImportKind | str | None, *,
            encoding: str = "") -> Prepared:
    """Read the file (a CSV in ``encoding``, UTF-8 when empty) and map its header;
    ``FileError``/``HeaderError`` say what is wrong."""
    table = read_table(content, filename, encoding=encoding)
    chosen = ImportKind(kind) if kind else detect_kind(table.headers)
    return Prepared(chosen, table, match_headers(LAYOUTS[chosen], table.headers))


def run(prepared: Prepared, *, options: Options, actor: User | None, commit: bool,
        progress: Callable[[int], None] | None = None) -> Report:
    """Import every row; keep the writes only when ``commit`` and no row failed."""
    report = Report(prepared.kind, len(prepared.table.rows), prepared.mapping.unknown)
    ctx = Context(options=options, actor=actor)
    importer = IMPORTERS[prepared.kind]
    done = 0
    with transaction.atomic():
        for records in prepared.units():
            try:
                with transaction.atomic():
                    report.count(importer(records, ctx))
            except (RowProblems, GroupProblems, ValidationError) as exc:
                report.errors.extend(_errors(exc, records, prepared.mapping))
            done += len(records)
            if progress is not None:
                progress(done)
        if commit and report.ok and prepared.kind == ImportKind.PAYMENTS:
            payment_sync_record(source=PaymentSource.IMPORT, payments=report.created)
        if not (commit and report.ok):
            transaction.set_rollback(True)
    return report


# Service field names → the column they come from.
_FIELD_COLUMNS = {
    ImportKind.INVOICES: {"lines": "total", "terms": "client"},
    ImportKind.PAYMENTS: {},
    ImportKind.CLIENTS: {},
}


def _errors(exc: Exception, records: list[Record], mapping: Mapping) -> Iterable[RowError]:
    if isinstance(exc, GroupProblems):
        by_line = {r.line: r for r in records}
        for line, problems in exc.problems:
            yield from _errors(RowProblems(problems), [by_line[line]], mapping)
        return
    record = records[0]
    if isinstance(exc, RowProblems):
        pairs = exc.problems
    else:
        assert isinstance(exc, ValidationError)
        pairs = [(key, message) for key, messages in _message_dict(exc).items()
                 for message in messages]
    columns = _FIELD_COLUMNS[mapping.layout.kind]
    for key, reason in pairs:
        column = columns.get(key, key)
        if column == "total" and mapping.layout.kind == ImportKind.INVOICES \
                and "unit_price" in mapping.indexes and "total" not in mapping.indexes:
            column = "unit_price"
        known = column in {c.key for c in mapping.layout.columns}
        yield RowError(line=record.line, column=mapping.header_of(column) if known else "",
                       value=record.text(column) if known else "", reason=reason)


def _message_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {key: [m for e in errors for m in e.messages] for key, errors
                in exc.error_dict.items()}
    return {"__all__": exc.messages}
