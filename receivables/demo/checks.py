"""Checks on the stored demo book: ``verify_book`` (amounts add up, payments match their
allocations, statuses follow the amounts) and the receivable invoices per aging bucket.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Abs, Coalesce

from receivables.demo.options import DEMO_PREFIX, ZERO
from receivables.models import (
    CHARGE_KINDS,
    MONEY,
    AdjustmentKind,
    Invoice,
    InvoiceAdjustment,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)
from receivables.selectors import AGING_BUCKETS

SLACK = Decimal("0.000001")  # float noise of SQLite sums; see receivables.models._SLACK


def receivable_buckets(today: date) -> dict[str, int]:
    """Receivable demo invoices per aging bucket (as the aging report counts them)."""
    qs = Invoice.objects.receivable().filter(client__reference__startswith=DEMO_PREFIX)
    result = qs.aggregate(**{b.key: Count("pk", filter=b.q(today)) for b in AGING_BUCKETS})
    return {b.key: result[b.key] for b in AGING_BUCKETS}


def _sum_of(model: type[models.Model], fk: str, amount: str = "amount", **filters: Any) -> Coalesce:
    """Per-row sum of a related model's amounts, as a correlated subquery."""
    rows = (model._default_manager.filter(**{fk: OuterRef("pk")}, **filters).order_by()
            .values(fk).annotate(s=Sum(amount)).values("s"))
    return Coalesce(Subquery(rows), Value(ZERO), output_field=DecimalField(**MONEY))


def verify_book(prefix: str = DEMO_PREFIX) -> list[str]:
    """Check the stored book: amounts add up, payments match allocations, statuses follow
    the amounts. Returns one line per kind of problem with its count (empty: all good)."""
    money: DecimalField[Decimal, Decimal] = DecimalField(**MONEY)
    invoices = Invoice.objects.filter(client__reference__startswith=prefix).annotate(
        d_subtotal=Abs(F("subtotal") - _sum_of(InvoiceLine, "invoice", "net_amount")),
        d_tax=Abs(F("tax_total") - _sum_of(InvoiceLine, "invoice", "tax_amount")),
        d_total=Abs(F("total") - F("subtotal") - F("tax_total"), output_field=money),
        d_paid=Abs(F("amount_paid") - _sum_of(PaymentAllocation, "invoice")),
        d_charges=Abs(F("charges_total") - _sum_of(InvoiceAdjustment, "invoice",
                                                    kind__in=CHARGE_KINDS)),
        d_reductions=Abs(F("reductions_total") - _sum_of(
            InvoiceAdjustment, "invoice", kind__in=[k for k in AdjustmentKind
                                                    if k not in CHARGE_KINDS])),
    )
    owed = Q(balance__gt=SLACK)
    checks = {
        "subtotal differs from its lines": Q(d_subtotal__gt=SLACK),
        "tax total differs from its lines": Q(d_tax__gt=SLACK),
        "total is not subtotal + tax": Q(d_total__gt=SLACK),
        "amount paid differs from its allocations": Q(d_paid__gt=SLACK),
        "charges differ from fee/interest adjustments": Q(d_charges__gt=SLACK),
        "reductions differ from discount/write-off adjustments": Q(d_reductions__gt=SLACK),
        "negative balance": Q(balance__lt=-SLACK),
        "paid but a balance is left": Q(status=InvoiceStatus.PAID) & owed,
        "written off but a balance is left": Q(status=InvoiceStatus.WRITTEN_OFF) & owed,
        "receivable status with nothing owed": Q(status__in=[
            InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.DISPUTED,
            InvoiceStatus.IN_COLLECTIONS]) & ~owed,
        "open but money received": Q(status=InvoiceStatus.OPEN, amount_paid__gt=SLACK),
        "partially paid without money received": Q(status=InvoiceStatus.PARTIALLY_PAID,
                                                   amount_paid__lte=SLACK),
    }
    found = invoices.aggregate(**{f"c{i}": Count("pk", filter=c)
                                  for i, c in enumerate(checks.values())})
    problems = [f"{found[f'c{i}']} invoices: {label}" for i, label in enumerate(checks)
                if found[f"c{i}"]]
    return problems + _verify_payments(prefix)


def _verify_payments(prefix: str) -> list[str]:
    payments = Payment.objects.filter(client__reference__startswith=prefix).annotate(
        d_alloc=Abs(F("amount_allocated") - _sum_of(PaymentAllocation, "payment")))
    found = payments.aggregate(
        bad_alloc=Count("pk", filter=Q(d_alloc__gt=SLACK)),
        over=Count("pk", filter=Q(unapplied__lt=-SLACK)))
    crossed = PaymentAllocation.objects.filter(
        payment__client__reference__startswith=prefix).filter(
        ~Q(payment__currency=F("invoice__currency")) | ~Q(payment__client=F("invoice__client"))
    ).count()
    problems = []
    if found["bad_alloc"]:
        problems.append(f"{found['bad_alloc']} payments: allocated differs from allocations")
    if found["over"]:
        problems.append(f"{found['over']} payments: allocated more than received")
    if crossed:
        problems.append(f"{crossed} allocations: across currencies or clients")
    return problems
