"""A promise to pay, however it was given (on the phone, on the pay-now page): the invoices'
reminders wait until the promised day, and the timeline entry is what the broken-promise check
(``reminders.planning``) and the next message's wording read.

On the pay-now page a promise must mean something, or a client could hold the reminders off
for ever (a token amount, a date six weeks out, again and again): at most
``PROMISES_PER_WINDOW`` promises per invoice in ``PROMISE_WINDOW_DAYS`` days, each for at
least the smaller of the balance and ``PROMISE_MIN_SHARE`` of it. Beyond that the page offers
a call-back instead: a person talks it through. A bookkeeper taking a promise on the phone
decides for themselves."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from answers.base import (
    CLIENT,
    client_money,
    local_decimal,
    one_currency,
    open_invoices,
    tell_owner,
)
from answers.models import (
    PortalSettings,
)
from clients.models import (
    Client,
    InteractionChannel,
    InteractionInvoice,
    InteractionKind,
)
from clients.services import interaction_record
from core import calendar as cal
from core.contact import babel_locale
from core.money import MoneyError, format_money, minor_units, parse_amount
from receivables.models import Invoice

log = logging.getLogger(__name__)

PROMISES_PER_WINDOW = 2
PROMISE_WINDOW_DAYS = 60
PROMISE_MIN_SHARE = Decimal("0.10")


def client_promises(invoices: Sequence[Invoice], now: datetime) -> dict[int, int]:
    """How many promises the client made on the pay-now page for each of ``invoices`` in the
    last PROMISE_WINDOW_DAYS days (invoice id → count; absent: none)."""
    rows = (InteractionInvoice.objects
            .filter(invoice__in=[i.pk for i in invoices],
                    interaction__kind=InteractionKind.PROMISE_TO_PAY,
                    interaction__channel=InteractionChannel.PORTAL,
                    interaction__actor_label=CLIENT,
                    interaction__occurred_at__gte=now - timedelta(days=PROMISE_WINDOW_DAYS))
            .values("invoice").annotate(n=Count("interaction", distinct=True)))
    return {row["invoice"]: row["n"] for row in rows}


def promise_limit_reached(invoices: Sequence[Invoice], now: datetime) -> list[Invoice]:
    """The invoices the client may not promise again from the pay-now page (yet)."""
    made = client_promises(invoices, now)
    return [i for i in invoices if made.get(i.pk, 0) >= PROMISES_PER_WINDOW]


def promise_minimum(owed: Decimal, currency: str) -> Decimal:
    """The least a promise may be for: the smaller of what is owed and a tenth of it (rounded
    up to the currency's minor unit, so it is never zero while something is owed)."""
    unit = Decimal(1).scaleb(-minor_units(currency))
    return min(owed, (owed * PROMISE_MIN_SHARE).quantize(unit, rounding=ROUND_CEILING))


def promise_limit_message(invoices: Sequence[Invoice]) -> str:
    numbers = ", ".join(i.number for i in invoices)
    return (f"You have already promised a payment date for {numbers} "
            f"{PROMISES_PER_WINDOW} times in the last {PROMISE_WINDOW_DAYS} days. Instead of "
            "another date, ask us to call you back: we will find a way together.")


def promise_record(*, client: Client, invoices: Sequence[Invoice], promised_on: date,
                   amount: Decimal | None, channel: str, now: datetime,
                   actor: User | None = None, actor_label: str | None = None,
                   summary: str = "", metadata: dict[str, Any] | None = None) -> None:
    """The invoices wait until ``promised_on``; the timeline entry is what the broken-promise
    check and the next message's wording read. A promise reaches at most a year ahead."""
    if problem := cal.hold_problem(promised_on, client.local_today(now)):
        raise ValidationError({"promised_on": problem})
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(
        promised_until=promised_on, next_action_at=None)
    currency = invoices[0].currency if invoices else client.default_currency
    locale = babel_locale(client.language, client.country)
    what = summary or (f"Promised to pay {format_money(amount, currency, locale)} by "
                       f"{promised_on.isoformat()}" if amount else
                       f"Promised to pay by {promised_on.isoformat()}")
    interaction_record(
        client=client, kind=InteractionKind.PROMISE_TO_PAY, channel=channel, summary=what,
        actor=actor, actor_label=actor_label, occurred_at=now, invoices=invoices,
        metadata={"promised_on": promised_on.isoformat(),
                  "amount": str(amount) if amount else "", **(metadata or {})})


def promise_from_client(*, client: Client, invoice_ids: Sequence[int], promised_on: date | None,
                        amount: str | None, now: datetime) -> list[Invoice]:
    settings_row = PortalSettings.load()
    invoices = open_invoices(client, invoice_ids)
    currency = one_currency(invoices)
    today = client.local_today(now)
    errors: dict[str, str] = {}
    latest = today + timedelta(days=settings_row.promise_max_days)
    if promised_on is None:
        errors["promised_on"] = "Enter the date you will pay."
    elif promised_on < today:
        errors["promised_on"] = "The date must be today or later."
    elif promised_on > latest:
        errors["promised_on"] = (f"Please choose a date up to {latest.isoformat()}; for longer, "
                                 "propose a payment plan.")
    if blocked := promise_limit_reached(invoices, now):
        errors["invoices"] = promise_limit_message(blocked)
    value = None
    if amount:  # neither None nor ""
        owed = sum((i.balance for i in invoices), Decimal(0))
        least = promise_minimum(owed, currency)
        try:
            value = parse_amount(local_decimal(amount, client), currency, what="Amount",
                                 allow_zero=False)
        except MoneyError as exc:
            errors["amount"] = str(exc)
        else:
            if value > owed:
                errors["amount"] = (f"That is more than you owe on these invoices "
                                    f"({client_money(client, owed, currency)}).")
            elif value < least:
                errors["amount"] = (f"Please promise at least "
                                    f"{client_money(client, least, currency)} (a tenth of "
                                    f"what you owe on these invoices), or ask us to call you "
                                    "back.")
    if errors:
        raise ValidationError(errors)
    assert promised_on is not None
    with transaction.atomic():
        promise_record(client=client, invoices=invoices, promised_on=promised_on, amount=value,
                       channel=InteractionChannel.PORTAL, now=now, actor_label=CLIENT)
        numbers = ", ".join(i.number for i in invoices)
        tell_owner(client=client, now=now, invoices=invoices,
                   title=f"{client.display_name} promised to pay {numbers} by "
                         f"{promised_on.isoformat()}",
                   text=f"On the pay-now page, {client.display_name} promised to pay "
                        + (f"{client_money(client, value, currency)} " if value else "")
                        + f"by {promised_on.isoformat()} ({numbers}). Reminders for these "
                          "invoices wait until then; if the money has not arrived by then, "
                          "the promise is flagged as broken and the reminders resume.")
    return invoices
