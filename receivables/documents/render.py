"""Invoices and statements as HTML, then PDF through ``infra.pdf`` (WeasyPrint): labels in
the client's language, money with ``core.money.format_money``, dates with Babel, all in the
client's locale."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from django.conf import settings
from django.template.loader import render_to_string

from clients.business import sender_block
from clients.models import Client
from core.contact import LANGUAGES, babel_locale
from core.money import format_money, is_quantized
from infra import pdf
from receivables.documents.labels import labels_for
from receivables.documents.statement import (
    NOT_ISSUED,
    Statement,
    StatementEntry,
    statement_for,
)
from receivables.models import Invoice, InvoiceStatus

logger = logging.getLogger(__name__)
url_fetcher = pdf.StaticFilesOnlyFetcher(log=logger)


@dataclass(frozen=True)
class _Format:
    """Money, dates and numbers the way the client's locale writes them."""

    locale: str
    currency: str

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.currency, self.locale)

    def day(self, day: date, style: str = "long") -> str:
        return format_date(day, format=style, locale=self.locale)

    def number(self, value: Decimal) -> str:
        return format_decimal(value.normalize(), locale=self.locale, decimal_quantization=False)

    def percent(self, rate: Decimal) -> str:
        return format_percent((rate / 100).normalize(), locale=self.locale,
                              decimal_quantization=False)

    def unit_price(self, amount: Decimal) -> str:
        """A unit price may carry more decimals than the currency (0.0125 € a page): printed
        exactly, since rounding it would make quantity times price disagree with the line."""
        if is_quantized(amount, self.currency):
            return self.money(amount)
        return format_currency(amount.normalize(), self.currency, locale=self.locale,
                               currency_digits=False, decimal_quantization=False)


def _language(language: str | None, client: Client) -> str:
    chosen = language or client.language
    return chosen if chosen in LANGUAGES else "en"


def _page(client: Client, language: str, title: str,
          labels: dict[str, str]) -> dict[str, Any]:
    """What every document shares: paper, sender, recipient, labels."""
    return {"base_url": pdf.base_url(), "language": language, "title": title,
            "paper": pdf.paper_for(client.country).lower(), "labels": labels,
            "sender": sender_block(), "recipient": pdf.address_lines(client, language),
            "customer_no": client.reference}


# How to pay one currency by bank transfer: (currency, reference, language) -> lines of text.
# The layer that knows the business's bank accounts passes it (``answers.banking.transfer_text``:
# the account for that currency, else "please contact us for our account details"); without it
# the site's payment instructions (SETTLE_PAYMENT_INSTRUCTIONS) are printed.
PaymentText = Callable[[str, str, str], str]


def _instructions(reference: str, currency: str = "", language: str = "en",
                  payment_text: PaymentText | None = None) -> str:
    if payment_text is not None:
        return payment_text(currency, reference, language)
    return settings.SETTLE_PAYMENT_INSTRUCTIONS.format(reference=reference)


# --- The invoice -----------------------------------------------------------------------------

def _tax_rows(invoice: Invoice, lines: list[Any], fmt: _Format,
              labels: dict[str, str]) -> list[dict[str, str]]:
    """Tax per rate, as tax law asks of an invoice with more than one rate."""
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        if line.tax_rate:
            by_rate[line.tax_rate] = by_rate.get(line.tax_rate, Decimal(0)) + line.tax_amount
    if not by_rate:
        return [{"label": labels["tax"], "amount": fmt.money(invoice.tax_total)}]
    return [{"label": labels["tax_at"].format(rate=fmt.percent(rate)), "amount": fmt.money(tax)}
            for rate, tax in sorted(by_rate.items())]


def _settlement_rows(invoice: Invoice, fmt: _Format,
                     labels: dict[str, str]) -> list[dict[str, str]]:
    """After the total: each booked fee, interest, discount or write-off, then payments."""
    rows = [{"label": f"{labels[a.kind]} ({fmt.day(a.effective_on, 'medium')})",
             "amount": fmt.money(a.amount if a.is_charge else -a.amount)}
            for a in invoice.adjustments.order_by("effective_on", "pk")]
    if invoice.amount_paid:
        rows.append({"label": labels["paid_so_far"], "amount": fmt.money(-invoice.amount_paid)})
    return rows


def _status_note(invoice: Invoice, labels: dict[str, str]) -> str:
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID, InvoiceStatus.PAID):
        return labels[f"status_{invoice.status}"]
    return ""


def _line_rows(lines: list[Any], fmt: _Format) -> list[dict[str, Any]]:
    return [{"position": line.position, "description": line.description,
             "quantity": fmt.number(line.quantity), "unit_price": fmt.unit_price(line.unit_price),
             "tax_rate": fmt.percent(line.tax_rate), "net": fmt.money(line.net_amount)}
            for line in lines]


