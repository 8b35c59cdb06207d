"""Building one round: each planned invoice issued and its fate played out in the order a
bookkeeper would see it (payments, late fees, calls and promises, disputes, escalations),
plus the notes and reminder pauses on the clients' own timelines.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from clients.models import Client, InteractionChannel, InteractionKind, PaymentMethod
from core import calendar as paycal
from core import terms as termsmath
from core.money import quantize as q
from receivables.demo.bookkeeping import Ledger, money_text
from receivables.demo.clients import Profile
from receivables.demo.options import ZERO
from receivables.demo.plan import Plan
from receivables.demo.reference import (
    CALL_OUTCOMES,
    COLLECTIONS,
    DISPUTE_REASONS,
    DISPUTED,
    ITEMS,
    OVERPAID,
    PAID,
    PARTIAL,
    PROMISED,
    WRITTEN_OFF,
)
from receivables.demo.rows import InvoiceRow, LineRow, PaymentRow
from receivables.ledger import early_discount, outstanding
from receivables.models import AdjustmentKind, InvoiceStatus, PaymentSource


@dataclass
class Round:
    """One round of the book: the ledger plus the state shared by its invoices."""

    rng: random.Random
    today: date
    ledger: Ledger
    counter: dict[str, int]  # global sequences (payment references)
    # Full payments on the same day in the same currency go out as one transfer.
    transfers: dict[tuple[int, str, date], list[InvoiceRow]] = field(default_factory=dict)


def _lines(rng: random.Random, profile: Profile, scale: int) -> list[LineRow]:
    country, lang = profile.country, profile.client.language
    lines = []
    for position in range(1, rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0] + 1):
        item = rng.choice(ITEMS)
        low, high = item.price_range
        cents = rng.choice((0, 0, 0, 50, 90, rng.randrange(100)))
        price = Decimal(rng.randint(low, high) * 100 + cents).scaleb(-2)
        quantity = Decimal(rng.choice(item.quantities)) * scale
        rate = country.tax_reduced if item.reduced_rate else country.tax_standard
        lines.append(LineRow(position=position, description=item.descriptions[lang],
                             quantity=quantity, unit_price=price, tax_rate=rate))
    return lines


def _reference(rng: random.Random, profile: Profile, issue: date) -> str:
    roll = rng.random()
    if "public-sector" in profile.tags:
        return f"PO {issue.year}/{rng.randint(100, 9999):04d}"
    if roll < 0.55:
        return f"{rng.choice(profile.projects)}, phase {rng.randint(1, 4)}"
    return f"PO-{rng.randint(10000, 99999)}" if roll < 0.8 else ""


def _build_invoice(rnd: Round, plan: Plan, profile: Profile) -> InvoiceRow:
    invoice = InvoiceRow(number=plan.number, client=profile.client, issue_date=plan.issue_date,
                         due_date=plan.due_date, currency=plan.currency, terms=profile.terms,
                         reference=_reference(rnd.rng, profile, plan.issue_date))
    scale = 5 if "high-value" in profile.tags else 1
    rnd.ledger.issue(invoice, _lines(rnd.rng, profile, scale), profile.owner)
    return invoice


def _day_between(rng: random.Random, low: date, high: date) -> date:
    return low + timedelta(days=rng.randint(0, max(0, (high - low).days)))


def _settle_date(rnd: Round, invoice: InvoiceRow, profile: Profile) -> date:
    """When a paid invoice was paid: in the discount window, around the due date or late,
    moved back to the client's last pay run."""
    rng, today = rnd.rng, rnd.today
    rule = rnd.ledger.rule(invoice.terms)
    if rule.has_discount and rng.random() < 0.5:
        day = invoice.issue_date + timedelta(days=rng.randint(0, rule.discount_days))
    elif invoice.due_date >= today:
        day = _day_between(rng, invoice.issue_date, today)
    elif rng.random() < (0.65 if profile.slow else 0.3):
        day = invoice.due_date + timedelta(days=rng.randint(1, 45 if profile.slow else 20))
    else:
        day = invoice.due_date - timedelta(days=rng.randint(0, min(10, rule.net_days)))
    day = min(max(day, invoice.issue_date), today)
    run = paycal.last_pay_run_on_or_before(profile.client.pay_run_days, day,
                                           profile.country.code)
    return run if run is not None and run >= invoice.issue_date else day


