"""Issue 16, items 1, 3 (truncated sheet XML) and 6: hostile and careless files posted to the
real import page by a bookkeeper. Each is refused with a message a person can act on (a 400
with the form error, or the dry run's row errors), nothing is written, and the bound holds:
the declared 1,048,576 x 16,384 sheet is refused in under 2 s using under 50 MB."""

from __future__ import annotations

import io
import re
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from clients.models import Client
from receivables.models import Invoice, Payment
from tests.factories import ClientFactory
from transfer.models import ImportJob, JobStatus

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"
MB = 1024 * 1024


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(content: bytes, change: Callable[[str, bytes], bytes | None],
           add: dict[str, bytes] | None = None) -> bytes:
    """The same XLSX with its parts passed through ``change`` (None drops a part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def _sheet(content: bytes, edit: Callable[[str], str]) -> bytes:
    return _rezip(content, lambda name, data: edit(data.decode()).encode()
                  if name == SHEET else data)


def _clients_xlsx() -> bytes:
    return _workbook([["Client reference", "Name"], ["C-1", "Acme GmbH"]])


def _huge_dimension(last_cell: str) -> bytes:
    """openpyxl's two-row sheet, then declared A1:XFD1048576 with a last row 1048576."""
    row = int(re.sub(r"[A-Z]", "", last_cell))
    return _sheet(_clients_xlsx(), lambda xml: xml.replace(
        '<dimension ref="A1:B2" />', '<dimension ref="A1:XFD1048576" />').replace(
        "</sheetData>", f'<row r="{row}"><c r="{last_cell}" t="inlineStr"><is><t>x</t></is>'
                        "</c></row></sheetData>"))


def _one_huge_shared_string(size: int) -> bytes:
    """A sheet whose B2 is shared string 0: one text of ``size`` bytes ('a's), deflated."""
    base = _sheet(_clients_xlsx(), lambda xml: xml.replace(
        '<c r="B2" t="inlineStr"><is><t>Acme</t></is></c>', '<c r="B2" t="s"><v>0</v></c>'))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/'
                    b'2006/relationships/sharedStrings" Target="sharedStrings.xml" '
                    b'Id="rId9" /></Relationships>'))
            dst.writestr(info.filename, data)
        with dst.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                       b' count="1" uniqueCount="1"><si><t>')
            chunk = b"a" * MB
            for _ in range(size // MB):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    return out.getvalue()


def _lie_about_sizes(content: bytes, name: str, size: int) -> bytes:
    """The central directory claims ``name`` unpacks to ``size`` bytes."""
    data = bytearray(content)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_length] == name.encode():
            struct.pack_into("<I", data, at + 24, size)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{name} not in the central directory")


def _post(client: Any, content: bytes, name: str, **data: str) -> tuple[Any, float, int]:
    """Post through the real page; the response, the seconds it took and the peak bytes
    allocated while it ran."""
    upload = SimpleUploadedFile(name, content)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = client.post(reverse("transfer:index"), {
            "file": upload, "date_format": "YYYY-MM-DD", "decimal": "point", **data})
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, seconds, peak


def _form_error(response: Any) -> str:
    assert response.status_code == 400, response.status_code
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    return str(errors[0])


def _nothing_written() -> None:
    assert not ImportJob.objects.exists()
    assert not Client.objects.exists() and not Invoice.objects.exists()
    assert not Payment.objects.exists()


@pytest.fixture
def bookkeeper_client(client: Any, bookkeeper: Any) -> Any:
    """Logged in, the page and its form errors rendered once: what is measured is the file."""
    client.force_login(bookkeeper)
    assert client.get(reverse("transfer:index")).status_code == 200
    warm = SimpleUploadedFile("warm.xlsx", _clients_xlsx()[:100])
    assert client.post(reverse("transfer:index"), {"file": warm, "date_format": "YYYY-MM-DD",
                                                   "decimal": "point"}).status_code == 400
    return client


