"""A promise to pay, however it was given (on the phone, on the pay-now page): the invoices'
reminders wait until the promised day, and the timeline entry is what the broken-promise check
(``reminders.planning``) and the next message's wording read."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

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
    InteractionKind,
)
from clients.services import interaction_record
from core import calendar as cal
from core.contact import babel_locale
from core.money import MoneyError, format_money, parse_amount
from receivables.models import Invoice

log = logging.getLogger(__name__)


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
    value = None
    if amount:  # neither None nor ""
        owed = sum((i.balance for i in invoices), Decimal(0))
        try:
            value = parse_amount(local_decimal(amount, client), currency, what="Amount",
                                 allow_zero=False)
        except MoneyError as exc:
            errors["amount"] = str(exc)
        else:
            if value > owed:
                errors["amount"] = (f"That is more than you owe on these invoices "
                                    f"({client_money(client, owed, currency)}).")
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
