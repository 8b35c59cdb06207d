"""Tests for core.terms: simple interest (basis, start, payments, rounding), and properties of
interest and of the quote, checked by hypothesis against a day-by-day oracle."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core.terms import (
    InterestPeriod,
    TermsRule,
    days_overdue,
    due_date_for,
    interest_accrued,
    interest_start,
    quote,
)
from tests.core.terms_support import DUE, ISSUE, D

FAST = settings(max_examples=200, deadline=None, database=None)


def rounded(value: Fraction | Decimal, places: int = 2) -> Decimal:
    """Independent oracle rounding: exact value -> ROUND_HALF_UP at ``places``."""
    if isinstance(value, Fraction):
        value = D(value.numerator) / D(value.denominator)
    return value.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --- interest ---------------------------------------------------------------------------------


YEARLY_12 = TermsRule(net_days=30, interest_percent=D(12), interest_period=InterestPeriod.YEAR)


def accrued(rule: TermsRule, days: int, principal: str = "1000.00", payments: tuple = (),
            currency: str = "EUR") -> Decimal:
    return interest_accrued(rule, principal=D(principal), currency=currency, due_date=DUE,
                            on=DUE + timedelta(days=days), payments=payments)


def test_yearly_interest_is_actual_365() -> None:
    assert accrued(YEARLY_12, 365) == D("120.00")
    # 30 days: 1000 * 0.12 * 30 / 365 = 9.8630... -> 9.86
    assert accrued(YEARLY_12, 30) == rounded(Fraction(1000 * 12 * 30, 100 * 365)) == D("9.86")
    # A leap year does not change the basis: 366 days = 120.33
    assert accrued(YEARLY_12, 366) == rounded(Fraction(1000 * 12 * 366, 100 * 365))


def test_monthly_interest_counts_30_day_months() -> None:
    rule = TermsRule(interest_percent=D("1.5"))
    assert accrued(rule, 30) == D("15.00")
    assert accrued(rule, 45) == D("22.50")
    assert accrued(rule, 1) == D("0.50")


def test_interest_zero_on_or_before_the_due_date() -> None:
    assert accrued(YEARLY_12, 0) == 0
    assert accrued(YEARLY_12, -10) == 0


def test_interest_after_days_delays_the_start() -> None:
    rule = TermsRule(interest_percent=D(1), interest_after_days=10)
    assert interest_start(rule, DUE) == DUE + timedelta(days=10)
    assert accrued(rule, 10) == 0
    # day 11: 1 day at 1 %/month = 1000 * 0.01 / 30 = 0.333... -> 0.33
    assert accrued(rule, 11) == D("0.33")


def test_partial_payment_reduces_principal_from_its_date() -> None:
    # 1,000.00 at 12 %/year; 400.00 paid 100 days after interest starts; quoted at 365 days:
    # 1000 * 0.12 * 100/365 + 600 * 0.12 * 265/365 = 31080/365 = 85.1506... -> 85.15
    payments = ((DUE + timedelta(days=100), D("400.00")),)
    expected = rounded(Fraction(12 * (1000 * 100 + 600 * 265), 100 * 365))
    assert expected == D("85.15")
    assert accrued(YEARLY_12, 365, payments=payments) == expected


def test_payments_in_any_order_give_the_same_interest() -> None:
    p1 = (DUE + timedelta(days=50), D("300.00"))
    p2 = (DUE + timedelta(days=200), D("200.00"))
    # 1000*50 + 700*150 + 500*165 day-units at 12 %/365
    expected = rounded(Fraction(12 * (1000 * 50 + 700 * 150 + 500 * 165), 100 * 365))
    assert accrued(YEARLY_12, 365, payments=(p1, p2)) == expected
    assert accrued(YEARLY_12, 365, payments=(p2, p1)) == expected


def test_payment_before_interest_starts_reduces_principal_without_interest() -> None:
    payments = ((DUE - timedelta(days=5), D("500.00")),)
    assert accrued(YEARLY_12, 365, payments=payments) == D("60.00")


def test_payment_after_on_is_ignored_for_interest() -> None:
    payments = ((DUE + timedelta(days=400), D("1000.00")),)
    assert accrued(YEARLY_12, 365, payments=payments) == D("120.00")


def test_interest_stops_after_full_payment_and_never_goes_negative() -> None:
    # Overpaid (1,500 on 1,000) after 73 days: 1000 * 0.12 * 73/365 = 24.00, then nothing.
    payments = ((DUE + timedelta(days=73), D("1500.00")),)
    assert accrued(YEARLY_12, 73, payments=payments) == D("24.00")
    assert accrued(YEARLY_12, 365, payments=payments) == D("24.00")
    assert accrued(YEARLY_12, 365, principal="-50.00") == D("0.00")


def test_interest_is_simple_not_compound() -> None:
    # Two years at 12 %/year on 1,000 = 240.00 (compound would be 254.40).
    assert accrued(YEARLY_12, 730) == D("240.00")


def test_interest_rounded_in_the_invoice_currency() -> None:
    assert str(accrued(YEARLY_12, 30, principal="1000", currency="JPY")) == "10"  # 9.86 -> 10
    assert str(accrued(YEARLY_12, 30, principal="1000", currency="BHD")) == "9.863"


def test_quote_interest_uses_payments() -> None:
    rule = YEARLY_12
    payments = ((DUE + timedelta(days=100), D("400.00")),)
    q = quote(rule, total=D("1000.00"), currency="EUR", issue_date=ISSUE, due_date=DUE,
              on=DUE + timedelta(days=365), payments=payments)
    assert q.principal == D("600.00")
    assert q.interest == D("85.15")
    assert q.total == D("685.15")


# --- properties -------------------------------------------------------------------------------


rules = st.builds(
    TermsRule,
    net_days=st.integers(0, 90),
    interest_percent=st.decimals(min_value=0, max_value=100, places=2),
    interest_period=st.sampled_from(list(InterestPeriod)),
    interest_after_days=st.integers(0, 60),
    grace_days=st.integers(0, 30),
)
money = st.decimals(min_value=0, max_value=10**7, places=2)
payment_lists = st.lists(st.tuples(st.integers(-60, 500), money), max_size=5)


def oracle_interest(rule: TermsRule, principal: Decimal, due: date, on: date,
                    payments: list[tuple[date, Decimal]]) -> Fraction:
    """Exact interest, day by day: each day in (start, on] is charged on the balance left
    after the payments received before that day."""
    if days_overdue(due, on) <= max(rule.grace_days, rule.interest_after_days):
        return Fraction(0)
    start = due + timedelta(days=max(rule.grace_days, rule.interest_after_days))
    basis = 30 if rule.interest_period == InterestPeriod.MONTH else 365
    total = Fraction(0)
    day = start + timedelta(days=1)
    while day <= on:
        balance = principal - sum((a for d, a in payments if d < day), D(0))
        total += Fraction(max(balance, D(0)))
        day += timedelta(days=1)
    return total * Fraction(rule.interest_percent) / 100 / basis


@FAST
@given(rule=rules, principal=money, raw_payments=payment_lists, on_offset=st.integers(-30, 500))
def test_interest_matches_a_day_by_day_oracle(rule: TermsRule, principal: Decimal,
                                              raw_payments: list[tuple[int, Decimal]],
                                              on_offset: int) -> None:
    payments = [(DUE + timedelta(days=o), a) for o, a in raw_payments]
    on = DUE + timedelta(days=on_offset)
    result = interest_accrued(rule, principal=principal, currency="EUR", due_date=DUE, on=on,
                              payments=payments)
    exact = oracle_interest(rule, principal, DUE, on, payments)
    assert result >= 0
    assert result == result.quantize(D("0.01"))
    # Rounded once, to the nearest cent (allowing only for 28-digit Decimal precision).
    assert abs(Fraction(result) - exact) <= Fraction(1, 200) + Fraction(1, 10**15)


@FAST
@given(rule=rules, principal=money, raw_payments=payment_lists,
       on1=st.integers(-30, 500), step=st.integers(0, 400))
def test_interest_is_non_negative_and_monotonic_in_on(rule: TermsRule, principal: Decimal,
                                                      raw_payments: list[tuple[int, Decimal]],
                                                      on1: int, step: int) -> None:
    payments = [(DUE + timedelta(days=o), a) for o, a in raw_payments]

    def at(offset: int) -> Decimal:
        return interest_accrued(rule, principal=principal, currency="EUR", due_date=DUE,
                                on=DUE + timedelta(days=offset), payments=payments)

    earlier, later = at(on1), at(on1 + step)
    assert D(0) <= earlier <= later


@FAST
@given(rule=rules, principal=money, raw_payments=payment_lists, on_offset=st.integers(0, 500))
def test_payments_never_increase_interest(rule: TermsRule, principal: Decimal,
                                          raw_payments: list[tuple[int, Decimal]],
                                          on_offset: int) -> None:
    payments = [(DUE + timedelta(days=o), a) for o, a in raw_payments]
    on = DUE + timedelta(days=on_offset)
    with_payments = interest_accrued(rule, principal=principal, currency="EUR", due_date=DUE,
                                     on=on, payments=payments)
    without = interest_accrued(rule, principal=principal, currency="EUR", due_date=DUE, on=on)
    assert with_payments <= without


@FAST
@given(percent=st.decimals(min_value=0, max_value=100, places=3), day=st.integers(0, 120),
       total=st.decimals(min_value=D("0.01"), max_value=10**7, places=2))
def test_quote_total_is_principal_minus_discount_plus_fee_plus_interest(
        percent: Decimal, day: int, total: Decimal) -> None:
    rule = TermsRule(net_days=30, discount_percent=percent, discount_days=10,
                     late_fee_flat=D(15), late_fee_after_days=5, interest_percent=D(2))
    q = quote(rule, total=total, currency="EUR", issue_date=ISSUE,
              due_date=due_date_for(rule, ISSUE), on=ISSUE + timedelta(days=day))
    assert q.total == q.principal - q.discount + q.late_fee + q.interest
    assert D(0) <= q.discount <= q.principal
    assert (q.discount > 0) <= (day <= 10)
    assert (q.late_fee > 0) == (day > 35)
    assert (q.interest > 0) <= (day > 30)
