"""Twilio's keywords as Twilio documents them (issue 17, item 5), and webhook routes that answer
without their trailing slash (item 6).

- Default opt-out words STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT and opt-in
  words START, YES, UNSTOP act only when they are the whole message (any case, spaces around),
  https://help.twilio.com/articles/223134027 ; "STOP please" is an ordinary message.
- With Advanced Opt-Out, Twilio adds ``OptOutType`` (STOP, START or HELP) to the inbound
  webhook: it is the truth when present (the admin's own words, in any language).
- HELP answers with the business name and how to reach a person, never the raw From header.

Every request is signed with twilio-python's own ``RequestValidator`` for the URL it is posted
to, as Twilio signs the URL it was configured with.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from twilio.request_validator import RequestValidator

from checkout.testing import signed_webhook
from clients.business_cache import cache_key
from clients.models import BusinessProfile, ContactFlag, InteractionKind
from reminders.channels.sms import help_text, keyword_kind
from reminders.models import MessageEvent
from tests.factories import ClientFactory
from work.models import Task, TaskKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

SITE = "https://settle.example"
TOKEN = "twilio-auth-token"
MOBILE = "+4915123456789"
INBOUND = "/hooks/twilio/inbound/"
OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
OPT_IN = ["START", "YES", "UNSTOP"]


@pytest.fixture(autouse=True)
def _twilio(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32


@pytest.fixture
def customer() -> Any:
    return ClientFactory(mobile_phone=MOBILE, channel_preferences=["sms", "email"])


_sids = iter(range(1, 1_000_000))


def text_in(client: Any, body: str, *, path: str = INBOUND, **extra: str) -> Any:
    """An inbound SMS as Twilio posts it, signed for ``path``."""
    params = {"MessageSid": f"SM{next(_sids):032d}", "AccountSid": "AC" + "0" * 32,
              "MessagingServiceSid": "MG" + "1" * 32, "From": MOBILE, "To": "+4930123456",
              "Body": body, "NumMedia": "0", **extra}
    signature = RequestValidator(TOKEN).compute_signature(f"{SITE}{path}", params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def opted_out() -> bool:
    return ContactFlag.objects.filter(channel="sms", value=MOBILE, reason="opted_out",
                                      cleared_at__isnull=True).exists()


def replies(customer: Any) -> int:
    return customer.interactions.filter(kind=InteractionKind.NOTE,
                                        metadata__has_key="reply").count()


@pytest.mark.parametrize("word", OPT_OUT)
@pytest.mark.parametrize("spelled", [str.upper, str.lower, str.title,
                                     lambda w: f"  {w.lower()}\n"])
def test_every_default_opt_out_word_opts_out(client, customer, word, spelled):
    response = text_in(client, spelled(word))
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert opted_out()
    assert replies(customer) == 0 and not Task.objects.exists()  # a keyword, not a reply


@pytest.mark.parametrize("word", OPT_IN)
def test_every_default_opt_in_word_clears_the_opt_out(client, customer, word):
    text_in(client, "revoke")
    assert opted_out()
    text_in(client, f" {word.lower()} ")
    assert not opted_out()
    flag = ContactFlag.objects.get()
    assert flag.cleared_at is not None
    assert any(word in i.summary for i in customer.interactions.all())


@pytest.mark.parametrize("body", ["STOP please", "please cancel", "Stop sending these!",
                                  "END OF MONTH", "yes we will pay"])
def test_a_keyword_inside_a_sentence_is_an_ordinary_reply(client, customer, body):
    text_in(client, body)
    assert not opted_out()
    assert replies(customer) == 1
    assert Task.objects.filter(kind=TaskKind.REPLY).count() == 1


def test_yes_from_a_number_that_never_opted_out_is_a_reply(client, customer):
    text_in(client, "Yes")
    assert not opted_out() and replies(customer) == 1


@pytest.mark.parametrize(("body", "declared", "opted"), [
    ("PARAR", "STOP", True),  # Advanced Opt-Out: the admin added a Spanish opt-out word
    ("Bitte keine SMS mehr", "STOP", True),
    ("stop", "stop", True),
])
def test_opt_out_type_stop_is_the_truth(client, customer, body, declared, opted):
    text_in(client, body, OptOutType=declared)
    assert opted_out() is opted
    assert replies(customer) == 0


def test_opt_out_type_start_opts_back_in_with_any_word(client, customer):
    text_in(client, "STOP")
    text_in(client, "ALTA", OptOutType="START")
    assert not opted_out()


def test_opt_out_type_help_answers_with_help(client, customer, settings):
    settings.SETTLE_SUPPORT_PHONE = "+49 30 1234567"
    body = text_in(client, "AYUDA", OptOutType="HELP").content.decode()
    assert "<Message>" in body and "+49 30 1234567" in body
    assert replies(customer) == 0


def test_an_empty_opt_out_type_falls_back_to_the_default_words(client, customer):
    text_in(client, "Quit", OptOutType="")
    assert opted_out()


@pytest.mark.parametrize(("body", "declared", "kind"), [
    ("STOP", "", "STOP"), (" optout ", "", "STOP"), ("Revoke", "", "STOP"),
    ("yes", "", "START"), ("UnStop", "", "START"), ("help", "", "HELP"), ("INFO", "", "HELP"),
    ("STOP ALL", "", ""), ("stop.", "", ""), ("", "", ""),
    ("PARAR", "STOP", "STOP"), ("YES", "HELP", "HELP"), ("CANCEL", "START", "START"),
    ("cancel", "something-new", "STOP"),
])
def test_keyword_kind(body, declared, kind):
    assert keyword_kind(body, declared) == kind


def test_help_names_the_business_and_its_contact_never_the_raw_from_header(client, customer,
                                                                          settings):
    settings.DEFAULT_FROM_EMAIL = "Settle <billing@settle.invalid>"
    settings.SETTLE_SUPPORT_PHONE = "+49 30 1234567"
    body = text_in(client, "HELP").content.decode()
    assert settings.SETTLE_BUSINESS_NAME in body
    assert "+49 30 1234567 · billing@settle.invalid" in body
    assert "&lt;" not in body and "<billing" not in body and "Settle &lt;" not in body
    assert "Reply STOP" in body


def test_help_uses_the_business_profile(client, customer):
    BusinessProfile.objects.create(name="Bäckerei Weber GmbH", support_phone="+49 89 555",
                                   from_email='"Weber Billing" <rechnung@weber.example>')
    cache.delete(cache_key())
    text = help_text()
    assert text.startswith("Bäckerei Weber GmbH: payment reminders.")
    assert "+49 89 555 · rechnung@weber.example" in text and "Weber Billing" not in text


# --- routes without the trailing slash ------------------------------------------------------

def test_twilio_inbound_without_the_slash_is_served_not_redirected(client, customer):
    response = text_in(client, "UNSUBSCRIBE", path=INBOUND.rstrip("/"))
    assert response.status_code == 200
    assert opted_out()


def test_twilio_status_without_the_slash_is_served(client):
    params = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered", "To": MOBILE}
    path = "/hooks/twilio/status"
    signature = RequestValidator(TOKEN).compute_signature(f"{SITE}{path}", params)
    assert client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    assert MessageEvent.objects.filter(provider="twilio").count() == 1
    # signed for the other spelling: refused, not redirected
    wrong = RequestValidator(TOKEN).compute_signature(f"{SITE}{path}/", params)
    assert client.post(path, params, HTTP_X_TWILIO_SIGNATURE=wrong).status_code == 403


def test_stripe_without_the_slash_is_served(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_settle"
    body, header = signed_webhook({"id": "evt_slash", "object": "event", "type": "ping",
                                   "data": {"object": {}}}, "whsec_test_settle")
    response = client.post("/hooks/stripe", body, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/anymail/postmark/tracking", "/anymail/mailgun/inbound_mime",
                                  "/anymail/sendgrid/inbound", "/hooks/stripe",
                                  "/hooks/twilio/inbound", "/hooks/twilio/status"])
def test_no_webhook_route_redirects(client, path):
    response = client.post(path, "{}", content_type="application/json")
    assert response.status_code not in (301, 302, 308, 404)
