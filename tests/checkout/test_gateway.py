"""Stripe's amount rules and webhook signatures, without a database."""

from decimal import Decimal

import pytest
import stripe

from checkout.gateway import AmountError, amount_from_stripe, stripe_units
from checkout.testing import signed_webhook, stripe_signature


@pytest.mark.parametrize(("amount", "currency", "units"), [
    ("1190.00", "EUR", 119000),
    ("0.01", "USD", 1),
    ("12345", "JPY", 12345),
    ("12345", "KRW", 12345),
    ("10.050", "BHD", 10050),
    ("7.120", "KWD", 7120),
    ("5", "ISK", 500),  # two decimals in Stripe's API, always 00
    ("4200.00", "MGA", 4200),  # zero-decimal at Stripe, two decimals in ISO 4217
    ("999999.99", "EUR", 99_999_999),
])
def test_amounts_in_stripe_units(amount: str, currency: str, units: int) -> None:
    assert stripe_units(Decimal(amount), currency) == units
    assert amount_from_stripe(units, currency) == Decimal(amount)


@pytest.mark.parametrize(("amount", "currency", "why"), [
    ("10.005", "BHD", r"steps of 0\.01 BHD"),
    ("4200.50", "MGA", "more decimals than Stripe can charge in MGA"),
    ("1000000.00", "EUR", "outside what Stripe accepts"),
    ("0.00", "EUR", "outside what Stripe accepts"),
])
def test_amounts_stripe_cannot_charge_exactly_are_refused(amount: str, currency: str,
                                                          why: str) -> None:
    with pytest.raises(AmountError, match=why):
        stripe_units(Decimal(amount), currency)


def test_our_signature_is_the_one_stripe_computes() -> None:
    body, header = signed_webhook({"id": "evt_1", "type": "ping"}, "whsec_x", timestamp=1700000000)

    expected = stripe.WebhookSignature.generate_signature_header(
        body.decode(), "whsec_x", timestamp=1700000000)
    assert header == expected == stripe_signature(body, "whsec_x", timestamp=1700000000)
    assert stripe.WebhookSignature.verify_header(body, header, "whsec_x", tolerance=None)
