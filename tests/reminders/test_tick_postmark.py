"""The scheduler tick through Postmark's API (intercepted with ``responses``): what is sent,
a refused address, transient failures and their retries."""

import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.core import mail

from clients.models import Client, InteractionKind
from reminders.models import CadenceStep, OutboundMessage, Reminder, ReminderStatus
from tests.factories import ClientFactory
from tests.reminders.support import NOW, POSTMARK_URL, step, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


# Overrides pytest-django's ``client`` (the test client) in this module only, which is why it is
# not in conftest.py: other reminder tests use the test client.
@pytest.fixture
def client(owner: Any) -> Any:
    return ClientFactory(owner=owner)


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
    Client.objects.filter(pk=client.pk).update(address_line1="")  # no letter possible ...
    # ... and the admin lets the demand go by the client's preferred legal channel: email.
    CadenceStep.objects.filter(template_key="demand_30").update(channel="preferred")
    overdue(client, 40)
    postmark.post(POSTMARK_URL, status=500, json={"ErrorCode": 1, "Message": "Internal error"})
    postmark.post(POSTMARK_URL, json=_postmark_ok(client.email))
    tick(NOW)
    tick(NOW + timedelta(minutes=15))
    assert Reminder.objects.get(step=step(30)).status == ReminderStatus.SENT
    assert client.interactions.filter(kind=InteractionKind.ESCALATION).count() == 2
