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

**Statutory terms** (``statutory`` = "uk" or "eu") take the late fee and the interest rate from
the law instead of the flat fee, fee percent and interest fields (which must be zero):

* The late fee is the law's **fixed sum per invoice**, by the size of the debt: the ``debt``
  given to ``late_fee_due``, else its ``principal`` — what is outstanding when the fee is
  charged (``quote`` passes what was owed the day the fee became due; the reminder engine the
  invoice's balance). UK Late Payment of Commercial Debts (Interest) Act 1998: £40 under £1,000,
  £70 under £10,000, £100 from £10,000; EU Directive 2011/7/EU: €40. The sum is in the law's
  currency, so **only invoices in that currency get it**; an invoice in another currency gets
  none (converting it is left to the bookkeeper), and the summary says "per invoice in GBP".
* **Interest** is simple, per year (actual/365), at the law's margin (8 points) above the
  reference rate of the **half-year in which the invoice became late** (the day after its due
  date); the rate stays that one for the invoice's life. The rates come from
  ``rule.reference_rates`` ((half-year start, rate) pairs: 1 January / 1 July), else from the
  law's published table below. A half-year with no known rate uses the latest earlier one
  (``reference_rate_for`` says which, so pages can say so); before the table, its first rate.

``summarize`` writes the summary in English, German, French or Spanish (a phrase table: core
has no gettext), by the language of the Babel locale it is given ("de_DE" → German).
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

D = Decimal
RateTable = tuple[tuple[date, Decimal], ...]


# --- The statutory late-payment laws --------------------------------------------------------


@dataclass(frozen=True)
class Statute:
    """A late-payment law: its fixed sum by debt size and its interest over a reference rate.

    ``bands`` are (below, fixed sum) pairs, ascending, the last with ``below`` None;
    ``published_rates`` the reference rate per half-year (its first day: 1 January or 1 July)
    as published, ascending."""

    key: str
    currency: str
    margin: Decimal  # percentage points above the reference rate
    bands: tuple[tuple[Decimal | None, Decimal], ...]
    published_rates: RateTable


# Bank of England Bank Rate in force on 31 December (for January to June) and on 30 June (for
# July to December). Not shipped yet: 2026 (the rates of 31 December 2025 and 30 June 2026 were
# not confirmed when this table was written); an admin adds them on the terms page.
UK_PUBLISHED_RATES: RateTable = (
    (date(2020, 1, 1), D("0.75")), (date(2020, 7, 1), D("0.10")),
    (date(2021, 1, 1), D("0.10")), (date(2021, 7, 1), D("0.10")),
    (date(2022, 1, 1), D("0.25")), (date(2022, 7, 1), D("1.25")),
    (date(2023, 1, 1), D("3.50")), (date(2023, 7, 1), D("5.00")),
    (date(2024, 1, 1), D("5.25")), (date(2024, 7, 1), D("5.25")),
    (date(2025, 1, 1), D("4.75")), (date(2025, 7, 1), D("4.25")),
)

# ECB main refinancing operations rate in force on 1 January and 1 July. Not shipped yet: 2026.
EU_PUBLISHED_RATES: RateTable = (
    (date(2020, 1, 1), D("0.00")), (date(2020, 7, 1), D("0.00")),
    (date(2021, 1, 1), D("0.00")), (date(2021, 7, 1), D("0.00")),
    (date(2022, 1, 1), D("0.00")), (date(2022, 7, 1), D("0.00")),
    (date(2023, 1, 1), D("2.50")), (date(2023, 7, 1), D("4.00")),
    (date(2024, 1, 1), D("4.50")), (date(2024, 7, 1), D("4.25")),
    (date(2025, 1, 1), D("3.15")), (date(2025, 7, 1), D("2.15")),
)

UK_LATE_PAYMENT_ACT = Statute(
    key="uk", currency="GBP", margin=D(8),
    bands=((D(1000), D(40)), (D(10000), D(70)), (None, D(100))),
    published_rates=UK_PUBLISHED_RATES)
EU_LATE_PAYMENT_DIRECTIVE = Statute(
    key="eu", currency="EUR", margin=D(8), bands=((None, D(40)),),
    published_rates=EU_PUBLISHED_RATES)

STATUTES: dict[str, Statute] = {s.key: s for s in (UK_LATE_PAYMENT_ACT,
                                                   EU_LATE_PAYMENT_DIRECTIVE)}


def half_year_start(day: date) -> date:
    """1 January or 1 July: the start of the half-year ``day`` falls in."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def became_late_on(due_date: date) -> date:
    """The first day an invoice is late: the day after its due date."""
    return due_date + timedelta(days=1)


def check_rate_table(rates: Iterable[tuple[date, object]]) -> RateTable:
    """The table as Decimals, sorted, one rate per half-year start; refuses nonsense."""
    table: dict[date, Decimal] = {}
    for start, value in rates:
        if not isinstance(start, date) or start.day != 1 or start.month not in (1, 7):
            raise MoneyError(f"A reference rate's half-year starts on 1 January or 1 July, "
                             f"not {start}.")
        rate = to_decimal(value, what="A reference rate")
        if not D(-5) <= rate <= D(25):
            raise MoneyError("A reference rate should be a percentage between -5 and 25.")
        table[start] = rate
    return tuple(sorted(table.items()))


def merge_rates(published: RateTable, overrides: Iterable[tuple[date, object]]) -> RateTable:
    """The published table with an admin's rates added (a half-year of both: the admin's)."""
    return check_rate_table([*published, *check_rate_table(overrides)])


@dataclass(frozen=True)
class RateLookup:
    """The reference rate an invoice late in ``half_year`` uses: ``rate``, known for
    ``known_for`` (the half-year itself, or the latest earlier one when that half-year has no
    rate yet; None when the table is empty and the rate is taken as 0)."""

    half_year: date
    rate: Decimal
    known_for: date | None

    @property
    def exact(self) -> bool:
        return self.known_for == self.half_year


def lookup_rate(rates: RateTable, late_on: date) -> RateLookup:
    """The rate of the half-year ``late_on`` falls in (see ``RateLookup``)."""
    half = half_year_start(late_on)
    earlier = [(start, rate) for start, rate in rates if start <= half]
    if earlier:
        return RateLookup(half, earlier[-1][1], earlier[-1][0])
    if rates:  # before the table: its first rate
        return RateLookup(half, rates[0][1], rates[0][0])
    return RateLookup(half, D(0), None)


def fixed_sum(statute: Statute, *, debt: Decimal, currency: str) -> Decimal:
    """The law's fixed sum for one late invoice: by the debt's band, in the law's currency
    only (an invoice in another currency gets none)."""
    if currency.upper() != statute.currency:
        return zero(currency)
    amount = to_decimal(debt, what="The debt")
    if amount <= 0:
        return zero(currency)
    return quantize(next(fee for below, fee in statute.bands if below is None or amount < below),
                    currency)


# --- The rule ----------------------------------------------------------------------------------


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
    # "" (the fields above), "uk" or "eu": the late fee and interest rate the law sets.
    statutory: str = ""
    # (half-year start, reference rate %) pairs; empty: the law's published table.
    reference_rates: RateTable = ()

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
        if self.statutory and self.statutory not in STATUTES:
            raise MoneyError(f"Statutory terms are 'uk' or 'eu', not '{self.statutory}'.")
        if self.statutory and (self.late_fee_flat or self.late_fee_percent
                               or self.interest_percent):
            raise MoneyError("Statutory terms take the late fee and interest from the law: "
                             "leave the flat fee, fee percent and interest at 0.")
        object.__setattr__(self, "reference_rates", check_rate_table(self.reference_rates))

    @property
    def statute(self) -> Statute | None:
        return STATUTES[self.statutory] if self.statutory else None

    @property
    def rates(self) -> RateTable:
        """The reference-rate table statutory terms use (empty for other terms)."""
        statute = self.statute
        if statute is None:
            return ()
        return self.reference_rates or statute.published_rates

    @property
    def has_discount(self) -> bool:
        return self.discount_percent > 0

    @property
    def has_late_fee(self) -> bool:
        return bool(self.statutory) or self.late_fee_flat > 0 or self.late_fee_percent > 0

    @property
    def has_interest(self) -> bool:
        return bool(self.statutory) or self.interest_percent > 0


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
                 on: date, debt: Decimal | None = None) -> Decimal:
    """The one-off late fee owed on ``on`` (zero before it applies).

    Statutory terms: the law's fixed sum for a debt of ``debt`` (default: ``principal``), in
    the law's currency only."""
    if not rule.has_late_fee or not _is_late(rule, due_date, on, rule.late_fee_after_days):
        return zero(currency)
    if rule.statute is not None:
        return fixed_sum(rule.statute, debt=principal if debt is None else debt,
                         currency=currency)
    return quantize(rule.late_fee_flat, currency) + percent_of(
        principal, rule.late_fee_percent, currency)


