"""The bookkeeper's pages for work the engine hands to people: call tasks (recording a call and
what its outcome does to the cadence) and the print queue (batch, PDF, posted)."""

import re
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from clients.models import Client, ContactFlag, InteractionKind
from clients.selectors import usable_channels
from clients.services import contact_flag
from receivables.models import Invoice, InvoiceStatus
from reminders.channels.phone import hand_to_caller
from reminders.models import MessageStatus, OutboundMessage, Reminder
from tests.factories import ClientFactory, UserFactory
from tests.reminders.support import BERLIN, NOW, step, tick
from work import calls
from work.models import CallAttempt, PrintBatch, Task, TaskStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

FRIDAY = datetime(2026, 3, 20, 10, 30, tzinfo=BERLIN)
LANDLINE = "+493012345678"
MOBILE = "+4915123456789"  # ClientFactory's mobile_phone


@pytest.fixture
def me(client: Any) -> Any:
    """The logged-in bookkeeper."""
    user = UserFactory(username="berta", first_name="Berta", last_name="Keeper")
    client.force_login(user)
    return user


def call_task(customer: Client, *invoices: Invoice, at: datetime = NOW) -> Task:
    """A call task as the cadence's +7 step creates it (script from the step's template)."""
    return hand_to_caller(client=customer, invoices=invoices, step=step(7), now=at)


def record(client: Any, task: Task, **data: str) -> Any:
    return client.post(reverse("reminders:task", args=[task.pk]), data)


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def row_with(html: str, text: str) -> str:
    """The table row (``<tr>…</tr>``) that contains ``text``."""
    [row] = [r for r in re.findall(r"<tr.*?</tr>", html, re.S) if text in r]
    return row


def fresh(customer: Client) -> Client:
    return Client.objects.get(pk=customer.pk)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


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
    assert "<td>berta</td>" in mine
    nobodys = row_with(html, "Unowned GmbH")
    assert "No working channel" in nobodys
    assert "10:30 <small class=\"muted\">Europe/Berlin</small>" in nobodys
    assert "—" in nobodys  # assigned to nobody


def test_tasks_page_all_shows_everyones_open_tasks(client, tasks):
    html = html_of(client.get(reverse("reminders:tasks"), {"all": "1"}))
    for name in ("Acme Inc", "Unowned GmbH", "Colleague AG"):
        assert name in html
    assert "Done KG" not in html
    assert "carl" in row_with(html, "Colleague AG")
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


def test_dispute_marks_the_invoices_disputed_and_closes_the_task(client, me, overdue):
    customer = ClientFactory(owner=me, phone=LANDLINE)
    invoices = [overdue(customer, 7), overdue(customer, 8)]
    task = call_task(customer, *invoices)
    response = record(client, task, number=LANDLINE, outcome="dispute",
                      note="Says the hours are wrong")
    assert response.status_code == 302
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.DISPUTED
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert tick(NOW + timedelta(hours=1)).planned == 0  # no reminders for disputed invoices
    assert mail.outbox == []


@pytest.mark.parametrize(("at", "next_day"), [
    (NOW, datetime(2026, 3, 18, 9, tzinfo=BERLIN)),
    (FRIDAY, datetime(2026, 3, 23, 9, tzinfo=BERLIN)),  # Friday → Monday
])
def test_no_answer_keeps_the_task_open_for_the_next_business_day(client, me, overdue, at,
                                                                 next_day):
    customer = ClientFactory(owner=me, phone=LANDLINE)
    with time_machine.travel(at, tick=False):
        task = call_task(customer, overdue(customer, 7), at=at)
        assert record(client, task, number=LANDLINE, outcome="no_answer").status_code == 302
        html = html_of(client.get(reverse("reminders:task", args=[task.pk])))
    task.refresh_from_db()
    assert (task.status, task.due_at) == (TaskStatus.OPEN, next_day)
    assert f"{LANDLINE} · No answer" in html
    assert "6 more calls allowed this week." in html


def test_wrong_mobile_number_stops_sms_for_the_client(client, me, overdue):
    customer = ClientFactory(owner=me, channel_preferences=["sms", "email"])  # mobile only
    assert usable_channels(customer) == ("sms", "email")
    invoice = overdue(customer, 7)
    task = call_task(customer, invoice)
    response = record(client, task, number=MOBILE, outcome="wrong_number", note="A bakery")
    assert response.status_code == 302

    flags = set(ContactFlag.objects.filter(client=customer, cleared_at__isnull=True)
                .values_list("channel", "value", "reason"))
    assert flags == {("phone", MOBILE, "wrong_number"), ("sms", MOBILE, "wrong_number")}
    assert usable_channels(fresh(customer)) == ("email",)
    # The only number was wrong: the call task is done, a person has to find a number.
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    no_channel = Task.objects.get(client=customer, kind="no_channel", status="open")
    assert no_channel.script == f"{MOBILE} is a wrong number and there is no other."
    # The next reminder goes by email, not SMS.
    tick(NOW + timedelta(hours=1))
    message = OutboundMessage.objects.get()
    assert (message.channel, message.to) == ("email", customer.email)


