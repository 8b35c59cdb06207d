"""Printed letters: window-envelope layout on A4 and US Letter, locale money and dates, the open
invoices table, the seeded letter of demand, size, the print batch, and the URL fetcher that
keeps WeasyPrint away from anything but the app's static files."""

import logging
import re
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from core.money import format_money
from receivables import services
from receivables.selectors import invoice_quote
from reminders.channels import letter as letters
from reminders.defaults import TEMPLATES
from reminders.rendering import render
from reminders.selectors import message_context
from tests.factories import SEED_TERMS, ClientFactory, TermsFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 20)
ISSUED = date(2026, 1, 1)  # Net 30 → due 31 January 2026, 48 days overdue on TODAY
PAY_URL = "https://pay.example.com/p/t0k3n"
INSTRUCTIONS = "Bank transfer to IBAN DE89 3704 0044 0532 0130 00, reference {reference}."
ADDRESS = "Friedrichstraße 123\n10117 Berlin"
A4, LETTER = (595.28, 841.89), (612.0, 792.0)
LOG = "reminders.channels.letter"


# --- helpers ---------------------------------------------------------------------------------

def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True, text=True).stdout
    return out.replace("\u00a0", " ")


def page_sizes(pdf: bytes, tmp_path: Path) -> list[tuple[float, float]]:
    """Each page's /MediaBox size in points, as pdfinfo reads it."""
    path = tmp_path / "sizes.pdf"
    path.write_bytes(pdf)
    pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout,
        re.M).group(1))
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(path)],
                          capture_output=True, check=True, text=True).stdout
    return [(round(float(w), 2), round(float(h), 2))
            for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)]


def invoice(client: Any, number: str, amount: str = "1000.00", *, terms: Any = None,
            reference: str = "", issue_date: date = ISSUED) -> Any:
    return services.invoice_create(
        client=client, number=number, issue_date=issue_date,
        terms=terms or TermsFactory(name="Net 30 plain", net_days=30), reference=reference,
        lines=[services.LineInput("Consulting", amount, tax_rate=19)])


def demand_letter(client: Any, invoices: list[Any], *, language: str | None = None) -> str:
    """A letter of demand from the seeded ``demand_30`` letter template, as the dispatcher
    would build it."""
    language = language or client.language
    context = message_context(client=client, invoices=invoices, today=TODAY, pay_url=PAY_URL,
                              language=language)
    subject, _text, html = TEMPLATES["demand_30"][language]["letter"]
    rendered = render(subject=subject + ": {{ invoice_numbers }}", text="", html=html,
                      context=context)
    return letters.letter_html(
        client=client, invoices=invoices, today=TODAY, subject=rendered.subject,
        body_html=rendered.html, pay_url=PAY_URL,
        payment_instructions=context["payment_instructions"], language=language)


def plain_letter(client: Any, invoices: list[Any], **overrides: Any) -> str:
    kwargs: dict[str, Any] = {
        "client": client, "invoices": invoices, "today": TODAY, "subject": "Reminder",
        "body_html": "<p>Dear customer,</p><p>please pay.</p>", "pay_url": PAY_URL,
        "payment_instructions": INSTRUCTIONS.format(reference="X"), "language": "en"}
    return letters.letter_html(**{**kwargs, **overrides})


@pytest.fixture
def client_us(db: Any) -> Any:
    return ClientFactory(
        display_name="Acme", legal_name="Acme Corporation", contact_name="John Doe",
        address_line1="1600 Main Street", address_line2="Suite 200", city="Springfield",
        region="IL", postcode="62704", country="US", language="en",
        timezone="America/Chicago", default_currency="USD", mobile_phone="+12125550123")


# --- Paper ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("country", "paper"), [
    ("DE", "A4"), ("GB", "A4"), ("FR", "A4"), ("AU", "A4"), ("US", "Letter"),
    ("us", "Letter"), ("CA", "Letter"), ("MX", "Letter"), ("PH", "Letter"), ("CL", "Letter"),
    ("CO", "Letter"), ("", "A4")])
def test_paper_follows_the_clients_country(country: str, paper: str) -> None:
    assert letters.paper_for(country) == paper


# --- One letter ------------------------------------------------------------------------------