def late_fee_date(rule: TermsRule, due_date: date) -> date:
    """The first day on which the late fee applies."""
    return due_date + timedelta(days=max(rule.late_fee_after_days, rule.grace_days) + 1)


def interest_start(rule: TermsRule, due_date: date) -> date:
    """Interest accrues for each day after this date (never inside the grace period)."""
    return due_date + timedelta(days=max(rule.interest_after_days, rule.grace_days))


def reference_rate_for(rule: TermsRule, due_date: date) -> RateLookup | None:
    """Statutory terms: the reference rate of the half-year the invoice became late in (None
    for other terms)."""
    if rule.statute is None:
        return None
    return lookup_rate(rule.rates, became_late_on(due_date))


def interest_rate(rule: TermsRule, due_date: date) -> tuple[Decimal, InterestPeriod]:
    """The interest rate (percent) and its period for an invoice due on ``due_date``:
    statutory terms' reference rate of its half-year plus the law's margin, per year."""
    lookup = reference_rate_for(rule, due_date)
    if rule.statute is None or lookup is None:
        return rule.interest_percent, InterestPeriod(rule.interest_period)
    return lookup.rate + rule.statute.margin, InterestPeriod.YEAR


def interest_accrued(rule: TermsRule, *, principal: Decimal, currency: str, due_date: date,
                     on: date, payments: Iterable[tuple[date, Decimal]] = ()) -> Decimal:
    """Simple interest accrued up to and including ``on``.

    ``principal`` is what was owed at the due date; ``payments`` are (date received, amount)
    pairs that reduce it from their date on. The sum is rounded once, at the end.
    """
    if not rule.has_interest or not _is_late(rule, due_date, on, rule.interest_after_days):
        return zero(currency)
    start = interest_start(rule, due_date)
    percent, period = interest_rate(rule, due_date)
    daily_rate = max(percent, D(0)) / 100 / _DAYS_PER_PERIOD[period]
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
    # The fee is charged once, on the principal outstanding the day it became due (for
    # statutory terms, that debt also picks the fixed sum's band).
    fee = late_fee_due(rule, principal=owed_on(late_fee_date(rule, due_date)),
                       currency=currency, due_date=due_date, on=on)
    interest = interest_accrued(rule, principal=total, currency=currency, due_date=due_date,
                                on=on, payments=payments)
    return Quote(principal=principal, discount=discount, late_fee=fee, interest=interest)


