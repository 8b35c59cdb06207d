"""Channels end to end: SMS through the twilio library (HTTP intercepted with ``responses``),
Twilio status callbacks and inbound STOP/START/HELP with real signatures, anymail's Postmark
tracking webhook with its basic-auth secret, and automatic fallback between channels."""

import base64
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
import responses
import time_machine
from django.core import mail
from twilio.request_validator import RequestValidator

from clients.models import Client, ContactFlag, InteractionKind
from clients.selectors import usable_channels
from core import planner
from reminders.models import MessageEvent, OutboundMessage, Reminder, ReminderStatus
from reminders.tick import reminders_tick
from tests.factories import ClientFactory
from work.models import Task

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 17, 10, 30, tzinfo=BERLIN)  # a Tuesday
ACCOUNT = "AC" + "0" * 32
TOKEN = "twilio-auth-token"
SITE = "https://settle.example"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
MOBILE = "+4915123456789"


@pytest.fixture(autouse=True)
def _clock_and_settings(settings: Any) -> Iterator[None]:
    settings.SITE_URL = SITE
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def twilio() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def sms_ok(rsps: responses.RequestsMock, sid: str = "SM" + "a" * 32) -> None:
    rsps.post(TWILIO_URL, status=201, json={
        "sid": sid, "status": "queued", "num_segments": "1", "to": MOBILE,
        "account_sid": ACCOUNT, "body": "..."})


def tick(at: datetime) -> Any:
    with time_machine.travel(at, tick=False):
        return reminders_tick(now=at)


@pytest.fixture
def overdue(make_invoice: Any) -> Any:
    def make(client: Any, days: int = 7) -> Any:
        return make_invoice(client, "927.31",
                            issue_date=NOW.date() - timedelta(days=30 + days))
    return make


def signed_post(client: Any, path: str, params: dict[str, str], *, token: str = TOKEN,
                tamper: bool = False, sign: bool = True) -> Any:
    signature = RequestValidator(token).compute_signature(f"{SITE}{path}", params)
    if tamper:
        params = {**params, "MessageStatus": "delivered"}
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if sign else {}
    return client.post(path, params, **headers)


# --- SMS out ---------------------------------------------------------------------------------

def test_sms_goes_through_twilio_with_a_status_callback(overdue, twilio, client):
    customer = ClientFactory(channel_preferences=["sms", "email"])
    overdue(customer)
    sms_ok(twilio)
    report = tick(NOW)
    assert report.sent == 1
    [call] = twilio.calls
    sent = parse_qs(call.request.body)
    assert sent["To"] == [MOBILE]
    assert sent["MessagingServiceSid"] == ["MG" + "1" * 32]
    assert sent["StatusCallback"] == [f"{SITE}/hooks/twilio/status/"]
    assert re.search(rf"{SITE}/p/[A-Za-z0-9_-]{{22}}/", sent["Body"][0])
    message = OutboundMessage.objects.get()
    assert (message.provider, message.provider_message_id, message.status, message.segments) == (
        "twilio", "SM" + "a" * 32, "queued", 1)
    assert sent["Body"] == [message.text]
    assert customer.interactions.filter(kind=InteractionKind.SMS_REMINDER).count() == 1
    assert mail.outbox == []


def test_21610_marks_the_number_opted_out_and_falls_back_to_email(overdue, twilio):
    customer = ClientFactory(channel_preferences=["sms", "email"])
    overdue(customer)
    twilio.post(TWILIO_URL, status=400, json={
        "code": 21610, "message": "Attempt to send to unsubscribed recipient",
        "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400})
    report = tick(NOW)
    assert (report.sent, report.fallbacks) == (0, 1)
    flag = ContactFlag.objects.get()
    assert (flag.channel, flag.value, flag.reason) == ("sms", MOBILE, "opted_out")
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.channel, reminder.failed_channels) == (
        "scheduled", "email", ["sms"])
    tick(NOW + timedelta(minutes=5))  # the same day, by email
    assert len(mail.outbox) == 1
    assert len(twilio.calls) == 1  # never texted again
    timeline = [i.summary for i in customer.interactions.order_by("occurred_at", "pk")]
    assert any("flagged: opted out" in s for s in timeline)
    assert any("Next: Email to" in s for s in timeline)


def test_twilio_outage_retries_without_duplicating(overdue, twilio):
    customer = ClientFactory(channel_preferences=["sms", "email"])
    overdue(customer)
    twilio.post(TWILIO_URL, status=503, json={"code": 20503, "message": "Service unavailable",
                                              "status": 503})
    tick(NOW)
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.channel) == ("scheduled", 1, "sms")
    assert not ContactFlag.objects.exists()
    twilio.replace(responses.POST, TWILIO_URL, status=201, json={
        "sid": "SM" + "b" * 32, "status": "queued", "num_segments": "1"})
    tick(NOW + timedelta(minutes=15))
    assert Reminder.objects.get().status == "sent"
    assert OutboundMessage.objects.count() == 1  # the failed attempt left no message behind
    assert len(twilio.calls) == 2


