"""Payment-terms arithmetic: due date, early-payment discount, late fee, simple interest.

Pure functions over a frozen ``TermsRule``; the Django model ``receivables.PaymentTerms`` turns
itself into one with ``as_rule()``. All day counts are calendar days.

Conventions (each one a decision a bookkeeper can read back in the summary):

* **Due date** = issue date + ``net_days``.
* **Early-payment discount**: ``discount_percent`` of the invoice total when the invoice is paid
  in full on or before issue date + ``discount_days``. Partial payments earn no discount.
* **Grace**: a payment up to ``grace_days`` after the due date still counts as on time: no fee
  and no interest.
* **Late fee**: charged once, when the invoice is more than ``late_fee_after_days`` overdue (and
  past grace): ``late_fee_flat`` plus ``late_fee_percent`` of the principal then outstanding.
* **Interest**: simple (never on fees or on earlier interest), on the outstanding principal,
  accruing for each day past ``interest_after_days`` overdue. A monthly rate counts 30-day
  months (1.5 % per month for 30 days is exactly 1.5 %); a yearly rate counts actual/365.
  Payments reduce the principal from the day they are received.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from babel.numbers import format_decimal

from core.money import MoneyError, format_money, percent_of, quantize, to_decimal, zero


class InterestPeriod(StrEnum):
    MONTH = "month"
    YEAR = "year"


_DAYS_PER_PERIOD = {InterestPeriod.MONTH: Decimal(30), InterestPeriod.YEAR: Decimal(365)}


@dataclass(frozen=True)
class TermsRule:
    net_days: int = 30
    discount_percent: Decimal = Decimal(0)
    discount_days: int = 0
    late_fee_flat: Decimal = Decimal(0)
    late_fee_percent: Decimal = Decimal(0)
    late_fee_after_days: int = 0
    interest_percent: Decimal = Decimal(0)
    interest_period: InterestPeriod = InterestPeriod.MONTH
    interest_after_days: int = 0
    grace_days: int = 0

    def __post_init__(self) -> None:
        # Accept ints and strings for the decimal fields, as typed; store Decimals.
        for name in ("discount_percent", "late_fee_flat", "late_fee_percent",
                     "interest_percent"):
            label = name.replace("_", " ").capitalize()
            object.__setattr__(self, name, to_decimal(getattr(self, name), what=label))
        try:
            object.__setattr__(self, "interest_period", InterestPeriod(self.interest_period))
        except ValueError:
            raise MoneyError(f"Interest period '{self.interest_period}' must be 'month' or "
                             "'year'.") from None
        for name in ("net_days", "discount_days", "late_fee_after_days", "interest_after_days",
                     "grace_days"):
            if getattr(self, name) < 0:
                raise MoneyError(f"{name.replace('_', ' ').capitalize()} cannot be negative.")
        for name in ("discount_percent", "late_fee_percent", "interest_percent"):
            value = getattr(self, name)
            if not Decimal(0) <= value <= Decimal(100):
                label = name.replace("_", " ").capitalize()
                raise MoneyError(f"{label} must be between 0 and 100.")
        if self.late_fee_flat < 0:
            raise MoneyError("Late fee cannot be negative.")
        if self.discount_percent > 0 and self.discount_days == 0:
            raise MoneyError("An early-payment discount needs a window of at least one day.")

    @property
    def has_discount(self) -> bool:
        return self.discount_percent > 0

    @property
    def has_late_fee(self) -> bool:
        return self.late_fee_flat > 0 or self.late_fee_percent > 0

    @property
    def has_interest(self) -> bool:
        return self.interest_percent > 0


def due_date_for(rule: TermsRule, issue_date: date) -> date:
    return issue_date + timedelta(days=rule.net_days)


def days_overdue(due_date: date, on: date) -> int:
    return max(0, (on - due_date).days)


def discount_deadline(rule: TermsRule, issue_date: date) -> date | None:
    """Last day (inclusive) on which paying in full earns the early-payment discount."""
    return issue_date + timedelta(days=rule.discount_days) if rule.has_discount else None


def discount_available(rule: TermsRule, *, total: Decimal, currency: str, issue_date: date,
                       on: date) -> Decimal:
    """Discount that applies to a payment in full received on ``on``."""
    deadline = discount_deadline(rule, issue_date)
    if deadline is None or on > deadline:
        return zero(currency)
    return percent_of(total, rule.discount_percent, currency)


def _is_late(rule: TermsRule, due_date: date, on: date, after_days: int) -> bool:
    overdue = days_overdue(due_date, on)
    return overdue > rule.grace_days and overdue > after_days


def late_fee_due(rule: TermsRule, *, principal: Decimal, currency: str, due_date: date,
                 on: date) -> Decimal:
    """The one-off late fee owed on ``on`` (zero before it applies)."""
    if not rule.has_late_fee or not _is_late(rule, due_date, on, rule.late_fee_after_days):
        return zero(currency)
    return quantize(rule.late_fee_flat, currency) + percent_of(
        principal, rule.late_fee_percent, currency)


def late_fee_date(rule: TermsRule, due_date: date) -> date:
    """The first day on which the late fee applies."""
    return due_date + timedelta(days=max(rule.late_fee_after_days, rule.grace_days) + 1)


def interest_start(rule: TermsRule, due_date: date) -> date:
    """Interest accrues for each day after this date (never inside the grace period)."""
    return due_date + timedelta(days=max(rule.interest_after_days, rule.grace_days))


def interest_accrued(rule: TermsRule, *, principal: Decimal, currency: str, due_date: date,
                     on: date, payments: Iterable[tuple[date, Decimal]] = ()) -> Decimal:
    """Simple interest accrued up to and including ``on``.

    ``principal`` is what was owed at the due date; ``payments`` are (date received, amount)
    pairs that reduce it from their date on. The sum is rounded once, at the end.
    """
    if not rule.has_interest or not _is_late(rule, due_date, on, rule.interest_after_days):
        return zero(currency)
    start = interest_start(rule, due_date)
    period_days = _DAYS_PER_PERIOD[InterestPeriod(rule.interest_period)]
    daily_rate = rule.interest_percent / 100 / period_days
    outstanding = to_decimal(principal)
    accrued = Decimal(0)
    cursor = start
    for paid_on, amount in sorted(payments):
        if paid_on > on:
            break
        if paid_on > cursor:
            accrued += max(outstanding, Decimal(0)) * daily_rate * (paid_on - cursor).days
            cursor = paid_on
        outstanding -= to_decimal(amount)
    if on > cursor:
        accrued += max(outstanding, Decimal(0)) * daily_rate * (on - cursor).days
    return quantize(accrued, currency)


@dataclass(frozen=True)
class Quote:
    """What settles an invoice in full on a given day, and why."""

    principal: Decimal
    discount: Decimal
    late_fee: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal - self.discount + self.late_fee + self.interest


def quote(rule: TermsRule, *, total: Decimal, currency: str, issue_date: date, due_date: date,
          on: date, payments: Iterable[tuple[date, Decimal]] = ()) -> Quote:
    """The amount that settles an invoice of ``total`` on ``on`` under ``rule``."""
    payments = list(payments)

    def owed_on(day: date) -> Decimal:
        return quantize(total - sum((to_decimal(a) for d, a in payments if d <= day),
                                    Decimal(0)), currency)

    principal = owed_on(on)
    discount = (discount_available(rule, total=total, currency=currency, issue_date=issue_date,
                                   on=on) if principal == quantize(total, currency)
                else zero(currency))
    # The fee is charged once, on the principal outstanding the day it became due.
    fee = late_fee_due(rule, principal=owed_on(late_fee_date(rule, due_date)),
                       currency=currency, due_date=due_date, on=on)
    interest = interest_accrued(rule, principal=total, currency=currency, due_date=due_date,
                                on=on, payments=payments)
    return Quote(principal=principal, discount=discount, late_fee=fee, interest=interest)


def _pct(value: Decimal, locale: str) -> str:
    return format_decimal(value.normalize(), format="#,##0.###", locale=locale) + "%"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def summarize(rule: TermsRule, *, currency: str | None = None, locale: str = "en") -> str:
    """Plain-language summary printed on invoices and reminders.

    Every day count is from the invoice date, as a client reads terms:
    "Net 30 · 5% discount if paid within 30 days · 1.5% interest per month after 60 days".
    """
    parts = ["Due on receipt" if rule.net_days == 0 else f"Net {rule.net_days}"]
    if rule.has_discount:
        parts.append(f"{_pct(rule.discount_percent, locale)} discount if paid within "
                     f"{_days(rule.discount_days)}")
    if rule.grace_days:
        parts.append(f"{_days(rule.grace_days)} grace")
    if rule.has_late_fee:
        fee_bits = []
        if rule.late_fee_flat > 0:
            fee_bits.append(format_money(rule.late_fee_flat, currency, locale) if currency
                            else format_decimal(rule.late_fee_flat, locale=locale))
        if rule.late_fee_percent > 0:
            fee_bits.append(_pct(rule.late_fee_percent, locale))
        after = rule.net_days + max(rule.late_fee_after_days, rule.grace_days)
        parts.append(f"late fee {' + '.join(fee_bits)} after {_days(after)}")
    if rule.has_interest:
        after = rule.net_days + max(rule.interest_after_days, rule.grace_days)
        parts.append(f"{_pct(rule.interest_percent, locale)} interest per "
                     f"{InterestPeriod(rule.interest_period).value} after {_days(after)}")
    return " · ".join(parts)
