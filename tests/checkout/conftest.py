from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import responses
import time_machine

from checkout.testing import FakeStripeCheckout, signed_webhook, stripe_checkout_fake

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 17, 10, 30, tzinfo=BERLIN)  # a Tuesday
SECRET_KEY = "sk_test_settle"
WEBHOOK_SECRET = "whsec_test_settle"
PAY_URL = "https://checkout.stripe.com/c/pay/cs_test_fake#settle"
SUCCESS_URL = "https://settle.example/p/token/paid/"
CANCEL_URL = "https://settle.example/p/token/"


@pytest.fixture(autouse=True)
def _stripe_settings_and_clock(settings: Any) -> Iterator[None]:
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SITE_URL = "https://settle.example"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def stripe_api() -> Iterator[responses.RequestsMock]:
    """Stripe's HTTP API, intercepted: the real ``stripe`` library talks to ``responses``."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def fake_stripe(stripe_api: responses.RequestsMock) -> FakeStripeCheckout:
    return stripe_checkout_fake(stripe_api, url=PAY_URL)


@pytest.fixture
def post_event(client: Any) -> Callable[..., Any]:
    """POST an event to the webhook, signed with the endpoint secret (or as told)."""
    def post(event: dict[str, Any], *, secret: str = WEBHOOK_SECRET,
             timestamp: int | None = None, body: bytes | None = None) -> Any:
        signed_body, header = signed_webhook(event, secret, timestamp=timestamp)
        return client.post("/hooks/stripe/", body if body is not None else signed_body,
                           content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    return post
