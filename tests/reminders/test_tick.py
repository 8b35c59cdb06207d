"""The scheduler tick end to end against the database: plan, dispatch, and what reaches the
mailbox (Django's locmem backend, or Postmark's API intercepted with ``responses``)."""

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction

from clients.models import Client, Interaction, InteractionChannel, InteractionKind
from clients.services import client_pause_reminders, client_set_tags
from receivables import services as receivables
from receivables.models import Invoice, InvoiceStatus
from reminders.models import (
    MessageTemplate,
    OutboundMessage,
    Reminder,
    ReminderStatus,
    SchedulerState,
)
from reminders.planning import reminders_plan
from tests.factories import ClientFactory
from tests.reminders.support import BERLIN, NOW, POSTMARK_URL, TUESDAY, step, tick
from work.models import Task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


@pytest.fixture
def client(owner: Any) -> Any:
    return ClientFactory(owner=owner)


def statuses(invoice: Invoice) -> dict[int, str]:
    return dict(Reminder.objects.filter(invoice=invoice)
                .values_list("step__offset_days", "status"))


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


def test_at_most_one_message_per_client_per_day(client, overdue):
    first, second = overdue(client, 7), overdue(client, 14)
    assert tick(NOW).sent == 1
    assert len(mail.outbox) == 1
    report = tick(NOW + timedelta(minutes=5))
    assert (report.sent, report.deferred) == (0, 1)
    assert len(mail.outbox) == 1
    waiting = Reminder.objects.get(status=ReminderStatus.SCHEDULED)
    assert waiting.scheduled_for == datetime(2026, 3, 18, 9, tzinfo=BERLIN)
    assert tick(datetime(2026, 3, 17, 16, 59, tzinfo=BERLIN)).sent == 0
    assert tick(datetime(2026, 3, 18, 8, 59, tzinfo=BERLIN)).sent == 0
    assert tick(datetime(2026, 3, 18, 9, 0, tzinfo=BERLIN)).sent == 1
    assert len(mail.outbox) == 2
    days = sorted(m.sent_at.astimezone(BERLIN).date() for m in OutboundMessage.objects.all())
    assert days == [TUESDAY, date(2026, 3, 18)]
    assert {statuses(first)[7], statuses(second)[14]} == {"sent"}


def test_deferral_on_friday_waits_for_monday(client, make_invoice):
    friday = datetime(2026, 3, 20, 10, 30, tzinfo=BERLIN)
    for days in (7, 14):
        make_invoice(client, issue_date=friday.date() - timedelta(days=30 + days))
    tick(friday)
    assert tick(friday + timedelta(minutes=5)).deferred == 1
    waiting = Reminder.objects.get(status=ReminderStatus.SCHEDULED)
    assert waiting.scheduled_for == datetime(2026, 3, 23, 9, tzinfo=BERLIN)  # Monday
    tick(datetime(2026, 3, 21, 9, 30, tzinfo=BERLIN))  # Saturday
    assert len(mail.outbox) == 1


def test_invoices_in_different_currencies_are_not_added_up(client, overdue):
    euros = overdue(client, 7, "100.00")
    dollars = overdue(client, 7, "50.00", currency="USD")
    tick(NOW)
    assert len(mail.outbox) == 1  # one message a day: the other currency waits a day
    tick(NOW + timedelta(days=1))
    assert len(mail.outbox) == 2
    body = "\n".join(m.body for m in mail.outbox)
    assert f"- {euros.number}: 100,00\u00a0€" in body
    assert f"- {dollars.number}: 50,00\u00a0$" in body
    assert "150,00" not in body


# --- Stop conditions, re-checked at dispatch -------------------------------------------------

def _pay(invoice: Invoice) -> None:
    receivables.payment_record(client=invoice.client, amount=invoice.balance,
                               received_on=TUESDAY, invoices=[invoice])


def _pause(invoice: Invoice) -> None:
    client_pause_reminders(client=invoice.client, until=TUESDAY + timedelta(days=7),
                           actor=None, reason="client on holiday")


