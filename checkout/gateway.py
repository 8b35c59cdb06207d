"""Stripe, behind three functions: the only module that imports the ``stripe`` library.

- ``stripe_units`` / ``amount_from_stripe``: Settle's Decimal amounts to Stripe's integer
  amounts and back, under Stripe's currency rules (https://docs.stripe.com/currencies), which
  are not ISO 4217's: some currencies are zero-decimal at Stripe but not in ISO (MGA), ISK is
  sent with two decimals that must be 00, and three-decimal currencies (BHD, JOD, KWD, OMR,
  TND) must end in 0. An amount that cannot be sent *exactly* is refused: charging a rounded
  amount would leave the invoice a fils short or over.
- ``session_create``: one Checkout Session, under our idempotency key.
- ``event_verify``: the ``Stripe-Signature`` check of a webhook (HMAC-SHA256 over
  ``"<t>.<body>"``, at most 300 s old).
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from core.money import MoneyError, quantize

log = logging.getLogger(__name__)

# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF",
                          "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})
# https://docs.stripe.com/currencies#three-decimal: the last digit must be 0.
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# https://docs.stripe.com/currencies#special-cases: ISK stays two-decimal in the API, but only
# whole krónur may be charged (a multiple of 100).
STEP: dict[str, int] = {**dict.fromkeys(THREE_DECIMAL, 10), "ISK": 100}
# Stripe takes at most eight digits in an amount.
MAX_UNITS = 99_999_999
TOLERANCE_SECONDS = 300
UNAVAILABLE = ("Online payment is unavailable right now. Please try again later or pay by "
               "bank transfer.")


class AmountError(ValueError):
    """An amount Stripe cannot charge exactly."""


class GatewayError(Exception):
    """Stripe refused or could not be reached; ``str()`` is for the client, nothing internal."""


class SignatureError(Exception):
    """The webhook is not from Stripe, or too old; ``str()`` is a short reason."""


def stripe_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def stripe_units(amount: Decimal, currency: str) -> int:
    """``amount`` in Stripe's integer minor units, or ``AmountError`` saying why not."""
    code = currency.upper()
    units = amount.scaleb(stripe_exponent(code))
    if units != units.to_integral_value():
        raise AmountError(f"{amount} {code} has more decimals than Stripe can charge in {code}.")
    step = STEP.get(code, 1)
    if int(units) % step:
        unit = Decimal(step).scaleb(-stripe_exponent(code)).normalize()
        raise AmountError(f"Stripe charges {code} only in steps of {unit:f} {code}, so "
                          f"{amount} {code} cannot be paid online exactly.")
    if not 0 < units <= MAX_UNITS:
        raise AmountError(f"{amount} {code} is outside what Stripe accepts in one payment.")
    return int(units)


def amount_from_stripe(units: int, currency: str) -> Decimal:
    """Stripe's integer amount back as a Decimal in the currency's ISO minor unit."""
    try:
        return quantize(Decimal(int(units)).scaleb(-stripe_exponent(currency)), currency)
    except (MoneyError, TypeError, ValueError) as exc:
        raise AmountError(f"Unusable amount {units!r} {currency}: {exc}") from None


def _client() -> stripe.StripeClient:
    # One retry on a dropped connection or a 409/5xx Stripe marks retryable; the idempotency
    # key makes it safe. A short timeout: the client is waiting in front of the "Pay" button.
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=1,
                               http_client=stripe.RequestsClient(timeout=20))


def _client_message(exc: stripe.StripeError) -> str:
    if getattr(exc, "code", None) == "amount_too_small":
        return ("The amount is below the minimum Stripe accepts for an online payment. "
                "Please pay by bank transfer.")
    return UNAVAILABLE


def session_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    """Create a Checkout Session; returns its id, url, amount_total, currency and expires_at.
    Any Stripe failure (refusal, outage, network) is a ``GatewayError``."""
    try:
        session = _client().v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        log.warning("Stripe refused a Checkout Session (key %s): %s %s", idempotency_key,
                    type(exc).__name__, exc.user_message or exc)
        raise GatewayError(_client_message(exc)) from exc
    answer = session.to_dict()
    if not answer.get("id") or not answer.get("url"):
        log.error("Stripe answered a Checkout Session without id or url: %s", answer)
        raise GatewayError(UNAVAILABLE)
    return {key: answer.get(key) for key in ("id", "url", "amount_total", "currency",
                                             "expires_at")}


def event_verify(payload: bytes, signature: str) -> dict[str, Any]:
    """The event a webhook carries, once its signature is checked: ``SignatureError`` for a
    missing, wrong or stale signature, ``ValueError`` for a body that is not a JSON event."""
    if not signature:
        raise SignatureError("Missing Stripe-Signature header.")
    if not settings.STRIPE_WEBHOOK_SECRET:
        log.error("A Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set.")
        raise SignatureError("Webhook secret not configured.")
    try:
        stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET,
                                       tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        stale = "tolerance" in str(exc)
        raise SignatureError("Signature timestamp too old." if stale
                             else "Invalid signature.") from None
    except UnicodeDecodeError:
        raise ValueError("The body is not UTF-8.") from None
    except (TypeError, AttributeError, KeyError):
        raise ValueError("Not a Stripe event.") from None
    event = json.loads(payload)  # already parsed once by stripe; we want plain dicts
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict) \
            or not isinstance(event["data"].get("object"), dict) or not event.get("id"):
        raise ValueError("Not a Stripe event.")
    return event
