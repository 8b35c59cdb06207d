"""Validation of a client's contact points and locale: phone numbers, time zones, countries."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from babel import Locale, UnknownLocaleError

LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
DEFAULT_LANGUAGE = "en"


class ContactError(ValueError):
    pass


def normalize_phone(text: str, *, region: str | None = None) -> str:
    """Return the number in E.164 (+4915123456789) or raise ``ContactError`` saying why.

    A number without a leading + is read as a national number of ``region`` (the client's
    country) when one is known.
    """
    raw = (text or "").strip()
    if not raw:
        raise ContactError("Enter a phone number.")
    try:
        number = phonenumbers.parse(raw, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        raise ContactError(
            f"'{raw}' is not a phone number: use international format, e.g. +44 7911 123456."
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ContactError(f"'{raw}' is not a valid phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """True when the number can receive SMS (mobile, or a type we cannot tell apart)."""
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return kind in (phonenumbers.PhoneNumberType.MOBILE,
                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def format_phone_international(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164),
                                      phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(name: str) -> ZoneInfo:
    if name not in _timezones():
        raise ContactError(f"Unknown time zone '{name}': use an IANA name such as Europe/Berlin.")
    return ZoneInfo(name)


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → English name (from CLDR via Babel)."""
    return {code: name for code, name in Locale("en").territories.items()
            if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "UN", "QO", "ZZ"}}


def validate_country(code: str) -> str:
    normalized = (code or "").strip().upper()
    if normalized not in country_names():
        raise ContactError(f"Unknown country '{code}': use a two-letter ISO code such as DE or US.")
    return normalized


def validate_language(code: str) -> str:
    if code not in LANGUAGES:
        raise ContactError(f"Unsupported language '{code}': choose one of {', '.join(LANGUAGES)}.")
    return code


def babel_locale(language: str, country: str = "") -> str:
    """The locale used to format money and dates for a client: language + country when CLDR
    knows that pair (de_CH formats differently from de_DE), otherwise the bare language."""
    candidate = f"{language}_{country.upper()}" if country else language
    try:
        Locale.parse(candidate)
    except (ValueError, LookupError, UnknownLocaleError):
        return language
    return candidate
