"""The balance arithmetic every writer of invoice amounts shares: the services, and the demo
generator that builds the same rows in memory. Works on anything carrying an invoice's amounts
(a model instance or a plain row)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from core import terms as termsmath
from core.money import quantize
from receivables.models import InvoiceStatus


class InvoiceAmounts(Protocol):
    currency: str
    issue_date: date
    status: str
    total: Decimal
    charges_total: Decimal
    reductions_total: Decimal
    amount_paid: Decimal


def outstanding(invoice: InvoiceAmounts) -> Decimal:
    """The balance as the in-memory amounts say (a stored balance column follows on save)."""
    return quantize(invoice.total + invoice.charges_total - invoice.reductions_total
                    - invoice.amount_paid, invoice.currency)


def payment_status(invoice: InvoiceAmounts) -> InvoiceStatus:
    if outstanding(invoice) <= 0:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTIALLY_PAID if invoice.amount_paid > 0 else InvoiceStatus.OPEN


def refresh_payment_status(invoice: InvoiceAmounts) -> None:
    """After money moved: settle the invoice when nothing is left, otherwise keep a manual
    status (disputed, in collections) or follow the payments (open / partially paid)."""
    if outstanding(invoice) <= 0 or invoice.status in (
            InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
        invoice.status = payment_status(invoice)


def early_discount(rule: termsmath.TermsRule, invoice: InvoiceAmounts, available: Decimal,
                   received_on: date) -> Decimal:
    """Discount earned when ``available`` settles the untouched invoice inside the window."""
    if invoice.amount_paid > 0 or invoice.reductions_total > 0:
        return Decimal(0)
    discount = termsmath.discount_available(rule, total=invoice.total, currency=invoice.currency,
                                            issue_date=invoice.issue_date, on=received_on)
    return discount if available >= outstanding(invoice) - discount else Decimal(0)
