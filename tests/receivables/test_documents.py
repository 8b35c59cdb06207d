"""Invoice PDFs and the statement of account: the statement's arithmetic (opening balance,
running balance, payments, credit, adjustments, currencies, aging), the PDFs read back as text
in the client's language and locale, and the bookkeeper's download views."""

import re
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from receivables import documents, services
from receivables.documents import EntryKind, Statement
from receivables.models import Invoice, InvoiceStatus
from tests.factories import SEED_TERMS, ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)
A4, LETTER = (595.28, 841.89), (612.0, 792.0)
D = Decimal


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def invoice(make_invoice: Callable[..., Invoice]) -> Callable[..., Invoice]:
    """An invoice of ``net`` plus 19 % tax (1000 → 1,190.00), Net 30."""
    def make(client: Any, net: str = "1000.00", issued: date = date(2026, 1, 1),
             **kwargs: Any) -> Invoice:
        lines = [services.LineInput("Consulting", net, tax_rate=19)]
        return make_invoice(client, issue_date=issued, lines=lines, **kwargs)
    return make


@pytest.fixture
def client_us(db: Any) -> Any:
    return ClientFactory(
        display_name="Acme", legal_name="Acme Corporation", contact_name="John Doe",
        address_line1="1600 Main Street", city="Springfield", region="IL", postcode="62704",
        country="US", language="en", timezone="America/Chicago", default_currency="USD",
        mobile_phone="+12125550123")


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True).stdout
    return re.sub(r"[\u00a0\u202f]", " ", text)


def page_sizes(content: bytes, tmp_path: Path) -> list[tuple[float, float]]:
    path = tmp_path / "sizes.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(path)], capture_output=True,
                          check=True, text=True).stdout
    return [(round(float(w), 2), round(float(h), 2))
            for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)]


def statement(client: Any, currency: str = "EUR", start: date | None = None,
              end: date = TODAY) -> Statement:
    return documents.statement_for(client, currency=currency, start=start, end=end,
                                   today=TODAY)


def kinds_and_balances(st: Statement) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(e.kind.value, e.debit, e.credit, e.balance) for e in st.entries]


# --- Statement arithmetic ----------------------------------------------------------------------

def test_opening_balance_is_everything_before_the_start(client_de, invoice, make_payment):
    invoice(client_de, "1000.00", date(2026, 1, 10))  # 1,190.00
    make_payment(client_de, "400.00", date(2026, 2, 1))
    invoice(client_de, "500.00", date(2026, 3, 1))  # 595.00

    whole = statement(client_de)
    assert whole.opening_balance == 0
    assert kinds_and_balances(whole) == [
        ("invoice", D("1190.00"), 0, D("1190.00")),
        ("payment", 0, D("400.00"), D("790.00")),
        ("invoice", D("595.00"), 0, D("1385.00"))]
    assert whole.closing_balance == D("1385.00")

    from_march = statement(client_de, start=date(2026, 3, 1))
    assert from_march.opening_balance == D("790.00")
    assert [e.kind for e in from_march.entries] == [EntryKind.INVOICE]
    assert from_march.closing_balance == D("1385.00") == whole.closing_balance
    assert from_march.total_debits == D("595.00") and from_march.total_credits == 0


def test_end_date_leaves_later_movements_out(client_de, invoice, make_payment):
    invoice(client_de, "1000.00", date(2026, 1, 10))
    make_payment(client_de, "1190.00", date(2026, 5, 1))
    st = statement(client_de, start=date(2026, 1, 1), end=date(2026, 3, 31))
    assert [e.kind for e in st.entries] == [EntryKind.INVOICE]
    assert st.closing_balance == D("1190.00")


def test_partial_payment_names_the_invoice_and_runs_the_balance(client_de, invoice,
                                                                 make_payment):
    first = invoice(client_de, "1000.00", date(2026, 1, 1))
    make_payment(client_de, "190.00", date(2026, 2, 15), reference="SEPA-1")
    st = statement(client_de)
    payment = st.entries[-1]
    assert (payment.kind, payment.document, payment.applied_to) == (
        EntryKind.PAYMENT, "SEPA-1", (first.number,))
    assert payment.credit == D("190.00") and payment.balance == D("1000.00")
    assert st.closing_balance == D("1000.00") and not st.in_credit


