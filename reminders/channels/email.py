"""Email: sent through Django's mail API, so the ESP is whatever django-anymail backend the
environment configures (without one the message stays in Settle and nothing leaves); the
ESP's tracking events (delivered, opened, bounced, complained, ...) come back through
anymail's ``tracking`` signal, authenticated by anymail with ``ANYMAIL["WEBHOOK_SECRET"]``.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.utils import timezone

from clients.business import business
from clients.models import FlagReason
from core.text import ascii_digits
from reminders.channels.base import (
    Handover,
    PermanentError,
    TransientError,
    retry_after_seconds,
)
from reminders.channels.events import email_resubscribed, record_event
from reminders.channels.inbound import thread_message_id
from reminders.models import MessageEvent, OutboundMessage


class EmailChannel:
    name = "email"
    concurrent = True

    def send(self, message: OutboundMessage, *, reply_to: str = "") -> Handover:
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.text, from_email=business().from_email,
            to=[message.to], reply_to=[reply_to] if reply_to else None,
            headers={"X-Settle-Message": str(message.pk),
                     # A reply's In-Reply-To names it: the reply finds its reminder.
                     "Message-ID": thread_message_id(message, _domain(business().from_email))})
        if message.html:
            email.attach_alternative(message.html, "text/html")
        # anymail passes these to the ESP: the outbox id tags the message at the provider.
        email.tags = ["reminder"]  # type: ignore[attr-defined]
        email.metadata = {"settle_message_id": str(message.pk)}  # type: ignore[attr-defined]
        try:
            sent = email.send(fail_silently=False)
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            # 401/403 mean our credentials are wrong, not the address: retry once fixed.
            if status is not None and 400 <= status < 500 and status not in (401, 403, 429):
                raise PermanentError(f"The email provider refused the message: {exc}",
                                     reason=FlagReason.INVALID) from exc
            response = getattr(exc, "response", None)
            raise TransientError(f"Email could not be sent now: {exc}", retry_after=(
                retry_after_seconds(response) if status == 429 else None)) from exc
        if not sent:
            raise TransientError("The email backend accepted nothing.")
        status = getattr(email, "anymail_status", None)
        provider_id = getattr(status, "message_id", None) if status else None
        return Handover(provider=settings.ESP or "local",
                        provider_id=str(provider_id or f"local-{message.pk}"))


# --- anymail tracking ----------------------------------------------------------------------------
# anymail normalizes each ESP's events (``event_type`` "bounced", "deferred", ...), but several
# ESPs report a temporary failure as a bounce: only the ESP's own fields tell a soft bounce from
# a hard one. A soft (temporary) failure is recorded as "deferred": no flag, no fallback (the
# ESP retries, and the next reminder goes to the same address). Only a permanent failure flags
# the address and falls back. See docs/EMAIL.md.

# Postmark bounce "Type"s that say nothing bad about the address (anymail maps Transient,
# DnsError and OpenRelayTest to "deferred" itself, but SoftBounce and VirusNotification to
# "bounced"): https://postmarkapp.com/developer/api/bounce-api#bounce-types
POSTMARK_SOFT = frozenset({"SoftBounce", "Transient", "DnsError", "AutoResponder",
                           "AddressChange", "ChallengeVerification", "OpenRelayTest",
                           "VirusNotification"})
# SendGrid's "bounce" event: "type" is "bounce" (permanent) or "blocked" (temporary).
SENDGRID_SOFT = frozenset({"blocked", "deferred"})
# Amazon SES: bounceType "Permanent", "Transient" or "Undetermined"; only "Permanent" goes on
# SES's own suppression list, and only it flags here.
SES_PERMANENT = "Permanent"


def esp_key(esp_name: str) -> str:
    """anymail's display name ("Amazon SES", "SendGrid") as Settle's ESP name ("amazon_ses")."""
    return esp_name.strip().lower().replace(" ", "_")


def _raw(event: Any) -> dict[str, Any]:
    return event.esp_event if isinstance(event.esp_event, dict) else {}


def soft_failure(event: Any, esp: str) -> bool:
    """True when the ESP reports a temporary failure (soft bounce, deferral), judged from
    anymail's normalized event and the ESP's own fields."""
    event_type = str(event.event_type)
    if event_type == "deferred":
        return True
    if event_type != "bounced":
        return False
    raw = _raw(event)
    if esp == "postmark":
        return str(raw.get("Type") or "") in POSTMARK_SOFT
    if esp == "mailgun":  # anymail maps severity "temporary" to "deferred" already
        data = raw.get("event-data")
        severity = data.get("severity") if isinstance(data, dict) else raw.get("severity")
        return severity == "temporary"
    if esp == "sendgrid":
        return str(raw.get("type") or "").lower() in SENDGRID_SOFT
    if esp in ("brevo", "sendinblue", "mandrill"):
        return raw.get("event") == "soft_bounce"
    if esp == "amazon_ses":
        bounce = raw.get("bounce")
        return isinstance(bounce, dict) and bounce.get("bounceType") != SES_PERMANENT
    if esp == "mailjet":  # "bounce" events carry hard_bounce true/false
        return raw.get("hard_bounce") is False
    if esp == "mailersend":
        data = raw.get("data")
        return isinstance(data, dict) and data.get("type") == "soft_bounced"
    return False


def resubscribed(event: Any, esp: str) -> bool:
    """The recipient opted back in: Postmark's SubscriptionChange with SuppressSending false,
    SendGrid's group_resubscribe. (Brevo's "list_addition" is about marketing lists: no.)"""
    if str(event.event_type) != "subscribed":
        return False
    raw = _raw(event)
    if esp == "postmark":
        return raw.get("RecordType") == "SubscriptionChange" and raw.get("SuppressSending") is False
    return esp == "sendgrid" and raw.get("event") == "group_resubscribe"


def event_key(event: Any, esp: str, occurred: datetime) -> str:
    """What makes a provider event the same event when it comes again. Mailgun signs each
    delivery attempt anew (anymail's ``event_id`` is the signature token): its own
    ``event-data.id`` (unique per day, hence with the event's timestamp) is the event. One
    Amazon SES notification covers every recipient under one SNS MessageId."""
    event_type = str(event.event_type)
    fallback = f"{event.message_id}:{event_type}:{occurred.isoformat()}"
    raw = _raw(event)
    if esp == "mailgun":
        data = raw.get("event-data")
        if isinstance(data, dict) and data.get("id"):
            return f"{data['id']}@{data.get('timestamp', '')}"
        return fallback  # never the token: a re-signed retry has a new one
    if esp == "amazon_ses" and event.event_id:
        return f"{event.event_id}:{event.recipient or ''}"
    return str(event.event_id or fallback)


def _message_for(event: Any) -> OutboundMessage | None:
    settle_id = (event.metadata or {}).get("settle_message_id")
    if settle_id and ascii_digits(str(settle_id)):
        found = OutboundMessage.objects.filter(pk=int(settle_id), channel="email").first()
        if found is not None:
            return found
    if event.message_id:
        return OutboundMessage.objects.filter(provider_message_id=event.message_id,
                                              channel="email").first()
    return None

def connect_tracking() -> None:
    from anymail.signals import tracking

    @receiver(tracking, dispatch_uid="settle-email-tracking", weak=False)
    def on_tracking(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
        handle_tracking(event, esp_name)

def handle_tracking(event: Any, esp_name: str) -> MessageEvent | None:
    """One normalized anymail tracking event: delivered, opened, clicked, bounced,
    complained, ... A permanent bounce or a complaint suppresses the address; a soft bounce
    is recorded as "deferred"; a resubscription clears an unsubscribe or complaint flag."""
    esp = esp_key(esp_name)
    event_type = str(event.event_type)
    occurred = event.timestamp if isinstance(event.timestamp, datetime) else timezone.now()
    key = event_key(event, esp, occurred)
    soft = soft_failure(event, esp)
    reason = str(event.reject_reason or "")
    flag = {"bounced": FlagReason.BOUNCED, "rejected": FlagReason.BOUNCED,
            "failed": FlagReason.INVALID if reason == "invalid" else None,
            "unsubscribed": FlagReason.COMPLAINED}.get(event_type)
    why = str(event.description or event.mta_response or reason or "")[:300]
    if event_type == "unsubscribed":
        event_type = "complained"  # they asked not to get email: suppress like a complaint
    stored = record_event(
        provider=esp, event_key=key, event="deferred" if soft else event_type,
        occurred_at=occurred, message=_message_for(event), recipient=event.recipient or "",
        detail={"esp_event": _jsonable(event.esp_event), "reject_reason": reason,
                **({"soft": True} if soft else {})},
        flag=None if soft else flag, why=why, permanent=not soft)
    if stored is not None and event.recipient and resubscribed(event, esp):
        email_resubscribed(address=str(event.recipient), provider=esp_name)
    return stored

def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _domain(address: str) -> str:
    """The domain of the sender's address (``Settle <billing@example.com>`` → example.com)."""
    bare = parseaddr(address)[1]
    return bare.rpartition("@")[2] or "settle.invalid"