def _dispute(invoice: Invoice) -> None:
    receivables.invoice_transition(invoice=invoice, to=InvoiceStatus.DISPUTED,
                                   reason="hours disputed")


def _promise(invoice: Invoice) -> None:
    Invoice.objects.filter(pk=invoice.pk).update(promised_until=TUESDAY + timedelta(days=3))


def _void(invoice: Invoice) -> None:
    receivables.invoice_transition(invoice=invoice, to=InvoiceStatus.VOID, reason="duplicate")


# A pause or a promise recorded after planning does not cancel: the reminder waits until it
# ends (test_pause_after_planning_resumes_like_a_pause_before_planning, and the promise below).
@pytest.mark.parametrize(("stop", "reason"), [
    (_pay, "invoice is paid"),
    (_dispute, "invoice is disputed"),
    (_void, "invoice is void"),
])
def test_stop_after_planning_cancels_at_dispatch(client, overdue, stop, reason):
    invoice = overdue(client, 7)
    early = datetime(2026, 3, 17, 7, 0, tzinfo=BERLIN)  # before business hours: plan only
    report = tick(early)
    assert (report.planned, report.sent) == (1, 0)
    reminder = Reminder.objects.get(invoice=invoice, status=ReminderStatus.SCHEDULED)
    assert reminder.scheduled_for == datetime(2026, 3, 17, 9, tzinfo=BERLIN)

    stop(invoice)
    report = tick(NOW)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED
    assert reminder.last_error == f"Not sent: {reason}."
    assert (report.sent, report.cancelled) == (0, 1)
    assert mail.outbox == []
    assert not OutboundMessage.objects.exists()
    assert not Interaction.objects.filter(kind=InteractionKind.EMAIL_REMINDER).exists()
    tick(NOW + timedelta(days=1))
    assert mail.outbox == []


def test_partial_payment_still_reminds_with_what_is_left(client, overdue):
    invoice = overdue(client, 7, "1000.00")
    tick(datetime(2026, 3, 17, 7, 0, tzinfo=BERLIN))
    receivables.payment_record(client=client, amount="400.00", received_on=TUESDAY,
                               invoices=[invoice])
    assert tick(NOW).sent == 1
    [email] = mail.outbox
    assert "wir haben 600,00\u00a0€" in email.body


def test_stop_for_one_invoice_leaves_the_others_in_the_same_email(client, overdue):
    kept, paid = overdue(client, 7, "100.00"), overdue(client, 7, "200.00")
    tick(datetime(2026, 3, 17, 7, 0, tzinfo=BERLIN))
    _pay(paid)
    report = tick(NOW)
    assert (report.sent, report.cancelled) == (1, 1)
    [email] = mail.outbox
    assert email.subject == f"Nachfrage zu Rechnung {kept.number}"
    assert paid.number not in email.body
    assert (statuses(kept)[7], statuses(paid)[7]) == ("sent", "cancelled")


def test_pending_promise_plans_nothing_until_it_has_passed(client, overdue):
    invoice = overdue(client, 7)
    Invoice.objects.filter(pk=invoice.pk).update(promised_until=date(2026, 3, 20))  # Friday
    report = tick(NOW)
    assert (report.examined, report.planned, report.skipped) == (1, 0, 0)
    assert not Reminder.objects.exists()
    assert mail.outbox == []
    invoice.refresh_from_db()
    assert invoice.next_action_at == datetime(2026, 3, 23, 9, tzinfo=BERLIN)  # the Monday after
    assert tick(datetime(2026, 3, 20, 16, 0, tzinfo=BERLIN)).planned == 0  # still promised

    report = tick(datetime(2026, 3, 23, 10, 0, tzinfo=BERLIN))
    assert (report.planned, report.sent) == (1, 1)
    assert statuses(invoice) == {7: "sent"}  # -3 and 0 caught up: counted, not stored


