"""The import engine: every row error listed, nothing written on error, natural keys."""

from datetime import date
from decimal import Decimal

import pytest

from clients.models import Client, Interaction
from receivables.models import Invoice, Payment, PaymentSync
from tests.factories import ClientFactory
from tests.transfer.conftest import csv_bytes

pytestmark = pytest.mark.usefixtures("at_now")

CLIENTS_HEAD = ["Customer ID", "Company", "E-mail", "Country", "Fax"]
INVOICES_HEAD = ["Invoice No.", "Account", "Invoice date", "Due", "Currency", "Total", "VAT"]


def test_a_clients_file_with_errors_lists_them_all_and_writes_nothing(dry_run, bookkeeper):
    content = csv_bytes([CLIENTS_HEAD,
                         ["C-1", "Acme GmbH", "ap@acme.example", "DE", "x"],
                         ["C-2", "Beta AG", "not-an-email", "DE", ""],
                         ["", "Gamma", "g@example.com", "ZZ", ""],
                         ["C-4", "Delta", "d@example.com", "XX", ""]])
    report = dry_run(content, commit=True, actor=bookkeeper)
    errors = {(e.line, e.column) for e in report.errors}
    assert errors == {(3, "E-mail"), (4, "Customer ID"), (5, "Country")}
    assert report.unknown_columns == ["Fax"]
    assert Client.objects.count() == 0  # the good row was rolled back too
    assert Interaction.objects.count() == 0


def test_the_fixed_clients_file_imports_and_reimport_changes_nothing(dry_run, bookkeeper):
    rows = [CLIENTS_HEAD, ["C-1", "Acme GmbH", "AP@acme.example", "de", ""],
            ["C-2", "Beta AG", "b@beta.example", "AT", ""]]
    report = dry_run(csv_bytes(rows), commit=True, actor=bookkeeper)
    assert report.ok and (report.created, report.updated) == (2, 0)
    acme = Client.objects.get(reference="C-1")
    assert (acme.email, acme.country) == ("ap@acme.example", "DE")
    again = dry_run(csv_bytes(rows), commit=True, actor=bookkeeper)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[1][2] = "billing@acme.example"
    changed = dry_run(csv_bytes(rows), commit=True, actor=bookkeeper)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    acme.refresh_from_db()
    assert acme.email == "billing@acme.example"
    assert Client.objects.count() == 2
    assert acme.interactions.filter(summary__contains="email").exists()


def test_dry_run_writes_nothing_even_when_clean(dry_run):
    report = dry_run(csv_bytes([CLIENTS_HEAD, ["C-1", "Acme", "", "DE", ""]]))
    assert report.ok and report.created == 1
    assert not Client.objects.exists()


def test_invoices_with_errors_in_several_rows_and_columns(dry_run, bookkeeper):
    ClientFactory(reference="C-1", default_currency="EUR")
    content = csv_bytes([INVOICES_HEAD,
                         ["INV-1", "C-1", "2026-03-01", "2026-03-31", "EUR", "1190.00", "190.00"],
                         ["INV-2", "C-9", "2026-03-01", "", "EUR", "100.00", ""],
                         ["INV-3", "C-1", "01.03.2026", "", "EUR", "abc", ""],
                         ["INV-4", "C-1", "2026-03-10", "2026-03-01", "EUR", "50.001", ""]])
    report = dry_run(content, commit=True, actor=bookkeeper)
    got = sorted((e.line, e.column) for e in report.errors)
    assert got == [(3, "Account"), (4, "Invoice date"), (4, "Total"), (5, "Total")]
    reasons = " ".join(e.reason for e in report.errors)
    assert "No client with reference 'C-9'" in reasons and "YYYY-MM-DD" in reasons
    assert not Invoice.objects.exists()


