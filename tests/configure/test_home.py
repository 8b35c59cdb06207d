"""The configure home: sections, provider status (configured, last event, last error) and the
last 20 audit entries."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from answers.models import PortalSettings
from checkout.models import CheckoutSession, StripeEvent
from reminders.models import MessageEvent, OutboundMessage

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def _providers(response):
    return {row["integration"].key: row for row in response.context["providers"]}


def test_home_links_every_section(admin):
    page = admin.get(reverse("configure:home")).content.decode()
    for name in ("cadences", "templates", "terms", "business"):
        assert f'href="{reverse(f"configure:{name}")}"' in page


def test_nothing_configured_and_nothing_received(admin):
    providers = _providers(admin.get(reverse("configure:home")))
    assert [p["integration"].enabled for p in providers.values()] == [False, False, False]
    assert all(p["last_event"] is None and p["last_error"] is None for p in providers.values())


def test_provider_status_shows_recorded_events_and_the_last_failure(admin, client_de,
                                                                    settings):
    settings.ESP = "postmark"
    message = OutboundMessage.objects.create(
        client=client_de, channel="email", language="de", to="ap@example.com", subject="Hi",
        text="Hi", provider="postmark", provider_message_id="pm-1", status="bounced",
        status_detail="Hard bounce: mailbox unknown")
    at = datetime(2026, 3, 16, 9, 15, tzinfo=UTC)
    MessageEvent.objects.create(message=message, provider="postmark", event_key="pm-e1",
                                event="bounced", occurred_at=at)
    MessageEvent.objects.create(message=None, provider="postmark", event_key="pm-e0",
                                event="delivered", occurred_at=at - timedelta(days=1))
    MessageEvent.objects.create(message=None, provider="twilio", event_key="SM1:delivered",
                                event="delivered", occurred_at=at - timedelta(hours=2))
    response = admin.get(reverse("configure:home"))
    providers = _providers(response)
    email, sms = providers["email"], providers["sms"]
    assert email["integration"].enabled and not sms["integration"].enabled
    assert (email["last_event"], email["last_event_label"]) == (at, "postmark")
    assert "Hard bounce: mailbox unknown" in email["error_label"]
    assert (sms["last_event"], sms["last_event_label"]) == (at - timedelta(hours=2), "twilio")
    assert sms["last_error"] is None
    page = response.content.decode()
    assert "16 Mar 2026, 10:15" in page and "Hard bounce: mailbox unknown" in page
    assert "Configured" in page and "Not configured" in page


def test_provider_status_shows_the_last_stripe_event(admin, client_de):
    now = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    session = CheckoutSession.objects.create(
        client=client_de, currency="EUR", amount=Decimal("10.00"), quoted_on=now.date(),
        fingerprint="f" * 64, idempotency_key="idem-1", stripe_session_id="cs_test_1",
        url="https://checkout.stripe.com/c/cs_test_1", status="failed",
        expires_at=now + timedelta(hours=1))
    StripeEvent.objects.create(event_id="evt_1", type="checkout.session.async_payment_failed",
                               checkout=session, occurred_at=now)
    payments = _providers(admin.get(reverse("configure:home")))["payments"]
    assert payments["last_event"] == now
    assert payments["last_event_label"] == "checkout.session.async_payment_failed"
    assert "cs_test_1" in payments["error_label"]


def test_home_shows_the_last_20_audit_entries(admin, admin_user):
    row = PortalSettings.load()
    content_type = ContentType.objects.get_for_model(PortalSettings)
    for n in range(25):
        LogEntry.objects.create(user=admin_user, content_type=content_type,
                                object_id=str(row.pk), object_repr=str(row),
                                action_flag=CHANGE, change_message=f"Change number {n}.")
    response = admin.get(reverse("configure:home"))
    entries = response.context["audit"]
    assert len(entries) == 20 and entries[0].change_message == "Change number 24."
    page = response.content.decode()
    assert "Change number 24." in page and "Change number 4." not in page
    assert "Ada Admin" in page


def test_home_queries_are_bounded(admin, admin_user, client_de,
                                  django_assert_max_num_queries):
    row = PortalSettings.load()
    content_type = ContentType.objects.get_for_model(PortalSettings)
    for n in range(20):
        LogEntry.objects.create(user=admin_user, content_type=content_type,
                                object_id=str(row.pk), object_repr=str(row),
                                action_flag=CHANGE, change_message=f"{n}")
        MessageEvent.objects.create(provider=f"esp{n % 3}", event_key=f"k{n}",
                                    event="delivered",
                                    occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    # Session, user, groups, then one query per box: the same however many rows there are;
    # plus the top bar's payment-feed check on a cold cache (cached for a minute after).
    with django_assert_max_num_queries(12):
        admin.get(reverse("configure:home"))
