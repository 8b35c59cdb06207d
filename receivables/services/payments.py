"""Payments: validated, recorded and allocated to invoices (oldest first unless chosen),
early-payment discounts applied, credits used; and the sync heartbeat of imports and the API."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clients.models import Client, InteractionChannel, InteractionKind, PaymentMethod
from clients.services import interaction_record
from core.money import (
    MoneyError,
    format_money,
    normalize_currency,
    parse_amount,
)
from infra.text import check_identifier, check_text
from receivables import ledger
from receivables.models import (
    RECEIVABLE_STATUSES,
    AdjustmentKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentSource,
    PaymentSync,
)
from receivables.services.balances import add_adjustment, refresh_payment_status
from receivables.services.terms import check_dates, money_error


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
        add_adjustment(invoice, AdjustmentKind.EARLY_DISCOUNT, discount, payment.received_on,
                        f"Paid in full within the discount window ({invoice.terms.name})",
                        actor, payment=payment)
        amount = min(available, ledger.outstanding(invoice))
        if amount > 0:
            PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=amount)
            invoice.amount_paid += amount
            payment.amount_allocated += amount
            available -= amount
        refresh_payment_status(invoice)
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
        raise money_error("amount", exc) from None
    # "Today" is the later of the business's and the client's: a payment made in Berlin just
    # after midnight is not in the future while the business's clock still says yesterday.
    if received_on > max(timezone.localdate(), client.local_today()):
        raise ValidationError({"received_on": "A payment cannot be received in the future."})
    check_dates(received_on=received_on)
    reference = (reference or "").strip()
    check_identifier(reference, field="reference", what="The payment reference")
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
    check_text(notes, field="notes", what="The notes")
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
            if ledger.outstanding(target) <= 0:
                break
        if applied:
            interaction_record(
                client=client, kind=InteractionKind.PAYMENT, actor=actor,
                summary=f"Credit of {format_money(applied, invoice.currency)} applied to "
                        f"invoice {target.number}", metadata={"credit_applied": str(applied)},
                invoices=[target])
    return applied

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
