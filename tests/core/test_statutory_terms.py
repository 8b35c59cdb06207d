"""Statutory terms in core.terms: the law's fixed sum per invoice by its amount, interest at the
reference rate of the half-year the invoice became late in, and the summary in four languages.
Worked examples as the UK government's and the directive's guidance give them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.money import MoneyError
from core.terms import (
    EU_PUBLISHED_RATES,
    UK_PUBLISHED_RATES,
    InterestPeriod,
    TermsRule,
    became_late_on,
    half_year_start,
    interest_accrued,
    interest_rate,
    late_fee_date,
    late_fee_due,
    lookup_rate,
    merge_rates,
    quote,
    reference_rate_for,
    summarize,
    summary_language,
)

D = Decimal
UK = TermsRule(net_days=30, statutory="uk")
EU = TermsRule(net_days=30, statutory="eu")
DUE = date(2026, 3, 31)


def fee(rule: TermsRule, amount: str, currency: str = "GBP") -> Decimal:
    return late_fee_due(rule, principal=D(amount), currency=currency, due_date=DUE,
                        on=DUE + timedelta(days=1))


# --- The fixed sum ------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "fixed"), [
    ("500.00", "40.00"), ("5000.00", "70.00"), ("15000.00", "100.00"),
    ("999.99", "40.00"), ("1000.00", "70.00"), ("9999.99", "70.00"), ("10000.00", "100.00"),
    ("0.01", "40.00"),
])
def test_uk_fixed_sum_per_invoice_by_its_amount(amount: str, fixed: str) -> None:
    assert fee(UK, amount) == D(fixed)


@pytest.mark.parametrize("amount", ["0.01", "500.00", "5000.00", "15000.00", "2500000.00"])
def test_eu_forty_euro_per_invoice_whatever_its_size(amount: str) -> None:
    assert fee(EU, amount, "EUR") == D("40.00")


def test_the_fixed_sum_is_owed_from_the_first_day_late_and_only_once_the_debt_is_owed() -> None:
    assert late_fee_due(UK, principal=D(500), currency="GBP", due_date=DUE, on=DUE) == 0
    assert late_fee_date(UK, DUE) == DUE + timedelta(days=1)
    assert fee(UK, "0.00") == 0


def test_the_fixed_sum_is_only_for_invoices_in_the_laws_currency() -> None:
    """Decision: £40/£70/£100 is owed in GBP, €40 in EUR; an invoice in another currency gets
    no fixed sum (the summary says "per invoice in GBP"), but still the interest."""
    assert fee(UK, "5000.00", "EUR") == D("0.00")
    assert fee(EU, "5000.00", "GBP") == D("0.00")
    assert fee(UK, "500000", "JPY") == D("0")
    assert interest_accrued(UK, principal=D("1000.00"), currency="EUR", due_date=DUE,
                            on=DUE + timedelta(days=30)) > 0


def test_the_band_is_by_the_debt_given_else_the_principal() -> None:
    # The reminder engine passes the balance; a caller may name the debt (e.g. the total).
    assert late_fee_due(UK, principal=D("500.00"), debt=D("12000.00"), currency="GBP",
                        due_date=DUE, on=DUE + timedelta(days=1)) == D("100.00")
    # quote() bands by what was owed the day the fee became due: a part payment before it
    # lowers the band.
    q = quote(UK, total=D("1500.00"), currency="GBP", issue_date=DUE - timedelta(days=30),
              due_date=DUE, on=DUE + timedelta(days=10), payments=[(DUE, D("600.00"))])
    assert q.late_fee == D("40.00")


# --- The reference rate of the half-year ------------------------------------------------------


def test_half_years() -> None:
    assert half_year_start(date(2023, 3, 15)) == date(2023, 1, 1)
    assert half_year_start(date(2023, 6, 30)) == date(2023, 1, 1)
    assert half_year_start(date(2023, 7, 1)) == date(2023, 7, 1)
    assert half_year_start(date(2023, 12, 31)) == date(2023, 7, 1)
    # Due on 30 June: late on 1 July, so the July to December rate.
    assert became_late_on(date(2024, 6, 30)) == date(2024, 7, 1)


def test_uk_invoice_late_on_15_march_2023_uses_the_rate_of_31_december_2022() -> None:
    due = date(2023, 3, 14)  # late on 15 March 2023
    assert interest_rate(UK, due) == (D("11.50"), InterestPeriod.YEAR)  # 3.50 % + 8
    # 1000 * 11.5 % * 30/365 = 9.4520… → £9.45
    assert interest_accrued(UK, principal=D("1000.00"), currency="GBP", due_date=due,
                            on=due + timedelta(days=30)) == D("9.45")


def test_the_rate_does_not_change_after_the_invoice_became_late() -> None:
    due = date(2023, 3, 14)
    # Bank Rate went to 5.25 % later in 2023; this invoice keeps 11.50 % for its whole life.
    assert interest_accrued(UK, principal=D("1000.00"), currency="GBP", due_date=due,
                            on=due + timedelta(days=365)) == D("115.00")


def test_eu_invoice_late_on_10_august_2024_uses_the_ecb_rate_of_1_july_2024() -> None:
    due = date(2024, 8, 9)
    assert interest_rate(EU, due) == (D("12.25"), InterestPeriod.YEAR)  # 4.25 % + 8
    # 1000 * 12.25 % * 30/365 = 10.0684… → €10.07
    assert interest_accrued(EU, principal=D("1000.00"), currency="EUR", due_date=due,
                            on=due + timedelta(days=30)) == D("10.07")


@pytest.mark.parametrize(("late_on", "uk", "eu"), [
    (date(2020, 2, 1), "0.75", "0.00"), (date(2020, 8, 1), "0.10", "0.00"),
    (date(2022, 3, 1), "0.25", "0.00"), (date(2022, 9, 1), "1.25", "0.00"),
    (date(2023, 1, 1), "3.50", "2.50"), (date(2023, 7, 1), "5.00", "4.00"),
    (date(2024, 1, 15), "5.25", "4.50"), (date(2024, 12, 31), "5.25", "4.25"),
    (date(2025, 6, 30), "4.75", "3.15"), (date(2025, 7, 1), "4.25", "2.15"),
])
def test_published_rates(late_on: date, uk: str, eu: str) -> None:
    assert lookup_rate(UK_PUBLISHED_RATES, late_on).rate == D(uk)
    assert lookup_rate(EU_PUBLISHED_RATES, late_on).rate == D(eu)
    assert lookup_rate(UK_PUBLISHED_RATES, late_on).exact


def test_a_half_year_without_a_rate_uses_the_latest_earlier_one_and_says_so() -> None:
    lookup = reference_rate_for(UK, date(2026, 8, 1))
    assert lookup is not None
    assert (lookup.half_year, lookup.rate, lookup.known_for, lookup.exact) == (
        date(2026, 7, 1), D("4.25"), date(2025, 7, 1), False)
    # Before the table: its first rate (never a crash).
    early = reference_rate_for(UK, date(2015, 5, 1))
    assert early is not None and (early.rate, early.exact) == (D("0.75"), False)
    assert reference_rate_for(TermsRule(), DUE) is None  # not statutory


def test_a_rules_own_rate_table_wins() -> None:
    table = merge_rates(UK_PUBLISHED_RATES, [(date(2026, 1, 1), "3.75"),
                                             (date(2025, 7, 1), D("4.30"))])
    rule = TermsRule(net_days=30, statutory="uk", reference_rates=table)
    assert interest_rate(rule, date(2026, 2, 1))[0] == D("11.75")
    assert interest_rate(rule, date(2025, 9, 1))[0] == D("12.30")
    assert interest_rate(rule, date(2023, 3, 14))[0] == D("11.50")


def test_statutory_rules_refuse_contradictions() -> None:
    with pytest.raises(MoneyError, match="'uk' or 'eu'"):
        TermsRule(statutory="fr")
    with pytest.raises(MoneyError, match="from the law"):
        TermsRule(statutory="uk", late_fee_flat=D(40))
    with pytest.raises(MoneyError, match="1 January or 1 July"):
        TermsRule(statutory="uk", reference_rates=((date(2026, 2, 1), D(4)),))
    with pytest.raises(MoneyError, match="between -5 and 25"):
        TermsRule(statutory="uk", reference_rates=((date(2026, 1, 1), D(40)),))
    assert UK.has_late_fee and UK.has_interest


# --- The summary -------------------------------------------------------------------------------


def test_uk_summary_names_the_law() -> None:
    assert summarize(UK) == (
        "Net 30 · Late Payment of Commercial Debts (Interest) Act 1998: fixed sum per invoice in "
        "GBP: £40.00 under £1,000.00, £70.00 under £10,000.00, £100.00 from £10,000.00; "
        "interest at 8 percentage points above the Bank of England base rate of the half-year "
        "in which the invoice became late")
    assert "€40.00" in summarize(EU, locale="en_GB")


ENGLISH = re.compile(r"\b(net|due|on|receipt|day|days|grace|late|fee|interest|per|after|month|"
                     r"year|discount|if|paid|within|fixed|sum|invoice|above|below|under|from|"
                     r"rate|base|bank|england|act|debts|payment|of|the|percentage|points?|"
                     r"half|became)\b", re.IGNORECASE)

RULES = [
    UK, EU, TermsRule(net_days=0),
    TermsRule(net_days=14, discount_percent=D(2), discount_days=10, grace_days=1,
              late_fee_flat=D("40.00"), late_fee_percent=D("2.5"), late_fee_after_days=7,
              interest_percent=D("1.5"), interest_after_days=30),
    TermsRule(net_days=30, grace_days=5, interest_percent=D(8),
              interest_period=InterestPeriod.YEAR),
    TermsRule(net_days=1, discount_percent=D(1), discount_days=1, statutory="uk"),
]


@pytest.mark.parametrize("locale", ["de_DE", "fr_FR", "es_ES", "de", "fr_CH", "es_MX"])
@pytest.mark.parametrize("rule", RULES)
def test_summary_in_german_french_spanish_has_no_english_words(rule: TermsRule,
                                                               locale: str) -> None:
    text = summarize(rule, currency="EUR", locale=locale)
    allowed = {"fr": {"points"}}.get(locale[:2], set())  # French "points" (de pourcentage)
    found = {w.lower() for w in ENGLISH.findall(text)} - allowed
    assert not found, (found, text)


def test_summaries_read_as_written() -> None:
    rule = TermsRule(net_days=30, discount_percent=D(5), discount_days=30,
                     interest_percent=D("1.5"), interest_after_days=30)
    assert summarize(rule, locale="de_DE") == (
        "Zahlbar innerhalb von 30 Tagen · 5% Skonto bei Zahlung innerhalb von 30 Tagen · "
        "1,5% Zinsen pro Monat nach 60 Tagen")
    assert summarize(rule, locale="fr_FR") == (
        "Paiement à 30 jours · escompte de 5% pour paiement sous 30 jours · "
        "intérêts de 1,5% par mois après 60 jours")
    assert summarize(rule, locale="es_ES") == (
        "Pago a 30 días · descuento del 5% si se paga en 30 días · "
        "1,5% de interés al mes después de 60 días")
    assert summarize(TermsRule(net_days=30, grace_days=1), locale="de") == (
        "Zahlbar innerhalb von 30 Tagen · 1 Tag Karenzzeit")
    assert summarize(UK, locale="de_DE").startswith(
        "Zahlbar innerhalb von 30 Tagen · Britisches Gesetz über Verzugszinsen bei "
        "Handelsschulden von 1998: Pauschale je Rechnung in GBP: 40,00\u00a0£ unter "
        "1.000,00\u00a0£, 70,00\u00a0£ unter 10.000,00\u00a0£, 100,00\u00a0£ ab "
        "10.000,00\u00a0£; Zinsen 8 Prozentpunkte über dem Leitzins der britischen Zentralbank")
    assert "Directiva 2011/7/UE" in summarize(EU, locale="es_ES")


@pytest.mark.parametrize(("locale", "language"), [
    ("de_DE", "de"), ("fr_FR", "fr"), ("en_GB", "en"), ("es-ES", "es"), ("it_IT", "en"),
    ("", "en"),
])
def test_summary_language(locale: str, language: str) -> None:
    assert summary_language(locale) == language
