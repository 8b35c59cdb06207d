"""Business days per country and a client's pay-run days.

A pay-run spec is the list of days in a month on which a client's payables team pays, stored
as JSON tokens: day numbers 1..31, ``"last"`` (last calendar day), ``"first-business"`` and
``"last-business"``. People type it as text ("15, last business day") and read it back as
"15th and last business day".

A numbered pay-run day that falls on a weekend or public holiday moves to the business day
before it (payables teams pay early rather than late); a day past the month's end is its last
day (the 31st in February is the 28th or 29th).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PayRunToken = int | str
SPECIAL_TOKENS = ("first-business", "last-business", "last")
_TOKEN_LABELS = {"first-business": "first business day", "last-business": "last business day",
                 "last": "last day of the month"}
_ALIASES = {
    "last business day": "last-business", "last-business": "last-business",
    "last working day": "last-business", "first business day": "first-business",
    "first-business": "first-business", "first working day": "first-business",
    "last": "last", "last day": "last", "end of month": "last", "last day of the month": "last",
    "eom": "last", "ultimo": "last",
}


class PayRunError(ValueError):
    pass


@lru_cache(maxsize=512)
def _holidays_for(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:
        return frozenset()


WEEKEND = frozenset({5, 6})  # Saturday and Sunday, where the country's is unknown


@lru_cache(maxsize=256)
def weekend_for(country: str) -> frozenset[int]:
    """The country's weekend as ``date.weekday()`` numbers: Saturday and Sunday in most, Friday
    and Saturday in Israel or Saudi Arabia (as the ``holidays`` package knows them)."""
    try:
        return frozenset(holidays.country_holidays(country.upper()).weekend) or WEEKEND
    except NotImplementedError:
        return WEEKEND


def is_supported_country(country: str) -> bool:
    return country.upper() in holidays.list_supported_countries()


def is_business_day(day: date, country: str) -> bool:
    return (day.weekday() not in weekend_for(country)
            and day not in _holidays_for(country.upper(), day.year))


def previous_business_day(day: date, country: str) -> date:
    """``day`` itself when it is a business day, otherwise the closest business day before it."""
    while not is_business_day(day, country):
        day -= timedelta(days=1)
    return day


def next_business_day(day: date, country: str) -> date:
    while not is_business_day(day, country):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int, country: str) -> date:
    """Move ``count`` business days forward (or back, when negative) from ``day``."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if is_business_day(day, country):
            remaining -= 1
    return day


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def parse_pay_run(text: str) -> list[PayRunToken]:
    """Parse "15, last business day" (or "1st; 15th") into canonical tokens; raise on nonsense."""
    tokens: list[object] = []  # what normalize_pay_run validates (it also takes stored JSON)
    for raw in re.split(r"\s*(?:,|;|\band\b|\+)\s*", text.strip().lower()):
        if not raw:
            continue
        number = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", raw)
        if number:
            tokens.append(int(number.group(1)))
        elif raw in _ALIASES:
            tokens.append(_ALIASES[raw])
        else:
            raise PayRunError(
                f"'{raw}' is not a pay-run day: use day numbers 1-31, 'last day', "
                "'first business day' or 'last business day', separated by commas.")
    return normalize_pay_run(tokens)


def normalize_pay_run(tokens: list[object]) -> list[PayRunToken]:
    """Validate tokens and return them sorted and without repeats."""
    if not isinstance(tokens, list):
        raise PayRunError("Pay-run days must be a list.")
    numbers: set[int] = set()
    specials: set[str] = set()
    for token in tokens:
        if isinstance(token, int) and not isinstance(token, bool):
            if not 1 <= token <= 31:
                raise PayRunError(f"Pay-run day {token} is not a day of the month (1-31).")
            numbers.add(token)
        elif isinstance(token, str) and token in SPECIAL_TOKENS:
            specials.add(token)
        else:
            raise PayRunError(f"'{token}' is not a pay-run day.")
    return [*sorted(numbers), *[t for t in SPECIAL_TOKENS if t in specials]]


def describe_pay_run(tokens: list[PayRunToken]) -> str:
    """"15th and last business day"; empty string for no pay run."""
    labels = [_ordinal(t) if isinstance(t, int) else _TOKEN_LABELS[t] for t in tokens]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _resolve(token: PayRunToken, year: int, month: int, country: str) -> date:
    last_day = calendar.monthrange(year, month)[1]
    if token == "first-business":
        return next_business_day(date(year, month, 1), country)
    if token == "last-business":
        return previous_business_day(date(year, month, last_day), country)
    day = last_day if token == "last" else min(int(token), last_day)
    return previous_business_day(date(year, month, day), country)


def pay_run_dates(tokens: list[PayRunToken], year: int, month: int, country: str) -> list[date]:
    """The actual dates the client pays in that month, sorted, business days only."""
    return sorted({_resolve(t, year, month, country) for t in tokens})


def last_pay_run_on_or_before(tokens: list[PayRunToken], day: date, country: str) -> date | None:
    """The latest pay run not after ``day`` (looking back up to two months), or None."""
    if not tokens:
        return None
    # Start a month ahead: a pay run early next month may move back before ``day``.
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for _ in range(4):
        candidates = [d for d in pay_run_dates(tokens, year, month, country) if d <= day]
        if candidates:
            return candidates[-1]
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return None


def business_moment(day: date, now: datetime, *, timezone: str, country: str, start: time,
                    end: time) -> datetime:
    """When something meant for ``day`` may happen in business hours ``start``-``end`` local
    time: that day's start, or ``now`` when the day has come and we are inside the hours, else
    the next business day's start."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    if day > local_now.date():
        return datetime.combine(day, start, tzinfo=zone)
    if is_business_day(local_now.date(), country):
        if start <= local_now.time() < end:
            return local_now
        if local_now.time() < start:
            return datetime.combine(local_now.date(), start, tzinfo=zone)
    following = next_business_day(local_now.date() + timedelta(days=1), country)
    return datetime.combine(following, start, tzinfo=zone)


# --- Dates a person may enter ----------------------------------------------------------------
# Bounds for every date the app accepts (forms, API, import): far enough for any real invoice,
# near enough that date arithmetic (a due date, a step 90 days later) never leaves the calendar.
EARLIEST_DATE = date(2000, 1, 1)
YEARS_AHEAD = 10
HOLD_DAYS_AHEAD = 365  # a pause or a promise: at most a year ahead


def years_later(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_date(today: date) -> date:
    return years_later(today, YEARS_AHEAD)


def date_range_problem(day: date, today: date) -> str | None:
    """Why ``day`` cannot be an invoice or payment date, or None when it can."""
    if EARLIEST_DATE <= day <= latest_date(today):
        return None
    return (f"Choose a date between {EARLIEST_DATE.isoformat()} and "
            f"{latest_date(today).isoformat()}.")


def hold_problem(day: date, today: date) -> str | None:
    """Why a pause or promise cannot last until ``day`` (it must be within a year), or None."""
    if day <= today + timedelta(days=HOLD_DAYS_AHEAD):
        return None
    return (f"Choose a date up to {(today + timedelta(days=HOLD_DAYS_AHEAD)).isoformat()} "
            "(at most a year ahead).")
