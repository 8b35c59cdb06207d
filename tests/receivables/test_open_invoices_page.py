"""The bookkeeper's first page: open invoices behind a login."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from receivables import services
from receivables.models import InvoiceStatus
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def book(make_invoice, make_payment, bookkeeper):
    mine = ClientFactory(display_name="Müller Bau", owner=bookkeeper)
    other = ClientFactory(display_name="Other Ltd", language="en", default_currency="USD")
    overdue = make_invoice(mine, "1190.00", issue_date=TODAY - timedelta(days=75),
                           reference="Website relaunch")
    make_payment(mine, "190.00", TODAY - timedelta(days=3), invoices=[overdue])
    make_invoice(other, "50.00", issue_date=TODAY - timedelta(days=10))
    paid = make_invoice(mine, "10.00", issue_date=TODAY - timedelta(days=40))
    make_payment(mine, "10.00", TODAY, invoices=[paid])
    return {"overdue": overdue, "paid": paid}


def test_login_required(client):
    response = client.get(reverse("receivables:open-invoices"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lists_open_invoices_with_balance_and_days_overdue(client, bookkeeper, book):
    client.force_login(bookkeeper)
    html = client.get(reverse("receivables:open-invoices")).content.decode()
    assert "Müller Bau" in html and "Other Ltd" in html
    assert "Website relaunch" in html
    assert "€1,190.00" in html and "€1,000.00" in html  # amount and balance
    assert ">45<" in html  # days overdue: issued 75 days ago, Net 30
    assert book["paid"].number not in html  # settled invoices are not listed
    assert "Partially paid" in html


def test_filters_by_bucket_search_and_owner(client, bookkeeper, book):
    client.force_login(bookkeeper)
    url = reverse("receivables:open-invoices")
    assert "Other Ltd" not in client.get(url, {"bucket": "31-60"}).content.decode()
    assert "Müller Bau" not in client.get(url, {"bucket": "current"}).content.decode()
    assert "Müller Bau" not in client.get(url, {"q": "Other"}).content.decode()
    assert "Other Ltd" not in client.get(url, {"mine": "1"}).content.decode()
    assert client.get(url, {"bucket": "bogus"}).status_code == 200


def test_aging_summary_per_currency(client, bookkeeper, book):
    client.force_login(bookkeeper)
    html = client.get(reverse("receivables:open-invoices")).content.decode()
    assert 'aria-label="Aging in EUR"' in html and 'aria-label="Aging in USD"' in html


def test_disputed_invoice_stays_visible_with_its_status(client, bookkeeper, book):
    services.invoice_transition(invoice=book["overdue"], to=InvoiceStatus.DISPUTED)
    client.force_login(UserFactory(username="someone"))
    assert "Disputed" in client.get(reverse("receivables:open-invoices")).content.decode()


def test_footer_says_which_integrations_are_off(client, bookkeeper, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    client.force_login(bookkeeper)
    html = client.get(reverse("receivables:open-invoices")).content.decode()
    assert "SMS: off" in html and "Online payment: off" in html