@pytest.mark.parametrize(("wrong", "flagged", "still_usable"), [
    (MOBILE, {("phone", MOBILE), ("sms", MOBILE)}, ("phone",)),
    # With the landline wrong, calls go to the mobile, and SMS goes on.
    (LANDLINE, {("phone", LANDLINE)}, ("sms", "phone")),
])
def test_wrong_number_with_another_number_keeps_the_task_open(client, me, overdue, wrong,
                                                              flagged, still_usable):
    customer = ClientFactory(owner=me, phone=LANDLINE, channel_preferences=["sms", "phone"])
    task = call_task(customer, overdue(customer, 7))
    assert record(client, task, number=wrong, outcome="wrong_number").status_code == 302
    assert set(ContactFlag.objects.filter(client=customer).values_list(
        "channel", "value")) == flagged
    assert usable_channels(fresh(customer)) == still_usable
    task.refresh_from_db()
    assert (task.status, task.due_at) == (TaskStatus.OPEN, datetime(2026, 3, 18, 9,
                                                                        tzinfo=BERLIN))
    html = html_of(client.get(reverse("reminders:task", args=[task.pk])))
    assert (f'<a href="tel:{wrong}">{wrong}</a> <span class="badge warn">Wrong number</span>'
            in html)


def test_eighth_call_in_seven_days_is_refused(client, me, overdue):
    customer = ClientFactory(owner=me, phone=LANDLINE)
    task = call_task(customer, overdue(customer, 7), at=NOW - timedelta(days=7))
    first = NOW - timedelta(days=6, hours=2)
    for n in range(7):
        calls.call_record(task=task, number=LANDLINE, outcome="no_answer", actor=me,
                          now=first + timedelta(days=n))
    html = html_of(client.get(reverse("reminders:task", args=[task.pk])))
    assert "This client was called 7 times in the last 7 days." in html
    assert '<form method="post" class="stack">' not in html

    html = html_of(record(client, task, number=LANDLINE, outcome="no_answer"))
    free_at = first + timedelta(days=7)
    assert (f"{escape(customer.display_name)} has been called 7 times in the last 7 days; the "
            f"next call is possible from {free_at.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M}."
            in html)
    assert CallAttempt.objects.count() == 7

    with time_machine.travel(free_at + timedelta(minutes=1), tick=False):
        assert record(client, task, number=LANDLINE, outcome="no_answer").status_code == 302
    assert CallAttempt.objects.count() == 8


def test_recording_on_a_closed_task_is_refused(client, me, overdue):
    customer = ClientFactory(owner=me, phone=LANDLINE)
    task = call_task(customer, overdue(customer, 7))
    response = client.post(reverse("reminders:task-done", args=[task.pk]))
    assert response["Location"] == reverse("reminders:tasks")
    html = html_of(record(client, task, number=LANDLINE, outcome="no_answer"))
    assert "This task is already closed." in html
    assert not CallAttempt.objects.exists()


def test_clearing_a_flag_from_the_task_page_makes_the_channel_usable(client, me, overdue):
    customer = ClientFactory(owner=me, phone=LANDLINE, channel_preferences=["sms", "email"])
    task = call_task(customer, overdue(customer, 7))
    record(client, task, number=MOBILE, outcome="wrong_number")
    assert usable_channels(fresh(customer)) == ("email",)
    sms = ContactFlag.objects.get(client=customer, channel="sms")
    task_url = reverse("reminders:task", args=[task.pk])
    clear_url = reverse("reminders:flag-clear", args=[sms.pk])
    html = html_of(client.get(task_url))
    assert f'action="{clear_url}"' in html
    assert f'name="next" value="{task_url}"' in html

    response = client.post(clear_url, {"next": task_url, "note": "number checked"})
    assert response.status_code == 302
    assert response["Location"] == task_url
    sms.refresh_from_db()
    assert (sms.cleared_by, sms.cleared_at) == (me, NOW)
    assert usable_channels(fresh(customer)) == ("sms", "email")
    entry = customer.interactions.filter(kind=InteractionKind.STATUS_CHANGE).first()
    assert entry.summary == f"SMS {MOBILE} usable again: number checked"
    assert (entry.actor, entry.metadata) == (me, {"contact_flag": sms.pk, "cleared": True})
    html = html_of(client.get(task_url))
    assert f"SMS {MOBILE} can be used again." in html
    assert escape(f"SMS {MOBILE} usable again: number checked") in html  # in the timeline
    assert f'action="{clear_url}"' not in html
    # The next reminder goes by SMS again.
    tick(NOW + timedelta(hours=1))
    assert OutboundMessage.objects.get().channel == "sms"


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/",
                                    "http://testserver.evil.example/"])
