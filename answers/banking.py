"""How a client pays by bank transfer: the business's bank account for each currency (an IBAN
and BIC, a UK sort code and account number, a US routing and account number, or free-form
details for the rest), the lines to show for it, and an EPC ("GiroCode") QR code that banking
apps in the SEPA area scan to fill in a euro transfer.

``bank_details(currency)`` is the one way to the account for an invoice's currency: the pay-now
page, the messages' "how to pay" lines, letters and the invoice and statement PDFs all use it.
A currency without an account gets no account at all (never another currency's): the client is
asked to get in touch for the details. While no bank account was ever set up, the single
account of the old pay-now settings (``PortalSettings.iban`` ...) still answers, read-only.

The accounts are read through the app registry (``apps.get_model``): ``answers.models``
imports this module for its checks, so this module does not import it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import segno.helpers
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from core.contact import DEFAULT_LANGUAGE, LANGUAGES
from core.text import ascii_digits, text_problem

if TYPE_CHECKING:
    from answers.models import BankAccount

# --- The account's schemes and their checks ----------------------------------------------------

SCHEME_IBAN, SCHEME_UK, SCHEME_US, SCHEME_OTHER = "iban", "uk", "us", "other"
SCHEME_LABELS = {SCHEME_IBAN: "IBAN and BIC",
                 SCHEME_UK: "UK sort code and account number",
                 SCHEME_US: "US routing number (ABA) and account number",
                 SCHEME_OTHER: "Other details (free text)"}
# The fields each scheme fills in; the others are cleared when an account is saved.
SCHEME_FIELDS = {SCHEME_IBAN: ("iban", "bic"), SCHEME_UK: ("sort_code", "account_number"),
                 SCHEME_US: ("routing_number", "account_number"), SCHEME_OTHER: ("details",)}
DETAILS_MAX_LINES = 6

# EPC QR codes carry euro amounts from 0.01 to 999,999,999.99 (EPC069-12).
EPC_MAX = Decimal("999999999.99")

# Countries whose IBANs hold euros (the euro area and the micro-states that use the euro), and a
# few others' currencies: an IBAN account's currency follows its country.
EURO_COUNTRIES = frozenset({
    "AD", "AT", "BE", "BG", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT",
    "LU", "LV", "MC", "ME", "MT", "NL", "PT", "SI", "SK", "SM", "VA"})
IBAN_CURRENCIES = {"GB": "GBP", "GI": "GIP", "CH": "CHF", "LI": "CHF", "SE": "SEK", "DK": "DKK",
                   "NO": "NOK", "IS": "ISK", "PL": "PLN", "CZ": "CZK", "HU": "HUF", "RO": "RON"}


def account_currency(iban: str) -> str:
    """The currency of the account behind ``iban`` (by its country), or "" when unknown."""
    country = iban.replace(" ", "")[:2].upper()
    return "EUR" if country in EURO_COUNTRIES else IBAN_CURRENCIES.get(country, "")


def _routing_ok(number: str) -> bool:
    """ABA routing numbers: 9 digits with a 3-7-1 weighted checksum."""
    if len(number) != 9 or not ascii_digits(number):
        return False
    digits = [int(c) for c in number]
    return sum(w * d for w, d in zip([3, 7, 1] * 3, digits, strict=True)) % 10 == 0


def _compact(value: str, *, drop: str = " ") -> str:
    for char in drop:
        value = value.replace(char, "")
    return value.strip()


class AccountFields(Protocol):
    """What ``validate_account`` reads and normalizes (``answers.models.BankAccount``)."""

    pk: Any
    currency: str
    scheme: str
    holder: str
    bank_name: str
    iban: str
    bic: str
    sort_code: str
    account_number: str
    routing_number: str
    details: str
    active: bool


def _check_iban(row: AccountFields, errors: dict[str, str]) -> None:
    row.iban, row.bic = _compact(row.iban).upper(), _compact(row.bic).upper()
    if not row.iban:
        errors["iban"] = "Give the account's IBAN."
        return
    try:
        iban = IBAN(row.iban)
    except SchwiftyException as exc:
        errors["iban"] = f"This IBAN is not valid: {exc}."
        return
    held = account_currency(row.iban)
    # A euro account may sit in any SEPA country (a GB or CH IBAN holding euros); otherwise an
    # IBAN whose country has a known currency holds that currency.
    fits = held in ("", row.currency) or (row.currency == "EUR" and iban.in_sepa_zone)
    if row.currency and not fits:
        errors["iban"] = (f"A {iban.country_code} IBAN is an account in {held}, not "
                          f"{row.currency}. Give the IBAN of your {row.currency} account, or "
                          "choose another kind of details for it.")
    if row.bic:
        try:
            BIC(row.bic)
        except SchwiftyException as exc:
            errors["bic"] = f"This BIC is not valid: {exc}."


def _check_uk(row: AccountFields, errors: dict[str, str]) -> None:
    row.sort_code = _compact(row.sort_code, drop=" -")
    row.account_number = _compact(row.account_number, drop=" -")
    if row.currency and row.currency != "GBP":
        errors["scheme"] = "A sort code and account number are for a pounds (GBP) account."
    if len(row.sort_code) != 6 or not ascii_digits(row.sort_code):
        errors["sort_code"] = "A sort code has 6 digits, e.g. 12-34-56."
    if len(row.account_number) != 8 or not ascii_digits(row.account_number):
        errors["account_number"] = "A UK account number has 8 digits."


def _check_us(row: AccountFields, errors: dict[str, str]) -> None:
    row.routing_number = _compact(row.routing_number, drop=" -")
    row.account_number = _compact(row.account_number, drop=" -")
    if row.currency and row.currency != "USD":
        errors["scheme"] = "A routing and account number are for a dollars (USD) account."
    if not _routing_ok(row.routing_number):
        errors["routing_number"] = ("A routing number (ABA) has 9 digits and a valid checksum: "
                                    "check it against your bank's documents.")
    if not 4 <= len(row.account_number) <= 17 or not ascii_digits(row.account_number):
        errors["account_number"] = "A US account number has 4 to 17 digits."


def _check_other(row: AccountFields, errors: dict[str, str]) -> None:
    row.details = "\n".join(line.strip() for line in row.details.strip().splitlines()
                            if line.strip())
    if not row.details:
        errors["details"] = ("Give what a client types into their bank: the account number, "
                             "bank code, SWIFT ..., one item per line.")
    elif len(row.details.splitlines()) > DETAILS_MAX_LINES:
        errors["details"] = f"At most {DETAILS_MAX_LINES} lines."
    elif problem := text_problem(row.details, what="The details"):
        errors["details"] = problem


CHECKS = {SCHEME_IBAN: _check_iban, SCHEME_UK: _check_uk, SCHEME_US: _check_us,
          SCHEME_OTHER: _check_other}


def validate_account(row: AccountFields) -> None:
    """Normalize and check a bank account as an admin enters it; raise field errors. The
    fields of the other schemes are cleared (switching an account from IBAN to sort code leaves
    no stale IBAN behind)."""
    from core.money import MoneyError, normalize_currency

    errors: dict[str, str] = {}
    try:
        row.currency = normalize_currency(row.currency)
    except MoneyError as exc:
        errors["currency"] = str(exc)
        row.currency = ""
    row.holder, row.bank_name = row.holder.strip(), row.bank_name.strip()
    if not row.holder:
        errors["holder"] = "Give the account holder's name as the bank knows it."
    check = CHECKS.get(row.scheme)
    if check is None:
        errors["scheme"] = "Choose how clients pay into this account."
    else:
        check(row, errors)
        for name in {n for fields in SCHEME_FIELDS.values() for n in fields} - set(
                SCHEME_FIELDS[row.scheme]):
            setattr(row, name, "")
    if row.active and row.currency and "currency" not in errors:
        other = (_model("BankAccount").objects.filter(currency=row.currency, active=True)
                 .exclude(pk=row.pk).first())
        if other is not None:
            errors["currency"] = (f"There is already an active {row.currency} account "
                                  f"({other}). Deactivate it first: clients see one account "
                                  "per currency.")
    if errors:
        raise ValidationError(errors)


class BankSettings(Protocol):
    """What ``validate_settings`` reads of the pay-now settings (``PortalSettings``)."""

    link_valid_days: int
    plan_max_instalments: int
    plan_min_instalment: dict[str, str]
    accepts_cheques: bool
    cheque_payee: str


def validate_settings(row: BankSettings) -> None:
    """Check the pay-now settings an admin enters; raise field errors. (Its old bank fields are
    no longer edited: bank accounts are ``BankAccount`` rows.)"""
    errors: dict[str, str] = {}
    if row.accepts_cheques and not row.cheque_payee:
        errors["cheque_payee"] = "Give the name cheques are made out to."
    if not isinstance(row.plan_min_instalment, dict):
        errors["plan_min_instalment"] = 'Use a mapping such as {"EUR": "50"}.'
    else:
        from core.money import MoneyError, normalize_currency, parse_amount

        for code, amount in row.plan_min_instalment.items():
            try:
                parse_amount(str(amount), normalize_currency(code))
            except MoneyError as exc:
                errors["plan_min_instalment"] = f"{code}: {exc}"
    if not 1 <= row.plan_max_instalments <= 24:
        errors["plan_max_instalments"] = "Allow between 1 and 24 instalments."
    if row.link_valid_days < 1:
        errors["link_valid_days"] = "A link must work for at least a day."
    if errors:
        raise ValidationError(errors)


# --- What a client sees of an account ----------------------------------------------------------

# Labels of the lines (the pay-now page, invoices, statements), in the client's language.
LABELS = {
    "holder": _("Account holder"), "bank": _("Bank"), "iban": _("IBAN"), "bic": _("BIC"),
    "sort_code": _("Sort code"), "account": _("Account number"),
    "routing": _("Routing number"), "details": _("Bank details"), "reference": _("Reference"),
    "transfer": _("Bank transfer"),
    "ask": _("For payments in {currency}, please contact us for our account details."),
}


def _words(language: str) -> dict[str, str]:
    with override(language if language in LANGUAGES else DEFAULT_LANGUAGE):
        return {key: str(text) for key, text in LABELS.items()}


@dataclass(frozen=True)
class BankDetails:
    """One account as a client pays into it. ``facts``: (key, value) pairs formatted for
    reading and typing: the IBAN in groups of four, the sort code as 12-34-56; keys are
    iban, bic, sort_code, account, routing and details (one per line of free-form details)."""

    currency: str  # "" only for the old pay-now settings' account of unknown currency
    scheme: str
    holder: str
    bank_name: str
    facts: tuple[tuple[str, str], ...]
    iban: str = ""  # compact, for the QR code
    bic: str = ""

    def rows(self, language: str) -> list[tuple[str, str, str]]:
        """(key, label, value) in ``language``: holder, bank, then the account's own facts
        (free-form details as one row of lines)."""
        words = _words(language)
        head = [("holder", self.holder)] + ([("bank", self.bank_name)] if self.bank_name else [])
        facts = [(k, v) for k, v in self.facts if k != "details"]
        if details := [v for k, v in self.facts if k == "details"]:
            facts.append(("details", "\n".join(details)))
        return [(key, words[key], value) for key, value in [*head, *facts]]

    def lines(self, language: str) -> list[tuple[str, str]]:
        """(label, value) in ``language``: what to show of the account, in order."""
        return [(label, value) for _key, label, value in self.rows(language)]

    def epc_qr(self, *, currency: str, amount: Decimal, reference: str) -> str:
        """The EPC (SEPA) QR code of one euro transfer of ``amount``, as inline SVG; "" for
        anything but a euro account with an IBAN in the SEPA area."""
        if not (self.scheme == SCHEME_IBAN and currency == "EUR" and self.currency in ("EUR", "")
                and account_currency(self.iban) in ("EUR", "")
                and IBAN(self.iban).in_sepa_zone and Decimal("0.01") <= amount <= EPC_MAX):
            return ""
        code = segno.helpers.make_epc_qr(name=self.holder[:70], iban=self.iban, amount=amount,
                                         text=reference[:140], bic=self.bic or None,
                                         encoding="utf-8")
        return code.svg_inline(omitsize=True, border=2, svgclass="qr-code", lineclass=None,
                               title="EPC payment QR code")

    def text(self, language: str, reference: str) -> str:
        """The transfer as lines of text ("Label: value"), as invoices and statements print
        it."""
        words = _words(language)
        rows = [f"{label}: {value}" for label, value in self.lines(language)]
        return "\n".join([words["transfer"], *rows, f"{words['reference']}: {reference}"])


def _sort_code(code: str) -> str:
    return f"{code[:2]}-{code[2:4]}-{code[4:]}" if len(code) == 6 else code


def _facts(scheme: str, *, iban: str = "", bic: str = "", sort_code: str = "",
           account_number: str = "", routing_number: str = "",
           details: str = "") -> tuple[tuple[str, str], ...]:
    if scheme == SCHEME_IBAN:
        formatted = IBAN(iban, allow_invalid=True).formatted
        return (("iban", formatted),) + ((("bic", bic),) if bic else ())
    if scheme == SCHEME_UK:
        return (("sort_code", _sort_code(sort_code)), ("account", account_number))
    if scheme == SCHEME_US:
        return (("routing", routing_number), ("account", account_number))
    return tuple(("details", line) for line in details.splitlines() if line.strip())


def details_of(account: BankAccount) -> BankDetails:
    """What a client sees of ``account``."""
    return BankDetails(
        currency=account.currency, scheme=account.scheme, holder=account.holder,
        bank_name=account.bank_name, iban=account.iban, bic=account.bic,
        facts=_facts(account.scheme, iban=account.iban, bic=account.bic,
                     sort_code=account.sort_code, account_number=account.account_number,
                     routing_number=account.routing_number, details=account.details))


def _legacy(row: Any) -> dict[str, BankDetails]:
    """The old pay-now settings' single account, by the currency it holds: an IBAN's by its
    country ("" when unknown: then it stands for any currency, as before), a routing and
    account number's in dollars; an account number alone, for any currency."""
    if row is None:
        return {}
    holder, bank = row.account_holder, row.bank_name
    if row.iban:
        iban = _compact(row.iban).upper()
        return {account_currency(iban): BankDetails(
            currency=account_currency(iban), scheme=SCHEME_IBAN, holder=holder, bank_name=bank,
            iban=iban, bic=row.bic, facts=_facts(SCHEME_IBAN, iban=iban, bic=row.bic))}
    if row.routing_number and row.account_number:
        return {"USD": BankDetails(currency="USD", scheme=SCHEME_US, holder=holder,
                                   bank_name=bank, facts=_facts(
                                       SCHEME_US, routing_number=row.routing_number,
                                       account_number=row.account_number))}
    if row.account_number:
        return {"": BankDetails(currency="", scheme=SCHEME_OTHER, holder=holder, bank_name=bank,
                                facts=(("account", row.account_number),))}
    return {}


