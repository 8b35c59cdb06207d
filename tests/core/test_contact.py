"""Tests for core.contact: phone numbers (E.164), time zones, countries, languages, locales."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.contact import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    ContactError,
    babel_locale,
    country_names,
    format_phone_international,
    is_mobile,
    normalize_phone,
    validate_country,
    validate_language,
    validate_timezone,
)
from core.money import format_money
from tests.core.money_text import assert_money_text

# --- phone numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("+49 151 23456789", None, "+4915123456789"),
        ("+49 (0)30 123456", None, "+4930123456"),
        ("  +1 650-253-0000 ", None, "+16502530000"),
        ("+44 7911 123456", None, "+447911123456"),
        ("030 123456", "DE", "+4930123456"),
        ("0151 23456789", "de", "+4915123456789"),  # region is case-insensitive
        ("650-253-0000", "US", "+16502530000"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("07911 123456", "GB", "+447911123456"),
        ("+49 30 123456", "US", "+4930123456"),  # an explicit + wins over the region
        ("0049 30 123456", "CH", "+4930123456"),  # international prefix 00 from CH
    ],
)
def test_normalize_phone_to_e164(text: str, region: str | None, expected: str) -> None:
    assert normalize_phone(text, region=region) == expected


@pytest.mark.parametrize(
    ("text", "region", "message"),
    [
        ("12", None, "is not a phone number"),
        ("abc", None, "is not a phone number"),
        ("+1 555", None, "is not a valid phone number"),
        ("650-253-0000", None, "is not a phone number"),  # national number without a region
        ("12", "DE", "is not a valid phone number"),
        ("+49 1", None, "is not a"),
        ("+999 123456789", None, "is not a"),  # no such country code
        ("", None, "Enter a phone number"),
        ("   ", "DE", "Enter a phone number"),
        (None, None, "Enter a phone number"),
    ],
)
def test_normalize_phone_rejects_malformed_numbers(text: str | None, region: str | None,
                                                   message: str) -> None:
    with pytest.raises(ContactError, match=message):
        normalize_phone(text, region=region)  # type: ignore[arg-type]


def test_phone_error_quotes_the_input() -> None:
    with pytest.raises(ContactError, match=r"^'\+1 555' is not a valid phone number"):
        normalize_phone(" +1 555 ")


def test_contact_error_is_a_value_error() -> None:
    assert issubclass(ContactError, ValueError)


def test_is_mobile() -> None:
    assert is_mobile("+4915123456789")
    assert is_mobile("+447911123456")
    assert not is_mobile("+4930123456")  # Berlin landline


def test_format_phone_international() -> None:
    assert format_phone_international("+4915123456789") == "+49 1512 3456789"
    assert format_phone_international("+16502530000") == "+1 650-253-0000"


# --- time zones -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"])
def test_validate_timezone(name: str) -> None:
    zone = validate_timezone(name)
    assert isinstance(zone, ZoneInfo)
    assert zone.key == name


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "europe/berlin", "Berlin", "", "CEST "])
def test_validate_timezone_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ContactError, match=f"^Unknown time zone '{name}': use an IANA name"):
        validate_timezone(name)


# --- countries and languages ------------------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [("DE", "DE"), ("de", "DE"), (" us ", "US"),
                                                ("Ch", "CH"), ("JP", "JP")])
def test_validate_country(code: str, expected: str) -> None:
    assert validate_country(code) == expected


@pytest.mark.parametrize("code", ["XX", "ZZ", "EU", "UN", "DEU", "D", "", None, "001"])
def test_validate_country_rejects_non_countries(code: str | None) -> None:
    with pytest.raises(ContactError, match="Unknown country"):
        validate_country(code)  # type: ignore[arg-type]


def test_country_names_are_two_letter_codes_with_english_names() -> None:
    names = country_names()
    assert names["DE"] == "Germany"
    assert names["US"] == "United States"
    assert all(len(code) == 2 and code.isalpha() and code.isupper() for code in names)
    assert len(names) > 240


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_validate_language_accepts_supported_languages(code: str) -> None:
    assert validate_language(code) == code


@pytest.mark.parametrize("code", ["it", "EN", "en_GB", "", "deutsch"])
def test_validate_language_rejects_others(code: str) -> None:
    with pytest.raises(ContactError, match=r"choose one of en, de, fr, es"):
        validate_language(code)


def test_default_language_is_supported() -> None:
    assert DEFAULT_LANGUAGE in LANGUAGES
    assert set(LANGUAGES) == {"en", "de", "fr", "es"}


# --- babel locale -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [
        ("de", "CH", "de_CH"),
        ("de", "ch", "de_CH"),
        ("de", "AT", "de_AT"),
        ("fr", "CA", "fr_CA"),
        ("en", "GB", "en_GB"),
        ("es", "MX", "es_MX"),
        ("en", "", "en"),
        ("de", "JP", "de"),  # CLDR has no German-in-Japan locale: fall back to the language
        ("fr", "US", "fr"),
        ("en", "XX", "en"),
    ],
)
def test_babel_locale(language: str, country: str, expected: str) -> None:
    assert babel_locale(language, country) == expected


def test_babel_locale_is_usable_for_money_formatting() -> None:
    # de_CH groups and separates decimals its own way (read from Babel, since CLDR releases
    # change the glyphs), and unlike de puts the code first; de_JP falls back to de.
    swiss = format_money(Decimal("1234.5"), "CHF", babel_locale("de", "CH"))
    assert_money_text(swiss, locale="de_CH", digits="123450", decimals=2, currency="CHF",
                      grouped=True)
    assert swiss.startswith("CHF")
    german = format_money(Decimal("1234.5"), "EUR", babel_locale("de", "JP"))
    assert_money_text(german, locale="de", digits="123450", decimals=2, currency="€",
                      grouped=True)
    assert german.endswith("€")
