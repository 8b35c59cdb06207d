"""The receivables worklist: its columns, which invoices it lists, the filters and the sort
orders. Keyset pages are in test_worklist_paging.py, bulk actions in test_worklist_bulk.py,
the CSV export, roles and query count in test_worklist_csv_and_roles.py."""

from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from clients.models import ClientTag
from desk import worklist as wl
from receivables.models import Invoice
from receivables.services import invoice_transition
from reminders.models import Reminder, ReminderStatus
from tests.desk.worklist_support import URL, issued_long_ago, listed, note
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import NOW, TUESDAY, step

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# --- Columns ----------------------------------------------------------------------------------

def test_columns_show_last_contact_and_next_reminder(browser, overdue, owner):
    customer = ClientFactory(display_name="Bäckerei Schmidt", owner=owner)
    invoice = issued_long_ago(overdue, customer, 12, amount="1200.50", reference="Project Apollo")
    note(customer, 9, "Older call")
    latest = note(customer, 3, "Latest call")
    Reminder.objects.create(invoice=invoice, client=customer, step=step(7), channel="email",
                            scheduled_for=NOW - timedelta(days=1), status=ReminderStatus.SENT)
    Reminder.objects.create(invoice=invoice, client=customer, step=step(30), channel="letter",
                            scheduled_for=NOW + timedelta(days=9))
    Reminder.objects.create(invoice=invoice, client=customer, step=step(14), channel="sms",
                            scheduled_for=NOW + timedelta(days=2))
    Invoice.objects.filter(pk=invoice.pk).update(promised_until=TUESDAY + timedelta(days=5))

    response = browser.get(URL)
    [row] = response.context["page"].rows
    assert row.last_contact == latest.occurred_at
    assert row.next_reminder == wl.NextReminder("Firmer, offers a plan", "SMS",
                                                NOW + timedelta(days=2))
    assert row.days_overdue == 12 and row.bucket.key == "1-30"
    assert row.promised_until == date(2026, 3, 22) and row.paused_until is None
    html = response.content.decode()
    for text in ("Bäckerei Schmidt", reverse("desk:client", args=[customer.pk]), invoice.number,
                 "Project Apollo", "1.200,50\u00a0€", "2026-03-05", "Firmer, offers a plan",
                 "SMS · 2026-03-19", "promised until 2026-03-22", "1 invoice matches"):
        assert text in html, text


def test_pauses_show_until_when_they_end(browser, overdue):
    customer = ClientFactory(reminders_paused_until=TUESDAY + timedelta(days=3))
    invoice = overdue(customer, 5)
    Invoice.objects.filter(pk=invoice.pk).update(reminders_paused_until=TUESDAY + timedelta(1))
    lapsed = overdue(ClientFactory(), 5)
    Invoice.objects.filter(pk=lapsed.pk).update(reminders_paused_until=TUESDAY - timedelta(1),
                                                promised_until=TUESDAY - timedelta(1))
    rows = {row.invoice.pk: row for row in browser.get(URL).context["page"].rows}
    assert rows[invoice.pk].paused_until == date(2026, 3, 20)  # the client's, which ends later
    assert rows[lapsed.pk].paused_until is None and rows[lapsed.pk].promised_until is None


@pytest.mark.parametrize("params", [{}, {"sort": "-balance"}, {"q": "Client"},
                                    {"sort": "contact", "owner": "none"}])
def test_only_receivable_invoices_are_listed(browser, overdue, make_invoice, make_payment,
                                             params):
    """Whichever way the query is written for the sort order (see filters._receivable)."""
    customer = ClientFactory()
    open_one, paid = overdue(customer, 5), overdue(customer, 6, amount="10.00")
    disputed, voided = overdue(customer, 7), overdue(customer, 8)
    invoice_transition(invoice=disputed, to="disputed")
    invoice_transition(invoice=voided, to="void")
    invoice_transition(invoice=overdue(customer, 9), to="written_off")
    make_invoice(customer, issue=False, number="DRAFT-1")
    make_payment(customer, "10.00", TUESDAY, invoices=[paid])
    assert sorted(listed(browser, **params)) == sorted([open_one.number, disputed.number])


# --- Filters ----------------------------------------------------------------------------------