@override_settings(SETTLE_BUSINESS_ADDRESS=ADDRESS)
def test_german_letter_of_demand_on_a4(client_de: Any, tmp_path: Path) -> None:
    client_de.legal_name = "Müller Bau GmbH"
    client_de.save()
    first = invoice(client_de, "INV-0042", reference="Website relaunch")
    second = invoice(client_de, "INV-0043", "500.00", issue_date=date(2026, 1, 10))
    pdf = letters.render_pdf(demand_letter(client_de, [first, second]))

    assert pdf.startswith(b"%PDF-")
    assert page_sizes(pdf, tmp_path) == [A4]
    text = pdf_text(pdf, tmp_path)
    # Sender: letterhead and the return-address line above the window.
    assert "Settle Demo Ltd · Friedrichstraße 123 · 10117 Berlin" in text
    # Recipient: continental "Postcode City", no country line for a domestic letter.
    lines = [line.strip() for line in text.splitlines()]
    for expected in ("Müller Bau GmbH", "Erika Mustermann", "Hauptstraße 1", "10115 Berlin"):
        assert any(line.startswith(expected) for line in lines), expected
    assert "DEUTSCHLAND" not in text and "GERMANY" not in text
    # Information block: customer number, invoice numbers, date in German.
    assert "Kundennummer" in text and client_de.reference in text
    assert "20. März 2026" in text
    # The demand itself (from the template body): amount, deadline, next step.
    assert "Letzte Mahnung: INV-0042, INV-0043" in text
    assert "1.785,00 € weiterhin offen" in text  # 1.190,00 € + 595,00 €
    assert "bis zum 3. April 2026" in text
    assert "Inkassopartner" in text
    # The open invoices table, in German, with a total row.
    assert "Offene Rechnungen" in text and "Tage überfällig" in text
    table = [line.strip() for line in text.split("Offene Rechnungen")[1].splitlines()]
    row = next(line for line in table if line.startswith("INV-0042"))
    assert "Website relaunch" in row and "31. Januar 2026" in row and " 48 " in row
    assert "1.190,00 €" in row
    total_row = next(line for line in table if line.startswith("Gesamtbetrag"))
    assert total_row.split()[-2:] == ["1.785,00", "€"]
    # Payment: instructions, the pay link in text (the QR code is vector, no raster image).
    assert "Zahlungsinformationen" in text and "DE89 3704 0044 0532 0130 00" in text
    assert PAY_URL in text
    assert b"/Subtype /Image" not in pdf
    assert "Seite 1 von 1" in text


def test_us_letter_for_a_us_client(client_us: Any, tmp_path: Path) -> None:
    pdf = letters.render_pdf(demand_letter(client_us, [invoice(client_us, "INV-0100")]))

    assert page_sizes(pdf, tmp_path) == [LETTER]
    text = pdf_text(pdf, tmp_path)
    lines = [line.strip() for line in text.splitlines()]
    for expected in ("Acme Corporation", "John Doe", "1600 Main Street", "Suite 200",
                     "Springfield, IL 62704", "UNITED STATES"):  # abroad from a DE sender
        assert any(line.startswith(expected) for line in lines), expected
    assert "March 20, 2026" in text
    assert "Formal demand for payment: INV-0100" in text
    assert "$1,190.00 remains unpaid" in text
    assert "by April 3, 2026" in text and "collections partner" in text
    assert PAY_URL in text and "Page 1 of 1" in text


def test_letter_html_places_the_address_for_the_window(client_de: Any, client_us: Any) -> None:
    a4 = plain_letter(client_de, [invoice(client_de, "INV-1")], language="de")
    us = plain_letter(client_us, [invoice(client_us, "INV-2")])
    assert 'class="letter paper-a4"' in a4 and 'class="return-line"' in a4
    assert 'class="letter paper-letter"' in us and 'class="return-line"' not in us
    css = Path(letters.static_file("pdf/window.css")).read_text()
    for rule in ("left: -5mm", "top: 45mm", "width: 85mm", "height: 45mm",  # DIN 5008 B
                 "left: -0.125in", "top: 2in", "width: 4in", "height: 1.125in"):  # #10
        assert rule in css
    assert '"DejaVu Sans"' in css


