"""The client's preferences: channel order, language, no SMS. Applied from the next tick;
email and letter stay possible because legally required notices may need them."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from answers.base import CLIENT
from clients.models import (
    Channel,
    Client,
    ContactFlag,
    FlagReason,
    InteractionChannel,
    InteractionKind,
)
from clients.selectors import open_flags_prefetch, usable_channels
from clients.services import contact_flag, contact_flag_clear, interaction_record
from core.contact import LANGUAGES
from reminders.models import Reminder, ReminderStatus, StepChannel

log = logging.getLogger(__name__)


def channel_choices(client: Client) -> list[str]:
    """Channels the client can put first: those we have contact details for."""
    return [c for c in (Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.PHONE)
            if client.contact_for(c)]

def sms_opted_out(client: Client) -> bool:
    return ContactFlag.objects.filter(client=client, channel=Channel.SMS,
                                      value=client.mobile_phone, reason=FlagReason.OPTED_OUT,
                                      cleared_at__isnull=True).exists()

def preferences_update(*, client: Client, first_channel: str, language: str, no_sms: bool,
                       now: datetime) -> list[str]:
    """Apply the client's choices; returns what changed (empty when nothing did)."""
    errors: dict[str, str] = {}
    if first_channel not in channel_choices(client):
        errors["first_channel"] = "Choose one of the channels offered."
    if language not in LANGUAGES:
        errors["language"] = "Choose one of the languages offered."
    if errors:
        raise ValidationError(errors)
    changes = []
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        order = list(client.channel_preferences)
        new_order = [first_channel] + [c for c in order if c != first_channel]
        if new_order != order:
            client.channel_preferences = new_order
            changes.append("channels: " + " → ".join(new_order))
        if language != client.language:
            client.language = language
            changes.append(f"language: {LANGUAGES[language]}")
        client.save(update_fields=["channel_preferences", "language", "updated_at"])
        if client.mobile_phone and no_sms != sms_opted_out(client):
            if no_sms:
                contact_flag(client=client, channel=Channel.SMS, reason=FlagReason.OPTED_OUT,
                             detail="opted out on the pay-now page", when=now)
                changes.append("no SMS")
            else:
                for flag in ContactFlag.objects.filter(
                        client=client, channel=Channel.SMS, reason=FlagReason.OPTED_OUT,
                        cleared_at__isnull=True):
                    contact_flag_clear(flag=flag, actor=None,
                                       note="the client opted back in on the pay-now page")
                changes.append("SMS allowed again")
        if not changes:
            return []
        # From the next tick: re-plan the invoices, and point waiting reminders that follow
        # the client's preference at the new first working channel.
        client.invoices.update(next_action_at=None)
        fresh = Client.objects.prefetch_related(open_flags_prefetch()).get(
            pk=client.pk)
        usable = usable_channels(fresh)
        if usable:
            Reminder.objects.filter(client=client, status=ReminderStatus.SCHEDULED,
                                    step__channel=StepChannel.PREFERRED).update(
                channel=usable[0])
        interaction_record(
            client=client, kind=InteractionKind.PREFERENCES, channel=InteractionChannel.PORTAL,
            actor_label=CLIENT, occurred_at=now,
            summary="Changed reminder preferences: " + "; ".join(changes),
            metadata={"channel_preferences": new_order, "language": language,
                      "no_sms": no_sms})
    return changes