def test_overpayment_is_a_credit_in_the_clients_favour(client_de, invoice, make_payment):
    invoice(client_de, "100.00", date(2026, 3, 1))  # 119.00
    make_payment(client_de, "200.00", date(2026, 3, 20))
    st = statement(client_de)
    assert st.entries[-1].credit == D("200.00")  # the full payment, unapplied part included
    assert st.closing_balance == D("-81.00") and st.in_credit
    assert st.unapplied_credit == D("81.00")
    assert st.aging_total == 0


def test_early_payment_discount_is_a_credit_before_the_payment(client_de, make_invoice,
                                                                make_payment):
    terms = TermsFactory(**SEED_TERMS)  # 5 % within 30 days
    make_invoice(client_de, "1000.00", issue_date=date(2026, 5, 1), terms=terms)
    make_payment(client_de, "950.00", date(2026, 5, 20))
    assert kinds_and_balances(statement(client_de)) == [
        ("invoice", D("1000.00"), 0, D("1000.00")),
        ("early_discount", 0, D("50.00"), D("950.00")),
        ("payment", 0, D("950.00"), D("0.00"))]


def test_late_fee_and_interest_are_debits_write_off_and_credit_note_credits(client_de,
                                                                             invoice):
    inv = invoice(client_de, "1000.00", date(2026, 1, 1))  # 1,190.00
    services.adjustment_add(invoice=inv, kind="late_fee", amount="40.00", on=date(2026, 3, 5))
    services.adjustment_add(invoice=inv, kind="interest", amount="12.34", on=date(2026, 4, 1))
    services.adjustment_add(invoice=inv, kind="credit_note", amount="100.00",
                            on=date(2026, 4, 10))
    services.invoice_transition(invoice=inv, to=InvoiceStatus.WRITTEN_OFF,
                                reason="insolvent", on=date(2026, 5, 1))
    assert kinds_and_balances(statement(client_de)) == [
        ("invoice", D("1190.00"), 0, D("1190.00")),
        ("late_fee", D("40.00"), 0, D("1230.00")),
        ("interest", D("12.34"), 0, D("1242.34")),
        ("credit_note", 0, D("100.00"), D("1142.34")),
        ("write_off", 0, D("1142.34"), D("0.00"))]


def test_two_currencies_are_kept_apart(client_de, invoice, make_payment):
    invoice(client_de, "1000.00", date(2026, 2, 1))
    invoice(client_de, "300.00", date(2026, 2, 2), currency="USD")
    make_payment(client_de, "100.00", date(2026, 3, 1), currency="USD")
    assert documents.statement_currencies(client_de) == ["EUR", "USD"]  # default first

    eur, usd = statement(client_de, "EUR"), statement(client_de, "usd")
    assert eur.closing_balance == D("1190.00") and len(eur.entries) == 1
    assert usd.currency == "USD" and usd.closing_balance == D("257.00")
    assert [e.kind for e in usd.entries] == [EntryKind.INVOICE, EntryKind.PAYMENT]
    assert usd.aging_total == D("257.00") and eur.aging_total == D("1190.00")


def test_drafts_and_voided_invoices_are_not_owed(client_de, invoice):
    invoice(client_de, "1000.00", date(2026, 1, 1))
    invoice(client_de, "500.00", date(2026, 1, 2), issue=False)  # draft
    voided = invoice(client_de, "700.00", date(2026, 1, 3))
    services.adjustment_add(invoice=voided, kind="late_fee", amount="40.00",
                            on=date(2026, 3, 1))
    services.invoice_transition(invoice=voided, to=InvoiceStatus.VOID, reason="duplicate")
    st = statement(client_de)
    assert [e.document for e in st.entries] == ["INV-0001"]
    assert st.closing_balance == D("1190.00") == st.aging_total
    assert documents.statement_currencies(ClientFactory()) == []


def test_aging_buckets_as_of_today(client_de, invoice, make_payment):
    # Net 30: issued 30 + n days before TODAY is n days overdue.
    for overdue, net in [(-5, "100.00"), (10, "200.00"), (45, "300.00"), (75, "400.00"),
                         (120, "500.00"), (200, "600.00")]:
        invoice(client_de, net, TODAY - timedelta(days=30 + overdue))
    paid = invoice(client_de, "50.00", TODAY - timedelta(days=40))
    make_payment(client_de, "59.50", TODAY - timedelta(days=1), invoices=[paid])
    st = statement(client_de)
    assert [(line.bucket.key, line.amount, line.count) for line in st.aging] == [
        ("current", D("119.00"), 1), ("1-30", D("238.00"), 1), ("31-60", D("357.00"), 1),
        ("61-90", D("476.00"), 1), ("90+", D("1309.00"), 2)]
    assert st.aging_total == st.closing_balance == D("2499.00")
    assert st.open_invoices[0] == "INV-0006"  # most overdue first


