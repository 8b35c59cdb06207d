"""Falling back: a permanent failure (hard bounce, invalid number, opted out, undeliverable)
flags the contact point and moves the reminder to the client's next working channel in
preference order, within the same business day; channels that already failed for that reminder
are never tried again. When no channel is left, a task tells a person — reminders never stop
silently.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from clients.models import Client, FlagReason, InteractionKind
from clients.selectors import business_time, open_flags_prefetch, usable_channels
from clients.services import contact_flag, interaction_record
from core.planner import LEGAL_CHANNELS
from reminders.channels.base import CHANNEL_LABEL
from reminders.models import Reminder, ReminderStatus
from work.calls import task_no_channel


def _describe(channel: str, client: Client) -> str:
    value = client.contact_for(channel)
    return f"{CHANNEL_LABEL.get(channel, channel)}" + (f" to {value}" if value else "")

def fall_back(*, rows: list[Reminder], expected: str, failed_channel: str, why: str,
              now: datetime, flag: FlagReason | None = None, flag_value: str = "") -> str | None:
    """Move ``rows`` (all in status ``expected``) to the client's next working channel.
    Returns that channel, or None when no channel is left (a task says so)."""
    client = rows[0].client
    with transaction.atomic():
        if flag is not None:
            contact_flag(client=client, channel=failed_channel, reason=flag, detail=why,
                         value=flag_value or None, when=now)
        fresh = Client.objects.prefetch_related(open_flags_prefetch()).get(
            pk=client.pk)
        tried = set(rows[0].failed_channels) | {failed_channel}
        options = [c for c in usable_channels(fresh) if c not in tried]
        step = rows[0].step
        if step is not None and step.legal_notice:  # a legal notice is never downgraded
            allowed = LEGAL_CHANNELS if step.channel == "preferred" else (step.channel,)
            options = [c for c in options if c in allowed]
        failed = [*rows[0].failed_channels, failed_channel]
        ids = [r.pk for r in rows]
        invoices = [r.invoice for r in rows]
        if options:
            nxt = options[0]
            moved = Reminder.objects.filter(pk__in=ids, status=expected).update(
                status=ReminderStatus.SCHEDULED, channel=nxt, failed_channels=failed,
                scheduled_for=business_time(fresh, now), claimed_at=None, attempts=0,
                last_error=f"{why} Falling back to {CHANNEL_LABEL.get(nxt, nxt)}.")
            if moved:
                interaction_record(
                    client=client, kind=InteractionKind.DELIVERY, occurred_at=now,
                    summary=f"{why} Next: {_describe(nxt, fresh)}."[:300], invoices=invoices,
                    metadata={"fallback_from": failed_channel, "fallback_to": nxt})
            return nxt
        moved = Reminder.objects.filter(pk__in=ids, status=expected).update(
            status=ReminderStatus.FAILED, failed_channels=failed,
            last_error=f"{why} No other channel reaches the client.")
        if moved:
            task_no_channel(client=client, now=now, invoices=invoices,
                                  why=f"{why} No other channel in the client's preferences "
                                      "works.")
    return None
