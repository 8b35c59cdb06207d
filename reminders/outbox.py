"""The outbox: every reminder is a ``Reminder`` row, and this module is its state machine.

A row moves scheduled → claimed → sending → sent | failed | cancelled (or back to scheduled,
deferred or retried) only through conditional UPDATEs that name the state they expect
(``set_status``), so two workers never both own a row. A row found in ``claimed`` after a crash
goes back to ``scheduled`` (nothing left yet); one found in ``sending`` goes to ``review`` (the
provider may have it; a person decides). A Celery message is only a wake-up call: this table
is what is due, and what was done.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from clients.models import ContactFlag, Interaction, InteractionChannel, InteractionKind
from clients.services import interactions_append
from receivables.models import Invoice
from reminders.models import (
    CadenceStep,
    DispatchLease,
    OutboundMessage,
    Reminder,
    ReminderStatus,
)


@dataclass
class TickReport:
    planned: int = 0
    skipped: int = 0
    examined: int = 0
    sent: int = 0
    cancelled: int = 0
    deferred: int = 0
    failed: int = 0
    recovered: int = 0
    fallbacks: int = 0
    held: int = 0  # clients whose due reminders wait for fresh payment data
    errors: list[str] = field(default_factory=list)

def recover(now: datetime) -> int:
    """Rows a crashed worker left behind: claimed → scheduled, sending → review. A client
    whose lease a live worker keeps renewing is still being dispatched: not touched."""
    stale = now - timedelta(seconds=settings.SETTLE_STALE_CLAIM_SECONDS)
    leased = DispatchLease.objects.filter(until__gt=timezone.now()).values("client_id")
    back = Reminder.objects.filter(status=ReminderStatus.CLAIMED, claimed_at__lt=stale).exclude(
        client_id__in=leased).update(status=ReminderStatus.SCHEDULED, claimed_at=None)
    review = Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=stale
                                     ).exclude(client_id__in=leased).update(
        status=ReminderStatus.REVIEW,
        last_error="Outcome unknown after a crash: check with the provider before resending.")
    return back + review

def reminders_claim(ids: list[int], now: datetime) -> list[Reminder]:
    """Take the rows still scheduled; rows another worker took are simply not ours."""
    token = uuid.uuid4().hex
    Reminder.objects.filter(pk__in=ids, status=ReminderStatus.SCHEDULED).update(
        status=ReminderStatus.CLAIMED, claimed_at=now, claim_token=token)
    # The client's open contact flags come along: every channel check of the send reads
    # them (one query here instead of one per check; a fallback re-reads them fresh).
    return list(Reminder.objects.filter(pk__in=ids, status=ReminderStatus.CLAIMED,
                                        claim_token=token)
                .select_related("invoice__terms", "client__owner", "step__cadence",
                                        "instalment__plan")
                .prefetch_related(Prefetch("client__contact_flags",
                                           ContactFlag.objects.filter(cleared_at__isnull=True))))

def set_status(rows: list[Reminder], expected: str, **changes: object) -> int:
    return Reminder.objects.filter(pk__in=[r.pk for r in rows], status=expected).update(
        **changes)

def defer(rows: list[Reminder], until: datetime) -> int:
    return set_status(rows, ReminderStatus.CLAIMED, status=ReminderStatus.SCHEDULED,
                scheduled_for=until, claimed_at=None)

_SENT_KIND = {"email": (InteractionKind.EMAIL_REMINDER, InteractionChannel.EMAIL),
              "sms": (InteractionKind.SMS_REMINDER, InteractionChannel.SMS),
              "letter": (InteractionKind.LETTER_REMINDER, InteractionChannel.LETTER)}

def record_sent(message: OutboundMessage, step: CadenceStep | None, invoices: list[Invoice],
                 when: datetime) -> None:
    """The timeline entry for a message that reached (or was posted to) the client."""
    record_sent_many([(message, step, invoices, when)])


def record_sent_many(sent: list[tuple[OutboundMessage, CadenceStep | None, list[Invoice],
                                      datetime]]) -> None:
    """The timeline entries of many sent messages, in three statements."""
    rows, invoices = [], []
    for message, step, found, when in sent:
        kind, channel = _SENT_KIND[message.channel]
        headline = message.subject or message.text[:120]
        rows.append(Interaction(
            client=message.client, kind=kind, channel=channel, occurred_at=when,
            actor_label="system", summary=f"{step.name + ': ' if step else ''}{headline}",
            content={"to": message.to, "subject": message.subject, "text": message.text,
                     "html": message.html},
            metadata={"message_id": message.pk, "provider": message.provider,
                      "provider_message_id": message.provider_message_id,
                      "step": step.name if step else "", "tone": step.tone if step else "",
                      "segments": message.segments}))
        invoices.append(found)
    if rows:
        interactions_append(rows, invoices)