# --- The summary, in the client's language ----------------------------------------------------

# One phrase table per language (core has no gettext). Each phrase gets its numbers already
# formatted for the locale; "days" is the day count as a subject, "days_dat" after a preposition
# (German declines it: "30 Tage Karenzzeit", "innerhalb von 30 Tagen").
_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "due_on_receipt": "Due on receipt",
        "net": "Net {n}",
        "discount": "{pct} discount if paid within {days}",
        "grace": "{days} grace",
        "late_fee": "late fee {fee} after {days}",
        "interest": "{pct} interest per {period} after {days}",
        "month": "month", "year": "year",
        "day": "day", "days": "days", "day_dat": "day", "days_dat": "days",
        "statutory": "{law}: fixed sum per invoice in {currency}: {bands}; interest at {margin} "
                     "percentage points above the {reference} of the half-year in which the "
                     "invoice became late",
        "below": "{amount} under {limit}", "from": "{amount} from {limit}",
        "law_uk": "Late Payment of Commercial Debts (Interest) Act 1998",
        "law_eu": "Directive 2011/7/EU on combating late payment",
        "reference_uk": "Bank of England base rate",
        "reference_eu": "ECB main refinancing rate",
    },
    "de": {
        "due_on_receipt": "Zahlbar sofort nach Erhalt",
        "net": "Zahlbar innerhalb von {days_dat}",
        "discount": "{pct} Skonto bei Zahlung innerhalb von {days_dat}",
        "grace": "{days} Karenzzeit",
        "late_fee": "Verzugsgebühr {fee} nach {days_dat}",
        "interest": "{pct} Zinsen pro {period} nach {days_dat}",
        "month": "Monat", "year": "Jahr",
        "day": "Tag", "days": "Tage", "day_dat": "Tag", "days_dat": "Tagen",
        "statutory": "{law}: Pauschale je Rechnung in {currency}: {bands}; Zinsen {margin} "
                     "Prozentpunkte über dem {reference} des Halbjahres, in dem der Verzug "
                     "begann",
        "below": "{amount} unter {limit}", "from": "{amount} ab {limit}",
        "law_uk": "Britisches Gesetz über Verzugszinsen bei Handelsschulden von 1998",
        "law_eu": "Richtlinie 2011/7/EU zur Bekämpfung von Zahlungsverzug",
        "reference_uk": "Leitzins der britischen Zentralbank",
        "reference_eu": "Hauptrefinanzierungssatz der EZB",
    },
    "fr": {
        "due_on_receipt": "Payable à réception",
        "net": "Paiement à {days}",
        "discount": "escompte de {pct} pour paiement sous {days}",
        "grace": "délai de grâce de {days}",
        "late_fee": "frais de retard de {fee} après {days}",
        "interest": "intérêts de {pct} par {period} après {days}",
        "month": "mois", "year": "an",
        "day": "jour", "days": "jours", "day_dat": "jour", "days_dat": "jours",
        "statutory": "{law} : indemnité forfaitaire par facture en {currency} : {bands} ; "
                     "intérêts au {reference} majoré de {margin} points, celui du semestre où "
                     "le retard a commencé",
        "below": "{amount} en dessous de {limit}", "from": "{amount} à partir de {limit}",
        "law_uk": "Loi britannique de 1998 sur les intérêts de retard des créances "
                  "commerciales",
        "law_eu": "Directive 2011/7/UE concernant la lutte contre le retard de paiement",
        "reference_uk": "taux directeur de la Banque d'Angleterre",
        "reference_eu": "taux de refinancement principal de la BCE",
    },
    "es": {
        "due_on_receipt": "Pago a la recepción",
        "net": "Pago a {days}",
        "discount": "descuento del {pct} si se paga en {days}",
        "grace": "{days} de gracia",
        "late_fee": "recargo por demora de {fee} después de {days}",
        "interest": "{pct} de interés al {period} después de {days}",
        "month": "mes", "year": "año",
        "day": "día", "days": "días", "day_dat": "día", "days_dat": "días",
        "statutory": "{law}: cantidad fija por factura en {currency}: {bands}; intereses al "
                     "{reference} más {margin} puntos, el del semestre en que comenzó la demora",
        "below": "{amount} por debajo de {limit}", "from": "{amount} a partir de {limit}",
        "law_uk": "Ley británica de 1998 sobre intereses de demora en deudas comerciales",
        "law_eu": "Directiva 2011/7/UE por la que se establecen medidas de lucha contra la "
                  "morosidad",
        "reference_uk": "tipo oficial del Banco de Inglaterra",
        "reference_eu": "tipo principal de refinanciación del BCE",
    },
}

