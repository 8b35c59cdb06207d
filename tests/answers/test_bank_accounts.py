"""Bank accounts per currency (issue 18): each account checked as an admin enters it (a valid
IBAN whose country fits the currency, a UK sort code and account number, a US routing number
with its checksum, free-form details for the rest), one active account per currency, the lines
a client sees (IBAN in groups of four, sort code 12-34-56), the EPC QR code for euro IBANs only,
the old single account carried over by the migration, and the Configure pages that add, edit
and deactivate accounts."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from answers import banking
from answers.models import BankAccount, PortalSettings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

IBAN = "DE89370400440532013000"
IBAN_SHOWN = "DE89 3704 0044 0532 0130 00"
GB_IBAN = "GB33BUKB20201555555555"


def account(**fields: Any) -> BankAccount:
    values: dict[str, Any] = {"currency": "EUR", "scheme": "iban", "holder": "Settle Demo Ltd",
                              "iban": IBAN, "bic": "COBADEFFXXX"}
    values.update(fields)
    return BankAccount(**values)


def errors(row: BankAccount) -> dict[str, list[str]]:
    count = BankAccount.objects.count()
    with pytest.raises(ValidationError) as caught:
        banking.bank_account_save(row)
    assert BankAccount.objects.count() == count  # nothing written
    return caught.value.message_dict


# --- Checks ------------------------------------------------------------------------------------

def test_a_bad_iban_is_refused_with_the_reason():
    found = errors(account(iban="DE00 1234 5678"))
    assert "This IBAN is not valid" in found["iban"][0]
    assert not BankAccount.objects.exists()


def test_the_iban_s_country_must_fit_the_currency():
    found = errors(account(currency="USD", iban=IBAN))
    assert "A DE IBAN is an account in EUR, not USD" in found["iban"][0]
    assert "A GB IBAN is an account in GBP, not CHF" in errors(account(
        currency="CHF", iban=GB_IBAN, bic=""))["iban"][0]
    # A euro account may sit in any SEPA country (a GB IBAN holding euros): accepted.
    saved = banking.bank_account_save(account(currency="eur", iban=GB_IBAN.lower(), bic=""))
    assert (saved.currency, saved.iban) == ("EUR", GB_IBAN)


def test_a_bad_bic_is_refused():
    assert "This BIC is not valid" in errors(account(bic="NOTABIC"))["bic"][0]


def test_a_wrong_routing_checksum_is_refused():
    found = errors(account(currency="USD", scheme="us", iban="", routing_number="011000016",
                           account_number="123456789"))
    assert "checksum" in found["routing_number"][0]
    saved = banking.bank_account_save(account(
        currency="USD", scheme="us", routing_number="011 000 015", account_number="123456789"))
    assert (saved.routing_number, saved.iban, saved.bic) == ("011000015", "", "")


def test_a_uk_account_has_a_six_digit_sort_code_and_eight_digit_number():
    found = errors(account(currency="GBP", scheme="uk", sort_code="12-34-5",
                           account_number="1234567"))
    assert "6 digits" in found["sort_code"][0] and "8 digits" in found["account_number"][0]
    assert "pounds (GBP)" in errors(account(currency="EUR", scheme="uk", sort_code="123456",
                                            account_number="12345678"))["scheme"][0]
    saved = banking.bank_account_save(account(currency="GBP", scheme="uk", sort_code="12-34-56",
                                              account_number="1234 5678"))
    assert (saved.sort_code, saved.account_number) == ("123456", "12345678")
    assert saved.iban == "" and saved.bic == ""  # the IBAN scheme's fields are cleared


def test_other_details_and_an_unknown_currency():
    assert "one item per line" in errors(account(currency="JPY", scheme="other",
                                                 details=" \n "))["details"][0]
    assert "Unknown currency" in errors(account(currency="XYZ"))["currency"][0]
    assert "account holder" in errors(account(holder="  "))["holder"][0]
    saved = banking.bank_account_save(account(
        currency="JPY", scheme="other", details="Account 1234567\n\n  SWIFT BOTKJPJT  "))
    assert saved.details == "Account 1234567\nSWIFT BOTKJPJT"


def test_one_active_account_per_currency():
    first = banking.bank_account_save(account())
    found = errors(account(holder="Other GmbH"))
    assert "already an active EUR account" in found["currency"][0]
    banking.bank_account_set_active(first, False)
    second = banking.bank_account_save(account(holder="Other GmbH"))
    with pytest.raises(ValidationError):
        banking.bank_account_set_active(first, True)  # the second is the active one now
    assert banking.bank_details("EUR").holder == second.holder  # type: ignore[union-attr]


# --- What a client sees ----------------------------------------------------------------------

def test_the_lines_per_scheme_and_the_account_per_currency():
    banking.bank_account_save(account(bank_name="Commerzbank"))
    banking.bank_account_save(account(currency="GBP", scheme="uk", sort_code="123456",
                                      account_number="12345678", holder="Settle UK Ltd"))
    banking.bank_account_save(account(currency="USD", scheme="us", routing_number="011000015",
                                      account_number="123456789"))
    eur, gbp, usd = (banking.bank_details(c) for c in ("EUR", "GBP", "USD"))
    assert eur is not None and gbp is not None and usd is not None
    assert eur.lines("en") == [("Account holder", "Settle Demo Ltd"), ("Bank", "Commerzbank"),
                               ("IBAN", IBAN_SHOWN), ("BIC", "COBADEFFXXX")]
    assert gbp.lines("en")[1:] == [("Sort code", "12-34-56"), ("Account number", "12345678")]
    assert usd.lines("de")[1:] == [("Routing-Nummer", "011000015"),
                                   ("Kontonummer", "123456789")]
    assert banking.bank_details("CHF") is None
    assert banking.transfer_text("CHF", "INV-1", "en").startswith(
        "For payments in CHF, please contact us for our account details.")
    assert "Sort code: 12-34-56" in banking.transfer_text("GBP", "INV-2", "en")


def test_the_epc_qr_code_only_for_a_euro_iban():
    banking.bank_account_save(account())
    banking.bank_account_save(account(currency="GBP", iban=GB_IBAN, bic=""))
    eur, gbp = banking.bank_details("EUR"), banking.bank_details("GBP")
    assert eur is not None and gbp is not None
    assert "<svg" in eur.epc_qr(currency="EUR", amount=banking.Decimal("10.00"), reference="X")
    assert eur.epc_qr(currency="EUR", amount=banking.Decimal("0"), reference="X") == ""
    assert gbp.epc_qr(currency="GBP", amount=banking.Decimal("10.00"), reference="X") == ""


def test_a_deactivated_account_is_not_shown_and_the_old_settings_stay_silent():
    PortalSettings.objects.update_or_create(singleton=True, defaults={
        "account_holder": "Old Ltd", "iban": IBAN})
    assert banking.bank_details("EUR").holder == "Old Ltd"  # type: ignore[union-attr]
    row = banking.bank_account_save(account(currency="GBP", iban=GB_IBAN, bic=""))
    assert banking.bank_details("EUR") is None  # accounts exist: the old one no longer answers
    banking.bank_account_set_active(row, False)
    book = banking.account_book()
    assert book.for_currency("GBP") is None and not book.any and not book.legacy


# --- The migration -------------------------------------------------------------------------------

def carry_over() -> None:
    module = importlib.import_module("answers.migrations.0002_bank_accounts")
    module.carry_over(apps, None)


@pytest.mark.parametrize(("iban", "currency"), [(IBAN, "EUR"), (GB_IBAN, "GBP")])
def test_the_migration_carries_the_old_account_over(iban: str, currency: str):
    PortalSettings.objects.update_or_create(singleton=True, defaults={
        "account_holder": "Settle Demo Ltd", "bank_name": "Commerzbank",
        "iban": " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)), "bic": "cobadeffxxx"})
    carry_over()
    [row] = BankAccount.objects.all()
    assert (row.currency, row.scheme, row.holder, row.bank_name, row.iban, row.bic,
            row.active) == (currency, "iban", "Settle Demo Ltd", "Commerzbank", iban,
                            "COBADEFFXXX", True)
    carry_over()  # again: nothing more
    assert BankAccount.objects.count() == 1
    assert banking.bank_details(currency).lines("en")[2][1].startswith(iban[:4])  # type: ignore[union-attr]


def test_the_migration_carries_a_us_account_over_and_nothing_from_empty_settings():
    carry_over()
    assert not BankAccount.objects.exists()
    PortalSettings.objects.update_or_create(singleton=True, defaults={
        "account_holder": "Settle Inc", "account_number": "123456789",
        "routing_number": "011000015"})
    carry_over()
    [row] = BankAccount.objects.all()
    assert (row.currency, row.scheme, row.routing_number, row.account_number) == (
        "USD", "us", "011000015", "123456789")


# --- Configure → Business & pay-now --------------------------------------------------------------

@pytest.fixture
def admin(client: Any) -> Any:
    client.force_login(UserFactory(username="ada", role="Admin"))
    return client


def form(**fields: str) -> dict[str, str]:
    data = {"currency": "GBP", "holder": "Settle UK Ltd", "bank_name": "Barclays",
            "scheme": "uk", "iban": "", "bic": "", "sort_code": "20-00-00",
            "routing_number": "", "account_number": "55779911", "details": ""}
    return {**data, **fields}


def test_the_admin_adds_edits_and_deactivates_an_account(admin: Any):
    response = admin.post(reverse("configure:bank-account-new"), form())
    assert response.status_code == 302
    row = BankAccount.objects.get()
    assert (row.currency, row.sort_code, row.account_number) == ("GBP", "200000", "55779911")
    page = admin.get(reverse("configure:business")).content.decode()
    assert "20-00-00" in page and "55779911" in page and "Deactivate" in page
    edit = admin.get(reverse("configure:bank-account", args=[row.pk]))
    assert not edit.context["form"].is_bound
    assert 'value="Settle UK Ltd"' in edit.content.decode()  # the current values
    assert admin.post(reverse("configure:bank-account", args=[row.pk]),
                      form(holder="Settle Europe Ltd")).status_code == 302
    assert admin.get(reverse("configure:bank-account-active", args=[row.pk])).status_code == 405
    assert admin.post(reverse("configure:bank-account-active", args=[row.pk]),
                      {"active": "0"}).status_code == 302
    row.refresh_from_db()
    assert (row.holder, row.active) == ("Settle Europe Ltd", False)
    assert [e.change_message for e in LogEntry.objects.order_by("pk")] == [
        "Bank account added: currency, holder, bank_name, scheme, sort_code, account_number",
        "Bank account: changed holder", "Bank account deactivated"]


def test_errors_are_shown_on_their_fields_and_nothing_is_saved(admin: Any):
    response = admin.post(reverse("configure:bank-account-new"), form(
        currency="USD", scheme="us", sort_code="", routing_number="011000016"))
    assert response.status_code == 200
    found = response.context["form"].errors
    assert "checksum" in found["routing_number"][0]
    assert 'class="field has-error"' in response.content.decode()
    response = admin.post(reverse("configure:bank-account-new"), form(
        currency="EUR", scheme="iban", iban="DE00 1234"))
    assert "This IBAN is not valid" in response.context["form"].errors["iban"][0]
    assert not BankAccount.objects.exists() and not LogEntry.objects.exists()


def test_a_bookkeeper_cannot_touch_the_accounts(client: Any):
    row = banking.bank_account_save(account())
    client.force_login(UserFactory(username="bea"))
    assert client.post(reverse("configure:bank-account-new"), form()).status_code == 403
    assert client.post(reverse("configure:bank-account-active", args=[row.pk]),
                       {"active": "0"}).status_code == 403
    row.refresh_from_db()
    assert row.active and BankAccount.objects.count() == 1


def test_the_old_account_is_shown_and_fills_in_a_new_one(admin: Any):
    PortalSettings.objects.update_or_create(singleton=True, defaults={
        "account_holder": "Settle Demo Ltd", "iban": IBAN, "bic": "COBADEFFXXX"})
    page = admin.get(reverse("configure:business")).content.decode()
    assert "single account of the old pay-now settings" in page and IBAN_SHOWN in page
    new = admin.get(reverse("configure:bank-account-new") + "?from=old").content.decode()
    assert f'value="{IBAN}"' in new and 'value="EUR"' in new
    assert 'value="Settle Demo Ltd"' in new
