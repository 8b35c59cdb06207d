"""What providers report about a message after it left.

Providers report on messages (Twilio status callbacks, anymail tracking webhooks). Each event is
stored once — keyed by the provider's event id, or message id + status where the provider has
none (Twilio signs no timestamp, so a replayed callback must be harmless) — moves the message's
status forward (never back: a late "sent" does not undo "delivered"), and shows in the client's
timeline. A permanent failure flags the contact point and falls back (``fallback``); a temporary
one (a soft bounce, stored as "deferred") changes nothing. An ESP's resubscribe event clears the
address's unsubscribe/complaint flag (``email_resubscribed``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from answers.links import link_visited
from answers.models import PayLink
from clients.models import (
    Channel,
    Client,
    ContactFlag,
    FlagReason,
    InteractionChannel,
    InteractionKind,
)
from clients.services import contact_flag, contact_flag_clear, interaction_record
from reminders.channels.base import CHANNEL_LABEL
from reminders.channels.fallback import fall_back
from reminders.models import (
    FAILED_STATUSES,
    STATUS_RANK,
    MessageEvent,
    MessageStatus,
    OutboundMessage,
    ReminderStatus,
)


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


def email_resubscribed(*, address: str, provider: str) -> int:
    """The ESP says the address opted back in (it removed its own suppression): clear the
    open unsubscribe/complaint flags on that address for every client using it. A bounce flag
    stays until a bookkeeper clears it: a bounce is about the mailbox, not about consent."""
    value = address.strip().lower()
    flags = list(ContactFlag.objects.filter(channel=Channel.EMAIL, value=value,
                                            reason=FlagReason.COMPLAINED,
                                            cleared_at__isnull=True).select_related("client"))
    for flag in flags:
        contact_flag_clear(flag=flag, actor=None,
                           note=f"{provider} reports that {value} subscribed again")
    return len(flags)


def pay_link_opened(link: PayLink, now: datetime) -> bool:
    """A visit through a pay-now link: counted, and the first one through a message's link
    marks that message clicked (statuses only move forward). True on the first visit."""
    first = link_visited(link, now)
    if first and link.message is not None:
        record_event(provider="settle", event_key=f"pay-link-{link.pk}-clicked",
                     event=MessageStatus.CLICKED, occurred_at=now, message=link.message,
                     why="pay-now link opened")
    return first
