"""Rendering the seeded reminder templates over the real message context: locale money and
dates in English and German, autoescaping, and language fallback. The template sandbox is
in test_rendering_sandbox.py, the payment-history line in test_rendering_history.py."""

from datetime import date, timedelta
from typing import Any

import pytest

from reminders import rendering, selectors
from reminders.models import MessageTemplate
from tests.factories import SEED_TERMS, ClientFactory, TermsFactory
from tests.reminders.rendering_support import ISSUED, NBSP, PAY_URL, render_seeded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("render_day")]


@pytest.fixture
def client_us(db: Any) -> Any:
    return ClientFactory(language="en", country="US", timezone="America/New_York",
                         default_currency="USD", mobile_phone="+12125550123",
                         contact_name="John Doe", display_name="Acme Corp")


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


# --- Language fallback -----------------------------------------------------------------------

@pytest.mark.parametrize("language", ["fr", "es"])
def test_languages_without_templates_fall_back_to_english(make_invoice, language):
    MessageTemplate.objects.filter(language=language).delete()  # a translation not there (yet)
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
    assert selectors.template_for("pre_due", "email", "fr").language == "fr"
    MessageTemplate.objects.filter(key="pre_due", channel="email",
                                   language__in=["de", "fr"]).delete()
    assert selectors.template_for("pre_due", "email", "de").language == "en"
    assert selectors.template_for("pre_due", "email", "fr").language == "en"
    assert selectors.template_for("pre_due", "letter", "de") is None
    assert selectors.template_for("no_such_key", "email", "en") is None