@pytest.fixture
def book(overdue: Any, owner: Any) -> dict[str, Any]:
    """Four invoices of four clients that differ in every filtered attribute."""
    tag = ClientTag.objects.get_or_create(name="high-value")[0]
    other_owner = UserFactory(username="otto", first_name="Otto", last_name="Owner")
    alpha = ClientFactory(display_name="Alpha Bau GmbH", reference="K-100", owner=owner,
                          channel_preferences=["email", "sms"])
    alpha.tags.add(tag)
    bravo = ClientFactory(display_name="Bravo AG", reference="K-200", owner=other_owner,
                          channel_preferences=["sms", "email"])
    charlie = ClientFactory(display_name="Charlie Ltd", reference="K-300", owner=None,
                            channel_preferences=["letter"])
    delta = ClientFactory(display_name="Delta SE", reference="K-400", owner=owner)
    quiet = issued_long_ago(overdue, charlie, 100, currency="USD", reference="Harbour")
    invoices = {"alpha": overdue(alpha, 10), "bravo": overdue(bravo, 45, number="B-77"),
                "charlie": quiet, "delta": overdue(delta, -5)}
    invoice_transition(invoice=invoices["bravo"], to="disputed", reason="Wrong hours")
    return {"invoices": invoices, "other_owner": other_owner,
            "numbers": {k: v.number for k, v in invoices.items()}}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["charlie", "bravo", "alpha", "delta"]),
    ({"bucket": "current"}, ["delta"]),
    ({"bucket": "1-30"}, ["alpha"]),
    ({"bucket": "31-60"}, ["bravo"]),
    ({"bucket": "90+"}, ["charlie"]),
    ({"owner": "mine"}, ["alpha", "delta"]),
    ({"owner": "none"}, ["charlie"]),
    ({"tag": "high-value"}, ["alpha"]),
    ({"currency": "usd"}, ["charlie"]),
    ({"currency": "EUR"}, ["bravo", "alpha", "delta"]),
    ({"status": "disputed"}, ["bravo"]),
    ({"status": "open"}, ["charlie", "alpha", "delta"]),
    ({"channel": "sms"}, ["bravo"]),
    ({"channel": "letter"}, ["charlie"]),
    ({"quiet": "30"}, ["charlie"]),
    ({"q": "bau"}, ["alpha"]),  # client name, any case
    ({"q": "K-20"}, ["bravo"]),  # client reference, from the start
    ({"q": "B-77"}, ["bravo"]),  # invoice number
    ({"q": "harb"}, ["charlie"]),  # invoice reference
    ({"q": "nothing like it"}, []),
    ({"owner": "mine", "bucket": "1-30", "channel": "email", "tag": "high-value"}, ["alpha"]),
    ({"owner": "mine", "channel": "sms"}, []),
    # Unknown values are ignored, never an error.
    ({"bucket": "x", "status": "paid", "channel": "fax", "quiet": "-3", "currency": "EURO",
      "owner": "someone", "tag": "<b>"}, ["charlie", "bravo", "alpha", "delta"]),
])
def test_filters(browser, book, params, expected):
    assert listed(browser, **params) == [book["numbers"][k] for k in expected]


def test_filter_by_a_named_owner(browser, book):
    assert listed(browser, owner=book["other_owner"].pk) == [book["numbers"]["bravo"]]


def test_promised_and_paused_statuses(browser, book):
    alpha, delta = book["invoices"]["alpha"], book["invoices"]["delta"]
    Invoice.objects.filter(pk=alpha.pk).update(promised_until=TUESDAY)
    delta.client.reminders_paused_until = TUESDAY + timedelta(days=2)
    delta.client.save()
    assert listed(browser, status="promised") == [alpha.number]
    assert listed(browser, status="paused") == [delta.number]


def test_no_contact_counts_any_timeline_entry(browser, book):
    charlie = book["invoices"]["charlie"]
    assert listed(browser, quiet=30) == [charlie.number]
    note(charlie.client, 20)
    assert listed(browser, quiet=30) == []
    assert listed(browser, quiet=14) == [charlie.number]


def test_filter_menus_offer_the_choices(browser, book):
    html = browser.get(URL).content.decode()
    for text in ('value="high-value"', 'value="USD"', 'value="EUR"', "Otto Owner",
                 "No contact in 30 days", "Prefers sms", 'value="promised"'):
        assert text in html, text


# --- Sort orders ------------------------------------------------------------------------------

@pytest.mark.parametrize(("sort", "expected"), [
    ("", "bac"), ("-overdue", "bac"), ("overdue", "cab"), ("due", "bac"), ("-due", "cab"),
    ("-balance", "acb"), ("balance", "bca"), ("client", "abc"), ("-client", "cba"),
    ("contact", "bac"), ("-contact", "cab"), ("nonsense", "bac"), ("--due", "bac"),
])
def test_sort_orders(browser, trio, sort, expected):
    assert listed(browser, sort=sort) == [trio[k].number for k in expected]


def test_sort_links_flip_the_current_column_and_keep_filters(browser, trio):
    response = browser.get(URL, {"sort": "-balance", "currency": "EUR"})
    sorts = response.context["sorts"]
    assert parse_qs(sorts["balance"]["url"][1:]) == {"currency": ["EUR"], "sort": ["balance"]}
    assert sorts["balance"]["arrow"] == "↓"
    assert parse_qs(sorts["client"]["url"][1:]) == {"currency": ["EUR"], "sort": ["client"]}
    assert parse_qs(sorts["overdue"]["url"][1:]) == {"currency": ["EUR"]}  # the default
