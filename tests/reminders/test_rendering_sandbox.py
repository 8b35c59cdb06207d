"""The template sandbox: what a reminder template may not do, refused at the function, the
model and the admin; the seeded templates pass it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from reminders import rendering
from reminders.defaults import TEMPLATES
from reminders.models import MessageTemplate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("render_day")]


# --- The sandbox -----------------------------------------------------------------------------

REFUSED = [
    pytest.param("{% load static %}{% static 'x.css' %}", r"\{% load %\} tag is not allowed",
                 id="load-static"),
    pytest.param("{% load i18n %}{% translate 'Hello' %}", r"\{% load %\} tag is not allowed",
                 id="load-i18n"),
    pytest.param("{% include 'admin/base.html' %}", "cannot include other templates",
                 id="include-file"),
    pytest.param("{% include business_name %}", "cannot include other templates",
                 id="include-variable"),
    pytest.param("{% extends 'admin/base.html' %}", "cannot include other templates",
                 id="extends"),
    pytest.param("Dear {{ customer_name }}", "Unknown variable: customer_name", id="unknown"),
    pytest.param("{% for i in invoices %}{{ i.nubmer }}{% endfor %}",
                 "Unknown variable: i.nubmer", id="unknown-attribute"),
    pytest.param("{{ customer_name|default:'you' }}", "Unknown variable: customer_name",
                 id="unknown-with-filter"),
    pytest.param("{{ invoices.0.__class__ }}", "may not begin with underscores",
                 id="dunder"),
    pytest.param("{% if %}x{% endif %}", "Template error", id="empty-if"),
    pytest.param("{% for i in invoices %}unclosed", "Template error", id="unclosed-for"),
    pytest.param("{{ amount_due|shout }}", "Invalid filter: 'shout'", id="unknown-filter"),
    pytest.param("{% now 'Y' %}{% frobnicate %}", "Invalid block tag", id="unknown-tag"),
]


@pytest.mark.parametrize(("source", "message"), REFUSED)
@pytest.mark.parametrize("part", ["subject", "text", "html"])
def test_validate_template_refuses(source, message, part):
    parts = {"subject": "Reminder", "text": "Hello", "html": "<p>Hello</p>", part: source}
    with pytest.raises(rendering.TemplateError, match=message):
        rendering.validate_template(**parts)


def test_unknown_variable_error_lists_what_is_available():
    with pytest.raises(rendering.TemplateError) as info:
        rendering.validate_template(subject="", text="{{ invoice_total }} {{ custmer }}",
                                    html="")
    text = str(info.value)
    assert text.startswith("Unknown variable: custmer, invoice_total. Available: ")
    assert "amount_due, amount_with_discount, business_name" in text
    assert "total_outstanding" in text


def test_unknown_variable_in_if_tag_is_refused():
    with pytest.raises(rendering.TemplateError, match="discount_amont"):
        rendering.validate_template(
            subject="Reminder", html="",
            text="{% if discount_amont %}Save {{ discount_amount }}{% endif %}")


def test_render_with_real_context_refuses_unknown_variable():
    with pytest.raises(rendering.TemplateError, match="Unknown variable: iban"):
        rendering.render(subject="x", text="{{ iban }}", html="",
                         context=rendering.SAMPLE_CONTEXT)


@pytest.mark.parametrize(("source", "message"), REFUSED)
def test_model_full_clean_refuses(source, message):
    template = MessageTemplate(key="custom_nudge", channel="email", language="en",
                               subject="Reminder", text=source, html="")
    with pytest.raises(ValidationError, match=message):
        template.full_clean()


def test_model_full_clean_names_the_unknown_variable():
    template = MessageTemplate(key="custom_nudge", channel="email", language="de",
                               subject="Erinnerung {{ rechnungsnummer }}", text="Hallo")
    with pytest.raises(ValidationError) as info:
        template.full_clean()
    assert "Unknown variable: rechnungsnummer" in info.value.messages[0]


def test_model_full_clean_requires_an_email_subject():
    template = MessageTemplate(key="custom_nudge", channel="email", language="en",
                               subject="  ", text="Hello {{ contact_name }}")
    with pytest.raises(ValidationError) as info:
        template.full_clean()
    assert info.value.message_dict == {"subject": ["An email template needs a subject."]}
    MessageTemplate(key="custom_nudge", channel="sms", language="en", subject="",
                    text="Hello {{ contact_name }}").full_clean()  # SMS needs none


def test_every_seeded_template_is_valid():
    templates = list(MessageTemplate.objects.all())
    seeded = {(key, channel, language) for key, languages in TEMPLATES.items()
              for language, channels in languages.items() for channel in channels}
    assert {(t.key, t.channel, t.language) for t in templates} == seeded
    for template in templates:
        rendering.validate_template(subject=template.subject, text=template.text,
                                    html=template.html)
        template.clean()


def test_seeded_letter_template_can_be_saved_unchanged_in_the_admin(admin_client):
    template = MessageTemplate.objects.get(key="demand_30", channel="letter", language="de")
    url = reverse("admin:reminders_messagetemplate_change", args=[template.pk])
    response = admin_client.post(url, {
        "key": template.key, "channel": template.channel, "language": template.language,
        "subject": template.subject, "text": template.text, "html": template.html})
    assert response.status_code == 302, response.context["adminform"].form.errors


def _admin_form(**overrides: str) -> dict[str, str]:
    return {"key": "custom_nudge", "channel": "email", "language": "en",
            "subject": "Reminder for {{ invoice_numbers }}", "text": "Hello {{ contact_name }}",
            "html": "", **overrides}


@pytest.mark.parametrize(("field", "source", "message"), [
    ("text", "Dear {{ customer_name }}", "Unknown variable: customer_name"),
    ("html", "<p>{% include 'admin/base.html' %}</p>", "cannot include other templates"),
    ("subject", "{% load static %}Hi", "{% load %} tag is not allowed"),
    ("text", "{% if %}", "Template error"),
])
def test_admin_add_form_shows_the_error_and_saves_nothing(admin_client, field, source,
                                                          message):
    before = MessageTemplate.objects.count()
    response = admin_client.post(reverse("admin:reminders_messagetemplate_add"),
                                 _admin_form(**{field: source}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "errornote" in page
    errors = response.context["adminform"].form.non_field_errors()
    assert any(message in e for e in errors), errors
    assert MessageTemplate.objects.count() == before
    assert not MessageTemplate.objects.filter(key="custom_nudge").exists()


def test_admin_add_form_saves_a_valid_template(admin_client):
    response = admin_client.post(reverse("admin:reminders_messagetemplate_add"),
                                 _admin_form(html="<p>{{ amount_due }}</p>"))
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = MessageTemplate.objects.get(key="custom_nudge")
    assert (saved.channel, saved.language, saved.html) == ("email", "en",
                                                           "<p>{{ amount_due }}</p>")


def test_admin_change_form_refuses_breaking_a_seeded_template(admin_client):
    template = MessageTemplate.objects.get(key="overdue_7", channel="email", language="de")
    url = reverse("admin:reminders_messagetemplate_change", args=[template.pk])
    response = admin_client.post(url, {
        "key": template.key, "channel": template.channel, "language": template.language,
        "subject": template.subject, "text": template.text + "{{ oops }}",
        "html": template.html})
    assert response.status_code == 200
    assert "Unknown variable: oops" in response.content.decode()
    template.refresh_from_db()
    assert "oops" not in template.text