def test_pause_plans_nothing_and_resumes_after(client, overdue):
    invoice = overdue(client, 7)
    client_pause_reminders(client=client, until=date(2026, 3, 19), actor=None)
    assert tick(NOW).planned == 0
    invoice.refresh_from_db()
    assert invoice.next_action_at == datetime(2026, 3, 20, 9, tzinfo=BERLIN)
    assert tick(datetime(2026, 3, 19, 12, tzinfo=BERLIN)).planned == 0
    assert tick(datetime(2026, 3, 20, 9, 0, tzinfo=BERLIN)).sent == 1
    assert statuses(invoice)[7] == "sent"


def test_pause_after_planning_resumes_like_a_pause_before_planning(client, overdue):
    invoice = overdue(client, 7)
    tick(datetime(2026, 3, 17, 7, 0, tzinfo=BERLIN))  # +7 planned for 09:00
    client_pause_reminders(client=client, until=date(2026, 3, 19), actor=None)
    tick(NOW)  # cancelled: paused
    tick(datetime(2026, 3, 20, 9, 0, tzinfo=BERLIN))  # the pause is over
    assert len(mail.outbox) == 1
    assert Reminder.objects.filter(invoice=invoice, status="sent").exists()


def test_client_without_a_usable_channel_gets_a_task_for_a_person(overdue):
    client = ClientFactory(email="", mobile_phone="", channel_preferences=["sms", "email"])
    invoice = overdue(client, 7)
    report = tick(NOW)
    assert (report.examined, report.planned, report.skipped) == (1, 0, 0)
    assert not Reminder.objects.exists()
    assert mail.outbox == []
    invoice.refresh_from_db()
    assert invoice.next_action_at == datetime(2026, 3, 24, 9, tzinfo=BERLIN)  # the next step
    [task] = Task.objects.all()
    assert (task.kind, task.client, task.status) == ("no_channel", client, "open")
    assert list(task.invoices.all()) == [invoice]
    assert client.interactions.get(kind=InteractionKind.ESCALATION).summary.startswith(
        "Reminders cannot reach the client")
    tick(NOW + timedelta(days=7))  # still nothing works: still one open task, not two
    assert Task.objects.count() == 1


def test_sms_first_client_gets_an_sms(overdue):
    client = ClientFactory(channel_preferences=["sms", "email"])
    overdue(client, 7)
    tick(NOW)
    assert Reminder.objects.get(status="sent").channel == "sms"
    assert mail.outbox == []
    message = OutboundMessage.objects.get()
    assert (message.channel, message.to, message.provider) == ("sms", "+4915123456789", "local")
    assert message.segments == 1 and "/p/" in message.text
    assert "\u00a0" not in message.text  # no-break spaces made plain: GSM-7, one segment
    assert client.interactions.get(kind=InteractionKind.SMS_REMINDER).content["text"] == (
        message.text)


# --- Catch-up and escalation -----------------------------------------------------------------

def test_catch_up_sends_only_the_latest_step(client, overdue):
    invoice = overdue(client, 40)
    report = tick(NOW)
    assert (report.planned, report.skipped, report.sent) == (1, 4, 1)
    # +21 is for high-value clients only: neither planned nor skipped for this one.
    assert statuses(invoice) == {30: "sent"}  # -3 … +14 caught up: counted, not stored
    demand = Reminder.objects.get(invoice=invoice, status="sent")
    assert (demand.step.channel, demand.channel) == ("letter", "letter")
    assert mail.outbox == []
    letter = demand.message
    assert (letter.status, letter.subject) == ("print_queue", "Letzte Mahnung")
    assert bytes(letter.document).startswith(b"%PDF")
    assert "(40 Tage überfällig)" in letter.html
    assert "werden wir die Forderung an unseren Inkassopartner übergeben." in letter.html
    assert "31. März 2026" in letter.html  # a deadline two weeks out
    # Not in the timeline as sent until the print batch is posted.
    assert not client.interactions.filter(kind=InteractionKind.LETTER_REMINDER).exists()
    escalations = client.interactions.filter(kind=InteractionKind.ESCALATION)
    assert escalations.count() == 2  # interest starts, and the invoice is escalated
    invoice.refresh_from_db()
    assert invoice.next_action_at == datetime(2026, 3, 23, 9, tzinfo=BERLIN)  # +45, Mon
    assert invoice.adjustments.count() == 0  # the skipped +14 step charged no fee
    # Later ticks never go back to a caught-up step: only +45 is still to come.
    assert tick(datetime(2026, 3, 20, 10, tzinfo=BERLIN)).planned == 0
    assert tick(datetime(2026, 3, 23, 10, tzinfo=BERLIN)).planned == 1
    assert statuses(invoice) == {30: "sent", 45: "sent"}


