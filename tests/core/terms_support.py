"""Shared by the tests of core.terms (test_terms_*): the spec's worked example (its rule
and quotes on its invoice), the due date and late-fee rule several of them use, and the
late fee on a day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.terms import InterestPeriod, Quote, TermsRule, due_date_for, late_fee_due, quote

D = Decimal

# The worked example from the spec:
# "Net 30 · 5% discount if paid within 30 days · 1.5% interest per month after 60 days"
SPEC_SUMMARY = "Net 30 · 5% discount if paid within 30 days · 1.5% interest per month after 60 days"
ISSUE = date(2026, 1, 1)
TOTAL = D("10000.00")
DUE = date(2026, 1, 31)  # ISSUE + Net 30
FEE_RULE = TermsRule(net_days=30, late_fee_flat=D("40.00"), late_fee_percent=D("2.5"),
                     late_fee_after_days=7)


def spec_rule(discount_percent: object = D(5)) -> TermsRule:
    return TermsRule(net_days=30, discount_percent=discount_percent, discount_days=30,  # type: ignore[arg-type]
                     interest_percent=D("1.5"), interest_period=InterestPeriod.MONTH,
                     interest_after_days=30)


def spec_quote(day: int, rule: TermsRule | None = None, payments: tuple = ()) -> Quote:
    rule = rule or spec_rule()
    return quote(rule, total=TOTAL, currency="EUR", issue_date=ISSUE,
                 due_date=due_date_for(rule, ISSUE), on=ISSUE + timedelta(days=day),
                 payments=payments)


def fee_on(rule: TermsRule, overdue: int) -> Decimal:
    """The late fee on 100 EUR due on DUE, ``overdue`` days after it."""
    return late_fee_due(rule, principal=D(100), currency="EUR", due_date=DUE,
                        on=DUE + timedelta(days=overdue))
