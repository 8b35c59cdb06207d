"""Invoices and statements of account as PDF, and the statement's arithmetic.

The PDFs share the reminder letters' machinery (``infra.pdf``: paper by country, window-
envelope address block, a fetcher that reads only the app's static files), so an invoice or a
statement can go out in the same envelope as a letter. Everything printed is formatted for the
client: labels in the client's language (English when there are none), money with
``core.money.format_money`` and dates with Babel in the client's locale.

How to pay is printed while something is owed: the bank account for the document's currency when
the caller passes ``payment_text`` (``answers.banking.transfer_text``; this layer does not know
the accounts), else the site's payment instructions.

Statement conventions (one currency at a time; amounts in different currencies never add up):

* Only issued invoices count. A draft is not owed, and neither is a **voided** invoice: voiding
  cancels an invoice issued in error and is refused once money was received on it, so the
  invoice and any fee or credit booked on it are left out of the statement altogether, as if
  never issued. (A statement printed before the void showed it; a reprint does not.)
* Debits: the invoice total on its issue date; a late fee or interest on the day it was booked.
  Credits: an early-payment discount, a write-off or a credit note on the day it was booked; a
  payment on the day it was received, for its full amount, including any part not yet applied
  to an invoice (the client's credit). The closing balance is therefore what the client owes
  net of credit and can be negative: then it is in the client's favour.
* The aging summary is "as of today", from the invoices still owed in that currency.
"""

from receivables.documents.render import (
    PaymentText,
    invoice_html,
    invoice_pdf,
    statement_html,
    statement_pdf,
)
from receivables.documents.statement import (
    NOT_ISSUED,
    AgingLine,
    EntryKind,
    Statement,
    StatementEntry,
    statement_currencies,
    statement_for,
)

__all__ = ["NOT_ISSUED", "AgingLine", "EntryKind", "PaymentText", "Statement", "StatementEntry",
           "invoice_html", "invoice_pdf", "statement_currencies", "statement_for",
           "statement_html", "statement_pdf"]
