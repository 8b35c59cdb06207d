"""Quoting and opening Stripe Checkout sessions.

The browser never names an amount. ``checkout_quote`` works out what settles each invoice on
the client's local day (``invoice_settlement``: balance - early-payment discount + late fee and
interest not booked yet); ``checkout_start`` asks Stripe for a hosted page charging exactly that
and keeps the quote in a ``CheckoutSession``, so the payment recorded later settles exactly what
the client saw.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, override

from checkout import gateway
from checkout.models import CheckoutSession, CheckoutStatus
from clients.business import business
from clients.models import Client
from core.contact import LANGUAGES, babel_locale
from core.money import format_money, quantize
from infra.integrations import card_payments_enabled
from receivables.models import ACTIVE_STATUSES, AdjustmentKind, Invoice
from receivables.selectors import invoice_settlement

log = logging.getLogger(__name__)

MAX_INVOICES = 100  # Stripe's limit on line items in a payment-mode session
MIN_LIFETIME = timedelta(minutes=31)  # Stripe: expires_at at least 30 minutes ahead ...
MAX_LIFETIME = timedelta(hours=23, minutes=59)  # ... and at most 24 hours
REUSE_MARGIN = timedelta(minutes=10)  # an open session this close to expiry is not handed out
STRIPE_LOCALES = frozenset({"en", "de", "fr", "es"})
# A line item on Stripe's payment page: its name, and under it the balance with what changes
# it ("1.190,00 € - Skonto 23,80 €"). English source strings marked for gettext, translated in
# locale/<language>/LC_MESSAGES/django.po; looked up under override(language) in _line_item.
LABELS: dict[str, Promise] = {
    # Translators: the name of a line item on Stripe's payment page.
    "item": gettext_lazy("Invoice {number}"),
    # Translators: on Stripe's payment page, "1,000.00 € - early-payment discount 20.00 €".
    "discount": gettext_lazy("early-payment discount"),
    # Translators: on Stripe's payment page, "1,000.00 € + late fee 40.00 €".
    "late_fee": gettext_lazy("late fee"),
    # Translators: on Stripe's payment page, "1,000.00 € + interest 4.50 €".
    "interest": gettext_lazy("interest"),
}
BANK_TRANSFER_HINT = "Please pay by bank transfer."
CHARGES = (AdjustmentKind.LATE_FEE, AdjustmentKind.INTEREST)


def stripe_enabled() -> bool:
    """Online payment is offered only when a Stripe secret key is configured."""
    return card_payments_enabled()


def client_today(client: Client, now: datetime) -> date:
    """The client's calendar day at ``now``: discounts and interest run on the client's days."""
    return client.local_today(now)


# --- Quoting --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    """What the client is asked to pay, per invoice, on one local day."""

    client: Client
    currency: str
    on: date
    invoices: list[Invoice]
    lines: list[dict[str, Any]]  # the breakdown stored on the session (amounts as strings)

    @property
    def amount(self) -> Decimal:
        return quantize(sum((Decimal(line["total"]) for line in self.lines), Decimal(0)),
                        self.currency)

    @property
    def units(self) -> int:
        return sum(int(line["units"]) for line in self.lines)

    @property
    def fingerprint(self) -> str:
        """Same client, invoices, amounts, currency and day: the same session."""
        parts = [str(self.client.pk),
                 ",".join(f"{line['invoice_id']}={line['total']}"
                          for line in sorted(self.lines, key=lambda x: x["invoice_id"])),
                 self.currency, self.on.isoformat()]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _chosen_invoices(client: Client, invoices: Sequence[Invoice]) -> list[Invoice]:
    """The invoices, fresh from the database, checked: this client's, one currency, payable.
    Oldest due first, so the quote does not depend on the order they were ticked in."""
    ids = list(dict.fromkeys(inv.pk for inv in invoices))
    if not ids:
        raise ValidationError("Choose at least one invoice to pay.")
    if len(ids) > MAX_INVOICES:
        raise ValidationError(f"At most {MAX_INVOICES} invoices can be paid online at once.")
    found = Invoice.objects.select_related("terms").filter(pk__in=ids, client=client)
    chosen = sorted(found, key=lambda inv: (inv.due_date, inv.number))
    if len(chosen) != len(ids):
        raise ValidationError("An invoice chosen does not belong to this client.")
    currencies = sorted({inv.currency for inv in chosen})
    if len(currencies) > 1:
        raise ValidationError(f"Invoices in {' and '.join(currencies)} cannot be paid together: "
                              "please pay one currency at a time.")
    for inv in chosen:
        if inv.status not in ACTIVE_STATUSES:
            raise ValidationError(f"Invoice {inv.number} is {inv.get_status_display().lower()} "
                                  "and cannot be paid online.")
    return chosen


def _quote_line(invoice: Invoice, on: date) -> dict[str, Any]:
    settlement = invoice_settlement(invoice=invoice, on=on)
    total = settlement.total
    if total <= 0:
        raise ValidationError(f"Invoice {invoice.number} has nothing left to pay.")
    try:
        units = gateway.stripe_units(total, invoice.currency)
    except gateway.AmountError as exc:
        raise ValidationError(f"Invoice {invoice.number}: {exc} {BANK_TRANSFER_HINT}") from None
    booked = booked_charges(invoice)
    return {"invoice_id": invoice.pk, "number": invoice.number,
            "balance": str(settlement.balance), "discount": str(settlement.discount),
            "late_fee": str(settlement.late_fee), "interest": str(settlement.interest),
            "total": str(total), "units": units,
            # What was already booked then: whatever is booked later was booked meanwhile.
            "booked_late_fee": str(quantize(booked[AdjustmentKind.LATE_FEE], invoice.currency)),
            "booked_interest": str(quantize(booked[AdjustmentKind.INTEREST], invoice.currency))}


def booked_charges(invoice: Invoice) -> dict[AdjustmentKind, Decimal]:
    rows = invoice.adjustments.filter(kind__in=CHARGES).values_list("kind", "amount")
    booked = dict.fromkeys(CHARGES, Decimal(0))
    for kind, amount in rows:
        booked[AdjustmentKind(kind)] += amount
    return booked


def checkout_quote(*, client: Client, invoices: Sequence[Invoice],
                   now: datetime | None = None) -> Quote:
    """What paying ``invoices`` online costs today, per invoice; ``ValidationError`` when they
    cannot be paid together online. The pay-now page can show this before the client pays."""
    chosen = _chosen_invoices(client, invoices)
    on = client_today(client, now or timezone.now())
    quote = Quote(client=client, currency=chosen[0].currency, on=on, invoices=chosen,
                  lines=[_quote_line(inv, on) for inv in chosen])
    try:
        gateway.stripe_units(quote.amount, quote.currency)  # the total has limits too
    except gateway.AmountError as exc:
        raise ValidationError(f"{exc} {BANK_TRANSFER_HINT}") from None
    return quote


# --- Opening a session ----------------------------------------------------------------------

def checkout_start(*, client: Client, invoices: Sequence[Invoice], success_url: str,
                   cancel_url: str, now: datetime | None = None) -> str:
    """The URL of a Stripe-hosted page where the client pays ``invoices`` in full today.

    The same quote asked for twice (a double click, a reload) gets the same open session, and
    Stripe is asked only once. ``ValidationError`` with a message for the client when Stripe is
    off, the invoices cannot be paid online, or Stripe refuses; nothing is stored then.
    """
    if not stripe_enabled():
        raise ValidationError("Online payment is not available. " + BANK_TRANSFER_HINT)
    now = now or timezone.now()
    quote = checkout_quote(client=client, invoices=invoices, now=now)
    _refuse_while_processing(quote)
    open_session = _reusable(quote, now)
    if open_session is not None:
        return open_session.url
    try:
        return _session_open(quote, success_url, cancel_url, now).url
    except IntegrityError:
        # Another request opened this quote's session while we waited for the lock: use it.
        open_session = _reusable(quote, now)
        if open_session is None:
            raise
        return open_session.url


def _refuse_while_processing(quote: Quote) -> None:
    """A bank debit started online takes days to confirm; paying again meanwhile would pay
    twice."""
    pending = CheckoutSession.objects.filter(
        client=quote.client, status=CheckoutStatus.PROCESSING,
        invoices__in=[inv.pk for inv in quote.invoices]).first()
    if pending is not None:
        raise ValidationError(
            f"A payment of {format_money(pending.amount, pending.currency)} for "
            f"{', '.join(pending.invoice_numbers)} is already on its way from your bank.")


def _reusable(quote: Quote, now: datetime) -> CheckoutSession | None:
    return CheckoutSession.objects.filter(
        fingerprint=quote.fingerprint, status=CheckoutStatus.OPEN,
        expires_at__gt=now + REUSE_MARGIN).first()


def _expiry(quote: Quote, now: datetime) -> datetime:
    """The end of the client's day: the quoted discount, fee and interest are that day's."""
    zone = ZoneInfo(quote.client.timezone)
    end_of_day = datetime.combine(quote.on + timedelta(days=1), time.min, tzinfo=zone)
    return min(max(end_of_day, now + MIN_LIFETIME), now + MAX_LIFETIME)


def _session_open(quote: Quote, success_url: str, cancel_url: str,
                  now: datetime) -> CheckoutSession:
    """Insert the local row and ask Stripe in one transaction: a refusal leaves no row, and a
    concurrent request for the same quote waits on the row's unique fingerprint instead of
    calling Stripe too.

    The idempotency key is the quote's fingerprint (client, invoices, amounts, currency, day)
    plus this attempt (row id and a nonce, since a rolled-back id is handed out again): the
    library's own retries of the request reuse it, while a later attempt after a failure gets
    a fresh one, because Stripe replays a stored error, even a 500, for 24 hours per key.
    """
    nonce = uuid.uuid4().hex
    placeholder = f"pending-{nonce}"
    try:
        with transaction.atomic():
            # A stale open session of this quote (minutes from expiry) steps aside; a fresh
            # one opened meanwhile by another request makes the insert below fail instead.
            CheckoutSession.objects.filter(
                fingerprint=quote.fingerprint, status=CheckoutStatus.OPEN,
                expires_at__lte=now + REUSE_MARGIN).update(status=CheckoutStatus.EXPIRED)
            row = CheckoutSession.objects.create(
                client=quote.client, currency=quote.currency, amount=quote.amount,
                quoted_on=quote.on, breakdown=quote.lines, fingerprint=quote.fingerprint,
                idempotency_key=placeholder, stripe_session_id=placeholder, url="",
                created_at=now, expires_at=_expiry(quote, now))
            row.invoices.set(quote.invoices)
            row.idempotency_key = (f"settle-checkout-{quote.fingerprint[:40]}-{row.pk}-"
                                   f"{nonce[:8]}")
            session = gateway.session_create(params=_stripe_params(quote, row, success_url,
                                                                   cancel_url),
                                             idempotency_key=row.idempotency_key)
            _check_charged(session, quote)
            row.stripe_session_id, row.url = str(session["id"]), str(session["url"])
            row.save(update_fields=["idempotency_key", "stripe_session_id", "url"])
    except gateway.GatewayError as exc:
        raise ValidationError(str(exc)) from exc
    return row


def _check_charged(session: Mapping[str, Any], quote: Quote) -> None:
    """Stripe must charge exactly what Settle worked out, or the session is not used."""
    total, currency = session.get("amount_total"), session.get("currency")
    if (total is not None and int(total) != quote.units) or (
            currency is not None and str(currency).upper() != quote.currency):
        log.error("Stripe session %s charges %s %s, expected %s %s", session.get("id"), total,
                  currency, quote.units, quote.currency)
        raise gateway.GatewayError(gateway.UNAVAILABLE)


def _stripe_params(quote: Quote, row: CheckoutSession, success_url: str,
                   cancel_url: str) -> dict[str, Any]:
    client = quote.client
    numbers = ", ".join(line["number"] for line in quote.lines)
    ids = {"settle_client_id": str(client.pk), "settle_checkout_id": str(row.pk),
           "invoices": numbers[:500]}
    params: dict[str, Any] = {
        "mode": "payment",
        "submit_type": "pay",
        "line_items": [_line_item(line, quote) for line in quote.lines],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": f"settle-client-{client.pk}-checkout-{row.pk}",
        "metadata": ids,
        "payment_intent_data": {
            "metadata": ids,
            "description": f"{business().name}: {numbers}"[:1000]},
        "expires_at": int(row.expires_at.timestamp()),
        "locale": client.language if client.language in STRIPE_LOCALES else "auto",
    }
    if client.email:
        params["customer_email"] = client.email
    return params


def _line_item(line: Mapping[str, Any], quote: Quote) -> dict[str, Any]:
    language = quote.client.language
    with override(language if language in LANGUAGES else "en"):
        labels = {key: str(text) for key, text in LABELS.items()}
    locale = babel_locale(language, quote.client.country)

    def fmt(key: str) -> str:
        return format_money(Decimal(line[key]), quote.currency, locale)

    parts = [f"− {labels['discount']} {fmt('discount')}" if Decimal(line["discount"]) else "",
             f"+ {labels['late_fee']} {fmt('late_fee')}" if Decimal(line["late_fee"]) else "",
             f"+ {labels['interest']} {fmt('interest')}" if Decimal(line["interest"]) else ""]
    product: dict[str, Any] = {"name": labels["item"].format(number=line["number"])}
    if any(parts):
        product["description"] = " ".join([fmt("balance"), *filter(None, parts)])
    return {"quantity": 1, "price_data": {"currency": quote.currency.lower(),
                                          "unit_amount": int(line["units"]),
                                          "product_data": product}}
