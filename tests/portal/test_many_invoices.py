"""The pay-now page for a client who owes a lot (issue 18, item 7): 28 open invoices in three
currencies. What is owed and what the client can do come before the invoice lists (the long
lists folded, without JavaScript); "Pay online" only when a card payment is on; the euro
account's IBAN never offered for pounds or dollars; the promise form ticks nothing across
currencies and refuses a promise that mixes them, in the client's language."""

from __future__ import annotations

import re
from typing import Any

import pytest

from answers.models import PortalSettings
from receivables.models import Invoice
from tests.factories import ClientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

IBAN = "DE89370400440532013000"
IBAN_SHOWN = "DE89 3704 0044 0532 0130 00"
COUNTS = {"EUR": 12, "GBP": 10, "USD": 6}


@pytest.fixture
def bank(db: Any) -> None:
    PortalSettings.objects.update_or_create(singleton=True, defaults={
        "account_holder": "Settle Demo Ltd", "iban": IBAN, "bic": "COBADEFFXXX"})


@pytest.fixture
def debtor(owner: Any, overdue: Any, bank: Any) -> Any:
    customer = ClientFactory(owner=owner, language="en")
    for currency, count in COUNTS.items():
        for n in range(count):
            overdue(customer, 3 + n, amount=f"{100 + n}.00", currency=currency)
    return customer


def sections(html: str) -> dict[str, str]:
    """Each currency's section of the page, by currency."""
    found = re.findall(r'<section aria-labelledby="cur-([A-Z]{3})">(.*?)</section>', html, re.S)
    return dict(found)


def test_the_actions_and_totals_come_before_the_first_invoice_table(client: Any, issue: Any,
                                                                      debtor: Any) -> None:
    assert Invoice.objects.filter(client=debtor).count() == 28
    html = client.get(f"/p/{issue(debtor).token}/").content.decode()
    first_table = html.index('<table class="invoices">')
    for action in ('href="promise/"', 'href="plan/"', 'href="dispute/"', 'href="callback/"',
                   'id="summary-h"'):
        assert html.index(action) < first_table, action
    for currency in COUNTS:  # one total per currency, with a way to its payment details
        assert html.index(f'href="#cur-{currency}"') < first_table
        assert f'href="statement.pdf?currency={currency}"' in html
    # Every currency's list is longer than five: folded, open on a click (no JavaScript).
    folds = re.findall(r'<details class="invoice-list"( open)?>', html)
    assert folds == ["", "", ""]


def test_a_short_list_stays_open(client: Any, issue: Any, overdue: Any, bank: Any) -> None:
    customer = ClientFactory(language="en")
    for n in range(3):
        overdue(customer, 3 + n)
    html = client.get(f"/p/{issue(customer).token}/").content.decode()
    assert '<details class="invoice-list" open>' in html


def test_no_pay_online_without_card_payment(client: Any, issue: Any, debtor: Any,
                                            settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    html = client.get(f"/p/{issue(debtor).token}/").content.decode()
    assert "Pay online" not in html and "by card" not in html
    assert "Pay by bank transfer" in html
    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    assert "Pay online" in client.get(f"/p/{issue(debtor).token}/").content.decode()


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_the_intro_without_card_in_other_languages(client: Any, issue: Any, overdue: Any,
                                                   bank: Any, settings: Any,
                                                   language: str) -> None:
    settings.STRIPE_SECRET_KEY = ""
    customer = ClientFactory(language=language)
    overdue(customer, 5)
    html = client.get(f"/p/{issue(customer).token}/").content.decode()
    assert {"de": "per Überweisung, oder", "fr": "Payez par virement",
            "es": "Pague por transferencia"}[language] in html
    assert {"de": "online", "fr": "en ligne", "es": "en línea"}[language] not in html


def test_the_euro_iban_only_for_euros(client: Any, issue: Any, debtor: Any) -> None:
    html = client.get(f"/p/{issue(debtor).token}/").content.decode()
    by_currency = sections(html)
    assert set(by_currency) == set(COUNTS)
    assert IBAN_SHOWN in by_currency["EUR"] and "COBADEFFXXX" in by_currency["EUR"]
    for currency in ("GBP", "USD"):
        part = by_currency[currency]
        assert IBAN_SHOWN not in part and "COBADEFFXXX" not in part and "<svg" not in part
        assert IBAN.replace(" ", "") not in part.replace(" ", "")
        assert f"For payments in {currency}, please contact us for our account details." in part
    assert html.count(IBAN_SHOWN) == 1


def test_a_us_account_for_dollars_only(client: Any, issue: Any, overdue: Any) -> None:
    PortalSettings.objects.update_or_create(singleton=True, defaults={
        "account_holder": "Settle Inc", "account_number": "123456789",
        "routing_number": "011000015"})
    customer = ClientFactory(language="en")
    overdue(customer, 5, currency="USD")
    overdue(customer, 5, currency="EUR")
    by_currency = sections(client.get(f"/p/{issue(customer).token}/").content.decode())
    assert "011000015" in by_currency["USD"] and "123456789" in by_currency["USD"]
    assert "011000015" not in by_currency["EUR"] and "123456789" not in by_currency["EUR"]


def test_the_promise_form_ticks_nothing_across_currencies(client: Any, issue: Any,
                                                          debtor: Any) -> None:
    html = client.get(f"/p/{issue(debtor).token}/promise/").content.decode()
    boxes = re.findall(r'<input type="checkbox" name="invoice"[^>]*>', html)
    assert len(boxes) == 28
    assert not [b for b in boxes if "checked" in b]
    plan = client.get(f"/p/{issue(debtor).token}/plan/").content.decode()
    assert not re.findall(r'<input type="checkbox" name="invoice"[^>]*checked', plan)


def test_one_currencys_invoices_are_ticked(client: Any, issue: Any, overdue: Any,
                                           bank: Any) -> None:
    customer = ClientFactory(language="en")
    for n in range(3):
        overdue(customer, 3 + n, currency="GBP")
    html = client.get(f"/p/{issue(customer).token}/promise/").content.decode()
    boxes = re.findall(r'<input type="checkbox" name="invoice"[^>]*>', html)
    assert len(boxes) == 3 and all("checked" in b for b in boxes)


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Choose invoices in one currency at a time."),
    ("de", "Wählen Sie Rechnungen in nur einer Währung auf einmal."),
])
def test_a_promise_across_currencies_is_refused(client: Any, issue: Any, debtor: Any,
                                                language: str, message: str) -> None:
    debtor.language = language
    debtor.save(update_fields=["language"])
    euro = Invoice.objects.filter(client=debtor, currency="EUR").first()
    pound = Invoice.objects.filter(client=debtor, currency="GBP").first()
    assert euro and pound
    response = client.post(f"/p/{issue(debtor).token}/promise/", {
        "invoice": [euro.pk, pound.pk], "promised_on": "2026-03-24"})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    ticked = re.findall(r'<input type="checkbox" name="invoice" value="(\d+)" checked>', html)
    assert sorted(map(int, ticked)) == sorted([euro.pk, pound.pk])  # what the client ticked
    euro.refresh_from_db()
    assert euro.promised_until is None