@pytest.mark.parametrize(("zone", "local", "allowed"), [
    ("Europe/Berlin", (7, 59), False), ("Europe/Berlin", (8, 0), True),
    ("Europe/Berlin", (20, 59), True), ("Europe/Berlin", (21, 0), False),
    ("America/New_York", (22, 30), False), ("Asia/Tokyo", (12, 0), True),
    ("Asia/Kolkata", (3, 15), False), ("Australia/Sydney", (8, 30), True),
])
def test_sms_quiet_hours_in_the_clients_time_zone(zone, local, allowed):
    tz = ZoneInfo(zone)
    now = datetime(2026, 3, 17, *local, tzinfo=tz)
    resume = planner.quiet_hours(now, zone)
    assert (resume is None) == allowed
    if resume is not None:
        assert resume.astimezone(tz).time().hour == 8 and resume > now
        assert resume - now <= timedelta(hours=11)


def test_sms_is_held_back_after_21_even_inside_configured_hours(overdue, twilio, settings):
    settings.SETTLE_BUSINESS_HOURS = ("08:00", "21:00")
    customer = ClientFactory(channel_preferences=["sms"], timezone="America/New_York",
                             country="US")
    overdue(customer)
    ny = ZoneInfo("America/New_York")
    tick(datetime(2026, 3, 17, 21, 5, tzinfo=ny))
    assert len(twilio.calls) == 0 and not OutboundMessage.objects.exists()
    reminder = Reminder.objects.get()
    assert reminder.scheduled_for.astimezone(ny) == datetime(2026, 3, 18, 8, 0, tzinfo=ny)
    sms_ok(twilio)
    tick(datetime(2026, 3, 18, 8, 0, tzinfo=ny))
    assert len(twilio.calls) == 1


# --- Twilio status callbacks -----------------------------------------------------------------

def _sent_sms(overdue: Any, twilio: responses.RequestsMock, prefs: list[str]) -> Any:
    customer = ClientFactory(channel_preferences=prefs)
    overdue(customer)
    sms_ok(twilio)
    tick(NOW)
    return customer, OutboundMessage.objects.get(channel="sms")


STATUS_PATH = "/hooks/twilio/status/"


def test_status_callback_signature_valid_tampered_missing(overdue, twilio, client):
    _customer, message = _sent_sms(overdue, twilio, ["sms", "email"])
    params = {"MessageSid": message.provider_message_id, "MessageStatus": "sent",
              "To": MOBILE, "AccountSid": ACCOUNT}
    assert signed_post(client, STATUS_PATH, params, tamper=True).status_code == 403
    assert signed_post(client, STATUS_PATH, params, sign=False).status_code == 403
    assert signed_post(client, STATUS_PATH, params, token="wrong").status_code == 403
    assert not MessageEvent.objects.exists()
    message.refresh_from_db()
    assert message.status == "queued"
    assert signed_post(client, STATUS_PATH, params).status_code == 204
    message.refresh_from_db()
    assert message.status == "sent"


def test_status_callbacks_are_idempotent_and_never_go_backwards(overdue, twilio, client):
    customer, message = _sent_sms(overdue, twilio, ["sms", "email"])
    sid = message.provider_message_id
    for status in ("sent", "delivered", "delivered", "sent"):  # a replay, then a late "sent"
        response = signed_post(client, STATUS_PATH, {"MessageSid": sid,
                                                     "MessageStatus": status, "To": MOBILE})
        assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == "delivered"
    assert MessageEvent.objects.filter(message=message).count() == 2
    updates = customer.interactions.filter(kind=InteractionKind.DELIVERY)
    assert sorted(u.summary for u in updates) == [f"SMS to {MOBILE}: delivered",
                                                  f"SMS to {MOBILE}: sent"]