def test_invoices_import_then_reimport_updates_due_date_and_refuses_new_amount(
        dry_run, bookkeeper):
    ClientFactory(reference="C-1", default_currency="EUR")
    rows = [INVOICES_HEAD,
            ["INV-1", "C-1", "2026-03-01", "2026-03-31", "EUR", "1190.00", "190.00"],
            ["INV-2", "C-1", "2026-03-02", "", "", "100.00", ""]]
    report = dry_run(csv_bytes(rows), commit=True, actor=bookkeeper)
    assert report.ok and report.created == 2
    inv = Invoice.objects.get(number="INV-1")
    assert (inv.total, inv.tax_total, inv.status, inv.source) == (
        Decimal("1190.00"), Decimal("190.00"), "open", "import")
    assert dry_run(csv_bytes(rows), commit=True).unchanged == 2
    rows[1][3] = "2026-04-15"
    rows[2][5] = "120.00"
    report = dry_run(csv_bytes(rows), commit=True, actor=bookkeeper)
    assert [(e.line, e.column) for e in report.errors] == [(3, "Total")]
    assert "cannot change in Settle" in report.errors[0].reason
    inv.refresh_from_db()
    assert inv.due_date == date(2026, 3, 31)  # nothing written: one row failed
    rows[2][5] = "100.00"
    report = dry_run(csv_bytes(rows), commit=True, actor=bookkeeper)
    assert (report.updated, report.unchanged) == (1, 1)
    inv.refresh_from_db()
    assert inv.due_date == date(2026, 4, 15)
    assert Invoice.objects.count() == 2


def test_one_row_per_line_with_the_same_invoice_number(dry_run):
    ClientFactory(reference="C-1", default_currency="EUR")
    content = csv_bytes([["Invoice number", "Client reference", "Issue date", "Description",
                          "Qty", "Unit price", "Tax rate"],
                         ["INV-7", "C-1", "2026-03-01", "Design", "2", "500.00", "19"],
                         ["INV-7", "C-1", "", "Hosting", "1", "100.00", "19"],
                         ["INV-8", "C-1", "2026-03-01", "Support", "1", "80.00", "0"]])
    report = dry_run(content, commit=True)
    assert report.ok and report.created == 2
    inv = Invoice.objects.get(number="INV-7")
    assert [ln.description for ln in inv.lines.all()] == ["Design", "Hosting"]
    assert inv.total == Decimal("1309.00")


def test_payments_import_allocates_records_sync_and_needs_references(dry_run, bookkeeper,
                                                                      make_invoice):
    acme = ClientFactory(reference="C-1", default_currency="EUR")
    make_invoice(acme, "500.00", number="INV-1")
    make_invoice(acme, "300.00", number="INV-2")
    head = ["Customer ID", "Payment date", "Amount", "Reference", "Invoice No"]
    bad = csv_bytes([head, ["C-1", "2026-03-10", "300.00", "BANK-1", "INV-2"],
                     ["C-1", "2026-03-11", "100.00", "", ""],
                     ["C-1", "2026-03-12", "50.00", "BANK-1", ""],
                     ["C-1", "2026-03-13", "10.00", "BANK-4", "INV-9"]])
    report = dry_run(bad, commit=True, actor=bookkeeper)
    assert sorted((e.line, e.column) for e in report.errors) == [
        (3, "Reference"), (4, "Reference"), (5, "Invoice No")]
    assert "cannot be told apart" in report.errors[0].reason
    assert not Payment.objects.exists() and not PaymentSync.objects.exists()
    good = csv_bytes([head, ["C-1", "2026-03-10", "300.00", "BANK-1", "INV-2"],
                      ["C-1", "2026-03-11", "100.00", "BANK-2", ""]])
    report = dry_run(good, commit=True, actor=bookkeeper)
    assert report.ok and report.created == 2
    assert Invoice.objects.get(number="INV-2").status == "paid"
    assert Invoice.objects.get(number="INV-1").amount_paid == Decimal("100.00")
    assert set(Payment.objects.values_list("source", flat=True)) == {"import"}
    assert PaymentSync.objects.get(source="import").payments == 2
    again = dry_run(good, commit=True, actor=bookkeeper)
    assert (again.created, again.unchanged) == (0, 2)
    assert Payment.objects.count() == 2
    assert PaymentSync.objects.get(source="import").payments == 0