def test_same_day_invoice_comes_before_its_payment(client_de, invoice, make_payment):
    inv = invoice(client_de, "100.00", date(2026, 6, 1))
    make_payment(client_de, "119.00", date(2026, 6, 1), invoices=[inv])
    assert [e.balance for e in statement(client_de).entries] == [D("119.00"), D("0.00")]


def test_closing_balance_is_what_is_owed_less_credit(client_de, invoice, make_payment):
    a = invoice(client_de, "1000.00", date(2026, 1, 1))
    b = invoice(client_de, "250.00", date(2026, 2, 1))
    invoice(client_de, "80.00", date(2026, 3, 1))
    services.adjustment_add(invoice=a, kind="late_fee", amount="40.00", on=date(2026, 3, 5))
    services.invoice_transition(invoice=b, to=InvoiceStatus.DISPUTED, reason="quality")
    make_payment(client_de, "2000.00", date(2026, 4, 1))  # pays a and c; b is disputed
    owed = sum(i.balance for i in Invoice.objects.receivable().filter(client=client_de))
    st = statement(client_de)
    assert st.closing_balance == owed - st.unapplied_credit
    assert st.aging_total == owed


def test_start_after_end_is_refused(client_de):
    with pytest.raises(ValueError, match="starts"):
        statement(client_de, start=date(2026, 5, 1), end=date(2026, 4, 1))


def test_statement_queries_do_not_grow_with_the_history(client_de, invoice, make_payment,
                                                         django_assert_num_queries):
    for day in range(1, 4):
        invoice(client_de, "100.00", date(2026, 1, day))
        make_payment(client_de, "50.00", date(2026, 2, day))
    with django_assert_num_queries(4):
        small = statement(client_de, start=date(2026, 1, 2))
    for day in range(1, 25):
        invoice(client_de, "100.00", date(2026, 3, day))
        make_payment(client_de, "50.00", date(2026, 4, day))
    with django_assert_num_queries(4):
        large = statement(client_de, start=date(2026, 1, 2))
    assert len(large.entries) > len(small.entries) + 40


# --- PDFs ----------------------------------------------------------------------------------------

@override_settings(SETTLE_BUSINESS_NAME="Nordlicht GmbH",
                   SETTLE_BUSINESS_ADDRESS="Hafenweg 5|20457 Hamburg",
                   SETTLE_PAYMENT_INSTRUCTIONS="IBAN DE89 3704 0044 0532 0130 00, "
                                               "Verwendungszweck {reference}")
def test_invoice_pdf_for_a_german_client(client_de, invoice, tmp_path):
    inv = invoice(client_de, "1000.00", date(2026, 6, 1), reference="Projekt Phoenix")
    content = documents.invoice_pdf(inv)
    text = pdf_text(content, tmp_path)
    for expected in ("Rechnung INV-0001", "Rechnungsnr.", "Rechnungsdatum", "1. Juni 2026",
                     "Fällig am", "1. Juli 2026", "Projekt Phoenix", "Beschreibung",
                     "Consulting", "Einzelpreis", "1.000,00 €", "USt. 19 %", "190,00 €",
                     "Gesamtbetrag", "1.190,00 €",
                     "Zahlungsbedingungen: Zahlbar innerhalb von 30 Tagen",
                     "Bitte zahlen Sie 1.190,00 € bis zum 1. Juli 2026.",
                     "Verwendungszweck INV-0001", "Nordlicht GmbH", "Hafenweg 5",
                     "20457 Hamburg", client_de.display_name, "Seite 1 von 1"):
        assert expected in text, expected
    assert "Invoice" not in text and "Offener Betrag" not in text  # nothing booked yet
    assert page_sizes(content, tmp_path) == [A4]


def test_invoice_pdf_lists_adjustments_payments_and_the_balance(client_de, invoice,
                                                                make_payment, tmp_path):
    inv = invoice(client_de, "1000.00", date(2026, 1, 1))
    services.adjustment_add(invoice=inv, kind="late_fee", amount="40.00", on=date(2026, 3, 5))
    make_payment(client_de, "500.00", date(2026, 4, 1))
    inv.refresh_from_db()
    lines = pdf_text(documents.invoice_pdf(inv), tmp_path).splitlines()

    def row(label: str) -> str:
        return re.sub(r"\s+", " ", next(line for line in lines if label in line)).strip()

    assert row("Mahngebühr").endswith("Mahngebühr (05.03.2026) 40,00 €")
    assert row("Bereits bezahlt").endswith("Bereits bezahlt -500,00 €")
    assert row("Offener Betrag").endswith("Offener Betrag 730,00 €")


