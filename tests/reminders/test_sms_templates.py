"""The admin tells whoever edits an SMS template how many segments it costs, and warns when a
template goes over the limit or leaves out the pay-now link."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from django.test import override_settings
from django.urls import reverse

from reminders.admin import SMS_SEGMENT_LIMIT, sample_pay_url, sms_sample
from reminders.defaults import TEMPLATES
from reminders.models import MessageTemplate
from reminders.rendering import SAMPLE_CONTEXT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CURLY_APOSTROPHE = "\u2019"
# About 150 UTF-16 units once rendered, and UCS-2 because of the curly apostrophe: 3 segments.
LONG_UCS2_TEXT = (
    f"{{{{ business_name }}}}: we{CURLY_APOSTROPHE}ve not yet received {{{{ amount_due }}}} "
    "for {{ invoice_numbers }}, due {{ due_date }}. Please pay today or reply to agree a "
    "date: {{ pay_url }}")
SHORT_TEXT = "{{ business_name }}: {{ amount_due }} is due {{ due_date }}. Pay: {{ pay_url }}"


@pytest.fixture
def superuser_client() -> DjangoClient:
    client = DjangoClient()
    client.force_login(UserFactory(username="sms-admin", is_superuser=True))
    return client


def _save_sms(client: DjangoClient, text: str, key: str = "sms_test") -> list[str]:
    response = client.post(reverse("admin:reminders_messagetemplate_add"), {
        "key": key, "channel": "sms", "language": "en", "subject": "", "text": text,
        "html": ""}, follow=True)
    assert response.status_code == 200
    assert MessageTemplate.objects.filter(key=key, channel="sms").exists(), (
        response.content.decode()[:3000])
    return [str(message) for message in response.context["messages"]]


def _warnings(messages: list[str]) -> list[str]:
    return [m for m in messages if "segments" in m or "pay_url" in m]


def test_the_sample_pay_url_is_as_long_as_a_real_one():
    assert len(sample_pay_url()) >= len(settings.SITE_URL) + len("/p/") + 22
    assert len(sample_pay_url()) >= len(SAMPLE_CONTEXT["pay_url"])
    with override_settings(SITE_URL="https://payments.a-rather-long-company-name.example.com"):
        assert sample_pay_url().startswith("https://payments.a-rather-long-company-name")


def test_saving_a_three_segment_sms_warns_but_saves(superuser_client):
    messages = _save_sms(superuser_client, LONG_UCS2_TEXT)
    warnings = _warnings(messages)
    assert len(warnings) == 1, messages
    assert "3 segments (UCS-2" in warnings[0]
    assert f"over the {SMS_SEGMENT_LIMIT}-segment limit" in warnings[0]
    assert f"{CURLY_APOSTROPHE} (curly apostrophe) forces UCS-2: use ' instead" in warnings[0]
    assert MessageTemplate.objects.get(key="sms_test").text == LONG_UCS2_TEXT


def test_a_long_gsm7_sms_warns_without_blaming_characters(superuser_client):
    text = "{{ business_name }}: " + "Please pay. " * 25 + "{{ pay_url }}"
    [warning] = _warnings(_save_sms(superuser_client, text))
    assert "segments (GSM-7" in warning
    assert "forces UCS-2" not in warning


def test_saving_a_one_segment_sms_does_not_warn(superuser_client):
    messages = _save_sms(superuser_client, SHORT_TEXT)
    assert _warnings(messages) == []
    assert any("was added successfully" in m for m in messages)


def test_an_sms_without_the_pay_link_warns(superuser_client):
    [warning] = _warnings(_save_sms(superuser_client, "{{ business_name }}: please call us."))
    assert "every SMS should carry the pay-now link" in warning


def test_changelist_shows_the_segments_column(superuser_client):
    MessageTemplate.objects.create(key="sms_long", channel="sms", language="en",
                                   text=LONG_UCS2_TEXT)
    response = superuser_client.get(reverse("admin:reminders_messagetemplate_changelist"),
                                    {"channel__exact": "sms"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "column-segments" in page and ">Segments<" in page
    assert "1 segment · GSM-7 · " in page
    assert "3 segments · UCS-2 — over the 2-segment limit" in page


def test_change_form_shows_segments_for_sms_only(superuser_client):
    sms = MessageTemplate.objects.get(key="pre_due", channel="sms", language="en")
    email = MessageTemplate.objects.get(key="pre_due", channel="email", language="en")
    page = superuser_client.get(reverse("admin:reminders_messagetemplate_change",
                                        args=[sms.pk])).content.decode()
    assert "field-segments" in page and "1 segment · GSM-7 · " in page
    page = superuser_client.get(reverse("admin:reminders_messagetemplate_change",
                                        args=[email.pk])).content.decode()
    assert "field-segments" not in page


def test_seeded_sms_templates_fit_in_two_segments_with_a_realistic_pay_url():
    seeded = MessageTemplate.objects.filter(channel="sms")
    expected = {(key, language) for key, languages in TEMPLATES.items()
                for language, channels in languages.items() if "sms" in channels}
    assert {(t.key, t.language) for t in seeded} == expected
    counts = {(t.key, t.language): sms_sample(t) for t in seeded}
    too_long = {key: (s.segments.segments, s.segments.encoding, s.segments.units)
                for key, s in counts.items() if s.segments.segments > SMS_SEGMENT_LIMIT}
    assert too_long == {}
    assert all(s.has_pay_link for s in counts.values())
