"""Letters: the letter's PDF is rendered into the message, which then waits in the print
queue until a bookkeeper downloads a batch and marks it posted (``work.printing``); a
print-and-post provider would be another class here.

Letters are HTML (``templates/letters/``) styled by ``static/pdf/window.css`` (the page, shared
with invoices and statements) and ``static/letters/letter.css``, laid out for window
envelopes: DIN 5008 form B on A4, a #10 window envelope on US Letter. WeasyPrint, paper sizes,
address blocks and the fetcher are shared with invoices and statements in ``infra.pdf``.
Rendering fetches nothing but the app's own static files and ``data:`` URIs
(``url_fetcher``): a letter body is admin-edited, and a PDF renderer that follows any URL
would read local files or cloud metadata endpoints for whoever edits it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import segno
from babel.dates import format_date
from babel.numbers import get_currency_name
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override, pgettext_lazy

from answers import banking
from clients.business import business, sender_block
from clients.models import Client
from core.contact import LANGUAGES, babel_locale
from core.money import format_money
from infra import pdf
from infra.pdf import Document, paper_for
from receivables.models import Invoice
from receivables.selectors import invoice_quote
from reminders.channels.base import Handover
from reminders.models import MessageStatus, OutboundMessage
from reminders.selectors import MAX_REFERENCE_INVOICES

logger = logging.getLogger(__name__)

# Words printed on letters: English source strings marked for gettext, translated in
# locale/<language>/LC_MESSAGES/django.po; a context where the same English word is
# translated differently elsewhere. Looked up under override(language) in letter_html.
LABELS: dict[str, Promise] = {
    "invoice": gettext_lazy("Invoice"),
    "reference": gettext_lazy("Reference"),
    "due_date": gettext_lazy("Due date"),
    "days_overdue": gettext_lazy("Days overdue"),
    "amount": gettext_lazy("Amount"),
    "fees": gettext_lazy("Fees"),
    "interest": pgettext_lazy("letter", "Interest"),
    "total": pgettext_lazy("letter", "Total"),
    "total_due": gettext_lazy("Total due"),
    "date": gettext_lazy("Date"),
    "customer_no": gettext_lazy("Customer no."),
    "invoices": gettext_lazy("Invoice no."),
    "open_invoices": gettext_lazy("Open invoices"),
    "how_to_pay": pgettext_lazy("letter", "How to pay"),
    "pay_online": gettext_lazy("Pay online"),
    "scan_to_pay": gettext_lazy("Scan to pay online"),
    "scan_to_transfer": gettext_lazy("Scan with your banking app to fill in the transfer."),
    # Translators: the page footer of a letter reads "Page 2 of 3".
    "page": gettext_lazy("Page"),
    # Translators: the page footer of a letter reads "Page 2 of 3".
    "of": gettext_lazy("of"),
    "discount_note": gettext_lazy("Includes an early-payment discount of {amount}."),
}

_INFO_BLOCK_NUMBERS = 3  # more invoice numbers than this would overflow the info block


# The shared errors, under the names the print queue and its tests know.
LetterRenderError = pdf.PdfRenderError
LetterResourceRefused = pdf.PdfResourceRefused
LetterResourceMissing = pdf.PdfResourceMissing

_base_url = pdf.base_url
static_file = pdf.static_file
# Looked up at each fetch (not bound once), so a test can watch which files are opened.
url_fetcher = pdf.StaticFilesOnlyFetcher(log=logger,
                                         open_static=lambda name: static_file(name))


# --- One letter ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Row:
    invoice: Invoice
    amount: Decimal  # what is left of the invoice itself, after any early-payment discount
    fees: Decimal  # fees and interest already charged, plus a late fee that is due now
    interest: Decimal  # interest accrued by ``today`` and not yet charged
    discount: Decimal
    total: Decimal


def _row(invoice: Invoice, today: date) -> _Row:
    quote = invoice_quote(invoice=invoice, on=today)
    charged = invoice.charges_total
    amount = quote.principal - quote.discount - charged
    if amount < 0:  # payments have covered part of the charges too
        charged, amount = charged + amount, Decimal(0)
    return _Row(invoice=invoice, amount=amount, fees=charged + quote.late_fee,
                interest=quote.interest, discount=quote.discount, total=quote.total)


def _address_lines(client: Client, language: str) -> list[str]:
    return pdf.address_lines(client, language)


def _sender() -> dict[str, Any]:
    return sender_block()


def _invoice_numbers(invoices: list[Invoice]) -> str:
    numbers = [invoice.number for invoice in invoices]
    shown = ", ".join(numbers[:_INFO_BLOCK_NUMBERS])
    extra = len(numbers) - _INFO_BLOCK_NUMBERS
    return f"{shown} (+{extra})" if extra > 0 else shown


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(omitsize=True, border=0, svgclass="qr-code",
                                                 lineclass=None)


def _table(rows: list[_Row], today: date, money: Any, day: Any) -> dict[str, Any]:
    def column_sum(field: str) -> Decimal:
        return sum((getattr(row, field) for row in rows), Decimal(0))

    return {
        "rows": [{"number": r.invoice.number, "reference": r.invoice.reference,
                  "due_date": day(r.invoice.due_date),
                  "days_overdue": r.invoice.days_overdue(today), "amount": money(r.amount),
                  "fees": money(r.fees),
                  "interest": money(r.interest), "total": money(r.total)} for r in rows],
        "totals": {field: money(column_sum(field))
                   for field in ("amount", "fees", "interest", "total")},
        "discount": money(column_sum("discount")) if column_sum("discount") else "",
    }


def _transfer_qr(client: Client, invoices: list[Invoice], rows: list[_Row]) -> str:
    """The payment section's EPC (SEPA) QR code for the euro invoices: only into a euro
    account with an IBAN, for their total due and the reference the "how to pay" lines give
    (their numbers, or the customer number for more than a few); "" otherwise."""
    euros = [i for i in invoices if i.currency == "EUR"]
    details = banking.bank_details("EUR") if euros else None
    if details is None:
        return ""
    numbers = [i.number for i in euros]
    reference = (", ".join(numbers) if len(numbers) <= MAX_REFERENCE_INVOICES
                 else client.reference or ", ".join(numbers))
    total = sum((r.total for r in rows if r.invoice.currency == "EUR"), Decimal(0))
    return details.epc_qr(currency="EUR", amount=total, reference=reference)


def letter_html(*, client: Client, invoices: list[Invoice], today: date, subject: str,
                body_html: str, pay_url: str, payment_instructions: str, language: str) -> str:
    """The complete HTML document of one letter to ``client`` about ``invoices``: a table per
    currency (amounts in different currencies never add up). ``body_html`` comes from the
    sandboxed template engine and is inserted as is."""
    if not invoices:
        raise ValueError("A letter needs at least one invoice.")
    language = language if language in LANGUAGES else "en"
    locale = babel_locale(language, client.country)
    with override(language):
        labels = {key: str(text) for key, text in LABELS.items()}
    tables, every_row = [], []
    for currency in sorted({invoice.currency for invoice in invoices}):
        rows = [_row(invoice, today) for invoice in invoices if invoice.currency == currency]
        every_row += rows
        table = _table(rows, today,
                       lambda amount, c=currency: format_money(amount, c, locale),
                       lambda day: format_date(day, format="long", locale=locale))
        table["currency_name"] = f"{get_currency_name(currency, locale=locale)} ({currency})"
        table["discount_note"] = (labels["discount_note"].format(amount=table["discount"])
                                  if table["discount"] else "")
        tables.append(table)
    paper = paper_for(client.country)
    return render_to_string("letters/letter.html", {
        "base_url": _base_url(), "language": language, "paper": paper.lower(),
        "labels": labels, "subject": subject,
        "sender": _sender(), "recipient": _address_lines(client, language),
        "date": format_date(today, format="long", locale=locale),
        "customer_no": client.reference, "invoice_numbers": _invoice_numbers(invoices),
        "tables": tables,
        "body_html": mark_safe(body_html),  # noqa: S308 - the sandboxed engine's output
        "payment_instructions": payment_instructions, "pay_url": pay_url,
        "qr_svg": mark_safe(_qr_svg(pay_url)) if pay_url else "",  # noqa: S308 - segno's SVG
        # How to pay (``payment_instructions``: a transfer line per currency into that
        # currency's account) and, for euro invoices into a euro IBAN, the EPC QR code.
        "transfer_qr_svg": mark_safe(  # noqa: S308 - segno's SVG
            _transfer_qr(client, invoices, every_row)),
    })


def _document(html: str) -> Document:
    return pdf.render_document(html, url_fetcher=url_fetcher)


def render_pdf(html: str) -> bytes:
    """One letter as PDF (fonts subset, so a two-page letter stays well under 100 KB)."""
    return _document(html).write_pdf()


# --- The print batch -------------------------------------------------------------------------

def _paper_name(page: Any) -> str:
    width_mm, height_mm = page.width * 25.4 / 96, page.height * 25.4 / 96
    for name, (width, height) in {"A4": (210, 297), "Letter": (215.9, 279.4)}.items():
        if abs(width_mm - width) < 1 and abs(height_mm - height) < 1:
            return name
    return f"{width_mm:.0f} × {height_mm:.0f} mm"


def _cover(labels: list[str], documents: list[Document], *, title: str,
           generated_at: datetime) -> Document:
    """The cover sheet; rendered again if its own length moves the page numbers it lists."""
    when = timezone.localtime(generated_at) if timezone.is_aware(generated_at) else generated_at
    cover_pages = 1
    for _attempt in range(3):
        entries, first = [], cover_pages + 1
        for number, (label, document) in enumerate(zip(labels, documents, strict=True), 1):
            count = len(document.pages)
            entries.append({"number": number, "label": label, "pages": count, "first": first,
                            "last": first + count - 1, "paper": _paper_name(document.pages[0])})
            first += count
        cover = _document(render_to_string("letters/cover.html", {
            "base_url": _base_url(), "title": title,
            "generated_at": when.strftime("%Y-%m-%d %H:%M"),
            "entries": entries, "letter_count": len(entries), "total_pages": first - 1,
            "paper": paper_for(settings.SETTLE_DEFAULT_COUNTRY).lower(),
            "business_name": business().name}))
        if len(cover.pages) == cover_pages:
            return cover
        cover_pages = len(cover.pages)
    return cover


def batch_pdf(letters: list[tuple[str, str]], *, title: str, generated_at: datetime) -> bytes:
    """One PDF for the print queue: a cover sheet listing each recipient with its pages, then
    every letter from a new page on its own paper size. ``letters``: (recipient label, letter
    HTML) pairs. Each letter is laid out on its own (its page numbers count from 1) and the
    pages are joined into one document, so fonts are embedded once."""
    documents = [_document(html) for _label, html in letters]
    cover = _cover([label for label, _html in letters], documents, title=title,
                   generated_at=generated_at)
    pages = [*cover.pages, *(page for document in documents for page in document.pages)]
    return cover.copy(pages).write_pdf()


class LetterChannel:
    """Renders the letter's PDF into the message and leaves it in the print queue."""

    name = "letter"
    concurrent = False  # it writes the PDF into the outbox: in the worker's own thread

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover:
        message.document = render_pdf(message.html)
        message.save(update_fields=["document"])
        return Handover(provider="print_queue", provider_id=f"letter-{message.pk}",
                        status=MessageStatus.PRINT_QUEUE, reached_client=False)