def test_fallback_chain_email_then_sms_then_letter(overdue, twilio, client, settings):
    settings.ESP = "postmark"
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test", "WEBHOOK_SECRET": "hook:s3cret"}
    customer = ClientFactory(channel_preferences=["email", "sms", "letter"])
    invoice = overdue(customer)
    twilio.post("https://api.postmarkapp.com/email", json={
        "MessageID": "pm-1", "ErrorCode": 0, "Message": "OK", "To": customer.email})
    tick(NOW)
    email = OutboundMessage.objects.get(channel="email")
    assert email.provider_message_id == "pm-1"

    # 1. The email hard-bounces: the address is suppressed, the reminder goes by SMS today.
    response = postmark_hook(client, {
        "RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "ID": 42,
        "MessageID": "pm-1", "Email": customer.email, "BouncedAt": "2026-03-17T09:40:00Z",
        "Description": "The server was unable to deliver your message (ex: unknown user, "
                       "mailbox not found).", "Details": "smtp;550 5.1.1 unknown user",
        "Metadata": {"settle_message_id": str(email.pk)}})
    assert response.status_code == 200
    email.refresh_from_db()
    assert email.status == "bounced"
    assert ContactFlag.objects.get(channel="email").reason == "bounced"
    reminder = Reminder.objects.get(invoice=invoice)
    assert (reminder.status, reminder.channel) == ("scheduled", "sms")
    assert reminder.scheduled_for == datetime(2026, 3, 17, 9, 40, tzinfo=ZoneInfo("UTC"))
    sms_ok(twilio)
    tick(NOW + timedelta(minutes=15))  # the one-a-day rule ignores the bounced email
    sms = OutboundMessage.objects.get(channel="sms")

    # 2. The SMS is undeliverable (unknown number): flagged, on to a letter.
    signed_post(client, STATUS_PATH, {"MessageSid": sms.provider_message_id,
                                      "MessageStatus": "undelivered", "ErrorCode": "30005",
                                      "To": MOBILE})
    assert ContactFlag.objects.get(channel="sms").reason == "invalid"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel, reminder.failed_channels) == (
        "scheduled", "letter", ["email", "sms"])
    tick(NOW + timedelta(minutes=20))
    letter = OutboundMessage.objects.get(channel="letter")
    assert letter.status == "print_queue" and bytes(letter.document).startswith(b"%PDF")
    assert Reminder.objects.get(invoice=invoice).status == "sent"
    summaries = [i.summary for i in customer.interactions.filter(
        kind=InteractionKind.DELIVERY).order_by("occurred_at", "pk")]
    assert any(s.startswith("Email to") and "bounced" in s for s in summaries)
    assert any("Next: SMS to" in s for s in summaries)
    assert any("Next: Letter to" in s for s in summaries)

    # 3. Nothing is left when the letter comes back too: a person is told.
    from reminders.channels.events import record_event
    record_event(provider="print_queue", event_key="returned-1", event="undelivered",
                 occurred_at=NOW + timedelta(days=3), message=letter, why="returned to sender",
                 flag=None)
    reminder.refresh_from_db()
    assert reminder.status == "failed"
    task = Task.objects.get(client=customer, kind="no_channel")
    assert "No other channel" in task.script


# --- Inbound SMS -----------------------------------------------------------------------------

INBOUND_PATH = "/hooks/twilio/inbound/"


def inbound(client: Any, body: str, sid: str) -> Any:
    return signed_post(client, INBOUND_PATH, {"MessageSid": sid, "From": MOBILE,
                                              "To": "+4930123456", "Body": body})


def test_stop_opts_out_then_email_is_used_and_start_opts_back_in(overdue, twilio, client):
    customer = ClientFactory(channel_preferences=["sms", "email"])
    overdue(customer)
    response = inbound(client, " stop ", "SM" + "c" * 32)
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    flag = ContactFlag.objects.get(client=customer)
    assert (flag.channel, flag.reason) == ("sms", "opted_out")
    assert inbound(client, "STOP", "SM" + "c" * 32).status_code == 200  # replay: harmless
    assert ContactFlag.objects.count() == 1

    tick(NOW)
    assert len(twilio.calls) == 0  # no SMS to an opted-out number
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().channel == "email"

    inbound(client, "START", "SM" + "d" * 32)
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    summaries = [i.summary for i in customer.interactions.all()]
    assert any("flagged: opted out" in s for s in summaries)
    assert any("usable again" in s and "START" in s for s in summaries)


def test_help_answers_with_the_senders_name(client, settings):
    settings.SETTLE_SUPPORT_PHONE = "+49 30 1234567"
    response = inbound(client, "help", "SM" + "e" * 32)
    body = response.content.decode()
    assert "<Message>" in body and settings.SETTLE_BUSINESS_NAME in body
    assert "+49 30 1234567" in body and "STOP" in body


