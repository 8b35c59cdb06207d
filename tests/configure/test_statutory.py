"""Statutory late-payment presets: the pure Decimal arithmetic and the rate table, then the
Django path (statutory PaymentTerms → as_rule → the fee and interest of real invoices)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from configure import statutory
from configure.statutory import EU_LATE_PAYMENT, UK_LATE_PAYMENT, StatutoryError
from core import terms as termsmath
from receivables.models import PaymentTerms, ReferenceRate
from receivables.selectors import invoice_quote
from tests.factories import ClientFactory, TermsFactory


def test_uk_five_thousand_thirty_days_late_at_base_four_percent():
    claim = statutory.claim(UK_LATE_PAYMENT, debt=Decimal("5000"), days_late=30,
                            reference_rate=Decimal("4.0"))
    assert claim.annual_percent == Decimal("12.0")
    assert claim.interest == Decimal("49.32")  # 5000 * 12 % * 30/365 = 49.315…
    assert claim.compensation == Decimal("70")
    assert claim.total == Decimal("119.32")


@pytest.mark.parametrize(("debt", "fixed"), [
    ("0", "40"), ("999.99", "40"), ("1000", "70"), ("9999.99", "70"), ("10000", "100"),
    ("250000", "100"),
])
def test_uk_fixed_sum_by_debt_size(debt, fixed):
    assert statutory.fixed_compensation(UK_LATE_PAYMENT, Decimal(debt)) == Decimal(fixed)


def test_eu_directive_is_ecb_rate_plus_eight_and_forty_euro():
    claim = statutory.claim(EU_LATE_PAYMENT, debt="5000.00", days_late=30,
                            reference_rate="2.15")
    assert claim.annual_percent == Decimal("10.15")
    assert claim.interest == Decimal("41.71")  # 5000 * 10.15 % * 30/365 = 41.712…
    assert claim.compensation == Decimal("40")
    assert statutory.fixed_compensation(EU_LATE_PAYMENT, "150000") == Decimal("40")


def test_interest_rounds_half_up_once():
    # 1000 * 7.3 % * 1/365 = 0.20 exactly; 1234.56 * 12 % * 45/365 = 18.2648… → 18.26
    assert statutory.simple_interest(principal="1000", annual_percent="7.3",
                                     days_late=1) == Decimal("0.20")
    assert statutory.simple_interest(principal="1234.56", annual_percent="12",
                                     days_late=45) == Decimal("18.26")
    assert statutory.simple_interest(principal="100", annual_percent="12",
                                     days_late=0) == Decimal("0.00")


def test_floats_and_nonsense_are_refused():
    with pytest.raises(StatutoryError, match="float"):
        statutory.claim(UK_LATE_PAYMENT, debt=5000.0, days_late=30, reference_rate="4")
    with pytest.raises(StatutoryError, match="not a number"):
        statutory.annual_rate(UK_LATE_PAYMENT, "four")
    with pytest.raises(StatutoryError, match="between"):
        statutory.annual_rate(UK_LATE_PAYMENT, "400")
    with pytest.raises(StatutoryError, match="negative"):
        statutory.fixed_compensation(UK_LATE_PAYMENT, "-1")
    with pytest.raises(StatutoryError, match="negative"):
        statutory.simple_interest(principal="1", annual_percent="1", days_late=-1)


def test_applying_a_preset_makes_the_terms_statutory_and_clears_fee_and_interest():
    values = statutory.terms_values(UK_LATE_PAYMENT)
    assert values["statutory"] == "uk"
    assert (values["late_fee_flat"], values["late_fee_percent"], values["interest_percent"]) == (
        0, 0, 0)
    assert statutory.terms_values(EU_LATE_PAYMENT)["statutory"] == "eu"


def test_the_presets_arithmetic_is_the_terms_engines():
    """configure.statutory's worked examples and core.terms charge the same on a statutory
    rule: the fixed sum of the band and the interest at the half-year's rate."""
    rule = termsmath.TermsRule(net_days=30, statutory="uk")
    due = date(2026, 1, 31)  # late on 1 February 2026: no published rate, 4.25 % of 2025-H2
    accrued = termsmath.interest_accrued(rule, principal=Decimal("5000.00"), currency="GBP",
                                         due_date=due, on=due + timedelta(days=30))
    expected = statutory.claim(UK_LATE_PAYMENT, debt="5000", days_late=30,
                               reference_rate="4.25")
    assert accrued == expected.interest == Decimal("50.34")  # 5000 * 12.25 % * 30/365
    assert termsmath.late_fee_due(rule, principal=Decimal("5000.00"), currency="GBP",
                                  due_date=due, on=due + timedelta(days=1)) == \
        expected.compensation


# --- The rate table -----------------------------------------------------------------------------


def test_rate_rows_newest_first_with_sources():
    rows = statutory.rate_rows(UK_LATE_PAYMENT, [], today=date(2026, 12, 2))
    assert rows[0].label == "July to December 2026" and rows[-1].label == "January to June 2020"
    by_label = {r.label: r for r in rows}
    h1_2023 = by_label["January to June 2023"]
    assert (h1_2023.reference_rate, h1_2023.annual_percent, h1_2023.source) == (
        Decimal("3.50"), Decimal("11.50"), "published")
    assert by_label["July to December 2025"].reference_rate == Decimal("4.25")
    unknown = by_label["January to June 2026"]
    assert unknown.source == "assumed" and unknown.reference_rate == Decimal("4.25")
    assert "No rate known yet" in unknown.note and "July to December 2025" in unknown.note


