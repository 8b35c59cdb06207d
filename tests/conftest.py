from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from receivables import services
from receivables.models import Invoice, Payment
from tests.factories import ClientFactory, TermsFactory, UserFactory

# The reminder fixtures (a fixed Tuesday, an owner, an overdue-invoice maker, Postmark
# intercepted) serve every test directory.
from tests.reminders.conftest import at_now, overdue, owner, postmark  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """The cache holds rate-limit counters and the pay-link lifetime, the hand-off each
    channel's pace and a provider's pause: none carries over."""
    from django.core.cache import cache

    from reminders.handoff import reset_rate_limits

    cache.clear()
    reset_rate_limits()


@pytest.fixture
def bookkeeper(db: Any) -> Any:
    return UserFactory(username="berta")


@pytest.fixture
def client_de(db: Any) -> Any:
    return ClientFactory()


@pytest.fixture
def net30(db: Any) -> Any:
    return TermsFactory(name="Net 30 plain", net_days=30)


@pytest.fixture
def make_invoice(db: Any, net30: Any) -> Callable[..., Invoice]:
    counter = iter(range(1, 10_000))

    def make(client: Any, amount: str = "1000.00", *, issue_date: date = date(2026, 1, 1),
             terms: Any = None, currency: str | None = None, **kwargs: Any) -> Invoice:
        return services.invoice_create(
            client=client, number=kwargs.pop("number", f"INV-{next(counter):04d}"),
            issue_date=issue_date, terms=terms or net30, currency=currency,
            lines=kwargs.pop("lines", [services.LineInput("Consulting", amount)]), **kwargs)

    return make


@pytest.fixture
def make_payment(db: Any) -> Callable[..., Payment]:
    def make(client: Any, amount: str | Decimal, received_on: date, **kwargs: Any) -> Payment:
        return services.payment_record(client=client, amount=amount, received_on=received_on,
                                       **kwargs)

    return make
