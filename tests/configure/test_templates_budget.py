"""The render budget at save on the Configure template page: checked with every {% if %}
branch taken for the sample values and for the client with the most open invoices, with the
channel's limits (an SMS 1,600 characters). The hostile inputs of issue 16 are in
tests/battery/test_hostile_templates.py."""

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from configure.forms import largest_client_context
from reminders.models import MessageTemplate
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

# Costly only when the client owes more than one invoice: the sample owes one.
SQUARED = ("{% if invoice_count > 1 %}{% for a in invoices %}{% for b in invoices %}"
           "{{ invoice_numbers }} {{ a.number }} {{ b.number }}\n{% endfor %}{% endfor %}"
           "{% endif %}Hello {{ contact_name }}")


@pytest.fixture
def email_template() -> MessageTemplate:
    return MessageTemplate.objects.get(key="due_today", channel="email", language="en")


@pytest.fixture
def big_client(make_invoice: Any) -> Any:
    client = ClientFactory(display_name="Big Builder AG", language="en")
    for n in range(40):
        make_invoice(client, "100.00", number=f"BIG-{n:03d}")
    return client


def _save(admin: Any, template: MessageTemplate, **overrides: str) -> Any:
    data = {"key": template.key, "channel": template.channel, "language": template.language,
            "subject": template.subject, "text": template.text, "html": template.html,
            "action": "save", **overrides}
    return admin.post(reverse("configure:template", args=[template.pk]), data)


def test_a_branch_costly_for_the_largest_client_is_refused_naming_the_client(
        admin, email_template, big_client, make_invoice):
    make_invoice(ClientFactory(display_name="Small Shop"), "10.00")
    before = (email_template.text, email_template.updated_at)
    response = _save(admin, email_template, text=SQUARED)
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("Too large: the message would be longer than 200,000 characters")
    assert error.endswith("for Big Builder AG, the client with the most open invoices (40).)")
    email_template.refresh_from_db()
    assert (email_template.text, email_template.updated_at) == before
    assert not LogEntry.objects.exists()


def test_the_same_template_saves_while_no_client_owes_that_much(admin, email_template,
                                                                  make_invoice):
    client = ClientFactory(display_name="Small Shop")
    for _ in range(3):
        make_invoice(client, "10.00")
    response = _save(admin, email_template, text=SQUARED)
    assert response.status_code == 302, response.context["form"].errors
    email_template.refresh_from_db()
    assert email_template.text == SQUARED


def test_an_sms_is_held_to_1600_characters_at_save(admin):
    template = MessageTemplate.objects.get(key="due_today", channel="sms", language="en")
    response = _save(admin, template, text="{{ pay_url }} " + "x" * 1600)
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("Too large: the message would be longer than 1,600 characters, "
                            "the limit for an SMS")
    response = _save(admin, template, text="{{ pay_url }} " + "x" * 1400)
    assert response.status_code == 302


def test_the_largest_client_context_is_that_clients_message_in_the_templates_language(
        big_client, make_invoice, django_assert_max_num_queries):
    make_invoice(ClientFactory(), "10.00")
    with django_assert_max_num_queries(60):  # two an invoice for the first 20
        [(label, context)] = largest_client_context("de")
    assert label == "Big Builder AG, the client with the most open invoices (40)"
    assert context["invoice_count"] == 40 and len(context["invoices"]) == 40
    assert context["client_name"] == "Big Builder AG"
    assert "100,00" in context["invoices"][0]["amount_due"]  # German number format


def test_no_open_invoice_no_real_context():
    assert largest_client_context("en") == []
