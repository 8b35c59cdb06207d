"""Fixtures for the Analytics tests: the reminder tests' clock, owner, overdue invoices and
Postmark, plus paying an invoice on a given day after NOW through the real service."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from core.money import quantize
from receivables.models import Invoice, Payment
from receivables.services import payment_record
from tests.reminders.conftest import at_now, overdue, owner, postmark  # noqa: F401
from tests.reminders.support import NOW


@pytest.fixture
def pay_after(db: Any) -> Callable[..., Payment]:
    """Pay ``invoice`` (in full unless ``amount``) ``days`` after NOW, with the clock there."""
    def pay(invoice: Invoice, days: int, amount: str | None = None) -> Payment:
        invoice.refresh_from_db()
        owed = quantize(invoice.balance, invoice.currency)
        when = NOW + timedelta(days=days)
        with time_machine.travel(when, tick=False):
            return payment_record(client=invoice.client, amount=amount or owed,
                                  received_on=when.date(), invoices=[invoice])
    return pay
