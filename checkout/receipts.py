"""The receipt for an online payment: one email in the client's language (English or German,
else English), sent like every other message — an ``OutboundMessage`` through
``CHANNELS["email"]`` — so delivery events, bounces and the timeline treat it the same way.

It runs after the payment's transaction has committed, and a failure is recorded on the
message and in the timeline: the payment stands whatever happens to the mail.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from django.template.loader import select_template
from django.utils import timezone

from checkout.models import CheckoutSession
from clients.business import business
from clients.models import InteractionChannel, InteractionKind
from clients.selectors import working_contact
from clients.services import interaction_record
from core.contact import babel_locale
from core.money import format_money
from receivables.models import AdjustmentKind, Payment
from reminders.channels import CHANNELS, ChannelError
from reminders.models import MessageStatus, OutboundMessage

log = logging.getLogger(__name__)

LANGUAGES = ("en", "de")


def receipt_context(payment: Payment, *, language: str) -> dict[str, Any]:
    """Plain values only: what was paid, when, for which invoices, and what is left."""
    client = payment.client
    locale = babel_locale(language, client.country)

    def money(amount: Decimal) -> str:
        return format_money(amount, payment.currency, locale)

    allocations = list(payment.allocations.select_related("invoice").order_by("id"))
    discount = sum((a.amount for a in payment.adjustments.filter(
        kind=AdjustmentKind.EARLY_DISCOUNT)), Decimal(0))
    return {
        "business_name": business().name,
        "contact_name": client.contact_name or client.display_name,
        "client_name": client.display_name,
        "amount": money(payment.amount),
        "paid_on": format_date(payment.received_on, format="long", locale=locale),
        "reference": payment.reference,
        "invoices": [{"number": a.invoice.number, "reference": a.invoice.reference,
                      "amount": money(a.amount), "settled": a.invoice.balance <= 0,
                      "remaining": money(a.invoice.balance)} for a in allocations],
        "discount": money(discount) if discount else "",
        "credit": money(payment.unapplied) if payment.unapplied > 0 else "",
    }


TEMPLATES = {"subject": "checkout/email/receipt_subject.{}.txt",
             "text": "checkout/email/receipt.{}.txt",
             "html": "checkout/email/receipt.{}.html"}


def _render(context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text and HTML in ``language``, or English where a template is missing."""
    def render(part: str) -> str:
        pattern = TEMPLATES[part]
        template = select_template([pattern.format(language), pattern.format("en")])
        rendered: str = template.render(context)
        return rendered

    # One line; not str.split(), which would also turn the no-break space in "1.190,00 €"
    # into a plain one.
    subject = " ".join(line.strip() for line in render("subject").splitlines() if line.strip())
    return subject, render("text").strip() + "\n", render("html")


def receipt_send(*, checkout_id: int) -> OutboundMessage | None:
    """Email the receipt for a paid session once; None when there is nothing to send (no
    payment, already sent, or no working email address)."""
    checkout = CheckoutSession.objects.select_related("client__owner", "payment").get(
        pk=checkout_id)
    client, payment = checkout.client, checkout.payment
    to = working_contact(client, "email")
    if payment is None or checkout.receipt_id is not None or not to:
        return None
    language = client.language if client.language in LANGUAGES else "en"
    subject, text, html = _render(receipt_context(payment, language=language), language)
    message = OutboundMessage.objects.create(client=client, channel="email", language=language,
                                             to=to, subject=subject, text=text, html=html)
    CheckoutSession.objects.filter(pk=checkout.pk).update(receipt=message)
    invoices = [a.invoice for a in payment.allocations.select_related("invoice")]
    try:
        handover = CHANNELS["email"].send(message, reply_to=getattr(client.owner, "email", ""))
    except ChannelError as exc:
        log.warning("Receipt for checkout %s not sent: %s", checkout.pk, exc)
        message.status, message.status_detail = MessageStatus.FAILED, str(exc)[:300]
        message.save(update_fields=["status", "status_detail"])
        interaction_record(
            client=client, kind=InteractionKind.NOTE, channel=InteractionChannel.EMAIL,
            summary=f"Payment receipt to {to} could not be sent: {exc}", invoices=invoices,
            metadata={"message_id": message.pk, "checkout_session": checkout.pk})
        return message
    message.provider, message.provider_message_id = handover.provider, handover.provider_id
    message.status, message.sent_at = handover.status, timezone.now()
    message.save(update_fields=["provider", "provider_message_id", "status", "sent_at"])
    interaction_record(
        client=client, kind=InteractionKind.NOTE, channel=InteractionChannel.EMAIL,
        summary=f"Payment receipt sent to {to}: {subject}", invoices=invoices,
        content={"to": to, "subject": subject, "text": text, "html": html},
        metadata={"message_id": message.pk, "provider": message.provider,
                  "provider_message_id": message.provider_message_id,
                  "checkout_session": checkout.pk, "payment_id": payment.pk})
    return message
