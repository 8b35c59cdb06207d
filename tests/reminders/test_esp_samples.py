"""The ESPs' own sample events through Settle's real tracking URLs: a permanent bounce flags the
address and falls back once; a soft one (deferred) changes nothing; a re-post is recorded once.

The payloads are those django-anymail's webhook tests quote (tests/test_postmark_webhooks.py,
test_mailgun_webhooks.py, test_sendgrid_webhooks.py, test_brevo_webhooks.py,
test_amazon_ses_webhooks.py), themselves the ESPs' documented or captured events. Where a
sample exists only for one kind of bounce, the other is the same sample with the one field the
ESP documents for it changed (named at each such sample). Authentication is the real one:
``ANYMAIL_WEBHOOK_SECRET`` as basic auth, and Mailgun's HMAC signature on top.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.models import ContactFlag, InteractionKind
from reminders.models import MessageEvent, OutboundMessage, Reminder
from reminders.tick import reminders_tick
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 17, 10, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # a Tuesday
SECRET = "hook:s3cret"
MAILGUN_KEY = "TEST_WEBHOOK_SIGNING_KEY"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> Iterator[None]:
    settings.SITE_URL = "https://settle.example"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
                        "BREVO_API_KEY": "test"}  # Brevo's inbound view needs its API key
    with time_machine.travel(NOW, tick=False):
        yield


# --- the samples -----------------------------------------------------------------------------

# anymail tests/test_postmark_webhooks.py, test_bounce_event
POSTMARK_HARD = {
    "RecordType": "Bounce", "ID": 901542550, "Type": "HardBounce", "TypeCode": 1,
    "ServerID": 23, "Name": "Hard bounce", "MessageID": "2706ee8a-737c-4285-b032-ccd317af53ed",
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox "
                   "not found).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "bounce@example.com", "From": "sender@example.com",
    "BouncedAt": "2016-04-27T16:28:50.3963933-04:00", "DumpAvailable": True, "Inactive": True,
    "CanActivate": True, "Subject": "Postmark event test", "Content": "...",
}
# The same with Postmark's documented soft-bounce type (TypeCode 4096, "SoftBounce").
POSTMARK_SOFT = {**POSTMARK_HARD, "Type": "SoftBounce", "TypeCode": 4096, "Name": "Soft bounce",
                 "Inactive": False}
# anymail tests/test_postmark_webhooks.py, test_unsubscribe and test_resubscribe
POSTMARK_UNSUBSCRIBE = {
    "RecordType": "SubscriptionChange", "MessageID": "a4909a96-73d7-4c49-b148-a54522d3f7ac",
    "ServerID": 23, "MessageStream": "outbound", "ChangedAt": "2022-06-05T17:17:32Z",
    "Recipient": "john@example.com", "Origin": "Recipient", "SuppressSending": True,
    "SuppressionReason": "ManualSuppression", "Tag": "welcome-email",
    "Metadata": {"example": "value", "example_2": "value"},
}
POSTMARK_RESUBSCRIBE = {**POSTMARK_UNSUBSCRIBE, "SuppressSending": False,
                        "SuppressionReason": None}

# anymail tests/test_mailgun_webhooks.py, test_failed_permanent_event / _temporary_event
MAILGUN_PERMANENT = {"event-data": {
    "event": "failed", "severity": "permanent", "reason": "bounce",
    "recipient": "invalid@example.com", "timestamp": 1534110422.389832, "log-level": "error",
    "message": {"headers": {"to": "invalid@example.com",
                            "message-id": "20180812214658.1.0DF563D0B3597700@example.org",
                            "from": "Test Sender "}},
    "delivery-status": {
        "tls": True, "mx-host": "aspmx.l.example.org", "attempt-no": 1, "description": "",
        "session-seconds": 2.952177047729492, "utf8": True, "code": 550,
        "message": "5.1.1 The email account that you tried to reach does not exist. Please "
                   "try\n5.1.1 double-checking the recipient's email address for typos",
        "certificate-verified": True}}}
MAILGUN_TEMPORARY = {"event-data": {
    "event": "failed", "severity": "temporary", "reason": "generic",
    "timestamp": 1534111899.659519, "log-level": "warn",
    "message": {"headers": {"to": "undeliverable@nomx.example.com",
                            "message-id": "20180812214638.1.4A7D468E9BC18C5D@example.org",
                            "from": "Test Sender ", "subject": "Testing"}},
    "recipient": "undeliverable@nomx.example.com",
    "delivery-status": {"attempt-no": 3, "description": "No MX for nomx.example.com",
                        "session-seconds": 0.0, "retry-seconds": 1800, "code": 498,
                        "message": "No MX for nomx.example.com"}}}
# anymail tests/test_mailgun_webhooks.py, test_delivered_event ("an actual, complete
# (sanitized) delivered event as received from Mailgun")
MAILGUN_DELIVERED = {"event-data": {
    "tags": [], "timestamp": 1534108637.153125,
    "storage": {"url": "https://sw.api.mailgun.net/v3/domains/example.org/messages/eyJwI...",
                "key": "eyJwI..."},
    "recipient-domain": "example.com", "id": "hTWCTD81RtiDN-...", "campaigns": [],
    "user-variables": {},
    "flags": {"is-routed": False, "is-authenticated": True, "is-system-test": False,
              "is-test-mode": False},
    "log-level": "info",
    "envelope": {"sending-ip": "333.123.123.200", "sender": "test@example.org",
                 "transport": "smtp", "targets": "recipient@example.com"},
    "message": {"headers": {"to": "recipient@example.com",
                            "message-id": "20180812211713.1.DF5966851B4BAA99@example.org",
                            "from": "test@example.org", "subject": "Testing"},
                "attachments": [], "size": 809},
    "recipient": "recipient@example.com", "event": "delivered",
    "delivery-status": {"tls": True, "mx-host": "smtp-in.example.com", "attempt-no": 1,
                        "description": "", "session-seconds": 3.5700838565826416,
                        "utf8": True, "code": 250, "message": "OK",
                        "certificate-verified": True}}}

# anymail tests/test_sendgrid_webhooks.py, test_bounce_event
SENDGRID_BOUNCE = {
    "ip": "167.89.17.173", "status": "5.1.1",
    "smtp-id": "<wrfRRvF7Q0GgwUo2CvDmEA@ismtpd0006p1sjc2.sendgrid.net>",
    "sg_event_id": "lC0Rc-FuQmKbnxCWxX1jRQ",
    "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
    "sg_message_id": "Lli-03HcQ5-JLybO9fXsJg.filter0077p1las1.21536.5717FC482.0", "tls": 1,
    "event": "bounce", "email": "noreply@example.com", "timestamp": 1461095250,
    "anymail_id": "de212213-bb66-4302-8f3f-20acdb7a104e", "type": "bounce",
}
# The same with SendGrid's documented "blocked" type (a temporary refusal by the receiver).
SENDGRID_BLOCKED = {**SENDGRID_BOUNCE, "type": "blocked"}

# anymail tests/test_brevo_webhooks.py, test_hard_bounce / test_soft_bounce_event
BREVO_HARD = {
    "event": "hard_bounce", "email": "not-a-user@example.com", "ts_epoch": 1520363423000,
    "message-id": "<201803011158.9876543210@smtp-relay.mailin.fr>",
    "reason": " RecipientError: 550 5.5.0 Requested action not taken: mailbox unavailable.",
    "tag": "header-tag",
}
BREVO_SOFT = {
    "event": "soft_bounce", "email": "recipient@no-mx.example.com", "ts_epoch": 1520363423000,
    "message-id": "<201803011158.9876543210@smtp-relay.mailin.fr>",
    "reason": "undefined Unable to find MX of domain no-mx.example.com",
}

# anymail tests/test_amazon_ses_webhooks.py, test_bounce_event (AWS's documented example:
# docs.aws.amazon.com/ses/latest/DeveloperGuide/notification-examples.html)
SES_PERMANENT = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent", "reportingMTA": "dns; email.example.com",
        "bouncedRecipients": [{
            "emailAddress": "jane@example.com", "status": "5.1.1", "action": "failed",
            "diagnosticCode": "smtp; 550 5.1.1 <jane@example.com>... User unknown"}],
        "bounceSubType": "General", "timestamp": "2016-01-27T14:59:44.101Z",
        "feedbackId": "00000138111222aa-44455566-cccc-cccc-cccc-ddddaaaa068a-000000",
        "remoteMtaIp": "127.0.2.0"},
    "mail": {
        "timestamp": "2016-01-27T14:59:38.237Z", "source": "john@example.com",
        "sourceArn": "arn:aws:ses:us-west-2:888888888888:identity/example.com",
        "sourceIp": "127.0.3.0", "sendingAccountId": "123456789012",
        "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
        "destination": ["jane@example.com", "mary@example.com", "richard@example.com"],
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": '"John Doe" <john@example.com>'},
            {"name": "To", "value": '"Jane Doe" <jane@example.com>, "Mary Doe" '
                                    '<mary@example.com>, "Richard Doe" <richard@example.com>'},
            {"name": "Message-ID", "value": "custom-message-ID"},
            {"name": "Subject", "value": "Hello"},
            {"name": "Content-Type", "value": 'text/plain; charset="UTF-8"'},
            {"name": "Content-Transfer-Encoding", "value": "base64"},
            {"name": "Date", "value": "Wed, 27 Jan 2016 14:05:45 +0000"},
            {"name": "X-Tag", "value": "tag 1"}, {"name": "X-Tag", "value": "tag 2"},
            {"name": "X-Metadata", "value": '{"meta1":"string","meta2":2}'}],
        "commonHeaders": {
            "from": ["John Doe <john@example.com>"], "date": "Wed, 27 Jan 2016 14:05:45 +0000",
            "to": ["Jane Doe <jane@example.com>, Mary Doe <mary@example.com>, Richard Doe "
                   "<richard@example.com>"],
            "messageId": "custom-message-ID", "subject": "Hello"}},
}
# The same with SES's documented transient bounce type and subtype.
SES_TRANSIENT = copy.deepcopy(SES_PERMANENT)
SES_TRANSIENT["bounce"].update(bounceType="Transient", bounceSubType="MailboxFull")


def sns(ses_event: dict[str, Any]) -> dict[str, Any]:
    """The SNS notification that carries an SES event (anymail's test_bounce_event)."""
    return {
        "Type": "Notification", "MessageId": "19ba9823-d7f2-53c1-860e-cb10e0d13dfc",
        "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event) + "\n", "Timestamp": "2018-03-26T17:58:59.675Z",
        "SignatureVersion": "1", "Signature": "EXAMPLE-SIGNATURE==",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/"
                          "SimpleNotificationService-12345abcde.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&"
                          "SubscriptionArn=arn...",
    }


# --- posting them as the ESP would ------------------------------------------------------------

def mailgun_signed(payload: dict[str, Any], token: str) -> dict[str, Any]:
    """Mailgun's signature block: HMAC-SHA256(signing key, timestamp + token)."""
    signed = copy.deepcopy(payload)
    timestamp = str(int(float(signed["event-data"]["timestamp"])))
    signed["signature"] = {"timestamp": timestamp, "token": token, "signature": hmac.new(
        MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()}
    return signed


def post(client: Any, esp: str, payload: Any, *, attempt: int = 0) -> Any:
    """POST ``payload`` to ``esp``'s tracking URL; ``attempt`` > 0 is the ESP's retry (Mailgun
    signs each attempt with a fresh token)."""
    url = f"/anymail/{esp}/tracking/"
    if esp == "amazon_ses":
        message = sns(payload)
        return client.post(url, json.dumps(message), content_type="text/plain; charset=UTF-8",
                           HTTP_X_AMZ_SNS_MESSAGE_ID=message["MessageId"],
                           HTTP_X_AMZ_SNS_MESSAGE_TYPE=message["Type"], **AUTH)
    if esp == "mailgun":
        payload = mailgun_signed(payload, token=f"{attempt:02d}" * 25)
    if esp == "sendgrid":
        payload = [payload]  # SendGrid posts a batch
    return client.post(url, json.dumps(payload), content_type="application/json", **AUTH)


@dataclass
class Sample:
    esp: str
    payload: dict[str, Any]
    to: str  # the recipient in the sample
    message_id: str  # the provider's message id as anymail reports it
    permanent: bool


SAMPLES = {
    "postmark-hard": Sample("postmark", POSTMARK_HARD, "bounce@example.com",
                            POSTMARK_HARD["MessageID"], True),
    "postmark-soft": Sample("postmark", POSTMARK_SOFT, "bounce@example.com",
                            POSTMARK_HARD["MessageID"], False),
    "mailgun-permanent": Sample("mailgun", MAILGUN_PERMANENT, "invalid@example.com",
                                "<20180812214658.1.0DF563D0B3597700@example.org>", True),
    "mailgun-temporary": Sample("mailgun", MAILGUN_TEMPORARY, "undeliverable@nomx.example.com",
                                "<20180812214638.1.4A7D468E9BC18C5D@example.org>", False),
    "sendgrid-bounce": Sample("sendgrid", SENDGRID_BOUNCE, "noreply@example.com",
                              SENDGRID_BOUNCE["anymail_id"], True),
    "sendgrid-blocked": Sample("sendgrid", SENDGRID_BLOCKED, "noreply@example.com",
                               SENDGRID_BOUNCE["anymail_id"], False),
    "brevo-hard_bounce": Sample("brevo", BREVO_HARD, "not-a-user@example.com",
                                BREVO_HARD["message-id"], True),
    "brevo-soft_bounce": Sample("brevo", BREVO_SOFT, "recipient@no-mx.example.com",
                                BREVO_SOFT["message-id"], False),
    "amazon_ses-Permanent": Sample("amazon_ses", SES_PERMANENT, "jane@example.com",
                                   SES_PERMANENT["mail"]["messageId"], True),
    "amazon_ses-Transient": Sample("amazon_ses", SES_TRANSIENT, "jane@example.com",
                                   SES_PERMANENT["mail"]["messageId"], False),
}


def emailed(make_invoice: Any, settings: Any, esp: str, to: str,
            message_id: str) -> tuple[Any, OutboundMessage]:
    """A client at the sample's address, its +7 reminder emailed through ``esp`` (the test
    settings' in-memory backend) under the sample's message id."""
    settings.ESP = esp
    customer = ClientFactory(email=to, channel_preferences=["email", "letter"])
    make_invoice(customer, "927.31", issue_date=NOW.date() - timedelta(days=37))
    with time_machine.travel(NOW, tick=False):
        reminders_tick(now=NOW)
    message = OutboundMessage.objects.get(channel="email")
    OutboundMessage.objects.filter(pk=message.pk).update(provider_message_id=message_id)
    message.refresh_from_db()
    return customer, message


@pytest.mark.parametrize("name", list(SAMPLES))
def test_an_esp_bounce_sample_has_its_effect_exactly_once(name, client, make_invoice,
                                                          settings):
    sample = SAMPLES[name]
    customer, message = emailed(make_invoice, settings, sample.esp, sample.to,
                                sample.message_id)
    before = message.status  # "accepted": handed to the ESP
    for attempt in range(3):  # the event, then the ESP's retries of it
        assert post(client, sample.esp, sample.payload, attempt=attempt).status_code == 200

    event = MessageEvent.objects.get()
    assert (event.message, event.recipient) == (message, sample.to)
    message.refresh_from_db()
    reminder = Reminder.objects.get()
    flags = ContactFlag.objects.filter(client=customer, channel="email")
    fell_back = customer.interactions.filter(kind=InteractionKind.DELIVERY,
                                             summary__contains="Next:")
    if sample.permanent:
        assert event.event == "bounced" and message.status == "bounced"
        assert [(f.reason, f.value) for f in flags] == [("bounced", sample.to)]
        assert (reminder.channel, reminder.failed_channels) == ("letter", ["email"])
        assert fell_back.count() == 1
    else:
        assert event.event == "deferred" and event.detail.get("soft") is True
        assert message.status == before
        assert not flags.exists()
        assert (reminder.channel, reminder.failed_channels) == ("email", [])
        assert not fell_back.exists()


def test_a_re_signed_mailgun_retry_is_one_event(client, make_invoice, settings):
    """anymail's event_id for Mailgun is the signature token, new on every attempt: the
    event is known by Mailgun's own event-data.id."""
    _, message = emailed(make_invoice, settings, "mailgun", "recipient@example.com",
                         "<20180812211713.1.DF5966851B4BAA99@example.org>")
    for attempt in range(3):
        assert post(client, "mailgun", MAILGUN_DELIVERED, attempt=attempt).status_code == 200
    event = MessageEvent.objects.get()
    assert event.event_key.startswith("hTWCTD81RtiDN-...@")
    message.refresh_from_db()
    assert message.status == "delivered"


def test_a_ses_notification_is_one_event_per_bounced_recipient(client, make_invoice,
                                                               settings):
    """One SNS MessageId covers every recipient of an SES notification (anymail's
    test_multiple_bounce_event): each recipient's event is its own."""
    _, message = emailed(make_invoice, settings, "amazon_ses", "jane@example.com",
                         "00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000")
    both = {"notificationType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                       "bouncedRecipients": [{"emailAddress": "jane@example.com"},
                                             {"emailAddress": "richard@example.com"}]},
            "mail": {"messageId": "00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924"
                                  "-000000",
                     "destination": ["jane@example.com", "mary@example.com",
                                     "richard@example.com"]}}
    for _ in range(2):
        assert post(client, "amazon_ses", both).status_code == 200
    assert sorted(MessageEvent.objects.values_list("recipient", flat=True)) == [
        "jane@example.com", "richard@example.com"]
    assert {e.message for e in MessageEvent.objects.all()} == {message}


