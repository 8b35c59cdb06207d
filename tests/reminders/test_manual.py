"""A bookkeeper's hand on one invoice's reminders: next step, exact preview, send now, skip,
and pausing one invoice while the client's others carry on."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from receivables.services import invoice_pause_reminders
from reminders import manual
from reminders.models import CadenceStep, OutboundMessage, Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import BERLIN, NOW, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def test_next_step_preview_and_send_now(overdue, owner):
    customer = ClientFactory(owner=owner, channel_preferences=["email"])
    invoice = overdue(customer, 2)  # never reminded: "due today" is past, +7 on Monday 23rd
    found = manual.next_step(invoice, NOW)
    assert found.step.offset_days == 7 and found.channel == "email"
    assert found.send_at == datetime(2026, 3, 23, 9, tzinfo=BERLIN)
    previewed, rendered = manual.preview(invoice, NOW)
    assert previewed == found
    assert invoice.number in rendered.text and "927,31" in rendered.text
    report = manual.send_now(invoices=[invoice], actor=owner, now=NOW)
    assert report.sent == 1
    [email] = mail.outbox
    assert email.subject == OutboundMessage.objects.get().subject
    link = re.compile(r"\S+/p/\S+")
    assert link.sub("LINK", email.body) == link.sub("LINK", rendered.text)  # exactly as previewed
    following = manual.next_step(invoice, NOW)
    assert following.step.offset_days == 14 and following.send_at.date() == date(2026, 3, 30)


def test_skip_moves_past_a_step(overdue, owner):
    customer = ClientFactory(owner=owner, channel_preferences=["email"])
    invoice = overdue(customer, 8)  # +7 is due now
    skipped = manual.skip(invoice=invoice, actor=owner, now=NOW, reason="Spoke on the phone")
    assert skipped.offset_days == 7
    assert Reminder.objects.get().status == ReminderStatus.SKIPPED
    assert tick(NOW).sent == 0  # the planner does not go back to it
    assert manual.next_step(invoice, NOW).step.offset_days == 14


def test_nothing_next_for_a_paid_or_finished_invoice(overdue, make_payment, owner):
    customer = ClientFactory(owner=owner)
    invoice = overdue(customer, 8)
    make_payment(customer, "927.31", date(2026, 3, 16))
    invoice.refresh_from_db()
    assert manual.next_step(invoice, NOW) is None
    with pytest.raises(ValidationError, match="no next reminder step"):
        manual.send_now(invoices=[invoice], actor=owner, now=NOW)


def test_pausing_one_invoice_leaves_the_others(overdue, owner):
    customer = ClientFactory(owner=owner, channel_preferences=["email"])
    paused, other = overdue(customer, 8), overdue(customer, 8, amount="10.00")
    invoice_pause_reminders(invoice=paused, until=date(2026, 3, 30), actor=owner,
                            reason="Waiting for the customer's audit")
    tick(NOW)
    assert not Reminder.objects.filter(invoice=paused).exists()
    assert Reminder.objects.get(invoice=other).status == ReminderStatus.SENT
    tick(datetime(2026, 3, 31, 10, 0, tzinfo=BERLIN))
    assert Reminder.objects.filter(invoice=paused).exists()
    with pytest.raises(ValidationError):
        invoice_pause_reminders(invoice=paused, until=NOW.date() - timedelta(days=1), actor=owner)


def test_a_call_step_previews_as_its_call_script(overdue, owner):
    """The next step is a call (the hand-over): the preview is what the caller will read, and
    previewing issues no pay link."""
    from answers.models import PayLink

    customer = ClientFactory(owner=owner, channel_preferences=["email"])
    invoice = overdue(customer, 46)
    Reminder.objects.create(invoice=invoice, client=customer, status=ReminderStatus.SENT,
                            step=CadenceStep.objects.get(template_key="demand_30"),
                            channel="letter", scheduled_for=NOW - timedelta(days=16),
                            sent_at=NOW - timedelta(days=16))
    found, rendered = manual.preview(invoice, NOW)
    assert (found.step.template_key, found.channel) == ("collections_45", "call")
    assert rendered.subject == f"Inkasso: {customer.display_name}"
    assert "927,31" in rendered.text and "46 Tage" in rendered.text and rendered.html == ""
    assert not PayLink.objects.exists()


def test_the_client_page_previews_a_letter_in_its_frame(client, overdue, owner):
    """The letter's HTML document goes into the frame escaped (a bare srcdoc was cut after
    '<!doctype html><html lang=')."""
    customer = ClientFactory(owner=owner, channel_preferences=["letter"])
    invoice = overdue(customer, 31)
    client.force_login(owner)
    page = client.get(f"/desk/clients/{customer.pk}/?preview={invoice.pk}")
    html = page.content.decode()
    frame = html[html.index('title="Rendered message" srcdoc="'):]
    frame = frame[:frame.index("></iframe>")]
    assert frame.startswith('title="Rendered message" srcdoc="&lt;!doctype html&gt;')
    assert "&lt;html lang=&quot;de&quot;" in frame and invoice.number in frame