def test_english_fallback_email_is_not_mixed_with_french(overdue):
    client = ClientFactory(language="fr", country="FR", default_currency="EUR",
                           address_line1="")  # no postal address: the demand goes by email
    invoice = overdue(client, 40)
    tick(NOW)
    [email] = mail.outbox
    assert email.subject == f"Formal demand for payment: {invoice.number}"  # English
    assert "février" not in email.body and "mars" not in email.body
    assert "confier le dossier" not in email.body


def test_plus_45_hands_to_collections_without_an_email(client, overdue):
    invoice = overdue(client, 75)
    report = tick(NOW)
    assert (report.planned, report.sent, report.skipped) == (1, 0, 5)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.IN_COLLECTIONS
    assert mail.outbox == []
    assert not OutboundMessage.objects.exists()
    reminder = Reminder.objects.get(invoice=invoice, step=step(45))
    assert (reminder.status, reminder.channel, reminder.message) == ("sent", "call", None)
    [task] = Task.objects.filter(client=client)
    assert (task.kind, task.title, task.step) == ("call", f"Inkasso: {client.display_name}",
                                                  step(45))
    assert list(task.invoices.all()) == [invoice]
    call = client.interactions.get(kind=InteractionKind.CALL)
    assert call.summary == f"Call task created: {task.title}"
    assert list(call.invoices.all()) == [invoice]
    change = client.interactions.get(kind=InteractionKind.STATUS_CHANGE)
    assert change.metadata["to"] == "in_collections"
    assert tick(NOW + timedelta(days=1)).examined == 0  # out of the cadence now


def test_plus_21_call_task_only_for_high_value_clients(overdue):
    plain, vip = ClientFactory(), ClientFactory()
    client_set_tags(client=vip, tags=["high-value"])
    for client in (plain, vip):
        overdue(client, 14, number=f"{client.reference}-1")
    tick(NOW)  # +14 goes out to both
    assert len(mail.outbox) == 2
    report = tick(NOW + timedelta(days=7))  # +21
    assert (report.planned, report.sent) == (1, 0)  # "sent" counts messages only
    assert len(mail.outbox) == 2  # a call task is not an email
    [task] = Task.objects.all()
    assert (task.client, task.assigned_to, task.kind) == (vip, vip.owner, "call")
    assert task.due_at == NOW + timedelta(days=7)  # inside business hours: due now
    assert task.title == f"Anruf bei {vip.display_name} zu {vip.reference}-1"
    call = vip.interactions.get(kind=InteractionKind.CALL)
    assert call.metadata == {"task": task.pk, "step": "Call high-value clients"}
    assert not plain.interactions.filter(kind=InteractionKind.CALL).exists()
    assert not Reminder.objects.filter(client=plain, step=step(21)).exists()
    assert Reminder.objects.get(client=vip, step=step(21)).status == ReminderStatus.SENT


