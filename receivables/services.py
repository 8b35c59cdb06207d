"""Writes for terms, invoices, payments and adjustments.

Each service runs in one transaction and either writes everything or nothing; bad input raises
``django.core.exceptions.ValidationError`` with a message a bookkeeper can act on. These are the
only functions that write an invoice's stored amounts, always together with what they are
derived from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clients.models import Client, InteractionChannel, InteractionKind, PaymentMethod
from clients.services import field_label, interaction_record
from core import terms as termsmath
from core.money import (
    MoneyError,
    format_money,
    normalize_currency,
    parse_amount,
    percent_of,
    to_decimal,
)
from core.money import quantize as q
from infra import bulk
from receivables import ledger
from receivables.models import (
    CHARGE_KINDS,
    RECEIVABLE_STATUSES,
    AdjustmentKind,
    Invoice,
    InvoiceAdjustment,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentSource,
    PaymentSync,
    PaymentTerms,
)

DEFAULT_TERMS_NAME = "Net 30"


def _money_error(field: str, exc: MoneyError) -> ValidationError:
    return ValidationError({field: str(exc)})


# --- Terms ----------------------------------------------------------------------------------

def terms_default() -> PaymentTerms:
    """The terms marked default, created as plain "Net 30" on a fresh install."""
    terms = PaymentTerms.objects.filter(is_default=True).first()
    if terms is None:
        terms, _ = PaymentTerms.objects.get_or_create(
            name=DEFAULT_TERMS_NAME, defaults={"net_days": 30, "is_default": True})
    return terms


def terms_for(client: Client) -> PaymentTerms:
    return client.default_terms or terms_default()


def due_date_for(*, terms: PaymentTerms, issue_date: date) -> date:
    return termsmath.due_date_for(terms.as_rule(), issue_date)


# --- Invoices ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineInput:
    description: str
    unit_price: Decimal | str | int
    quantity: Decimal | str | int = 1
    tax_rate: Decimal | str | int = 0


def _build_lines(lines: Sequence[LineInput], currency: str) -> list[InvoiceLine]:
    if not lines:
        raise ValidationError({"lines": "An invoice needs at least one line."})
    built = []
    for position, line in enumerate(lines, start=1):
        label = f"Line {position}"
        try:
            quantity = to_decimal(line.quantity, what=f"{label} quantity")
            price = to_decimal(line.unit_price, what=f"{label} unit price")
            rate = to_decimal(line.tax_rate, what=f"{label} tax rate")
        except MoneyError as exc:
            raise _money_error("lines", exc) from None
        if not line.description.strip():
            raise ValidationError({"lines": f"{label} needs a description."})
        if quantity <= 0:
            raise ValidationError({"lines": f"{label} quantity must be greater than zero."})
        if price < 0:
            raise ValidationError({"lines": f"{label} unit price cannot be negative; issue a "
                                            "credit note to reduce what is owed."})
        if not Decimal(0) <= rate <= Decimal(100):
            raise ValidationError({"lines": f"{label} tax rate must be between 0 and 100 %."})
        net = q(quantity * price, currency)
        built.append(InvoiceLine(position=position, description=line.description.strip(),
                                 quantity=quantity, unit_price=price, tax_rate=rate,
                                 net_amount=net, tax_amount=percent_of(net, rate, currency)))
    return built


def _resolve_currency(currency: str | None, client: Client, terms: PaymentTerms) -> str:
    try:
        code = normalize_currency(currency or client.default_currency)
    except MoneyError as exc:
        raise _money_error("currency", exc) from None
    if terms.late_fee_flat and terms.late_fee_currency != code:
        raise ValidationError({"terms": f"Terms '{terms.name}' charge a flat late fee in "
                                        f"{terms.late_fee_currency}; they cannot be used for an "
                                        f"invoice in {code}."})
    return code


def invoice_create(
    *,
    client: Client,
    number: str,
    issue_date: date,
    lines: Sequence[LineInput],
    due_date: date | None = None,
    currency: str | None = None,
    terms: PaymentTerms | None = None,
    reference: str = "",
    notes: str = "",
    issue: bool = True,
    source: str = "manual",
    actor: User | None = None,
) -> Invoice:
    """Create an invoice with its lines; ``issue=True`` makes it open (owed) at once.

    The due date comes from the terms when not given. Nothing is written on any error.
    """
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": "An invoice number is required."})
    terms = terms or terms_for(client)
    code = _resolve_currency(currency, client, terms)
    due_date = due_date or due_date_for(terms=terms, issue_date=issue_date)
    if due_date < issue_date:
        raise ValidationError({"due_date": f"The due date {due_date} is before the issue date "
                                           f"{issue_date}."})
    built = _build_lines(lines, code)
    invoice = Invoice(client=client, number=number, issue_date=issue_date, due_date=due_date,
                      currency=code, terms=terms, reference=reference.strip(), notes=notes,
                      status=InvoiceStatus.DRAFT, source=source)
    _set_totals(invoice, built)
    with transaction.atomic():
        if Invoice.objects.filter(number=number).exists():
            raise ValidationError({"number": f"Invoice number {number} is already used."})
        invoice.full_clean(exclude=["client", "terms"])
        invoice.save()
        for line in built:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(built)
        if issue:
            invoice = invoice_issue(invoice=invoice, actor=actor)
    invoice.refresh_from_db()
    return invoice


def invoice_replace_lines(*, invoice: Invoice, lines: Sequence[LineInput]) -> Invoice:
    """Replace a draft's lines and recompute its totals; issued invoices are fixed."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.DRAFT:
            raise ValidationError(f"Invoice {invoice.number} is issued: its lines can no longer "
                                  "change. Issue a credit note instead.")
        built = _build_lines(lines, invoice.currency)
        invoice.lines.all().delete()
        for line in built:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(built)
        _set_totals(invoice, built)
        invoice.save()
    invoice.refresh_from_db()
    return invoice


