"""Promise spam (issue 16, item 7): a client who promises 0.01 forty-five days out, again and
again, would hold the reminders off for ever. On the pay-now page a promise is for at least
the smaller of the balance and a tenth of it, and an invoice takes at most two promises in 60
days; beyond that the page offers a call-back instead. Through the real pages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from answers import links
from answers.promises import PROMISE_WINDOW_DAYS, promise_minimum
from clients.models import Client, Interaction, InteractionKind
from tests.factories import ClientFactory
from tests.reminders.support import NOW
from work.models import Task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


@pytest.fixture
def customer(owner: Any) -> Client:
    return ClientFactory(owner=owner)


@pytest.fixture
def token(customer: Client) -> str:
    return links.link_issue(client=customer).token


def promises(customer: Client) -> int:
    return Interaction.objects.filter(client=customer,
                                      kind=InteractionKind.PROMISE_TO_PAY).count()


def promise(client: Any, token: str, invoice: Any, day: date, amount: str = "") -> Any:
    return client.post(f"/p/{token}/promise/", {
        "invoice": [invoice.pk], "promised_on": day.isoformat(), "amount": amount})


def test_a_token_amount_is_refused(client: Any, customer: Client, token: str, overdue: Any,
                                   battery: Any) -> None:
    invoice = overdue(customer, 6)  # 927.31 EUR owed
    battery.tried("POST /p/<token>/promise/ for 927.31 EUR owed: amount=0.01, 45 days ahead")
    response = promise(client, token, invoice, NOW.date() + timedelta(days=45), "0.01")
    assert response.status_code == 400
    assert "Please promise at least 92,74" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.promised_until is None and promises(customer) == 0
    battery.held("400: at least a tenth of what is owed (92.74, rounded up); nothing written")


def test_the_third_promise_in_60_days_is_refused_and_a_call_back_is_offered(
        client: Any, customer: Client, token: str, overdue: Any, battery: Any) -> None:
    invoice = overdue(customer, 6)
    day = NOW.date() + timedelta(days=45)
    battery.tried("three promises in a row for the same invoice, 45 days ahead, 92.74 each")
    assert promise(client, token, invoice, day, "92,74").status_code == 303
    assert promise(client, token, invoice, day, "92,74").status_code == 303
    tasks = Task.objects.count()
    third = promise(client, token, invoice, day, "92,74")
    assert third.status_code == 400
    page = third.content.decode()
    assert "already promised a payment date for" in page and "2 times in the last 60" in page
    assert 'href="../callback/"' in page
    assert promises(customer) == 2 and Task.objects.count() == tasks
    # The promise page itself now offers the call-back instead of the form.
    offer = client.get(f"/p/{token}/promise/").content.decode()
    assert 'id="callback-offer"' in offer and 'name="promised_on"' not in offer
    battery.held("the third: 400 with the reason and a link to ask for a call-back; the page "
                 "offers the call-back instead of the form; two promises on the timeline")


def test_promises_are_allowed_again_once_the_window_has_passed(
        client: Any, customer: Client, token: str, overdue: Any) -> None:
    invoice = overdue(customer, 6)
    for _ in range(2):
        assert promise(client, token, invoice, NOW.date() + timedelta(days=3)).status_code == 303
    later = NOW + timedelta(days=PROMISE_WINDOW_DAYS + 1)
    with time_machine.travel(later, tick=False):
        fresh = links.link_issue(client=customer).token
        response = promise(client, fresh, invoice, later.date() + timedelta(days=3))
    assert response.status_code == 303


def test_another_invoice_can_still_be_promised(
        client: Any, customer: Client, token: str, overdue: Any) -> None:
    first, second = overdue(customer, 6), overdue(customer, 6, amount="50.00")
    for _ in range(2):
        assert promise(client, token, first, NOW.date() + timedelta(days=3)).status_code == 303
    page = client.get(f"/p/{token}/promise/").content.decode()
    assert f'value="{second.pk}"' in page and f'value="{first.pk}"' not in page
    assert promise(client, token, second, NOW.date() + timedelta(days=3)).status_code == 303


@pytest.mark.parametrize(("owed", "currency", "least"), [
    ("927.31", "EUR", "92.74"), ("0.05", "EUR", "0.01"), ("0.01", "EUR", "0.01"),
    ("1005", "JPY", "101"),
])
def test_the_least_a_promise_may_be_for(owed: str, currency: str, least: str) -> None:
    assert promise_minimum(Decimal(owed), currency) == Decimal(least)