def test_invoice_pdf_in_english_on_letter_paper(client_us, invoice, tmp_path):
    inv = invoice(client_us, "1000.00", date(2026, 6, 1), number="US-7")
    content = documents.invoice_pdf(inv)
    text = pdf_text(content, tmp_path)
    for expected in ("Invoice US-7", "Invoice no.", "June 1, 2026", "Due date", "July 1, 2026",
                     "$1,190.00", "Tax 19%", "Springfield, IL 62704", "UNITED STATES"):
        assert expected in text, expected
    assert page_sizes(content, tmp_path) == [LETTER]


def test_invoice_pdf_other_languages_and_english_fallback(client_de, invoice, tmp_path):
    inv = invoice(client_de, "1000.00", date(2026, 6, 1))
    french = pdf_text(documents.invoice_pdf(inv, language="fr"), tmp_path)
    assert "Facture INV-0001" in french and "Total TTC" in french and "1 190,00 €" in french
    fallback = pdf_text(documents.invoice_pdf(inv, language="it"), tmp_path)
    assert "Invoice INV-0001" in fallback and "Due date" in fallback


def test_invoice_pdf_shows_unit_prices_below_the_cent(client_de, make_invoice, tmp_path):
    inv = make_invoice(client_de, lines=[services.LineInput("Druckseiten", "0.0125",
                                                            quantity="1000", tax_rate=7)])
    text = pdf_text(documents.invoice_pdf(inv), tmp_path)
    assert re.search(r"Druckseiten\s+1\.000\s+0,0125 €\s+7\s?%\s+12,50 €", text)


def test_void_draft_and_paid_invoices_say_so(client_de, invoice, make_payment, tmp_path):
    draft = invoice(client_de, "10.00", issue=False)
    void = invoice(client_de, "20.00")
    services.invoice_transition(invoice=void, to=InvoiceStatus.VOID)
    paid = invoice(client_de, "30.00")
    make_payment(client_de, "35.70", date(2026, 6, 1), invoices=[paid])
    void.refresh_from_db()
    paid.refresh_from_db()
    texts = {inv.number: pdf_text(documents.invoice_pdf(inv), tmp_path)
             for inv in (draft, void, paid)}
    assert "Entwurf" in texts[draft.number] and "Storniert" in texts[void.number]
    assert "Vollständig bezahlt" in texts[paid.number]
    assert "Zahlungsinformationen" not in texts[void.number] + texts[paid.number]


def test_statement_pdf_in_german_with_opening_and_closing_balance(client_de, invoice,
                                                                  make_payment, tmp_path):
    invoice(client_de, "1000.00", date(2026, 1, 10))
    make_payment(client_de, "400.00", date(2026, 2, 1), reference="SEPA-77")
    invoice(client_de, "500.00", date(2026, 3, 1))
    content = documents.statement_pdf(client_de, currency="EUR", start=date(2026, 2, 1),
                                      end=TODAY, today=TODAY)
    text = pdf_text(content, tmp_path)
    for expected in ("Kontoauszug", "Zeitraum: 1. Februar 2026 – 30. Juni 2026",
                     "Anfangssaldo", "1.190,00 €", "Zahlungseingang", "SEPA-77",
                     "für INV-0001", "fällig 31.03.2026", "Endsaldo",
                     "Zu zahlender Saldo: 1.385,00 €", "Offene Rechnungen nach Fälligkeit",
                     "Stand 30. Juni 2026", "Über 90 Tage", "Zahlungsinformationen"):
        assert expected in text, expected
    assert page_sizes(content, tmp_path) == [A4]


def test_statement_pdf_says_when_the_balance_is_in_the_clients_favour(client_de, client_us,
                                                                      invoice, make_payment,
                                                                      tmp_path):
    invoice(client_de, "100.00", date(2026, 3, 1))
    make_payment(client_de, "200.00", date(2026, 3, 20))
    german = pdf_text(documents.statement_pdf(client_de, currency="EUR", end=TODAY,
                                              today=TODAY), tmp_path)
    assert "Guthaben zu Ihren Gunsten: 81,00 €" in german
    assert "Nicht verrechnetes Guthaben: 81,00 €" in german
    assert "bis 30. Juni 2026" in german and "Zahlungsinformationen" not in german

    invoice(client_us, "100.00", date(2026, 3, 1))
    make_payment(client_us, "200.00", date(2026, 3, 20))
    english = pdf_text(documents.statement_pdf(client_us, currency="USD", end=TODAY,
                                               today=TODAY), tmp_path)
    assert "Balance in your favour (credit): $81.00" in english