def _method(rng: random.Random, client: Client) -> tuple[str, str]:
    method = rng.choice(client.payment_methods)
    source = {PaymentMethod.CARD: PaymentSource.PORTAL, PaymentMethod.CHEQUE:
              PaymentSource.MANUAL}.get(method, PaymentSource.IMPORT)
    return str(method), str(source)


def _new_payment(rnd: Round, profile: Profile, currency: str, amount: Decimal, on: date
                 ) -> PaymentRow:
    method, source = _method(rnd.rng, profile.client)
    rnd.counter["payment"] += 1
    prefixes: dict[str, str] = {PaymentSource.PORTAL: "PAYNOW", PaymentSource.IMPORT: "TRF"}
    prefix = prefixes.get(source, "CHQ")
    payment = PaymentRow(client=profile.client, amount=amount, currency=currency, received_on=on,
                         method=method, source=source,
                         reference=f"{prefix}-{rnd.counter['payment']:08d}",
                         recorded_by=profile.owner if source == PaymentSource.MANUAL else None)
    rnd.ledger.payments.append(payment)
    return payment


def _record_payment(rnd: Round, payment: PaymentRow,
                    touched: list[tuple[InvoiceRow, Decimal, Decimal, InvoiceStatus]]) -> None:
    """The timeline entry payment_record writes (statuses as they were right after)."""
    cur = payment.currency
    parts = [f"{inv.number} {status.label.lower()}"
             + (f" ({money_text(discount, cur)} early-payment discount)" if discount else "")
             for inv, _, discount, status in touched]
    credit = payment.amount - payment.amount_allocated
    if credit > 0:
        parts.append(f"{money_text(credit, cur)} kept as credit")
    method = PaymentMethod(payment.method).label.lower()
    portal = payment.source == PaymentSource.PORTAL
    rnd.ledger.record(
        payment.client, InteractionKind.PAYMENT,
        f"Payment of {money_text(payment.amount, cur)} received ({method}): " + "; ".join(parts),
        rnd.ledger.at(payment.received_on, payment.client, 10, 5), actor=payment.recorded_by,
        channel=InteractionChannel.PORTAL if portal else InteractionChannel.SYSTEM,
        metadata={"amount": str(payment.amount), "currency": cur,
                  "allocations": {inv.number: str(a) for inv, a, _, _ in touched},
                  "credit": str(credit)},
        invoices=[inv for inv, _, _, _ in touched], payment=payment)


def _pay(rnd: Round, profile: Profile, invoice: InvoiceRow, amount: Decimal, on: date) -> None:
    """payment_record(invoices=[invoice]) with one payment."""
    payment = _new_payment(rnd, profile, invoice.currency, amount, on)
    allocated, discount = rnd.ledger.apply(payment, invoice)
    _record_payment(rnd, payment, [(invoice, allocated, discount, InvoiceStatus(invoice.status))])


def _partial_payments(rnd: Round, profile: Profile, invoice: InvoiceRow, start: date,
                      until: date) -> None:
    """One or two instalments between ``start`` and ``until``, each well short of the balance."""
    rng = rnd.rng
    days = sorted(_day_between(rng, start, until) for _ in range(rng.randint(1, 2)))
    for day in days:
        amount = q(outstanding(invoice) * Decimal(rng.randint(20, 60)) / 100, invoice.currency)
        if amount > 0:
            _pay(rnd, profile, invoice, amount, day)


