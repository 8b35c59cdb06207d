"""The demo book through the channels: one day of ticks sends email, SMS and letters per each
client's preference (nothing leaves the machine without credentials), letters wait in the
print queue and download as one batch PDF, and call tasks appear for the +21 step."""

import subprocess
import tempfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from clients.models import InteractionKind
from receivables.demo import DemoOptions, seed_demo_book
from reminders.models import OutboundMessage, Reminder
from reminders.tick import reminders_tick
from work import printing
from work.models import Task

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 2)  # a Tuesday
UTC = ZoneInfo("UTC")


def test_a_day_of_ticks_over_the_demo_book_uses_every_channel():
    seed_demo_book(DemoOptions(today=TODAY))
    # Every hour of the day, so each time zone gets its business hours.
    for hour in range(0, 24):
        at = datetime(TODAY.year, TODAY.month, TODAY.day, hour, 5, tzinfo=UTC)
        with time_machine.travel(at, tick=False):
            reminders_tick(now=at)

    by_channel = {c: OutboundMessage.objects.filter(channel=c).count()
                  for c in ("email", "sms", "letter")}
    assert all(by_channel.values()), by_channel
    assert set(OutboundMessage.objects.values_list("provider", flat=True)) == {
        "local", "print_queue"}  # no credentials: nothing left the machine
    for message in OutboundMessage.objects.filter(channel="sms"):
        assert message.segments in (1, 2) and "/p/" in message.text

    # One contact per client a day, whatever the number of overdue invoices: one message per
    # currency it owes in, all in the same pass.
    sent = list(OutboundMessage.objects.values_list("client_id", "reminders__invoice__currency",
                                                    "sent_at").distinct())
    assert len({(c, cur) for c, cur, _ in sent}) == len({(c, cur, at) for c, cur, at in sent})
    assert all(len({at for c2, _, at in sent if c2 == c}) == 1 for c, _, _ in sent)

    calls = Task.objects.filter(kind="call", step__offset_days=21)
    for task in calls:
        assert "high-value" in {t.name for t in task.client.tags.all()}
        assert task.assigned_to == task.client.owner
        assert task.script
    assert calls.exists()

    # Letters: one batch PDF with a cover sheet, then posted into each timeline.
    waiting = list(printing.waiting_letters())
    assert len(waiting) == by_channel["letter"]
    admin = get_user_model().objects.get(username="admin")
    batch = printing.batch_create(actor=admin)
    pdf = printing.batch_pdf(batch)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        text = subprocess.run(["pdftotext", "-layout", handle.name, "-"], check=True,
                              capture_output=True, text=True).stdout
    for letter in waiting:
        assert letter.client.name_on_letters in text
    assert not any(m.client.interactions.filter(kind=InteractionKind.LETTER_REMINDER).exists()
                   for m in waiting)
    printing.batch_mark_posted(batch=batch, actor=admin,
                               now=datetime(2026, 6, 2, 17, tzinfo=UTC))
    for letter in waiting:
        assert letter.client.interactions.filter(kind=InteractionKind.LETTER_REMINDER,
                                                 metadata__message_id=letter.pk).exists()

    # Nothing is sent twice: a week later (the contact policy's gap) the tick sends only
    # reminders that had not gone out (those that waited for the policy, and newly due steps).
    before = set(OutboundMessage.objects.values_list("pk", flat=True))
    sent_before = set(Reminder.objects.filter(status="sent").values_list("pk", flat=True))
    at = datetime(2026, 6, 9, 12, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        reminders_tick(now=at)
    again = Reminder.objects.filter(message__isnull=False).exclude(message_id__in=before)
    assert again.exists()
    assert not set(again.values_list("pk", flat=True)) & sent_before


def test_simulated_bounce_stop_and_broken_promise_change_the_next_tick():
    from io import StringIO

    from django.core.management import call_command

    from clients.models import Client, ContactFlag
    from tests.factories import ClientFactory

    at = datetime(2026, 6, 2, 8, 30, tzinfo=UTC)  # 10:30 in Berlin
    with time_machine.travel(at, tick=False):
        from receivables import services as receivables
        from tests.factories import TermsFactory

        terms = TermsFactory(name="Net 30 sim", net_days=30)
        client = ClientFactory(reference="SIM-1", channel_preferences=["email", "sms"])
        receivables.invoice_create(
            client=client, number="SIM-0001", issue_date=date(2026, 4, 24), terms=terms,
            lines=[receivables.LineInput("Consulting", "500.00")])
        reminders_tick(now=at)  # +9 days: the +7 follow-up by email
        out = StringIO()
        call_command("reminders_simulate", "bounce", "SIM-1", stdout=out)
        assert "the reminder now goes by sms (scheduled)" in out.getvalue()
        reminders_tick(now=at)
        assert OutboundMessage.objects.filter(client=client, channel="sms").count() == 1

        call_command("reminders_simulate", "stop", "SIM-1", stdout=StringIO())
        assert ContactFlag.objects.filter(client=client, reason="opted_out").exists()

        call_command("reminders_simulate", "broken-promise", "SIM-1", stdout=StringIO())
    later = datetime(2026, 6, 8, 8, 30, tzinfo=UTC)  # +14 is due: nothing works any more
    with time_machine.travel(later, tick=False):
        reminders_tick(now=later)
    summaries = [i.summary for i in Client.objects.get(pk=client.pk).interactions.all()]
    assert any(s.startswith("Broken promise: SIM-0001") for s in summaries)
    assert Task.objects.filter(client=client, kind="no_channel").exists()
