"""Hostile downloads (issue 16, items 4 and 5): an invoice number built to break out of the
``Content-Disposition`` header (a quote and a second ``filename*``; CR/LF), and a dispute
attachment that is HTML pretending to be a PDF. Every download's header comes from
``infra.downloads`` (Django's ``content_disposition_header``); every attachment is parsed whole
(``infra.uploads``) and stored under a server-made name with the extension of the type found.
"""

from __future__ import annotations

from email.message import Message
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from rest_framework.test import APIClient

from answers import links
from answers.models import Dispute
from clients.models import Client
from receivables.models import Invoice, InvoiceStatus
from tests.factories import ClientFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

INJECTION = "HDR\"; filename*=UTF-8''evil.html; x=\""


@pytest.fixture
def customer(owner: Any) -> Client:
    return ClientFactory(owner=owner)


@pytest.fixture
def token(customer: Client) -> str:
    return links.link_issue(client=customer).token


@pytest.fixture
def api() -> APIClient:
    api = APIClient()
    api.force_authenticate(UserFactory(username="ledger-sync"))
    return api


def parameters(header: str) -> tuple[str, list[tuple[str, str]]]:
    """The disposition type and its parameters, as an RFC 6266/2231 parser reads them."""
    message = Message()
    message["Content-Disposition"] = header
    params = message.get_params(header="content-disposition") or []
    return params[0][0], [(k, v) for k, v in params[1:]]  # type: ignore[misc]


def filename(header: str) -> str:
    message = Message()
    message["Content-Disposition"] = header
    name = message.get_filename()
    assert name is not None
    return name


def one_page_pdf(javascript: str | None = None) -> bytes:
    writer, out = PdfWriter(), BytesIO()
    writer.add_blank_page(595, 842)
    if javascript:
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject(javascript)})
    writer.write(out)
    return out.getvalue()


# --- Invoice numbers in the header ------------------------------------------------------------

