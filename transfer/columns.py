"""The columns each kind of file may have, and the names accounting exports give them.

A header matches a column when, lower-cased with punctuation turned into spaces, it equals the
column's label or one of its aliases ("Invoice No." → "invoice no" → the invoice number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transfer.models import ImportKind


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header our templates and exports use
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    help: str = ""

    def names(self) -> set[str]:
        return {normalize_header(self.label), *(normalize_header(a) for a in self.aliases)}


CLIENT_REF_ALIASES = ("client reference", "client ref", "client id", "client number",
                      "customer id", "customer no", "customer number", "customer ref",
                      "customer reference", "customer code", "account", "account no",
                      "account number", "account code", "debtor", "debtor number",
                      "debtor no", "contact id")


@dataclass(frozen=True)
class Layout:
    kind: ImportKind
    columns: tuple[Column, ...]
    # Of these column groups, at least one column of each must be present.
    one_of: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


CLIENTS = Layout(ImportKind.CLIENTS, (
    Column("reference", "Client reference", ("reference", *CLIENT_REF_ALIASES), required=True,
           example="C-1001", help="Your accounting system's customer number: the natural key."),
    Column("display_name", "Name", ("client name", "customer name", "company",
                                    "company name", "display name", "customer", "client"),
           required=True, example="Acme GmbH"),
    Column("legal_name", "Legal name", ("registered name",), example="Acme Handels GmbH"),
    Column("contact_name", "Contact", ("contact name", "contact person", "attention"),
           example="Erika Mustermann"),
    Column("email", "Email", ("e mail", "email address", "e mail address", "billing email",
                              "invoice email"), example="ap@acme.example"),
    Column("mobile_phone", "Mobile", ("mobile phone", "mobile number", "cell", "cell phone",
                                      "sms"), example="+4915123456789"),
    Column("phone", "Phone", ("telephone", "phone number", "tel"), example="+49301234567"),
    Column("address_line1", "Address", ("address line 1", "address 1", "street",
                                        "street address", "billing address"),
           example="Hauptstraße 1"),
    Column("address_line2", "Address line 2", ("address 2",)),
    Column("postcode", "Postcode", ("postal code", "post code", "zip", "zip code"),
           example="10115"),
    Column("city", "City", ("town",), example="Berlin"),
    Column("region", "Region", ("state", "county", "province")),
    Column("country", "Country", ("country code",), example="DE",
           help="Two-letter ISO code."),
    Column("language", "Language", ("lang",), example="de", help="en, de, fr or es."),
    Column("timezone", "Time zone", ("timezone", "tz"), example="Europe/Berlin"),
    Column("default_currency", "Currency", ("default currency", "ccy", "currency code"),
           example="EUR"),
    Column("notes", "Notes", ("note", "memo", "comment", "comments")),
))

INVOICES = Layout(ImportKind.INVOICES, (
    Column("number", "Invoice number", ("invoice no", "invoice", "invoice num", "inv no",
                                        "invoice id", "document number", "document no",
                                        "number"),
           required=True, example="INV-2026-001", help="The natural key."),
    Column("client", "Client reference", CLIENT_REF_ALIASES, required=True, example="C-1001",
           help="The client must exist in Settle (import clients first)."),
    Column("issue_date", "Issue date", ("invoice date", "date", "document date", "issued",
                                        "issued on"), required=True, example="2026-03-01"),
    Column("due_date", "Due date", ("due", "due on", "payment due", "date due"),
           example="2026-03-31", help="From the client's terms when empty."),
    Column("currency", "Currency", ("ccy", "currency code"), example="EUR",
           help="The client's currency when empty."),
    Column("total", "Total", ("amount", "gross", "gross amount", "invoice total",
                              "total amount", "amount due", "total incl tax"),
           example="1190.00", help="Including tax. Per invoice (or per line)."),
    Column("tax", "Tax", ("vat", "tax amount", "vat amount", "sales tax", "gst"),
           example="190.00", help="The part of the total that is tax."),
    Column("tax_rate", "Tax rate", ("vat rate", "tax percent", "vat percent", "tax %",
                                    "vat %"), help="Percent, e.g. 19."),
    Column("description", "Description", ("line description", "item", "item description",
                                          "text"), help="Line text; one row per line."),
    Column("quantity", "Quantity", ("qty", "units")),
    Column("unit_price", "Unit price", ("price", "unit amount", "net price"),
           help="Net price of one unit, for one row per line."),
    Column("reference", "Reference", ("project", "po number", "po", "order number",
                                      "purchase order", "your reference")),
    Column("notes", "Notes", ("note", "memo", "comment", "comments")),
), one_of=(("total", "unit_price"),))

PAYMENTS = Layout(ImportKind.PAYMENTS, (
    Column("client", "Client reference", CLIENT_REF_ALIASES, required=True, example="C-1001"),
    Column("reference", "Payment reference", ("reference", "payment ref", "payment id",
                                              "transaction id", "transaction reference",
                                              "bank reference", "receipt number",
                                              "receipt no", "ref"),
           required=True, example="BANK-20260310-01",
           help="Required in every row: with the client, the natural key."),
    Column("received_on", "Payment date", ("date", "received", "received on", "paid on",
                                           "date received", "value date", "booking date"),
           required=True, example="2026-03-10"),
    Column("amount", "Amount", ("payment amount", "amount paid", "paid", "total", "sum"),
           required=True, example="1190.00"),
    Column("currency", "Currency", ("ccy", "currency code"), example="EUR"),
    Column("method", "Method", ("payment method", "paid by", "type"), example="bank_transfer",
           help="bank_transfer, card, direct_debit, cheque, cash or other."),
    Column("invoices", "Invoice number", ("invoice numbers", "invoice no", "invoice",
                                          "invoices", "applied to", "allocated to"),
           example="INV-2026-001",
           help="Invoice(s) it pays, separated by commas; else the oldest open ones."),
    Column("notes", "Notes", ("note", "memo", "comment", "comments", "description")),
))

LAYOUTS = {ImportKind.CLIENTS: CLIENTS, ImportKind.INVOICES: INVOICES,
           ImportKind.PAYMENTS: PAYMENTS}


def normalize_header(name: object) -> str:
    text = str(name or "").strip().lower().replace("#", " number ").replace("%", " % ")
    text = re.sub(r"[^\w%]+", " ", text)
    return re.sub(r"\s+", " ", text).strip().replace(" number number", " number")


class HeaderError(ValueError):
    """The header row cannot be used; the message says why."""


@dataclass
class Mapping:
    """Which file column (0-based index, header as written) each known column comes from."""

    layout: Layout
    indexes: dict[str, int]
    headers: list[str]
    unknown: list[str]

    def header_of(self, key: str) -> str:
        index = self.indexes.get(key)
        return self.headers[index] if index is not None else self.layout.column(key).label


def match_headers(layout: Layout, headers: list[str]) -> Mapping:
    """Map a header row onto ``layout``; raises ``HeaderError`` naming every missing column."""
    lookup = {name: column for column in layout.columns for name in column.names()}
    indexes: dict[str, int] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        column = lookup.get(normalize_header(header))
        if column is None:
            if str(header).strip():
                unknown.append(str(header).strip())
            continue
        if column.key in indexes:
            raise HeaderError(f"The columns '{headers[indexes[column.key]]}' and '{header}' "
                              f"both give the {column.label.lower()}; keep one of them.")
        indexes[column.key] = index
    missing = [c.label for c in layout.required if c.key not in indexes]
    missing += [" or ".join(layout.column(k).label for k in group) for group in layout.one_of
                if not any(k in indexes for k in group)]
    if missing:
        raise HeaderError(
            f"The file has no {', no '.join(repr(m) for m in missing)} column "
            f"(a {layout.kind.label.lower()} file needs {'it' if len(missing) == 1 else 'them'}"
            f"). Its columns are: {', '.join(str(h) for h in headers if str(h).strip())}.")
    return Mapping(layout, indexes, [str(h) for h in headers], unknown)


def detect_kind(headers: list[str]) -> ImportKind:
    """The only kind whose required columns the headers have; an error when none or several."""
    fits = []
    for layout in LAYOUTS.values():
        try:
            match_headers(layout, headers)
        except HeaderError:
            continue
        fits.append(layout.kind)
    if len(fits) == 1:
        return fits[0]
    shown = ", ".join(str(h) for h in headers if str(h).strip())
    if not fits:
        raise HeaderError(f"These columns do not look like clients, invoices or payments: "
                          f"{shown}. Choose the kind of file, or see the templates.")
    raise HeaderError(f"The columns ({shown}) fit {' and '.join(k.label.lower() for k in fits)}"
                      f"; choose the kind of file.")