def _late_fee(rnd: Round, invoice: InvoiceRow, profile: Profile) -> date | None:
    """A bookkeeper charges the terms' late fee once it applies (adjustment_add); returns the
    day it was charged."""
    rule = rnd.ledger.rule(invoice.terms)
    if not rule.has_late_fee:
        return None
    on = termsmath.late_fee_date(rule, invoice.due_date) + timedelta(
        days=rnd.rng.randint(0, 10))
    if on > rnd.today:
        return None
    fee = termsmath.late_fee_due(rule, principal=outstanding(invoice), currency=invoice.currency,
                                 due_date=invoice.due_date, on=on)
    if not rnd.ledger.adjust(invoice, AdjustmentKind.LATE_FEE, fee, on, "Late fee per terms",
                             profile.owner):
        return None
    rnd.ledger.record(invoice.client, InteractionKind.ADJUSTMENT,
                      f"{AdjustmentKind.LATE_FEE.label} of {money_text(fee, invoice.currency)} "
                      f"on invoice {invoice.number}: Late fee per terms",
                      rnd.ledger.at(on, invoice.client, 8, 45), actor=profile.owner,
                      metadata={"kind": AdjustmentKind.LATE_FEE.value, "amount": str(fee)},
                      invoices=[invoice])
    return on


def _follow_up(rnd: Round, invoice: InvoiceRow, profile: Profile) -> None:
    """A call about an overdue invoice and the promise the client made on it."""
    ledger, client, rng = rnd.ledger, profile.client, rnd.rng
    day = min(rnd.today, invoice.due_date + timedelta(days=rng.randint(7, 25)))
    name = client.contact_name or client.display_name
    ledger.record(client, InteractionKind.CALL, f"Called {name}: {rng.choice(CALL_OUTCOMES)}",
                  ledger.at(day, client, 14, rng.randrange(60)), actor=profile.owner,
                  channel=InteractionChannel.PHONE, invoices=[invoice],
                  metadata={"duration_seconds": rng.randint(60, 900)})
    promised_on = day + timedelta(days=rng.randint(3, 21))
    invoice.promised_until = promised_on  # reminders wait for it; a passed one is "broken"
    amount = outstanding(invoice)
    ledger.record(client, InteractionKind.PROMISE_TO_PAY,
                  f"{name} promised to pay {money_text(amount, invoice.currency)} by "
                  f"{promised_on.isoformat()}", ledger.at(day, client, 14, 59),
                  actor=profile.owner, channel=InteractionChannel.PHONE, invoices=[invoice],
                  metadata={"amount": str(amount), "currency": invoice.currency,
                            "promised_on": promised_on.isoformat()})


def _dispute(rnd: Round, invoice: InvoiceRow, profile: Profile) -> None:
    ledger, client = rnd.ledger, profile.client
    day = min(rnd.today, invoice.due_date + timedelta(days=rnd.rng.randint(1, 10)))
    reason = rnd.rng.choice(DISPUTE_REASONS)
    ledger.record(client, InteractionKind.DISPUTE, f"Client disputes invoice {invoice.number}: "
                  f"{reason}", ledger.at(day, client, 10, 40), actor_label="client",
                  channel=InteractionChannel.EMAIL, invoices=[invoice],
                  metadata={"reason": reason})
    ledger.transition(invoice, InvoiceStatus.DISPUTED, day, reason, profile.owner)