def invoice_html(invoice: Invoice, *, language: str | None = None,
                 payment_text: PaymentText | None = None) -> str:
    """The invoice as one HTML document, ready for ``infra.pdf``. Payment instructions (the
    bank account for the invoice's currency, with ``payment_text``) and "please pay" appear
    only while something is owed on an issued invoice."""
    client = invoice.client
    language = _language(language, client)
    labels = labels_for(language)
    fmt = _Format(babel_locale(language, client.country), invoice.currency)
    lines = list(invoice.lines.order_by("position"))
    owed = invoice.balance > 0 and invoice.status not in NOT_ISSUED
    return render_to_string("documents/invoice.html", {
        **_page(client, language, f"{labels['invoice']} {invoice.number}", labels),
        "number": invoice.number, "reference": invoice.reference, "status": invoice.status,
        "status_note": _status_note(invoice, labels),
        "issue_date": fmt.day(invoice.issue_date), "due_date": fmt.day(invoice.due_date),
        "lines": _line_rows(lines, fmt), "subtotal": fmt.money(invoice.subtotal),
        "tax_rows": _tax_rows(invoice, lines, fmt, labels), "total": fmt.money(invoice.total),
        "settlement": _settlement_rows(invoice, fmt, labels),
        "balance": fmt.money(invoice.balance),
        "terms": invoice.terms.summary(fmt.locale),
        "please_pay": labels["please_pay"].format(amount=fmt.money(invoice.balance),
                                                  date=fmt.day(invoice.due_date))
        if owed else "",
        "payment_instructions": _instructions(invoice.number, invoice.currency, language,
                                              payment_text) if owed else "",
    })


def invoice_pdf(invoice: Invoice, *, language: str | None = None,
                payment_text: PaymentText | None = None) -> bytes:
    """The invoice as a PDF in the client's language (or ``language``), on the paper of the
    client's country. Raises ``infra.pdf.PdfRenderError`` if it cannot be laid out."""
    return pdf.render_pdf(invoice_html(invoice, language=language, payment_text=payment_text),
                          url_fetcher=url_fetcher)


# --- The statement -----------------------------------------------------------------------------

def _entry_row(entry: StatementEntry, fmt: _Format, labels: dict[str, str]) -> dict[str, str]:
    detail = ""
    if entry.due_date is not None:
        detail = labels["due_on"].format(date=fmt.day(entry.due_date, "medium"))
    elif entry.applied_to:
        detail = labels["applied_to"].format(numbers=", ".join(entry.applied_to))
    return {"date": fmt.day(entry.on, "medium"), "label": labels[entry.kind],
            "document": entry.document, "detail": detail,
            "debit": fmt.money(entry.debit) if entry.debit else "",
            "credit": fmt.money(entry.credit) if entry.credit else "",
            "balance": fmt.money(entry.balance)}


def _closing_text(statement: Statement, fmt: _Format, labels: dict[str, str]) -> str:
    if statement.closing_balance > 0:
        return labels["closing_due"].format(amount=fmt.money(statement.closing_balance))
    if statement.in_credit:
        return labels["closing_credit"].format(amount=fmt.money(-statement.closing_balance))
    return labels["closing_settled"]


def _statement_reference(statement: Statement) -> str:
    """What the client quotes when paying: the open invoices, or its customer number when
    they would not fit a bank transfer's reference line."""
    numbers = statement.open_invoices
    return ", ".join(numbers) if 0 < len(numbers) <= 3 else statement.client.reference


def statement_html(statement: Statement, *, language: str | None = None,
                   payment_text: PaymentText | None = None) -> str:
    """The statement as one HTML document, ready for ``infra.pdf``: one currency (a client
    owing in several gets a statement per currency), and how to pay it while it is owed (the
    bank account for that currency, with ``payment_text``)."""
    client = statement.client
    language = _language(language, client)
    labels = labels_for(language)
    fmt = _Format(babel_locale(language, client.country), statement.currency)
    end = fmt.day(statement.end)
    return render_to_string("documents/statement.html", {
        **_page(client, language, labels["statement"], labels),
        "currency": statement.currency, "date": fmt.day(statement.today),
        "period": f"{fmt.day(statement.start)} – {end}" if statement.start
        else labels["up_to"].format(date=end),
        "opening": fmt.money(statement.opening_balance) if statement.start else "",
        "opening_date": fmt.day(statement.start, "medium") if statement.start else "",
        "rows": [_entry_row(e, fmt, labels) for e in statement.entries],
        "total_debits": fmt.money(statement.total_debits),
        "total_credits": fmt.money(statement.total_credits),
        "closing": fmt.money(statement.closing_balance),
        "closing_text": _closing_text(statement, fmt, labels), "in_credit": statement.in_credit,
        "aging_as_of": labels["aging_as_of"].format(date=fmt.day(statement.today)),
        "aging": [{"label": labels[line.bucket.key], "amount": fmt.money(line.amount),
                   "count": line.count} for line in statement.aging],
        "aging_total": fmt.money(statement.aging_total),
        "unapplied_credit": fmt.money(statement.unapplied_credit)
        if statement.unapplied_credit else "",
        "payment_instructions": _instructions(_statement_reference(statement),
                                              statement.currency, language, payment_text)
        if statement.closing_balance > 0 else "",
    })


def statement_pdf(client: Client, *, currency: str, start: date | None = None, end: date,
                  today: date, language: str | None = None,
                  payment_text: PaymentText | None = None) -> bytes:
    """The statement of account (see ``statement_for``) in ``currency`` as a PDF in the
    client's language."""
    statement = statement_for(client, currency=currency, start=start, end=end, today=today)
    return pdf.render_pdf(statement_html(statement, language=language,
                                         payment_text=payment_text), url_fetcher=url_fetcher)