def test_postmark_resubscribe_clears_the_unsubscribe_flag(client, make_invoice, settings):
    customer, _ = emailed(make_invoice, settings, "postmark", "john@example.com",
                          POSTMARK_UNSUBSCRIBE["MessageID"])
    assert post(client, "postmark", POSTMARK_UNSUBSCRIBE).status_code == 200
    flag = ContactFlag.objects.get(client=customer, channel="email")
    assert (flag.reason, flag.value, flag.cleared_at) == ("complained", "john@example.com",
                                                          None)

    for _ in range(2):
        assert post(client, "postmark", POSTMARK_RESUBSCRIBE).status_code == 200
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    assert customer.interactions.filter(summary__contains="subscribed again").count() == 1

    # the unsubscribe replayed after the resubscribe: recognised, not acted on again
    assert post(client, "postmark", POSTMARK_UNSUBSCRIBE).status_code == 200
    assert not ContactFlag.objects.filter(client=customer, cleared_at__isnull=True).exists()
    assert list(MessageEvent.objects.order_by("id").values_list("event", flat=True)) == [
        "complained", "subscribed"]


def test_resubscribe_leaves_a_bounce_flag_alone(client, make_invoice, settings):
    customer, _ = emailed(make_invoice, settings, "postmark", "john@example.com",
                          POSTMARK_UNSUBSCRIBE["MessageID"])
    bounce = {**POSTMARK_HARD, "Email": "john@example.com",
              "MessageID": POSTMARK_UNSUBSCRIBE["MessageID"]}
    assert post(client, "postmark", bounce).status_code == 200
    assert post(client, "postmark", POSTMARK_RESUBSCRIBE).status_code == 200
    flag = ContactFlag.objects.get(client=customer)
    assert (flag.reason, flag.cleared_at) == ("bounced", None)


