"""The statement of account's arithmetic: opening balance, dated entries with a running
balance, closing balance and aging, one currency at a time (conventions in the package
docstring). Plain data out, so the PDF, a page or an export can all print the same figures."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from clients.models import Client
from core.money import normalize_currency
from core.money import quantize as q
from receivables.models import (
    CHARGE_KINDS,
    Invoice,
    InvoiceAdjustment,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)
from receivables.selectors import AGING_BUCKETS, AgingBucket, bucket_for

# Invoices that were never owed: see the package docstring.
NOT_ISSUED = (InvoiceStatus.DRAFT, InvoiceStatus.VOID)


class EntryKind(StrEnum):
    INVOICE = "invoice"
    LATE_FEE = "late_fee"
    INTEREST = "interest"
    EARLY_DISCOUNT = "early_discount"
    WRITE_OFF = "write_off"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"


# Same-day order: what is owed first, then what reduces it, so the running balance never dips
# below zero only because a payment was listed before the invoice it pays.
_RANK = {EntryKind.INVOICE: 0, EntryKind.LATE_FEE: 1, EntryKind.INTEREST: 1,
         EntryKind.EARLY_DISCOUNT: 2, EntryKind.WRITE_OFF: 2, EntryKind.CREDIT_NOTE: 2,
         EntryKind.PAYMENT: 3}


@dataclass(frozen=True)
class StatementEntry:
    """One line of the statement, with the balance after it. ``document``: the invoice number
    (for an invoice and its adjustments) or the payment's reference; ``due_date`` for an
    invoice; ``applied_to``: the invoices a payment went to (none: all of it is credit)."""

    on: date
    kind: EntryKind
    document: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = Decimal(0)
    due_date: date | None = None
    applied_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgingLine:
    bucket: AgingBucket
    amount: Decimal
    count: int


@dataclass(frozen=True)
class Statement:
    client: Client
    currency: str
    start: date | None
    end: date
    today: date
    opening_balance: Decimal
    entries: tuple[StatementEntry, ...]
    closing_balance: Decimal
    aging: tuple[AgingLine, ...]
    unapplied_credit: Decimal  # payments not yet applied to invoices, as of today
    open_invoices: tuple[str, ...]  # numbers of the invoices still owed, oldest due first

    @property
    def total_debits(self) -> Decimal:
        return q(sum((e.debit for e in self.entries), Decimal(0)), self.currency)

    @property
    def total_credits(self) -> Decimal:
        return q(sum((e.credit for e in self.entries), Decimal(0)), self.currency)

    @property
    def aging_total(self) -> Decimal:
        return q(sum((line.amount for line in self.aging), Decimal(0)), self.currency)

    @property
    def in_credit(self) -> bool:
        """The client has paid more than it owes: the balance is in its favour."""
        return self.closing_balance < 0


def statement_currencies(client: Client) -> list[str]:
    """Currencies the client has issued invoices or payments in (the default one first): one
    statement each, since amounts in different currencies never add up. One query."""
    invoiced = (Invoice.objects.filter(client=client).exclude(status__in=NOT_ISSUED)
                .order_by().values_list("currency", flat=True))
    paid = Payment.objects.filter(client=client).order_by().values_list("currency", flat=True)
    codes = set(invoiced.union(paid))
    return sorted(codes, key=lambda code: (code != client.default_currency, code))


def _invoice_entries(invoices: list[Invoice]) -> list[StatementEntry]:
    return [StatementEntry(on=inv.issue_date, kind=EntryKind.INVOICE, document=inv.number,
                           debit=q(inv.total, inv.currency), credit=Decimal(0),
                           due_date=inv.due_date) for inv in invoices]


def _adjustment_entries(client: Client, currency: str, end: date) -> list[StatementEntry]:
    rows = (InvoiceAdjustment.objects
            .filter(invoice__client=client, invoice__currency=currency, effective_on__lte=end)
            .exclude(invoice__status__in=NOT_ISSUED)
            .values_list("effective_on", "kind", "amount", "invoice__number"))
    entries = []
    for on, kind, amount, number in rows:
        amount = q(amount, currency)
        charge = kind in CHARGE_KINDS
        entries.append(StatementEntry(on=on, kind=EntryKind(kind), document=number,
                                      debit=amount if charge else Decimal(0),
                                      credit=Decimal(0) if charge else amount))
    return entries


def _payment_entries(client: Client, currency: str, payments: list[Payment],
                     end: date) -> list[StatementEntry]:
    """Payments up to ``end``, each naming the invoices it went to (one query for all,
    filtered like the payments rather than by a list of ids that grows with the history)."""
    shown = [p for p in payments if p.received_on <= end]
    applied_to: dict[int, list[str]] = {}
    allocations = (PaymentAllocation.objects
                   .filter(payment__client=client, payment__currency=currency,
                           payment__received_on__lte=end)
                   .order_by("invoice__due_date", "invoice__number")
                   .values_list("payment_id", "invoice__number"))
    for payment_id, number in allocations:
        applied_to.setdefault(payment_id, []).append(number)
    return [StatementEntry(on=p.received_on, kind=EntryKind.PAYMENT, document=p.reference,
                           debit=Decimal(0), credit=q(p.amount, p.currency),
                           applied_to=tuple(dict.fromkeys(applied_to.get(p.pk, []))))
            for p in shown]


def _with_running_balance(entries: list[StatementEntry], opening: Decimal,
                          currency: str) -> tuple[StatementEntry, ...]:
    balance, result = opening, []
    for entry in entries:
        balance = q(balance + entry.debit - entry.credit, currency)
        result.append(replace(entry, balance=balance))
    return tuple(result)


def _aging(invoices: list[Invoice], currency: str, today: date) -> tuple[AgingLine, ...]:
    """Balances still owed, by how overdue they are on ``today`` (the selectors' buckets)."""
    amounts = {bucket.key: Decimal(0) for bucket in AGING_BUCKETS}
    counts = dict.fromkeys(amounts, 0)
    for invoice in invoices:
        if invoice.is_receivable:
            key = bucket_for(invoice.days_overdue(today)).key
            amounts[key] += invoice.balance
            counts[key] += 1
    return tuple(AgingLine(bucket=b, amount=q(amounts[b.key], currency), count=counts[b.key])
                 for b in AGING_BUCKETS)


def statement_for(client: Client, *, currency: str, start: date | None, end: date,
                  today: date) -> Statement:
    """The client's account in ``currency`` from ``start`` (None: from the beginning) to
    ``end``, both days included; aging as of ``today``. Four queries, whatever the history."""
    currency = normalize_currency(currency)
    if start is not None and start > end:
        raise ValueError(f"The statement starts ({start}) after it ends ({end}).")
    invoices = list(Invoice.objects.filter(client=client, currency=currency)
                    .exclude(status__in=NOT_ISSUED).order_by("issue_date", "number"))
    payments = list(Payment.objects.filter(client=client, currency=currency)
                    .order_by("received_on", "pk"))
    movements = sorted(
        [*_invoice_entries([i for i in invoices if i.issue_date <= end]),
         *_adjustment_entries(client, currency, end),
         *_payment_entries(client, currency, payments, end)],
        key=lambda e: (e.on, _RANK[e.kind]))  # stable: numbers and ids keep their order
    before = [e for e in movements if start is not None and e.on < start]
    opening = q(sum((e.debit - e.credit for e in before), Decimal(0)), currency)
    entries = _with_running_balance(movements[len(before):], opening, currency)
    return Statement(
        client=client, currency=currency, start=start, end=end, today=today,
        opening_balance=opening, entries=entries,
        closing_balance=entries[-1].balance if entries else opening,
        aging=_aging(invoices, currency, today),
        unapplied_credit=q(sum((p.unapplied for p in payments), Decimal(0)), currency),
        open_invoices=tuple(i.number for i in sorted(
            (i for i in invoices if i.is_receivable), key=lambda i: (i.due_date, i.number))))

