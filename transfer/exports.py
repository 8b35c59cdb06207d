"""CSV exports: records (lists of strings) for invoices, payments, aging and the timeline.

Amounts are plain decimal strings at the currency's minor unit (``1234.50``) with the currency
in its own column; text cells that a spreadsheet would run as a formula (= + - @) get a quote
in front. The invoices and payments exports use the import's column names, so an export
re-imports as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from clients.models import Client, Interaction
from core.money import quantize
from receivables.models import Invoice, Payment, PaymentAllocation
from receivables.selectors import AGING_BUCKETS

CHUNK = 2000


def cell(value: object) -> str:
    """Text for a spreadsheet: a leading = + - @ (or tab/CR) would make it a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def money(amount: Decimal | None, currency: str) -> str:
    return f"{quantize(amount or Decimal(0), currency):f}"


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


INVOICE_HEADER = ["Invoice number", "Client reference", "Client", "Issue date", "Due date",
                  "Currency", "Subtotal", "Tax", "Total", "Fees and interest",
                  "Discounts and write-offs", "Paid", "Balance", "Status", "Reference",
                  "Source"]


def _between(qs: QuerySet[Any], field: str, start: date | None, end: date | None
             ) -> QuerySet[Any]:
    if start:
        qs = qs.filter(**{f"{field}__gte": start})
    if end:
        qs = qs.filter(**{f"{field}__lte": end})
    return qs


def invoice_records(*, status: str = "", start: date | None = None, end: date | None = None
                    ) -> Iterator[list[str]]:
    qs = _between(Invoice.objects.select_related("client").order_by("issue_date", "number"),
                  "issue_date", start, end)
    if status:
        qs = qs.filter(status=status)
    yield INVOICE_HEADER
    for inv in qs.iterator(chunk_size=CHUNK):
        c = inv.currency
        yield [cell(inv.number), cell(inv.client.reference), cell(inv.client.display_name),
               _day(inv.issue_date), _day(inv.due_date), c, money(inv.subtotal, c),
               money(inv.tax_total, c), money(inv.total, c), money(inv.charges_total, c),
               money(inv.reductions_total, c), money(inv.amount_paid, c),
               money(inv.balance, c), inv.get_status_display(), cell(inv.reference),
               inv.source]


PAYMENT_HEADER = ["Client reference", "Client", "Payment reference", "Payment date", "Amount",
                  "Currency", "Method", "Invoice number", "Allocated", "Unapplied", "Source",
                  "Notes"]


def payment_records(*, start: date | None = None, end: date | None = None
                    ) -> Iterator[list[str]]:
    qs = _between(Payment.objects.select_related("client").order_by("received_on", "pk")
                  .prefetch_related(Prefetch("allocations", queryset=PaymentAllocation.objects
                                             .select_related("invoice").order_by("pk"))),
                  "received_on", start, end)
    yield PAYMENT_HEADER
    for p in qs.iterator(chunk_size=CHUNK):
        c = p.currency
        numbers = ", ".join(dict.fromkeys(a.invoice.number for a in p.allocations.all()))
        yield [cell(p.client.reference), cell(p.client.display_name), cell(p.reference),
               _day(p.received_on), money(p.amount, c), c, p.method, cell(numbers),
               money(p.amount_allocated, c), money(p.unapplied, c), p.source, cell(p.notes)]


AGING_HEADER = ["Client reference", "Client", "Currency",
                *(b.label for b in AGING_BUCKETS), "Total"]


def aging_records(*, today: date) -> Iterator[list[str]]:
    """Per client and currency, what is owed in each aging bucket (the buckets of
    ``receivables.selectors``, summed by the database)."""
    sums = {f"b{i}": Sum("balance", filter=b.q(today)) for i, b in enumerate(AGING_BUCKETS)}
    rows = (Invoice.objects.receivable()
            .values("client__reference", "client__display_name", "currency")
            .annotate(total=Sum("balance"), **sums)
            .order_by("client__display_name", "client__reference", "currency"))
    yield AGING_HEADER
    for row in rows.iterator(chunk_size=CHUNK):
        c = row["currency"]
        yield [cell(row["client__reference"]), cell(row["client__display_name"]), c,
               *(money(row[f"b{i}"], c) for i in range(len(AGING_BUCKETS))),
               money(row["total"], c)]


TIMELINE_HEADER = ["Occurred at", "Client reference", "Client", "Kind", "Channel", "Summary",
                   "By", "Invoices"]


def timeline_records(*, client: Client | None = None, start: date | None = None,
                     end: date | None = None) -> Iterator[list[str]]:
    """The timeline, oldest first. Times are in each client's own time zone with their
    offset; the date range is read in the client's zone (one client) or the server's."""
    zone = ZoneInfo(client.timezone) if client else timezone.get_current_timezone()
    qs: QuerySet[Interaction] = (Interaction.objects.select_related("client")
                                 .prefetch_related("invoices").order_by("occurred_at", "pk"))
    if client is not None:
        qs = qs.filter(client=client)
    window = Q()
    if start:
        window &= Q(occurred_at__gte=datetime.combine(start, time(0), zone))
    if end:
        window &= Q(occurred_at__lt=datetime.combine(end + timedelta(days=1), time(0), zone))
    yield TIMELINE_HEADER
    for entry in qs.filter(window).iterator(chunk_size=CHUNK):
        local = entry.occurred_at.astimezone(ZoneInfo(entry.client.timezone))
        yield [local.isoformat(timespec="seconds"), cell(entry.client.reference),
               cell(entry.client.display_name), entry.get_kind_display(),
               entry.get_channel_display(), cell(entry.summary), cell(entry.actor_label),
               cell(", ".join(inv.number for inv in entry.invoices.all()))]
