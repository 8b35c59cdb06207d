"""Handing invoices to collections: ``invoice_transition`` to "in collections" (the planner and
the dispatcher stop on that status), the outbox rows still waiting cancelled, and the package
built for whoever takes over."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import (
    InteractionKind,
)
from clients.services import actor_label_for, interaction_record
from escalation.checks import amounts, live_plans, locked, one_client, plan_problem
from escalation.evidence import HANDOVER_REASON, Package
from escalation.package import collections_package
from receivables.models import RECEIVABLE_STATUSES, Invoice, InvoiceStatus
from receivables.services import invoice_transition
from reminders.models import Reminder, ReminderStatus

logger = logging.getLogger(__name__)


def _escalation_problem(invoice: Invoice) -> str:
    status = InvoiceStatus(invoice.status)
    if status == InvoiceStatus.IN_COLLECTIONS:
        return f"Invoice {invoice.number} is already in collections."
    if status not in RECEIVABLE_STATUSES or invoice.balance <= 0:
        return (f"Invoice {invoice.number} is {status.label.lower()}: nothing is owed on it "
                "to hand over.")
    return ""

def _cancel_waiting(invoices: list[Invoice], why: str) -> int:
    """Outbox rows still waiting for these invoices: cancelled, saying why (a row a worker
    has claimed meanwhile is cancelled by the dispatcher's own stop check)."""
    return Reminder.objects.filter(invoice__in=invoices, status=ReminderStatus.SCHEDULED).update(
        status=ReminderStatus.CANCELLED, last_error=why)

def escalate_to_collections(*, invoices: Iterable[Invoice], actor: User | None,
                            now: datetime, note: str = "") -> Package:
    """Hand ``invoices`` (one client's, still owed) to collections in one transaction: each
    moves to "in collections" (the engine sends nothing more for it), its waiting outbox rows
    are cancelled, and one timeline entry records who did it with the package's file hashes.
    The package is built after the move, so its cover says "in collections"; if it cannot be
    built, nothing is handed over."""
    note = note.strip()
    with transaction.atomic():
        chosen = locked(invoices)
        client = one_client(chosen)
        plans = live_plans([i.pk for i in chosen])
        problems = [p for i in chosen for p in (_escalation_problem(i), plan_problem(i, plans))
                    if p]
        if problems:
            raise ValidationError(problems)
        for invoice in chosen:
            invoice_transition(invoice=invoice, to=InvoiceStatus.IN_COLLECTIONS, actor=actor,
                               reason=note or HANDOVER_REASON)
        day = client.local_today(now).isoformat()
        cancelled = _cancel_waiting(chosen, f"Not sent: handed to collections by "
                                            f"{actor_label_for(actor)} on {day}.")
        package = collections_package(client=client, invoices=chosen, now=now)
        numbers = [i.number for i in chosen]
        interaction_record(
            client=client, kind=InteractionKind.ESCALATION, actor=actor, occurred_at=now,
            summary=f"Handed to collections: {', '.join(numbers)} ({amounts(chosen)})"
                    + (f" — {note}" if note else ""),
            content={"note": note} if note else {},
            metadata={"collections": True, "invoices": numbers,
                      "reminders_cancelled": cancelled, "package": package.manifest()},
            invoices=chosen)
    return package
