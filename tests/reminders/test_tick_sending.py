"""The scheduler tick end to end against the database, and what reaches the mailbox
(Django's locmem backend): one overdue invoice, consolidation and one message a day,
template errors. Stop conditions, crash recovery, the cadence and Postmark's API are in
the other test_tick_* modules."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction

from clients.models import Interaction, InteractionChannel, InteractionKind
from reminders.models import (
    MessageTemplate,
    OutboundMessage,
    Reminder,
    ReminderStatus,
    SchedulerState,
)
from tests.factories import ClientFactory
from tests.reminders.support import BERLIN, NOW, TUESDAY, statuses, step, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# Overrides pytest-django's ``client`` (the test client) in this module only, which is why it is
# not in conftest.py: other reminder tests use the test client.
@pytest.fixture
def client(owner: Any) -> Any:
    return ClientFactory(owner=owner)


# --- One overdue invoice ---------------------------------------------------------------------

def test_overdue_invoice_gets_one_email_recorded_exactly(client, overdue):
    invoice = overdue(client, 7)
    report = tick(NOW)
    assert (report.examined, report.planned, report.skipped, report.sent) == (1, 1, 2, 1)
    assert (report.failed, report.cancelled, report.deferred, report.errors) == (0, 0, 0, [])

    [email] = mail.outbox
    message = OutboundMessage.objects.get()
    assert email.to == [client.email] == [message.to]
    assert email.reply_to == ["berta@settle.example"]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert email.subject == message.subject == f"Nachfrage zu Rechnung {invoice.number}"
    assert email.body == message.text
    assert [(a.content, a.mimetype) for a in email.alternatives] == [(message.html,
                                                                      "text/html")]
    assert email.extra_headers["X-Settle-Message"] == str(message.pk)
    assert "927,31\u00a0€" in message.text and "<strong>927,31\u00a0€</strong>" in message.html
    assert "fällig am 10. März 2026" in message.text
    assert (message.client, message.channel, message.language) == (client, "email", "de")
    assert (message.provider, message.provider_message_id) == ("local", f"local-{message.pk}")
    assert message.sent_at == NOW

    reminder = Reminder.objects.get(invoice=invoice, status=ReminderStatus.SENT)
    assert (reminder.step, reminder.channel, reminder.message) == (step(7), "email", message)
    assert (reminder.sent_at, reminder.scheduled_for) == (NOW, NOW)
    assert statuses(invoice) == {7: "sent"}  # -3 and 0 caught up: counted, not stored

    snapshot = Interaction.objects.get(client=client, kind=InteractionKind.EMAIL_REMINDER)
    assert snapshot.channel == InteractionChannel.EMAIL
    assert snapshot.occurred_at == NOW
    assert snapshot.content == {"to": message.to, "subject": message.subject,
                                "text": message.text, "html": message.html}
    assert snapshot.metadata == {"message_id": message.pk, "provider": "local",
                                 "provider_message_id": f"local-{message.pk}",
                                 "step": "Polite follow-up", "tone": "friendly",
                                 "segments": 0}
    assert snapshot.summary == f"Polite follow-up: {message.subject}"
    assert list(snapshot.invoices.all()) == [invoice]
    assert snapshot in invoice.interactions.all()


def test_email_without_owner_has_no_reply_to(overdue):
    client = ClientFactory(owner=None)
    overdue(client, 7)
    tick(NOW)
    [email] = mail.outbox
    assert email.reply_to == []


def test_invoice_not_yet_at_a_step_gets_nothing(client, make_invoice):
    invoice = make_invoice(client, issue_date=TUESDAY - timedelta(days=10))  # due in 20 days
    report = tick(NOW)
    assert (report.examined, report.planned, report.sent) == (1, 0, 0)
    assert mail.outbox == []
    invoice.refresh_from_db()
    # Due Mon 6 April (Easter Monday): the -3 nudge falls on Fri 3 April (Good Friday) and
    # moves to Tue 7 April, 09:00 Berlin.
    assert invoice.due_date == date(2026, 4, 6)
    assert invoice.next_action_at == datetime(2026, 4, 7, 9, tzinfo=BERLIN)


@pytest.mark.parametrize("later", [
    NOW, NOW + timedelta(minutes=5), NOW + timedelta(hours=5),
    NOW + timedelta(days=1), NOW + timedelta(days=2, hours=-1),
])
def test_ticking_again_never_sends_the_same_step_twice(client, overdue, later):
    invoice = overdue(client, 7)
    tick(NOW)
    for _ in range(2):
        report = tick(later)
        assert (report.planned, report.sent) == (0, 0)
    assert len(mail.outbox) == 1
    assert Reminder.objects.filter(invoice=invoice, step=step(7)).count() == 1
    assert OutboundMessage.objects.count() == 1


def test_outbox_is_unique_per_invoice_and_step(client, overdue):
    invoice = overdue(client, 7)
    tick(NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(invoice=invoice, client=client, step=step(7), channel="email",
                                scheduled_for=NOW)


def test_scheduler_heartbeat_is_recorded(client):
    tick(NOW)
    tick(NOW + timedelta(minutes=5))
    state = SchedulerState.objects.get()
    assert (state.ticks, state.last_tick_at) == (2, NOW + timedelta(minutes=5))


# --- Consolidation and one message a day ----------------------------------------------------

def test_three_invoices_at_the_same_step_make_one_email(client, overdue):
    invoices = [overdue(client, 7, amount) for amount in ("100.00", "200.00", "300.00")]
    other_client = ClientFactory(language="en", country="GB", default_currency="GBP")
    other = overdue(other_client, 7)
    report = tick(NOW)
    assert report.sent == 4  # reminders: three consolidated plus the other client's

    assert len(mail.outbox) == 2
    [email] = [m for m in mail.outbox if m.to == [client.email]]
    numbers = ", ".join(i.number for i in invoices)
    assert email.subject == f"Nachfrage zu Rechnung {numbers}"
    for invoice, amount in zip(invoices, ("100,00", "200,00", "300,00"), strict=True):
        assert f"- {invoice.number}: {amount}\u00a0€, fällig am 10. März 2026\n" in email.body
        assert f"<td>{invoice.number}</td>" in email.alternatives[0].content
    assert "wir haben 600,00\u00a0€, fällig am 10. März 2026" in email.body
    assert other.number not in email.body

    message = OutboundMessage.objects.get(client=client)
    assert set(Reminder.objects.filter(invoice__in=invoices, status="sent")
               .values_list("message", flat=True)) == {message.pk}
    snapshot = Interaction.objects.get(client=client, kind=InteractionKind.EMAIL_REMINDER)
    assert set(snapshot.invoices.all()) == set(invoices)
    [other_email] = [m for m in mail.outbox if m.to == [other_client.email]]
    assert other_email.subject == f"Following up: invoice {other.number}"


def test_one_message_covers_every_invoice_due_for_any_step(client, overdue):
    first, second = overdue(client, 7), overdue(client, 14)
    assert tick(NOW).sent == 2  # two outbox rows ...
    [email] = mail.outbox  # ... one message, in the more advanced (+14, firm) step's words
    assert first.number in email.body and second.number in email.body
    lead = MessageTemplate.objects.get(key="overdue_14", channel="email", language="de")
    assert email.subject.startswith(lead.subject.split("{{")[0])
    assert first.number in email.subject and second.number in email.subject
    assert {statuses(first)[7], statuses(second)[14]} == {"sent"}


def test_at_most_one_message_a_week(client, overdue):
    overdue(client, 7)
    later = overdue(client, -9)  # due Thursday 26th: its nudge (-3) is on Monday 23rd
    assert tick(NOW).sent == 1
    report = tick(datetime(2026, 3, 23, 10, tzinfo=BERLIN))
    assert (report.sent, report.deferred) == (0, 1)
    waiting = Reminder.objects.get(invoice=later, status=ReminderStatus.SCHEDULED)
    assert waiting.scheduled_for == datetime(2026, 3, 24, 9, tzinfo=BERLIN)  # Tue + 7 days
    assert tick(datetime(2026, 3, 23, 16, tzinfo=BERLIN)).sent == 0
    assert tick(datetime(2026, 3, 24, 9, 0, tzinfo=BERLIN)).sent >= 1
    days = sorted(m.sent_at.astimezone(BERLIN).date() for m in OutboundMessage.objects.all())
    assert days == [TUESDAY, date(2026, 3, 24)]


def test_a_nudge_held_past_the_due_date_is_dropped_not_sent_late(client, overdue):
    overdue(client, 7)
    later = overdue(client, -5)  # due Sunday 22nd (payable Monday): its nudge is on Thursday
    assert tick(NOW).sent == 1
    report = tick(datetime(2026, 3, 19, 10, tzinfo=BERLIN))
    # The policy holds messages until Tuesday 24th, when "due in three days" is untrue.
    assert (report.sent, report.deferred, report.cancelled) == (0, 0, 1)
    row = Reminder.objects.get(invoice=later)
    assert row.status == ReminderStatus.SKIPPED and "24 Mar 2026" in row.last_error
    tick(datetime(2026, 3, 24, 10, tzinfo=BERLIN))  # the first invoice's +14, alone
    assert len(mail.outbox) == 2 and later.number not in mail.outbox[1].body


def test_a_policy_day_on_a_holiday_waits_for_the_next_business_day(client, make_invoice):
    friday = datetime(2026, 3, 27, 10, 30, tzinfo=BERLIN)
    make_invoice(client, issue_date=friday.date() - timedelta(days=30 + 7))
    make_invoice(client, issue_date=date(2026, 2, 21))  # due Monday 23rd: +7 on Monday 30th
    tick(friday)
    assert len(mail.outbox) == 1  # one message about both
    assert tick(datetime(2026, 3, 30, 10, tzinfo=BERLIN)).deferred == 1
    waiting = Reminder.objects.get(status=ReminderStatus.SCHEDULED)
    # A week after Friday 27 March is Good Friday, then Easter Monday: Tuesday 7 April.
    assert waiting.scheduled_for == datetime(2026, 4, 7, 9, tzinfo=BERLIN)
    assert len(mail.outbox) == 1


def test_invoices_in_different_currencies_are_not_added_up(client, overdue):
    euros = overdue(client, 7, "100.00")
    dollars = overdue(client, 7, "50.00", currency="USD")
    tick(NOW)
    [email] = mail.outbox  # one message, each invoice in its own currency
    tick(NOW + timedelta(days=1))
    assert len(mail.outbox) == 1
    body = email.body
    assert f"- {euros.number}: 100,00\u00a0€" in body
    assert f"- {dollars.number}: 50,00\u00a0$" in body
    assert "150,00" not in body
    # The total owed is said per currency, in the language's own list form.
    assert "100,00\u00a0€ und 50,00\u00a0$" in body


# --- Template errors -------------------------------------------------------------------------

def test_broken_template_fails_the_reminder_and_the_tick_goes_on(client, overdue):
    invoice = overdue(client, 7)
    english = ClientFactory(language="en", country="GB", default_currency="GBP")
    other = overdue(english, 7)
    MessageTemplate.objects.filter(key="overdue_7", channel="email", language="de").update(
        text="{% if %}")
    report = tick(NOW)
    reminder = Reminder.objects.get(invoice=invoice, step=step(7))
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.last_error.startswith("Template error:")
    assert "if" in reminder.last_error
    assert (report.failed, report.sent) == (1, 1)
    assert report.errors == [reminder.last_error]
    [email] = mail.outbox  # the English client still got theirs
    assert email.to == [english.email] and other.number in email.subject
    assert not OutboundMessage.objects.filter(client=client).exists()
    assert not client.interactions.filter(kind=InteractionKind.EMAIL_REMINDER).exists()
    tick(NOW + timedelta(hours=1))
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED
    assert len(mail.outbox) == 1


def test_missing_template_fails_the_reminder(client, overdue):
    overdue(client, 7)
    MessageTemplate.objects.filter(key="overdue_7").delete()
    report = tick(NOW)
    reminder = Reminder.objects.get(status=ReminderStatus.FAILED)
    assert reminder.last_error == "No 'overdue_7' email template."
    assert report.failed == 1
    assert mail.outbox == []