def _set_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    lines = list(lines)
    invoice.subtotal = q(sum((ln.net_amount for ln in lines), Decimal(0)), invoice.currency)
    invoice.tax_total = q(sum((ln.tax_amount for ln in lines), Decimal(0)), invoice.currency)
    invoice.total = invoice.subtotal + invoice.tax_total


def invoice_issue(*, invoice: Invoice, actor: User | None = None) -> Invoice:
    """Draft → open: from now on the client owes the total and reminders may follow."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.DRAFT:
            raise ValidationError(f"Invoice {invoice.number} is already issued "
                                  f"({invoice.get_status_display().lower()}).")
        if invoice.total <= 0:
            raise ValidationError(f"Invoice {invoice.number} has nothing to pay.")
        invoice.status = InvoiceStatus.OPEN
        invoice.save(update_fields=["status", "updated_at"])
        interaction_record(
            client=invoice.client, kind=InteractionKind.INVOICE_ISSUED, actor=actor,
            summary=f"Invoice {invoice.number} issued: "
                    f"{format_money(invoice.total, invoice.currency)} due "
                    f"{invoice.due_date.isoformat()}",
            metadata={"total": str(q(invoice.total, invoice.currency)),
                      "currency": invoice.currency,
                      "due_date": invoice.due_date.isoformat()},
            invoices=[invoice])
    return invoice


# Manual status changes a bookkeeper may make. Paid/partially paid follow from payments only.
_ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    InvoiceStatus.DRAFT: {InvoiceStatus.VOID},
    InvoiceStatus.OPEN: {InvoiceStatus.VOID, InvoiceStatus.DISPUTED, InvoiceStatus.WRITTEN_OFF,
                         InvoiceStatus.IN_COLLECTIONS},
    InvoiceStatus.PARTIALLY_PAID: {InvoiceStatus.DISPUTED, InvoiceStatus.WRITTEN_OFF,
                                   InvoiceStatus.IN_COLLECTIONS},
    InvoiceStatus.DISPUTED: {InvoiceStatus.OPEN, InvoiceStatus.WRITTEN_OFF,
                             InvoiceStatus.IN_COLLECTIONS, InvoiceStatus.VOID},
    InvoiceStatus.IN_COLLECTIONS: {InvoiceStatus.OPEN, InvoiceStatus.WRITTEN_OFF,
                                   InvoiceStatus.DISPUTED},
}


def invoice_transition(*, invoice: Invoice, to: InvoiceStatus | str, reason: str = "",
                       actor: User | None = None,
                       on: date | None = None) -> Invoice:
    """Move an invoice along its lifecycle; the timeline records who, when and why.

    Returning to "open" (dispute resolved, back from collections) lands on open or partially
    paid according to the payments. Writing off records the remaining balance as a write-off;
    voiding is refused once money has been received.
    """
    to = InvoiceStatus(to)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        before = InvoiceStatus(invoice.status)
        if to not in _ALLOWED_TRANSITIONS.get(before, set()):
            raise ValidationError(f"Invoice {invoice.number} cannot go from "
                                  f"{before.label.lower()} to {to.label.lower()}.")
        if to == InvoiceStatus.VOID and invoice.amount_paid > 0:
            raise ValidationError(f"Invoice {invoice.number} has payments recorded; issue a "
                                  "credit note or write it off instead of voiding it.")
        if to == InvoiceStatus.WRITTEN_OFF:
            _add_adjustment(invoice, AdjustmentKind.WRITE_OFF, _outstanding(invoice),
                            on or timezone.localdate(), reason, actor)
        invoice.status = _payment_status(invoice) if to == InvoiceStatus.OPEN else to
        invoice.next_action_at = None
        invoice.save()
        interaction_record(
            client=invoice.client, kind=InteractionKind.STATUS_CHANGE, actor=actor,
            summary=f"Invoice {invoice.number}: {before.label.lower()} → "
                    f"{InvoiceStatus(invoice.status).label.lower()}"
                    + (f" ({reason})" if reason else ""),
            metadata={"from": before.value, "to": invoice.status, "reason": reason},
            invoices=[invoice])
    return invoice


def invoice_pause_reminders(*, invoice: Invoice, until: date | None,
                            actor: User | None, reason: str = "") -> Invoice:
    """Pause this invoice's reminders up to and including ``until`` (None resumes them); the
    client's other invoices carry on. The timeline says who, until when and why."""
    if until is not None and until < timezone.localdate():
        raise ValidationError({"until": "Choose today or a later day."})
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        invoice.reminders_paused_until = until
        invoice.next_action_at = None
        invoice.save(update_fields=["reminders_paused_until", "next_action_at", "updated_at"])
        what = (f"Reminders for {invoice.number} paused until {until.isoformat()}" if until
                else f"Reminders for {invoice.number} resumed")
        interaction_record(client=invoice.client, kind=InteractionKind.STATUS_CHANGE,
                           summary=f"{what}{': ' + reason if reason else ''}", actor=actor,
                           invoices=[invoice],
                           metadata={"reminders_paused_until": until.isoformat() if until
                                     else None, "reason": reason})
    return invoice


