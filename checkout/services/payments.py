"""Stripe's events about our sessions: record the payment when a session is paid, note a
failed one, mark an expired one.

``checkout_paid`` books the quoted fee and interest and records the payment against the
invoices still payable, so the amount settles them to the cent; whatever an invoice no longer
needs (paid by bank transfer in the meantime) stays as the client's credit. The receipt email
goes out after the commit: a mail failure never undoes a payment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from checkout import gateway
from checkout.models import CheckoutSession, CheckoutStatus, StripeEvent
from checkout.receipts import receipt_send
from checkout.services.sessions import booked_charges, client_today
from clients.models import InteractionChannel, InteractionKind, PaymentMethod
from clients.services import interaction_record
from core.money import format_money
from receivables.models import RECEIVABLE_STATUSES, AdjustmentKind, Invoice, PaymentSource
from receivables.services import adjustment_add, payment_record

log = logging.getLogger(__name__)


def stripe_event_record(*, event: Mapping[str, Any]) -> str:
    """Act once on a verified Stripe event; returns what was done (for the log and the
    response). The ``StripeEvent`` row is written in the same transaction as the effect, so a
    replay finds it and changes nothing; events for sessions Settle did not open, and event
    types Settle does not use, are acknowledged and left alone."""
    kind = str(event.get("type", ""))
    handler = _HANDLERS.get(kind)
    if handler is None:
        return f"ignored {kind or 'event'}"
    session = event["data"]["object"]
    occurred_at = _event_time(event)
    with transaction.atomic():
        checkout = _locked(session)
        if checkout is None:
            log.info("Stripe %s %s is for session %s, which Settle did not open: ignored.",
                     kind, event.get("id"), session.get("id"))
            return "unknown session"
        try:
            with transaction.atomic():
                stored = StripeEvent.objects.create(
                    event_id=str(event["id"]), type=kind, checkout=checkout,
                    occurred_at=occurred_at, payload=dict(event))
        except IntegrityError:
            return "already processed"
        outcome = _apply(handler, checkout, session, occurred_at)
        stored.outcome = outcome[:300]
        stored.save(update_fields=["outcome"])
    return outcome


Handler = Callable[[CheckoutSession, Mapping[str, Any], datetime], str]


def _apply(handler: Handler, checkout: CheckoutSession, session: Mapping[str, Any],
           occurred_at: datetime) -> str:
    """Run the handler; a payment that cannot be recorded (say, its reference was already
    typed in by hand) is put in front of a person instead of failing the webhook for days."""
    try:
        with transaction.atomic():
            return handler(checkout, session, occurred_at)
    except ValidationError as exc:
        why = " ".join(exc.messages)
        log.error("Stripe session %s could not be recorded: %s", checkout.stripe_session_id,
                  why)
        interaction_record(
            client=checkout.client, kind=InteractionKind.NOTE, channel=InteractionChannel.PORTAL,
            summary=f"Online payment of {format_money(checkout.amount, checkout.currency)} "
                    f"({_reference(session)}) could not be recorded automatically: {why} "
                    "Please record it by hand.",
            metadata={"checkout_session": checkout.pk, "error": why},
            invoices=list(checkout.invoices.all()), occurred_at=occurred_at)
        return f"needs attention: {why}"


def _event_time(event: Mapping[str, Any]) -> datetime:
    created = event.get("created")
    if isinstance(created, int) and created > 0:
        return datetime.fromtimestamp(created, tz=UTC)
    return timezone.now()


def _locked(session: Mapping[str, Any]) -> CheckoutSession | None:
    """Our session for Stripe's session object, locked; None when it is not ours."""
    session_id = session.get("id")
    if not isinstance(session_id, str) or not session_id.startswith("cs_"):
        return None
    checkout = (CheckoutSession.objects.select_for_update().select_related("client")
                .filter(stripe_session_id=session_id).first())
    ours = str((session.get("metadata") or {}).get("settle_checkout_id", ""))
    if checkout is not None and ours and ours != str(checkout.pk):
        log.warning("Stripe session %s names checkout %s, ours is %s: ignored.", session_id,
                    ours, checkout.pk)
        return None
    return checkout


def _reference(session: Mapping[str, Any]) -> str:
    """The payment's reference: the PaymentIntent id Stripe's dashboard and payouts show."""
    intent = session.get("payment_intent")
    if isinstance(intent, Mapping):
        intent = intent.get("id")
    return str(intent or session.get("id") or "")[:120]


def checkout_paid(*, session: Mapping[str, Any], occurred_at: datetime,
                  method: PaymentMethod | str = PaymentMethod.CARD) -> CheckoutSession | None:
    """Record the payment of a paid Stripe session (Stripe's session object as a dict), once.

    In one transaction: the late fee and interest quoted but not booked yet are booked, then
    the money is recorded (source portal) against the session's invoices that still take
    payments — ``payment_record`` grants the early-payment discount, stops the reminders
    (``next_action_at`` is cleared, the invoice is paid) and keeps any surplus as credit. The
    receipt email is sent after the commit. Returns the session, or None when it is not ours.
    """
    with transaction.atomic():
        checkout = _locked(session)
        if checkout is not None:
            _record_paid(checkout, session, occurred_at, method)
    return checkout


