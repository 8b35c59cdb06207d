"""What every write to an invoice's amounts ends with: an adjustment stored with its
timeline entry, and the payment status that follows from the balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User

from receivables import ledger
from receivables.models import (
    CHARGE_KINDS,
    AdjustmentKind,
    Invoice,
    InvoiceAdjustment,
    Payment,
)


def refresh_payment_status(invoice: Invoice) -> None:
    """Follow the money (see ledger.refresh_payment_status); the reminder planner looks at the
    invoice again on its next tick."""
    invoice.next_action_at = None
    ledger.refresh_payment_status(invoice)

def add_adjustment(invoice: Invoice, kind: AdjustmentKind, amount: Decimal, on: date,
                    memo: str, actor: User | None,
                    payment: Payment | None = None) -> InvoiceAdjustment | None:
    if amount <= 0:
        return None
    adjustment = InvoiceAdjustment.objects.create(
        invoice=invoice, kind=kind, amount=amount, effective_on=on, memo=memo, payment=payment,
        created_by=actor if getattr(actor, "pk", None) else None)
    if kind in CHARGE_KINDS:
        invoice.charges_total += amount
    else:
        invoice.reductions_total += amount
    return adjustment