_outstanding = ledger.outstanding
_payment_status = ledger.payment_status


def _refresh_payment_status(invoice: Invoice) -> None:
    """Follow the money (see ledger.refresh_payment_status); the reminder planner looks at the
    invoice again on its next tick."""
    invoice.next_action_at = None
    ledger.refresh_payment_status(invoice)


# --- Adjustments ------------------------------------------------------------------------------

def _add_adjustment(invoice: Invoice, kind: AdjustmentKind, amount: Decimal, on: date,
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
            raise _money_error("amount", exc) from None
        if kind not in CHARGE_KINDS and value > _outstanding(invoice):
            raise ValidationError({"amount": f"A credit note of {value} exceeds the balance of "
                                             f"{_outstanding(invoice)}."})
        adjustment = _add_adjustment(invoice, kind, value, on, memo, actor)
        _refresh_payment_status(invoice)
        invoice.save()
        interaction_record(
            client=invoice.client, kind=InteractionKind.ADJUSTMENT, actor=actor,
            summary=f"{kind.label} of {format_money(value, invoice.currency)} on invoice "
                    f"{invoice.number}" + (f": {memo}" if memo else ""),
            metadata={"kind": kind.value, "amount": str(value)}, invoices=[invoice])
    assert adjustment is not None
    return adjustment


# --- Payments ---------------------------------------------------------------------------------

def _target_invoices(client: Client, currency: str, invoices: Sequence[Invoice] | None
                     ) -> list[Invoice]:
    """Invoices a payment goes to, locked: the ones named (an empty list names none: it all
    stays as credit), else (None) all open ones, oldest first."""
    qs = Invoice.objects.select_for_update().filter(client=client)
    if invoices is not None:
        ids = [inv.pk for inv in invoices]
        found = {inv.pk: inv for inv in qs.filter(pk__in=ids)}
        if len(found) != len(set(ids)):
            raise ValidationError({"invoices": "An invoice given does not belong to this "
                                               "client."})
        chosen = [found[i] for i in dict.fromkeys(ids)]
        for inv in chosen:
            _check_payable(inv, client, currency)
        return chosen
    return list(qs.filter(currency=currency, status__in=RECEIVABLE_STATUSES)
                .exclude(status=InvoiceStatus.DISPUTED).order_by("due_date", "number"))


def _early_discount(invoice: Invoice, available: Decimal, received_on: date) -> Decimal:
    return ledger.early_discount(invoice.terms.as_rule(), invoice, available, received_on)


def _allocate(payment: Payment, invoices: Iterable[Invoice], actor: User | None
              ) -> list[tuple[Invoice, Decimal, Decimal]]:
    """Spread the payment's unallocated amount over ``invoices``; returns (invoice, allocated,
    discount) for each invoice touched."""
    available = payment.amount - payment.amount_allocated
    touched = []
    for invoice in invoices:
        if available <= 0:
            break
        discount = _early_discount(invoice, available, payment.received_on)
        _add_adjustment(invoice, AdjustmentKind.EARLY_DISCOUNT, discount, payment.received_on,
                        f"Paid in full within the discount window ({invoice.terms.name})",
                        actor, payment=payment)
        amount = min(available, _outstanding(invoice))
        if amount > 0:
            PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=amount)
            invoice.amount_paid += amount
            payment.amount_allocated += amount
            available -= amount
        _refresh_payment_status(invoice)
        invoice.save()
        if amount > 0 or discount > 0:
            touched.append((invoice, amount, discount))
    payment.save(update_fields=["amount_allocated"])
    return touched


