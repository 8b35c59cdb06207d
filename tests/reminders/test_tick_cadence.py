"""The scheduler tick along the cadence: catch-up, escalation (letter of demand, call tasks,
collections), the whole cadence day by day, and quiet hours."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from clients.models import InteractionKind
from clients.services import client_set_tags
from receivables.models import InvoiceStatus
from reminders.models import (
    CadenceStep,
    MessageTemplate,
    OutboundMessage,
    Reminder,
    ReminderStatus,
)
from reminders.planning import reminders_plan
from tests.factories import ClientFactory
from tests.reminders.support import BERLIN, NOW, statuses, step, tick
from work.models import Task, TaskKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


# Overrides pytest-django's ``client`` (the test client) in this module only, which is why it is
# not in conftest.py: other reminder tests use the test client.
@pytest.fixture
def client(owner: Any) -> Any:
    return ClientFactory(owner=owner)


# --- Catch-up and escalation -----------------------------------------------------------------

def test_catch_up_sends_only_the_latest_step(client, overdue):
    invoice = overdue(client, 40)
    report = tick(NOW)
    assert (report.planned, report.skipped, report.sent) == (1, 4, 1)
    # +21 is for high-value clients only: neither planned nor skipped for this one.
    assert statuses(invoice) == {30: "sent"}  # -3 … +14 caught up: counted, not stored
    demand = Reminder.objects.get(invoice=invoice, status="sent")
    assert (demand.step.channel, demand.channel) == ("letter", "letter")
    [copy] = mail.outbox  # the letter goes by post, with a copy by e-mail
    assert copy.body.startswith("Dies ist eine Kopie des Schreibens")
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
    # +45 (Mon 23 March) waits for the letter's notice: 14 days from 17 March.
    assert tick(datetime(2026, 3, 23, 10, tzinfo=BERLIN)).planned == 0
    assert tick(datetime(2026, 3, 30, 10, tzinfo=BERLIN)).planned == 0
    assert tick(datetime(2026, 3, 31, 10, tzinfo=BERLIN)).planned == 1
    assert statuses(invoice) == {30: "sent", 45: "sent"}


def test_english_fallback_email_is_not_mixed_with_french(overdue):
    client = ClientFactory(language="fr", country="FR", default_currency="EUR",
                           address_line1="")  # no postal address ...
    # ... and the demand step may use the client's preferred legal channel: email.
    CadenceStep.objects.filter(template_key="demand_30").update(channel="preferred")
    # ... and no French letter of demand (a translation not there, or deleted by an admin).
    MessageTemplate.objects.filter(key="demand_30", language="fr").delete()
    invoice = overdue(client, 40)
    tick(NOW)
    [email] = mail.outbox
    assert email.subject == f"Formal demand for payment: {invoice.number}"  # English
    assert "février" not in email.body and "mars" not in email.body
    assert "confier le dossier" not in email.body


def test_plus_45_hands_to_collections_without_an_email(client, overdue):
    invoice = overdue(client, 75)
    # Never reminded, 75 days late: the catch-up sends the letter of demand first (it never
    # skips the notice), and hands over once its 14 days have run.
    report = tick(NOW)
    assert (report.planned, report.sent, report.skipped) == (1, 1, 4)
    assert statuses(invoice) == {30: "sent"}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert tick(NOW + timedelta(days=13)).planned == 0
    assert OutboundMessage.objects.get(channel="letter").status == "print_queue"
    assert len(mail.outbox) == 1  # its e-mail copy
    report = tick(NOW + timedelta(days=14))
    assert (report.planned, report.sent) == (1, 0)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.IN_COLLECTIONS
    assert len(mail.outbox) == 1  # the hand-over sends nothing
    assert OutboundMessage.objects.count() == 2  # the letter and its copy
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
    assert tick(NOW + timedelta(days=15)).examined == 0  # out of the cadence now


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

    # "Due today" comes three days after the nudge: the contact policy holds it a week, by
    # when it is untrue, so it is dropped.
    expected_mail = [(date(2026, 3, 10), "Friendly nudge"),
                     (date(2026, 3, 20), "Polite follow-up"),
                     (date(2026, 3, 27), "Firmer, offers a plan"),
                     (date(2026, 4, 13), "Letter of demand")]  # the e-mail copy
    for client in (plain, vip):
        sent = [(m.occurred_at.astimezone(BERLIN).date(), m.metadata["step"]) for m in
                client.interactions.filter(kind=InteractionKind.EMAIL_REMINDER)
                .order_by("occurred_at")]
        assert sent == expected_mail
        calls = [(c.occurred_at.astimezone(BERLIN).date(), c.metadata["step"]) for c in
                 client.interactions.filter(kind=InteractionKind.CALL).order_by("occurred_at")]
        collections = (date(2026, 4, 27), "Hand to collections")
        # +21 is Good Friday 3 April; Easter Monday too is a holiday: Tuesday 7 April. Nobody
        # closed that call task, so the hand-over's call joins it (one open call per client).
        assert calls == ([(date(2026, 4, 7), "Call high-value clients")]
                         if client == vip else [collections])
        if client == vip:
            task = Task.objects.get(client=client, kind=TaskKind.CALL)
            assert task.step.name == "Hand to collections"
            assert client.interactions.filter(
                kind=InteractionKind.NOTE, summary__startswith="Open call task updated "
                "(Hand to collections)").exists()
        demand = Reminder.objects.get(client=client, step__name="Letter of demand")
        assert (demand.channel, demand.sent_at.astimezone(BERLIN).date()) == (
            "letter", date(2026, 4, 13))  # +30 = Sun 12 April
        assert demand.message.status == "print_queue"
        assert client.invoices.get().status == InvoiceStatus.IN_COLLECTIONS
        assert set(Reminder.objects.filter(client=client).exclude(status="sent")
                   .values_list("step__name", "status")) == {("Due today", "skipped")}
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
