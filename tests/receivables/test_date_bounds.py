"""Every date Settle accepts is bounded (issue 15, item 6): invoice and payment dates between
2000-01-01 and ten years from today, pauses and promises at most a year ahead. A date outside
gets a field error and nothing is written — through the services, the API and the import."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from answers.promises import promise_record
from clients.models import Interaction
from clients.services import client_pause_reminders
from receivables import services
from receivables.models import Invoice, Payment
from receivables.services import LineInput

TODAY = date(2026, 3, 17)
LINES = [LineInput(description="Work", unit_price="100.00")]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel("2026-03-17T10:30:00+01:00", tick=False):
        yield


def counts() -> tuple[int, int, int]:
    return Invoice.objects.count(), Payment.objects.count(), Interaction.objects.count()


@pytest.mark.parametrize(("dates", "field"), [
    ({"issue_date": date(9999, 12, 31)}, "issue_date"),
    ({"issue_date": date(1999, 12, 31)}, "issue_date"),
    ({"issue_date": TODAY, "due_date": date(9999, 12, 1)}, "due_date"),
    ({"issue_date": TODAY, "due_date": date(2036, 3, 18)}, "due_date"),
])
def test_an_invoice_date_out_of_range_is_a_field_error(client_de: Any, dates: dict[str, date],
                                                       field: str) -> None:
    before = counts()
    with pytest.raises(ValidationError) as raised:
        services.invoice_create(client=client_de, number="R-1", lines=LINES, **dates)
    assert field in raised.value.message_dict
    assert "Choose a date between 2000-01-01 and 2036-03-17." in raised.value.message_dict[field]
    assert counts() == before


def test_the_bounds_themselves_are_accepted(client_de: Any) -> None:
    first = services.invoice_create(client=client_de, number="R-1", lines=LINES,
                                    issue_date=date(2000, 1, 1), due_date=date(2036, 3, 17))
    assert (first.issue_date, first.due_date) == (date(2000, 1, 1), date(2036, 3, 17))


def test_a_due_date_moved_far_away_is_refused(client_de: Any, make_invoice: Any) -> None:
    invoice = make_invoice(client_de)
    with pytest.raises(ValidationError) as raised:
        services.invoice_update(invoice=invoice, due_date=date(9999, 12, 1))
    assert "due_date" in raised.value.message_dict
    invoice.refresh_from_db()
    assert invoice.due_date == date(2026, 1, 31)


def test_a_payment_from_year_one_is_refused(client_de: Any, make_invoice: Any) -> None:
    make_invoice(client_de)
    before = counts()
    with pytest.raises(ValidationError) as raised:
        services.payment_record(client=client_de, amount="10.00", received_on=date(1, 1, 1))
    assert "received_on" in raised.value.message_dict
    assert counts() == before


@pytest.mark.parametrize(("days", "accepted"), [(365, True), (366, False)])
def test_pauses_reach_at_most_a_year(client_de: Any, make_invoice: Any, days: int,
                                     accepted: bool) -> None:
    invoice = make_invoice(client_de)
    until = TODAY + timedelta(days=days)
    for pause in (lambda: client_pause_reminders(client=client_de, until=until, actor=None),
                  lambda: services.invoice_pause_reminders(invoice=invoice, until=until,
                                                           actor=None)):
        if accepted:
            pause()
        else:
            with pytest.raises(ValidationError, match="at most a year ahead"):
                pause()
    client_de.refresh_from_db()
    invoice.refresh_from_db()
    assert (client_de.reminders_paused_until == until) is accepted
    assert (invoice.reminders_paused_until == until) is accepted


def test_a_promise_reaches_at_most_a_year(client_de: Any, make_invoice: Any) -> None:
    from django.utils import timezone

    invoice = make_invoice(client_de)
    with pytest.raises(ValidationError, match="at most a year ahead"):
        promise_record(client=client_de, invoices=[invoice], promised_on=date(9999, 12, 31),
                       amount=None, channel="phone", now=timezone.now())
    invoice.refresh_from_db()
    assert invoice.promised_until is None
