"""Statutory late-payment presets: the arithmetic, in Decimal, with no Django.

* **UK** — Late Payment of Commercial Debts (Interest) Act 1998: simple interest at 8 percentage
  points above the Bank of England base rate (the "reference rate" in force on 31 December for
  January to June, on 30 June for July to December), plus a fixed sum per invoice: £40 for a debt
  under £1,000, £70 under £10,000, £100 from £10,000.
* **EU** — Late Payment Directive 2011/7/EU: interest at least 8 percentage points above the
  ECB's main refinancing rate (in force on 1 January / 1 July for the half-year), plus at least
  €40 fixed compensation per invoice. National law may ask for more.

Interest is simple, on the principal, per day late over a 365-day year — the same convention
as ``core.terms`` for a yearly rate — and rounded half-up to the penny/cent once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
DAYS_PER_YEAR = Decimal(365)


class StatutoryError(ValueError):
    pass


@dataclass(frozen=True)
class Band:
    """Fixed compensation for debts below ``below`` (None: no upper limit)."""

    below: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    law: str
    currency: str
    margin: Decimal  # percentage points above the reference rate
    reference_rate_name: str
    default_reference_rate: Decimal
    default_rate_note: str
    bands: tuple[Band, ...]


UK_LATE_PAYMENT = Preset(
    key="uk",
    label="UK statutory late payment",
    law="Late Payment of Commercial Debts (Interest) Act 1998",
    currency="GBP",
    margin=Decimal(8),
    reference_rate_name="Bank of England base rate",
    default_reference_rate=Decimal("4.00"),
    default_rate_note="4.00 % is Bank Rate from 7 August 2025; use the rate in force on "
                      "31 December (for January to June) or 30 June (for July to December).",
    bands=(Band(Decimal(1000), Decimal(40)), Band(Decimal(10000), Decimal(70)),
           Band(None, Decimal(100))),
)

EU_LATE_PAYMENT = Preset(
    key="eu",
    label="EU Late Payment Directive",
    law="Directive 2011/7/EU on combating late payment in commercial transactions",
    currency="EUR",
    margin=Decimal(8),
    reference_rate_name="ECB main refinancing rate",
    default_reference_rate=Decimal("2.15"),
    default_rate_note="2.15 % is the ECB main refinancing rate from 11 June 2025; use the rate "
                      "in force on 1 January (for January to June) or 1 July (for July to "
                      "December). The directive sets a minimum: national law may add more "
                      "(Germany, for example, charges 9 points above its base rate between "
                      "businesses).",
    bands=(Band(None, Decimal(40)),),
)

PRESETS: dict[str, Preset] = {p.key: p for p in (UK_LATE_PAYMENT, EU_LATE_PAYMENT)}


def _decimal(value: object, what: str) -> Decimal:
    """Decimals, ints and numeric strings; floats are refused (they are not exact)."""
    if isinstance(value, bool | float):
        raise StatutoryError(f"{what} must be a Decimal or a numeric string, not a float.")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise StatutoryError(f"{what} '{value}' is not a number.") from None
    if not result.is_finite():
        raise StatutoryError(f"{what} must be a finite number.")
    return result


def annual_rate(preset: Preset, reference_rate: object) -> Decimal:
    """The statutory rate in percent per year: the reference rate plus the margin."""
    reference = _decimal(reference_rate, "The reference rate")
    if not Decimal(-5) <= reference <= Decimal(25):
        raise StatutoryError("The reference rate should be a percentage between -5 and 25.")
    return reference + preset.margin


def fixed_compensation(preset: Preset, debt: object) -> Decimal:
    """The fixed sum per invoice for a debt of this size (in the preset's currency)."""
    amount = _decimal(debt, "The debt")
    if amount < 0:
        raise StatutoryError("The debt cannot be negative.")
    return next(b.amount for b in preset.bands if b.below is None or amount < b.below)


def simple_interest(*, principal: object, annual_percent: object, days_late: int) -> Decimal:
    """Simple interest over ``days_late`` days at ``annual_percent`` a year (actual/365),
    rounded half-up to the cent once."""
    amount = _decimal(principal, "The principal")
    rate = _decimal(annual_percent, "The rate")
    if amount < 0 or rate < 0:
        raise StatutoryError("Principal and rate cannot be negative.")
    if days_late < 0:
        raise StatutoryError("Days late cannot be negative.")
    raw = amount * rate / Decimal(100) * Decimal(days_late) / DAYS_PER_YEAR
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Claim:
    """What a creditor may claim on one late invoice."""

    annual_percent: Decimal
    interest: Decimal
    compensation: Decimal

    @property
    def total(self) -> Decimal:
        return self.interest + self.compensation


def claim(preset: Preset, *, debt: object, days_late: int, reference_rate: object) -> Claim:
    rate = annual_rate(preset, reference_rate)
    return Claim(annual_percent=rate,
                 interest=simple_interest(principal=debt, annual_percent=rate,
                                          days_late=days_late),
                 compensation=fixed_compensation(preset, debt))


@dataclass(frozen=True)
class TermsValues:
    """The payment-terms fields a preset sets (the rest of the terms stay as they were)."""

    interest_percent: Decimal
    interest_period: str
    interest_after_days: int
    late_fee_flat: Decimal
    late_fee_currency: str
    late_fee_percent: Decimal
    late_fee_after_days: int


def terms_values(preset: Preset, *, reference_rate: object, typical_invoice: object
                 ) -> TermsValues:
    """Interest from the first day overdue at the statutory yearly rate, and the fixed
    compensation of the band a typical invoice falls in as the one flat late fee (terms hold a
    single flat fee, while the law's fixed sum depends on each invoice's size)."""
    return TermsValues(
        interest_percent=annual_rate(preset, reference_rate), interest_period="year",
        interest_after_days=0, late_fee_flat=fixed_compensation(preset, typical_invoice),
        late_fee_currency=preset.currency, late_fee_percent=Decimal(0), late_fee_after_days=0)
