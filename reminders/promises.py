"""A promise to pay, however it was given (on the phone, on the pay-now page): the invoices'
reminders wait until the promised day, and the timeline entry is what the broken-promise check
(``reminders.planning``) and the next message's wording read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from clients.models import Client, InteractionKind
from clients.services import interaction_record
from core.contact import babel_locale
from core.money import format_money
from receivables.models import Invoice


def promise_record(*, client: Client, invoices: Sequence[Invoice], promised_on: date,
                   amount: Decimal | None, channel: str, now: datetime,
                   actor: User | None = None, actor_label: str | None = None,
                   summary: str = "", metadata: dict[str, Any] | None = None) -> None:
    """The invoices wait until ``promised_on``; the timeline entry is what the broken-promise
    check and the next message's wording read."""
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
