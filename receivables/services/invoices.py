"""Invoices: created with their lines, issued, moved along their lifecycle, paused and
updated; their stored amounts are written only by the services, always together with what
they derive from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clients.models import Client, InteractionKind
from clients.services import field_label, interaction_record
from core import text as policy
from core.money import (
    MAX_AMOUNT,
    MoneyError,
    format_money,
    normalize_currency,
    percent_of,
    to_decimal,
)
from core.money import quantize as q
from infra.text import check_identifier, check_text
from receivables import ledger
from receivables.models import (
    AdjustmentKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentTerms,
)
from receivables.services.balances import add_adjustment
from receivables.services.terms import check_dates, check_hold, due_date_for, money_error, terms_for


@dataclass(frozen=True)
class LineInput:
    description: str
    unit_price: Decimal | str | int
    quantity: Decimal | str | int = 1
    tax_rate: Decimal | str | int = 0

# What an invoice line's columns hold (InvoiceLine.quantity: 14 digits, 4 after the point);
# amounts stay below core.money.MAX_AMOUNT, so the product of a line and the sum of the lines
# are checked as well as what was typed.
MAX_QUANTITY = Decimal("1e10")


def _build_line(position: int, line: LineInput, currency: str) -> InvoiceLine:
    label = f"Line {position}"
    if problem := policy.text_problem(line.description, what=f"{label} description"):
        raise ValidationError({"lines": problem})
    try:
        quantity = to_decimal(line.quantity, what=f"{label} quantity")
        price = to_decimal(line.unit_price, what=f"{label} unit price")
        rate = to_decimal(line.tax_rate, what=f"{label} tax rate")
    except MoneyError as exc:
        raise money_error("lines", exc) from None
    if not line.description.strip():
        raise ValidationError({"lines": f"{label} needs a description."})
    if quantity <= 0:
        raise ValidationError({"lines": f"{label} quantity must be greater than zero."})
    if quantity >= MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.0001")):
        raise ValidationError({"lines": f"{label} quantity {quantity} is out of range: at "
                                        f"most {MAX_QUANTITY:,.0f} with up to 4 decimals."})
    if price < 0:
        raise ValidationError({"lines": f"{label} unit price cannot be negative; issue a "
                                        "credit note to reduce what is owed."})
    if not Decimal(0) <= rate <= Decimal(100):
        raise ValidationError({"lines": f"{label} tax rate must be between 0 and 100 %."})
    if price >= MAX_AMOUNT or price != price.quantize(Decimal("0.0001")):
        raise ValidationError({"lines": f"{label} unit price {price} is out of range: below "
                                        f"{MAX_AMOUNT:,.0f} with up to 4 decimals."})
    try:
        net = q(quantity * price, currency)
        tax = percent_of(net, rate, currency)
        q(net + tax, currency)
    except MoneyError:
        raise ValidationError({"lines": f"{label} comes to more than an invoice can hold "
                                        f"(quantity × unit price must stay below "
                                        f"{MAX_AMOUNT:,.0f} {currency})."}) from None
    return InvoiceLine(position=position, description=line.description.strip(),
                       quantity=quantity, unit_price=price, tax_rate=rate,
                       net_amount=net, tax_amount=tax)


def _build_lines(lines: Sequence[LineInput], currency: str) -> list[InvoiceLine]:
    if not lines:
        raise ValidationError({"lines": "An invoice needs at least one line."})
    built = [_build_line(position, line, currency)
             for position, line in enumerate(lines, start=1)]
    if sum((ln.net_amount + ln.tax_amount for ln in built), Decimal(0)) >= MAX_AMOUNT:
        raise ValidationError({"lines": f"The lines add up to more than an invoice can hold "
                                        f"(below {MAX_AMOUNT:,.0f} {currency})."})
    return built

def _resolve_currency(currency: str | None, client: Client, terms: PaymentTerms) -> str:
    try:
        code = normalize_currency(currency or client.default_currency)
    except MoneyError as exc:
        raise money_error("currency", exc) from None
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
    check_identifier(number, field="number", what="The invoice number")
    check_text(reference, field="reference", what="The reference", multiline=False)
    check_text(notes, field="notes", what="The notes")
    terms = terms or terms_for(client)
    code = _resolve_currency(currency, client, terms)
    check_dates(issue_date=issue_date, due_date=due_date)
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
            add_adjustment(invoice, AdjustmentKind.WRITE_OFF, ledger.outstanding(invoice),
                            on or timezone.localdate(), reason, actor)
        invoice.status = ledger.payment_status(invoice) if to == InvoiceStatus.OPEN else to
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
    check_hold(until)
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
    if reference is not None:
        check_text(reference, field="reference", what="The reference", multiline=False)
    if notes is not None:
        check_text(notes, field="notes", what="The notes")
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
        check_dates(issue_date=invoice.issue_date, due_date=invoice.due_date)
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
