"""Reads for receivables: open invoices with their age, aging buckets, balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum

from clients.business import business
from clients.models import Client
from core import terms as termsmath
from core.money import quantize as q
from receivables.models import (
    RECEIVABLE_STATUSES,
    AdjustmentKind,
    Invoice,
    InvoiceAdjustment,
    Payment,
    PaymentAllocation,
    PaymentSource,
    PaymentSync,
)

FEED_SOURCES = (PaymentSource.IMPORT, PaymentSource.API)
SYNC_CACHE_KEY = "settle:payment-sync:last"  # cleared by services.payment_sync_record


@dataclass(frozen=True)
class PaymentFeed:
    """How old Settle's payment data is, when payments come from an import or the API."""

    last_synced_at: datetime
    limit: timedelta
    now: datetime

    @property
    def age(self) -> timedelta:
        return self.now - self.last_synced_at

    @property
    def stale(self) -> bool:
        return self.age > self.limit

    @property
    def age_text(self) -> str:
        hours = int(self.age.total_seconds() // 3600)
        return f"{hours // 24} days {hours % 24} h" if hours >= 48 else f"{hours} h"


def payment_feed(*, now: datetime) -> PaymentFeed | None:
    """The payment feed's age; None when payments have never come from an import or the API
    (they are recorded in Settle, so Settle's data is current) or the admin turned the
    check off (Configure → Business: 0 hours)."""
    last = cache.get(SYNC_CACHE_KEY, "unknown")  # every page's banner asks: a minute's cache
    if last == "unknown":
        last = PaymentSync.objects.aggregate(last=Max("synced_at"))["last"]
        cache.set(SYNC_CACHE_KEY, last, 60)
    if last is None:
        return None
    hours = business().payment_sync_max_hours
    if not hours:
        return None
    return PaymentFeed(last_synced_at=last, limit=timedelta(hours=hours), now=now)


def fed_client(client_ref: F | None = None) -> Q:
    """A condition on a query: the client's invoices or payments come from an import or the
    API (``client_ref`` is the client's id column, OuterRef("client_id") by default)."""
    ref = client_ref if client_ref is not None else OuterRef("client_id")
    return (Q(Exists(Invoice.objects.filter(client_id=ref, source__in=FEED_SOURCES)))
            | Q(Exists(Payment.objects.filter(client_id=ref, source__in=FEED_SOURCES))))


def credit_available(*, client: Client, currency: str) -> Decimal:
    """The client's unapplied credit in ``currency`` (overpayments not yet used)."""
    payments = Payment.objects.filter(client=client, currency=currency, unapplied__gt=0)
    return q(sum((p.unapplied for p in payments), Decimal(0)), currency)



def client_balances(*, client: Client) -> dict[str, dict[str, Any]]:
    """Open balance and unapplied credit per currency, for headers and statements."""
    result: dict[str, dict[str, Any]] = {}
    for invoice in client.invoices.filter(status__in=RECEIVABLE_STATUSES):
        entry = result.setdefault(invoice.currency, {"owed": Decimal(0), "credit": Decimal(0)})
        entry["owed"] += invoice.balance
    for payment in client.payments.filter(unapplied__gt=0):
        entry = result.setdefault(payment.currency, {"owed": Decimal(0), "credit": Decimal(0)})
        entry["credit"] += payment.unapplied
    return result


@dataclass(frozen=True)
class AgingBucket:
    key: str
    label: str
    min_days: int | None  # days overdue, inclusive; None = not yet due
    max_days: int | None  # inclusive; None = no upper end

    def q(self, today: date) -> Q:
        """Filter on the due date, so the database can use its (status, due_date) index."""
        if self.min_days is None:
            return Q(due_date__gte=today)
        condition = Q(due_date__lte=today - timedelta(days=self.min_days))
        if self.max_days is not None:
            condition &= Q(due_date__gte=today - timedelta(days=self.max_days))
        return condition


AGING_BUCKETS = (
    AgingBucket("current", "Current", None, None),
    AgingBucket("1-30", "1–30 days", 1, 30),
    AgingBucket("31-60", "31–60 days", 31, 60),
    AgingBucket("61-90", "61–90 days", 61, 90),
    AgingBucket("90+", "Over 90 days", 91, None),
)
BUCKETS_BY_KEY = {b.key: b for b in AGING_BUCKETS}


def bucket_for(days_overdue: int) -> AgingBucket:
    for bucket in AGING_BUCKETS[1:]:
        if days_overdue >= (bucket.min_days or 0) and (bucket.max_days is None
                                                       or days_overdue <= bucket.max_days):
            return bucket
    return AGING_BUCKETS[0]


def open_invoices(*, today: date, owner: Any = None, bucket: str | None = None,
                  search: str = "") -> QuerySet[Invoice]:
    """Invoices with money still owed, most overdue first, with their client loaded."""
    qs = Invoice.objects.receivable().select_related("client")
    if owner is not None:
        qs = qs.filter(client__owner=owner)
    if bucket:
        qs = qs.filter(BUCKETS_BY_KEY[bucket].q(today))
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(client__display_name__icontains=term)
                       | Q(client__reference__iexact=term) | Q(reference__icontains=term))
    return qs.order_by("due_date", "number")


