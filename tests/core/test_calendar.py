"""Tests for core.calendar: business days and a client's pay-run days."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import (
    SPECIAL_TOKENS,
    PayRunError,
    add_business_days,
    describe_pay_run,
    is_business_day,
    is_supported_country,
    last_pay_run_on_or_before,
    next_business_day,
    normalize_pay_run,
    parse_pay_run,
    pay_run_dates,
    previous_business_day,
)

FAST = settings(max_examples=200, deadline=None, database=None)


# --- parse / normalize / describe -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15th, last business day", [15, "last-business"]),
        ("15, last business day", [15, "last-business"]),
        ("1st; 15th", [1, 15]),
        ("1 and 15", [1, 15]),
        ("eom + 15", [15, "last"]),
        ("  Last Working Day, First working day ", ["first-business", "last-business"]),
        ("31, 2nd, 15", [2, 15, 31]),
        ("15, 15th, 15", [15]),
        ("ultimo", ["last"]),
        ("end of month, last day, last day of the month", ["last"]),
        ("1st, 2nd, 3rd, 22nd", [1, 2, 3, 22]),
        ("", []),
        ("   ", []),
    ],
)
def test_parse_pay_run(text: str, expected: list) -> None:
    assert parse_pay_run(text) == expected


@pytest.mark.parametrize("text", ["fortnightly", "15, every friday", "the 15th", "123",
                                  "15.", "-1", "first", "last business days"])
def test_parse_pay_run_rejects_unknown_tokens_with_a_clear_message(text: str) -> None:
    with pytest.raises(PayRunError, match=r"is not a pay-run day: use day numbers 1-31"):
        parse_pay_run(text)


def test_parse_pay_run_message_quotes_the_bad_token() -> None:
    with pytest.raises(PayRunError, match=r"^'every friday' is not a pay-run day"):
        parse_pay_run("15, Every Friday")


@pytest.mark.parametrize(("text", "day"), [("0", 0), ("32", 32), ("15, 99th", 99)])
def test_parse_pay_run_rejects_days_outside_the_month(text: str, day: int) -> None:
    with pytest.raises(PayRunError, match=rf"^Pay-run day {day} is not a day of the month"):
        parse_pay_run(text)


def test_pay_run_error_is_a_value_error() -> None:
    assert issubclass(PayRunError, ValueError)


def test_normalize_pay_run_sorts_dedupes_and_orders_specials() -> None:
    assert normalize_pay_run(["last", 15, "first-business", 1, 15, "last-business"]) == [
        1, 15, "first-business", "last-business", "last"]


@pytest.mark.parametrize("tokens", [[True], [0], [32], ["monthly"], ["15"], [1.0], [None]])
def test_normalize_pay_run_rejects_bad_tokens(tokens: list) -> None:
    with pytest.raises(PayRunError):
        normalize_pay_run(tokens)


@pytest.mark.parametrize("tokens", ["15", (15,), {15}, None])
def test_normalize_pay_run_requires_a_list(tokens: object) -> None:
    with pytest.raises(PayRunError, match="must be a list"):
        normalize_pay_run(tokens)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ([15, "last-business"], "15th and last business day"),
        ([], ""),
        ([1], "1st"),
        (["last"], "last day of the month"),
        ([1, 15, "last-business"], "1st, 15th and last business day"),
        (["first-business", "last-business", "last"],
         "first business day, last business day and last day of the month"),
    ],
)
def test_describe_pay_run(tokens: list, expected: str) -> None:
    assert describe_pay_run(tokens) == expected


@pytest.mark.parametrize(
    ("day", "label"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"), (12, "12th"),
     (13, "13th"), (20, "20th"), (21, "21st"), (22, "22nd"), (23, "23rd"), (24, "24th"),
     (30, "30th"), (31, "31st")],
)
def test_describe_uses_english_ordinals(day: int, label: str) -> None:
    assert describe_pay_run([day]) == label


@FAST
@given(st.lists(st.one_of(st.integers(1, 31), st.sampled_from(SPECIAL_TOKENS)), max_size=8))
def test_describe_then_parse_round_trips(tokens: list) -> None:
    normalized = normalize_pay_run(tokens)
    assert parse_pay_run(describe_pay_run(normalized)) == normalized


# --- business days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "country", "expected"),
    [
        (date(2026, 12, 25), "DE", False),  # Christmas Day (Friday)
        (date(2026, 12, 24), "DE", True),   # Christmas Eve is not a public holiday in DE
        (date(2026, 5, 1), "DE", False),    # Labour Day (Friday)
        (date(2026, 4, 3), "DE", False),    # Good Friday
        (date(2026, 11, 26), "US", False),  # Thanksgiving (Thursday)
        (date(2026, 11, 26), "DE", True),
        (date(2026, 7, 3), "US", False),    # Independence Day observed (4 July is a Saturday)
        (date(2026, 7, 3), "DE", True),
        (date(2026, 12, 25), "de", False),  # country code case does not matter
        (date(2026, 1, 10), "DE", False),   # Saturday
        (date(2026, 1, 11), "US", False),   # Sunday
        (date(2026, 1, 12), "DE", True),    # Monday
    ],
)
def test_is_business_day(day: date, country: str, expected: bool) -> None:
    assert is_business_day(day, country) is expected


def test_country_without_holiday_data_still_skips_weekends() -> None:
    assert not is_supported_country("XX")
    assert is_business_day(date(2026, 12, 25), "XX")
    assert not is_business_day(date(2026, 12, 26), "XX")  # Saturday


def test_is_supported_country() -> None:
    assert is_supported_country("DE")
    assert is_supported_country("us")


def test_previous_and_next_business_day() -> None:
    assert previous_business_day(date(2026, 1, 12), "DE") == date(2026, 1, 12)
    assert previous_business_day(date(2026, 1, 11), "DE") == date(2026, 1, 9)
    assert next_business_day(date(2026, 1, 10), "DE") == date(2026, 1, 12)
    # Christmas 2026 in DE: Fri 25 and Sat 26 holidays, Sun 27 -> Mon 28 / Thu 24
    assert next_business_day(date(2026, 12, 25), "DE") == date(2026, 12, 28)
    assert previous_business_day(date(2026, 12, 27), "DE") == date(2026, 12, 24)
    # Across a year boundary: 1 Jan 2027 (Friday) is a holiday
    assert previous_business_day(date(2027, 1, 3), "DE") == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 1, 9), 1, date(2026, 1, 12)),    # Fri + 1 -> Mon
        (date(2026, 1, 12), -1, date(2026, 1, 9)),   # Mon - 1 -> Fri
        (date(2026, 1, 10), 1, date(2026, 1, 12)),   # Sat + 1 -> Mon
        (date(2026, 1, 10), -1, date(2026, 1, 9)),   # Sat - 1 -> Fri
        (date(2026, 1, 12), 5, date(2026, 1, 19)),   # a full week
        (date(2026, 1, 14), 0, date(2026, 1, 14)),
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # over Christmas in DE
        (date(2026, 12, 28), -1, date(2026, 12, 24)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),   # over New Year
    ],
)
def test_add_business_days(start: date, count: int, expected: date) -> None:
    assert add_business_days(start, count, "DE") == expected


def test_add_business_days_respects_the_country() -> None:
    # Thanksgiving 2026 is Thursday 26 November.
    assert add_business_days(date(2026, 11, 25), 1, "US") == date(2026, 11, 27)
    assert add_business_days(date(2026, 11, 25), 1, "DE") == date(2026, 11, 26)


@FAST
@given(start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
       count=st.integers(-40, 40), country=st.sampled_from(["DE", "US", "FR"]))
def test_add_business_days_lands_on_business_days_and_reverses(start: date, count: int,
                                                                country: str) -> None:
    result = add_business_days(start, count, country)
    if count:
        assert is_business_day(result, country)
        assert (result > start) == (count > 0)
    between = [start + timedelta(days=i) for i in range(1, abs((result - start).days) + 1)]
    if count < 0:
        between = [result + timedelta(days=i) for i in range(abs((result - start).days))]
    assert sum(is_business_day(d, country) for d in between) == abs(count)
    if is_business_day(start, country):
        assert add_business_days(result, -count, country) == start


# --- resolving pay-run days -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "year", "month", "country", "expected"),
    [
        ([31], 2028, 2, "DE", [date(2028, 2, 29)]),   # leap year, Tuesday
        ([31], 2030, 2, "DE", [date(2030, 2, 28)]),   # Thursday
        ([30], 2026, 2, "DE", [date(2026, 2, 27)]),   # 28th is a Saturday -> Friday 27th
        ([31], 2026, 4, "DE", [date(2026, 4, 30)]),
        ([15], 2026, 2, "DE", [date(2026, 2, 13)]),   # Sunday -> Friday
        ([25], 2026, 12, "DE", [date(2026, 12, 24)]),  # Christmas -> the day before
        ([25, 26], 2026, 12, "DE", [date(2026, 12, 24)]),  # both collapse to one date
        ([26], 2026, 11, "US", [date(2026, 11, 25)]),  # Thanksgiving
        ([3], 2026, 7, "US", [date(2026, 7, 2)]),       # Independence Day observed
        ([3], 2026, 7, "DE", [date(2026, 7, 3)]),
        (["last"], 2026, 1, "DE", [date(2026, 1, 30)]),  # 31st is a Saturday
        (["last-business"], 2026, 5, "DE", [date(2026, 5, 29)]),
        (["first-business"], 2026, 5, "DE", [date(2026, 5, 4)]),  # 1 May holiday + weekend
        (["first-business"], 2027, 1, "DE", [date(2027, 1, 4)]),
        ([15, "last-business"], 2026, 6, "DE", [date(2026, 6, 15), date(2026, 6, 30)]),
        ([], 2026, 6, "DE", []),
    ],
)
def test_pay_run_dates(tokens: list, year: int, month: int, country: str,
                       expected: list[date]) -> None:
    assert pay_run_dates(tokens, year, month, country) == expected


@FAST
@given(tokens=st.lists(st.one_of(st.integers(1, 31), st.sampled_from(SPECIAL_TOKENS)),
                       min_size=1, max_size=5),
       year=st.integers(2024, 2030), month=st.integers(1, 12),
       country=st.sampled_from(["DE", "US", "GB"]))
def test_pay_run_dates_are_sorted_business_days(tokens: list, year: int, month: int,
                                                country: str) -> None:
    dates = pay_run_dates(tokens, year, month, country)
    assert dates == sorted(set(dates))
    assert all(is_business_day(d, country) for d in dates)
    # Numbered days only ever move earlier; at most a few days for weekend + holidays.
    for token in tokens:
        if isinstance(token, int):
            [resolved] = pay_run_dates([token], year, month, country)
            nominal = date(year, month, min(token, monthrange(year, month)[1]))
            assert resolved <= nominal
            assert (nominal - resolved).days < 7


@pytest.mark.parametrize(
    ("tokens", "day", "expected"),
    [
        ([15], date(2026, 3, 10), date(2026, 2, 13)),  # previous month, moved off a Sunday
        ([15], date(2026, 3, 14), date(2026, 3, 13)),  # Sunday 15 March is paid Friday 13th
        ([15], date(2026, 3, 12), date(2026, 2, 13)),
        ([15], date(2026, 6, 15), date(2026, 6, 15)),  # on the pay-run day itself
        ([15], date(2026, 6, 14), date(2026, 5, 15)),
        ([15], date(2026, 1, 10), date(2025, 12, 15)),  # across a year boundary
        ([15, "last-business"], date(2026, 3, 1), date(2026, 2, 27)),
        ([15, "last-business"], date(2026, 6, 20), date(2026, 6, 15)),
    ],
)
def test_last_pay_run_on_or_before(tokens: list, day: date, expected: date) -> None:
    assert last_pay_run_on_or_before(tokens, day, "DE") == expected


def test_last_pay_run_without_tokens_is_none() -> None:
    assert last_pay_run_on_or_before([], date(2026, 6, 20), "DE") is None


def test_pay_run_day_can_resolve_into_the_previous_month() -> None:
    # 1 March 2026 is a Sunday: the March pay run on the 1st is made on Friday 27 February.
    assert pay_run_dates([1], 2026, 3, "DE") == [date(2026, 2, 27)]
    # 2 Jan 2027 is a Saturday and 1 Jan a holiday: paid on Thursday 31 December 2026.
    assert pay_run_dates([2], 2027, 1, "DE") == [date(2026, 12, 31)]


@pytest.mark.parametrize(
    ("tokens", "day", "expected"),
    [
        ([1], date(2026, 2, 27), date(2026, 2, 27)),   # returns 2026-01-30 instead
        ([1], date(2026, 2, 28), date(2026, 2, 27)),   # returns 2026-01-30 instead
        ([2], date(2026, 12, 31), date(2026, 12, 31)),  # returns 2026-12-02 instead
    ],
)
def test_last_pay_run_sees_next_months_pay_run_moved_back(tokens: list, day: date,
                                                          expected: date) -> None:
    assert last_pay_run_on_or_before(tokens, day, "DE") == expected


def test_the_weekend_is_the_countrys():
    from datetime import date

    from core.calendar import is_business_day, weekend_for

    friday, saturday, sunday = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)
    assert weekend_for("DE") == {5, 6} and weekend_for("IL") == {4, 5}
    assert [is_business_day(d, "DE") for d in (friday, saturday, sunday)] == [True, False, False]
    assert [is_business_day(d, "IL") for d in (friday, saturday, sunday)] == [False, False, True]
    assert weekend_for("ZZ") == {5, 6}  # unknown country: Saturday and Sunday
