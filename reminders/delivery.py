"""What happens after a message left: provider events, and falling back to another channel.

Providers report on messages (Twilio status callbacks, anymail tracking webhooks). Each event is
stored once — keyed by the provider's event id, or message id + status where the provider has
none (Twilio signs no timestamp, so a replayed callback must be harmless) — moves the message's
status forward (never back: a late "sent" does not undo "delivered"), and shows in the client's
timeline.

A permanent failure (hard bounce, invalid number, opted out, undeliverable) flags the contact
point and moves the reminder to the client's next working channel in preference order, within
the same business day; channels that already failed for that reminder are never tried again.
When no channel is left, a task tells a person — reminders never stop silently.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from clients.models import Channel, Client, FlagReason, InteractionChannel, InteractionKind
from clients.services import contact_flag, interaction_record
from reminders import calls, selectors
from reminders.models import (
    FAILED_STATUSES,
    STATUS_RANK,
    MessageEvent,
    MessageStatus,
    OutboundMessage,
    Reminder,
    ReminderStatus,
)

log = logging.getLogger(__name__)

CHANNEL_LABEL = {"email": "Email", "sms": "SMS", "letter": "Letter", "phone": "Call"}


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
        fresh = Client.objects.prefetch_related(selectors.open_flags_prefetch()).get(
            pk=client.pk)
        tried = set(rows[0].failed_channels) | {failed_channel}
        options = [c for c in selectors.usable_channels(fresh) if c not in tried]
        failed = [*rows[0].failed_channels, failed_channel]
        ids = [r.pk for r in rows]
        invoices = [r.invoice for r in rows]
        if options:
            nxt = options[0]
            moved = Reminder.objects.filter(pk__in=ids, status=expected).update(
                status=ReminderStatus.SCHEDULED, channel=nxt, failed_channels=failed,
                scheduled_for=calls.business_time(fresh, now), claimed_at=None, attempts=0,
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
            calls.task_no_channel(client=client, now=now, invoices=invoices,
                                  why=f"{why} No other channel in the client's preferences "
                                      "works.")
    return None


def _status_for(event: str) -> str | None:
    return {"queued": MessageStatus.QUEUED, "accepted": MessageStatus.QUEUED,
            "scheduled": MessageStatus.QUEUED, "sending": MessageStatus.SENT,
            "sent": MessageStatus.SENT, "delivered": MessageStatus.DELIVERED,
            "read": MessageStatus.OPENED, "opened": MessageStatus.OPENED,
            "clicked": MessageStatus.CLICKED, "undelivered": MessageStatus.UNDELIVERED,
            "failed": MessageStatus.FAILED, "rejected": MessageStatus.FAILED,
            "bounced": MessageStatus.BOUNCED, "complained": MessageStatus.COMPLAINED,
            }.get(event)


def record_event(*, provider: str, event_key: str, event: str, occurred_at: datetime,
                 message: OutboundMessage | None, recipient: str = "",
                 detail: dict[str, Any] | None = None, permanent: bool = True,
                 flag: FlagReason | None = None, why: str = "") -> MessageEvent | None:
    """Store one provider event (None when it was seen before) and act on it: move the
    message's status forward, tell the timeline, flag and fall back on a permanent failure."""
    try:
        with transaction.atomic():
            stored = MessageEvent.objects.create(
                provider=provider, event_key=event_key[:200], event=event[:20],
                occurred_at=occurred_at, message=message, recipient=recipient[:320],
                detail=detail or {})
    except IntegrityError:
        return None  # a duplicate or replayed event: already recorded and acted on
    status = _status_for(event)
    if message is None or status is None:
        return stored
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
        if STATUS_RANK[MessageStatus(status)] <= STATUS_RANK[MessageStatus(message.status)]:
            return stored  # late or out-of-order: the message already went further
        message.status = status
        message.status_detail = why[:300]
        message.save(update_fields=["status", "status_detail"])
        label = CHANNEL_LABEL.get(message.channel, message.channel)
        invoices = [r.invoice for r in message.reminders.select_related("invoice")]
        interaction_record(
            client=message.client, kind=InteractionKind.DELIVERY,
            channel=message.channel if message.channel in InteractionChannel.values
            else InteractionChannel.SYSTEM, occurred_at=occurred_at, invoices=invoices,
            summary=f"{label} to {message.to}: {MessageStatus(status).label.lower()}"
                    f"{' — ' + why if why else ''}"[:300],
            metadata={"message_id": message.pk, "event": event, "provider": provider})
        if status == MessageStatus.COMPLAINED:
            contact_flag(client=message.client, channel=message.channel, value=message.to,
                         reason=FlagReason.COMPLAINED, detail=why, when=occurred_at)
        elif status in FAILED_STATUSES and permanent:
            rows = list(message.reminders.filter(status=ReminderStatus.SENT)
                        .select_related("client", "invoice"))
            if rows:
                fall_back(rows=rows, expected=ReminderStatus.SENT,
                          failed_channel=message.channel, now=occurred_at, flag=flag,
                          flag_value=message.to,
                          why=f"{label} to {message.to} {MessageStatus(status).label.lower()}"
                              f"{': ' + why if why else ''}.")
            elif flag is not None:
                contact_flag(client=message.client, channel=message.channel,
                             value=message.to, reason=flag, detail=why, when=occurred_at)
    return stored


def opt_out(*, number: str, opted_out: bool, occurred_at: datetime, keyword: str) -> int:
    """STOP (or START) from a number: flag (or clear) SMS for every client using it."""
    from clients.models import ContactFlag
    from clients.services import contact_flag_clear

    clients = list(Client.objects.filter(mobile_phone=number))
    for client in clients:
        if opted_out:
            contact_flag(client=client, channel=Channel.SMS, value=number,
                         reason=FlagReason.OPTED_OUT, when=occurred_at,
                         detail=f"the client replied {keyword}")
        else:
            for flag in ContactFlag.objects.filter(client=client, channel=Channel.SMS,
                                                   value=number, reason=FlagReason.OPTED_OUT,
                                                   cleared_at__isnull=True):
                contact_flag_clear(flag=flag, actor=None,
                                   note=f"the client replied {keyword} to opt back in")
    return len(clients)
