"""Statutory late-payment presets: pure Decimal arithmetic, no database."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from configure import statutory
from configure.statutory import EU_LATE_PAYMENT, UK_LATE_PAYMENT, StatutoryError
from core import terms as termsmath


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


def test_terms_values_use_the_band_of_the_typical_invoice():
    values = statutory.terms_values(UK_LATE_PAYMENT, reference_rate="4.00",
                                    typical_invoice="12000")
    assert (values.interest_percent, values.interest_period, values.interest_after_days) == (
        Decimal("12.00"), "year", 0)
    assert (values.late_fee_flat, values.late_fee_currency) == (Decimal(100), "GBP")
    small = statutory.terms_values(UK_LATE_PAYMENT, reference_rate="4", typical_invoice="800")
    assert small.late_fee_flat == Decimal(40)
    eu = statutory.terms_values(EU_LATE_PAYMENT, reference_rate="2.15", typical_invoice="800")
    assert (eu.interest_percent, eu.late_fee_flat, eu.late_fee_currency) == (
        Decimal("10.15"), Decimal(40), "EUR")


def test_terms_filled_by_a_preset_accrue_the_statutory_interest():
    """The terms engine (core.terms) charges what the preset's arithmetic says."""
    values = statutory.terms_values(UK_LATE_PAYMENT, reference_rate="4.0",
                                    typical_invoice="5000")
    rule = termsmath.TermsRule(
        net_days=30, interest_percent=values.interest_percent,
        interest_period=termsmath.InterestPeriod(values.interest_period),
        interest_after_days=values.interest_after_days, late_fee_flat=values.late_fee_flat)
    due = date(2026, 1, 31)
    accrued = termsmath.interest_accrued(rule, principal=Decimal("5000.00"), currency="GBP",
                                         due_date=due, on=due + timedelta(days=30))
    assert accrued == statutory.simple_interest(principal="5000", annual_percent="12",
                                                days_late=30) == Decimal("49.32")
