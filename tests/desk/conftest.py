"""Fixtures for the desk tests: the reminder tests' clock (Tuesday 17 March 2026, 10:30 in
Berlin), owner, overdue invoices and Postmark, and a browser signed in as the owner."""

from typing import Any

import pytest

from tests.reminders.conftest import at_now, overdue, owner, postmark  # noqa: F401


@pytest.fixture
def browser(client: Any, owner: Any) -> Any:  # noqa: F811 (the fixture imported above)
    """A browser signed in as Berta, a bookkeeper."""
    client.force_login(owner)
    return client
