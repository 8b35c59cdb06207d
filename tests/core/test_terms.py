"""Tests for core.terms: due date, early-payment discount, grace, late fee, simple interest."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import MoneyError
from core.terms import (
    InterestPeriod,
    Quote,
    TermsRule,
    days_overdue,
    discount_available,
    discount_deadline,
    due_date_for,
    interest_accrued,
    interest_start,
    late_fee_due,
    quote,
    summarize,
)

D = Decimal
FAST = settings(max_examples=200, deadline=None, database=None)

# The worked example from the spec:
# "Net 30 · 5% discount if paid within 30 days · 1.5% interest per month after 60 days"
SPEC_SUMMARY = "Net 30 · 5% discount if paid within 30 days · 1.5% interest per month after 60 days"
ISSUE = date(2026, 1, 1)
TOTAL = D("10000.00")


def spec_rule(discount_percent: object = D(5)) -> TermsRule:
    return TermsRule(net_days=30, discount_percent=discount_percent, discount_days=30,  # type: ignore[arg-type]
                     interest_percent=D("1.5"), interest_period=InterestPeriod.MONTH,
                     interest_after_days=30)


def spec_quote(day: int, rule: TermsRule | None = None, payments: tuple = ()) -> Quote:
    rule = rule or spec_rule()
    return quote(rule, total=TOTAL, currency="EUR", issue_date=ISSUE,
                 due_date=due_date_for(rule, ISSUE), on=ISSUE + timedelta(days=day),
                 payments=payments)


def rounded(value: Fraction | Decimal, places: int = 2) -> Decimal:
    """Independent oracle rounding: exact value -> ROUND_HALF_UP at ``places``."""
    if isinstance(value, Fraction):
        value = D(value.numerator) / D(value.denominator)
    return value.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --- the worked example -----------------------------------------------------------------------


def test_spec_due_date_is_issue_plus_net_days() -> None:
    assert due_date_for(spec_rule(), ISSUE) == date(2026, 1, 31)


def test_spec_paid_on_day_20_earns_the_discount() -> None:
    q = spec_quote(20)
    assert q == Quote(principal=D("10000.00"), discount=D("500.00"), late_fee=D("0.00"),
                      interest=D("0.00"))
    assert q.total == D("9500.00")


def test_spec_paid_on_day_45_pays_face_value() -> None:
    q = spec_quote(45)
    assert q.discount == 0
    assert q.interest == 0
    assert q.late_fee == 0
    assert q.total == D("10000.00")


def test_spec_paid_on_day_90_pays_interest() -> None:
    q = spec_quote(90)
    # Interest starts after day 60 (30 net + 30 overdue); days 61..90 = 30 days at
    # 1.5 %/month with 30-day months = exactly 1.5 % of 10,000.00.
    assert q.interest == D("150.00")
    assert q.discount == 0
    assert q.total == D("10150.00")


def test_spec_quote_works_with_int_percent_as_written_in_the_spec() -> None:
    assert spec_quote(20, rule=spec_rule(5)).total == D("9500.00")
    assert spec_quote(90, rule=spec_rule(5)).total == D("10150.00")


def test_spec_interest_starts_exactly_after_day_60_as_the_summary_says() -> None:
    assert spec_quote(60).interest == 0
    assert spec_quote(61).interest == D("5.00")  # 10,000 * 1.5 % / 30


def test_spec_summary_with_decimal_percent() -> None:
    assert summarize(spec_rule(D(5))) == SPEC_SUMMARY


def test_spec_summary_with_int_percent_as_written_in_the_spec() -> None:
    assert summarize(spec_rule(5)) == SPEC_SUMMARY


# --- discount ---------------------------------------------------------------------------------


def test_discount_window_is_inclusive() -> None:
    rule = spec_rule()
    assert discount_deadline(rule, ISSUE) == date(2026, 1, 31)
    assert spec_quote(0).discount == D("500.00")
    assert spec_quote(30).discount == D("500.00")
    assert spec_quote(30).total == D("9500.00")
    assert spec_quote(31).discount == D("0.00")
    assert spec_quote(31).total == D("10000.00")


def test_no_discount_deadline_without_a_discount() -> None:
    assert discount_deadline(TermsRule(net_days=30), ISSUE) is None
    assert discount_available(TermsRule(net_days=30), total=TOTAL, currency="EUR",
                              issue_date=ISSUE, on=ISSUE) == D("0.00")


def test_discount_is_rounded_half_up_in_the_invoice_currency() -> None:
    rule = TermsRule(discount_percent=D("2.5"), discount_days=10)
    # 2.5 % of 12.34 = 0.3085 -> 0.31 EUR; 2.5 % of 1,234 JPY = 30.85 -> 31 JPY
    assert discount_available(rule, total=D("12.34"), currency="EUR", issue_date=ISSUE,
                              on=ISSUE) == D("0.31")
    assert str(discount_available(rule, total=D("1234"), currency="JPY", issue_date=ISSUE,
                                  on=ISSUE)) == "31"


def test_partial_payment_earns_no_discount() -> None:
    q = spec_quote(20, payments=((ISSUE + timedelta(days=5), D("1000.00")),))
    assert q.principal == D("9000.00")
    assert q.discount == 0
    assert q.total == D("9000.00")


def test_payment_after_the_quote_date_is_ignored() -> None:
    q = spec_quote(20, payments=((ISSUE + timedelta(days=25), D("1000.00")),))
    assert q.principal == D("10000.00")
    assert q.discount == D("500.00")


# --- days overdue and grace -------------------------------------------------------------------


@pytest.mark.parametrize(("on", "expected"), [(date(2026, 1, 1), 0), (date(2026, 1, 31), 0),
                                              (date(2026, 2, 1), 1), (date(2026, 3, 2), 30)])
def test_days_overdue(on: date, expected: int) -> None:
    assert days_overdue(date(2026, 1, 31), on) == expected


GRACE_RULE = TermsRule(net_days=30, grace_days=5, late_fee_flat=D("25.00"),
                       interest_percent=D(12), interest_period=InterestPeriod.YEAR)
DUE = date(2026, 1, 31)


@pytest.mark.parametrize("overdue", [0, 1, 4, 5])
def test_grace_suppresses_fee_and_interest(overdue: int) -> None:
    on = DUE + timedelta(days=overdue)
    assert late_fee_due(GRACE_RULE, principal=D("1000.00"), currency="EUR", due_date=DUE,
                        on=on) == 0
    assert interest_accrued(GRACE_RULE, principal=D("1000.00"), currency="EUR", due_date=DUE,
                            on=on) == 0


def test_after_grace_fee_applies_and_interest_counts_only_days_past_grace() -> None:
    assert interest_start(GRACE_RULE, DUE) == DUE + timedelta(days=5)
    on = DUE + timedelta(days=6)
    assert late_fee_due(GRACE_RULE, principal=D("1000.00"), currency="EUR", due_date=DUE,
                        on=on) == D("25.00")
    # one day at 12 %/year: 1000 * 0.12 / 365 = 0.3287... -> 0.33
    assert interest_accrued(GRACE_RULE, principal=D("1000.00"), currency="EUR", due_date=DUE,
                            on=on) == D("0.33")
    # 35 days past grace: 1000 * 0.12 * 35 / 365 = 11.5068... -> 11.51
    assert interest_accrued(GRACE_RULE, principal=D("1000.00"), currency="EUR", due_date=DUE,
                            on=DUE + timedelta(days=40)) == D("11.51")


def _fee_on(rule: TermsRule, overdue: int) -> Decimal:
    return late_fee_due(rule, principal=D(100), currency="EUR", due_date=DUE,
                        on=DUE + timedelta(days=overdue))


def test_grace_longer_than_after_days_wins_and_vice_versa() -> None:
    grace_wins = TermsRule(grace_days=10, late_fee_flat=D(5), late_fee_after_days=3)
    assert _fee_on(grace_wins, 10) == 0
    assert _fee_on(grace_wins, 11) == D("5.00")
    after_wins = TermsRule(grace_days=10, late_fee_flat=D(5), late_fee_after_days=15)
    assert _fee_on(after_wins, 15) == 0
    assert _fee_on(after_wins, 16) == D("5.00")


# --- late fee ---------------------------------------------------------------------------------


FEE_RULE = TermsRule(net_days=30, late_fee_flat=D("40.00"), late_fee_percent=D("2.5"),
                     late_fee_after_days=7)


@pytest.mark.parametrize(("overdue", "expected"),
                         [(0, "0.00"), (1, "0.00"), (7, "0.00"), (8, "65.00"), (400, "65.00")])
def test_late_fee_flat_plus_percent_only_after_n_days_overdue(overdue: int,
                                                               expected: str) -> None:
    # 40.00 + 2.5 % of 1,000.00 = 65.00, charged once: it does not grow with time.
    assert late_fee_due(FEE_RULE, principal=D("1000.00"), currency="EUR", due_date=DUE,
                        on=DUE + timedelta(days=overdue)) == D(expected)


def test_late_fee_never_before_due_date() -> None:
    assert late_fee_due(TermsRule(late_fee_flat=D(10)), principal=D("1000.00"), currency="EUR",
                        due_date=DUE, on=DUE - timedelta(days=3)) == 0
    assert late_fee_due(TermsRule(late_fee_flat=D(10)), principal=D("1000.00"), currency="EUR",
                        due_date=DUE, on=DUE + timedelta(days=1)) == D("10.00")


def test_late_fee_rounds_in_the_invoice_currency() -> None:
    rule = TermsRule(late_fee_flat=D(500), late_fee_percent=D(1))
    # 500 + 1 % of 12,345 JPY (123.45 -> 123) = 623
    assert str(late_fee_due(rule, principal=D(12345), currency="JPY", due_date=DUE,
                            on=DUE + timedelta(days=1))) == "623"


def test_no_late_fee_configured_means_zero() -> None:
    assert late_fee_due(TermsRule(), principal=D("1000.00"), currency="EUR", due_date=DUE,
                        on=DUE + timedelta(days=365)) == D("0.00")


def test_quote_includes_the_late_fee() -> None:
    q = quote(FEE_RULE, total=D("1000.00"), currency="EUR", issue_date=ISSUE, due_date=DUE,
              on=DUE + timedelta(days=8))
    assert q.late_fee == D("65.00")
    assert q.total == D("1065.00")


def test_late_fee_is_fixed_once_charged() -> None:
    rule = TermsRule(net_days=30, late_fee_flat=D(5), late_fee_percent=D(10))
    payments = [(date(2026, 2, 10), D("500.00"))]
    kwargs = dict(total=D("1000.00"), currency="EUR", issue_date=ISSUE, due_date=DUE,
                  payments=payments)
    # Charged on 2026-02-01 (1 day overdue) on the 1,000.00 then outstanding: 5 + 100.
    assert quote(rule, on=date(2026, 2, 1), **kwargs).late_fee == D("105.00")
    # After a partial payment on 2026-02-10 the fee already charged is still owed.
    assert quote(rule, on=date(2026, 2, 20), **kwargs).late_fee == D("105.00")


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


# --- TermsRule validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "label"),
    [("net_days", "Net days"), ("discount_days", "Discount days"),
     ("late_fee_after_days", "Late fee after days"),
     ("interest_after_days", "Interest after days"), ("grace_days", "Grace days")],
)
def test_negative_days_are_refused(field: str, label: str) -> None:
    with pytest.raises(MoneyError, match=f"^{label} cannot be negative"):
        TermsRule(**{field: -1})


@pytest.mark.parametrize(
    ("field", "label"),
    [("discount_percent", "Discount percent"), ("late_fee_percent", "Late fee percent"),
     ("interest_percent", "Interest percent")],
)
@pytest.mark.parametrize("value", [D("100.01"), D(101), D("-0.01"), D(-5)])
def test_percent_outside_0_100_is_refused(field: str, label: str, value: Decimal) -> None:
    kwargs: dict[str, object] = {field: value}
    if field == "discount_percent":
        kwargs["discount_days"] = 10
    with pytest.raises(MoneyError, match=f"^{label} must be between 0 and 100"):
        TermsRule(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["late_fee_percent", "interest_percent"])
@pytest.mark.parametrize("value", [D(0), D(100)])
def test_percent_bounds_are_inclusive(field: str, value: Decimal) -> None:
    TermsRule(**{field: value})  # type: ignore[arg-type]
    TermsRule(discount_percent=value, discount_days=1)


def test_float_percent_is_refused() -> None:
    with pytest.raises(MoneyError, match="not a float"):
        TermsRule(interest_percent=1.5)  # type: ignore[arg-type]


def test_negative_flat_late_fee_is_refused() -> None:
    with pytest.raises(MoneyError, match=r"^Late fee cannot be negative"):
        TermsRule(late_fee_flat=D("-0.01"))


def test_discount_without_a_window_is_refused() -> None:
    with pytest.raises(MoneyError, match="needs a window of at least one day"):
        TermsRule(discount_percent=D(2), discount_days=0)
    # A window without a discount is harmless.
    assert not TermsRule(discount_days=10).has_discount


def test_rule_is_frozen() -> None:
    rule = TermsRule()
    with pytest.raises(AttributeError):
        rule.net_days = 10  # type: ignore[misc]


def test_has_flags() -> None:
    assert spec_rule().has_discount and spec_rule().has_interest
    assert not spec_rule().has_late_fee
    assert TermsRule(late_fee_percent=D(1)).has_late_fee
    assert TermsRule(late_fee_flat=D(1)).has_late_fee


# --- summarize --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "kwargs", "expected"),
    [
        (TermsRule(net_days=0), {}, "Due on receipt"),
        (TermsRule(net_days=14, discount_percent=D("2.00"), discount_days=1), {},
         "Net 14 · 2% discount if paid within 1 day"),
        (TermsRule(net_days=30, grace_days=1), {}, "Net 30 · 1 day grace"),
        (TermsRule(net_days=30, late_fee_flat=D("40.00"), late_fee_percent=D("2.50"),
                   late_fee_after_days=7), {"currency": "EUR"},
         "Net 30 · late fee €40.00 + 2.5% after 37 days"),
        (TermsRule(net_days=30, late_fee_flat=D("40.00")), {},
         "Net 30 · late fee 40 after 30 days"),
        (TermsRule(net_days=30, grace_days=10, late_fee_flat=D(5), late_fee_after_days=3,
                   interest_percent=D(1), interest_after_days=20), {},
         "Net 30 · 10 days grace · late fee 5 after 40 days · 1% interest per month after 50 days"),
        (TermsRule(net_days=30, grace_days=10, interest_percent=D(1)), {},
         "Net 30 · 10 days grace · 1% interest per month after 40 days"),
        (TermsRule(net_days=10, interest_percent=D("100.00"), interest_period=InterestPeriod.YEAR),
         {}, "Net 10 · 100% interest per year after 10 days"),
        (TermsRule(net_days=30, interest_percent=D("8"), interest_period=InterestPeriod.YEAR),
         {}, "Net 30 · 8% interest per year after 30 days"),
    ],
)
def test_summarize(rule: TermsRule, kwargs: dict, expected: str) -> None:
    assert summarize(rule, **kwargs) == expected


def test_summarize_localizes_numbers() -> None:
    rule = TermsRule(net_days=30, late_fee_flat=D("1234.50"), interest_percent=D("1.5"))
    text = summarize(rule, currency="EUR", locale="de")
    assert "1,5%" in text
    assert "1.234,50\u00a0€" in text


def test_summarize_late_fee_day_count_matches_when_the_fee_applies() -> None:
    # "late fee ... after 37 days" from the invoice date: day 37 no fee, day 38 fee.
    assert "after 37 days" in summarize(FEE_RULE)
    assert due_date_for(FEE_RULE, ISSUE) == DUE
    assert _fee_on(FEE_RULE, 37 - 30) == 0
    assert _fee_on(FEE_RULE, 38 - 30) > 0