def _record_paid(checkout: CheckoutSession, session: Mapping[str, Any], occurred_at: datetime,
                 method: PaymentMethod | str) -> str:
    if checkout.status == CheckoutStatus.PAID:
        return "already paid"
    currency = str(session.get("currency") or "").upper()
    if currency != checkout.currency:
        raise ValidationError(f"Stripe reports a payment in {currency or 'no currency'}, the "
                              f"session was for {checkout.currency}.")
    try:
        amount = gateway.amount_from_stripe(session.get("amount_total"), currency)  # type: ignore[arg-type]
    except gateway.AmountError as exc:
        raise ValidationError(str(exc)) from None
    if amount != checkout.amount:
        log.warning("Stripe session %s took %s %s, quoted %s: recording what was taken.",
                    checkout.stripe_session_id, amount, currency, checkout.amount)
    client = checkout.client
    _book_charges(checkout)
    payment = payment_record(
        client=client, amount=amount, currency=currency, method=method,
        # payment_record refuses a day after the server's today; east of UTC the client's
        # day starts earlier.
        received_on=min(client_today(client, occurred_at), timezone.localdate()),
        reference=_reference(session), source=PaymentSource.PORTAL,
        invoices=_still_payable(checkout),
        notes=f"Paid online: Stripe Checkout {checkout.stripe_session_id}")
    checkout.status, checkout.paid_at, checkout.payment = CheckoutStatus.PAID, occurred_at, payment
    checkout.payment_intent_id = _reference(session)
    checkout.save(update_fields=["status", "paid_at", "payment", "payment_intent_id",
                                 "updated_at"])
    checkout_id = checkout.pk
    transaction.on_commit(lambda: receipt_send(checkout_id=checkout_id), robust=True)
    return f"paid: payment {payment.pk}"


def _book_charges(checkout: CheckoutSession) -> None:
    """Book the late fee and interest the client paid for, as quoted, so the payment settles
    the invoice exactly — less whatever was booked since the quote (a cadence step's late
    fee, say), so nothing is charged twice."""
    for line in checkout.breakdown:
        quoted = {AdjustmentKind.LATE_FEE: Decimal(line["late_fee"]),
                  AdjustmentKind.INTEREST: Decimal(line["interest"])}
        if not any(quoted.values()):
            continue
        invoice = Invoice.objects.select_related("terms").get(pk=line["invoice_id"])
        if invoice.status not in RECEIVABLE_STATUSES:
            continue  # settled meanwhile: what was meant for it stays as credit
        then = {AdjustmentKind.LATE_FEE: Decimal(line["booked_late_fee"]),
                AdjustmentKind.INTEREST: Decimal(line["booked_interest"])}
        now = booked_charges(invoice)
        for kind, amount in quoted.items():
            charge = amount - max(now[kind] - then[kind], Decimal(0))
            if charge > 0:
                adjustment_add(invoice=invoice, kind=kind, amount=charge, on=checkout.quoted_on,
                               memo=f"Per terms, paid online ({invoice.terms.name})")


def _still_payable(checkout: CheckoutSession) -> list[Invoice]:
    """The session's invoices that still take money, in the quote's order.

    When none does, the list is empty and ``payment_record`` (as it stands) applies the money
    to the client's other open invoices in that currency, oldest first.
    """
    order = {line["invoice_id"]: index for index, line in enumerate(checkout.breakdown)}
    invoices = Invoice.objects.filter(pk__in=order, status__in=RECEIVABLE_STATUSES,
                                      balance__gt=0)
    return sorted(invoices, key=lambda inv: order[inv.pk])


def _record_completed(checkout: CheckoutSession, session: Mapping[str, Any],
                      occurred_at: datetime) -> str:
    payment_status = session.get("payment_status")
    if payment_status == "paid":
        return _record_paid(checkout, session, occurred_at, PaymentMethod.CARD)
    if payment_status != "unpaid" or checkout.status not in (CheckoutStatus.OPEN,
                                                             CheckoutStatus.EXPIRED):
        return f"no change ({payment_status})"
    checkout.status = CheckoutStatus.PROCESSING
    checkout.save(update_fields=["status", "updated_at"])
    _note(checkout, occurred_at, "started; the bank has not confirmed it yet.")
    return "processing"


def _record_async_paid(checkout: CheckoutSession, session: Mapping[str, Any],
                       occurred_at: datetime) -> str:
    # Delayed confirmation is how bank debits (SEPA, Bacs, ACH) settle; cards are immediate.
    return _record_paid(checkout, session, occurred_at, PaymentMethod.DIRECT_DEBIT)


def _record_failed(checkout: CheckoutSession, session: Mapping[str, Any],
                   occurred_at: datetime) -> str:
    if checkout.status == CheckoutStatus.PAID:
        return "no change (paid)"
    checkout.status = CheckoutStatus.FAILED
    checkout.save(update_fields=["status", "updated_at"])
    _note(checkout, occurred_at, f"failed ({_reference(session)}); the invoices stay open.")
    return "failed"


def _record_expired(checkout: CheckoutSession, session: Mapping[str, Any],
                    occurred_at: datetime) -> str:
    if checkout.status != CheckoutStatus.OPEN:
        return f"no change ({checkout.status})"
    checkout.status = CheckoutStatus.EXPIRED
    checkout.save(update_fields=["status", "updated_at"])
    return "expired"


def _note(checkout: CheckoutSession, occurred_at: datetime, what: str) -> None:
    invoices = list(checkout.invoices.all())
    interaction_record(
        client=checkout.client, kind=InteractionKind.NOTE, channel=InteractionChannel.PORTAL,
        actor_label="client", occurred_at=occurred_at, invoices=invoices,
        summary=f"Online payment of {format_money(checkout.amount, checkout.currency)} for "
                f"{', '.join(checkout.invoice_numbers)} {what}",
        metadata={"checkout_session": checkout.pk,
                  "stripe_session_id": checkout.stripe_session_id,
                  "status": checkout.status})


_HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _record_completed,
    "checkout.session.async_payment_succeeded": _record_async_paid,
    "checkout.session.async_payment_failed": _record_failed,
    "checkout.session.expired": _record_expired,
}
