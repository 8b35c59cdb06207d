"""Message templates: grouped list, edit with the model's validation, live preview against a
real client and invoice (saved or as typed), SMS segments, and a test send to oneself."""

from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core import mail
from django.urls import reverse

from reminders.models import MessageTemplate
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_template() -> MessageTemplate:
    return MessageTemplate.objects.get(key="due_today", channel="email", language="en")


@pytest.fixture
def sms_template() -> MessageTemplate:
    return MessageTemplate.objects.get(key="due_today", channel="sms", language="en")


@pytest.fixture
def acme(make_invoice: Any) -> Any:
    client = ClientFactory(display_name="Acme Corp", contact_name="Wile E.", language="en",
                           country="US", timezone="America/New_York", default_currency="USD",
                           reference="C-ACME")
    client.invoice = make_invoice(client, "1234.50", number="INV-ACME-1")
    return client


def _form(template: MessageTemplate, **overrides: str) -> dict[str, str]:
    data = {"key": template.key, "channel": template.channel, "language": template.language,
            "subject": template.subject, "text": template.text, "html": template.html}
    return {**data, **overrides}


def _url(template: MessageTemplate, client: Any = None) -> str:
    url = reverse("configure:template", args=[template.pk])
    return f"{url}?client={client.pk}&invoice={client.invoice.pk}" if client else url


def test_list_groups_by_key_channel_and_language(admin, django_assert_max_num_queries):
    MessageTemplate.objects.filter(key="due_today", channel="email", language="fr").delete()
    with django_assert_max_num_queries(8):
        response = admin.get(reverse("configure:templates"))
    groups = {g["key"]: g for g in response.context["groups"]}
    assert {"pre_due", "due_today", "overdue_14", "demand_30"} <= set(groups)
    due = groups["due_today"]
    assert [row["channel_key"] for row in due["grid"]] == ["email", "sms"]
    email_row = due["grid"][0]
    cells = {c["language"]: c["template"] for c in email_row["cells"]}
    assert cells["en"].language == "en" and cells["de"].language == "de"
    assert cells["fr"] is None  # offered as "+ add"
    assert cells["es"].language == "es"
    assert "Standard: Due today" in due["used_by"]
    sms_cell = next(c for c in due["grid"][1]["cells"] if c["language"] == "en")
    assert sms_cell["sms"].segments.segments == 1
    assert "1 segment · GSM-7" in response.content.decode()


def test_preview_uses_a_real_client_and_invoice(admin, email_template, acme):
    response = admin.get(_url(email_template, acme))
    preview = response.context["preview"]
    assert not preview.error and not preview.sample
    assert "Hello Wile E.," in preview.rendered.text
    assert "$1,234.50" in preview.rendered.text and "INV-ACME-1" in preview.rendered.subject
    assert "INV-ACME-1" in response.content.decode()


def test_preview_escapes_client_data_and_frames_the_html(admin, email_template, make_invoice):
    client = ClientFactory(display_name="<script>alert(1)</script> Ltd", language="en",
                           contact_name="<b>Bold</b>")
    client.invoice = make_invoice(client, "10.00", number="INV-X")
    page = admin.get(_url(email_template, client)).content.decode()
    assert "<script>alert(1)" not in page and "<b>Bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ltd" in page
    assert "Hello &lt;b&gt;Bold&lt;/b&gt;," in page  # the text part, as text
    # The HTML part lives only inside the sandboxed frame's srcdoc, escaped as an attribute.
    assert 'sandbox srcdoc="&lt;div style=&quot;' in page


def test_preview_defaults_to_the_first_client_with_an_open_invoice(admin, email_template,
                                                                   acme):
    ClientFactory(display_name="Aardvark Ltd")  # owes nothing: not a candidate
    response = admin.get(_url(email_template))
    target = response.context["target"]
    assert (target.client, target.invoice) == (acme, acme.invoice)


def test_preview_without_any_open_invoice_uses_the_sample(admin, email_template):
    response = admin.get(_url(email_template))
    assert response.context["preview"].sample
    assert "Erika Mustermann" in response.context["preview"].rendered.text


def test_editing_a_template_changes_the_preview(admin, admin_user, email_template, acme):
    response = admin.post(_url(email_template, acme), _form(
        email_template, text="Dear {{ contact_name }}, please pay {{ amount_due }} today."))
    assert response.status_code == 302 and response["Location"] == _url(email_template, acme)
    email_template.refresh_from_db()
    assert email_template.text.startswith("Dear {{ contact_name }}")
    preview = admin.get(response["Location"]).context["preview"]
    assert preview.rendered.text == "Dear Wile E., please pay $1,234.50 today.\n"
    log = LogEntry.objects.get(object_id=str(email_template.pk))
    assert (log.user, log.action_flag) == (admin_user, CHANGE)
    assert log.change_message == "Template due_today · email · en: Changed text."


def test_preview_button_renders_the_draft_without_saving(admin, email_template, acme):
    before = email_template.text
    response = admin.post(_url(email_template, acme), {
        **_form(email_template, text="Draft for {{ client_name }}"), "action": "preview"})
    assert response.status_code == 200
    assert response.context["preview"].rendered.text == "Draft for Acme Corp\n"
    assert response.context["draft"]
    page = response.content.decode()
    assert "Draft for Acme Corp" in page and "unsaved changes" in page
    email_template.refresh_from_db()
    assert email_template.text == before
    assert not LogEntry.objects.exists()


