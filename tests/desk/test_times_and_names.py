"""Times, names and money on the bookkeeper's lists (issue 18, item 8): a time about a client
(its next reminder, a call due) is shown in the client's zone with the zone named, every other
time in the bookkeeper's own zone, never bare UTC; a user is named the same way everywhere
(full name, else username); amounts go through the one Babel formatter in the viewer's
locale."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from core.money import format_money
from infra.names import display_name
from people.services import user_settings_update
from reminders.models import Reminder
from tests.desk.worklist_support import issued_long_ago
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import BERLIN, NOW, step
from work import calls
from work.models import CallAttempt, PrintBatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def _row(html: str, text: str) -> str:
    [row] = [r for r in re.findall(r"<tr.*?</tr>", html, re.S) if text in r]
    return row


@pytest.fixture
def in_new_york(owner):
    """The signed-in bookkeeper works from New York (EDT, UTC-4, on the tests' Tuesday)."""
    user_settings_update(user=owner, time_zone="America/New_York")
    return owner


# --- Times ---------------------------------------------------------------------------------------

def test_a_call_due_at_nine_in_berlin_shows_nine_with_the_zone(browser, in_new_york, overdue):
    customer = ClientFactory(owner=in_new_york, display_name="Bäckerei Schmidt")
    due = datetime(2026, 3, 18, 9, 0, tzinfo=BERLIN)
    task = calls.task_call_create(client=customer, invoices=[overdue(customer, 7)], step=None,
                                  now=NOW, due_at=due)
    row = _row(browser.get(reverse("reminders:tasks")).content.decode(), "Bäckerei Schmidt")
    assert '<td>Wed 18 Mar 09:00 <span class="tz" title="CET">Europe/Berlin</span></td>' in row
    assert "04:00" not in row  # what New York's clock says: not a time about the client

    page = browser.get(reverse("reminders:task", args=[task.pk])).content.decode()
    assert ('due Wed 18 Mar 09:00 <span class="tz" title="CET">Europe/Berlin</span>'
            ' · Open · Berta Keeper') in page


def test_the_bookkeepers_own_times_are_in_their_zone(browser, in_new_york, overdue):
    customer = ClientFactory(owner=in_new_york, display_name="Weber Logistik")
    task = calls.task_call_create(client=customer, invoices=[overdue(customer, 7)], step=None,
                                  now=NOW)
    CallAttempt.objects.create(task=task, client=customer, number="+493012345678",
                               outcome="no_answer", called_at=NOW, called_by=in_new_york)
    page = browser.get(reverse("reminders:task", args=[task.pk])).content.decode()
    # 10:30 in Berlin is 05:30 in New York.
    assert "17 Mar 05:30 · +493012345678 · No answer" in page
    assert '<small class="muted">Berta Keeper</small>' in page

    batch = PrintBatch.objects.create(created_by=in_new_york, created_at=NOW)
    queue = browser.get(reverse("reminders:print-queue")).content.decode()
    assert f"<td>{batch.pk}</td><td>17 Mar 2026 05:30 · Berta Keeper</td>" in queue
    assert "Times in America/New_York" in queue


def test_the_worklists_next_reminder_is_in_the_clients_zone_labelled(browser, owner, overdue):
    user_settings_update(user=owner, time_zone="Asia/Tokyo")
    customer = ClientFactory(display_name="Acme Inc", timezone="America/New_York")
    invoice = issued_long_ago(overdue, customer, 12, amount="1200.50")
    Reminder.objects.create(invoice=invoice, client=customer, step=step(14), channel="email",
                            scheduled_for=datetime(2026, 3, 19, 10, 0, tzinfo=NEW_YORK))
    response = browser.get(reverse("desk:worklist"))
    [row] = response.context["page"].rows
    at = row.next_reminder.at
    there = at.astimezone(NEW_YORK)
    html = _row(response.content.decode(), "Acme Inc")
    assert (f'{there:%Y-%m-%d %H:%M} <span class="tz" title="{there.tzname()}">'
            'America/New_York</span>') in html
    assert f"{at.astimezone(TOKYO):%Y-%m-%d %H:%M}" not in html  # not the viewer's clock
    assert f"{at.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M}" not in html  # never bare UTC


def test_client_time_tag_names_the_zone_adds_the_year_and_tolerates_a_bad_zone():
    template = Template('{% load display %}{% client_time when where %}|'
                        '{% client_time when where "Y-m-d H:i" %}')
    when = datetime(2025, 12, 2, 9, 0, tzinfo=ZoneInfo("UTC"))
    client = ClientFactory.build(timezone="Europe/Berlin")
    assert template.render(Context({"when": when, "where": client})) == (
        'Tue 2 Dec 2025 10:00 <span class="tz" title="CET">Europe/Berlin</span>|'
        '2025-12-02 10:00 <span class="tz" title="CET">Europe/Berlin</span>')
    with timezone.override(ZoneInfo("Asia/Kolkata")):  # an unknown zone: the viewer's, named
        assert template.render(Context({"when": when, "where": "Mars/Olympus"})).startswith(
            'Tue 2 Dec 2025 14:30 <span class="tz" title="IST">Asia/Kolkata</span>')
    assert template.render(Context({"when": None, "where": client})) == "|"


# --- One name per user -----------------------------------------------------------------------

def test_a_user_is_named_by_full_name_else_username():
    assert display_name(UserFactory.build(username="bea", first_name="Bea",
                                          last_name="Keeper")) == "Bea Keeper"
    assert display_name(UserFactory.build(username="bookkeeper", first_name="",
                                          last_name="")) == "bookkeeper"
    assert display_name(None) == ""
    template = Template("{% load display %}[{{ u|person|default:'—' }}]")
    assert template.render(Context({"u": None})) == "[—]"


def test_the_same_name_on_worklist_tasks_and_print_queue(browser, owner, overdue):
    plain = UserFactory(username="carl", first_name="", last_name="")
    mine = ClientFactory(owner=owner, display_name="Owned by Berta")
    theirs = ClientFactory(owner=plain, display_name="Owned by Carl")
    for customer in (mine, theirs):
        calls.task_call_create(client=customer, invoices=[overdue(customer, 7)], step=None,
                               now=NOW)
    worklist = browser.get(reverse("desk:worklist")).content.decode()
    assert " · Berta Keeper</small>" in _row(worklist, "Owned by Berta")
    assert " · carl</small>" in _row(worklist, "Owned by Carl")
    tasks = browser.get(reverse("reminders:tasks"), {"all": "1"}).content.decode()
    assert "<td>Berta Keeper</td>" in _row(tasks, "Owned by Berta")
    assert "<td>carl</td>" in _row(tasks, "Owned by Carl")
    top = browser.get(reverse("reminders:print-queue")).content.decode()
    assert '<span class="nav-label">Berta Keeper</span>' in top
    assert 'title="Log out Berta Keeper"' in top


# --- Money -----------------------------------------------------------------------------------

def test_worklist_and_task_amounts_use_the_one_formatter_in_the_viewers_locale(
        browser, owner, overdue):
    customer = ClientFactory(owner=owner, display_name="London Ltd", language="en",
                             country="GB", default_currency="GBP")
    invoice = issued_long_ago(overdue, customer, 12, amount="10882.90", currency="GBP")
    task = calls.task_call_create(client=customer, invoices=[invoice], step=None, now=NOW)
    viewer = format_money(Decimal("10882.90"), "GBP", "en_DE")  # English in the site's country
    clients_own = format_money(Decimal("10882.90"), "GBP", "en_GB")
    assert viewer != clients_own
    for url in (reverse("desk:worklist"), reverse("reminders:task", args=[task.pk])):
        html = browser.get(url).content.decode()
        row = _row(html, invoice.number)
        assert viewer in row, url
        assert clients_own not in row and "10882.9" not in html, url  # never a raw decimal

    user_settings_update(user=owner, time_zone="Europe/Berlin", language="fr")
    html = browser.get(reverse("desk:worklist")).content.decode()
    assert format_money(Decimal("10882.90"), "GBP", "fr") in html


def test_no_time_on_these_pages_is_a_bare_utc_time(browser, owner, overdue):
    """The tests' clock is 09:30 UTC: it must not appear as a time anywhere on these pages
    (the bookkeeper's zone here is the business's, Berlin: 10:30)."""
    customer = ClientFactory(owner=owner, display_name="Berlin GmbH")
    calls.task_call_create(client=customer, invoices=[overdue(customer, 7)], step=None,
                           now=NOW, due_at=NOW + timedelta(hours=1))
    PrintBatch.objects.create(created_by=owner, created_at=NOW)
    for url in (reverse("reminders:tasks"), reverse("reminders:print-queue"),
                reverse("desk:worklist")):
        html = browser.get(url).content.decode()
        assert "09:30" not in html, url