@dataclass(frozen=True)
class AccountBook:
    """The active accounts by currency, read once (for a page, or a wave of messages)."""

    accounts: Mapping[str, BankDetails] = field(default_factory=dict)
    legacy: bool = False  # the old pay-now settings' account stands in

    @property
    def any(self) -> bool:
        """Any account at all: without one, the site's own payment instructions stand."""
        return bool(self.accounts)

    def for_currency(self, currency: str) -> BankDetails | None:
        return self.accounts.get(currency) or self.accounts.get("")


def _model(name: str) -> Any:
    return apps.get_model("answers", name)


def account_book() -> AccountBook:
    """The active bank accounts (one query); while none was ever set up, the old pay-now
    settings' account (one more)."""
    rows = list(_model("BankAccount").objects.all())
    if rows:
        return AccountBook({r.currency: details_of(r) for r in rows if r.active})
    legacy = _legacy(_model("PortalSettings").objects.filter(singleton=True).first())
    return AccountBook(legacy, legacy=bool(legacy))


def bank_details(currency: str, book: AccountBook | None = None) -> BankDetails | None:
    """The account a client pays ``currency`` into, or None: then ask us for the details (or,
    with no account at all, the site's payment instructions). ``book``: the accounts read
    once for many calls."""
    return (book if book is not None else account_book()).for_currency(currency)


