"""Online payment with Stripe Checkout: ``sessions`` quotes a client's invoices and opens a
Stripe-hosted payment page for exactly that amount; ``payments`` acts on Stripe's webhook events
and records the payment once it is paid. Views and the pay-now pages import from here."""

from checkout.services.payments import checkout_paid, stripe_event_record
from checkout.services.sessions import (
    Quote,
    checkout_quote,
    checkout_start,
    client_today,
    stripe_enabled,
)

__all__ = [
    "Quote",
    "checkout_paid",
    "checkout_quote",
    "checkout_start",
    "client_today",
    "stripe_enabled",
    "stripe_event_record",
]
