"""Tests for core.money: Decimal-only amounts, ISO 4217 minor units, ROUND_HALF_UP."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import (
    ROUNDING,
    MoneyError,
    allocate,
    format_money,
    is_quantized,
    minor_units,
    normalize_currency,
    parse_amount,
    percent_of,
    quantize,
    supported_currencies,
    to_decimal,
    zero,
)
from tests.core.money_text import assert_money_text

D = Decimal
NBSP = "\u00a0"
FAST = settings(max_examples=200, deadline=None, database=None)


# --- currencies -------------------------------------------------------------------------------


def test_rounding_rule_is_half_up() -> None:
    assert ROUNDING == "ROUND_HALF_UP"


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "GBP", "CHF", "BHD", "KWD", "CLF"])
def test_common_currencies_are_supported(code: str) -> None:
    assert code in supported_currencies()


@pytest.mark.parametrize("code", ["ZZZ", "XXX", "EURO", "eur", "DEM"])
def test_not_supported_currencies(code: str) -> None:
    # Lower case is normalized by normalize_currency, not by the set itself; DEM is no longer
    # legal tender anywhere.
    assert code not in supported_currencies()


@pytest.mark.parametrize(
    ("code", "places"),
    [("JPY", 0), ("KRW", 0), ("ISK", 0), ("EUR", 2), ("USD", 2), ("GBP", 2),
     ("BHD", 3), ("KWD", 3), ("JOD", 3), ("CLF", 4), ("eur", 2), (" jpy ", 0)],
)
def test_minor_units_follow_iso_4217(code: str, places: int) -> None:
    assert minor_units(code) == places


@pytest.mark.parametrize(("raw", "expected"), [("eur", "EUR"), (" usd ", "USD"), ("Jpy", "JPY")])
def test_normalize_currency_uppercases_and_strips(raw: str, expected: str) -> None:
    assert normalize_currency(raw) == expected


def test_unknown_currency_is_refused_with_its_name_in_the_message() -> None:
    with pytest.raises(MoneyError, match=r"Unknown currency 'ZZZ'.*ISO 4217"):
        normalize_currency("ZZZ")


@pytest.mark.parametrize("code", ["", "   ", None, 978, b"EUR"])
def test_missing_currency_is_refused_as_required(code: object) -> None:
    with pytest.raises(MoneyError, match="A currency is required"):
        normalize_currency(code)


def test_unknown_currency_refused_by_every_entry_point() -> None:
    for call in (lambda: minor_units("ZZZ"), lambda: quantize("1", "ZZZ"),
                 lambda: parse_amount("1", "ZZZ"), lambda: zero("ZZZ"),
                 lambda: format_money(D("1"), "ZZZ"), lambda: allocate(D("1"), [D(1)], "ZZZ")):
        with pytest.raises(MoneyError, match="Unknown currency 'ZZZ'"):
            call()


def test_money_error_is_a_value_error() -> None:
    assert issubclass(MoneyError, ValueError)


# --- to_decimal -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("12.34"), D("12.34")), (12, D(12)), ("12.34", D("12.34")), ("  7.5 ", D("7.5")),
     ("1_000.25", D("1000.25")), ("-3", D(-3)), ("0", D(0))],
)
def test_to_decimal_accepts_decimals_ints_and_strings(value: object, expected: Decimal) -> None:
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected


def test_to_decimal_returns_the_same_decimal_unchanged() -> None:
    value = D("1.2300")
    assert str(to_decimal(value)) == "1.2300"


@pytest.mark.parametrize("value", [0.1, 1.0, 10.005, -0.0, float("nan")])
def test_floats_are_refused(value: float) -> None:
    with pytest.raises(MoneyError, match="not a float"):
        to_decimal(value)


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_refused(value: bool) -> None:
    with pytest.raises(MoneyError):
        to_decimal(value)


@pytest.mark.parametrize("value", [None, [1], {"a": 1}, b"1", object()])
def test_non_numbers_are_refused(value: object) -> None:
    with pytest.raises(MoneyError, match="must be a number"):
        to_decimal(value)


@pytest.mark.parametrize("value", ["abc", "1,000.00", "12 EUR", "", "1.2.3", "€5"])
def test_unparseable_strings_are_refused(value: str) -> None:
    with pytest.raises(MoneyError, match="is not a number"):
        to_decimal(value)


@pytest.mark.parametrize(
    "value",
    ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", D("NaN"), D("Infinity"), D("-Inf")],
)
def test_nan_and_infinity_are_refused(value: object) -> None:
    with pytest.raises(MoneyError, match="finite"):
        to_decimal(value)


def test_to_decimal_message_names_the_field() -> None:
    with pytest.raises(MoneyError, match=r"^Payment must be given as a decimal string"):
        to_decimal(1.5, what="Payment")


# --- quantize ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        # JPY: no decimals
        ("1234", "JPY", "1234"),
        ("1.4", "JPY", "1"),
        ("1.5", "JPY", "2"),
        ("2.5", "JPY", "3"),  # banker's rounding would give 2
        ("-2.5", "JPY", "-3"),
        ("-1.4", "JPY", "-1"),
        # EUR / USD: two decimals
        ("10", "EUR", "10.00"),
        ("0.005", "EUR", "0.01"),
        ("-0.005", "EUR", "-0.01"),
        ("0.004", "EUR", "0.00"),
        ("0.125", "EUR", "0.13"),  # banker's rounding would give 0.12
        ("2.675", "USD", "2.68"),  # the classic float trap: float(2.675) rounds to 2.67
        ("-2.675", "USD", "-2.68"),
        ("1.0049999", "USD", "1.00"),
        ("99.995", "EUR", "100.00"),
        # BHD / KWD: three decimals
        ("1", "BHD", "1.000"),
        ("1.0005", "BHD", "1.001"),
        ("-1.0005", "KWD", "-1.001"),
        ("0.0004", "KWD", "0.000"),
        ("12.3456", "KWD", "12.346"),
        # CLF: four decimals
        ("1.00005", "CLF", "1.0001"),
    ],
)
def test_quantize_rounds_half_up_to_the_minor_unit(amount: str, currency: str,
                                                   expected: str) -> None:
    result = quantize(amount, currency)
    # str() checks both the value and the exponent (number of decimals carried).
    assert str(result) == expected


def test_quantize_accepts_decimal_and_int_and_lowercase_currency() -> None:
    assert str(quantize(D("0.005"), "eur")) == "0.01"
    assert str(quantize(5, "bhd")) == "5.000"


def test_quantize_refuses_floats() -> None:
    with pytest.raises(MoneyError):
        quantize(0.005, "EUR")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [(D("10.00"), "EUR", True), (D("10"), "EUR", True), (D("10.000"), "EUR", True),
     (D("10.005"), "EUR", False), (D("1.5"), "JPY", False), (D("2"), "JPY", True),
     (D("1.001"), "BHD", True), (D("1.0001"), "BHD", False)],
)
def test_is_quantized(amount: Decimal, currency: str, expected: bool) -> None:
    assert is_quantized(amount, currency) is expected


@pytest.mark.parametrize(("currency", "expected"), [("JPY", "0"), ("EUR", "0.00"),
                                                     ("BHD", "0.000")])
def test_zero_carries_the_minor_unit(currency: str, expected: str) -> None:
    assert str(zero(currency)) == expected


@pytest.mark.parametrize("value", ["1e30", "123456789012345678901234567"])
def test_quantize_huge_amount_raises_money_error(value: str) -> None:
    with pytest.raises(MoneyError):
        quantize(value, "EUR")


# --- parse_amount -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [("10", "EUR", "10.00"), ("10.5", "EUR", "10.50"), ("10.50", "eur", "10.50"),
     (" 1_000.25 ", "USD", "1000.25"), ("1234", "JPY", "1234"), ("1.5", "BHD", "1.500"),
     ("0.125", "KWD", "0.125"), (D("9.99"), "EUR", "9.99"), (42, "EUR", "42.00"),
     ("10.000", "EUR", "10.00"),  # trailing zeros are not extra precision
     ("0", "EUR", "0.00")],
)
def test_parse_amount_returns_quantized_decimal(value: object, currency: str,
                                                expected: str) -> None:
    assert str(parse_amount(value, currency)) == expected


@pytest.mark.parametrize(
    ("value", "currency", "places"),
    [("10.005", "EUR", 2), ("1.5", "JPY", 0), ("0.1", "JPY", 0), ("1.0001", "BHD", 3),
     ("0.001", "USD", 2)],
)
def test_parse_amount_refuses_too_many_decimals_instead_of_rounding(
        value: str, currency: str, places: int) -> None:
    with pytest.raises(MoneyError, match=rf"more decimals than {currency} allows \({places}\)"):
        parse_amount(value, currency)


def test_parse_amount_refuses_negative_by_default() -> None:
    with pytest.raises(MoneyError, match=r"cannot be negative \(got -5\)"):
        parse_amount("-5", "EUR")


def test_parse_amount_allows_negative_when_asked() -> None:
    assert str(parse_amount("-5", "EUR", allow_negative=True)) == "-5.00"


def test_parse_amount_checks_decimals_of_negative_amounts_too() -> None:
    with pytest.raises(MoneyError, match="more decimals"):
        parse_amount("-5.005", "EUR", allow_negative=True)


def test_parse_amount_refuses_zero_when_not_allowed() -> None:
    with pytest.raises(MoneyError, match="must be greater than zero"):
        parse_amount("0.00", "EUR", allow_zero=False)
    assert parse_amount("0.01", "EUR", allow_zero=False) == D("0.01")


def test_parse_amount_message_uses_the_field_name() -> None:
    with pytest.raises(MoneyError, match=r"^Payment cannot be negative"):
        parse_amount("-1", "EUR", what="Payment")
    with pytest.raises(MoneyError, match=r"^Payment 'abc' is not a number"):
        parse_amount("abc", "EUR", what="Payment")


@pytest.mark.parametrize("value", [10.5, "NaN", "Infinity", None, "ten"])
def test_parse_amount_refuses_non_amounts(value: object) -> None:
    with pytest.raises(MoneyError):
        parse_amount(value, "EUR")


@pytest.mark.parametrize("currency", ["ZZZ", "", None])
def test_parse_amount_refuses_bad_currency(currency: object) -> None:
    with pytest.raises(MoneyError, match="currency"):
        parse_amount("10", currency)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["1e30", "123456789012345678901234567"])
def test_parse_amount_huge_input_raises_money_error(value: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(value, "EUR")


def test_parse_amount_minus_zero_is_plain_zero() -> None:
    result = parse_amount("-0", "EUR")
    assert result == 0
    assert not result.is_signed()


# --- percent_of -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "percent", "currency", "expected"),
    [(D("10000.00"), D(5), "EUR", "500.00"), (D("33.33"), D("1.5"), "EUR", "0.50"),
     (D("0.05"), D(10), "EUR", "0.01"), (D("15"), D(10), "JPY", "2"),
     (D("1.000"), D("0.05"), "BHD", "0.001"), (D("100.00"), D(0), "EUR", "0.00")],
)
def test_percent_of_rounds_once_half_up(amount: Decimal, percent: Decimal, currency: str,
                                        expected: str) -> None:
    assert str(percent_of(amount, percent, currency)) == expected


def test_percent_of_refuses_float_percent() -> None:
    with pytest.raises(MoneyError, match=r"^Percent must be given"):
        percent_of(D("100"), 1.5, "EUR")  # type: ignore[arg-type]


# --- allocate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "weights", "currency", "expected"),
    [
        ("100.00", [1, 1, 1], "EUR", ["33.34", "33.33", "33.33"]),
        ("10", [1, 1, 1], "JPY", ["4", "3", "3"]),
        ("0.10", [1, 1, 1], "EUR", ["0.04", "0.03", "0.03"]),
        ("100.00", [1, 2], "EUR", ["33.33", "66.67"]),
        ("1.000", [1, 1, 1], "KWD", ["0.334", "0.333", "0.333"]),
        ("100.00", [D("0.5"), D("0.25"), D("0.25")], "EUR", ["50.00", "25.00", "25.00"]),
        ("5", [1, 1, 1, 1, 1, 1, 1], "JPY", ["1", "1", "1", "1", "1", "0", "0"]),
        ("100.00", [3], "EUR", ["100.00"]),
        # The remainder goes to the part that lost the most, not to the first one.
        ("1.00", [1, 2, 3], "EUR", ["0.17", "0.33", "0.50"]),
        ("-100.00", [1, 1, 1], "EUR", ["-33.33", "-33.33", "-33.34"]),
    ],
)
def test_allocate_examples(amount: str, weights: list, currency: str,
                           expected: list[str]) -> None:
    parts = allocate(D(amount), [D(w) for w in weights], currency)
    assert [str(p) for p in parts] == expected
    assert sum(parts) == D(amount)


def test_allocate_gives_nothing_to_zero_weights() -> None:
    parts = allocate(D("1.01"), [D(0), D(1), D(1)], "EUR")
    assert parts[0] == 0
    assert sorted(parts[1:]) == [D("0.50"), D("0.51")]
    assert sum(parts) == D("1.01")


def test_allocate_quantizes_the_amount_first() -> None:
    parts = allocate(D("100.005"), [D(1), D(1)], "EUR")
    assert sum(parts) == D("100.01")


@pytest.mark.parametrize(
    ("weights", "message"),
    [([], "empty list"), ([D(-1), D(2)], "non-negative"), ([D(0), D(0)], "positive total")],
)
def test_allocate_refuses_bad_weights(weights: list[Decimal], message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        allocate(D("10.00"), weights, "EUR")


CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "BHD", "KWD", "CLF", "GBP", "KRW"])


@FAST
@given(
    currency=CURRENCIES,
    units=st.integers(min_value=-10**12, max_value=10**12),
    weights=st.lists(
        st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False,
                    allow_infinity=False),
        min_size=1, max_size=12,
    ).filter(lambda ws: sum(ws) > 0),
)
def test_allocate_parts_always_sum_exactly(currency: str, units: int,
                                           weights: list[Decimal]) -> None:
    amount = D(units).scaleb(-minor_units(currency))
    unit = D(1).scaleb(-minor_units(currency))
    parts = allocate(amount, weights, currency)

    assert len(parts) == len(weights)
    assert sum(parts) == amount
    total_weight = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert is_quantized(part, currency)
        # Largest remainder: each part is its exact share rounded down or up by one unit.
        exact = amount * weight / total_weight
        assert abs(part - exact) < unit
        if weight == 0:
            assert part == 0


# --- format_money -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "digits", "decimals", "shown"),
    [
        ("10000", "EUR", "en", "1000000", 2, "€"),
        ("10000", "EUR", "de", "1000000", 2, "€"),
        ("10000", "EUR", "fr", "1000000", 2, "€"),
        ("10000", "EUR", "es", "1000000", 2, "€"),
        ("1234.5", "USD", "en", "123450", 2, "$"),
        ("1234.5", "EUR", "de", "123450", 2, "€"),
        ("1234", "JPY", "en", "1234", 0, "¥"),
        ("1234", "JPY", "de", "1234", 0, "¥"),
        ("1234.5", "JPY", "en", "1235", 0, "¥"),  # rounded half up to the ISO minor unit
        ("1.5", "BHD", "en", "1500", 3, "BHD"),
        ("1234.5", "KWD", "de", "1234500", 3, "KWD"),
        ("0.005", "EUR", "en", "001", 2, "€"),
        ("1234.5", "CHF", "de_CH", "123450", 2, "CHF"),
        ("1234.5", "CHF", "de-CH", "123450", 2, "CHF"),
        ("5", "eur", "en", "500", 2, "€"),
    ],
)
def test_format_money(amount: str, currency: str, locale: str, digits: str, decimals: int,
                      shown: str) -> None:
    assert_money_text(format_money(D(amount), currency, locale), locale=locale, digits=digits,
                      decimals=decimals, currency=shown, grouped=abs(D(amount)) >= 1000)


def test_format_money_negative_keeps_its_sign() -> None:
    assert_money_text(format_money(D("-5"), "EUR", "en"), locale="en", digits="500",
                      decimals=2, currency="€", grouped=False, negative=True)


@pytest.mark.parametrize(("amount", "currency", "locale"),
                         [("1.5", "BHD", "en"), ("1234.5", "KWD", "de"),
                          ("1234.5", "CHF", "de_CH")])
def test_letter_symbols_are_kept_apart_from_the_digits(amount: str, currency: str,
                                                       locale: str) -> None:
    # CLDR's currency-spacing rule, which Babel does not apply and we do: a symbol made of
    # letters never touches the number ("BHD 1.500", "1.234,500 KWD").
    text = format_money(D(amount), currency, locale)
    assert re.search(rf"{currency}{NBSP}\d|\d{NBSP}{currency}", text), text


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
@pytest.mark.parametrize(("currency", "digits"),
                         [("EUR", "123457"), ("USD", "123457"), ("JPY", "1235"),
                          ("BHD", "1234568"), ("KWD", "1234568"), ("CLF", "12345679")])
def test_format_money_shows_exactly_the_iso_decimals(locale: str, currency: str,
                                                     digits: str) -> None:
    # 1234.56785 rounded half up to the minor unit; only the digits are compared, so the
    # locale's symbol and separators don't matter.
    text = format_money(D("1234.56785"), currency, locale)
    assert "".join(ch for ch in text if ch.isdigit()) == digits


def test_format_money_precision_does_not_leak_between_calls() -> None:
    # BHD has three decimals, JPY none: each call formats with its own currency's places.
    for currency, digits in [("BHD", "5000"), ("JPY", "5"), ("EUR", "500"), ("JPY", "5")]:
        assert "".join(ch for ch in format_money(D("5"), currency) if ch.isdigit()) == digits


def test_format_money_refuses_floats() -> None:
    with pytest.raises(MoneyError):
        format_money(5.0, "EUR")  # type: ignore[arg-type]


def test_format_money_never_prints_minus_zero() -> None:
    assert format_money(D("-0.001"), "EUR") == "€0.00"