LANGUAGES = tuple(_PHRASES)


def summary_language(locale: str) -> str:
    """The phrase table's language for a Babel locale ("de_DE" → "de"; unknown → "en")."""
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in _PHRASES else "en"


def _pct(value: Decimal, locale: str) -> str:
    return format_decimal(value.normalize(), format="#,##0.###", locale=locale) + "%"


class _Words:
    """The phrases of one language, with the locale's number formats."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.phrases = _PHRASES[summary_language(locale)]

    def days(self, n: int) -> dict[str, str]:
        one = n == 1
        return {"days": f"{n} {self.phrases['day' if one else 'days']}",
                "days_dat": f"{n} {self.phrases['day_dat' if one else 'days_dat']}"}

    def say(self, key: str, **values: object) -> str:
        return self.phrases[key].format(**values)

    def money(self, amount: Decimal, currency: str | None) -> str:
        return (format_money(amount, currency, self.locale) if currency
                else format_decimal(amount, locale=self.locale))


def _statutory_part(statute: Statute, words: _Words) -> str:
    bands, floor = [], None
    for below, fee in statute.bands:
        amount = words.money(fee, statute.currency)
        if below is not None:
            bands.append(words.say("below", amount=amount,
                                   limit=words.money(below, statute.currency)))
        elif floor is not None:
            bands.append(words.say("from", amount=amount,
                                   limit=words.money(floor, statute.currency)))
        else:
            bands.append(amount)
        floor = below
    return words.say("statutory", law=words.say(f"law_{statute.key}"),
                     currency=statute.currency, bands=", ".join(bands),
                     margin=format_decimal(statute.margin.normalize(), locale=words.locale),
                     reference=words.say(f"reference_{statute.key}"))


def summarize(rule: TermsRule, *, currency: str | None = None, locale: str = "en") -> str:
    """Plain-language summary printed on invoices and reminders, in the locale's language
    (English, German, French or Spanish; others get English).

    Every day count is from the invoice date, as a client reads terms:
    "Net 30 · 5% discount if paid within 30 days · 1.5% interest per month after 60 days".
    Statutory terms name the law, its fixed sums and its interest instead of a fee and a rate.
    """
    words = _Words(locale)
    parts = [words.say("due_on_receipt") if rule.net_days == 0
             else words.say("net", n=rule.net_days, **words.days(rule.net_days))]
    if rule.has_discount:
        parts.append(words.say("discount", pct=_pct(rule.discount_percent, locale),
                               **words.days(rule.discount_days)))
    if rule.grace_days:
        parts.append(words.say("grace", **words.days(rule.grace_days)))
    if rule.statute is not None:
        parts.append(_statutory_part(rule.statute, words))
        return " · ".join(parts)
    if rule.has_late_fee:
        fee_bits = []
        if rule.late_fee_flat > 0:
            fee_bits.append(words.money(rule.late_fee_flat, currency))
        if rule.late_fee_percent > 0:
            fee_bits.append(_pct(rule.late_fee_percent, locale))
        after = rule.net_days + max(rule.late_fee_after_days, rule.grace_days)
        parts.append(words.say("late_fee", fee=" + ".join(fee_bits), **words.days(after)))
    if rule.has_interest:
        after = rule.net_days + max(rule.interest_after_days, rule.grace_days)
        period = words.say(InterestPeriod(rule.interest_period).value)
        parts.append(words.say("interest", pct=_pct(rule.interest_percent, locale),
                               period=period, **words.days(after)))
    return " · ".join(parts)