@override_settings(SETTLE_DEFAULT_COUNTRY="DE")
def test_address_formats_by_country(db: Any) -> None:
    gb = ClientFactory(legal_name="Tea Ltd", contact_name="", address_line1="1 Mall",
                       city="London", postcode="SW1A 1AA", country="GB", language="en",
                       default_currency="GBP")
    fr = ClientFactory(display_name="Boulangerie", contact_name="", address_line1="2 rue X",
                       city="Paris", postcode="75001", country="FR", language="fr")
    html_gb = plain_letter(gb, [invoice(gb, "INV-GB")])
    assert ("<div>Tea Ltd</div><div>1 Mall</div><div>LONDON</div><div>SW1A 1AA</div>"
            "<div>UNITED KINGDOM</div>") in html_gb
    html_fr = plain_letter(fr, [invoice(fr, "INV-FR")], language="fr")
    assert "<div>75001 Paris</div><div>FRANCE</div>" in html_fr
    assert "Factures impayées" in html_fr and "Jours de retard" in html_fr


def test_labels_in_spanish_and_english_fallback(client_de: Any) -> None:
    inv = invoice(client_de, "INV-ES")
    assert "Facturas pendientes" in plain_letter(client_de, [inv], language="es")
    fallback = plain_letter(client_de, [inv], language="it")
    assert "Open invoices" in fallback and 'lang="en"' in fallback


def test_fees_interest_and_totals_come_from_the_quote(client_de: Any, tmp_path: Path) -> None:
    terms = TermsFactory(**SEED_TERMS)  # 1.5 % interest a month from 30 days overdue
    inv = invoice(client_de, "INV-0050", terms=terms, issue_date=date(2025, 11, 1))
    services.adjustment_add(invoice=inv, kind="late_fee", amount="40.00", on=date(2026, 1, 5))
    inv.refresh_from_db()
    quote = invoice_quote(invoice=inv, on=TODAY)
    assert quote.interest > 0 and isinstance(quote.total, Decimal)

    text = pdf_text(letters.render_pdf(plain_letter(client_de, [inv], language="de")),
                    tmp_path)
    row = next(line for line in text.splitlines() if line.startswith("INV-0050"))
    money = [format_money(v, "EUR", "de_DE").replace("\u00a0", " ")
             for v in (Decimal("1190.00"), Decimal("40.00"), quote.interest, quote.total)]
    assert money[-1] == format_money(Decimal("1230.00") + quote.interest, "EUR",
                                     "de_DE").replace("\u00a0", " ")
    positions = [row.index(m) for m in money]
    assert positions == sorted(positions), row  # amount, fees, interest, total in order
    total_row = next(line for line in text.splitlines() if "Gesamtbetrag" in line)
    assert all(m in total_row for m in money)


def test_body_html_is_inserted_as_html_and_values_are_escaped(client_de: Any) -> None:
    inv = invoice(client_de, "INV-<b>")
    html = plain_letter(client_de, [inv], body_html="<p>Pay <strong>now</strong></p>",
                        pay_url="https://pay.example.com/p/a?b=1&c=2")
    assert "<p>Pay <strong>now</strong></p>" in html
    assert "INV-&lt;b&gt;" in html and "INV-<b>" not in html
    assert 'href="https://pay.example.com/p/a?b=1&amp;c=2"' in html
    assert '<svg viewBox="0 0' in html  # the QR code, inline vector


def test_one_letter_has_a_table_per_currency(client_de: Any) -> None:
    """A client owing in euros and dollars gets one letter with a section per currency; the
    totals never add euros to dollars."""
    eur = invoice(client_de, "INV-EUR", amount="100.00")
    usd = services.invoice_create(client=client_de, number="INV-USD", issue_date=ISSUED,
                                  currency="USD", lines=[services.LineInput("X", "10")])
    html = plain_letter(client_de, [eur, usd])
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert html.count('<table class="items">') == 2
    assert "Euro (EUR)" in text and "US Dollar (USD)" in text
    euro_section = text[text.index("Euro (EUR)"):text.index("US Dollar (USD)")]
    assert "INV-EUR" in euro_section and "INV-USD" not in euro_section
    assert re.search(r"119[.,]00", euro_section)  # 100 + 19 % VAT, in euros only
    with pytest.raises(ValueError, match="at least one"):
        plain_letter(client_de, [])