def aging_summary(*, today: date, owner: Any = None) -> list[dict[str, Any]]:
    """Per currency: balance and count in each aging bucket, in one query."""
    qs = Invoice.objects.receivable()
    if owner is not None:
        qs = qs.filter(client__owner=owner)
    aggregates: dict[str, Any] = {}
    for b in AGING_BUCKETS:
        aggregates[f"sum_{b.key}"] = Sum("balance", filter=b.q(today))
        aggregates[f"n_{b.key}"] = Count("id", filter=b.q(today))
    rows = qs.values("currency").annotate(total=Sum("balance"), n=Count("id"),
                                          **aggregates).order_by("currency")
    return [{
        "currency": row["currency"],
        "total": q(row["total"] or 0, row["currency"]),
        "count": row["n"],
        "buckets": [{"bucket": b, "amount": q(row[f"sum_{b.key}"] or 0, row["currency"]),
                     "count": row[f"n_{b.key}"]} for b in AGING_BUCKETS],
    } for row in rows]


def invoice_quote(*, invoice: Invoice, on: date) -> termsmath.Quote:
    """What settles ``invoice`` in full on ``on``: ``principal`` is what it owes now (booked
    fees and interest included), ``discount`` the early-payment discount that applies that
    day, ``late_fee`` and ``interest`` what the terms add by then *beyond what is booked*.

    The terms work on the invoiced amount (less discounts and write-offs), never on booked
    fees or interest: a fee is charged once, and interest does not run on fees."""
    return invoice_quotes([invoice], on=on)[invoice.pk]


def invoice_quotes(invoices: list[Invoice], *, on: date) -> dict[int, termsmath.Quote]:
    """``invoice_quote`` for many invoices in two queries (their payments, their booked fees
    and interest), whatever their number."""
    ids = [i.pk for i in invoices]
    paid: dict[int, list[tuple[date, Decimal]]] = {pk: [] for pk in ids}
    for invoice_id, received_on, amount in PaymentAllocation.objects.filter(
            invoice_id__in=ids).values_list("invoice_id", "payment__received_on", "amount"):
        paid[invoice_id].append((received_on, amount))
    booked: dict[int, dict[str, Decimal]] = {pk: {} for pk in ids}
    for row in InvoiceAdjustment.objects.filter(
            invoice_id__in=ids, kind__in=[AdjustmentKind.LATE_FEE, AdjustmentKind.INTEREST]
            ).values("invoice_id", "kind").annotate(amount=Sum("amount")):
        booked[row["invoice_id"]][row["kind"]] = row["amount"]
    return {i.pk: _quote(i, on, paid[i.pk], booked[i.pk]) for i in invoices}


def _quote(invoice: Invoice, on: date, allocations: list[tuple[date, Decimal]],
           booked: dict[str, Decimal]) -> termsmath.Quote:
    base = invoice.total - invoice.reductions_total
    quote = termsmath.quote(
        invoice.terms.as_rule(), total=q(base, invoice.currency), currency=invoice.currency,
        issue_date=invoice.issue_date, due_date=invoice.due_date, on=on, payments=allocations)
    zero = Decimal(0)
    fee = zero if booked.get(AdjustmentKind.LATE_FEE, zero) > 0 else quote.late_fee
    interest = max(quote.interest - booked.get(AdjustmentKind.INTEREST, zero), zero)
    return termsmath.Quote(principal=q(invoice.balance, invoice.currency),
                           discount=quote.discount, late_fee=q(fee, invoice.currency),
                           interest=q(interest, invoice.currency))


@dataclass(frozen=True)
class Settlement:
    """What settles one invoice in full on a given day: its booked balance, less the
    early-payment discount that applies that day, plus the late fee and interest the terms add
    by then that are not booked yet (booked ones are already in the balance)."""

    invoice: Invoice
    on: date
    balance: Decimal
    discount: Decimal
    late_fee: Decimal
    interest: Decimal
    discount_until: date | None

    @property
    def total(self) -> Decimal:
        return q(self.balance - self.discount + self.late_fee + self.interest,
                 self.invoice.currency)


def invoice_settlement(*, invoice: Invoice, on: date) -> Settlement:
    quote = invoice_quote(invoice=invoice, on=on)
    deadline = termsmath.discount_deadline(invoice.terms.as_rule(), invoice.issue_date)
    return Settlement(invoice=invoice, on=on, balance=quote.principal,
                      discount=q(quote.discount, invoice.currency), late_fee=quote.late_fee,
                      interest=quote.interest,
                      discount_until=deadline if quote.discount > 0 else None)
