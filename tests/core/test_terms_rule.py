"""Tests for core.terms: TermsRule's validation and flags, and its one-line summary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.money import MoneyError
from core.terms import InterestPeriod, TermsRule, due_date_for, summarize
from tests.core.terms_support import DUE, FEE_RULE, ISSUE, D, fee_on, spec_rule

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
    assert fee_on(FEE_RULE, 37 - 30) == 0
    assert fee_on(FEE_RULE, 38 - 30) > 0