@pytest.mark.parametrize("path", [
    "/anymail/postmark/tracking/", "/anymail/sendgrid/tracking/", "/anymail/brevo/tracking/",
    "/anymail/mailjet/tracking/", "/anymail/sparkpost/tracking/",
    "/anymail/postmark/inbound/", "/anymail/brevo/inbound/", "/anymail/mailjet/inbound/",
    "/anymail/sparkpost/inbound/"])
@pytest.mark.parametrize("body", ['{"RecordType": "Bounce", ', "\xff\xfe not json",
                                  '"a string"', "null", "42"])
def test_a_malformed_body_with_valid_auth_is_400(client, path, body):
    response = client.post(path, body.encode("latin-1"), content_type="application/json",
                           **AUTH)
    assert response.status_code == 400, (path, body, response.status_code)
    assert not MessageEvent.objects.exists()


def test_malformed_bodies_on_signed_and_form_routes_are_400(client):
    mailgun = client.post("/anymail/mailgun/tracking/", b"{not json",
                          content_type="application/json", **AUTH)
    ses = client.post("/anymail/amazon_ses/tracking/", b"{not json", content_type="text/plain",
                      HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
                      HTTP_X_AMZ_SNS_MESSAGE_ID="1", **AUTH)
    mailgun_inbound = client.post("/anymail/mailgun/inbound/", {"nothing": "useful"}, **AUTH)
    assert [r.status_code for r in (mailgun, ses, mailgun_inbound)] == [400, 400, 400]


def test_an_error_in_settles_own_handling_is_still_a_500(client, monkeypatch):
    """Only a body anymail cannot read is 400: a failure after it (recording the event) stays
    an error, so the ESP retries."""
    import reminders.channels.email as email

    def broken(event: Any, esp_name: str) -> None:
        raise ValueError("database says no")

    monkeypatch.setattr(email, "handle_tracking", broken)
    with pytest.raises(ValueError, match="database says no"):
        post(client, "postmark", POSTMARK_HARD)
