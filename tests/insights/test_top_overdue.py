"""The clients owing most overdue money, per currency."""

from decimal import Decimal

import pytest
from django.urls import reverse

from insights.selectors import top_overdue_clients
from receivables import services
from tests.factories import ClientFactory
from tests.reminders.support import TUESDAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def test_largest_overdue_balance_first_per_currency(overdue, make_invoice, make_payment):
    alpha, beta, gamma = (ClientFactory(display_name=n) for n in ("Alpha", "Beta", "Gamma"))
    overdue(alpha, 10, "300.00")
    overdue(alpha, -5, "5000.00")  # not due yet: not overdue
    overdue(beta, 40, "200.00")
    overdue(beta, 5, "250.00")
    overdue(gamma, 3, "450.00")  # ties with Beta: by name
    part = overdue(gamma, 1, "100.00")
    make_payment(gamma, "100.00", TUESDAY, invoices=[part])  # settled: no longer overdue
    services.invoice_transition(invoice=overdue(alpha, 2, "1.00"), to="disputed")  # still owed
    delta = ClientFactory(display_name="Delta", default_currency="USD")
    overdue(delta, 0, "999.00", currency="USD")  # due today: not overdue yet
    overdue(delta, 61, "80.00", currency="USD")

    top = top_overdue_clients(today=TUESDAY)
    assert list(top) == ["EUR", "USD"]
    assert [(c.name, c.overdue, c.invoices, c.oldest_days) for c in top["EUR"]] == [
        ("Beta", Decimal("450.00"), 2, 40),
        ("Gamma", Decimal("450.00"), 1, 3),
        ("Alpha", Decimal("301.00"), 2, 10),
    ]
    assert [(c.name, c.overdue, c.oldest_days) for c in top["USD"]] == [
        ("Delta", Decimal("80.00"), 61)]
    assert list(top_overdue_clients(today=TUESDAY, currency="USD")) == ["USD"]
    del make_invoice


def test_only_the_top_ten(overdue):
    clients = [ClientFactory(display_name=f"Client {n:02d}") for n in range(12)]
    for n, customer in enumerate(clients):
        overdue(customer, 5, f"{100 + n}.00")
    top = top_overdue_clients(today=TUESDAY)["EUR"]
    assert [c.name for c in top] == [f"Client {n:02d}" for n in range(11, 1, -1)]
    assert reverse("desk:client", args=[top[0].client_id]) == f"/desk/clients/{clients[11].pk}/"
