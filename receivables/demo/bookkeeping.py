"""The ledger: receivables.services, in memory.

``Ledger`` mirrors those services rule for rule (line and invoice totals, the early-payment
discount, allocation, payment status, transitions, write-offs, the timeline entries they
record) with the same ``core.money`` and ``core.terms`` functions, on the plain rows of
``receivables.demo.rows``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from clients.models import Client, InteractionChannel, InteractionKind
from clients.services import actor_label_for
from core import terms as termsmath
from core.money import format_money, percent_of
from core.money import quantize as q
from receivables.demo.options import ZERO
from receivables.demo.rows import (
    AdjustmentRow,
    AllocationRow,
    EntryRow,
    InvoiceRow,
    LineRow,
    PaymentRow,
)
from receivables.ledger import early_discount, outstanding, payment_status, refresh_payment_status
from receivables.models import CHARGE_KINDS, AdjustmentKind, InvoiceStatus, PaymentTerms


@cache
def _money_prefix(currency: str) -> str | None:
    """The symbol format_money puts before an English amount, when that is all it does."""
    symbol = format_money(ZERO, currency)[:-4]
    return symbol if format_money(Decimal("1234.5"), currency) == f"{symbol}1,234.50" else None


def money_text(amount: Decimal, currency: str) -> str:
    """format_money(amount, currency) for timeline summaries, without Babel's per-call cost
    (it dominates a 100k-invoice book); falls back to it for any other currency shape."""
    prefix = _money_prefix(currency)
    if prefix is None:
        return format_money(amount, currency)
    return f"{prefix}{q(amount, currency):,.2f}"


@dataclass
class Ledger:
    """Everything one round creates, and the service rules that create it."""

    now: datetime
    invoices: list[InvoiceRow] = field(default_factory=list)
    lines: list[LineRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)
    allocations: list[AllocationRow] = field(default_factory=list)
    adjustments: list[AdjustmentRow] = field(default_factory=list)
    entries: list[EntryRow] = field(default_factory=list)
    rules: dict[int, termsmath.TermsRule] = field(default_factory=dict)

    def rule(self, terms: PaymentTerms) -> termsmath.TermsRule:
        if terms.pk not in self.rules:
            self.rules[terms.pk] = terms.as_rule()
        return self.rules[terms.pk]

    def at(self, day: date, client: Client, hour: int, minute: int = 0) -> datetime:
        """A moment on ``day`` in the client's time zone, never in the future."""
        moment = datetime.combine(day, time(hour, minute), tzinfo=_zone(client.timezone))
        return self.now if self.now < moment < self.now + timedelta(days=1) else moment

    def record(self, client: Client, kind: str, summary: str, when: datetime, *,
               actor: User | None = None, actor_label: str | None = None,
               channel: str = InteractionChannel.SYSTEM, metadata: dict[str, Any] | None = None,
               invoices: Iterable[InvoiceRow] = (), payment: PaymentRow | None = None) -> None:
        """interaction_record, without the write."""
        self.entries.append(EntryRow(
            client=client, kind=str(kind), channel=str(channel), occurred_at=when,
            actor=actor, actor_label=actor_label or actor_label_for(actor),
            summary=summary[:300], metadata=metadata or {}, invoices=list(invoices),
            payment=payment))

    # invoice_create (_build_lines, _set_totals) + invoice_issue
    def issue(self, invoice: InvoiceRow, lines: list[LineRow], actor: User) -> None:
        cur = invoice.currency
        for line in lines:
            line.invoice = invoice
            line.net_amount = q(line.quantity * line.unit_price, cur)
            line.tax_amount = percent_of(line.net_amount, line.tax_rate, cur)
        invoice.subtotal = q(sum((ln.net_amount for ln in lines), ZERO), cur)
        invoice.tax_total = q(sum((ln.tax_amount for ln in lines), ZERO), cur)
        invoice.total = invoice.subtotal + invoice.tax_total
        invoice.status = InvoiceStatus.OPEN.value
        self.invoices.append(invoice)
        self.lines.extend(lines)
        self.record(invoice.client, InteractionKind.INVOICE_ISSUED,
                    f"Invoice {invoice.number} issued: {money_text(invoice.total, cur)} due "
                    f"{invoice.due_date.isoformat()}",
                    self.at(invoice.issue_date, invoice.client, 9, 30), actor=actor,
                    # invoice_issue reads the invoice back: the total has the column's 4 places
                    metadata={"total": f"{invoice.total:.4f}", "currency": cur,
                              "due_date": invoice.due_date.isoformat()}, invoices=[invoice])

    # _add_adjustment
    def adjust(self, invoice: InvoiceRow, kind: AdjustmentKind, amount: Decimal, on: date,
               memo: str, actor: User | None, payment: PaymentRow | None = None
               ) -> bool:
        if amount <= 0:
            return False
        self.adjustments.append(AdjustmentRow(invoice, kind.value, amount, on, memo, payment,
                                              actor))
        if kind in CHARGE_KINDS:
            invoice.charges_total += amount
        else:
            invoice.reductions_total += amount
        return True

    # _allocate for one invoice: discount first, then as much of the payment as it takes
    def apply(self, payment: PaymentRow, invoice: InvoiceRow) -> tuple[Decimal, Decimal]:
        available = payment.amount - payment.amount_allocated
        discount = early_discount(self.rule(invoice.terms), invoice, available,
                                  payment.received_on)
        self.adjust(invoice, AdjustmentKind.EARLY_DISCOUNT, discount, payment.received_on,
                    f"Paid in full within the discount window ({invoice.terms.name})",
                    payment.recorded_by, payment=payment)
        amount = min(available, outstanding(invoice))
        if amount > 0:
            self.allocations.append(AllocationRow(payment, invoice, amount))
            invoice.amount_paid += amount
            payment.amount_allocated += amount
        refresh_payment_status(invoice)
        return amount, discount

    # invoice_transition
    def transition(self, invoice: InvoiceRow, to: InvoiceStatus, on: date, reason: str,
                   actor: User) -> None:
        before = InvoiceStatus(invoice.status)
        if to == InvoiceStatus.WRITTEN_OFF:
            self.adjust(invoice, AdjustmentKind.WRITE_OFF, outstanding(invoice), on, reason,
                        actor)
        invoice.status = (payment_status(invoice) if to == InvoiceStatus.OPEN else to).value
        after = InvoiceStatus(invoice.status)
        self.record(invoice.client, InteractionKind.STATUS_CHANGE,
                    f"Invoice {invoice.number}: {before.label.lower()} → {after.label.lower()}"
                    + (f" ({reason})" if reason else ""),
                    self.at(on, invoice.client, 11, 15), actor=actor,
                    metadata={"from": before.value, "to": after.value, "reason": reason},
                    invoices=[invoice])


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
