"""Provider webhooks under attack, and hard bounce / STOP honoured end to end.

Twilio (status callback and inbound SMS) with real ``X-Twilio-Signature`` values computed by
the twilio library, anymail's Postmark tracking webhook with its basic-auth secret; the
providers' APIs (Postmark, Twilio) are intercepted with ``responses`` so every message that
would leave is counted. (Stripe's webhook — tampered, stale, replayed — is
tests/checkout/test_webhook.py.)

Staleness: Twilio signs no timestamp, so a Twilio callback cannot be "too old"; what protects
against a replay is that each one is stored once (per MessageSid + status, inbound per
MessageSid) and acted on once — shown below with replays a month later. Anymail's Postmark
webhook carries no signature either, only the shared basic-auth secret.
"""

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import responses
import time_machine
from twilio.request_validator import RequestValidator

from clients.models import ContactFlag, InteractionKind
from reminders.models import MessageEvent, OutboundMessage, Reminder
from reminders.tick import reminders_tick
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 17, 10, 30, tzinfo=BERLIN)  # a Tuesday
SITE = "https://settle.example"
ACCOUNT = "AC" + "0" * 32
TOKEN = "twilio-auth-token"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
POSTMARK_URL = "https://api.postmarkapp.com/email"
HOOK_AUTH = "hook:s3cret"
MOBILE = "+4915123456789"
STATUS, INBOUND, TRACKING = ("/hooks/twilio/status/", "/hooks/twilio/inbound/",
                             "/anymail/postmark/tracking/")


@pytest.fixture(autouse=True)
def _providers(settings: Any) -> Iterator[responses.RequestsMock]:
    settings.SITE_URL = SITE
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT, TOKEN
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.ESP = "postmark"
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test", "WEBHOOK_SECRET": HOOK_AUTH}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as apis, \
            time_machine.travel(NOW, tick=False):
        apis.post(POSTMARK_URL, json={"MessageID": "pm-1", "ErrorCode": 0, "Message": "OK",
                                      "To": "ap@example.com"})
        apis.post(TWILIO_URL, status=201, json={"sid": "SM" + "a" * 32, "status": "queued",
                                                "num_segments": "1", "to": MOBILE})
        yield apis


def calls_to(apis: responses.RequestsMock, url: str) -> int:
    return sum(1 for call in apis.calls if call.request.url == url)


def tick(at: datetime) -> Any:
    with time_machine.travel(at, tick=False):
        return reminders_tick(now=at)


def twilio_post(client: Any, path: str, params: dict[str, str], *, signed_for: str = "",
                token: str = TOKEN, change: dict[str, str] | None = None,
                sign: bool = True) -> Any:
    """POST as Twilio would, signed for ``signed_for`` (default: this path) with ``token``;
    ``change`` alters parameters AFTER signing (a tampered request)."""
    url = f"{SITE}{signed_for or path}"
    signature = RequestValidator(token).compute_signature(url, params)
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if sign else {}
    return client.post(path, {**params, **(change or {})}, **headers)


def postmark_post(client: Any, payload: dict[str, Any], auth: str | None = HOOK_AUTH) -> Any:
    headers = {} if auth is None else {
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()}
    return client.post(TRACKING, json.dumps(payload), content_type="application/json",
                       **headers)


def hard_bounce(message: OutboundMessage, bounce_id: int = 42) -> dict[str, Any]:
    return {"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "ID": bounce_id,
            "MessageID": message.provider_message_id, "Email": message.to,
            "BouncedAt": "2026-03-17T09:40:00Z", "Description": "unknown user",
            "Details": "smtp;550 5.1.1 unknown user",
            "Metadata": {"settle_message_id": str(message.pk)}}


def fallbacks(customer: Any) -> int:
    return customer.interactions.filter(kind=InteractionKind.DELIVERY,
                                        summary__contains="Next:").count()


def test_anymail_tracking_rejects_bad_credentials_and_replays_are_idempotent(
        client, make_invoice, _providers, battery):
    customer = ClientFactory(channel_preferences=["email", "sms", "letter"])
    make_invoice(customer, "927.31", issue_date=NOW.date() - timedelta(days=37))
    tick(NOW)
    email = OutboundMessage.objects.get(channel="email")
    payload = hard_bounce(email)

    battery.tried("a Postmark hard-bounce webhook with no credentials, a wrong secret, the "
                  "right user with a wrong password")
    for auth in (None, "hook:wrong", "someone:s3cret", ""):
        assert postmark_post(client, payload, auth=auth).status_code in (400, 401, 403), auth
    assert not MessageEvent.objects.exists() and not ContactFlag.objects.exists()
    email.refresh_from_db()
    assert email.status != "bounced"
    battery.held("each refused (4xx); no event stored, no flag, the message status unchanged")

    battery.tried("the genuine bounce, then the same event replayed twice and once more a "
                  "month later")
    assert postmark_post(client, payload).status_code == 200
    assert postmark_post(client, payload).status_code == 200
    assert postmark_post(client, payload).status_code == 200
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        assert postmark_post(client, payload).status_code == 200
    assert MessageEvent.objects.count() == 1
    assert ContactFlag.objects.filter(channel="email", reason="bounced").count() == 1
    reminder = Reminder.objects.get()
    assert (reminder.channel, reminder.failed_channels) == ("sms", ["email"])
    assert fallbacks(customer) == 1
    battery.held("one event, one 'bounced' flag, one fallback to SMS in the timeline")

    battery.tried("a stale 'Delivery' event for the same message arriving after the bounce")
    assert postmark_post(client, {
        "RecordType": "Delivery", "MessageID": email.provider_message_id, "ID": 99,
        "Recipient": email.to, "DeliveredAt": "2026-03-17T09:31:00Z", "Details": "OK",
        "Metadata": {"settle_message_id": str(email.pk)}}).status_code == 200
    email.refresh_from_db()
    assert email.status == "bounced"
    battery.held("stored, but the message stays 'bounced' (statuses only move forward)")


