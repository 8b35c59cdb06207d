"""Use what the client told us (issue 15, item 8): the message's "how to pay" lines follow the
client's payment methods — card first for a client who pays by card, when card payment is on —
with the pay-now page's bank details, in the message's language."""

from typing import Any

import pytest

from answers.models import PortalSettings
from reminders.selectors import how_to_pay, message_context
from tests.factories import ClientFactory
from tests.reminders.support import TUESDAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

URL = "https://pay.example/p/abc/"


@pytest.fixture
def bank(db: Any) -> PortalSettings:
    row = PortalSettings.load()
    row.account_holder, row.bic = "Nordlicht GmbH", "COBADEFFXXX"
    row.iban = "DE89370400440532013000"
    row.save()
    return row


def test_bank_details_of_the_pay_now_page_in_the_client_s_language(bank, overdue):
    customer = ClientFactory(language="de", payment_methods=["bank_transfer"])
    invoice = overdue(customer, 7)
    lines = how_to_pay(customer, [invoice], "de", URL)
    assert lines == (f"Überweisung an Nordlicht GmbH, IBAN DE89 3704 0044 0532 0130 00, "
                     f"BIC COBADEFFXXX, Verwendungszweck {invoice.number}.")


def test_a_card_payer_reads_the_card_line_first(bank, overdue, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    by_card = ClientFactory(language="en", payment_methods=["card", "bank_transfer"])
    by_transfer = ClientFactory(language="en", payment_methods=["bank_transfer"])
    first = how_to_pay(by_card, [overdue(by_card, 7)], "en", URL).splitlines()
    second = how_to_pay(by_transfer, [overdue(by_transfer, 7)], "en", URL).splitlines()
    assert first[0] == f"Pay by card: {URL}" and first[1].startswith("Bank transfer to")
    assert second[0].startswith("Bank transfer to") and second[1] == f"Pay by card: {URL}"


def test_no_card_line_while_card_payment_is_off(bank, overdue, settings):
    settings.STRIPE_SECRET_KEY = ""
    customer = ClientFactory(language="fr", payment_methods=["card"])
    lines = how_to_pay(customer, [overdue(customer, 7)], "fr", URL)
    assert "carte" not in lines and lines.startswith("Virement à Nordlicht GmbH")


def test_many_invoices_are_referenced_by_the_customer_number(bank, overdue):
    customer = ClientFactory(language="es", reference="C-0042")
    invoices = [overdue(customer, 7 + n) for n in range(4)]
    assert how_to_pay(customer, invoices, "es", URL).endswith("concepto C-0042.")


def test_without_bank_details_the_site_s_instructions_stand(overdue, settings):
    settings.SETTLE_PAYMENT_INSTRUCTIONS = "Pay to our account, reference {reference}."
    customer = ClientFactory(language="en")
    invoice = overdue(customer, 7)
    context = message_context(client=customer, invoices=[invoice], today=TUESDAY, pay_url=URL)
    assert context["payment_instructions"] == f"Pay to our account, reference {invoice.number}."


def test_the_html_part_says_how_to_pay_as_the_text_part_does(bank, overdue):
    """Issue 18, item 6: the seeded HTML e-mails carry the bank details too (and a letter,
    which prints how to pay in its own section, does not repeat them in its body)."""
    from django.core import mail

    from tests.reminders.support import NOW, tick

    customer = ClientFactory(language="en", payment_methods=["bank_transfer"])
    overdue(customer, 7)
    tick(NOW)
    [sent] = mail.outbox
    html = sent.alternatives[0][0]
    assert "IBAN DE89 3704 0044 0532 0130 00" in sent.body
    assert "IBAN DE89 3704 0044 0532 0130 00" in html


def test_a_euro_iban_is_never_the_way_to_pay_pounds(bank, overdue):
    """As on the pay-now page: the account's IBAN is for its own currency; the message asks
    the client to get in touch for the others."""
    customer = ClientFactory(language="en", payment_methods=["bank_transfer"])
    euros, pounds = overdue(customer, 7), overdue(customer, 7, currency="GBP")
    lines = how_to_pay(customer, [euros, pounds], "en", URL).splitlines()
    assert lines[0].startswith("Bank transfer to Nordlicht GmbH, IBAN DE89")
    assert lines[1] == "For payments in GBP, please ask us for our account details."
    assert len(how_to_pay(customer, [euros], "en", URL).splitlines()) == 1