def test_other_replies_go_into_the_timeline(client):
    customer = ClientFactory()
    inbound(client, "Paid yesterday, check your account", "SM" + "f" * 32)
    note = customer.interactions.get(kind=InteractionKind.NOTE)
    assert note.summary == "SMS from the client: Paid yesterday, check your account"
    assert note.actor_label == "client"


def test_inbound_without_signature_is_rejected(client):
    ClientFactory()
    response = client.post(INBOUND_PATH, {"MessageSid": "SM1", "From": MOBILE, "Body": "STOP"})
    assert response.status_code == 403
    assert not ContactFlag.objects.exists()


# --- anymail tracking (Postmark) ------------------------------------------------------------

def postmark_hook(client: Any, payload: dict[str, Any], auth: str = "hook:s3cret") -> Any:
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()}
    return client.post("/anymail/postmark/tracking/", json.dumps(payload),
                       content_type="application/json", **headers)


@pytest.fixture
def emailed(overdue: Any) -> tuple[Any, OutboundMessage]:
    customer = ClientFactory(channel_preferences=["email", "sms"])
    overdue(customer)
    tick(NOW)
    return customer, OutboundMessage.objects.get(channel="email")


def test_tracking_webhook_requires_the_secret(client, emailed):
    customer, message = emailed
    payload = {"RecordType": "Delivery", "MessageID": message.provider_message_id,
               "Recipient": customer.email, "DeliveredAt": "2026-03-17T09:31:00Z",
               "Details": "OK", "Metadata": {"settle_message_id": str(message.pk)}}
    assert postmark_hook(client, payload, auth="hook:wrong").status_code in (400, 401, 403)
    assert not MessageEvent.objects.exists()
    assert postmark_hook(client, payload).status_code == 200
    message.refresh_from_db()
    assert message.status == "delivered"


def test_delivered_opened_clicked_recorded_once_each(client, emailed):
    customer, message = emailed
    base = {"MessageID": message.provider_message_id, "Recipient": customer.email,
            "Metadata": {"settle_message_id": str(message.pk)}}
    events = [{"RecordType": "Delivery", "DeliveredAt": "2026-03-17T09:31:00Z", **base},
              {"RecordType": "Open", "ReceivedAt": "2026-03-17T09:35:00Z", "FirstOpen": True,
               **base},
              {"RecordType": "Click", "ReceivedAt": "2026-03-17T09:36:00Z",
               "OriginalLink": f"{SITE}/pay/", **base}]
    for payload in events + events:  # every event delivered twice
        assert postmark_hook(client, payload).status_code == 200
    assert MessageEvent.objects.count() == 3
    message.refresh_from_db()
    assert message.status == "clicked"
    assert customer.interactions.filter(kind=InteractionKind.DELIVERY).count() == 3


def test_complaint_suppresses_the_address_until_a_bookkeeper_clears_it(client, emailed,
                                                                        twilio):
    customer, message = emailed
    postmark_hook(client, {
        "RecordType": "SpamComplaint", "Type": "SpamComplaint", "TypeCode": 512, "ID": 7,
        "MessageID": message.provider_message_id, "Email": customer.email,
        "BouncedAt": "2026-03-17T09:45:00Z", "Metadata": {"settle_message_id": str(message.pk)}})
    flag = ContactFlag.objects.get(client=customer)
    assert (flag.channel, flag.reason) == ("email", "complained")
    mail.outbox.clear()
    sms_ok(twilio)
    tick(NOW + timedelta(days=7))  # +14: by SMS now, the address is suppressed
    assert mail.outbox == []
    assert Reminder.objects.filter(channel="sms").exists()

    from clients.services import contact_flag_clear
    contact_flag_clear(flag=flag, actor=None, note="client asked to get email again")
    assert usable_channels(Client.objects.get(pk=customer.pk)) == ("email", "sms")


def test_soft_bounce_neither_flags_nor_falls_back(client, emailed):
    customer, message = emailed
    postmark_hook(client, {
        "RecordType": "Bounce", "Type": "SoftBounce", "TypeCode": 4096, "ID": 43,
        "MessageID": message.provider_message_id, "Email": customer.email,
        "BouncedAt": "2026-03-17T09:40:00Z", "Description": "Mailbox full",
        "Metadata": {"settle_message_id": str(message.pk)}})
    assert not ContactFlag.objects.exists()
    assert Reminder.objects.get().status == ReminderStatus.SENT
    assert MessageEvent.objects.get().event == "deferred"
