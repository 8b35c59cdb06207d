"""Bulk actions on a selection of worklist invoices.

Each one calls a domain service per invoice (or per client), each call in its own transaction,
so one failure does not undo the others; the result names each failure and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet

from clients.models import Client
from clients.services import client_assign_owner
from infra.roles import ADMIN, BOOKKEEPER
from receivables.models import Invoice
from receivables.services import invoice_pause_reminders
from reminders import manual
from reminders.models import Reminder, ReminderStatus

MAX_SELECTION = 200  # four pages: a bulk action stays one request a person can wait for

ACTIONS = {
    "pause": "Pause reminders",
    "resume": "Resume reminders",
    "send_now": "Send the next reminder now",
    "assign": "Assign an owner",
    "export": "Export as CSV",
}


def assignable_owners() -> QuerySet[Any]:
    """Who can own a client: active users with the Bookkeeper or Admin role (or superusers)."""
    users = get_user_model().objects.filter(is_active=True)
    return (users.filter(Q(is_superuser=True) | Q(groups__name__in=[ADMIN, BOOKKEEPER]))
            .distinct().order_by("first_name", "last_name", "username"))


def selected_invoices(ids: Iterable[int]) -> list[Invoice]:
    """The selected invoices that are still receivable, by client and due date: exactly what a
    bulk action will touch (one paid or voided since it was ticked drops out)."""
    return list(Invoice.objects.receivable().filter(pk__in=list(ids))
                .select_related("client", "client__owner")
                .order_by("client__display_name", "client_id", "due_date", "pk"))


def clients_of(invoices: Iterable[Invoice]) -> list[Client]:
    """The invoices' distinct clients, in the invoices' order."""
    return list({invoice.client_id: invoice.client for invoice in invoices}.values())


@dataclass
class BulkResult:
    succeeded: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    notes: list[str] = field(default_factory=list)


T = TypeVar("T")


def _one_by_one(items: Iterable[T], act: Callable[[T], str | None], *,
                label: Callable[[T], str], atomic: bool = True) -> BulkResult:
    """Run ``act`` on each item in its own transaction; a ValidationError (or a database error)
    fails that item only. ``act`` may return a note worth telling the bookkeeper."""
    result = BulkResult()
    for item in items:
        try:
            if atomic:
                with transaction.atomic():
                    note = act(item)
            else:
                note = act(item)
        except ValidationError as exc:
            result.failed.append((label(item), " ".join(exc.messages)))
        except DatabaseError as exc:  # e.g. a row locked or changed meanwhile
            result.failed.append((label(item), f"The database refused it "
                                               f"({type(exc).__name__}); try again."))
        else:
            result.succeeded.append(label(item))
            if note:
                result.notes.append(f"{label(item)}: {note}")
    return result


def _number(invoice: Invoice) -> str:
    return invoice.number


def bulk_pause(*, invoices: Sequence[Invoice], until: date | None, reason: str,
               actor: User) -> BulkResult:
    """Pause (``until`` a day) or resume (``until=None``) each invoice's reminders."""
    def pause(invoice: Invoice) -> None:
        invoice_pause_reminders(invoice=invoice, until=until, actor=actor, reason=reason)

    return _one_by_one(invoices, pause, label=_number)


def bulk_send_now(*, invoices: Sequence[Invoice], actor: User,
                  now: datetime) -> BulkResult:
    """Send each invoice's next cadence step now. Not wrapped in a transaction of our own:
    ``send_now`` commits the outbox row, then dispatches, and a message that went out must not
    be rolled back with a later error. A row the dispatcher waits with (business hours, one
    message a day) is reported with the time it will go."""
    def send(invoice: Invoice) -> str | None:
        manual.send_now(invoices=[invoice], actor=actor, now=now)
        row = Reminder.objects.filter(invoice=invoice).order_by("-pk").first()
        if row is None or row.status == ReminderStatus.SENT:
            return None
        if row.status == ReminderStatus.SCHEDULED:
            local = row.scheduled_for.astimezone(ZoneInfo(invoice.client.timezone))
            return f"waits in the outbox until {local:%Y-%m-%d %H:%M} (client's time)"
        raise ValidationError(row.last_error or f"Not sent ({row.get_status_display()}).")

    return _one_by_one(invoices, send, label=_number, atomic=False)


def bulk_assign_owner(*, invoices: Sequence[Invoice], owner: User | None,
                      actor: User) -> BulkResult:
    """Make ``owner`` responsible for the invoices' clients, one client at a time."""
    def assign(client: Client) -> None:
        client_assign_owner(client=client, owner=owner, actor=actor)

    return _one_by_one(clients_of(invoices), assign, label=lambda c: c.display_name)
