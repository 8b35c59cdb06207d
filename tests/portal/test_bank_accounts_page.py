"""The account for each invoice's currency (issue 18): a client owing euros, pounds and dollars,
with bank accounts in euros (IBAN) and pounds (sort code) only, sees on the pay-now page, in the
reminder e-mail (its text and HTML parts alike), in the letter and on the statement and invoice
PDFs the euro IBAN for the euros, the sort code and account number for the pounds, and for the
dollars a request to ask for the details: never another currency's account."""

from __future__ import annotations

import html as htmllib
import re
import subprocess
import tempfile
from typing import Any

import pytest
from django.core import mail

from answers import banking
from answers.models import BankAccount
from receivables.models import Invoice
from reminders.selectors import how_to_pay, message_context
from tests.factories import ClientFactory
from tests.reminders.support import NOW, TUESDAY, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

IBAN = "DE89370400440532013000"
IBAN_SHOWN = "DE89 3704 0044 0532 0130 00"
EUR_FACTS = (IBAN_SHOWN, "COBADEFFXXX")
GBP_FACTS = ("12-34-56", "12345678")
URL = "https://pay.example/p/abc/"


@pytest.fixture
def accounts(db: Any) -> None:
    banking.bank_account_save(BankAccount(currency="EUR", scheme="iban", holder="Settle GmbH",
                                          iban=IBAN, bic="COBADEFFXXX"))
    banking.bank_account_save(BankAccount(currency="GBP", scheme="uk", holder="Settle UK Ltd",
                                          bank_name="Barclays", sort_code="123456",
                                          account_number="12345678"))


@pytest.fixture
def debtor(owner: Any, overdue: Any, accounts: Any) -> Any:
    customer = ClientFactory(owner=owner, language="en", payment_methods=["bank_transfer"],
                             channel_preferences=["email"])
    for currency in ("EUR", "GBP", "USD"):
        overdue(customer, 7, currency=currency)
    return customer


def sections(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section aria-labelledby="cur-([A-Z]{3})">(.*?)</section>', page,
                           re.S))


def assert_only(part: str, facts: tuple[str, ...]) -> None:
    """``part`` shows ``facts`` and no other currency's account."""
    for fact in facts:
        assert fact in part, fact
    for fact in {*EUR_FACTS, *GBP_FACTS} - set(facts):
        assert fact not in part, fact
    assert IBAN not in part.replace(" ", "") or IBAN_SHOWN in facts


def test_the_pay_now_page_shows_each_currency_s_own_account(client: Any, issue: Any,
                                                             debtor: Any) -> None:
    page = client.get(f"/p/{issue(debtor).token}/").content.decode()
    by_currency = sections(page)
    assert set(by_currency) == {"EUR", "GBP", "USD"}
    assert_only(by_currency["EUR"], (*EUR_FACTS, "Settle GmbH"))
    assert "<svg" in by_currency["EUR"]  # the EPC QR code, for the euro IBAN only
    assert_only(by_currency["GBP"], (*GBP_FACTS, "Settle UK Ltd", "Barclays", "Sort code"))
    assert "<svg" not in by_currency["GBP"]
    assert_only(by_currency["USD"], ())
    assert "For payments in USD, please contact us for our account details." in by_currency["USD"]
    assert "<svg" not in by_currency["USD"]
    for currency in ("EUR", "GBP", "USD"):  # a statement per currency
        assert f'href="statement.pdf?currency={currency}"' in page


def test_the_how_to_pay_lines_per_currency(debtor: Any) -> None:
    invoices = list(Invoice.objects.filter(client=debtor).order_by("currency"))
    number = {i.currency: i.number for i in invoices}
    assert how_to_pay(debtor, invoices, "en", URL).splitlines() == [
        f"Bank transfer in EUR to Settle GmbH, IBAN {IBAN_SHOWN}, BIC COBADEFFXXX, "
        f"reference {number['EUR']}.",
        f"Bank transfer in GBP to Settle UK Ltd, sort code 12-34-56, account 12345678, "
        f"reference {number['GBP']}.",
        "For payments in USD, please ask us for our account details."]
    assert how_to_pay(debtor, [i for i in invoices if i.currency == "GBP"], "de", URL) == (
        f"Überweisung an Settle UK Ltd, Sort Code 12-34-56, Kontonummer 12345678, "
        f"Verwendungszweck {number['GBP']}.")


def test_the_email_s_text_and_html_parts_carry_the_same_account_facts(debtor: Any) -> None:
    tick(NOW)
    assert mail.outbox
    seen = ""
    for sent in mail.outbox:
        part = str(getattr(sent, "alternatives", [("", "")])[0][0])
        html = htmllib.unescape(re.sub(r"<[^>]+>", " ", part))
        html = re.sub(r"\s+", " ", html)
        for fact in (*EUR_FACTS, *GBP_FACTS, "sort code", "please ask us for our account details",
                     "For payments in USD"):
            assert (fact in sent.body) is (fact in html), fact
        seen += sent.body
    for fact in (*EUR_FACTS, *GBP_FACTS, "For payments in USD, please ask us"):
        assert fact in seen, fact


def test_the_letter_prints_each_currency_s_account_and_a_qr_code_for_the_euros(
        debtor: Any) -> None:
    from reminders.channels import letter as letters

    invoices = list(Invoice.objects.filter(client=debtor).order_by("currency"))
    context = message_context(client=debtor, invoices=invoices, today=TUESDAY, pay_url=URL)
    page = letters.letter_html(client=debtor, invoices=invoices, today=TUESDAY,
                               subject="Reminder", body_html="<p>Please pay.</p>", pay_url=URL,
                               payment_instructions=context["payment_instructions"],
                               language="en")
    payment = page[page.index('<section class="payment">'):]
    for fact in (*EUR_FACTS, *GBP_FACTS, "For payments in USD"):
        assert fact in payment, fact
    assert payment.count('class="qr transfer-qr"') == 1  # EPC, the euros; then the pay link
    gbp_only = letters.letter_html(
        client=debtor, invoices=[i for i in invoices if i.currency == "GBP"], today=TUESDAY,
        subject="Reminder", body_html="", pay_url=URL, payment_instructions="x", language="en")
    assert "transfer-qr" not in gbp_only


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        return subprocess.run(["pdftotext", "-raw", handle.name, "-"], check=True,
                              capture_output=True, text=True).stdout


def test_a_statement_per_currency_with_that_currency_s_account(client: Any, issue: Any,
                                                               debtor: Any) -> None:
    token = issue(debtor).token
    statements = {c: pdf_text(client.get(f"/p/{token}/statement.pdf?currency={c}").content)
                  for c in ("EUR", "GBP", "USD")}
    assert_only(statements["EUR"], EUR_FACTS)
    assert_only(statements["GBP"], (*GBP_FACTS, "Sort code"))
    assert_only(statements["USD"], ())
    assert "please contact us for our account details" in statements["USD"]
    pounds = Invoice.objects.get(client=debtor, currency="GBP")
    invoice = pdf_text(client.get(f"/p/{token}/invoices/{pounds.pk}.pdf").content)
    assert_only(invoice, GBP_FACTS)
    assert pounds.number in invoice