def test_walking_the_whole_cadence_day_by_day(make_invoice):
    """Daily ticks at 10:00 Berlin from 1 March to 30 April for an invoice due Friday
    13 March: every step exactly once, on business days, Easter holidays skipped."""
    plain, vip = ClientFactory(), ClientFactory()
    client_set_tags(client=vip, tags=["high-value"])
    for client in (plain, vip):
        make_invoice(client, "500.00", issue_date=date(2026, 2, 11))
    day = date(2026, 3, 1)
    while day <= date(2026, 4, 30):
        tick(datetime.combine(day, datetime.min.time(), tzinfo=BERLIN) + timedelta(hours=10))
        day += timedelta(days=1)

    expected_mail = [(date(2026, 3, 10), "Friendly nudge"), (date(2026, 3, 13), "Due today"),
                     (date(2026, 3, 20), "Polite follow-up"),
                     (date(2026, 3, 27), "Firmer, offers a plan")]
    for client in (plain, vip):
        sent = [(m.occurred_at.astimezone(BERLIN).date(), m.metadata["step"]) for m in
                client.interactions.filter(kind=InteractionKind.EMAIL_REMINDER)
                .order_by("occurred_at")]
        assert sent == expected_mail
        calls = [(c.occurred_at.astimezone(BERLIN).date(), c.metadata["step"]) for c in
                 client.interactions.filter(kind=InteractionKind.CALL).order_by("occurred_at")]
        collections = (date(2026, 4, 27), "Hand to collections")
        # +21 is Good Friday 3 April; Easter Monday too is a holiday: Tuesday 7 April.
        assert calls == ([(date(2026, 4, 7), "Call high-value clients"), collections]
                         if client == vip else [collections])
        demand = Reminder.objects.get(client=client, step__name="Letter of demand")
        assert (demand.channel, demand.sent_at.astimezone(BERLIN).date()) == (
            "letter", date(2026, 4, 13))  # +30 = Sun 12 April
        assert demand.message.status == "print_queue"
        assert client.invoices.get().status == InvoiceStatus.IN_COLLECTIONS
        assert not Reminder.objects.filter(client=client).exclude(status="sent").exists()
    assert len(mail.outbox) == 8
    assert all(m.sent_at.astimezone(BERLIN).weekday() < 5
               for m in OutboundMessage.objects.all())


# --- Quiet hours -----------------------------------------------------------------------------

@pytest.mark.parametrize(("zone", "at", "expected"), [
    (BERLIN, datetime(2026, 3, 17, 22, 0), datetime(2026, 3, 18, 9, 0)),
    (BERLIN, datetime(2026, 3, 17, 17, 0), datetime(2026, 3, 18, 9, 0)),
    (BERLIN, datetime(2026, 3, 20, 22, 0), datetime(2026, 3, 23, 9, 0)),  # Friday → Monday
    (NEW_YORK, datetime(2026, 3, 17, 22, 0), datetime(2026, 3, 18, 9, 0)),
    (BERLIN, datetime(2026, 3, 17, 6, 0), datetime(2026, 3, 17, 9, 0)),  # before hours
    (BERLIN, datetime(2026, 3, 27, 22, 0), datetime(2026, 3, 30, 9, 0)),  # over the DST change
])
def test_outside_business_hours_nothing_goes_out_until_the_next_start(make_invoice, zone, at,
                                                                      expected):
    at, expected = at.replace(tzinfo=zone), expected.replace(tzinfo=zone)
    if zone is NEW_YORK:
        client = ClientFactory(language="en", country="US", timezone="America/New_York",
                               default_currency="USD", mobile_phone="+12125550123")
    else:
        client = ClientFactory()
    make_invoice(client, issue_date=at.date() - timedelta(days=37))  # +7 is today
    report = tick(at)
    assert (report.planned, report.sent) == (1, 0)
    assert mail.outbox == []
    reminder = Reminder.objects.get(status=ReminderStatus.SCHEDULED)
    assert reminder.scheduled_for == expected
    assert tick(expected - timedelta(minutes=1)).sent == 0
    assert tick(expected).sent == 1
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.get().sent_at == expected


def test_a_late_dispatch_never_sends_in_quiet_hours(client, overdue):
    overdue(client, 7)
    afternoon = datetime(2026, 3, 17, 16, 30, tzinfo=BERLIN)
    with time_machine.travel(afternoon, tick=False):
        assert reminders_plan(now=afternoon).planned == 1  # the worker died before dispatch
    tick(datetime(2026, 3, 17, 22, 0, tzinfo=BERLIN))
    assert mail.outbox == []


# --- Crash recovery --------------------------------------------------------------------------

def _planned_for_nine(client: Any, overdue: Any) -> Reminder:
    overdue(client, 7)
    tick(datetime(2026, 3, 17, 7, 0, tzinfo=BERLIN))
    return Reminder.objects.get(status=ReminderStatus.SCHEDULED)