def _payment_summary(payment: Payment, touched: list[tuple[Invoice, Decimal, Decimal]]) -> str:
    fmt = lambda amount: format_money(amount, payment.currency)  # noqa: E731
    parts = [f"{inv.number} {InvoiceStatus(inv.status).label.lower()}"
             + (f" ({fmt(discount)} early-payment discount)" if discount else "")
             for inv, _, discount in touched]
    credit = payment.amount - payment.amount_allocated
    if credit > 0:
        parts.append(f"{fmt(credit)} kept as credit")
    method = PaymentMethod(payment.method).label.lower()
    return f"Payment of {fmt(payment.amount)} received ({method}): " + "; ".join(parts)


def payment_validate(*, client: Client, amount: Decimal | str | int, received_on: date,
                     currency: str | None = None, reference: str = "",
                     invoices: Sequence[Invoice] | None = None) -> tuple[str, Decimal, str]:
    """Check a payment before recording it; returns (currency, amount, reference) normalized.

    Forms call this to show errors next to the fields; ``payment_record`` calls it again.
    """
    code = currency or (invoices[0].currency if invoices else client.default_currency)
    try:
        code = normalize_currency(code)
        value = parse_amount(amount, code, what="Payment amount", allow_zero=False)
    except MoneyError as exc:
        raise _money_error("amount", exc) from None
    # "Today" is the later of the business's and the client's: a payment made in Berlin just
    # after midnight is not in the future while the business's clock still says yesterday.
    if received_on > max(timezone.localdate(), client.local_today()):
        raise ValidationError({"received_on": "A payment cannot be received in the future."})
    reference = reference.strip()
    if reference and Payment.objects.filter(client=client, reference=reference).exists():
        raise ValidationError({"reference": f"A payment with reference '{reference}' is "
                                            "already recorded for this client."})
    for invoice in invoices or ():
        _check_payable(invoice, client, code)
    return code, value, reference


