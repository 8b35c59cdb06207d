"""The decisions a person makes about reminders left in ``review`` after a crash (the
provider may or may not have the message): it was sent, send it again, or cancel it. Each
uses the outbox's own transition (``outbox.set_status`` expecting ``review``), runs in one
transaction and changes nothing when another person decided first."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from answers import links
from answers.models import PayLink
from clients.models import InteractionKind
from clients.services import actor_label_for, interaction_record
from reminders.dispatch import dispatch_group, lead_step
from reminders.models import MessageStatus, OutboundMessage, ReminderStatus, TemplateChannel
from reminders.outbox import TickReport, record_sent, reminders_claim, set_status
from reminders.selectors import ReviewGroup

# Channels whose message a provider takes: only those can have gone out unseen.
PROVIDER_CHANNELS = (TemplateChannel.EMAIL, TemplateChannel.SMS)


class AlreadyDecided(ValidationError):
    pass


_CHANNEL_WORDS = {"email": "e-mail", "sms": "SMS", "letter": "letter", "call": "call",
                  "phone": "call"}


def invoice_numbers(group: ReviewGroup) -> str:
    return ", ".join(i.number for i in group.invoices)


def describe(group: ReviewGroup) -> str:
    """"the e-mail “Subject” to ap@example.com" / "the SMS to +49…"."""
    message = group.message
    label = _CHANNEL_WORDS.get(group.channel, group.channel)
    if message is None:
        return f"the {label} reminder"
    subject = f" “{message.subject}”" if message.subject else ""
    return f"the {label}{subject} to {message.to}"


def _take(group: ReviewGroup, **changes: object) -> None:
    """Move every row of the group out of review, or none (someone else decided first)."""
    if set_status(group.rows, ReminderStatus.REVIEW, **changes) != len(group.rows):
        raise AlreadyDecided("Someone decided on this reminder meanwhile: nothing was changed. "
                             "The outbox shows where it is now.")


def _not_sent(message: OutboundMessage | None, detail: str, now: datetime) -> None:
    """The first attempt's message never went out: it says so, and its pay link stops working
    (the client never got it; a new message carries a new one)."""
    if message is None:
        return
    OutboundMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
        status=MessageStatus.FAILED, status_detail=detail[:300])
    for link in PayLink.objects.filter(message=message, revoked_at__isnull=True):
        links.link_revoke(link, now)


def _note(group: ReviewGroup, actor: User, now: datetime, summary: str) -> None:
    interaction_record(client=group.client, kind=InteractionKind.NOTE, actor=actor,
                       invoices=group.invoices, occurred_at=now, summary=summary,
                       metadata={"outbox_review": [r.pk for r in group.rows],
                                 "message_id": group.message.pk if group.message else None})


def review_mark_sent(*, group: ReviewGroup, actor: User, now: datetime) -> None:
    """The person checked with the provider: it went out. The rows are sent (when the message
    was composed, just before it was handed over) and the timeline shows the message."""
    message = group.message
    if message is None or message.channel not in PROVIDER_CHANNELS:
        raise ValidationError("Only an e-mail or SMS can have gone out without Settle knowing: "
                              "send this one again or cancel it.")
    who = actor_label_for(actor)
    when = message.sent_at or message.created_at
    with transaction.atomic():
        _take(group, status=ReminderStatus.SENT, sent_at=when,
              last_error=f"After a crash, {who} confirmed it was sent.")
        OutboundMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
            sent_at=when, status_detail=f"Confirmed sent by {who} after a crash (the "
                                        "provider's answer was lost)."[:300])
        message.refresh_from_db()
        record_sent(message, lead_step(group.steps), group.invoices, when)
        _note(group, actor, now, f"Outbox review: {who} confirmed that {describe(group)} went "
                                 f"out ({invoice_numbers(group)}); marked as sent.")


def review_send_again(*, group: ReviewGroup, actor: User, now: datetime) -> TickReport:
    """The person checked: it did not go out. The rows are due again now and dispatched as
    "send now" does (stop conditions, business hours and one message a day still apply); the
    first message is kept, marked as not sent."""
    who = actor_label_for(actor)
    with transaction.atomic():
        _take(group, status=ReminderStatus.SCHEDULED, scheduled_for=now, claimed_at=None,
              claim_token="", last_error=f"After a crash, {who} confirmed it was not sent "
                                         "and sent it again.")
        _not_sent(group.message, f"Not sent: a crash interrupted it and {who} confirmed it "
                                 f"never went out; sent again as a new message "
                                 f"({invoice_numbers(group)}).", now)
        _note(group, actor, now, f"Outbox review: {who} confirmed that {describe(group)} did "
                                 f"not go out ({invoice_numbers(group)}); sending it again.")
    report = TickReport()
    claimed = reminders_claim([r.pk for r in group.rows], now)
    if claimed:  # else the scheduler took it first: it goes out on its pass
        dispatch_group(claimed, now, report, hold=False)
    return report


def review_cancel(*, group: ReviewGroup, actor: User, now: datetime) -> None:
    """The person checked: it did not go out, and it should not. The rows are cancelled (the
    cadence moves on to its next step); the message is kept, marked as not sent."""
    who = actor_label_for(actor)
    with transaction.atomic():
        _take(group, status=ReminderStatus.CANCELLED,
              last_error=f"After a crash, {who} confirmed it was not sent and cancelled it.")
        _not_sent(group.message, f"Not sent: a crash interrupted it; {who} confirmed it never "
                                 "went out and cancelled it.", now)
        _note(group, actor, now, f"Outbox review: {who} confirmed that {describe(group)} did "
                                 f"not go out ({invoice_numbers(group)}); cancelled.")