def _escalate(rnd: Round, invoice: InvoiceRow, profile: Profile, to: InvoiceStatus) -> None:
    """Collections or write-off for a long-overdue invoice, maybe after an instalment."""
    rng = rnd.rng
    overdue = (rnd.today - invoice.due_date).days
    day = invoice.due_date + timedelta(days=rng.randint(min(60, overdue), overdue))
    # Events in date order: the late fee (the percentage part is on the principal then
    # owed), an instalment after it, then the escalation.
    fee_day = _late_fee(rnd, invoice, profile) if to == InvoiceStatus.IN_COLLECTIONS else None
    start = max(fee_day or invoice.due_date, invoice.due_date) + timedelta(days=1)
    if rng.random() < 0.5 and start < day:
        _partial_payments(rnd, profile, invoice, start, day - timedelta(days=1))
    reason = ("Handed to the collection agency after three reminders"
              if to == InvoiceStatus.IN_COLLECTIONS
              else "Client insolvent; claim filed with the administrator")
    rnd.ledger.transition(invoice, to, day, reason, profile.owner)


def _pay_in_full(rnd: Round, invoice: InvoiceRow, profile: Profile, overpay: bool) -> None:
    day = _settle_date(rnd, invoice, profile)
    if overpay:  # paid a round sum above the balance: the rest is the client's credit
        due = outstanding(invoice)
        _pay(rnd, profile, invoice, q((due // 100 + 1) * 100, invoice.currency), day)
        return
    key = (id(profile.client), invoice.currency, day)
    rnd.transfers.setdefault(key, []).append(invoice)


def play(rnd: Round, plan: Plan, profile: Profile) -> None:
    """Issue the invoice and let its fate happen, in the order a bookkeeper would see it."""
    invoice = _build_invoice(rnd, plan, profile)
    fate = plan.fate
    if fate in (PAID, OVERPAID):
        _pay_in_full(rnd, invoice, profile, overpay=fate == OVERPAID)
    elif fate == PARTIAL:
        _partial_payments(rnd, profile, invoice, invoice.issue_date, rnd.today)
    elif fate == DISPUTED:
        _dispute(rnd, invoice, profile)
    elif fate in (COLLECTIONS, WRITTEN_OFF):
        _escalate(rnd, invoice, profile, InvoiceStatus.IN_COLLECTIONS if fate == COLLECTIONS
                  else InvoiceStatus.WRITTEN_OFF)
    elif plan.bucket != "current":  # open or promised, overdue
        _late_fee(rnd, invoice, profile)
        if fate == PROMISED or rnd.rng.random() < 0.1:
            _follow_up(rnd, invoice, profile)


def send_transfers(rnd: Round, profiles: dict[int, Profile]) -> None:
    """One payment per client, currency and day, settling the invoices in due-date order."""
    for (_, currency, day), invoices in rnd.transfers.items():
        profile = profiles[id(invoices[0].client)]
        # The amount that settles them all, discounts included (what the bank shows).
        amount = sum((outstanding(inv) - early_discount(rnd.ledger.rule(inv.terms), inv,
                                                        outstanding(inv), day)
                      for inv in invoices), ZERO)
        payment = _new_payment(rnd, profile, currency, amount, day)
        touched = []
        for invoice in invoices:
            allocated, discount = rnd.ledger.apply(payment, invoice)
            touched.append((invoice, allocated, discount, InvoiceStatus(invoice.status)))
        _record_payment(rnd, payment, touched)


def client_entries(ledger: Ledger, rng: random.Random, profile: Profile, today: date
                   ) -> None:
    """Notes and the reminder pause on the client's own timeline."""
    client = profile.client
    if client.notes:
        ledger.record(client, InteractionKind.NOTE, client.notes,
                      ledger.at(today - timedelta(days=rng.randint(20, 200)), client, 16, 20),
                      actor=profile.owner)
    until = client.reminders_paused_until
    if until:
        reason = rng.choice(("Owner on holiday", "Restructuring, agreed payment plan",
                             "Waiting for the new purchase-order system"))
        ledger.record(client, InteractionKind.STATUS_CHANGE,
                      f"Reminders paused until {until.isoformat()}: {reason}",
                      ledger.at(today - timedelta(days=rng.randint(0, 5)), client, 12),
                      actor=profile.owner,
                      metadata={"reminders_paused_until": until.isoformat()})
