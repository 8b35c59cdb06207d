"""The scheduler tick against the database: stop conditions re-checked at dispatch (payment,
dispute, void, pause, promise), clients without a usable channel, and crash recovery."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from clients.models import Interaction, InteractionKind
from clients.services import client_pause_reminders
from receivables import services as receivables
from receivables.models import Invoice, InvoiceStatus
from reminders.models import OutboundMessage, Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import BERLIN, NOW, TUESDAY, statuses, tick
from work.models import Task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# Overrides pytest-django's ``client`` (the test client) in this module only, which is why it is
# not in conftest.py: other reminder tests use the test client.
@pytest.fixture
def client(owner: Any) -> Any:
    return ClientFactory(owner=owner)


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