def _check_payable(invoice: Invoice, client: Client, currency: str) -> None:
    if invoice.client_id != client.pk:
        raise ValidationError({"invoices": f"Invoice {invoice.number} belongs to another "
                                           "client."})
    if invoice.currency != currency:
        raise ValidationError({"currency": f"Invoice {invoice.number} is in {invoice.currency}; "
                                           f"a payment in {currency} cannot settle it."})
    if invoice.status not in RECEIVABLE_STATUSES:
        raise ValidationError({"invoices": f"Invoice {invoice.number} is "
                                           f"{invoice.get_status_display().lower()} and takes "
                                           "no payments."})


def payment_record(
    *,
    client: Client,
    amount: Decimal | str | int,
    received_on: date,
    currency: str | None = None,
    method: PaymentMethod | str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    source: PaymentSource | str = PaymentSource.MANUAL,
    invoices: Sequence[Invoice] | None = None,
    notes: str = "",
    actor: User | None = None,
) -> Payment:
    """Record money received and apply it.

    With ``invoices`` the payment settles those, in that order; without, the client's open
    invoices in that currency, oldest due first (disputed ones are skipped). A payment that
    settles an untouched invoice in full inside its discount window earns the early-payment
    discount. Whatever is left over stays on the payment as the client's credit.
    """
    code, value, reference = payment_validate(
        client=client, amount=amount, received_on=received_on, currency=currency,
        reference=reference, invoices=invoices)
    with transaction.atomic():
        targets = _target_invoices(client, code, invoices)
        payment = Payment(client=client, amount=value, currency=code, received_on=received_on,
                          method=method, reference=reference, source=source, notes=notes,
                          recorded_by=actor if getattr(actor, "pk", None) else None)
        payment.full_clean(exclude=["client", "recorded_by"])
        try:
            payment.save()
        except IntegrityError:
            raise ValidationError({"reference": "This payment is already recorded."}) from None
        touched = _allocate(payment, targets, actor)
        interaction_record(
            client=client, kind=InteractionKind.PAYMENT, actor=actor,
            channel=InteractionChannel.PORTAL if source == PaymentSource.PORTAL
            else InteractionChannel.SYSTEM,
            summary=_payment_summary(payment, touched),
            metadata={"payment_id": payment.pk, "amount": str(value), "currency": code,
                      "allocations": {inv.number: str(a) for inv, a, _ in touched},
                      "credit": str(payment.amount - payment.amount_allocated)},
            invoices=[inv for inv, _, _ in touched])
    payment.refresh_from_db()
    return payment


def credit_apply(*, client: Client, invoice: Invoice,
                 actor: User | None = None) -> Decimal:
    """Use the client's credit (oldest payment first) to pay ``invoice``; returns the amount."""
    with transaction.atomic():
        [target] = _target_invoices(client, invoice.currency, [invoice])
        applied = Decimal(0)
        payments = (Payment.objects.select_for_update()
                    .filter(client=client, currency=invoice.currency, unapplied__gt=0)
                    .order_by("received_on", "pk"))
        for payment in payments:
            touched = _allocate(payment, [target], actor)
            applied += sum((a for _, a, _ in touched), Decimal(0))
            if _outstanding(target) <= 0:
                break
        if applied:
            interaction_record(
                client=client, kind=InteractionKind.PAYMENT, actor=actor,
                summary=f"Credit of {format_money(applied, invoice.currency)} applied to "
                        f"invoice {target.number}", metadata={"credit_applied": str(applied)},
                invoices=[target])
    return applied



def invoices_set_next_action(times: dict[int, datetime | None]) -> None:
    """Write ``Invoice.next_action_at`` for many invoices in one statement per chunk."""
    bulk.update_column(Invoice, "next_action_at", times)


