"""No "thank you for usually paying on time" to a client who is far behind (issue 15, item 8):
an invoice in collections, or one more than 60 days late, silences the thanks."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from receivables import services as receivables
from receivables.models import InvoiceStatus
from reminders import selectors
from tests.factories import ClientFactory
from tests.reminders.rendering_support import PAY_URL

pytestmark = pytest.mark.django_db
TODAY = date(2026, 9, 1)
THANKS = "Thank you for usually paying on time."


@pytest.fixture
def good_payer(make_invoice: Any) -> Any:
    """Three invoices paid five days early: the record that earns the thanks."""
    client = ClientFactory(language="en")
    for month in (3, 4, 5):
        invoice = make_invoice(client, "100.00", issue_date=date(2026, month, 1))
        paid_on = date(2026, month, 26)
        with time_machine.travel(datetime(2026, month, 26, 12, tzinfo=ZoneInfo("UTC")),
                                 tick=False):
            receivables.payment_record(client=client, amount="100.00", received_on=paid_on,
                                       invoices=[invoice])
    return client


def history(client: Any, invoice: Any) -> str:
    with time_machine.travel(datetime(2026, 9, 1, 10, tzinfo=ZoneInfo("UTC")), tick=False):
        return selectors.message_context(client=client, invoices=[invoice], today=TODAY,
                                         pay_url=PAY_URL)["history_line"]


@pytest.mark.parametrize(("days_late", "thanked"), [(7, True), (60, True), (61, False)])
def test_thanks_only_while_nothing_is_more_than_60_days_late(good_payer: Any, make_invoice: Any,
                                                             days_late: int,
                                                             thanked: bool) -> None:
    late = make_invoice(good_payer, "500.00", issue_date=TODAY - timedelta(days=30 + days_late))
    assert (history(good_payer, late) == THANKS) is thanked


def test_no_thanks_with_an_invoice_in_collections(good_payer: Any, make_invoice: Any) -> None:
    current = make_invoice(good_payer, "500.00", issue_date=TODAY - timedelta(days=37))
    handed = make_invoice(good_payer, "800.00", issue_date=TODAY - timedelta(days=50))
    assert history(good_payer, current) == THANKS
    with time_machine.travel(datetime(2026, 9, 1, 10, tzinfo=ZoneInfo("UTC")), tick=False):
        receivables.invoice_transition(invoice=handed, to=InvoiceStatus.IN_COLLECTIONS)
    assert history(good_payer, current) == ""
