"""Fixtures for the desk tests: the reminder tests' clock (Tuesday 17 March 2026, 10:30 in
Berlin), owner, overdue invoices and Postmark, a browser signed in as the owner, and the
worklist tests' books (``trio``, ``two_clients``)."""

from typing import Any

import pytest

from receivables.models import Invoice
from tests.desk.worklist_support import issued_long_ago, note
from tests.factories import ClientFactory
from tests.reminders.conftest import at_now, overdue, owner, postmark  # noqa: F401


@pytest.fixture
def browser(client: Any, owner: Any) -> Any:  # noqa: F811 (the fixture imported above)
    """A browser signed in as Berta, a bookkeeper."""
    client.force_login(owner)
    return client


@pytest.fixture
def trio(overdue: Any) -> dict[str, Invoice]:  # noqa: F811 (the fixture imported above)
    alpha, bravo, charlie = (ClientFactory(display_name=n) for n in ("Alpha", "Bravo", "Charlie"))
    invoices = {"a": issued_long_ago(overdue, alpha, 10, amount="300.00"),
                "b": issued_long_ago(overdue, bravo, 40, amount="100.00"),
                "c": issued_long_ago(overdue, charlie, 2, amount="200.00")}
    note(alpha, 5)
    note(bravo, 20)
    note(charlie, 1)
    return invoices


@pytest.fixture
def two_clients(overdue: Any) -> dict[str, Any]:  # noqa: F811 (the fixture imported above)
    first = ClientFactory(display_name="First Client", channel_preferences=["email"])
    second = ClientFactory(display_name="Second Client", channel_preferences=["email"])
    return {"first": first, "second": second,
            "invoices": [overdue(first, 2), overdue(first, 9), overdue(second, 2)]}