def transfer_text(currency: str, reference: str, language: str,
                  book: AccountBook | None = None) -> str:
    """How to pay ``currency`` by bank transfer quoting ``reference``, as the invoice and
    statement PDFs print it: the account's lines, else "please contact us for our account
    details" (never another currency's account), else — no account at all — the site's
    payment instructions (SETTLE_PAYMENT_INSTRUCTIONS)."""
    book = book if book is not None else account_book()
    details = book.for_currency(currency)
    if details is not None:
        return details.text(language, reference)
    if book.any:
        words = _words(language)
        return "\n".join([words["ask"].format(currency=currency),
                          f"{words['reference']}: {reference}"])
    return str(settings.SETTLE_PAYMENT_INSTRUCTIONS).format(reference=reference)


# --- Writes ---------------------------------------------------------------------------------------

ONE_PER_CURRENCY = "bank_account_one_active_per_currency"


def bank_account_save(account: BankAccount) -> BankAccount:
    """Check and save ``account`` (new or changed) in one transaction; field errors otherwise,
    with nothing written. Two admins saving an active account in the same currency at once:
    the database refuses the second."""
    # The one-per-currency rule is checked by ``validate_account`` with its own message; the
    # constraint itself is the database's, for two saves at once.
    account.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        if ONE_PER_CURRENCY not in str(exc) and "currency" not in str(exc):
            raise
        raise ValidationError({"currency": f"There is already an active {account.currency} "
                                           "account: deactivate it first."}) from exc
    return account


def bank_account_set_active(account: BankAccount, active: bool) -> BankAccount:
    """Deactivate an account (clients are then asked to get in touch for that currency), or
    make it active again (refused while another account of its currency is active)."""
    account.active = active
    return bank_account_save(account)