def test_stale_claim_goes_back_to_the_queue_and_is_sent_once(client, overdue):
    reminder = _planned_for_nine(client, overdue)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.CLAIMED, claim_token="dead-worker",
        claimed_at=NOW - timedelta(minutes=11))
    report = tick(NOW)
    assert (report.recovered, report.sent) == (1, 1)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert len(mail.outbox) == 1
    tick(NOW + timedelta(minutes=30))
    assert len(mail.outbox) == 1


def test_fresh_claim_belongs_to_a_live_worker_and_is_left_alone(client, overdue):
    reminder = _planned_for_nine(client, overdue)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.CLAIMED, claim_token="busy-worker",
        claimed_at=NOW - timedelta(minutes=9))
    report = tick(NOW)
    assert (report.recovered, report.sent) == (0, 0)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.claim_token) == (ReminderStatus.CLAIMED, "busy-worker")
    assert mail.outbox == []


def test_row_caught_mid_send_goes_to_review_and_is_never_resent(client, overdue):
    reminder = _planned_for_nine(client, overdue)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.SENDING, claim_token="dead-worker",
        claimed_at=NOW - timedelta(minutes=11))
    report = tick(NOW)
    assert (report.recovered, report.sent) == (1, 0)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.REVIEW
    assert "Outcome unknown after a crash" in reminder.last_error
    for later in (NOW + timedelta(hours=1), NOW + timedelta(days=1)):
        tick(later)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.REVIEW
    assert mail.outbox == []
    assert Reminder.objects.filter(invoice=reminder.invoice, step=reminder.step).count() == 1


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


# --- Through Postmark's API ------------------------------------------------------------------

def _postmark_ok(to: str, message_id: str = "abc-123") -> dict[str, Any]:
    return {"MessageID": message_id, "ErrorCode": 0, "Message": "OK", "To": to,
            "SubmittedAt": "2026-03-17T09:30:00.0000000+00:00"}


def test_email_goes_through_postmark_with_both_parts_reply_to_and_metadata(client, overdue,
                                                                           postmark):
    invoice = overdue(client, 7)
    postmark.post(POSTMARK_URL, json=_postmark_ok(client.email))
    report = tick(NOW)
    assert report.sent == 1

    [call] = postmark.calls
    assert call.request.headers["X-Postmark-Server-Token"] == "test"
    body = json.loads(call.request.body)
    message = OutboundMessage.objects.get()
    assert body["To"] == client.email
    assert body["ReplyTo"] == "berta@settle.example"
    assert body["Subject"] == message.subject == f"Nachfrage zu Rechnung {invoice.number}"
    assert body["TextBody"] == message.text
    assert body["HtmlBody"] == message.html
    assert "927,31\u00a0€" in body["TextBody"] and "<strong>" in body["HtmlBody"]
    assert body["Metadata"] == {"settle_message_id": str(message.pk)}
    assert body["Tag"] == "reminder"
    assert {"Name": "X-Settle-Message", "Value": str(message.pk)} in body["Headers"]

    assert (message.provider, message.provider_message_id) == ("postmark", "abc-123")
    assert message.sent_at == NOW
    snapshot = client.interactions.get(kind=InteractionKind.EMAIL_REMINDER)
    assert snapshot.metadata["provider_message_id"] == "abc-123"
    assert mail.outbox == []  # nothing went to the local backend