def test_a_long_statement_runs_over_pages(client_de, invoice, tmp_path):
    for day in range(1, 61):
        invoice(client_de, "10.00", date(2026, 1, 1) + timedelta(days=day))
    content = documents.statement_pdf(client_de, currency="EUR", end=TODAY, today=TODAY)
    text = pdf_text(content, tmp_path)
    assert len(page_sizes(content, tmp_path)) >= 2
    assert text.count("Beschreibung") >= 2  # the column headings repeat on each page
    assert text.count("Endsaldo") == 1  # the totals only once, at the end
    assert "Zu zahlender Saldo: 714,00 €" in text


# --- Views ---------------------------------------------------------------------------------------

def test_downloads_need_a_login(client, client_de, invoice):
    inv = invoice(client_de)
    for url in (reverse("receivables:invoice-pdf", args=[inv.pk]),
                reverse("receivables:statement-pdf", args=[client_de.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("login")), url


def test_invoice_download(client, bookkeeper, client_de, invoice, tmp_path):
    inv = invoice(client_de, number="RE/2026/1")
    client.force_login(bookkeeper)
    response = client.get(reverse("receivables:invoice-pdf", args=[inv.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="invoice-RE-2026-1.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert "Rechnung RE/2026/1" in pdf_text(response.content, tmp_path)
    english = client.get(reverse("receivables:invoice-pdf", args=[inv.pk]), {"lang": "en"})
    assert "Invoice RE/2026/1" in pdf_text(english.content, tmp_path)


def test_statement_download(client, bookkeeper, client_de, invoice, tmp_path):
    invoice(client_de, "1000.00", date(2026, 1, 10))
    invoice(client_de, "1000.00", date(2026, 1, 11), currency="USD")
    client.force_login(bookkeeper)
    url = reverse("receivables:statement-pdf", args=[client_de.pk])
    response = client.get(url, {"currency": "usd", "from": "2026-01-01", "to": "2026-03-31"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="statement-{client_de.reference}-USD-2026-03-31.pdf"')
    text = pdf_text(response.content, tmp_path)
    assert "1.190,00 $" in text and "€" not in text
    default = client.get(url)  # the client's default currency, up to today
    assert default.status_code == 200
    assert "bis 30. Juni 2026" in pdf_text(default.content, tmp_path)


def test_unknown_invoice_or_client_is_404(client, bookkeeper):
    client.force_login(bookkeeper)
    assert client.get(reverse("receivables:invoice-pdf", args=[9999])).status_code == 404
    assert client.get(reverse("receivables:statement-pdf", args=[9999])).status_code == 404


@pytest.mark.parametrize(("params", "message"), [
    ({"from": "2026-13-01"}, "'2026-13-01' is not a valid 'from' date: use YYYY-MM-DD"),
    ({"to": "31.03.2026"}, "'31.03.2026' is not a valid 'to' date"),
    ({"to": "20260331"}, "'20260331' is not a valid 'to' date"),
    ({"from": "2026-04-01", "to": "2026-03-01"}, "cannot start (2026-04-01) after it ends"),
    ({"currency": "EURO"}, "'EURO' is not a currency code"),
    ({"currency": "GBP"}, "has no invoices or payments in GBP; statements exist in EUR"),
    ({"lang": "it"}, "Unknown language 'it'"),
])
def test_statement_bad_parameters_are_400_with_a_reason(client, bookkeeper, client_de,
                                                        invoice, params, message):
    invoice(client_de)
    client.force_login(bookkeeper)
    response = client.get(reverse("receivables:statement-pdf", args=[client_de.pk]), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_statement_of_a_client_without_transactions_is_400(client, bookkeeper, client_de):
    client.force_login(bookkeeper)
    response = client.get(reverse("receivables:statement-pdf", args=[client_de.pk]))
    assert response.status_code == 400 and "no issued invoices" in response.content.decode()


def test_invoice_bad_language_is_400(client, bookkeeper, client_de, invoice):
    client.force_login(bookkeeper)
    response = client.get(reverse("receivables:invoice-pdf", args=[invoice(client_de).pk]),
                          {"lang": "xx"})
    assert response.status_code == 400 and "Unknown language" in response.content.decode()
