"""CSV exports: amounts as plain decimals, the currency apart, formula injection escaped."""

import csv
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from clients.models import Client
from receivables.models import Invoice
from tests.factories import ClientFactory
from tests.transfer.conftest import csv_bytes

pytestmark = pytest.mark.usefixtures("at_now")


def fetch(http, name, **params):
    response = http.get(reverse(name), params)
    assert response.status_code == 200, response.content
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def book(make_invoice, make_payment, overdue):
    evil = ClientFactory(reference="C-1", display_name="=HYPERLINK(\"http://x\")")
    other = ClientFactory(reference="C-2", display_name="Ölwerk AG", default_currency="JPY")
    make_invoice(evil, "1000.50", number="INV-1", issue_date=date(2026, 3, 1))
    overdue(evil, 45, "200.00", number="INV-2")
    make_invoice(other, "5000", number="-INV-3", currency="JPY", issue_date=date(2026, 3, 2))
    overdue(other, 75, "700", number="INV-5", currency="JPY")
    make_payment(evil, "300.25", date(2026, 3, 10), reference="+BANK-1")
    return evil, other


def test_invoices_export(client, bookkeeper, book):
    client.force_login(bookkeeper)
    rows = fetch(client, "transfer:export-invoices", start="2026-03-01")
    header, *body = rows
    assert header[:6] == ["Invoice number", "Client reference", "Client", "Issue date",
                          "Due date", "Currency"]
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert set(by_number) == {"INV-1", "'-INV-3"}  # issued in the range
    inv1 = by_number["INV-1"]
    assert (inv1["Total"], inv1["Currency"], inv1["Client"]) == (
        "1000.50", "EUR", "'=HYPERLINK(\"http://x\")")
    assert by_number["'-INV-3"]["Total"] == "5000"  # JPY has no minor unit
    # The payment settled the overdue INV-2 (oldest due first) and part of INV-1.
    assert [r[0] for r in fetch(client, "transfer:export-invoices", status="paid")[1:]] == [
        "INV-2"]
    response = client.get(reverse("transfer:export-invoices"),
                          {"start": "2026-03-05", "end": "2026-03-01"})
    assert response.status_code == 400


def test_payments_aging_and_timeline_exports(client, bookkeeper, book):
    client.force_login(bookkeeper)
    header, *payments = fetch(client, "transfer:export-payments")
    row = dict(zip(header, payments[0], strict=True))
    assert (row["Payment reference"], row["Amount"], row["Allocated"], row["Invoice number"]) \
        == ("'+BANK-1", "300.25", "300.25", "INV-2, INV-1")
    header, *aging = fetch(client, "transfer:export-aging", on="2026-03-17")
    assert header == ["Client reference", "Client", "Currency", "Current", "1–30 days",
                      "31–60 days", "61–90 days", "Over 90 days", "Total"]
    lines = {(r[0], r[2]): r for r in aging}
    assert lines[("C-1", "EUR")][3:] == ["900.25", "0.00", "0.00", "0.00", "0.00", "900.25"]
    assert lines[("C-2", "JPY")][3:] == ["5000", "0", "0", "700", "0", "5700"]
    header, *timeline = fetch(client, "transfer:export-timeline", client="C-1")
    assert {r[1] for r in timeline} == {"C-1"}
    assert any("Payment of" in r[5] for r in timeline)
    assert timeline[0][0].endswith("+01:00")  # the client's own zone (Berlin, March)
    response = client.get(reverse("transfer:export-timeline"), {"client": "NOPE"})
    assert response.status_code == 400 and b"No client" in response.content


def test_an_invoices_export_reimports_unchanged(client, bookkeeper, book, dry_run):
    client.force_login(bookkeeper)
    raw = b"".join(client.get(reverse("transfer:export-invoices")).streaming_content)
    report = dry_run(raw, commit=True)
    assert report.kind == "invoices" and report.unchanged == 4 and report.ok, report.errors
    assert Invoice.objects.count() == 4


def test_import_file_command(tmp_path, db):
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_bytes([["Client reference", "Name", "Country"], ["C-1", "A", "DE"],
                                ["C-2", "B", "QQ"]]))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_file", str(path), "--kind", "clients", "--commit", stdout=out)
    assert "line 3\tCountry\t'QQ'" in out.getvalue() and not Client.objects.exists()
    path.write_bytes(csv_bytes([["Client reference", "Name", "Country"], ["C-1", "A", "DE"]]))
    call_command("import_file", str(path), stdout=out)
    assert "dry run, nothing written" in out.getvalue() and not Client.objects.exists()
    call_command("import_file", str(path), "--commit", stdout=out)
    assert Client.objects.filter(reference="C-1").exists()
