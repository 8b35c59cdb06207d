"""How a client pays by bank transfer: the business's account (checked with schwifty), the
exact reference to quote, and an EPC ("GiroCode") QR code that banking apps in the SEPA area
scan to fill in the whole transfer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

import segno.helpers
from django.core.exceptions import ValidationError
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from core.text import ascii_digits


class BankSettings(Protocol):
    """What these checks read of the pay-now settings (``answers.models.PortalSettings``)."""

    link_valid_days: int
    plan_max_instalments: int
    plan_min_instalment: dict[str, str]
    account_holder: str
    bank_name: str
    iban: str
    bic: str
    account_number: str
    routing_number: str
    accepts_cheques: bool
    cheque_payee: str

# EPC QR codes carry euro amounts from 0.01 to 999,999,999.99 (EPC069-12).
EPC_MAX = Decimal("999999999.99")


def _routing_ok(number: str) -> bool:
    """ABA routing numbers: 9 digits with a 3-7-1 weighted checksum."""
    if len(number) != 9 or not (ascii_digits(number)):
        return False
    digits = [int(c) for c in number]
    return sum(w * d for w, d in zip([3, 7, 1] * 3, digits, strict=True)) % 10 == 0


def validate_settings(row: BankSettings) -> None:
    """Normalize and check the bank details an admin enters; raise field errors."""
    errors: dict[str, str] = {}
    row.iban = row.iban.replace(" ", "").upper()
    row.bic = row.bic.replace(" ", "").upper()
    row.routing_number = row.routing_number.strip()
    if row.iban:
        try:
            IBAN(row.iban)
        except SchwiftyException as exc:
            errors["iban"] = f"This IBAN is not valid: {exc}."
    if row.bic:
        try:
            BIC(row.bic)
        except SchwiftyException as exc:
            errors["bic"] = f"This BIC is not valid: {exc}."
    if row.routing_number and not _routing_ok(row.routing_number):
        errors["routing_number"] = "A routing number has 9 digits and a valid checksum."
    if row.routing_number and not row.account_number:
        errors["account_number"] = "Give the account number that goes with the routing number."
    if (row.iban or row.account_number) and not row.account_holder:
        errors["account_holder"] = "Give the account holder's name as the bank knows it."
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


@dataclass(frozen=True)
class TransferDetails:
    account_holder: str
    bank_name: str
    iban: str  # formatted in groups of four
    bic: str
    account_number: str
    routing_number: str
    reference: str
    qr_svg: str  # EPC QR code (SEPA, euro) or ""

    @property
    def available(self) -> bool:
        return bool(self.iban or self.account_number)


def transfer_details(row: BankSettings, *, currency: str, amount: Decimal,
                     reference: str) -> TransferDetails:
    """What the client types into their bank, for one payment of ``amount``."""
    iban = IBAN(row.iban).formatted if row.iban else ""
    qr = ""
    if row.iban and currency == "EUR" and Decimal("0.01") <= amount <= EPC_MAX:
        code = segno.helpers.make_epc_qr(name=row.account_holder[:70], iban=row.iban,
                                         amount=amount, text=reference[:140],
                                         bic=row.bic or None, encoding="utf-8")
        qr = code.svg_inline(omitsize=True, border=2, svgclass="qr-code", lineclass=None,
                             title="EPC payment QR code")
    return TransferDetails(account_holder=row.account_holder, bank_name=row.bank_name,
                           iban=iban, bic=row.bic, account_number=row.account_number,
                           routing_number=row.routing_number, reference=reference, qr_svg=qr)


# Countries whose IBANs hold euros (the euro area and the micro-states that use the euro), and a
# few others' currencies: the pay-now account's currency follows its IBAN's country.
EURO_COUNTRIES = frozenset({
    "AD", "AT", "BE", "BG", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT",
    "LU", "LV", "MC", "ME", "MT", "NL", "PT", "SI", "SK", "SM", "VA"})
IBAN_CURRENCIES = {"GB": "GBP", "GI": "GIP", "CH": "CHF", "LI": "CHF", "SE": "SEK", "DK": "DKK",
                   "NO": "NOK", "IS": "ISK", "PL": "PLN", "CZ": "CZK", "HU": "HUF", "RO": "RON"}


def account_currency(iban: str) -> str:
    """The currency of the account behind ``iban`` (by its country), or "" when unknown."""
    country = iban.replace(" ", "")[:2].upper()
    return "EUR" if country in EURO_COUNTRIES else IBAN_CURRENCIES.get(country, "")


def details_for(details: TransferDetails, currency: str) -> TransferDetails:
    """The transfer details good for paying in ``currency``: an IBAN only for its own
    currency (a euro IBAN is never the way to pay dollars or pounds), a routing and account
    number (a US account) only for dollars. What is left may be nothing: the page then says
    to ask for the account details."""
    keep_iban = bool(details.iban) and account_currency(details.iban) in (currency, "")
    us_account = bool(details.routing_number)
    keep_account = bool(details.account_number) and (currency == "USD" if us_account
                                                     else not details.iban or keep_iban)
    return replace(
        details, iban=details.iban if keep_iban else "", bic=details.bic if keep_iban else "",
        qr_svg=details.qr_svg if keep_iban else "",
        account_number=details.account_number if keep_account else "",
        routing_number=details.routing_number if keep_account else "",
        bank_name=details.bank_name if keep_iban or keep_account else "")
