"""The demo clients: fictitious but valid names, addresses, e-mail addresses and mobile
numbers per country, their terms, tags, channels and pay runs, written in one batch.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import phonenumbers
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from clients.models import Client
from core import calendar as paycal
from receivables.demo.ensure import Users, ensure_tags
from receivables.demo.options import DEMO_PREFIX, DemoBookError, DemoOptions
from receivables.demo.reference import (
    CHANNEL_ORDERS,
    CLIENT_NOTES,
    CODENAMES,
    COUNTRIES,
    NAMES,
    PAY_RUNS,
    PAYMENT_METHOD_SETS,
    TERMS_SPECS,
    City,
    Country,
)
from receivables.demo.rows import TagRow
from receivables.demo.writer import Writer
from receivables.models import PaymentTerms

# --- Small helpers --------------------------------------------------------------------------


def _pick(rng: random.Random, index: int, options: Sequence[tuple[Any, int]]) -> Any:
    """The index-th option for the first clients (so every option appears), then by weight."""
    if index < len(options):
        return options[index][0]
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _ascii_slug(text: str, sep: str = "-") -> str:
    text = text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return sep.join(words)


def _fill_pattern(rng: random.Random, pattern: str) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in UK inward codes
    return "".join(str(rng.randrange(10)) if c == "#" else rng.choice(letters) if c == "@"
                   else c for c in pattern)


def _mobile(rng: random.Random, country: Country, city: City) -> str:
    """A number that phonenumbers accepts as a valid mobile of the country (retries until so)."""
    for _ in range(100):
        if country.code == "US":
            # 555-0100..0199 is reserved for fiction and still a valid US number.
            number = f"+1{rng.choice(city.mobile_prefixes)}55501{rng.randrange(100):02d}"
        else:
            prefix = rng.choice(city.mobile_prefixes or country.mobile_prefixes)
            digits = country.mobile_length - len(prefix)
            number = prefix + "".join(str(rng.randrange(10)) for _ in range(digits))
        parsed = phonenumbers.parse(number)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
            return number
    raise DemoBookError(f"No valid mobile number found for {country.code}.")


# --- Clients --------------------------------------------------------------------------------


@dataclass
class Profile:
    """A demo client with what the generator needs to know about it beyond the model."""

    client: Client
    country: Country
    tags: list[str]
    weight: float  # relative number of invoices
    terms: PaymentTerms
    projects: list[str]
    slow: bool
    owner: User


def _company(rng: random.Random, country: Country, public: bool, city: City
             ) -> tuple[str, str]:
    """(display name, legal name)."""
    if public:
        return rng.choice(country.public_bodies).format(city=city.name), ""
    pool = NAMES[country.language]
    last, trade = rng.choice(pool.last), rng.choice(pool.trades)
    display = f"{trade} {last}" if pool.trade_first else f"{last} {trade}"
    return display, f"{display} {rng.choice(country.legal_forms)}"


def _unique(name: str, seen: set[str], city: City) -> str:
    candidate = name
    n = 1
    while candidate in seen:
        n += 1
        candidate = f"{name} ({city.name})" if n == 2 else f"{name} ({city.name} {n})"
    seen.add(candidate)
    return candidate


def _address(rng: random.Random, country: Country, city: City) -> dict[str, str]:
    street = country.street_format.format(n=rng.randint(1, 180), street=rng.choice(
        country.streets))
    line2 = ""
    if country.code == "MX":
        line2 = rng.choice(("Col. Centro", "Col. Juárez", "Col. Del Valle", "Col. Roma Norte"))
    elif rng.random() < 0.15:
        line2 = {"en": f"Suite {rng.randint(1, 30)}00", "de": f"{rng.randint(1, 5)}. OG",
                 "fr": f"Bâtiment {rng.choice('ABC')}", "es": f"Planta {rng.randint(1, 9)}"
                 }[country.language]
    return {"address_line1": street, "address_line2": line2, "city": city.name,
            "region": city.region, "postcode": _fill_pattern(rng, rng.choice(city.postcodes))}


def _contact(rng: random.Random, country: Country, display: str) -> dict[str, str]:
    pool = NAMES[country.language]
    first, last = rng.choice(pool.first), rng.choice(pool.last)
    reserved = rng.choice(("example.com", "example.org", "example.net"))  # RFC 2606
    domain = f"{_ascii_slug(display)[:40].strip('-')}.{reserved}"  # labels end alphanumeric
    local = pool.ap_mailbox if rng.random() < 0.2 else _ascii_slug(f"{first} {last}", ".")
    return {"contact_name": f"{first} {last}", "email": f"{local}@{domain}"}


def _client_terms(rng: random.Random, index: int, currency: str, public: bool,
                  terms: dict[str, PaymentTerms]) -> PaymentTerms:
    if public:
        return terms["net60"]
    chosen = terms[_pick(rng, index, [(s, s.weight) for s in TERMS_SPECS if s.weight]).key]
    if chosen.late_fee_flat and chosen.late_fee_currency != currency:
        return terms["net30"]  # a flat fee in EUR cannot apply to a USD or GBP invoice
    return chosen


def _client_tags(rng: random.Random, index: int) -> list[str]:
    # The first clients carry each tag for sure; then each tag by its share.
    forced = {1: ["high-value"], 2: ["public-sector"], 4: ["slow-payer"]}
    if index in forced:
        return forced[index]
    tags = [name for name, share in (("high-value", 0.15), ("public-sector", 0.10),
                                     ("slow-payer", 0.12)) if rng.random() < share]
    return tags


def _build_profile(rng: random.Random, index: int, today: date, users: Users,
                   terms: dict[str, PaymentTerms], seen: set[str]) -> Profile:
    country = _pick(rng, index, [(c, c.weight) for c in COUNTRIES])
    city = rng.choice(country.cities)
    tags = _client_tags(rng, index)
    public = "public-sector" in tags
    display, legal = _company(rng, country, public, city)
    display = _unique(display, seen, city)
    paused = index == 3 or rng.random() < 0.05
    owner = users.admin if index % 5 == 4 else users.bookkeeper
    client = Client(
        reference=f"{DEMO_PREFIX}{index + 1:05d}", display_name=display, legal_name=legal,
        **_contact(rng, country, display), mobile_phone=_mobile(rng, country, city),
        **_address(rng, country, city), country=country.code, language=country.language,
        timezone=city.timezone, default_currency=country.currency,
        channel_preferences=[str(c) for c in _pick(rng, index, CHANNEL_ORDERS)],
        payment_methods=[str(m) for m in _pick(rng, index, PAYMENT_METHOD_SETS)],
        pay_run_days=paycal.normalize_pay_run(list(_pick(rng, index, PAY_RUNS))),
        reminders_paused_until=today + timedelta(days=rng.randint(5, 40)) if paused else None,
        owner=owner, notes=rng.choice(CLIENT_NOTES) if rng.random() < 0.2 else "")
    client_terms = _client_terms(rng, index, country.currency, public, terms)
    # Clients without terms of their own use the default ("Net 30"): leave the field empty.
    client.default_terms = None if client_terms.is_default else client_terms
    weight = rng.choice((1, 1, 2, 3, 5, 8)) * (4 if "high-value" in tags else 1)
    projects = [f"Project {c}" for c in rng.sample(CODENAMES, rng.randint(1, 3))]
    return Profile(client, country, tags, weight, client_terms, projects,
                   "slow-payer" in tags, owner)


def create_clients(rng: random.Random, options: DemoOptions, today: date, users: Users,
                   terms: dict[str, PaymentTerms], writer: Writer) -> list[Profile]:
    seen: set[str] = set()
    profiles = [_build_profile(rng, i, today, users, terms, seen) for i in range(options.clients)]
    for profile in profiles:
        # Validate like client_create would (field validators, phone normalisation); the
        # database enforces uniqueness and the check constraints.
        try:
            profile.client.full_clean(exclude=["owner", "default_terms"], validate_unique=False,
                                      validate_constraints=False)
        except ValidationError as exc:
            raise DemoBookError(f"Client {profile.client.reference}: {exc}") from exc
    writer.write(Client, [p.client for p in profiles])
    tags = ensure_tags()
    writer.write(Client.tags.through, [TagRow(p.client, tags[name]) for p in profiles
                                       for name in p.tags])
    return profiles