def payment_sync_record(*, source: PaymentSource | str, payments: int = 0,
                        at: datetime | None = None) -> PaymentSync:
    """An import or the API has brought payments up to date (``payments`` of them new): the
    stale-data guard measures the age of the books from this moment."""
    if source not in (PaymentSource.IMPORT, PaymentSource.API):
        raise ValueError(f"Only imports and the API sync payments, not {source!r}.")
    sync, _ = PaymentSync.objects.update_or_create(
        source=source, defaults={"synced_at": at or timezone.now(), "payments": payments})
    from receivables.selectors import SYNC_CACHE_KEY

    transaction.on_commit(lambda: cache.delete(SYNC_CACHE_KEY))
    cache.delete(SYNC_CACHE_KEY)
    return sync


def invoice_update(*, invoice: Invoice, due_date: date | None = None,
                   reference: str | None = None, notes: str | None = None,
                   issue_date: date | None = None, currency: str | None = None,
                   lines: Sequence[LineInput] | None = None,
                   actor: User | None = None) -> tuple[Invoice, list[str]]:
    """Bring an invoice in line with what another system says about it (an import, the API).
    The due date, reference and notes may change, and a draft's lines; an issued invoice's
    amounts, issue date and currency may not (a credit note or a new invoice changes what is
    owed). Arguments left at None are not compared. Returns the invoice and the fields that
    changed (none: nothing is written)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        issued = invoice.status != InvoiceStatus.DRAFT
        if currency is not None and currency.strip().upper() != invoice.currency:
            raise ValidationError({"currency": f"Invoice {invoice.number} is in "
                                               f"{invoice.currency} in Settle; its currency "
                                               "cannot change."})
        if issue_date is not None and issue_date != invoice.issue_date and issued:
            raise ValidationError({"issue_date": f"Invoice {invoice.number} was issued on "
                                                 f"{invoice.issue_date}; the issue date of an "
                                                 "issued invoice cannot change."})
        changed: list[str] = []
        if lines is not None:
            built = _build_lines(lines, invoice.currency)
            probe = Invoice(currency=invoice.currency)
            _set_totals(probe, built)
            if issued and (probe.total, probe.tax_total) != (invoice.total, invoice.tax_total):
                raise ValidationError({"total": (
                    f"Invoice {invoice.number} is issued with a total of "
                    f"{format_money(invoice.total, invoice.currency)} (tax "
                    f"{format_money(invoice.tax_total, invoice.currency)}); the amounts of an "
                    "issued invoice cannot change in Settle. Record a credit note, or void it "
                    "and issue a new invoice.")})
            current = [(ln.description, ln.quantity, ln.unit_price, ln.tax_rate)
                       for ln in invoice.lines.all()]
            if not issued and current != [(ln.description, ln.quantity, ln.unit_price,
                                           ln.tax_rate) for ln in built]:
                invoice = invoice_replace_lines(invoice=invoice, lines=lines)
                changed.append("lines")
        if issue_date is not None and issue_date != invoice.issue_date:
            invoice.issue_date = issue_date
            changed.append("issue_date")
        for name, value in (("due_date", due_date), ("reference", reference),
                            ("notes", notes)):
            if value is not None and value != getattr(invoice, name):
                setattr(invoice, name, value.strip() if isinstance(value, str) else value)
                changed.append(name)
        if invoice.due_date < invoice.issue_date:
            raise ValidationError({"due_date": f"The due date {invoice.due_date} is before the "
                                               f"issue date {invoice.issue_date}."})
        if not changed:
            return invoice, []
        invoice.next_action_at = None  # a new due date moves the reminders
        invoice.full_clean(exclude=["client", "terms"])
        invoice.save()
        interaction_record(
            client=invoice.client, kind=InteractionKind.STATUS_CHANGE, actor=actor,
            summary=f"Invoice {invoice.number} changed: "
                    + ", ".join(field_label(Invoice, n) if n != "lines" else "lines"
                                for n in changed),
            metadata={"changed": changed, "due_date": invoice.due_date.isoformat()},
            invoices=[invoice])
    return invoice, changed
