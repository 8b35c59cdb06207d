"""The call task page's outcomes: a dispute, no answer, wrong numbers (and the contact flags
they raise and clear), the limit of seven calls a week, closed tasks."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from clients.models import ContactFlag, InteractionKind
from clients.selectors import usable_channels
from clients.services import contact_flag
from receivables.models import InvoiceStatus
from reminders.models import OutboundMessage
from tests.factories import ClientFactory
from tests.reminders.pages_support import LANDLINE, MOBILE, call_task, fresh, html_of, record
from tests.reminders.support import BERLIN, NOW, tick
from work import calls
from work.models import CallAttempt, Task, TaskStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

FRIDAY = datetime(2026, 3, 20, 10, 30, tzinfo=BERLIN)


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
    # The next reminder goes by email, not SMS — after the call's hold (people first: three
    # business days from Tuesday, so on Monday).
    tick(NOW + timedelta(hours=1))
    assert not OutboundMessage.objects.exists()
    tick(NOW + timedelta(days=6))
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
            f"next call is possible from "
            f"{free_at.astimezone(ZoneInfo(customer.timezone)):%Y-%m-%d %H:%M} "
            f"({customer.timezone})." in html)
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
    # The next reminder goes by SMS again (after the call's hold, on Monday).
    tick(NOW + timedelta(days=6))
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


def test_a_client_s_opt_out_is_not_a_bookkeeper_s_to_clear(client, me):
    customer = ClientFactory(owner=me)
    flag = contact_flag(client=customer, channel="sms", reason="opted_out")
    page = html_of(client.get(reverse("desk:client", args=[customer.pk])))
    assert "choice: only they can undo it" in page
    assert reverse("reminders:flag-clear", args=[flag.pk]) not in page
    response = client.post(reverse("reminders:flag-clear", args=[flag.pk]), {"next": "/"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.cleared_at is None
    shown = client.get(response["Location"], follow=True).content.decode()
    assert "only they can take it back" in shown


def test_a_promise_on_a_call_about_nothing_open_covers_what_the_client_owes(me):
    """A call task whose invoices are all handed over or paid (a call-back, a hand-over call):
    the promise the client makes is about what they owe now, so their open invoices carry it
    and wait for the promised day."""
    customer = ClientFactory(owner=me, phone=LANDLINE)
    task = calls.task_call_create(client=customer, invoices=[], step=None, now=NOW)
    from receivables import services
    from tests.reminders.support import TUESDAY

    owed = services.invoice_create(client=customer, number="INV-OPEN", issue_date=TUESDAY
                                   - timedelta(days=40), lines=[services.LineInput("X", "50")])
    calls.call_record(task=task, number=LANDLINE, outcome="promise", actor=me,
                      promised_on=TUESDAY + timedelta(days=5), promised_amount="59.50", now=NOW)
    owed.refresh_from_db()
    assert owed.promised_until == TUESDAY + timedelta(days=5)
    entry = customer.interactions.filter(kind=InteractionKind.PROMISE_TO_PAY).get()
    assert list(entry.invoices.all()) == [owed]


def test_a_call_outcome_picks_its_invoices_defaulting_to_the_tasks(client, me, overdue):
    customer = ClientFactory(owner=me, phone=LANDLINE)
    asked, other, third = (overdue(customer, 7), overdue(customer, 20),
                           overdue(customer, 30, currency="USD"))
    task = call_task(customer, asked)
    html = html_of(client.get(reverse("reminders:task", args=[task.pk])))
    assert f'value="{asked.pk}" checked' in html  # the task's invoice is ticked by default
    assert f'value="{other.pk}">' in html and f'value="{third.pk}">' in html
    promised_on = (NOW + timedelta(days=5)).date().isoformat()
    data = {"number": LANDLINE, "outcome": "promise", "promised_on": promised_on,
            "promised_amount": "500.00", "invoices-shown": "1"}
    # Invoices in two currencies cannot share a promise: nothing is recorded.
    html = html_of(client.post(reverse("reminders:task", args=[task.pk]),
                               {**data, "invoices": [str(asked.pk), str(third.pk)]}))
    assert "A promise covers invoices in one currency" in html
    assert CallAttempt.objects.count() == 0
    # Another client's invoice (or a made-up id) is refused too.
    stranger = overdue(ClientFactory(), 7)
    html = html_of(client.post(reverse("reminders:task", args=[task.pk]),
                               {**data, "invoices": [str(stranger.pk)]}))
    assert "Choose among the client&#x27;s open invoices." in html
    response = client.post(reverse("reminders:task", args=[task.pk]),
                           {**data, "invoices": [str(asked.pk), str(other.pk)]})
    assert response.status_code == 302
    for invoice in (asked, other, third):
        invoice.refresh_from_db()
    assert str(asked.promised_until) == promised_on == str(other.promised_until)
    assert third.promised_until is None  # not talked about: its reminders go on
