"""A client's contact points: validation (phone numbers, time zones, countries, languages) and
which channels reach the client (``contact_point``, ``working_contact``, ``usable_channels``,
for a ``clients.Client`` and the planning pass's plain rows alike)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Protocol
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


# --- Which channels reach a client ----------------------------------------------------------

IMPLEMENTED_CHANNELS = ("email", "sms", "letter", "phone")


class ContactPoints(Protocol):
    """A client's contact fields, as a ``clients.Client`` and a planning row both have them."""

    @property
    def email(self) -> str: ...
    @property
    def mobile_phone(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def address_line1(self) -> str: ...
    @property
    def postcode(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def channel_preferences(self) -> Sequence[str]: ...


def contact_point(client: ContactPoints, channel: str) -> str:
    """The address or number a channel uses for this client ('' when there is none)."""
    if channel == "email":
        return client.email.strip().lower()
    if channel == "sms":
        return client.mobile_phone
    if channel == "phone":
        return client.phone or client.mobile_phone
    if channel == "letter" and client.address_line1 and client.city:
        return ", ".join(p for p in (client.address_line1, client.postcode, client.city) if p)
    return ""


def working_contact(client: ContactPoints, channel: str,
                    flagged: Collection[tuple[str, str]]) -> str:
    """The channel's address or number when the client has one and it is not among the
    ``flagged`` (channel, value) pairs; for calls, the landline or else the mobile, whichever
    is not flagged as a wrong number."""
    candidates = ([client.phone, client.mobile_phone] if channel == "phone"
                  else [contact_point(client, channel)])
    return next((v for v in candidates if v and (channel, v) not in flagged), "")


def usable_channels(client: ContactPoints,
                    flagged: Collection[tuple[str, str]]) -> tuple[str, ...]:
    """The client's channels in preference order that have a working contact point."""
    return tuple(c for c in client.channel_preferences
                 if c in IMPLEMENTED_CHANNELS and working_contact(client, c, flagged))
