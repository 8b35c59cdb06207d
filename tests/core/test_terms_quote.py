"""Tests for core.terms: the spec's worked example, the early-payment discount, days overdue
and grace, the late fee. Interest is in test_terms_interest.py, TermsRule's validation and
summary in test_terms_rule.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

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
from tests.core.terms_support import (
    DUE,
    FEE_RULE,
    ISSUE,
    SPEC_SUMMARY,
    TOTAL,
    D,
    fee_on,
    spec_quote,
    spec_rule,
)

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


def test_grace_longer_than_after_days_wins_and_vice_versa() -> None:
    grace_wins = TermsRule(grace_days=10, late_fee_flat=D(5), late_fee_after_days=3)
    assert fee_on(grace_wins, 10) == 0
    assert fee_on(grace_wins, 11) == D("5.00")
    after_wins = TermsRule(grace_days=10, late_fee_flat=D(5), late_fee_after_days=15)
    assert fee_on(after_wins, 15) == 0
    assert fee_on(after_wins, 16) == D("5.00")


# --- late fee ---------------------------------------------------------------------------------


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
