"""The bookkeeper's pages for call tasks: every page needs a login, the task list, the task
page, and recording a promise to pay (what it does to the cadence) or a refused call.
Other call outcomes are in test_pages_call_outcomes.py, the print queue in
test_pages_print_queue.py."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from clients.models import InteractionKind
from reminders.models import Reminder
from tests.factories import ClientFactory, UserFactory
from tests.reminders.pages_support import LANDLINE, MOBILE, call_task, html_of, record, row_with
from tests.reminders.support import BERLIN, NOW, step, tick
from work import calls
from work.models import CallAttempt, TaskStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# --- Login -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "name", "args"), [
    ("get", "reminders:tasks", []),
    ("get", "reminders:task", [1]),
    ("post", "reminders:task", [1]),
    ("post", "reminders:task-done", [1]),
    ("post", "reminders:flag-clear", [1]),
    ("get", "reminders:print-queue", []),
    ("post", "reminders:print-batch-create", []),
    ("get", "reminders:print-batch-pdf", [1]),
    ("post", "reminders:print-batch-posted", [1]),
    ("get", "reminders:letter-pdf", [1]),
])
def test_every_page_needs_a_login(client, method, name, args):
    url = reverse(name, args=args)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


# --- Task list -------------------------------------------------------------------------------

@pytest.fixture
def tasks(me, overdue):
    colleague = UserFactory(username="carl", first_name="Carl", last_name="Colleague")
    mine = ClientFactory(owner=me, display_name="Acme Inc", timezone="America/New_York",
                         phone=LANDLINE)
    nobodys = ClientFactory(owner=None, display_name="Unowned GmbH", email="", mobile_phone="")
    theirs = ClientFactory(owner=colleague, display_name="Colleague AG")
    done = ClientFactory(owner=me, display_name="Done KG")
    result = {"mine": call_task(mine, overdue(mine, 7)),
              "nobodys": calls.task_no_channel(client=nobodys, why="no contact details",
                                               now=NOW, invoices=[overdue(nobodys, 7)]),
              "theirs": call_task(theirs, overdue(theirs, 7)),
              "done": call_task(done, overdue(done, 7))}
    calls.task_close(task=result["done"], actor=me)
    return result


def test_tasks_page_lists_my_and_unassigned_open_tasks(client, tasks):
    html = html_of(client.get(reverse("reminders:tasks")))
    assert escape(tasks["mine"].title) in html
    assert escape(tasks["nobodys"].title) in html  # unassigned: anyone may take it
    assert "Colleague AG" not in html
    assert "Done KG" not in html
    assert 'href="?all=1&kind="' in html

    mine = row_with(html, "Acme Inc")
    assert f'href="{reverse("reminders:task", args=[tasks["mine"].pk])}"' in mine
    # The client's local time: 10:30 in Berlin is 05:30 in New York (already on EDT).
    assert "05:30 <small class=\"muted\">America/New_York</small>" in mine
    assert "<td>Berta Keeper</td>" in mine
    nobodys = row_with(html, "Unowned GmbH")
    assert "No working channel" in nobodys
    assert "10:30 <small class=\"muted\">Europe/Berlin</small>" in nobodys
    assert "—" in nobodys  # assigned to nobody


def test_tasks_page_all_shows_everyones_open_tasks(client, tasks):
    html = html_of(client.get(reverse("reminders:tasks"), {"all": "1"}))
    for name in ("Acme Inc", "Unowned GmbH", "Colleague AG"):
        assert name in html
    assert "Done KG" not in html
    assert "Carl Colleague" in row_with(html, "Colleague AG")
    assert 'href="?kind="' in html  # back to "only mine"


def test_tasks_page_with_nothing_to_do(client, me):
    assert "Nothing to do." in html_of(client.get(reverse("reminders:tasks")))


# --- Task detail -----------------------------------------------------------------------------

def test_task_page_shows_numbers_invoices_timeline_and_script(client, me, overdue):
    customer = ClientFactory(owner=me, display_name="Bäckerei Schmidt", phone=LANDLINE)
    first = overdue(customer, 7, "927.31", reference="Website")
    second = overdue(customer, 3, "1234.50")
    task = call_task(customer, first, second)
    html = html_of(client.get(reverse("reminders:task", args=[task.pk])))

    assert f'Phone: <a href="tel:{LANDLINE}">{LANDLINE}</a>' in html
    assert f'Mobile: <a href="tel:{MOBILE}">{MOBILE}</a>' in html
    assert "local time <strong>10:30</strong> (Europe/Berlin)" in html
    row = row_with(html, first.number)
    assert "Website" in row and "927,31\u00a0€" in row and ">7<" in row
    row = row_with(html, second.number)
    assert "1.234,50\u00a0€" in row and ">3<" in row
    # The script is the +7 step's German text, with the amounts and numbers filled in.
    assert task.script.startswith("Guten Tag Erika Mustermann")
    assert f"- {first.number} (Website): 927,31\u00a0€, fällig am 10. März 2026" in task.script
    assert f'<pre class="script">{escape(task.script)}</pre>' in html
    # The timeline has the task's creation; the call form offers both numbers.
    assert escape(f"Call task created: {task.title}") in html
    assert f'<option value="{LANDLINE}">Phone {LANDLINE}</option>' in html
    assert "7 more calls allowed this week." in html


def test_promise_holds_reminders_then_a_broken_promise_resumes_the_cadence(client, me,
                                                                            overdue):
    customer = ClientFactory(owner=me, phone=LANDLINE)
    invoice = overdue(customer, 7)  # the +7 step would go out right now
    task = call_task(customer, invoice)
    response = record(client, task, number=LANDLINE, outcome="promise",
                      promised_on="2026-03-20", promised_amount="927.31", note="Pays Friday")
    assert response.status_code == 302
    assert response["Location"] == reverse("reminders:task", args=[task.pk])
    html = html_of(client.get(response["Location"]))
    assert "Call recorded." in html
    assert "Reached: promise to pay — Pays Friday" in html
    assert "Record the call" not in html  # the task is closed

    invoice.refresh_from_db()
    assert invoice.promised_until == date(2026, 3, 20)
    task.refresh_from_db()
    assert (task.status, task.closed_by, task.closed_at) == (TaskStatus.DONE, me, NOW)
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.number, attempt.called_by) == ("promise", LANDLINE, me)
    assert (attempt.promised_on, attempt.promised_amount) == (date(2026, 3, 20),
                                                              Decimal("927.31"))
    promise = customer.interactions.get(kind=InteractionKind.PROMISE_TO_PAY)
    assert promise.summary == "Promised to pay 927,31\u00a0€ by 2026-03-20"
    assert promise.metadata["promised_on"] == "2026-03-20"
    assert promise.metadata["amount"] == "927.31"
    assert list(promise.invoices.all()) == [invoice]

    # While the promise holds, nothing goes out (without it, +7 would go out at once).
    for at in (NOW + timedelta(hours=1), datetime(2026, 3, 18, 10, tzinfo=BERLIN),
               datetime(2026, 3, 19, 10, tzinfo=BERLIN), datetime(2026, 3, 20, 16, tzinfo=BERLIN)):
        report = tick(at)
        assert (report.planned, report.sent) == (0, 0)
    assert mail.outbox == []
    assert not Reminder.objects.exists()
    assert not customer.interactions.filter(kind=InteractionKind.ESCALATION).exists()

    # Monday: the promise passed unpaid.
    report = tick(datetime(2026, 3, 23, 10, tzinfo=BERLIN))
    broken = customer.interactions.get(kind=InteractionKind.ESCALATION)
    assert broken.summary == (f"Broken promise: {invoice.number} was promised by 2026-03-20 "
                              "and is still unpaid; reminders resume.")
    assert broken.metadata == {"broken_promise": "2026-03-20"}
    invoice.refresh_from_db()
    assert invoice.promised_until is None
    assert (report.planned, report.sent) == (1, 1)
    [email] = mail.outbox
    assert ("Sie hatten uns eine Zahlung bis 20. März 2026 zugesagt; sie ist noch nicht "
            "eingegangen.") in email.body
    assert Reminder.objects.get().step == step(7)


@pytest.mark.parametrize(("data", "error"), [
    ({"promised_on": "2026-03-20", "promised_amount": ""},
     "Enter the amount the client promised to pay."),
    ({"promised_on": "2026-03-16", "promised_amount": "500.00"},
     "The date must be today or later."),
    ({"promised_on": "", "promised_amount": "500.00"},
     "Enter the date the client promised to pay."),
    ({"promised_on": "20.03.2026", "promised_amount": "500.00"},
     "Enter the promised date as YYYY-MM-DD."),
    ({"promised_on": "2026-03-20", "promised_amount": "0"}, "The amount must be more than zero."),
    ({"promised_on": "2026-03-20", "promised_amount": "12.345"}, "has more decimals than EUR"),
])
def test_invalid_promise_shows_the_error_and_writes_nothing(client, me, overdue, data, error):
    customer = ClientFactory(owner=me, phone=LANDLINE)
    invoice = overdue(customer, 7)
    task = call_task(customer, invoice)
    timeline = customer.interactions.count()
    html = html_of(record(client, task, number=LANDLINE, outcome="promise", note="x", **data))
    assert error in html
    assert "Call recorded." not in html
    assert f'value="{data["promised_amount"]}"' in html  # what was typed is kept
    assert not CallAttempt.objects.exists()
    assert customer.interactions.count() == timeline
    assert not customer.interactions.filter(kind=InteractionKind.PROMISE_TO_PAY).exists()
    invoice.refresh_from_db()
    assert invoice.promised_until is None
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_a_number_not_on_file_is_refused(client, me, overdue):
    customer = ClientFactory(owner=me, phone=LANDLINE)
    task = call_task(customer, overdue(customer, 7))
    html = html_of(record(client, task, number="+4900000", outcome="no_answer"))
    assert "Choose one of the client&#x27;s numbers." in html
    assert not CallAttempt.objects.exists()