def test_an_injected_invoice_number_stays_inside_one_filename_parameter(
        client: Any, api: APIClient, customer: Client, token: str, battery: Any) -> None:
    battery.tried(f"invoice number {INJECTION!r} set through the API, then its PDF from the "
                  "pay-now page and from the desk")
    created = api.post("/api/v1/invoices/", {
        "client": customer.reference, "number": INJECTION, "issue_date": "2026-03-01",
        "lines": [{"description": "Consulting", "unit_price": "100.00"}]}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    portal = client.get(f"/p/{token}/invoices/{pk}.pdf")
    assert portal.status_code == 200 and portal.content.startswith(b"%PDF-")
    client.force_login(UserFactory(username="berta-desk"))
    desk = client.get(f"/invoices/{pk}.pdf")
    assert desk.status_code == 200
    for response in (portal, desk):
        header = response["Content-Disposition"]
        kind, params = parameters(header)
        assert kind == "inline"
        assert [name for name, _ in params] == ["filename"], header  # no second filename*
        assert filename(header).endswith(".pdf") and '"' not in filename(header)
        assert "\r" not in header and "\n" not in header
    battery.held(f"one filename parameter, the number made safe: {portal['Content-Disposition']}")


@pytest.mark.parametrize("number", ["INV\r\n7", "INV\n7", "INV\t7", "INV\u20287"])
def test_invoice_numbers_with_line_breaks_or_tabs_are_refused(
        api: APIClient, customer: Client, number: str, battery: Any) -> None:
    battery.tried(f"POST /api/v1/invoices/ with number {number!r}")
    response = api.post("/api/v1/invoices/", {
        "client": customer.reference, "number": number, "issue_date": "2026-03-01",
        "lines": [{"description": "Consulting", "unit_price": "100.00"}]}, format="json")
    assert response.status_code == 400 and "number" in response.json()["errors"]
    assert not Invoice.objects.exists()
    battery.held(f"400: {response.json()['errors']['number'][0]}")


def test_a_stored_number_with_crlf_still_downloads_with_a_safe_header(
        client: Any, customer: Client, token: str, make_invoice: Any, battery: Any) -> None:
    """A number written before the policy (or by SQL) must not break the download: the header
    cannot carry CR/LF, and a second header cannot be smuggled in."""
    invoice = make_invoice(customer, "100.00")
    Invoice.objects.filter(pk=invoice.pk).update(number="RE-1\r\nSet-Cookie: owned=1")
    battery.tried("a stored invoice number 'RE-1\\r\\nSet-Cookie: owned=1', then its PDF")
    response = client.get(f"/p/{token}/invoices/{invoice.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="RE-1-Set-Cookie-owned-1.pdf"'
    assert "owned" not in str(response.cookies)
    battery.held(f"200 with {response['Content-Disposition']}; no cookie set")


def test_non_ascii_names_download_under_rfc_6266(
        client: Any, make_invoice: Any, battery: Any) -> None:
    customer = ClientFactory(reference="MÜLLER-7")
    make_invoice(customer, "100.00")
    client.force_login(UserFactory(username="berta-desk"))
    battery.tried("the desk statement of a client with reference 'MÜLLER-7'")
    response = client.get(f"/invoices/statement/{customer.pk}.pdf")
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header.startswith("inline; filename*=utf-8''statement-M%C3%9CLLER-7-")
    assert filename(header).startswith("statement-MÜLLER-7-")
    battery.held(f"{header}")


# --- Dispute attachments ----------------------------------------------------------------------

def dispute(client: Any, token: str, invoice: Invoice, name: str, data: bytes,
            content_type: str = "application/pdf") -> Any:
    return client.post(f"/p/{token}/dispute/", {
        "invoice": invoice.pk, "reason": "quality", "message": "See attached",
        "attachment": SimpleUploadedFile(name, data, content_type=content_type)})


@pytest.mark.parametrize(("data", "words"), [
    (b"%PDF-1.7\n<script>alert(document.cookie)</script>\n", "incomplete"),
    (b"%PDF-1.7\n<html><script>alert(1)</script></html>\n%%EOF\n", "cannot be read"),
    (one_page_pdf() + b"<script>alert(1)</script>", "something else attached"),
    (one_page_pdf(javascript="app.alert(1)"), "scripts"),
    (b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", "image cannot be read"),
    (b"\xff\xd8\xff<script>alert(1)</script>", "image cannot be read"),
    (b"<html><script>alert(1)</script></html>", "Attach a PDF, PNG or JPEG file."),
])
def test_an_attachment_that_is_not_what_it_claims_is_refused(
        client: Any, customer: Client, token: str, overdue: Any, data: bytes, words: str,
        battery: Any) -> None:
    invoice = overdue(customer, 7)
    battery.tried(f"a dispute attachment named evil.html starting {data[:24]!r}")
    response = dispute(client, token, invoice, "evil.html", data)
    assert response.status_code == 400 and words in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not Dispute.objects.exists()
    battery.held(f"400 ({words!r}); no dispute, the invoice still open")


def test_a_real_pdf_named_evil_html_is_stored_and_served_as_a_pdf(
        client: Any, customer: Client, token: str, overdue: Any, owner: Any,
        battery: Any) -> None:
    invoice = overdue(customer, 7)
    pdf = one_page_pdf()
    battery.tried("a real one-page PDF uploaded as evil.html (text/html), then downloaded")
    assert dispute(client, token, invoice, "evil.html", pdf, "text/html").status_code == 303
    stored = Dispute.objects.get()
    assert stored.attachment.name.endswith(".pdf") and "evil" not in stored.attachment.name
    assert (stored.attachment_name, stored.attachment_type) == ("evil.pdf", "application/pdf")
    client.force_login(owner)
    download = client.get(f"/disputes/{stored.pk}/attachment/")
    assert download["Content-Disposition"] == 'attachment; filename="evil.pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == pdf
    battery.held("stored under a server-made .pdf name; served as attachment evil.pdf, "
                 "application/pdf, nosniff")


def test_an_old_attachment_named_html_is_served_with_the_stored_type_s_extension(
        client: Any, customer: Client, token: str, overdue: Any, owner: Any) -> None:
    invoice = overdue(customer, 7)
    dispute(client, token, invoice, "quote.pdf", one_page_pdf())
    Dispute.objects.update(attachment_name="evil.html")  # as stored before the check
    client.force_login(owner)
    download = client.get(f"/disputes/{Dispute.objects.get().pk}/attachment/")
    assert download["Content-Disposition"] == 'attachment; filename="evil.pdf"'


@pytest.mark.parametrize(("kind", "extension"), [("PNG", "png"), ("JPEG", "jpg")])
def test_images_are_re_encoded_without_what_rode_along(
        client: Any, customer: Client, token: str, overdue: Any, kind: str, extension: str,
        battery: Any) -> None:
    from PIL import PngImagePlugin

    invoice = overdue(customer, 7)
    image, out = Image.new("RGB", (40, 30), (200, 30, 30)), BytesIO()
    if kind == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "<script>alert(1)</script>")
        image.save(out, "PNG", pnginfo=info)
    else:
        exif = Image.Exif()
        exif[0x010E] = "<script>alert(1)</script>"  # ImageDescription
        image.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue() + b"<html><script>alert(2)</script></html>"
    battery.tried(f"a {kind} with a <script> in its metadata and HTML appended, named x.html")
    assert dispute(client, token, invoice, "x.html", data, "text/html").status_code == 303
    stored = Dispute.objects.get()
    content = stored.attachment.read()
    assert stored.attachment.name.endswith(f".{extension}")
    assert stored.attachment_name == f"x.{extension}"
    assert b"<script>" not in content and b"<html>" not in content
    with Image.open(BytesIO(content)) as again:
        assert again.format == kind and again.size == (40, 30)
    battery.held(f"re-encoded {kind}: decodes, same size, no script, stored as x.{extension}")


def test_a_decompression_bomb_is_refused(
        client: Any, customer: Client, token: str, overdue: Any) -> None:
    invoice = overdue(customer, 7)
    out = BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 megapixels in a few kilobytes
    response = dispute(client, token, invoice, "bomb.png", out.getvalue(), "image/png")
    assert response.status_code == 400 and "megapixels" in response.content.decode()
    assert not Dispute.objects.exists()


def test_the_invoice_pdf_settle_sent_is_accepted_back_as_an_attachment(
        client: Any, customer: Client, token: str, overdue: Any) -> None:
    """A real-world PDF (WeasyPrint's, with fonts and images) passes the whole-file check."""
    invoice = overdue(customer, 7)
    pdf = client.get(f"/p/{token}/invoices/{invoice.pk}.pdf").content
    assert dispute(client, token, invoice, "Rechnung.pdf", pdf).status_code == 303
    assert Dispute.objects.get().attachment.read() == pdf
