"""The worklist's CSV of the whole filter, who may use the worklist, and a query count that
does not grow with the page."""

from datetime import UTC, timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from clients.models import ClientTag
from reminders.models import Reminder
from tests.desk.worklist_support import BULK, CSV, URL, csv_rows, issued_long_ago, note
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, step

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# --- CSV of the whole filter ------------------------------------------------------------------

def test_csv_of_the_current_filter(browser, overdue, owner):
    customer = ClientFactory(display_name="=HYPERLINK(evil)", reference="K-9", owner=owner)
    invoice = issued_long_ago(overdue, customer, 12, amount="1234.5", reference="Apollo")
    note(customer, 3)
    Reminder.objects.create(invoice=invoice, client=customer, step=step(14), channel="sms",
                            scheduled_for=NOW + timedelta(days=2))
    overdue(ClientFactory(), 3, currency="USD", amount="9.99")
    response = browser.get(CSV, {"currency": "EUR"})
    assert response["Content-Disposition"] == 'attachment; filename="worklist-2026-03-17.csv"'
    header, row, *rest = csv_rows(response)
    assert rest == []
    record = dict(zip(header, row, strict=True))
    assert record == {
        "Invoice": invoice.number, "Invoice reference": "Apollo", "Client reference": "K-9",
        "Client": "'=HYPERLINK(evil)", "Owner": "Berta Keeper", "Currency": "EUR",
        "Amount": "1234.50", "Balance": "1234.50", "Issue date": "2026-02-03",
        "Due date": "2026-03-05", "Days overdue": "12", "Status": "Open",
        "Promised until": "", "Reminders paused until": "",
        "Last contact": (NOW - timedelta(days=3)).astimezone(UTC).isoformat(timespec="minutes"),
        "Next reminder": "Firmer, offers a plan", "Next reminder channel": "SMS",
        "Next reminder at": (NOW + timedelta(days=2)).astimezone(UTC).isoformat(
            timespec="minutes"),
    }


def test_csv_link_carries_the_filters(browser, trio):
    response = browser.get(URL, {"sort": "-balance", "q": "a"})
    assert response.context["csv_url"] == CSV + "?q=a&sort=-balance"
    rows = csv_rows(browser.get(CSV, {"sort": "-balance"}))
    assert [r[0] for r in rows[1:]] == [trio[k].number for k in "acb"]


# --- Roles and cost ---------------------------------------------------------------------------

ALL = [("get", URL), ("post", BULK), ("get", CSV)]


@pytest.mark.parametrize(("method", "url"), ALL)
def test_anonymous_goes_to_the_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("method", "url"), ALL)
def test_no_role_is_forbidden(client, two_clients, method, url):
    client.force_login(UserFactory(username="norole", role=""))
    response = getattr(client, method)(url, {"action": "resume", "confirm": "1",
                                             "invoice": [two_clients["invoices"][0].pk]})
    assert response.status_code == 403


def test_admins_may_use_it(client, db):
    client.force_login(UserFactory(username="ada", role="Admin"))
    assert client.get(URL).status_code == 200


def test_bulk_is_post_only(browser):
    assert browser.get(BULK).status_code == 405


def _book(overdue: Any, how_many: int) -> None:
    """``how_many`` invoices over several clients, with tags, owners, notes and reminders."""
    tag = ClientTag.objects.get_or_create(name="high-value")[0]
    owners = [UserFactory(username=f"owner{n}") for n in range(3)]
    clients = [ClientFactory(owner=owners[n % 3]) for n in range(max(how_many // 4, 1))]
    for n, customer in enumerate(clients):
        customer.tags.add(tag)
        note(customer, n % 20)
    for n in range(how_many):
        customer = clients[n % len(clients)]
        invoice = overdue(customer, n % 50)
        Reminder.objects.create(invoice=invoice, client=customer, step=step(7),
                                channel="email", scheduled_for=NOW + timedelta(hours=n))


@pytest.mark.parametrize("how_many", [5, 60])
@pytest.mark.parametrize("sort", ["-overdue", "contact"])
def test_queries_do_not_grow_with_the_page(browser, overdue, django_assert_max_num_queries,
                                           how_many, sort):
    """Session, user, roles; the page's keys, rows, tags and count; owners and tags for the
    menus; the request's savepoint. PostgreSQL's time limit on the count adds a savepoint and
    two settings. The next reminders come from the forecast for the page's clients: at most
    18 more, whatever their number (cadences, the planning batch, sent days, tone floors)."""
    _book(overdue, how_many)
    browser.get(URL)  # the currency menu is cached after the first page
    limit = 12 + 18 + (4 if connection.vendor == "postgresql" else 0)
    with django_assert_max_num_queries(limit):
        response = browser.get(URL, {"sort": sort})
    assert len(response.context["page"].rows) == min(how_many, 50)