def test_twilio_callbacks_tampered_misdirected_and_replayed(client, make_invoice, _providers,
                                                            battery):
    customer = ClientFactory(channel_preferences=["sms", "email", "letter"])
    make_invoice(customer, "927.31", issue_date=NOW.date() - timedelta(days=37))
    tick(NOW)
    sms = OutboundMessage.objects.get(channel="sms")
    undelivered = {"MessageSid": sms.provider_message_id, "MessageStatus": "undelivered",
                   "ErrorCode": "30005", "To": MOBILE, "AccountSid": ACCOUNT}

    battery.tried("status callbacks: parameters changed after signing, unsigned, signed with "
                  "another auth token, signed for the inbound URL; inbound STOP with the body "
                  "changed after signing ('HELLO' → 'STOP'), unsigned")
    bad = [
        twilio_post(client, STATUS, {**undelivered, "MessageStatus": "sent"},
                    change={"MessageStatus": "undelivered"}),
        twilio_post(client, STATUS, undelivered, sign=False),
        twilio_post(client, STATUS, undelivered, token="another-accounts-token"),
        twilio_post(client, STATUS, undelivered, signed_for=INBOUND),
        twilio_post(client, INBOUND, {"MessageSid": "SM" + "c" * 32, "From": MOBILE,
                                      "Body": "HELLO"}, change={"Body": "STOP"}),
        twilio_post(client, INBOUND, {"MessageSid": "SM" + "c" * 32, "From": MOBILE,
                                      "Body": "STOP"}, sign=False),
    ]
    assert [r.status_code for r in bad] == [403] * len(bad)
    assert not MessageEvent.objects.exists() and not ContactFlag.objects.exists()
    assert Reminder.objects.get().failed_channels == []
    battery.held("all 403; nothing stored, no flag, no fallback")

    battery.tried("the genuine 'undelivered' (30005) callback, replayed 3 times, once a month "
                  "later")
    for _ in range(3):
        assert twilio_post(client, STATUS, undelivered).status_code == 204
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        assert twilio_post(client, STATUS, undelivered).status_code == 204
    assert MessageEvent.objects.count() == 1
    assert ContactFlag.objects.filter(channel="sms", reason="invalid").count() == 1
    assert Reminder.objects.get().failed_channels == ["sms"] and fallbacks(customer) == 1
    battery.held("one event, one 'invalid' flag, one fallback (Twilio signs no timestamp: a "
                 "replay, however old, is recognised by MessageSid + status and changes "
                 "nothing)")


def test_a_replayed_stop_after_start_does_not_opt_out_again(client, battery):
    customer = ClientFactory(channel_preferences=["sms", "email"])
    stop = {"MessageSid": "SM" + "1" * 32, "From": MOBILE, "To": "+4930123456", "Body": "STOP"}
    battery.tried("STOP, then START, then the captured STOP request replayed a month later")
    assert twilio_post(client, INBOUND, stop).status_code == 200
    assert twilio_post(client, INBOUND, {**stop, "MessageSid": "SM" + "2" * 32,
                                         "Body": "START"}).status_code == 200
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        assert twilio_post(client, INBOUND, stop).status_code == 200
    flags = ContactFlag.objects.filter(client=customer, channel="sms")
    assert flags.count() == 1 and flags.get().cleared_at is not None
    battery.held("the number stays opted in: the replayed STOP was recognised by its "
                 "MessageSid and not acted on again")


