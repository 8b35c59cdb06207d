"""Words printed on invoices and statements: English source strings marked for gettext,
translated in ``locale/<language>/LC_MESSAGES/django.po`` (de, fr, es). ``labels_for`` gives
them all in one language; a language without a catalogue, or a word a catalogue lacks, falls
back to English. ``{name}`` placeholders are filled in by ``render``."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override, pgettext_lazy

from core.contact import DEFAULT_LANGUAGE, LANGUAGES

# A context (pgettext) where the same English word reads differently elsewhere: the tax
# column is "USt." in German, the tax sum "Umsatzsteuer"; the pay-now page's "Balance" is
# "Offen"; Django's own "Description" (which locale/ would override) is not "Désignation".
LABELS: dict[str, Promise] = {
    "invoice": _("Invoice"),
    "invoice_no": _("Invoice no."),
    "invoice_date": _("Invoice date"),
    "due_date": _("Due date"),
    "customer_no": _("Customer no."),
    "reference": _("Reference"),
    "pos": _("Pos."),
    "description": pgettext_lazy("invoice or statement", "Description"),
    "quantity": _("Qty"),
    "unit_price": _("Unit price"),
    "tax_rate": pgettext_lazy("invoice column: tax rate", "Tax"),
    "net": _("Net"),
    "subtotal": _("Subtotal"),
    "tax": pgettext_lazy("invoice sum: tax amount", "Tax"),
    "tax_at": _("Tax {rate}"),
    "total": pgettext_lazy("invoice or statement", "Total"),
    "paid_so_far": _("Paid so far"),
    "balance_due": _("Balance due"),
    "terms": _("Payment terms"),
    "how_to_pay": pgettext_lazy("invoice or statement", "How to pay"),
    "please_pay": _("Please pay {amount} by {date}."),
    # Translators: the page footer of invoices and statements reads "Page 2 of 3".
    "page": _("Page"),
    # Translators: the page footer of invoices and statements reads "Page 2 of 3".
    "of": _("of"),
    "status_draft": _("Draft — not a valid invoice"),
    "status_void": _("Cancelled — this invoice is void and nothing is owed on it"),
    "status_paid": _("Paid in full — thank you"),
    "late_fee": _("Late fee"),
    "interest": pgettext_lazy("invoice or statement", "Interest"),
    "early_discount": _("Early-payment discount"),
    "write_off": _("Write-off"),
    "credit_note": _("Credit note"),
    "payment": _("Payment received"),
    "statement": _("Statement of account"),
    "period": _("Period"),
    "up_to": _("up to {date}"),
    "date": _("Date"),
    "currency": _("Currency"),
    "document": _("Document"),
    "debit": _("Debit"),
    "credit": _("Credit"),
    "balance": pgettext_lazy("invoice or statement", "Balance"),
    "opening_balance": _("Opening balance"),
    "closing_balance": _("Closing balance"),
    "due_on": _("due {date}"),
    "applied_to": _("for {numbers}"),
    "closing_due": _("Balance due: {amount}"),
    "closing_credit": _("Balance in your favour (credit): {amount}"),
    "closing_settled": _("Your account is settled."),
    "credit_text": _("We will set this credit against your next invoice, or refund it on request."),
    "aging": _("Open invoices by age"),
    "aging_as_of": _("as of {date}"),
    "current": _("Not yet due"),
    "1-30": _("1–30 days"),
    "31-60": _("31–60 days"),
    "61-90": _("61–90 days"),
    "90+": _("Over 90 days"),
    "aging_total": _("Total open"),
    "unapplied_credit": _("Unapplied credit"),
    "no_entries": _("No transactions in this period."),
}


def labels_for(language: str) -> dict[str, str]:
    """Every label in ``language`` (English for a language without a catalogue)."""
    with override(language if language in LANGUAGES else DEFAULT_LANGUAGE):
        return {key: str(text) for key, text in LABELS.items()}
