"""Online payment state: the Stripe Checkout sessions Settle opened, and the Stripe events it
acted on.

A ``CheckoutSession`` is written once, in the transaction that asks Stripe for the session, so a
row always has its Stripe id and URL (a failed call leaves no row). It keeps what was quoted —
per invoice: balance, discount, fee and interest not yet booked, and the total charged — because
the payment is recorded later, from a webhook, and must settle exactly what the client saw.

A ``StripeEvent`` row is stored in the same transaction as the event's effect, unique on
Stripe's event id: a replayed or duplicated delivery finds it and changes nothing.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models import Client
from receivables.models import MONEY


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open (waiting for the client)"
    PROCESSING = "processing", "Completed, payment pending at the bank"
    PAID = "paid", "Paid"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Payment failed"


class CheckoutSession(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT,
                               related_name="checkout_sessions")
    invoices = models.ManyToManyField("receivables.Invoice", related_name="checkout_sessions")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY, help_text="What the client was asked to pay.")
    quoted_on = models.DateField(help_text="The client's local day the amounts were worked out "
                                           "for (discount, fee and interest of that day).")
    breakdown = models.JSONField(
        default=list, help_text="Per invoice: id, number, balance, discount, late fee and "
                                "interest not yet booked, total, and Stripe's minor units.")
    fingerprint = models.CharField(
        max_length=64, db_index=True, editable=False,
        help_text="SHA-256 of client, invoices, amounts, currency and day: the same quote "
                  "twice is the same session.")
    idempotency_key = models.CharField(max_length=120, unique=True, editable=False)
    stripe_session_id = models.CharField(max_length=255, unique=True)
    url = models.URLField(max_length=2048)
    status = models.CharField(max_length=10, choices=CheckoutStatus.choices,
                              default=CheckoutStatus.OPEN)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    payment = models.ForeignKey("receivables.Payment", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    receipt = models.ForeignKey("reminders.OutboundMessage", on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"])]
        constraints = [
            # Two clicks on "Pay" for the same quote: the second waits for the first and reuses
            # its session instead of opening another one.
            models.UniqueConstraint(fields=["fingerprint"], condition=Q(status="open"),
                                    name="checkout_one_open_session_per_quote"),
            models.CheckConstraint(condition=Q(status__in=CheckoutStatus.values),
                                   name="checkout_status_known"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_session_id} ({self.get_status_display().lower()})"

    @property
    def invoice_numbers(self) -> list[str]:
        return [str(line["number"]) for line in self.breakdown]


class StripeEvent(models.Model):
    """A Stripe webhook event Settle acted on, once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=80)
    checkout = models.ForeignKey(CheckoutSession, on_delete=models.PROTECT,
                                 related_name="events")
    occurred_at = models.DateTimeField(help_text="When Stripe created the event.")
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=300, blank=True)
    payload = models.JSONField(default=dict, help_text="The event as Stripe sent it.")

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
