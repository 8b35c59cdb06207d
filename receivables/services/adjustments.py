"""Adjustments by hand: late fees and interest charged, credit notes, each recorded with who,
when and why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import InteractionKind
from clients.services import interaction_record
from core.money import (
    MoneyError,
    format_money,
    parse_amount,
)
from receivables import ledger
from receivables.models import (
    CHARGE_KINDS,
    RECEIVABLE_STATUSES,
    AdjustmentKind,
    Invoice,
    InvoiceAdjustment,
)
from receivables.services.balances import add_adjustment, refresh_payment_status
from receivables.services.terms import money_error


def adjustment_add(*, invoice: Invoice, kind: AdjustmentKind | str, amount: Decimal | str,
                   on: date, memo: str = "",
                   actor: User | None = None) -> InvoiceAdjustment:
    """Charge a late fee or interest, or reduce what is owed by a credit note."""
    kind = AdjustmentKind(kind)
    if kind in (AdjustmentKind.EARLY_DISCOUNT, AdjustmentKind.WRITE_OFF):
        raise ValidationError(f"{kind.label} is recorded by paying or writing off the invoice.")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status not in RECEIVABLE_STATUSES:
            raise ValidationError(f"Invoice {invoice.number} is "
                                  f"{invoice.get_status_display().lower()}: nothing to adjust.")
        try:
            value = parse_amount(amount, invoice.currency, what=kind.label, allow_zero=False)
        except MoneyError as exc:
            raise money_error("amount", exc) from None
        if kind not in CHARGE_KINDS and value > ledger.outstanding(invoice):
            raise ValidationError({"amount": f"A credit note of {value} exceeds the balance of "
                                             f"{ledger.outstanding(invoice)}."})
        adjustment = add_adjustment(invoice, kind, value, on, memo, actor)
        refresh_payment_status(invoice)
        invoice.save()
        interaction_record(
            client=invoice.client, kind=InteractionKind.ADJUSTMENT, actor=actor,
            summary=f"{kind.label} of {format_money(value, invoice.currency)} on invoice "
                    f"{invoice.number}" + (f": {memo}" if memo else ""),
            metadata={"kind": kind.value, "amount": str(value)}, invoices=[invoice])
    assert adjustment is not None
    return adjustment
