"""The payment-history line of a reminder: thanks for a good record, a broken promise
mentioned, and the plain values of the message context."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.models import InteractionKind
from clients.services import interaction_record
from receivables import services as receivables
from receivables.models import InvoiceStatus
from reminders import rendering, selectors
from tests.factories import ClientFactory
from tests.reminders.rendering_support import ISSUED, NBSP, PAY_URL, TODAY, render_seeded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("render_day")]

UTC = ZoneInfo("UTC")


# --- The history line ------------------------------------------------------------------------

def _paid_invoice(client: Any, make_invoice: Any, issue: date, *, paid_on: date,
                  recorded_on: date | None = None) -> Any:
    invoice = make_invoice(client, "100.00", issue_date=issue)
    recorded = recorded_on or paid_on
    with time_machine.travel(datetime.combine(recorded, datetime.min.time(), tzinfo=UTC)
                             + timedelta(hours=12), tick=False):
        receivables.payment_record(client=client, amount="100.00", received_on=paid_on,
                                   invoices=[invoice])
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    return invoice


def _history(client: Any, make_invoice: Any, key: str = "overdue_7") -> str:
    overdue = make_invoice(client, "927.31", issue_date=ISSUED)
    context = selectors.message_context(client=client, invoices=[overdue],
                                        today=overdue.due_date + timedelta(days=7),
                                        pay_url=PAY_URL)
    return context["history_line"]


@pytest.mark.parametrize(("language", "line"), [
    ("en", "Thank you for usually paying on time."),
    ("de", "Vielen Dank, dass Sie sonst immer pünktlich zahlen."),
])
def test_thanks_after_three_invoices_paid_on_time(make_invoice, language, line):
    client = ClientFactory(language=language)
    for month in (3, 4, 5):  # due on the 31st/1st; paid five days early
        issue = date(2026, month, 1)
        _paid_invoice(client, make_invoice, issue, paid_on=issue + timedelta(days=25))
    overdue = make_invoice(client, "927.31", issue_date=ISSUED)
    template, out = render_seeded(client, [overdue], "overdue_7",
                                  today=overdue.due_date + timedelta(days=7))
    assert template.language == language
    assert line in out.text
    assert line in out.html


def test_no_thanks_with_only_two_paid_invoices(make_invoice):
    client = ClientFactory(language="en")
    for month in (3, 4):
        issue = date(2026, month, 1)
        _paid_invoice(client, make_invoice, issue, paid_on=issue + timedelta(days=25))
    assert _history(client, make_invoice) == ""


def test_no_thanks_when_too_many_were_paid_late(make_invoice):
    client = ClientFactory(language="en")
    for month in (3, 4, 5):
        issue = date(2026, month, 1)
        _paid_invoice(client, make_invoice, issue, paid_on=issue + timedelta(days=25))
    _paid_invoice(client, make_invoice, date(2026, 6, 1), paid_on=date(2026, 8, 15))  # 3 of 4
    assert _history(client, make_invoice) == ""


def test_thanks_judged_by_when_money_arrived_not_when_it_was_entered(make_invoice):
    client = ClientFactory(language="en")
    for month in (3, 4, 5):
        issue = date(2026, month, 1)
        due = issue + timedelta(days=30)
        _paid_invoice(client, make_invoice, issue, paid_on=due - timedelta(days=2),
                      recorded_on=due + timedelta(days=3))  # bank statement imported later
    assert _history(client, make_invoice) == "Thank you for usually paying on time."


@pytest.mark.parametrize(("language", "line"), [
    ("en", "You told us payment would arrive by"),
    ("de", "Sie hatten uns eine Zahlung bis"),
])
def test_broken_promise_is_mentioned(make_invoice, language, line):
    client = ClientFactory(language=language)
    # A good record would earn thanks, but the broken promise takes precedence.
    for month in (3, 4, 5):
        issue = date(2026, month, 1)
        _paid_invoice(client, make_invoice, issue, paid_on=issue + timedelta(days=25))
    interaction_record(client=client, kind=InteractionKind.PROMISE_TO_PAY,
                       summary="Promised to pay by 30 October",
                       metadata={"promised_on": "2026-10-30"})
    overdue = make_invoice(client, "927.31", issue_date=ISSUED)
    _, out = render_seeded(client, [overdue], "overdue_7",
                           today=overdue.due_date + timedelta(days=7))
    assert line in out.text
    assert "30 October 2026" in out.text or "30. Oktober 2026" in out.text  # localized
    assert "Thank you" not in out.text and "Vielen Dank" not in out.text


def test_promise_not_yet_due_is_not_called_broken(make_invoice):
    client = ClientFactory(language="en")
    interaction_record(client=client, kind=InteractionKind.PROMISE_TO_PAY,
                       summary="Promised to pay by 20 November",
                       metadata={"promised_on": "2026-11-20"})
    overdue = make_invoice(client, "927.31", issue_date=ISSUED)
    context = selectors.message_context(client=client, invoices=[overdue], today=TODAY,
                                        pay_url=PAY_URL)
    assert context["history_line"] == ""


def test_no_history_line_for_a_new_client(client_de, make_invoice):
    assert _history(client_de, make_invoice) == ""


def test_broken_promise_date_is_formatted_for_the_client(client_de, make_invoice):
    interaction_record(client=client_de, kind=InteractionKind.PROMISE_TO_PAY,
                       summary="Zahlung bis 30.10. zugesagt",
                       metadata={"promised_on": "2026-10-30"})
    assert _history(client_de, make_invoice) == (
        "Sie hatten uns eine Zahlung bis 30. Oktober 2026 zugesagt; sie ist noch nicht "
        "eingegangen.")


def test_kept_promise_is_not_called_broken(make_invoice):
    client = ClientFactory(language="en")
    promised = make_invoice(client, "100.00", issue_date=date(2026, 9, 1))  # due 1 October
    interaction_record(client=client, kind=InteractionKind.PROMISE_TO_PAY,
                       summary="Will pay by 20 October", invoices=[promised],
                       metadata={"promised_on": "2026-10-20"})
    with time_machine.travel(datetime(2026, 10, 19, 12, tzinfo=UTC), tick=False):
        receivables.payment_record(client=client, amount="100.00",
                                   received_on=date(2026, 10, 19), invoices=[promised])
    assert "You told us" not in _history(client, make_invoice)


def test_context_holds_plain_formatted_values(client_de, make_invoice):
    invoice = make_invoice(client_de, "927.31", issue_date=ISSUED)
    context = selectors.message_context(client=client_de, invoices=[invoice], today=TODAY,
                                        pay_url=PAY_URL)
    assert all(isinstance(v, str | int | list) for v in context.values())
    assert context["invoices"] == [{"number": invoice.number, "reference": "", "currency": "EUR",
                                    "amount_due": f"927,31{NBSP}€",
                                    "due_date": "12. November 2026", "days_overdue": 0}]
    assert invoice.balance == Decimal("927.31")


def test_every_variable_validation_accepts_is_provided_at_send_time(client_de, make_invoice):
    invoice = make_invoice(client_de, "927.31", issue_date=ISSUED)
    context = selectors.message_context(client=client_de, invoices=[invoice], today=TODAY,
                                        pay_url=PAY_URL)
    assert sorted(set(rendering.SAMPLE_CONTEXT) - set(context)) == []