def test_two_page_letter_stays_under_100_kb(client_de: Any, tmp_path: Path) -> None:
    invoices = [invoice(client_de, f"INV-{n:04d}", reference=f"Project {n}",
                        issue_date=date(2026, 1, 1 + n % 28)) for n in range(30)]
    pdf = letters.render_pdf(demand_letter(client_de, invoices))
    assert len(page_sizes(pdf, tmp_path)) >= 2
    assert len(pdf) < 100_000
    text = pdf_text(pdf, tmp_path)
    assert "INV-0000" in text and "INV-0029" in text and "Seite 2 von" in text


# --- The print batch -------------------------------------------------------------------------

def test_batch_pdf_has_a_cover_sheet_then_every_letter(client_de: Any, client_us: Any,
                                                       tmp_path: Path) -> None:
    long = [invoice(client_de, f"INV-L{n:03d}") for n in range(30)]
    items = [("Client DE (1)", demand_letter(client_de, [invoice(client_de, "INV-A")])),
             ("Acme Corporation", demand_letter(client_us, [invoice(client_us, "INV-B")])),
             ("Client DE (long)", demand_letter(client_de, long))]
    counts = [len(page_sizes(letters.render_pdf(html), tmp_path)) for _, html in items]
    assert counts[2] >= 2

    pdf = letters.batch_pdf(items, title="Letters 20 March 2026",
                            generated_at=datetime(2026, 3, 20, 7, 30, tzinfo=UTC))
    sizes = page_sizes(pdf, tmp_path)
    assert len(sizes) == 1 + sum(counts)
    assert sizes[0] == A4  # the cover, on the sender's paper
    assert sizes[1 + counts[0]] == LETTER  # the US letter keeps its own paper size
    assert sizes[1:1 + counts[0]] == [A4] * counts[0]

    text = pdf_text(pdf, tmp_path)
    cover, *rest = text.split("\f")
    assert "Letters 20 March 2026" in cover and "3 letters" in cover
    assert f"{1 + sum(counts)} pages" in cover
    for number, (label, _html) in enumerate(items, 1):
        assert re.search(rf"^\s*{number}\s+{re.escape(label)}\s", cover, re.M), label
    first_long = 2 + counts[0] + counts[1]
    assert f"{first_long}–{first_long + counts[2] - 1}" in cover
    # Each letter starts on a new page: its letterhead opens the page after the cover.
    assert "Letzte Mahnung: INV-A" in rest[0]
    assert "Formal demand for payment: INV-B" in rest[counts[0]]
    assert "Letzte Mahnung: INV-L000" in rest[counts[0] + counts[1]]


def test_empty_batch_is_just_the_cover(tmp_path: Path) -> None:
    pdf = letters.batch_pdf([], title="Nothing to print", generated_at=datetime.now(UTC))
    assert len(page_sizes(pdf, tmp_path)) == 1
    assert "No letters in this batch" in pdf_text(pdf, tmp_path)


# --- The URL fetcher -------------------------------------------------------------------------

@override_settings(SITE_URL="https://settle.example.com")
@pytest.mark.parametrize(("url", "reason"), [
    ("file:///etc/passwd", "file: URLs are not allowed"),
    ("FILE:///etc/passwd", "file: URLs are not allowed"),
    ("ftp://settle.example.com/static/letters/letter.css", "ftp: URLs are not allowed"),
    ("http://169.254.169.254/latest/meta-data", "private, loopback or link-local"),
    ("http://127.0.0.1:6379/", "private, loopback or link-local"),
    ("http://[::1]/static/letters/letter.css", "private, loopback or link-local"),
    ("http://10.0.0.5/static/letters/letter.css", "private, loopback or link-local"),
    ("http://localhost:8000/static/letters/letter.css", "localhost"),
    ("https://evil.example.org/static/letters/letter.css", "another host"),
    ("//evil.example.org/static/letters/letter.css", "another host"),
    ("https://settle.example.com/admin/", "outside /static/"),
    ("/static/../config/settings/base.py", "not a plain static file path"),
    ("/static/letters/%2e%2e/%2e%2e/config/settings/base.py", "not a plain static file path"),
    ("/static//etc/passwd", "not a plain static file path"),
    ("/static/letters\\..\\x", "not a plain static file path"),
])
def test_fetcher_refuses_everything_but_static_files(url: str, reason: str,
                                                     caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger=LOG), \
            pytest.raises(letters.LetterResourceRefused, match=re.escape(reason)):
        letters.url_fetcher(url)
    assert any("refused" in r.getMessage() and r.name == LOG for r in caplog.records)


