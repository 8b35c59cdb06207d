"""Sessions and Stripe events are shown in the admin and cannot be changed there."""

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from checkout.models import CheckoutSession, StripeEvent
from checkout.services import checkout_start
from checkout.testing import FakeStripeCheckout
from tests.checkout.conftest import CANCEL_URL, SUCCESS_URL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [CheckoutSession, StripeEvent])
def test_read_only_pages_load(admin_client: Any, client_de: Any, make_invoice: Any,
                              fake_stripe: FakeStripeCheckout, post_event: Any,
                              model: Any) -> None:
    invoice = make_invoice(client_de, "500.00", issue_date=date(2026, 3, 1))
    checkout_start(client=client_de, invoices=[invoice], success_url=SUCCESS_URL,
                   cancel_url=CANCEL_URL)
    post_event(fake_stripe.event("checkout.session.expired", payment_status="unpaid"))
    name = f"admin:checkout_{model._meta.model_name}"
    obj = model.objects.get()

    assert admin_client.get(reverse(f"{name}_changelist"), {"q": "cs_"}).status_code == 200
    page = admin_client.get(reverse(f"{name}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"{name}_delete", args=[obj.pk])).status_code == 403