@pytest.mark.parametrize(("last_cell", "says"), [
    ("XFD1048576", "Cell XFD1048576 holds a value; at most 256 columns"),
    ("A1048576", "Row 1,048,576 of the sheet holds a value"),
])
def test_a_5_kb_xlsx_declaring_a_1048576_by_16384_sheet_is_refused_fast_and_small(
        bookkeeper_client, battery, last_cell, says):
    content = _huge_dimension(last_cell)
    assert len(content) < 6_000
    battery.tried(f"a {len(content):,}-byte XLSX declaring <dimension ref=\"A1:XFD1048576\"/>, "
                  f"its last row numbered 1048576 (a value in {last_cell})")
    response, seconds, peak = _post(bookkeeper_client, content, "book.xlsx")
    message = _form_error(response)
    assert says in message and ("Delete what is" in message)
    assert seconds < 2, seconds
    assert peak < 50 * MB, peak
    _nothing_written()
    battery.held(f"400 in {seconds:.2f} s, peak {peak / MB:.1f} MB allocated: {message}")


def test_2000_declared_rows_cost_nothing_the_real_rows_are_checked(bookkeeper_client,
                                                                    battery):
    content = _sheet(_clients_xlsx(), lambda xml: xml.replace(
        '<dimension ref="A1:B2" />', '<dimension ref="A1:XFD2000" />').replace(
        "</sheetData>", '<row r="2000"><c r="B2000" t="inlineStr"><is><t>Zeta</t></is></c>'
                        "</row></sheetData>"))
    battery.tried("an XLSX declaring A1:XFD2000, its last row numbered 2000 (a name, no "
                  "reference)")
    response, seconds, peak = _post(bookkeeper_client, content, "book.xlsx")
    assert response.status_code == 302 and seconds < 2 and peak < 50 * MB
    job = ImportJob.objects.get()
    assert job.status == JobStatus.REJECTED and job.rows_total == 2
    assert [(e["line"], e["column"]) for e in job.errors] == [(2000, "Client reference")]
    assert not Client.objects.exists()
    battery.held(f"two rows read in {seconds:.2f} s, peak {peak / MB:.1f} MB; row 2000's "
                 "missing reference is a row error, nothing written")


def test_a_300_mb_text_cell_in_a_small_xlsx_is_refused_before_it_is_unpacked(
        bookkeeper_client, battery):
    content = _one_huge_shared_string(300 * MB)
    assert len(content) < 400_000
    battery.tried(f"a {len(content) / 1e3:,.0f} KB XLSX whose sharedStrings.xml holds one "
                  "300 MB text (deflated)")
    response, seconds, peak = _post(bookkeeper_client, content, "book.xlsx")
    message = _form_error(response)
    assert "unpacks to 300 MB (at most 100 MB are read)" in message
    assert seconds < 2 and peak < 50 * MB, (seconds, peak)
    _nothing_written()
    battery.held(f"400 in {seconds:.2f} s, peak {peak / MB:.1f} MB: {message}")

    lying = _lie_about_sizes(content, "xl/sharedStrings.xml", 4_000)
    battery.tried("the same file, its zip directory claiming the text unpacks to 4,000 bytes")
    response, seconds, peak = _post(bookkeeper_client, lying, "book.xlsx")
    message = _form_error(response)
    assert "damaged" in message and "Save it again" in message
    assert seconds < 2 and peak < 50 * MB, (seconds, peak)
    _nothing_written()
    battery.held(f"400 in {seconds:.2f} s, peak {peak / MB:.1f} MB (reading stopped at the "
                 f"declared size, the CRC failed): {message}")


def test_a_cell_longer_than_excel_allows_is_refused_naming_it(bookkeeper_client, battery):
    content = _sheet(_clients_xlsx(), lambda xml: xml.replace(
        "<t>Acme GmbH</t>", f"<t>{'A' * 40_000}</t>"))
    battery.tried("an XLSX whose B2 holds 40,000 characters")
    response, _, _ = _post(bookkeeper_client, content, "book.xlsx")
    message = _form_error(response)
    assert "B2" in message and "32,767" in message
    _nothing_written()
    battery.held(f"400: {message}")


