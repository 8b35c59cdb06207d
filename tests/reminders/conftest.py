from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import responses
import time_machine

from receivables.models import Invoice
from tests.factories import UserFactory
from tests.reminders.support import BERLIN, NOW, TUESDAY


@pytest.fixture
def at_now() -> Iterator[None]:
    """The wall clock at NOW (Tuesday 17 March 2026, 10:30 in Berlin)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def render_day() -> Iterator[None]:
    """The wall clock of the rendering tests (test_rendering_*): Monday 9 November 2026, 10:00
    in Berlin (rendering_support.TODAY)."""
    with time_machine.travel(datetime(2026, 11, 9, 10, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def owner(db: Any) -> Any:
    return UserFactory(username="berta", email="berta@settle.example")


@pytest.fixture
def overdue(make_invoice: Any) -> Callable[..., Invoice]:
    """An invoice ``days`` overdue on TUESDAY (Net 30)."""
    def make(customer: Any, days: int, amount: str = "927.31", **kwargs: Any) -> Invoice:
        return make_invoice(customer, amount, issue_date=TUESDAY - timedelta(days=30 + days),
                            **kwargs)
    return make


@pytest.fixture
def postmark(settings: Any) -> Iterator[responses.RequestsMock]:
    """Postmark as the ESP, its API intercepted: every registered response must be used."""
    settings.ESP = "postmark"
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test"}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def me(client: Any) -> Any:
    """The logged-in bookkeeper (the reminder pages' tests, test_pages_*)."""
    user = UserFactory(username="berta", first_name="Berta", last_name="Keeper")
    client.force_login(user)
    return user