def test_postmark_refusing_the_address_falls_back_and_flags_it(client, overdue, postmark):
    overdue(client, 7)
    postmark.post(POSTMARK_URL, status=422, json={
        "ErrorCode": 300, "Message": f"Invalid 'To' address: '{client.email}'."})
    report = tick(NOW)
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.channel, reminder.failed_channels) == (
        ReminderStatus.SCHEDULED, "sms", ["email"])
    assert "The email provider refused the message" in reminder.last_error
    assert (report.failed, report.sent, report.fallbacks) == (0, 0, 1)
    assert not client.interactions.filter(kind=InteractionKind.EMAIL_REMINDER).exists()
    flag = client.contact_flags.get()
    assert (flag.channel, flag.value, flag.reason) == ("email", client.email, "invalid")
    assert OutboundMessage.objects.get().status == "failed"
    report = tick(NOW + timedelta(minutes=5))  # the same business day, by SMS
    assert report.sent == 1
    assert Reminder.objects.get().status == ReminderStatus.SENT
    assert OutboundMessage.objects.get(status="queued").channel == "sms"
    tick(NOW + timedelta(days=7))  # +14: straight to SMS, the address stays flagged
    assert len(postmark.calls) == 1  # the flagged address is never tried again


@pytest.mark.parametrize("failure", [
    pytest.param({"status": 500, "json": {"ErrorCode": 1, "Message": "Internal error"}},
                 id="http-500"),
    pytest.param({"body": requests.ConnectionError("connection reset")}, id="network"),
])
def test_transient_postmark_failure_is_retried_later_and_sent_once(client, overdue, postmark,
                                                                   failure):
    invoice = overdue(client, 7)
    postmark.post(POSTMARK_URL, **failure)
    postmark.post(POSTMARK_URL, json=_postmark_ok(client.email, "abc-456"))
    report = tick(NOW)
    assert (report.sent, report.failed) == (0, 0)
    assert report.errors and report.errors[0].startswith("Email could not be sent now")
    reminder = Reminder.objects.get(invoice=invoice, step=step(7))
    assert reminder.status == ReminderStatus.SCHEDULED
    assert reminder.attempts == 1
    assert reminder.scheduled_for == NOW + timedelta(minutes=15)
    assert reminder.last_error.startswith("Email could not be sent now")

    assert tick(NOW + timedelta(minutes=10)).sent == 0  # not yet
    assert len(postmark.calls) == 1
    assert tick(NOW + timedelta(minutes=15)).sent == 1
    assert len(postmark.calls) == 2
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.SENT, 1)
    assert reminder.message.provider_message_id == "abc-456"
    tick(NOW + timedelta(hours=2))
    assert len(postmark.calls) == 2
    assert client.interactions.filter(kind=InteractionKind.EMAIL_REMINDER).count() == 1


def test_transient_retry_leaves_no_phantom_message_in_the_outbox(client, overdue, postmark):
    overdue(client, 7)
    postmark.post(POSTMARK_URL, status=500, json={"ErrorCode": 1, "Message": "Internal error"})
    postmark.post(POSTMARK_URL, json=_postmark_ok(client.email))
    tick(NOW)
    tick(NOW + timedelta(minutes=15))
    assert Reminder.objects.get(status="sent").message.provider_message_id == "abc-123"
    assert OutboundMessage.objects.count() == 1


def test_retried_send_does_not_repeat_the_steps_actions(client, overdue, postmark):
    Client.objects.filter(pk=client.pk).update(address_line1="")  # the demand goes by email
    overdue(client, 40)
    postmark.post(POSTMARK_URL, status=500, json={"ErrorCode": 1, "Message": "Internal error"})
    postmark.post(POSTMARK_URL, json=_postmark_ok(client.email))
    tick(NOW)
    tick(NOW + timedelta(minutes=15))
    assert Reminder.objects.get(step=step(30)).status == ReminderStatus.SENT
    assert client.interactions.filter(kind=InteractionKind.ESCALATION).count() == 2


@pytest.mark.parametrize("wait", [_pause, _promise])
def test_pause_or_promise_after_planning_defers_instead_of_cancelling(client, overdue, wait):
    invoice = overdue(client, 7)
    tick(datetime(2026, 3, 17, 7, 0, tzinfo=BERLIN))
    wait(invoice)
    report = tick(NOW)
    reminder = Reminder.objects.get(invoice=invoice, step__offset_days=7)
    assert (report.sent, report.cancelled, reminder.status) == (0, 0, ReminderStatus.SCHEDULED)
    assert reminder.scheduled_for.astimezone(BERLIN).date() > NOW.date()
    assert mail.outbox == []