def test_truncated_sheet_xml_and_a_truncated_xlsx_are_a_form_error_not_a_500(
        bookkeeper_client, battery):
    good = _clients_xlsx()
    cut_xml = _sheet(good, lambda xml: xml[:len(xml) // 2])
    battery.tried("an XLSX whose sheet XML stops halfway (a well-formed zip)")
    response, _, _ = _post(bookkeeper_client, cut_xml, "book.xlsx")
    message = _form_error(response)
    assert "damaged" in message and "not well-formed XML" in message and "line 1" in message
    battery.held(f"400: {message}")

    battery.tried("an XLSX cut off after half of its bytes")
    response, _, _ = _post(bookkeeper_client, good[:len(good) // 2], "book.xlsx")
    message = _form_error(response)
    assert "cannot be read" in message and "Save it again" in message
    _nothing_written()
    battery.held(f"400: {message}")


def test_a_windows_1252_byte_refuses_the_file_unless_the_user_picks_windows_1252(
        bookkeeper_client, battery):
    content = b"Client reference,Name\r\nC-1,Acme GmbH\r\nC-2,M\xfcller Bau GmbH\r\n"
    battery.tried("a CSV, UTF-8 but for one Windows-1252 byte (0xFC, ü) on line 3, posted "
                  "with the default encoding")
    response, _, _ = _post(bookkeeper_client, content, "clients.csv")
    message = _form_error(response)
    assert "not valid UTF-8" in message and "line 3" in message and "FC" in message
    assert "Windows-1252" in message  # what to do: choose it on the form
    _nothing_written()
    battery.held(f"400: {message}")

    battery.tried("the same file with Windows-1252 chosen on the form")
    response, _, _ = _post(bookkeeper_client, content, "clients.csv", encoding="cp1252")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == JobStatus.CHECKED and job.options["encoding"] == "cp1252"
    assert not Client.objects.exists()  # a dry run
    from transfer import services

    services.import_job_queue(job=job)
    services.import_job_run(job_id=job.pk)
    assert Client.objects.get(reference="C-2").display_name == "Müller Bau GmbH"
    battery.held("checked, and imported as 'Müller Bau GmbH' (never 'MÃ¼ller')")


@pytest.mark.usefixtures("at_now")
def test_dates_outside_2000_to_ten_years_ahead_are_row_errors(bookkeeper_client, battery):
    ClientFactory(reference="C-1", default_currency="EUR")
    head = ["Invoice number", "Client reference", "Issue date", "Due date", "Total"]
    rows = [head, ["R-1", "C-1", "0001-01-01", "", "10.00"],
            ["R-2", "C-1", "2026-03-01", "9999-12-31", "10.00"]]
    content = "\r\n".join(",".join(r) for r in rows).encode()
    battery.tried("invoices dated 0001-01-01 and due 9999-12-31 (CSV); a payment dated "
                  "9999-12-31 in an XLSX date cell")
    response, _, _ = _post(bookkeeper_client, content, "invoices.csv")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == JobStatus.REJECTED
    assert [(e["line"], e["column"]) for e in job.errors] == [(2, "Issue date"),
                                                              (3, "Due date")]
    assert all("Choose a date between 2000-01-01 and" in e["reason"] for e in job.errors)
    page = bookkeeper_client.get(reverse("transfer:job", args=[job.pk])).content.decode()
    assert "0001-01-01" in page and "9999-12-31" in page

    payments = _workbook([["Client reference", "Payment date", "Amount", "Reference"],
                          ["C-1", date(9999, 12, 31), 10, "BANK-1"]])
    response, _, _ = _post(bookkeeper_client, payments, "payments.xlsx")
    job = ImportJob.objects.latest("pk")
    assert job.status == JobStatus.REJECTED
    assert [(e["line"], e["column"], e["value"]) for e in job.errors] == [
        (2, "Payment date", "9999-12-31")]
    assert not Invoice.objects.exists() and not Payment.objects.exists()
    battery.held("each a row error on its line and column ('Choose a date between "
                 "2000-01-01 and …'), the job rejected, nothing written")