def test_clearing_a_flag_never_redirects_off_site(client, me, target):
    customer = ClientFactory(owner=me)
    flag = contact_flag(client=customer, channel="sms", reason="wrong_number")
    response = client.post(reverse("reminders:flag-clear", args=[flag.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("reminders:tasks")
    flag.refresh_from_db()
    assert flag.cleared_at == NOW


# --- Print queue -----------------------------------------------------------------------------

@pytest.fixture
def letters(overdue):
    """Two clients who prefer letters, each with an invoice a week overdue: one tick puts
    their (real, rendered) letters into the print queue."""
    customers = [ClientFactory(display_name="Bäckerei Schmidt", channel_preferences=[
                     "letter", "email"]),
                 ClientFactory(display_name="Weber Logistik", legal_name="Weber Logistik AG",
                               channel_preferences=["letter", "email"])]
    for customer in customers:
        overdue(customer, 7)
    assert tick(NOW).sent == 2
    assert mail.outbox == []
    found = list(OutboundMessage.objects.order_by("client_id"))
    assert [(m.channel, m.status) for m in found] == [("letter", "print_queue")] * 2
    return found


def test_print_queue_lists_waiting_letters(client, me, letters):
    html = html_of(client.get(reverse("reminders:print-queue")))
    for letter in letters:
        row = row_with(html, letter.client.name_on_letters)
        assert escape(letter.subject) in row
        assert f'href="{reverse("reminders:letter-pdf", args=[letter.pk])}"' in row
    assert "Weber Logistik AG" in html  # the name on letters, not the display name
    assert "Create a print batch of these 2 letters" in html
    assert "No batches yet." in html


def test_print_batch_from_queue_to_posted(client, me, letters, tmp_path):
    assert not Client.objects.filter(
        interactions__kind=InteractionKind.LETTER_REMINDER).exists()
    response = client.post(reverse("reminders:print-batch-create"))
    assert response["Location"] == reverse("reminders:print-queue")
    batch = PrintBatch.objects.get()
    html = html_of(client.get(response["Location"]))
    assert (f"Print batch {batch.pk} created with 2 letters: download, print, post, then "
            "mark it posted.") in html
    assert "No letters are waiting." in html
    assert "Mark posted" in html and "not yet" in html
    for letter in letters:
        letter.refresh_from_db()
        assert (letter.status, letter.print_batch) == (MessageStatus.PRINTING, batch)
    assert batch.created_by == me
    # Still not in any timeline as sent: it is not in the post yet.
    assert not Client.objects.filter(
        interactions__kind=InteractionKind.LETTER_REMINDER).exists()

    response = client.get(reverse("reminders:print-batch-pdf", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="settle-print-batch-{batch.pk}.pdf"')
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert f"Print batch {batch.pk}" in text
    assert "2 letters" in text
    for letter in letters:
        assert text.count(letter.client.name_on_letters) >= 2  # cover sheet and the letter
    assert "Nachfrage zu Rechnung" in text

    later = NOW + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        response = client.post(reverse("reminders:print-batch-posted", args=[batch.pk]))
        html = html_of(client.get(response["Location"]))
    assert f"Print batch {batch.pk} marked posted: each letter is in its client" in html
    batch.refresh_from_db()
    assert (batch.posted_at, batch.posted_by) == (later, me)
    for letter in letters:
        letter.refresh_from_db()
        assert letter.status == MessageStatus.POSTED
        sent = letter.client.interactions.get(kind=InteractionKind.LETTER_REMINDER)
        assert sent.occurred_at == later
        assert sent.metadata["message_id"] == letter.pk
        assert sent.summary == f"Polite follow-up: {letter.subject}"
        assert list(sent.invoices.all()) == list(letter.client.invoices.all())
    assert "Mark posted" not in html

    # Marking it again is refused, and writes nothing more.
    html = html_of(client.post(reverse("reminders:print-batch-posted", args=[batch.pk]),
                               follow=True))
    assert f"Print batch {batch.pk} was already marked posted on" in html
    assert Client.objects.filter(
        interactions__kind=InteractionKind.LETTER_REMINDER).count() == 2
    batch.refresh_from_db()
    assert batch.posted_at == later


def test_creating_a_batch_with_nothing_waiting_is_refused(client, me):
    html = html_of(client.post(reverse("reminders:print-batch-create"), follow=True))
    assert "No letters are waiting to be printed." in html
    assert not PrintBatch.objects.exists()


def test_single_letter_pdf(client, me, letters, tmp_path):
    letter = letters[1]
    response = client.get(reverse("reminders:letter-pdf", args=[letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="settle-letter-{letter.pk}.pdf"'
    assert response.content == bytes(letter.document)
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert "Weber Logistik AG" in text
    assert "Erika Mustermann" in text


def test_letter_pdf_is_only_for_letters(client, me, overdue):
    overdue(ClientFactory(), 7)
    tick(NOW)
    email = OutboundMessage.objects.get(channel="email")
    assert client.get(reverse("reminders:letter-pdf", args=[email.pk])).status_code == 404
    assert client.get(reverse("reminders:print-batch-pdf", args=[999])).status_code == 404