def test_hard_bounce_and_stop_are_honoured_by_the_next_ticks(client, make_invoice, _providers,
                                                             battery):
    customer = ClientFactory(channel_preferences=["email", "sms", "letter"])
    make_invoice(customer, "927.31", issue_date=NOW.date() - timedelta(days=37))
    tick(NOW)
    email = OutboundMessage.objects.get(channel="email")
    battery.tried(f"the +7 reminder emailed to {email.to} hard-bounces; the SMS fallback goes "
                  f"out; {MOBILE} replies STOP; then every day's tick up to the +30 step")
    assert postmark_post(client, hard_bounce(email)).status_code == 200
    tick(NOW + timedelta(minutes=15))
    assert OutboundMessage.objects.filter(channel="sms").count() == 1
    assert twilio_post(client, INBOUND, {"MessageSid": "SM" + "9" * 32, "From": MOBILE,
                                         "To": "+4930123456", "Body": "stop"}).status_code == 200
    emails, texts = calls_to(_providers, POSTMARK_URL), calls_to(_providers, TWILIO_URL)
    assert (emails, texts) == (1, 1)
    for day in range(1, 24):
        tick(NOW + timedelta(days=day))
    assert calls_to(_providers, POSTMARK_URL) == 1, "emailed the bounced address again"
    assert calls_to(_providers, TWILIO_URL) == 1, "texted the number that replied STOP"
    letters = OutboundMessage.objects.filter(channel="letter")
    assert letters.exists() and all(m.to for m in letters)
    steps = sorted(Reminder.objects.filter(status="sent").values_list("step__offset_days",
                                                                      flat=True))
    assert steps[-1] >= 14
    assert set(Reminder.objects.filter(step__offset_days__gte=14).values_list(
        "channel", flat=True)) == {"letter"}
    battery.held(f"23 more ticks: 0 emails and 0 SMS after the bounce and the STOP; the later "
                 f"steps ({', '.join(f'+{s}' for s in steps[1:])}) went by letter")


def test_anymail_malformed_bodies_with_valid_credentials_are_400(client, make_invoice,
                                                                 _providers, settings, battery):
    settings.ANYMAIL = {**settings.ANYMAIL, "BREVO_API_KEY": "test"}
    customer = ClientFactory(channel_preferences=["email", "sms", "letter"])
    make_invoice(customer, "927.31", issue_date=NOW.date() - timedelta(days=37))
    tick(NOW)
    email = OutboundMessage.objects.get(channel="email")
    routes = ["/anymail/postmark/tracking/", "/anymail/sendgrid/tracking/",
              "/anymail/brevo/tracking/", "/anymail/mailjet/tracking/",
              "/anymail/postmark/inbound/", "/anymail/brevo/inbound/"]
    bodies = [json.dumps(hard_bounce(email))[:-7].encode(), b"\xff\xfe\x00garbage", b'"text"',
              b"null", b"42"]
    battery.tried(f"{len(bodies)} malformed bodies (truncated JSON, invalid UTF-8, a string, "
                  f"null, a number) with the right basic-auth secret to {len(routes)} anymail "
                  "tracking and inbound routes")
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(HOOK_AUTH.encode()).decode()}
    codes = {client.post(route, body, content_type="application/json", **auth).status_code
             for route in routes for body in bodies}
    assert codes == {400}
    assert not MessageEvent.objects.exists() and not ContactFlag.objects.exists()
    battery.held(f"all {len(routes) * len(bodies)} answered 400 (anymail alone answered 500); "
                 "nothing stored, no flag")

    battery.tried("then the genuine hard bounce")
    assert postmark_post(client, hard_bounce(email)).status_code == 200
    assert ContactFlag.objects.filter(channel="email", reason="bounced").count() == 1
    battery.held("200, one flag: the route still works")


def test_soft_bounces_from_three_esps_neither_flag_nor_fall_back(client, make_invoice,
                                                                _providers, battery):
    customer = ClientFactory(channel_preferences=["email", "sms", "letter"])
    make_invoice(customer, "927.31", issue_date=NOW.date() - timedelta(days=37))
    tick(NOW)
    email = OutboundMessage.objects.get(channel="email")
    meta = {"settle_message_id": str(email.pk)}
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(HOOK_AUTH.encode()).decode()}
    soft = {  # the ESPs' soft-bounce events (shapes as in anymail's webhook tests)
        "postmark": {**hard_bounce(email), "Type": "SoftBounce", "TypeCode": 4096},
        "sendgrid": [{"event": "bounce", "type": "blocked", "email": email.to,
                      "timestamp": 1773740000, "sg_event_id": "sg-blocked-1",
                      "anymail_id": email.provider_message_id,
                      "reason": "421 4.7.0 try again later", **meta}],
        "brevo": {"event": "soft_bounce", "email": email.to, "ts_epoch": 1773740000000,
                  "message-id": email.provider_message_id,
                  "X-Mailin-custom": json.dumps(meta), "reason": "mailbox full"},
    }
    battery.tried("a Postmark SoftBounce, a SendGrid bounce of type 'blocked', a Brevo "
                  "soft_bounce for the emailed reminder, each posted twice")
    for esp, payload in soft.items():
        for _ in range(2):
            assert client.post(f"/anymail/{esp}/tracking/", json.dumps(payload),
                               content_type="application/json", **auth).status_code == 200
    assert sorted(MessageEvent.objects.values_list("event", flat=True)) == ["deferred"] * 3
    assert not ContactFlag.objects.exists() and fallbacks(customer) == 0
    reminder = Reminder.objects.get()
    assert (reminder.channel, reminder.failed_channels) == ("email", [])
    battery.held("3 events (one per ESP), each 'deferred'; no flag, no fallback")
