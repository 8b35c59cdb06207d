"""What every answer shares: the client as the actor, the client's open invoices, amounts as
the client types them, and telling the client's bookkeeper (a task, and an email)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from babel.numbers import NumberFormatError, parse_decimal
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction

from answers.models import (
    Dispute,
    PaymentPlan,
)
from clients.business import business
from clients.models import (
    Client,
)
from core.contact import babel_locale
from core.money import format_money
from receivables.models import ACTIVE_STATUSES, Invoice
from work.models import Task, TaskKind

log = logging.getLogger(__name__)


CLIENT = "client"  # the actor label of what a client did on the pay-now page

def local_decimal(text: str, client: Client) -> str:
    """An amount as the client typed it ("1.234,50" in Germany, "1,234.50" in the US) as a
    plain decimal string; what Babel cannot read is passed on for the money module to refuse."""
    try:
        return str(parse_decimal(text.strip(), locale=babel_locale(client.language,
                                                                   client.country), strict=True))
    except NumberFormatError:
        return text

def client_money(client: Client, amount: Decimal, currency: str) -> str:
    return format_money(amount, currency, babel_locale(client.language, client.country))

def open_invoices(client: Client, ids: Sequence[int] | None = None) -> list[Invoice]:
    """The client's invoices that reminders run for (open or partly paid, something owed),
    optionally only ``ids``; an id that is not one of them is refused."""
    qs = (Invoice.objects.filter(client=client, status__in=ACTIVE_STATUSES, balance__gt=0)
          .select_related("terms").order_by("due_date", "number"))
    if ids is None:
        return list(qs)
    found = list(qs.filter(pk__in=ids))
    if not ids or len(found) != len(set(ids)):
        raise ValidationError({"invoices": "Choose one or more of your open invoices."})
    return found

def one_currency(invoices: list[Invoice]) -> str:
    currencies = {i.currency for i in invoices}
    if len(currencies) != 1:
        raise ValidationError({"invoices": "Choose invoices in one currency at a time."})
    return currencies.pop()

def tell_owner(*, client: Client, title: str, text: str, now: datetime,
               invoices: Sequence[Invoice] = (), kind: TaskKind = TaskKind.NOTICE,
               plan: PaymentPlan | None = None, dispute: Dispute | None = None) -> Task:
    """A task for the client's bookkeeper (the dashboard shows it) and, when they have an
    email address, a short email. A failing email never undoes the client's answer."""
    task = Task.objects.create(kind=kind, client=client, assigned_to=client.owner,
                               title=title[:300], script=text, due_at=now, created_at=now,
                               plan=plan, dispute=dispute)
    task.invoices.set(invoices)
    email = getattr(client.owner, "email", "")
    if email:
        def send() -> None:
            try:
                send_mail(f"[Settle] {title}"[:200], text, business().from_email, [email])
            except Exception:  # the task is the record; the email is a courtesy
                log.exception("Could not email %s about %s", email, title)
        transaction.on_commit(send)
    return task
