"""The one money module: Decimal only, ISO 4217 minor units, one rounding rule.

Every amount Settle stores, prints or compares passes through here. The rules:

* Amounts are ``decimal.Decimal``. Floats are refused outright (``to_decimal``): a float has
  already lost the cents it was meant to carry.
* An amount in a currency is rounded to that currency's ISO 4217 minor unit (JPY 0 places,
  EUR/USD 2, BHD/KWD 3, CLF 4) with ONE rule, ``ROUNDING`` = ROUND_HALF_UP (commercial
  rounding: 0.005 EUR becomes 0.01 EUR, -0.005 becomes -0.01). Rounding happens where an amount
  is *produced* (a line net, a tax, a discount, a fee, accrued interest), never on the way out.
* Supported currencies are the ones some territory currently uses as legal tender, per the CLDR
  data shipped with Babel; the number of decimals comes from ISO 4217 (``_ISO_MINOR_UNITS``),
  which differs from CLDR's display digits for a few currencies (IQD, MGA, RSD, ...).

Payment-terms arithmetic (early-payment discount, late fee, simple interest) lives in
``core.terms`` and uses only the helpers below.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel import Locale
from babel.numbers import get_territory_currencies, parse_pattern

ROUNDING = ROUND_HALF_UP

# ISO 4217 minor units for the currencies that do not have 2. Every other supported code has 2.
_ISO_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

# Codes ISO 4217 defines as funds or units of account; CLDR does not list them as tender.
_ISO_FUNDS_CODES = frozenset({"CLF", "UYI", "UYW"})


class MoneyError(ValueError):
    """Bad money input: a float, a non-number, an unknown currency, mixed currencies."""


@cache
def supported_currencies() -> frozenset[str]:
    """ISO 4217 codes that are legal tender somewhere today (from CLDR via Babel)."""
    codes: set[str] = set(_ISO_FUNDS_CODES)
    for territory in Locale("en").territories:
        # Babel types the keys loosely (str | int | None); territory codes are strings.
        if isinstance(territory, str) and territory.isalpha():
            codes.update(get_territory_currencies(territory, tender=True))
    return frozenset(codes)


def normalize_currency(code: object) -> str:
    """The upper-case ISO code, or ``MoneyError`` with a message a person can act on."""
    if not isinstance(code, str) or not code.strip():
        raise MoneyError("A currency is required (a three-letter ISO 4217 code such as EUR).")
    normalized = code.strip().upper()
    if normalized not in supported_currencies():
        raise MoneyError(
            f"Unknown currency '{code}': use a three-letter ISO 4217 code such as EUR, USD or JPY."
        )
    return normalized


def minor_units(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (ISO 4217)."""
    return _ISO_MINOR_UNITS.get(normalize_currency(currency), 2)


def _exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: object, *, what: str = "Amount") -> Decimal:
    """Turn user or stored input into a finite Decimal. Floats are refused, not converted."""
    if isinstance(value, bool | float):
        raise MoneyError(f"{what} must be given as a decimal string or Decimal, not a float.")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise MoneyError(f"{what} '{value}' is not a number.") from None
    else:
        raise MoneyError(f"{what} must be a number, not {type(value).__name__}.")
    if not result.is_finite():
        raise MoneyError(f"{what} must be a finite number.")
    return result


# No invoice needs more: 15 digits before the point, and the database column holds 19 in all.
MAX_AMOUNT = Decimal("1e15")


def quantize(amount: object, currency: str) -> Decimal:
    """Round ``amount`` to the currency's minor unit with the one rounding rule.

    Zero comes out unsigned (-0.004 EUR is 0.00, never "-€0.00").
    """
    value = to_decimal(amount)
    if abs(value) >= MAX_AMOUNT:
        raise MoneyError(f"Amount {value} is too large (the limit is {MAX_AMOUNT:,.0f}).")
    result = value.quantize(_exponent(currency), rounding=ROUNDING)
    return abs(result) if result == 0 else result


def is_quantized(amount: Decimal, currency: str) -> bool:
    """True when ``amount`` carries no digits below the currency's minor unit."""
    return amount == quantize(amount, currency)


def parse_amount(value: object, currency: str, *, what: str = "Amount", allow_zero: bool = True,
                 allow_negative: bool = False) -> Decimal:
    """Validate an amount typed or imported for ``currency`` and return it quantized.

    More decimals than the currency has are an error, not silently rounded away: 10.005 EUR is
    probably a typo, and guessing would change what the client owes.
    """
    amount = to_decimal(value, what=what)
    code = normalize_currency(currency)
    if amount < 0 and not allow_negative:
        raise MoneyError(f"{what} cannot be negative (got {amount}).")
    if amount == 0 and not allow_zero:
        raise MoneyError(f"{what} must be greater than zero.")
    if not is_quantized(amount, code):
        places = minor_units(code)
        raise MoneyError(
            f"{what} {amount} has more decimals than {code} allows ({places})."
        )
    return quantize(amount, code)


def zero(currency: str) -> Decimal:
    return quantize(0, currency)


def percent_of(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    """``percent`` % of ``amount``, rounded once at the currency's minor unit."""
    return quantize(to_decimal(amount) * to_decimal(percent, what="Percent") / 100, currency)


def allocate(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights`` so that the parts add up exactly.

    Largest-remainder method: every part is rounded down to the minor unit, and the units left
    over go to the parts that lost the most. Used wherever one amount is spread over several
    (instalments, a payment across invoices by share).
    """
    if not weights:
        raise MoneyError("Cannot allocate over an empty list of weights.")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise MoneyError("Allocation weights must be non-negative with a positive total.")
    amount = quantize(amount, currency)
    unit = _exponent(currency)
    total_weight = sum(weights)
    exact = [amount * w / total_weight for w in weights]
    parts = [(e / unit).to_integral_value(rounding="ROUND_FLOOR") * unit for e in exact]
    leftover_units = int(((amount - sum(parts)) / unit).to_integral_value())
    by_remainder = sorted(range(len(parts)), key=lambda i: exact[i] - parts[i], reverse=True)
    for index in by_remainder[:leftover_units]:
        parts[index] += unit
    return [quantize(p, currency) for p in parts]


def format_money(amount: Decimal, currency: str, locale: str = "en") -> str:
    """Format for people: the locale's symbol, separators and sign, the ISO number of decimals.

    Babel's own currency formatting uses CLDR display digits; we keep the ISO minor unit so a
    printed amount is exactly the amount stored.
    """
    code = normalize_currency(currency)
    babel_locale = Locale.parse(locale.replace("-", "_"))
    pattern = parse_pattern(babel_locale.currency_formats["standard"])
    places = minor_units(code)
    pattern.frac_prec = (places, places)
    text = pattern.apply(quantize(amount, code), babel_locale, currency=code,
                         currency_digits=False)
    return _space_letter_symbols(text)


def _space_letter_symbols(text: str) -> str:
    """CLDR's currency-spacing rule, which Babel does not apply: a symbol that ends (or
    starts) with a letter is kept apart from the digits by a no-break space (BHD 11.001)."""
    text = re.sub(r"([^\W\d_])(?=[-\d])", "\\1\u00a0", text, count=1)
    return re.sub(r"(\d)(?=[^\W\d_])", "\\1\u00a0", text, count=1)