@override_settings(SITE_URL="https://settle.example.com")
@pytest.mark.parametrize("url", [
    "/static/letters/letter.css",
    "https://settle.example.com/static/letters/letter.css",
    "https://SETTLE.example.com/static/letters/letter.css?v=2#x",
])
def test_fetcher_serves_the_letter_stylesheet_from_disk(url: str) -> None:
    response = letters.url_fetcher(url)
    assert response.content_type == "text/css"
    assert b"DejaVu Sans" in response.read()


def test_fetcher_serves_static_on_a_loopback_site_url_without_any_request() -> None:
    # The default SITE_URL is http://127.0.0.1:8000: its /static/ is read from disk (sockets
    # are disabled in tests), anything else on that host is refused.
    base = "http://127.0.0.1:8000"
    with override_settings(SITE_URL=base):
        assert b"@page" in letters.url_fetcher(f"{base}/static/pdf/window.css").read()
        with pytest.raises(letters.LetterResourceRefused):
            letters.url_fetcher(f"{base}/admin/")
        with pytest.raises(letters.LetterResourceRefused, match="private"):
            letters.url_fetcher("http://127.0.0.1:9000/static/letters/letter.css")


def test_fetcher_serves_data_uris() -> None:
    response = letters.url_fetcher("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"
    assert response.content_type == "text/plain"
    svg = letters.url_fetcher("data:image/svg+xml,%3Csvg%20xmlns%3D%22x%22%2F%3E")
    assert svg.content_type == "image/svg+xml" and svg.read() == b'<svg xmlns="x"/>'


def test_missing_static_file_stops_the_render() -> None:
    with pytest.raises(letters.LetterResourceMissing):
        letters.url_fetcher("/static/letters/does-not-exist.css")
    html = ('<html><head><link rel="stylesheet" href="/static/letters/nope.css"></head>'
            "<body>x</body></html>")
    with pytest.raises(letters.LetterRenderError):
        letters.render_pdf(html)


def test_rendering_never_reads_what_a_letter_body_points_at(client_us: Any, tmp_path: Path,
                                                            caplog: Any,
                                                            monkeypatch: Any) -> None:
    read: list[str] = []
    real_static_file = letters.static_file
    monkeypatch.setattr(letters, "static_file",
                        lambda name: read.append(name) or real_static_file(name))
    hostile = (
        '<base href="file:///etc/">'
        '<p>Hello</p><img src="file:///etc/passwd"><img src="http://169.254.169.254/x">'
        '<img src="http://127.0.0.1:6379/x"><img src="passwd">'
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<style>@import url("http://[::1]/x.css");</style>'
        '<svg width="10" height="10"><image href="file:///etc/hostname" width="10" '
        'height="10"/></svg>')
    html = plain_letter(client_us, [invoice(client_us, "INV-H")], body_html=hostile)
    with caplog.at_level(logging.WARNING, logger=LOG):
        pdf = letters.render_pdf(html)

    text = pdf_text(pdf, tmp_path)
    assert "root:" not in text and "Hello" in text
    assert read == ["letters/letter.css", "pdf/window.css"]  # the only files opened
    # The letter's own <base> wins: the stylesheet still applied (US Letter, not A4).
    assert page_sizes(pdf, tmp_path) == [LETTER]
    refused = " ".join(r.getMessage() for r in caplog.records
                       if r.name == LOG and "refused" in r.getMessage())
    for url in ("file:///etc/passwd", "http://169.254.169.254/x", "http://127.0.0.1:6379/x",
                "http://[::1]/x.css"):
        assert url in refused, url
