"""Two requests at once, on PostgreSQL (the SQLite run skips these): a double click opens one
Stripe session, and Stripe delivering the same event twice records one payment."""

from datetime import date
from typing import Any

import pytest
from django.db import connection  # noqa: F401 (the skipif condition below names it)

from checkout.models import CheckoutSession
from checkout.services import checkout_start, stripe_event_record
from checkout.testing import FakeStripeCheckout, stripe_checkout_fake
from receivables.models import Payment
from tests.checkout.conftest import CANCEL_URL, PAY_URL, SUCCESS_URL
from tests.concurrency import at_once

# Transactional like the suite's other process-level tests (pytest-django runs them last, each
# flushing the tables): what a test needs it seeds itself (install_defaults below).
pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif("connection.vendor != 'postgresql'",
                                 reason="row locks and unique-index waits need PostgreSQL")]


@pytest.fixture(autouse=True)
def _seeded() -> None:
    from django.apps import apps

    from reminders.defaults import install_defaults

    install_defaults(apps)  # an earlier transactional test may have flushed the seed


def test_a_double_click_calls_stripe_once(client_de: Any, make_invoice: Any,
                                          stripe_api: Any) -> None:
    # The second click arrives while Stripe is still answering the first.
    fake = stripe_checkout_fake(stripe_api, url=PAY_URL, delay=0.3)
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))

    urls = at_once(lambda: checkout_start(client=client_de, invoices=[invoice],
                                          success_url=SUCCESS_URL, cancel_url=CANCEL_URL))

    assert urls == [PAY_URL, PAY_URL]
    assert len(fake.requests) == 1
    assert CheckoutSession.objects.count() == 1


def test_the_same_event_delivered_twice_at_once_pays_once(
        client_de: Any, make_invoice: Any, fake_stripe: FakeStripeCheckout) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    checkout_start(client=client_de, invoices=[invoice], success_url=SUCCESS_URL,
                   cancel_url=CANCEL_URL)
    event = fake_stripe.event()

    outcomes = at_once(lambda: stripe_event_record(event=event))

    assert sorted(o if isinstance(o, str) else repr(o) for o in outcomes)[0] == \
        "already processed"
    assert Payment.objects.count() == 1