def test_rate_rows_with_an_admins_rates():
    rows = statutory.rate_rows(UK_LATE_PAYMENT, [
        (date(2026, 1, 1), Decimal("3.75"), "BoE, 18 Dec 2025"),
        (date(2025, 7, 1), Decimal("4.30"), ""),
    ], today=date(2026, 12, 2))
    by_label = {r.label: r for r in rows}
    assert (by_label["January to June 2026"].source,
            by_label["January to June 2026"].reference_rate) == ("admin", Decimal("3.75"))
    assert by_label["January to June 2026"].note == "BoE, 18 Dec 2025"
    # The next half-year without a rate carries the admin's, and says so.
    assert by_label["July to December 2026"].reference_rate == Decimal("3.75")
    assert by_label["July to December 2026"].source == "assumed"
    corrected = by_label["July to December 2025"]
    assert corrected.reference_rate == Decimal("4.30") and "Published: 4.25 %" in corrected.note


# --- Statutory PaymentTerms (database) ----------------------------------------------------------


@pytest.mark.django_db
def test_statutory_terms_charge_each_invoice_the_fixed_sum_of_its_own_amount(make_invoice):
    terms = TermsFactory(name="UK statutory", net_days=30, statutory="uk")
    client = ClientFactory(country="GB", language="en", default_currency="GBP")
    small = make_invoice(client, "500.00", terms=terms, currency="GBP")
    large = make_invoice(client, "15000.00", terms=terms, currency="GBP")
    rule = terms.as_rule()
    fees = [termsmath.late_fee_due(rule, principal=inv.balance, currency=inv.currency,
                                   due_date=inv.due_date, on=inv.due_date + timedelta(days=1))
            for inv in (small, large)]
    assert fees == [Decimal("40.00"), Decimal("100.00")]
    # Not before the invoice is late.
    assert termsmath.late_fee_due(rule, principal=small.balance, currency="GBP",
                                  due_date=small.due_date, on=small.due_date) == 0


@pytest.mark.django_db
def test_statutory_quote_uses_the_half_year_the_invoice_became_late_in(make_invoice):
    terms = TermsFactory(name="UK statutory", net_days=30, statutory="uk")
    client = ClientFactory(country="GB", language="en", default_currency="GBP")
    # Issued 13 Feb 2023, due 15 Mar 2023 → late on 16 Mar 2023: 3.50 % + 8 = 11.50 % a year.
    invoice = make_invoice(client, "1000.00", terms=terms, currency="GBP",
                           issue_date=date(2023, 2, 13))
    quote = invoice_quote(invoice=invoice, on=invoice.due_date + timedelta(days=30))
    assert (quote.late_fee, quote.interest) == (Decimal("70.00"), Decimal("9.45"))
    # Years later the rate is still the one of its half-year (BoE was 5.25 % in 2024).
    later = invoice_quote(invoice=invoice, on=invoice.due_date + timedelta(days=365))
    assert later.interest == Decimal("115.00")  # 1000 * 11.5 % * 365/365


@pytest.mark.django_db
def test_an_admins_rate_fills_a_half_year_and_overrides_a_published_one():
    terms = TermsFactory(name="UK statutory", net_days=30, statutory="uk")
    due = date(2026, 1, 9)  # late on 10 January 2026: not published, 4.25 % assumed
    assert termsmath.interest_rate(terms.as_rule(), due)[0] == Decimal("12.25")
    assert not termsmath.reference_rate_for(terms.as_rule(), due).exact
    ReferenceRate.objects.create(statutory="uk", half_year_start=date(2026, 1, 1),
                                 rate=Decimal("3.75"))
    assert termsmath.interest_rate(terms.as_rule(), due)[0] == Decimal("11.75")
    assert termsmath.reference_rate_for(terms.as_rule(), due).exact
    ReferenceRate.objects.create(statutory="uk", half_year_start=date(2023, 1, 1),
                                 rate=Decimal("3.00"))
    assert termsmath.interest_rate(terms.as_rule(), date(2023, 3, 14))[0] == Decimal("11.00")
    # Other presets are not affected.
    eu = TermsFactory(name="EU statutory", statutory="eu")
    assert termsmath.interest_rate(eu.as_rule(), date(2023, 3, 14))[0] == Decimal("10.50")


@pytest.mark.django_db
def test_statutory_terms_clear_their_own_fee_and_interest_on_clean():
    terms = PaymentTerms(name="UK statutory", net_days=30, statutory="uk",
                         late_fee_flat=Decimal(70), interest_percent=Decimal(12),
                         interest_period="month", late_fee_after_days=5)
    terms.full_clean()
    assert (terms.late_fee_flat, terms.late_fee_currency, terms.interest_percent,
            terms.interest_period, terms.late_fee_after_days) == (0, "", 0, "year", 0)
    # A row saved without clean() still becomes a statutory rule (its fields are ignored).
    stale = TermsFactory(name="Stale", statutory="eu", late_fee_flat=Decimal(5),
                         late_fee_currency="EUR", interest_percent=Decimal(1))
    rule = stale.as_rule()
    assert (rule.statutory, rule.late_fee_flat, rule.interest_percent) == ("eu", 0, 0)


@pytest.mark.django_db
def test_reference_rates_start_a_half_year():
    with pytest.raises(ValidationError, match="1 January or"):
        ReferenceRate(statutory="uk", half_year_start=date(2026, 3, 1),
                      rate=Decimal("4")).full_clean()


@pytest.mark.django_db
def test_statutory_summary_follows_the_locale():
    terms = TermsFactory(name="EU statutory", net_days=30, statutory="eu")
    assert terms.summary().startswith("Net 30 · Directive 2011/7/EU")
    assert terms.summary("de_DE").startswith("Zahlbar innerhalb von 30 Tagen · Richtlinie")
    assert "indemnité forfaitaire par facture en EUR : 40,00\u00a0€" in terms.summary("fr_FR")
