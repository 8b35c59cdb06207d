"""CSV dialects and encodings, XLSX, locale numbers, date formats, header problems."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from clients.models import Client
from receivables.models import Invoice
from tests.factories import ClientFactory
from tests.transfer.conftest import csv_bytes
from transfer.columns import HeaderError, normalize_header
from transfer.importing import prepare
from transfer.reading import FileError


def test_semicolon_cp1252_with_decimal_comma_and_german_dates(dry_run):
    ClientFactory(reference="K-1", default_currency="EUR")
    content = csv_bytes([["Rechnung", "Kunde"], ["x", "y"]])  # placeholder overwritten below
    content = csv_bytes([["Invoice No", "Customer ID", "Invoice date", "Amount", "Notes"],
                         ["R-1", "K-1", "01.03.2026", "1.234,50", "Müller & Söhne"]],
                        delimiter=";", encoding="cp1252")
    with pytest.raises(FileError, match=r"not valid UTF-8 text: line 2"):
        prepare(content, "export.csv", None)  # never guessed: the user says what it is
    prepared = prepare(content, "export.csv", None, encoding="cp1252")
    assert (prepared.kind, prepared.table.delimiter, prepared.table.encoding) == (
        "invoices", ";", "cp1252")
    report = dry_run(content, commit=True, date_format="DD.MM.YYYY", decimal="comma",
                     encoding="cp1252")
    assert report.ok, report.errors
    inv = Invoice.objects.get(number="R-1")
    assert (inv.total, inv.issue_date, inv.notes) == (
        Decimal("1234.50"), date(2026, 3, 1), "Müller & Söhne")


def test_utf8_with_bom_and_a_locale_number(dry_run):
    ClientFactory(reference="K-1", default_currency="CHF")
    content = csv_bytes([["Invoice number", "Client reference", "Issue date", "Total"],
                         ["R-2", "K-1", "03/15/2026", "1'234.55"]], bom=True)
    assert prepare(content, "x.csv", None).table.headers[0] == "Invoice number"
    report = dry_run(content, commit=True, date_format="MM/DD/YYYY", decimal="de_CH")
    assert report.ok, report.errors
    assert Invoice.objects.get(number="R-2").total == Decimal("1234.55")


def test_a_number_in_the_wrong_locale_is_an_error_not_a_guess(dry_run):
    ClientFactory(reference="K-1")
    content = csv_bytes([["Invoice number", "Client reference", "Issue date", "Total"],
                         ["R-3", "K-1", "2026-03-01", "1,234.50"]], delimiter=";")
    report = dry_run(content, decimal="comma")
    assert [(e.column, e.value) for e in report.errors] == [("Total", "1,234.50")]
    assert "1.234,56" in report.errors[0].reason


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.usefixtures("at_now")
def test_xlsx_with_typed_cells(dry_run):
    ClientFactory(reference="1001", default_currency="EUR")
    content = _xlsx([["Invoice #", "Account", "Invoice Date", "Due Date", "Total", "Tax"],
                     ["X-1", 1001, datetime(2026, 3, 1), date(2026, 3, 31), 1190.1, 190.1],
                     [None, None, None, None, None, None],
                     ["X-2", 1001, datetime(2026, 3, 2), None, 1.234, None]])
    report = dry_run(content, filename="book.xlsx", commit=True, decimal="comma")
    # A number cell is a number, whatever the text locale: 1.234 is not 1234 here, and has
    # more decimals than EUR allows.
    assert [(e.line, e.column) for e in report.errors] == [(4, "Total")]
    assert "decimal" in report.errors[0].reason
    content = _xlsx([["Invoice #", "Account", "Invoice Date", "Due Date", "Total", "Tax"],
                     ["X-1", 1001, datetime(2026, 3, 1), date(2026, 3, 31), 1190.1, 190.1]])
    report = dry_run(content, filename="book.xlsx", commit=True)
    assert report.ok, report.errors
    inv = Invoice.objects.get(number="X-1")
    assert (inv.total, inv.tax_total, inv.due_date) == (
        Decimal("1190.10"), Decimal("190.10"), date(2026, 3, 31))


def test_missing_required_columns_are_one_clear_error():
    content = csv_bytes([["Invoice number", "Total"], ["R-1", "10"]])
    with pytest.raises(HeaderError) as caught:
        prepare(content, "x.csv", "invoices")
    assert "'Client reference'" in str(caught.value) and "'Issue date'" in str(caught.value)


def test_two_columns_for_one_field_and_undetectable_kinds_are_refused():
    with pytest.raises(HeaderError, match="both give"):
        prepare(csv_bytes([["Client reference", "Account", "Name"], ["1", "2", "3"]]),
                "x.csv", "clients")
    with pytest.raises(HeaderError, match="do not look like"):
        prepare(csv_bytes([["Foo", "Bar"], ["1", "2"]]), "x.csv", None)


def test_unreadable_files():
    with pytest.raises(FileError, match="empty"):
        prepare(b"  ", "x.csv", None)
    with pytest.raises(FileError, match="no rows"):
        prepare(csv_bytes([["Client reference", "Name"]]), "x.csv", None)
    with pytest.raises(FileError, match="cannot be read"):
        prepare(b"PK\x03\x04 not really a zip", "x.xlsx", None)


def test_header_names_are_matched_loosely():
    assert normalize_header("  Invoice No. ") == "invoice no"
    assert normalize_header("Invoice #") == "invoice number"
    assert normalize_header("E-Mail") == "e mail"


def test_clients_detected_and_imported_from_tab_separated_utf16(dry_run):
    text = "Client reference\tName\tTime zone\r\nC-9\tZeta Ltd\tEurope/London\r\n"
    content = text.encode("utf-16")
    report = dry_run(content, commit=True)
    assert report.ok and report.kind == "clients"
    assert Client.objects.get(reference="C-9").timezone == "Europe/London"