def test_unknown_variable_is_refused_and_nothing_is_saved(admin, email_template, acme):
    before = (email_template.subject, email_template.text, email_template.updated_at)
    for action in ("save", "preview"):
        response = admin.post(_url(email_template, acme), {
            **_form(email_template, text="Hello {{ customer_nickname }}"), "action": action})
        assert response.status_code == 200
        [error] = response.context["form"].non_field_errors()
        assert error.startswith("Unknown variable: customer_nickname. Available:")
        assert "Unknown variable: customer_nickname" in response.content.decode()
        assert response.context["preview"] is None
    email_template.refresh_from_db()
    assert (email_template.subject, email_template.text, email_template.updated_at) == before
    assert not LogEntry.objects.exists()


def test_model_rules_apply(admin, email_template):
    response = admin.post(_url(email_template), _form(email_template, subject=" "))
    assert response.context["form"].errors["subject"] == ["An email template needs a subject."]
    response = admin.post(_url(email_template), _form(email_template,
                                                      text="{% if %}broken"))
    assert "Template error" in response.context["form"].non_field_errors()[0]


def test_key_channel_and_language_cannot_be_changed(admin, email_template):
    admin.post(_url(email_template), _form(email_template, key="hijack", language="de"))
    email_template.refresh_from_db()
    assert (email_template.key, email_template.language) == ("due_today", "en")


def test_sms_shows_segments_of_the_real_text(admin, sms_template, acme):
    long_text = "{{ business_name }}: " + "x" * 150 + " {{ pay_url }}"
    response = admin.post(_url(sms_template, acme), {**_form(sms_template, text=long_text),
                                                     "action": "preview"})
    sms = response.context["preview"].sms
    assert sms.segments.encoding == "GSM-7" and sms.segments.segments == 2
    assert "2 segments · GSM-7" in response.content.decode()
    response = admin.post(_url(sms_template, acme), {
        **_form(sms_template, text="Zahlung fällig ✓ {{ pay_url }}"), "action": "preview"})
    sms = response.context["preview"].sms
    assert sms.segments.encoding == "UCS-2"
    assert any("forces UCS-2" in hint for hint in sms.hints)


def test_test_send_emails_the_admin_the_draft(admin, email_template, acme):
    response = admin.post(_url(email_template, acme), {
        **_form(email_template, subject="Pay {{ invoice_numbers }}", text="Hi {{ client_name }}"),
        "action": "test"})
    assert response.status_code == 200
    [sent] = mail.outbox
    assert sent.to == ["ada@settle.example"]
    assert sent.subject == "[Test] Pay INV-ACME-1"
    assert sent.body == "Hi Acme Corp\n"
    assert sent.alternatives and "INV-ACME-1" in sent.alternatives[0][0]
    assert "ada@settle.example" in response.content.decode()
    email_template.refresh_from_db()
    assert email_template.subject != "Pay {{ invoice_numbers }}"  # a test does not save


def test_test_send_for_sms_only_shows_the_text(admin, sms_template, acme, settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = "configured"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    response = admin.post(_url(sms_template, acme), {**_form(sms_template), "action": "test"})
    assert mail.outbox == []
    page = response.content.decode()
    assert "SMS tests never go through Twilio" in page
    assert "INV-ACME-1" in response.context["preview"].sms.text


def test_test_send_without_an_address_says_so(admin, admin_user, email_template, acme):
    admin_user.email = ""
    admin_user.save()
    response = admin.post(_url(email_template, acme), {**_form(email_template),
                                                       "action": "test"}, follow=True)
    assert "Your user has no email address" in response.content.decode()
    assert mail.outbox == []


def test_create_a_translation_starts_from_the_english_text(admin, admin_user, acme):
    MessageTemplate.objects.filter(key="due_today", channel="sms", language="fr").delete()
    url = reverse("configure:template-new") + "?key=due_today&channel=sms&language=fr"
    response = admin.get(url)
    form = response.context["form"]
    english = MessageTemplate.objects.get(key="due_today", channel="sms", language="en")
    assert form["text"].value() == english.text and form["language"].value() == "fr"
    response = admin.post(url, {"key": "due_today", "channel": "sms", "language": "fr",
                                "text": "{{ business_name }} : {{ amount_due }} à payer "
                                        "aujourd'hui. {{ pay_url }}"})
    created = MessageTemplate.objects.get(key="due_today", channel="sms", language="fr")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("configure:template", args=[created.pk]))
    assert LogEntry.objects.get(object_id=str(created.pk)).action_flag == ADDITION


def test_a_second_template_for_the_same_cell_is_refused(admin):
    response = admin.post(reverse("configure:template-new"), {
        "key": "due_today", "channel": "sms", "language": "en", "text": "{{ pay_url }}"})
    assert response.context["form"].non_field_errors() == [
        "'due_today' already has a sms template in English: edit that one."]
    assert MessageTemplate.objects.filter(key="due_today", channel="sms").count() == 4
