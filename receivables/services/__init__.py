"""Writes for terms, invoices, payments and adjustments.

Each service runs in one transaction and either writes everything or nothing; bad input raises
``django.core.exceptions.ValidationError`` with a message a bookkeeper can act on. These are the
only functions that write an invoice's stored amounts, always together with what they are
derived from.

One module per subject: terms, invoices, adjustments, payments (and balances, what they
share); every public service is importable from ``receivables.services``.
"""

from __future__ import annotations

from receivables.services.adjustments import adjustment_add
from receivables.services.balances import add_adjustment, refresh_payment_status
from receivables.services.invoices import (
    LineInput,
    invoice_create,
    invoice_issue,
    invoice_pause_reminders,
    invoice_replace_lines,
    invoice_transition,
    invoice_update,
)
from receivables.services.payments import (
    credit_apply,
    payment_record,
    payment_sync_record,
    payment_validate,
)
from receivables.services.terms import (
    DEFAULT_TERMS_NAME,
    due_date_for,
    money_error,
    terms_default,
    terms_for,
)

__all__ = [
    "DEFAULT_TERMS_NAME", "LineInput", "add_adjustment", "adjustment_add", "credit_apply",
    "due_date_for", "invoice_create", "invoice_issue", "invoice_pause_reminders",
    "invoice_replace_lines", "invoice_transition", "invoice_update",
    "money_error", "payment_record", "payment_sync_record",
    "payment_validate", "refresh_payment_status", "terms_default", "terms_for",
]
