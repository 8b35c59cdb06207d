"""Statutory late-payment presets: what the terms page shows and fills in, with no Django.

* **UK** — Late Payment of Commercial Debts (Interest) Act 1998: simple interest at 8 percentage
  points above the Bank of England base rate (the "reference rate" in force on 31 December for
  January to June, on 30 June for July to December), plus a fixed sum per invoice: £40 for a debt
  under £1,000, £70 under £10,000, £100 from £10,000.
* **EU** — Late Payment Directive 2011/7/EU: interest at least 8 percentage points above the
  ECB's main refinancing rate (in force on 1 January / 1 July for the half-year), plus at least
  €40 fixed compensation per invoice. National law may ask for more.

The law itself (bands, margin, currency and the published reference rates per half-year) is in
``core.terms`` (``UK_LATE_PAYMENT_ACT``, ``EU_LATE_PAYMENT_DIRECTIVE``), because the terms
arithmetic below the apps computes every invoice's fee and interest from it; this module adds
the words, the worked examples and the rate table the configuration page shows. Applying a
preset makes the terms *statutory*: each invoice then gets the fixed sum of its own band (in the
law's currency only) and the rate of the half-year it became late in.

Interest is simple, on the principal, per day late over a 365-day year — the same convention
as ``core.terms`` for a yearly rate — and rounded half-up to the penny/cent once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core import terms as termsmath

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
    reference_rate_name: str
    reference_rate_day: str  # when the half-year's rate is read
    note: str
    statute: termsmath.Statute

    @property
    def currency(self) -> str:
        return self.statute.currency

    @property
    def margin(self) -> Decimal:
        return self.statute.margin

    @property
    def bands(self) -> tuple[Band, ...]:
        return tuple(Band(below, amount) for below, amount in self.statute.bands)

    @property
    def published_rates(self) -> termsmath.RateTable:
        return self.statute.published_rates


UK_LATE_PAYMENT = Preset(
    key="uk",
    label="UK statutory late payment",
    law="Late Payment of Commercial Debts (Interest) Act 1998",
    reference_rate_name="Bank of England base rate",
    reference_rate_day="in force on 31 December (for January to June) or 30 June (for July to "
                       "December)",
    note="The rates of 31 December 2025 and later are not in the published table yet: add them "
         "below from the Bank of England's Bank Rate history.",
    statute=termsmath.UK_LATE_PAYMENT_ACT,
)

EU_LATE_PAYMENT = Preset(
    key="eu",
    label="EU Late Payment Directive",
    law="Directive 2011/7/EU on combating late payment in commercial transactions",
    reference_rate_name="ECB main refinancing rate",
    reference_rate_day="in force on 1 January (for January to June) or 1 July (for July to "
                       "December)",
    note="The directive sets a minimum: national law may add more (Germany, for example, "
         "charges 9 points above its base rate between businesses). The rates from 1 January "
         "2026 are not in the published table yet: add them below.",
    statute=termsmath.EU_LATE_PAYMENT_DIRECTIVE,
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


def terms_values(preset: Preset) -> dict[str, object]:
    """The payment-terms fields applying a preset sets: statutory, and the fee and interest
    fields cleared (the law sets them per invoice; the rest of the terms stay as they were)."""
    return {"statutory": preset.key, "late_fee_flat": Decimal(0), "late_fee_currency": "",
            "late_fee_percent": Decimal(0), "late_fee_after_days": 0,
            "interest_percent": Decimal(0), "interest_period": "year",
            "interest_after_days": 0}


# --- The rate table -----------------------------------------------------------------------------


def shown(rate: Decimal) -> Decimal:
    """A rate as people write it: at least two decimals, no trailing zeros beyond ("3.750" →
    "3.75", "4" → "4.00", "3.125" stays)."""
    two = rate.quantize(CENT)
    return two if two == rate else rate.normalize()


def half_year_label(start: date) -> str:
    """E.g. "January to June 2025"."""
    return f"{'January to June' if start.month == 1 else 'July to December'} {start.year}"


@dataclass(frozen=True)
class RateRow:
    """One half-year of a preset's table, as the configuration page shows it."""

    half_year: date
    label: str
    reference_rate: Decimal
    annual_percent: Decimal
    source: str  # "published", "admin" or "assumed"
    note: str


def _half_years(first: date, last: date) -> list[date]:
    starts, cursor = [], first
    while cursor <= last:
        starts.append(cursor)
        cursor = date(cursor.year, 7, 1) if cursor.month == 1 else date(cursor.year + 1, 1, 1)
    return starts


def rate_rows(preset: Preset, overrides: Iterable[tuple[date, Decimal, str]], *,
              today: date) -> list[RateRow]:
    """Every half-year from the first published one to the later of the current half-year and
    the admin's last, newest first: the rate it uses and where it comes from. A half-year
    without a rate says which earlier rate it uses until an admin adds one."""
    admin = {start: (rate, note) for start, rate, note in overrides}
    table = termsmath.merge_rates(preset.published_rates,
                                  ((start, rate) for start, (rate, _) in admin.items()))
    published = dict(preset.published_rates)
    last = max([termsmath.half_year_start(today), *admin])
    rows = []
    for start in _half_years(table[0][0], last):
        lookup = termsmath.lookup_rate(table, start)
        if start in admin:
            source, note = "admin", admin[start][1] or "Set by an admin."
            if start in published and published[start] != admin[start][0]:
                note += f" Published: {shown(published[start])} %."
        elif lookup.exact:
            source, note = "published", ""
        else:
            known = half_year_label(lookup.known_for) if lookup.known_for else "no half-year"
            source = "assumed"
            note = (f"No rate known yet: invoices late in this half-year use "
                    f"{shown(lookup.rate)} % of {known} until you add the rate.")
        rows.append(RateRow(half_year=start, label=half_year_label(start),
                            reference_rate=shown(lookup.rate),
                            annual_percent=shown(lookup.rate + preset.margin), source=source,
                            note=note))
    return rows[::-1]
