"""Rendering the seeded reminder templates over the real message context: locale money and
dates in English and German, autoescaping, the template sandbox (at the function, the model and
the admin), language fallback and the payment-history line."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import InteractionKind
from clients.services import interaction_record
from receivables import services as receivables
from receivables.models import InvoiceStatus
from reminders import rendering, selectors
from reminders.defaults import TEMPLATES
from reminders.models import MessageTemplate
from tests.factories import SEED_TERMS, ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
NBSP = "\u00a0"
TODAY = date(2026, 11, 9)  # a Monday, three days before the invoices below fall due
ISSUED = date(2026, 10, 13)  # Net 30 → due Thursday 12 November 2026
PAY_URL = "https://pay.example.com/p/t0k3n"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 11, 9, 10, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def client_us(db: Any) -> Any:
    return ClientFactory(language="en", country="US", timezone="America/New_York",
                         default_currency="USD", mobile_phone="+12125550123",
                         contact_name="John Doe", display_name="Acme Corp")


def render_seeded(client: Any, invoices: list[Any], key: str, *, today: date = TODAY,
                  channel: str = "email") -> tuple[MessageTemplate, rendering.Rendered]:
    template = selectors.template_for(key, channel, client.language)
    assert template is not None, f"no seeded {key}/{channel} template"
    context = selectors.message_context(client=client, invoices=invoices, today=today,
                                        pay_url=PAY_URL)
    return template, rendering.render(subject=template.subject, text=template.text,
                                      html=template.html, context=context)


# --- Locale formats --------------------------------------------------------------------------

def test_german_client_gets_german_template_with_german_money_and_dates(client_de, make_invoice):
    invoice = make_invoice(client_de, "927.31", issue_date=ISSUED, reference="Relaunch")
    assert invoice.due_date == date(2026, 11, 12)
    template, out = render_seeded(client_de, [invoice], "pre_due")
    assert template.language == "de"
    assert out.subject == (f"Freundliche Erinnerung: Rechnung {invoice.number} ist am "
                           "12. November 2026 fällig")
    assert out.text.startswith("Guten Tag Erika Mustermann,\n\n")
    assert f"927,31{NBSP}€ sind am 12. November 2026 fällig." in out.text
    assert f"- {invoice.number} (Relaunch): 927,31{NBSP}€, fällig am 12. November 2026\n" \
        in out.text
    assert f"Rechnung ansehen und bezahlen: {PAY_URL}" in out.text
    assert f"reference {invoice.number}." in out.text  # payment instructions quote the number
    assert out.text.endswith("Mit freundlichen Grüßen\nSettle Demo Ltd\n")
    assert f"<strong>927,31{NBSP}€</strong> sind am 12. November 2026 fällig." in out.html
    assert (f"<tr><td>{invoice.number}</td><td>Relaunch</td><td>12. November 2026</td>"
            f"<td>927,31{NBSP}€</td></tr>") in out.html
    assert f'<a href="{PAY_URL}">{PAY_URL}</a>' in out.html
    # No English formats leak into the German message.
    for english in ("€927.31", "927.31", "November 12", "due on"):
        assert english not in out.text and english not in out.html


def test_us_client_gets_english_template_with_us_money_and_dates(client_us, make_invoice):
    invoice = make_invoice(client_us, "1234.50", issue_date=ISSUED)
    template, out = render_seeded(client_us, [invoice], "pre_due")
    assert template.language == "en"
    assert out.subject == (f"Friendly reminder: invoice {invoice.number} is due on "
                           "November 12, 2026")
    assert out.text.startswith("Hello John Doe,\n\n")
    assert "just a friendly note that $1,234.50 is due on November 12, 2026." in out.text
    assert f"- {invoice.number}: $1,234.50, due November 12, 2026\n" in out.text
    assert out.text.endswith("Kind regards,\nSettle Demo Ltd\n")
    assert "<strong>$1,234.50</strong> is due on November 12, 2026." in out.html
    assert "1.234,50" not in out.text and "12. November" not in out.text


@pytest.mark.parametrize(("language", "country", "currency", "money", "day"), [
    ("de", "DE", "EUR", f"927,31{NBSP}€", "12. November 2026"),
    ("de", "AT", "EUR", f"€{NBSP}927,31", "12. November 2026"),
    ("de", "CH", "CHF", f"CHF{NBSP}927.31", "12. November 2026"),
    ("en", "US", "USD", "$927.31", "November 12, 2026"),
    ("en", "GB", "GBP", "£927.31", "12 November 2026"),
])
def test_money_and_dates_follow_language_and_country(make_invoice, language, country,
                                                     currency, money, day):
    client = ClientFactory(language=language, country=country, default_currency=currency)
    invoice = make_invoice(client, "927.31", issue_date=ISSUED)
    _, out = render_seeded(client, [invoice], "due_today", today=invoice.due_date)
    assert f"{money} " in out.text
    assert day in out.text
    context = selectors.message_context(client=client, invoices=[invoice],
                                        today=invoice.due_date, pay_url=PAY_URL)
    assert (context["amount_due"], context["due_date"]) == (money, day)


def test_overdue_german_counts_days_and_names_the_next_step(client_de, make_invoice):
    invoice = make_invoice(client_de, "927.31", issue_date=ISSUED)
    today = invoice.due_date + timedelta(days=30)  # 12 December 2026
    _, firm = render_seeded(client_de, [invoice], "overdue_14",
                            today=invoice.due_date + timedelta(days=14))
    assert firm.subject == f"Überfällig: Rechnung {invoice.number} (14 Tage)"
    assert f"927,31{NBSP}€ sind seit 14 Tagen überfällig." in firm.text
    _, demand = render_seeded(client_de, [invoice], "demand_30", today=today)
    assert demand.subject == f"Letzte Mahnung: {invoice.number}"
    assert "(30 Tage überfällig)" in demand.text
    # The deadline is two weeks from today, in German; the next step is in German too.
    assert "bis zum 26. Dezember 2026." in demand.text
    assert "werden wir die Forderung an unseren Inkassopartner übergeben." in demand.text


def test_consolidated_context_lists_every_invoice_and_sums_them(client_us, make_invoice):
    invoices = [make_invoice(client_us, amount, issue_date=ISSUED)
                for amount in ("100.00", "250.50", "1000.00")]
    other = make_invoice(client_us, "5.00", issue_date=ISSUED)  # owed, not in this message
    _, out = render_seeded(client_us, invoices, "due_today", today=date(2026, 11, 12))
    numbers = ", ".join(i.number for i in invoices)
    assert out.subject == f"Invoice {numbers} is due today"
    assert "$1,350.50 is due today." in out.text
    for invoice, amount in zip(invoices, ("$100.00", "$250.50", "$1,000.00"), strict=True):
        assert f"- {invoice.number}: {amount}, due November 12, 2026\n" in out.text
        assert f"<td>{invoice.number}</td>" in out.html
    assert other.number not in out.text
    context = selectors.message_context(client=client_us, invoices=invoices,
                                        today=date(2026, 11, 12), pay_url=PAY_URL)
    assert context["invoice_count"] == 3
    assert context["total_outstanding"] == "$1,355.50"  # everything the client owes in USD
    assert context["payment_instructions"].endswith(f"reference {numbers}.")


def test_discount_block_appears_only_inside_the_discount_window(client_de, make_invoice):
    terms = TermsFactory(**SEED_TERMS)
    invoice = make_invoice(client_de, "1000.00", issue_date=ISSUED, terms=terms)
    _, inside = render_seeded(client_de, [invoice], "pre_due")  # day 27 of a 30-day window
    assert (f"Bei Zahlung bis 12. November 2026 sparen Sie 50,00{NBSP}€."
            in inside.text)
    _, after = render_seeded(client_de, [invoice], "pre_due", today=date(2026, 11, 13))
    assert "sparen Sie" not in after.text


def test_fees_line_hidden_when_terms_charge_nothing(client_us, make_invoice):
    invoice = make_invoice(client_us, "500.00", issue_date=ISSUED)
    _, out = render_seeded(client_us, [invoice], "overdue_14",
                           today=invoice.due_date + timedelta(days=14))
    assert "Fees so far" not in out.text


# --- Autoescaping ----------------------------------------------------------------------------

def test_html_part_escapes_client_data_and_text_part_keeps_it(make_invoice):
    evil = "<script>alert('x')</script> & Sons"
    client = ClientFactory(language="en", country="GB", default_currency="GBP",
                           contact_name=evil, display_name=evil)
    invoice = make_invoice(client, "10.00", issue_date=ISSUED, reference="<b>Q4</b>")
    _, out = render_seeded(client, [invoice], "pre_due")
    assert "<script>" not in out.html and "<b>Q4</b>" not in out.html
    assert ("Hello &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Sons,"
            in out.html)
    assert "<td>&lt;b&gt;Q4&lt;/b&gt;</td>" in out.html
    assert f"Hello {evil},\n" in out.text
    assert f"- {invoice.number} (<b>Q4</b>):" in out.text
    # A call script mentions the client's name in its subject: plain text, kept verbatim.
    _, call = render_seeded(client, [invoice], "call_21", channel="call",
                            today=invoice.due_date + timedelta(days=21))
    assert call.subject == f"Call {evil} about {invoice.number}"
    assert call.html == ""


def test_template_markup_itself_is_not_escaped():
    out = rendering.render(subject="Hi <there>", text="<b>{{ client_name }}</b>",
                           html="<p>{{ client_name }}</p>",
                           context={**rendering.SAMPLE_CONTEXT, "client_name": "A&B"})
    assert (out.subject, out.text, out.html) == ("Hi <there>", "<b>A&B</b>\n",
                                                 "<p>A&amp;B</p>")


# --- The sandbox -----------------------------------------------------------------------------

REFUSED = [
    pytest.param("{% load static %}{% static 'x.css' %}", "not a registered tag library",
                 id="load-static"),
    pytest.param("{% load i18n %}{% translate 'Hello' %}", "not a registered tag library",
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
    ("subject", "{% load static %}Hi", "not a registered tag library"),
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


# --- Language fallback -----------------------------------------------------------------------

@pytest.mark.parametrize("language", ["fr", "es"])
def test_languages_without_templates_fall_back_to_english(make_invoice, language):
    client = ClientFactory(language=language, country="GB", default_currency="GBP")
    invoice = make_invoice(client, "10.00", issue_date=ISSUED)
    template, out = render_seeded(client, [invoice], "overdue_7",
                                  today=invoice.due_date + timedelta(days=7))
    assert template.language == "en"
    assert out.subject == f"Following up: invoice {invoice.number}"
    assert out.text.startswith("Hello Erika Mustermann,")


def test_fallback_only_when_the_language_is_missing():
    assert selectors.template_for("pre_due", "email", "de").language == "de"
    assert selectors.template_for("pre_due", "email", "en").language == "en"
    assert selectors.template_for("pre_due", "email", "fr").language == "en"
    MessageTemplate.objects.filter(key="pre_due", channel="email", language="de").delete()
    assert selectors.template_for("pre_due", "email", "de").language == "en"
    assert selectors.template_for("pre_due", "letter", "de") is None
    assert selectors.template_for("no_such_key", "email", "en") is None


# --- The history line ------------------------------------------------------------------------

def _paid_invoice(client: Any, make_invoice: Any, issue: date, *, paid_on: date,
                  recorded_on: date | None = None) -> Any:
    invoice = make_invoice(client, "100.00", issue_date=issue)
    recorded = recorded_on or paid_on
    with time_machine.travel(datetime.combine(recorded, datetime.min.time(), tzinfo=UTC)
                             + timedelta(hours=12), tick=False):
        receivables.payment_record(client=client, amount="100.00", received_on=paid_on,
                                   invoices=[invoice])
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    return invoice


def _history(client: Any, make_invoice: Any, key: str = "overdue_7") -> str:
    overdue = make_invoice(client, "927.31", issue_date=ISSUED)
    context = selectors.message_context(client=client, invoices=[overdue],
                                        today=overdue.due_date + timedelta(days=7),
                                        pay_url=PAY_URL)
    return context["history_line"]


@pytest.mark.parametrize(("language", "line"), [
    ("en", "Thank you for usually paying on time."),
    ("de", "Vielen Dank, dass Sie sonst immer pünktlich zahlen."),
])
def test_thanks_after_three_invoices_paid_on_time(make_invoice, language, line):
    client = ClientFactory(language=language)
    for month in (3, 4, 5):  # due on the 31st/1st; paid five days early
        issue = date(2026, month, 1)
        _paid_invoice(client, make_invoice, issue, paid_on=issue + timedelta(days=25))
    overdue = make_invoice(client, "927.31", issue_date=ISSUED)
    template, out = render_seeded(client, [overdue], "overdue_7",
                                  today=overdue.due_date + timedelta(days=7))
    assert template.language == language
    assert line in out.text
    assert line in out.html


def test_no_thanks_with_only_two_paid_invoices(make_invoice):
    client = ClientFactory(language="en")
    for month in (3, 4):
        issue = date(2026, month, 1)
        _paid_invoice(client, make_invoice, issue, paid_on=issue + timedelta(days=25))
    assert _history(client, make_invoice) == ""


def test_no_thanks_when_too_many_were_paid_late(make_invoice):
    client = ClientFactory(language="en")
    for month in (3, 4, 5):
        issue = date(2026, month, 1)
        _paid_invoice(client, make_invoice, issue, paid_on=issue + timedelta(days=25))
    _paid_invoice(client, make_invoice, date(2026, 6, 1), paid_on=date(2026, 8, 15))  # 3 of 4
    assert _history(client, make_invoice) == ""


def test_thanks_judged_by_when_money_arrived_not_when_it_was_entered(make_invoice):
    client = ClientFactory(language="en")
    for month in (3, 4, 5):
        issue = date(2026, month, 1)
        due = issue + timedelta(days=30)
        _paid_invoice(client, make_invoice, issue, paid_on=due - timedelta(days=2),
                      recorded_on=due + timedelta(days=3))  # bank statement imported later
    assert _history(client, make_invoice) == "Thank you for usually paying on time."


@pytest.mark.parametrize(("language", "line"), [
    ("en", "You told us payment would arrive by"),
    ("de", "Sie hatten uns eine Zahlung bis"),
])
def test_broken_promise_is_mentioned(make_invoice, language, line):
    client = ClientFactory(language=language)
    # A good record would earn thanks, but the broken promise takes precedence.
    for month in (3, 4, 5):
        issue = date(2026, month, 1)
        _paid_invoice(client, make_invoice, issue, paid_on=issue + timedelta(days=25))
    interaction_record(client=client, kind=InteractionKind.PROMISE_TO_PAY,
                       summary="Promised to pay by 30 October",
                       metadata={"promised_on": "2026-10-30"})
    overdue = make_invoice(client, "927.31", issue_date=ISSUED)
    _, out = render_seeded(client, [overdue], "overdue_7",
                           today=overdue.due_date + timedelta(days=7))
    assert line in out.text
    assert "30 October 2026" in out.text or "30. Oktober 2026" in out.text  # localized
    assert "Thank you" not in out.text and "Vielen Dank" not in out.text


def test_promise_not_yet_due_is_not_called_broken(make_invoice):
    client = ClientFactory(language="en")
    interaction_record(client=client, kind=InteractionKind.PROMISE_TO_PAY,
                       summary="Promised to pay by 20 November",
                       metadata={"promised_on": "2026-11-20"})
    overdue = make_invoice(client, "927.31", issue_date=ISSUED)
    context = selectors.message_context(client=client, invoices=[overdue], today=TODAY,
                                        pay_url=PAY_URL)
    assert context["history_line"] == ""


def test_no_history_line_for_a_new_client(client_de, make_invoice):
    assert _history(client_de, make_invoice) == ""


def test_broken_promise_date_is_formatted_for_the_client(client_de, make_invoice):
    interaction_record(client=client_de, kind=InteractionKind.PROMISE_TO_PAY,
                       summary="Zahlung bis 30.10. zugesagt",
                       metadata={"promised_on": "2026-10-30"})
    assert _history(client_de, make_invoice) == (
        "Sie hatten uns eine Zahlung bis 30. Oktober 2026 zugesagt; sie ist noch nicht "
        "eingegangen.")


def test_kept_promise_is_not_called_broken(make_invoice):
    client = ClientFactory(language="en")
    promised = make_invoice(client, "100.00", issue_date=date(2026, 9, 1))  # due 1 October
    interaction_record(client=client, kind=InteractionKind.PROMISE_TO_PAY,
                       summary="Will pay by 20 October", invoices=[promised],
                       metadata={"promised_on": "2026-10-20"})
    with time_machine.travel(datetime(2026, 10, 19, 12, tzinfo=UTC), tick=False):
        receivables.payment_record(client=client, amount="100.00",
                                   received_on=date(2026, 10, 19), invoices=[promised])
    assert "You told us" not in _history(client, make_invoice)


def test_context_holds_plain_formatted_values(client_de, make_invoice):
    invoice = make_invoice(client_de, "927.31", issue_date=ISSUED)
    context = selectors.message_context(client=client_de, invoices=[invoice], today=TODAY,
                                        pay_url=PAY_URL)
    assert all(isinstance(v, str | int | list) for v in context.values())
    assert context["invoices"] == [{"number": invoice.number, "reference": "",
                                    "amount_due": f"927,31{NBSP}€",
                                    "due_date": "12. November 2026", "days_overdue": 0}]
    assert invoice.balance == Decimal("927.31")


def test_every_variable_validation_accepts_is_provided_at_send_time(client_de, make_invoice):
    invoice = make_invoice(client_de, "927.31", issue_date=ISSUED)
    context = selectors.message_context(client=client_de, invoices=[invoice], today=TODAY,
                                        pay_url=PAY_URL)
    assert sorted(set(rendering.SAMPLE_CONTEXT) - set(context)) == []
